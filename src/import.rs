//! `caravan import PATH --course ID`: a folder of lectures becomes units of a course, one unit
//! per file in name order. Bytes are stored as blobs here; the server's workers process them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncReadExt;

use crate::{
    blobs,
    catalogue::{self, courses, units},
    db::Db,
    media::{
        assets::{self, NewAsset},
        sniff, AssetKind,
    },
    storage::Store,
    values::Text,
};

/// One file's outcome, for the summary.
pub enum Imported {
    Unit {
        file: String,
        unit_id: String,
        asset_id: String,
    },
    Skipped {
        file: String,
        reason: String,
    },
}

fn unit_kind(kind: AssetKind) -> Option<&'static str> {
    Some(match kind {
        AssetKind::Video => "video",
        AssetKind::Audio => "audio",
        AssetKind::Document => "document",
        AssetKind::Model => "vr",
        AssetKind::Archive => "package",
        // Captions belong to a video; an image is a course poster, chosen by its teacher.
        AssetKind::Captions | AssetKind::Image => return None,
    })
}

async fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; 4096];
    let mut n = 0;
    while n < buf.len() {
        let m = f.read(&mut buf[n..]).await?;
        if m == 0 {
            break;
        }
        n += m;
    }
    buf.truncate(n);
    Ok(buf)
}

/// Imports every regular file directly in `dir` (sorted by name) into `course_id`, as `user_id`
/// (default: the course's author).
pub async fn folder(
    db: &Db,
    store: &Store,
    dir: &Path,
    course_id: &str,
    user_id: Option<&str>,
) -> anyhow::Result<Vec<Imported>> {
    let course = courses::row(db, course_id)
        .await
        .map_err(|_| anyhow::anyhow!("no course {course_id}"))?;
    let author: String = match user_id {
        Some(u) => u.to_owned(),
        None => catalogue::store::courses::created_by(db, course_id).await?,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} has no files to import", dir.display());
    }
    let total: u64 = files
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{msg:30!} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut out = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        bar.set_message(name.clone());
        let size = path.metadata().map(|m| m.len()).unwrap_or(0);
        let sniffed = sniff::sniff(&head(&path).await?);
        let Some(kind) = AssetKind::from_sniffed(&sniffed) else {
            out.push(Imported::Skipped {
                file: name,
                reason: crate::media::unsupported_detail(&sniffed),
            });
            bar.inc(size);
            continue;
        };
        let Some(unit_kind) = unit_kind(kind) else {
            out.push(Imported::Skipped {
                file: name,
                reason: "captions are attached to a video, not a unit".into(),
            });
            bar.inc(size);
            continue;
        };
        let (sha, _) = blobs::put_file(store, db, &path, sniffed.mime()).await?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        let title = Text::parse(&stem.replace(['_', '-'], " "), 200).map_err(anyhow::Error::msg)?;
        let unit = units::add(
            db,
            course_id,
            units::NewUnit {
                kind: unit_kind,
                title: &title,
                required: true,
                source_unit_id: None,
                asset_id: None,
            },
        )
        .await?;
        let asset_id = assets::create(
            db,
            NewAsset {
                org_id: &course.org_id,
                user_id: &author,
                filename: &name,
                sha: &sha,
                kind,
                mime: sniffed.mime(),
                unit_id: Some(&unit.id),
                upload_id: None,
            },
        )
        .await?;
        bar.inc(size);
        out.push(Imported::Unit {
            file: name,
            unit_id: unit.id,
            asset_id,
        });
    }
    bar.finish_and_clear();
    Ok(out)
}
