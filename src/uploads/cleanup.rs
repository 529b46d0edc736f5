//! Uploads removed with everything received for them: finished, rejected, terminated or expired.

use futures::TryStreamExt;
use object_store::{path::Path, ObjectStore};

use super::{store, Upload, UploadResult};
use crate::{context::Context, db::time::now_ms};

fn prefix(upload_id: &str) -> Path {
    Path::from(format!("uploads/{upload_id}"))
}

/// Deletes every stored part (and staging file) of the upload; failures are logged.
pub(super) async fn delete_parts(state: &Context, upload_id: &str) {
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
    store::delete(&state.db, &upload.id).await?;
    Ok(())
}

/// Removes expired uploads; safe to run on every node at once.
pub async fn expire(state: &Context) -> UploadResult<usize> {
    let expired = store::expired_ids(&state.db, now_ms()).await?;
    for id in &expired {
        delete_parts(state, id).await;
        store::delete_expired(&state.db, id, now_ms()).await?;
    }
    Ok(expired.len())
}
