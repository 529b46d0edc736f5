//! The xAPI document resources (Communication 2.2, 2.3, 2.6, 2.7): State, Activity Profile and
//! Agent Profile documents, stored as bytes with their content type, with optimistic
//! concurrency through ETags (Communication 3.1).
//!
//! Every write checks the caller's preconditions against the current ETag and then changes the
//! row only if it still has that ETag (or, for a new document, only if none appeared), so two
//! racing writers cannot both succeed on the same precondition.

mod preconditions;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use super::store::{self, documents::Content};
use crate::db::{time::now_ms, Db};
pub use preconditions::{Preconditions, Tags};

/// Why a document request was refused. The xAPI edge (`http::xapi::documents`) gives each its
/// status and stable problem code.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// An `If-Match` / `If-None-Match` header does not hold (412).
    #[error("{0}")]
    PreconditionFailed(&'static str),
    /// A POST that cannot be merged: not JSON, or not a JSON object.
    #[error("{0}")]
    NotMergeable(String),
    /// A PUT over an existing document without concurrency headers (Communication 3.1).
    #[error(
        "This document already exists. Fetch it, then send If-Match with its current ETag to \
         replace it (or If-None-Match: * to create only)."
    )]
    ExistsWithoutPrecondition,
    /// Concurrent writers kept changing the row.
    #[error("The document kept changing under this request; try again.")]
    KeptChanging,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type DocumentResult<T> = Result<T, DocumentError>;

/// Which document resource a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    State,
    ActivityProfile,
    AgentProfile,
}

/// The documents of one context: a tenant's documents of one kind for one activity, agent
/// and registration ('' for the parts the kind does not use).
#[derive(Debug, Clone)]
pub struct Context {
    pub tenant: String,
    pub kind: Kind,
    pub activity_id: String,
    /// The agent's normalised inverse functional identifier.
    pub agent: String,
    pub registration: String,
}

/// A stored document.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub content: Vec<u8>,
    pub content_type: String,
    /// The SHA-1 of the content in lowercase hex, unquoted.
    pub etag: String,
    pub updated_at: i64,
}

/// The ETag of some content: its SHA-1 in lowercase hex (what 1.0.3 requires and 2.0.0's
/// conformance suite expects), unquoted.
pub fn etag_of(content: &[u8]) -> String {
    hex::encode(Sha1::digest(content))
}

/// Is this content type JSON (ignoring parameters such as `charset`)?
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// How a write treats a document that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// PUT: replace it; `require_precondition` makes a PUT without concurrency headers over an
    /// existing document a 409 (Communication 3.1).
    Replace { require_precondition: bool },
    /// POST: merge JSON objects (Communication 2.2, JSON Procedure).
    Merge,
}

/// The document with this id in the context.
pub async fn get(db: &Db, cx: &Context, id: &str) -> DocumentResult<Option<Document>> {
    Ok(store::documents::get(db, cx, id).await?)
}

/// The ids of a context's documents changed after `since` (exclusive), oldest first, and
/// when the newest of them changed.
pub async fn ids(db: &Db, cx: &Context, since: Option<i64>) -> DocumentResult<(Vec<String>, i64)> {
    let rows = store::documents::changed_since(db, cx, since.unwrap_or(i64::MIN)).await?;
    let newest = rows.iter().map(|r| r.1).max().unwrap_or(0);
    Ok((rows.into_iter().map(|r| r.0).collect(), newest))
}

fn bad_merge(detail: &str) -> DocumentError {
    DocumentError::NotMergeable(detail.to_owned())
}

fn json_object(content: &[u8], what: &str) -> DocumentResult<Map<String, Value>> {
    match serde_json::from_slice(content) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_merge(&format!(
            "The {what} document is not a JSON object."
        ))),
    }
}

/// Stores a document (PUT) or merges into it (POST), honouring the preconditions.
pub async fn write(
    db: &Db,
    cx: &Context,
    id: &str,
    pre: &Preconditions,
    mode: Write,
    content: Vec<u8>,
    content_type: &str,
) -> DocumentResult<()> {
    if mode == Write::Merge && !is_json(content_type) {
        return Err(bad_merge(
            "POST merges JSON: send the document as application/json.",
        ));
    }
    if mode == Write::Merge {
        json_object(&content, "posted")?;
    }
    // A concurrent writer can change the row between the read and the conditional write; then
    // the write changes nothing and the check runs again against the new state.
    for _ in 0..5 {
        let current = get(db, cx, id).await?;
        pre.check(current.as_ref().map(|d| d.etag.as_str()))?;
        let (bytes, ctype) = match (&current, mode) {
            (None, _) => (content.clone(), content_type.to_owned()),
            (
                Some(_),
                Write::Replace {
                    require_precondition,
                },
            ) => {
                if require_precondition && pre.is_empty() {
                    return Err(DocumentError::ExistsWithoutPrecondition);
                }
                (content.clone(), content_type.to_owned())
            }
            (Some(doc), Write::Merge) => {
                if !is_json(&doc.content_type) {
                    return Err(bad_merge(
                        "The stored document is not application/json, so it cannot be merged.",
                    ));
                }
                let mut merged = json_object(&doc.content, "stored")?;
                merged.extend(json_object(&content, "posted")?);
                let bytes =
                    serde_json::to_vec(&Value::Object(merged)).map_err(anyhow::Error::from)?;
                (bytes, doc.content_type.clone())
            }
        };
        let etag = etag_of(&bytes);
        let new = Content {
            bytes,
            content_type: &ctype,
            etag: &etag,
            updated_at: now_ms(),
        };
        let done = match &current {
            None => store::documents::insert(db, cx, id, new).await?,
            Some(doc) => store::documents::update(db, cx, id, &doc.etag, new).await?,
        };
        if done {
            return Ok(());
        }
    }
    Err(DocumentError::KeptChanging)
}

/// Deletes one document, honouring the preconditions; deleting a missing one is no error.
pub async fn delete(db: &Db, cx: &Context, id: &str, pre: &Preconditions) -> DocumentResult<()> {
    let current = get(db, cx, id).await?;
    let etag = current.as_ref().map(|d| d.etag.as_str());
    pre.check(etag)?;
    let Some(etag) = etag else {
        return Ok(());
    };
    let deleted = store::documents::delete(db, cx, id, etag).await?;
    if !deleted && !pre.is_empty() {
        return Err(DocumentError::PreconditionFailed(
            "The document changed while it was being deleted.",
        ));
    }
    Ok(())
}

/// Deletes every document of a context (the State resource's multiple-document DELETE).
pub async fn delete_all(db: &Db, cx: &Context) -> DocumentResult<()> {
    Ok(store::documents::delete_all(db, cx).await?)
}
