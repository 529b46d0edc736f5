//! A complete upload made into a blob, an asset and its processing job.

use futures::TryStreamExt;
use object_store::{path::Path, ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

use super::{cleanup, Part, Upload, UploadError, UploadResult};
use crate::{
    blobs::{self, Sha256Hex},
    context::Context,
    media::{self, sniff},
};

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
        cleanup::discard(state, upload).await?;
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
    cleanup::delete_parts(state, &upload.id).await;
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
