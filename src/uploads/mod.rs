//! Resumable uploads (the storage side of tus): bytes arrive as durable parts, the offset only
//! advances once a part is stored, and the finished file becomes a content-addressed blob with
//! an asset and a processing job.

mod append;
mod cleanup;
mod finish;
mod metadata;
mod store;

use serde::{Deserialize, Serialize};

use crate::{blobs, context::Context, db::time::now_ms, error::Error};

pub use append::{append, Checksum, ChecksumAlgorithm};
pub use cleanup::{discard, expire};
pub use finish::finish;
pub use metadata::parse_metadata;

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
    let id = uuid::Uuid::now_v7().simple().to_string();
    let expires_at = now + settings.upload_expiry.as_millis() as i64;
    let upload = store::insert(&state.db, &id, &new, now, expires_at).await?;
    Ok(upload)
}

/// A live upload (expired ones are gone, as far as clients are concerned).
pub async fn get(state: &Context, id: &str) -> UploadResult<Upload> {
    store::live(&state.db, id, now_ms())
        .await?
        .ok_or(UploadError::NotFound)
}
