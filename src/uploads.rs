//! Resumable uploads (the storage side of tus): bytes arrive as durable parts, the offset only
//! advances once a part is stored, and the finished file becomes a content-addressed blob with
//! an asset and a processing job.

use futures::{Stream, StreamExt, TryStreamExt};
use object_store::{path::Path, ObjectStore, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    blobs::{self, Sha256Hex},
    context::Context,
    db::time::now_ms,
    error::Error,
    media::{self, sniff},
};

/// Why an upload was refused or failed. The tus edge (`http::tus`) gives each its status and
/// stable problem code; the messages are what a teacher reads.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("This file is {length} bytes; the largest accepted upload is {limit} bytes.")]
    TooLarge { length: u64, limit: u64 },
    #[error("Your organisation has {left} of its {quota} bytes left; this file needs {length}.")]
    QuotaExceeded { left: u64, quota: u64, length: u64 },
    #[error("More bytes were sent than the upload's declared Upload-Length.")]
    LengthExceeded,
    #[error("The bytes received do not match Upload-Checksum; send them again.")]
    ChecksumMismatch,
    #[error("The connection broke; resume from Upload-Offset.")]
    Interrupted,
    #[error("Another request changed this upload; HEAD it and resume.")]
    OffsetMoved,
    /// The finished file is of no type Caravan accepts (the detail names what it looks like).
    #[error("{0}")]
    Unsupported(String),
    /// No live upload has this id (never made, finished and gone, or expired).
    #[error("no such upload")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// Another feature's refusal while finishing (recording the asset), passed on unchanged.
    #[error(transparent)]
    Feature(#[from] Error),
}

pub type UploadResult<T> = Result<T, UploadError>;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: String,
    pub user_id: String,
    pub org_id: String,
    pub unit_id: Option<String>,
    pub filename: String,
    pub metadata: String,
    pub upload_length: i64,
    pub upload_offset: i64,
    pub parts: String,
    pub asset_id: Option<String>,
    pub expires_at: i64,
}

/// A stored part: `len` bytes starting at `offset` of the upload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Part {
    pub offset: i64,
    pub len: i64,
    /// Unique per write, so two requests racing at one offset never touch each other's bytes.
    pub key: String,
}

impl Upload {
    pub fn parts(&self) -> Vec<Part> {
        serde_json::from_str(&self.parts).unwrap_or_default()
    }

    pub fn is_complete(&self) -> bool {
        self.upload_offset == self.upload_length
    }
}

const COLUMNS: &str =
    "id, user_id, org_id, unit_id, filename, metadata, upload_length, upload_offset, \
                       parts, asset_id, expires_at";

fn new_part_key(upload_id: &str, offset: i64) -> String {
    format!(
        "uploads/{upload_id}/{offset:020}-{}",
        uuid::Uuid::new_v4().simple()
    )
}

fn prefix(upload_id: &str) -> Path {
    Path::from(format!("uploads/{upload_id}"))
}

pub struct NewUpload<'a> {
    pub user_id: &'a str,
    pub org_id: &'a str,
    pub unit_id: Option<&'a str>,
    pub filename: &'a str,
    pub metadata: &'a str,
    pub length: u64,
}

pub async fn create(state: &Context, new: NewUpload<'_>) -> UploadResult<Upload> {
    let settings = &state.settings;
    if new.length > settings.max_upload_bytes {
        return Err(UploadError::TooLarge {
            length: new.length,
            limit: settings.max_upload_bytes,
        });
    }
    if let Some(quota) = settings.org_quota_bytes {
        let used = blobs::org_usage(&state.db, new.org_id).await?;
        if used + new.length > quota {
            return Err(UploadError::QuotaExceeded {
                left: quota.saturating_sub(used),
                quota,
                length: new.length,
            });
        }
    }
    let now = now_ms();
    let upload = sqlx::query_as::<_, Upload>(&format!(
        "INSERT INTO uploads (id, user_id, org_id, unit_id, filename, metadata, upload_length, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::now_v7().simple().to_string())
    .bind(new.user_id)
    .bind(new.org_id)
    .bind(new.unit_id)
    .bind(new.filename)
    .bind(new.metadata)
    .bind(new.length as i64)
    .bind(now)
    .bind(now + settings.upload_expiry.as_millis() as i64)
    .fetch_one(&state.db.pool)
    .await?;
    Ok(upload)
}

/// A live upload (expired ones are gone, as far as clients are concerned).
pub async fn get(state: &Context, id: &str) -> UploadResult<Upload> {
    sqlx::query_as::<_, Upload>(&format!(
        "SELECT {COLUMNS} FROM uploads WHERE id = $1 AND expires_at > $2"
    ))
    .bind(id)
    .bind(now_ms())
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or(UploadError::NotFound)
}

/// An optional checksum of one PATCH body (tus `checksum` extension: sha1, which the spec
/// requires, and sha256).
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub expected: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Sha1,
    Sha256,
}

impl Checksum {
    fn hasher(&self) -> Box<dyn sha2::digest::DynDigest + Send> {
        match self.algorithm {
            ChecksumAlgorithm::Sha1 => Box::new(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Box::new(Sha256::new()),
        }
    }
}

/// Streams one PATCH body into durable parts starting at `upload.upload_offset`. Without a
/// checksum a long body is committed every `upload_part_bytes`, and what arrived before a broken
/// connection is kept; with one, nothing is committed until the whole body verifies.
pub async fn append<S, E>(
    state: &Context,
    upload: &Upload,
    body: S,
    checksum: Option<Checksum>,
) -> UploadResult<Upload>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let store = state.store.object_store();
    let part_limit = if checksum.is_some() {
        u64::MAX
    } else {
        state.settings.upload_part_bytes
    };
    let mut current = upload.clone();
    let mut body = body;
    let mut hasher = checksum.as_ref().map(Checksum::hasher);
    let mut writer: Option<(WriteMultipart, i64, String)> = None;
    let mut written: i64 = 0;
    let mut broken: Option<String> = None;

    loop {
        let chunk = match body.next().await {
            None => break,
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => {
                broken = Some(e.to_string());
                break;
            }
        };
        if chunk.is_empty() {
            continue;
        }
        let start = current.upload_offset + written;
        if start + chunk.len() as i64 > current.upload_length {
            if let Some((w, _, _)) = writer.take() {
                let _ = w.abort().await;
            }
            return Err(UploadError::LengthExceeded);
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        if writer.is_none() {
            let key = new_part_key(&current.id, start);
            let part = store.put_multipart(&Path::from(key.as_str())).await?;
            writer = Some((WriteMultipart::new(part), 0, key));
        }
        let (w, len, _) = writer.as_mut().expect("writer just set");
        w.wait_for_capacity(2).await?;
        w.write(&chunk);
        *len += chunk.len() as i64;
        written += chunk.len() as i64;
        if *len as u64 >= part_limit {
            let (w, len, key) = writer.take().expect("writer present");
            w.finish().await?;
            current = commit(state, &current, len, key).await?;
            written = 0;
        }
    }

    if let Some(expected) = checksum.map(|c| c.expected) {
        let actual = hasher.expect("hasher exists with a checksum").finalize();
        let actual: &[u8] = &actual;
        if broken.is_some() || actual != expected.as_slice() {
            if let Some((w, _, _)) = writer.take() {
                let _ = w.abort().await;
            }
            if broken.is_none() {
                return Err(UploadError::ChecksumMismatch);
            }
        }
    }
    if let Some((w, len, key)) = writer.take() {
        w.finish().await?;
        current = commit(state, &current, len, key).await?;
    }
    if let Some(reason) = broken {
        tracing::info!(upload = %current.id, offset = current.upload_offset, %reason, "upload interrupted; kept what arrived");
        return Err(UploadError::Interrupted);
    }
    Ok(current)
}

/// Advances the offset past a stored part, unless another request moved it meanwhile.
async fn commit(state: &Context, upload: &Upload, len: i64, key: String) -> UploadResult<Upload> {
    let mut parts = upload.parts();
    parts.push(Part {
        offset: upload.upload_offset,
        len,
        key: key.clone(),
    });
    let new_offset = upload.upload_offset + len;
    let expires = now_ms() + state.settings.upload_expiry.as_millis() as i64;
    let updated = sqlx::query_as::<_, Upload>(&format!(
        "UPDATE uploads SET upload_offset = $1, parts = $2, expires_at = $3 \
         WHERE id = $4 AND upload_offset = $5 RETURNING {COLUMNS}"
    ))
    .bind(new_offset)
    .bind(serde_json::to_string(&parts).map_err(anyhow::Error::from)?)
    .bind(expires)
    .bind(&upload.id)
    .bind(upload.upload_offset)
    .fetch_optional(&state.db.pool)
    .await?;
    match updated {
        Some(u) => Ok(u),
        None => {
            let _ = state.store.object_store().delete(&Path::from(key)).await;
            Err(UploadError::OffsetMoved)
        }
    }
}

/// Turns a complete upload into a blob, an asset and its processing job. Idempotent: a crash
/// half-way is finished by the next HEAD or PATCH.
pub async fn finish(state: &Context, upload: &Upload) -> UploadResult<String> {
    if let Some(asset) = &upload.asset_id {
        return Ok(asset.clone());
    }
    let store = state.store.object_store();
    let parts = upload.parts();
    let head = match parts.first() {
        Some(first) => {
            let end = (first.len as u64).min(4096);
            store
                .get_range(&Path::from(first.key.as_str()), 0..end)
                .await?
                .to_vec()
        }
        None => Vec::new(),
    };
    let sniffed = sniff::sniff(&head);
    let Some(kind) = media::AssetKind::from_sniffed(&sniffed) else {
        discard(state, upload).await?;
        return Err(UploadError::Unsupported(media::unsupported_detail(
            &sniffed,
        )));
    };

    let (sha, bytes, crc) = assemble(state, upload, &parts).await?;
    blobs::record(&state.db, &sha, bytes, sniffed.mime(), crc).await?;
    let asset_id = media::assets::create(
        &state.db,
        media::assets::NewAsset {
            org_id: &upload.org_id,
            user_id: &upload.user_id,
            filename: &upload.filename,
            sha: &sha,
            kind,
            mime: sniffed.mime(),
            unit_id: upload.unit_id.as_deref(),
            upload_id: Some(&upload.id),
        },
    )
    .await?;
    delete_parts(state, &upload.id).await;
    state.jobs_notify.notify_waiters();
    Ok(asset_id)
}

/// Concatenates the parts into the blob store while hashing them.
async fn assemble(
    state: &Context,
    upload: &Upload,
    parts: &[Part],
) -> UploadResult<(Sha256Hex, u64, u32)> {
    let store = state.store.object_store();
    let staging = Path::from(format!("uploads/{}/assembled", upload.id));
    let mut hasher = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    if let [only] = parts {
        // One part (the common case: the whole file in one PATCH) is renamed, not copied.
        let key = Path::from(only.key.as_str());
        let mut stream = store.get(&key).await?.into_stream();
        while let Some(chunk) = stream.try_next().await? {
            hasher.update(&chunk);
            crc.update(&chunk);
            total += chunk.len() as u64;
        }
        let sha = Sha256Hex::from_digest(hasher);
        place(state, &key, &sha).await?;
        return Ok((sha, total, crc.finalize()));
    }
    let mut writer = WriteMultipart::new(store.put_multipart(&staging).await?);
    for part in parts {
        let mut stream = store
            .get(&Path::from(part.key.as_str()))
            .await?
            .into_stream();
        while let Some(chunk) = stream.try_next().await? {
            hasher.update(&chunk);
            crc.update(&chunk);
            total += chunk.len() as u64;
            writer.wait_for_capacity(2).await?;
            writer.write(&chunk);
        }
    }
    writer.finish().await?;
    let sha = Sha256Hex::from_digest(hasher);
    place(state, &staging, &sha).await?;
    Ok((sha, total, crc.finalize()))
}

/// Moves a finished object to its blob key, or drops it when the blob is already stored.
async fn place(state: &Context, from: &Path, sha: &Sha256Hex) -> UploadResult<()> {
    let store = state.store.object_store();
    if blobs::exists(&state.db, sha).await? {
        store.delete(from).await?;
    } else {
        store.rename(from, &blobs::key(sha)).await?;
    }
    Ok(())
}

async fn delete_parts(state: &Context, upload_id: &str) {
    let store = state.store.object_store();
    let keys: Vec<Path> = match store
        .list(Some(&prefix(upload_id)))
        .map_ok(|m| m.location)
        .try_collect()
        .await
    {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(upload = upload_id, error = %e, "listing upload parts");
            return;
        }
    };
    for key in keys {
        if let Err(e) = store.delete(&key).await {
            tracing::warn!(upload = upload_id, %key, error = %e, "deleting an upload part");
        }
    }
    if let crate::config::StoreLocation::Local(dir) = state.store.location() {
        // object_store leaves empty folders and aborted staging files behind on a local disk.
        let _ = tokio::fs::remove_dir_all(dir.join("uploads").join(upload_id)).await;
    }
}

/// Deletes an upload and everything received for it (termination, rejection, expiry).
pub async fn discard(state: &Context, upload: &Upload) -> UploadResult<()> {
    delete_parts(state, &upload.id).await;
    sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(&upload.id)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Removes expired uploads; safe to run on every node at once.
pub async fn expire(state: &Context) -> UploadResult<usize> {
    let expired: Vec<String> = sqlx::query_scalar("SELECT id FROM uploads WHERE expires_at <= $1")
        .bind(now_ms())
        .fetch_all(&state.db.pool)
        .await?;
    for id in &expired {
        delete_parts(state, id).await;
        sqlx::query("DELETE FROM uploads WHERE id = $1 AND expires_at <= $2")
            .bind(id)
            .bind(now_ms())
            .execute(&state.db.pool)
            .await?;
    }
    Ok(expired.len())
}

/// Parses tus `Upload-Metadata`: comma-separated `key base64value` pairs.
pub fn parse_metadata(header: &str) -> Result<Vec<(String, String)>, &'static str> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut out = Vec::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.splitn(2, ' ');
        let key = it.next().unwrap_or_default();
        if key.is_empty() || !key.is_ascii() || key.contains(' ') {
            return Err("Upload-Metadata keys must be non-empty ASCII without spaces");
        }
        let value = match it.next().map(str::trim) {
            Some(v) if !v.is_empty() => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| "Upload-Metadata values must be base64")?;
                String::from_utf8(bytes).map_err(|_| "Upload-Metadata values must be UTF-8")?
            }
            _ => String::new(),
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_parses_tus_pairs() {
        let m = super::parse_metadata("filename bGVjdHVyZS5tcDQ=,is_confidential, unit_id MTIz")
            .unwrap();
        assert_eq!(
            m,
            vec![
                ("filename".into(), "lecture.mp4".into()),
                ("is_confidential".into(), String::new()),
                ("unit_id".into(), "123".into()),
            ]
        );
        assert!(super::parse_metadata("filename !!!").is_err());
    }
}
