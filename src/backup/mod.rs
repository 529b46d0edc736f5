//! Backups of an SQLite deployment, taken while it serves: `caravan backup OUT` and
//! `caravan restore FROM`.
//!
//! A backup folder holds `caravan.db` (SQLite's `VACUUM INTO`: one consistent moment, taken
//! without stopping writers), `caravan.secret` (without it the organisations' signing keys
//! cannot be unsealed, so credentials would no longer verify), `blobs/` (every blob that copy of
//! the database names, under the store's own layout, each checked against its SHA-256) and
//! `manifest.json`. Backing up into the same folder again copies only the blobs it lacks.
//! Uploads still in progress are not kept: a teacher resumes them or starts again.
//!
//! PostgreSQL deployments back up with `pg_dump` and the object store's own versioning.

mod store;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::{
    blobs::{self, Sha256Hex},
    config::Settings,
    db::{Backend, Db},
    storage::Store,
};

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    created_at: String,
    caravan: String,
    database: String,
    blobs: Vec<Blob>,
}

#[derive(Serialize, Deserialize)]
struct Blob {
    sha256: String,
    bytes: i64,
}

/// What a backup or a restore did.
#[derive(Debug, Default)]
pub struct Summary {
    pub blobs: usize,
    /// Blobs copied this time (the others were there already).
    pub copied: usize,
    pub bytes_copied: u64,
}

fn blob_path(dir: &Path, sha: &Sha256Hex) -> PathBuf {
    dir.join(blobs::key(sha).as_ref())
}

/// Copies the running deployment into `out` (created if missing).
pub async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Summary> {
    let db = Db::connect(settings.database_url.expose()).await?;
    if db.backend != Backend::Sqlite {
        bail!(
            "caravan backup copies an SQLite deployment; back up PostgreSQL with pg_dump and \
             the object store with its own versioning (see the README)"
        );
    }
    let store = Store::open(&settings.store, &settings.s3)?;
    tokio::fs::create_dir_all(out.join("blobs")).await?;
    let out = tokio::fs::canonicalize(out).await?;
    let partial = out.join("caravan.db.partial");
    let _ = tokio::fs::remove_file(&partial).await;
    store::vacuum_into(&db, &partial.to_string_lossy())
        .await
        .context("copying the database (VACUUM INTO)")?;
    db.pool.close().await;

    // The blobs of the copy, not of the live database: what the copy names is what it needs.
    let copy = Db::connect(&format!("sqlite://{}", partial.display())).await?;
    let listed = store::blobs(&copy).await?;
    copy.pool.close().await;
    let mut summary = Summary {
        blobs: listed.len(),
        ..Summary::default()
    };
    for (sha, bytes) in &listed {
        let sha = Sha256Hex::parse(sha).with_context(|| format!("a stored hash {sha:?}"))?;
        let target = blob_path(&out.join("blobs"), &sha);
        let have = tokio::fs::metadata(&target).await.map(|m| m.len()).ok();
        if have == Some(*bytes as u64) {
            continue;
        }
        tokio::fs::create_dir_all(target.parent().expect("a blob path has a folder")).await?;
        let part = target.with_extension("partial");
        blobs::download(&store, &blobs::key(&sha), &part)
            .await
            .with_context(|| format!("reading blob {} from the store", sha.as_str()))?;
        verified(&part, &sha).await?;
        tokio::fs::rename(&part, &target).await?;
        summary.copied += 1;
        summary.bytes_copied += *bytes as u64;
    }
    write_private(&out.join("caravan.secret"), settings.secret_key.expose()).await?;
    tokio::fs::rename(&partial, out.join("caravan.db")).await?;
    let manifest = Manifest {
        format: 1,
        created_at: crate::db::time::to_rfc3339(crate::db::time::now_ms()),
        caravan: env!("CARGO_PKG_VERSION").to_owned(),
        database: "caravan.db".to_owned(),
        blobs: listed
            .into_iter()
            .map(|(sha256, bytes)| Blob { sha256, bytes })
            .collect(),
    };
    let text = serde_json::to_vec_pretty(&manifest)?;
    tokio::fs::write(out.join("manifest.json.partial"), text).await?;
    tokio::fs::rename(out.join("manifest.json.partial"), out.join("manifest.json")).await?;
    Ok(summary)
}

/// Brings a backup back into the configured SQLite file (which must not exist yet) and store;
/// the backup's secret goes beside the database. The server migrates it on start.
pub async fn restore(settings: &Settings, from: &Path) -> anyhow::Result<Summary> {
    let Some(target) = crate::config::sqlite_file(settings.database_url.expose()) else {
        bail!(
            "caravan restore brings back an SQLite deployment: give --database-url sqlite://FILE"
        );
    };
    let has_data = tokio::fs::metadata(&target)
        .await
        .is_ok_and(|m| m.len() > 0);
    if has_data {
        bail!(
            "{} already exists; restore into a new database file, never over one",
            target.display()
        );
    }
    let manifest: Manifest = serde_json::from_slice(
        &tokio::fs::read(from.join("manifest.json"))
            .await
            .context("reading the backup's manifest.json")?,
    )
    .context("the backup's manifest.json")?;
    let store = Store::open(&settings.store, &settings.s3)?;
    let mut summary = Summary {
        blobs: manifest.blobs.len(),
        ..Summary::default()
    };
    for b in &manifest.blobs {
        let sha = Sha256Hex::parse(&b.sha256).with_context(|| format!("hash {:?}", b.sha256))?;
        let source = blob_path(&from.join("blobs"), &sha);
        verified(&source, &sha).await?;
        blobs::put_object(&store, &sha, &source).await?;
        summary.copied += 1;
        summary.bytes_copied += b.bytes as u64;
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await?;
    }
    let secret = tokio::fs::read(from.join("caravan.secret"))
        .await
        .context("reading the backup's caravan.secret")?;
    let beside = target.parent().map_or_else(
        || PathBuf::from("caravan.secret"),
        |d| d.join("caravan.secret"),
    );
    write_private(&beside, &secret).await?;
    if settings.secret_key.expose() != &secret {
        tracing::warn!(
            "the configured secret_key is not the backup's; set it to the content of {} or \
             credentials signed before the backup will not verify",
            beside.display()
        );
    }
    let partial = target.with_extension("partial");
    tokio::fs::copy(from.join(&manifest.database), &partial).await?;
    tokio::fs::rename(&partial, &target).await?;
    Ok(summary)
}

async fn verified(path: &Path, sha: &Sha256Hex) -> anyhow::Result<()> {
    let (got, _, _) = blobs::hash_file(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    if got != *sha {
        bail!(
            "{} does not hash to its name {}: the copy is damaged",
            path.display(),
            sha.as_str()
        );
    }
    Ok(())
}

async fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let path = path.to_owned();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.sync_all()
    })
    .await??;
    Ok(())
}
