//! One tus PATCH: its body streamed into durable parts, each committed by advancing the offset.

use futures::{Stream, StreamExt};
use object_store::{path::Path, ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

use super::{store, Part, Upload, UploadError, UploadResult};
use crate::{context::Context, db::time::now_ms};

fn new_part_key(upload_id: &str, offset: i64) -> String {
    format!(
        "uploads/{upload_id}/{offset:020}-{}",
        uuid::Uuid::new_v4().simple()
    )
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
    let parts = serde_json::to_string(&parts).map_err(anyhow::Error::from)?;
    let updated = store::advance_offset(
        &state.db,
        &upload.id,
        upload.upload_offset,
        new_offset,
        &parts,
        expires,
    )
    .await?;
    match updated {
        Some(u) => Ok(u),
        None => {
            let _ = state.store.object_store().delete(&Path::from(key)).await;
            Err(UploadError::OffsetMoved)
        }
    }
}
