//! The xAPI document resources (Communication 2.2, 2.3, 2.6, 2.7): State, Activity Profile and
//! Agent Profile documents, stored as bytes with their content type, with optimistic
//! concurrency through ETags (Communication 3.1).
//!
//! Every write checks the caller's preconditions against the current ETag and then changes the
//! row only if it still has that ETag (or, for a new document, only if none appeared), so two
//! racing writers cannot both succeed on the same precondition.

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use crate::db::{time::now_ms, Db};

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

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::ActivityProfile => "activity_profile",
            Kind::AgentProfile => "agent_profile",
        }
    }
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

/// The entity tags of an `If-Match` or `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags {
    Any,
    /// (tag without quotes, is weak)
    List(Vec<(String, bool)>),
}

impl Tags {
    pub fn parse(header: &str) -> Tags {
        if header.trim() == "*" {
            return Tags::Any;
        }
        Tags::List(
            header
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let (t, weak) = match t.strip_prefix("W/") {
                        Some(rest) => (rest, true),
                        None => (t, false),
                    };
                    (t.trim_matches('"').to_ascii_lowercase(), weak)
                })
                .collect(),
        )
    }

    /// RFC 9110 13.1.1: If-Match uses the strong comparison, so weak tags never match.
    fn strong_match(&self, current: &str) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => tags.iter().any(|(t, weak)| !weak && t == current),
        }
    }

    /// RFC 9110 13.1.2: If-None-Match uses the weak comparison.
    fn weak_match(&self, current: &str) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => tags.iter().any(|(t, _)| t == current),
        }
    }
}

/// The concurrency headers of a write.
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    pub if_match: Option<Tags>,
    pub if_none_match: Option<Tags>,
}

impl Preconditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// Checks the headers against the current document's ETag (`None`: no document).
    fn check(&self, current: Option<&str>) -> DocumentResult<()> {
        let failed = DocumentError::PreconditionFailed;
        if let Some(tags) = &self.if_match {
            if !current.is_some_and(|c| tags.strong_match(c)) {
                return Err(failed(
                    "If-Match does not match the document's current ETag (or there is no document).",
                ));
            }
        }
        if let Some(tags) = &self.if_none_match {
            if current.is_some_and(|c| tags.weak_match(c)) {
                return Err(failed("If-None-Match matches the document's current ETag."));
            }
        }
        Ok(())
    }
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

const COLUMNS: &str = "content, content_type, etag, updated_at";
const KEY: &str =
    "tenant = $1 AND kind = $2 AND activity_id = $3 AND agent = $4 AND registration = $5";

pub async fn get(db: &Db, cx: &Context, id: &str) -> DocumentResult<Option<Document>> {
    Ok(sqlx::query_as::<_, Document>(&format!(
        "SELECT {COLUMNS} FROM xapi_documents WHERE {KEY} AND doc_id = $6"
    ))
    .bind(&cx.tenant)
    .bind(cx.kind.as_str())
    .bind(&cx.activity_id)
    .bind(&cx.agent)
    .bind(&cx.registration)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The ids of a context's documents changed after `since` (exclusive), oldest first, and
/// when the newest of them changed.
pub async fn ids(db: &Db, cx: &Context, since: Option<i64>) -> DocumentResult<(Vec<String>, i64)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT doc_id, updated_at FROM xapi_documents WHERE {KEY} AND updated_at > $6 \
         ORDER BY updated_at, doc_id"
    ))
    .bind(&cx.tenant)
    .bind(cx.kind.as_str())
    .bind(&cx.activity_id)
    .bind(&cx.agent)
    .bind(&cx.registration)
    .bind(since.unwrap_or(i64::MIN))
    .fetch_all(&db.pool)
    .await?;
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
        let done = match &current {
            None => insert(db, cx, id, bytes, &ctype, &etag).await?,
            Some(doc) => update(db, cx, id, &doc.etag, bytes, &ctype, &etag).await?,
        };
        if done {
            return Ok(());
        }
    }
    Err(DocumentError::KeptChanging)
}

async fn insert(
    db: &Db,
    cx: &Context,
    id: &str,
    bytes: Vec<u8>,
    content_type: &str,
    etag: &str,
) -> DocumentResult<bool> {
    let done = sqlx::query(
        "INSERT INTO xapi_documents (tenant, kind, activity_id, agent, registration, doc_id, \
         content, content_type, etag, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&cx.tenant)
    .bind(cx.kind.as_str())
    .bind(&cx.activity_id)
    .bind(&cx.agent)
    .bind(&cx.registration)
    .bind(id)
    .bind(bytes)
    .bind(content_type)
    .bind(etag)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a document only if it still has the ETag the caller's check was made against.
async fn update(
    db: &Db,
    cx: &Context,
    id: &str,
    expected: &str,
    bytes: Vec<u8>,
    content_type: &str,
    etag: &str,
) -> DocumentResult<bool> {
    let done = sqlx::query(&format!(
        "UPDATE xapi_documents SET content = $8, content_type = $9, etag = $10, updated_at = $11 \
         WHERE {KEY} AND doc_id = $6 AND etag = $7"
    ))
    .bind(&cx.tenant)
    .bind(cx.kind.as_str())
    .bind(&cx.activity_id)
    .bind(&cx.agent)
    .bind(&cx.registration)
    .bind(id)
    .bind(expected)
    .bind(bytes)
    .bind(content_type)
    .bind(etag)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes one document, honouring the preconditions; deleting a missing one is no error.
pub async fn delete(db: &Db, cx: &Context, id: &str, pre: &Preconditions) -> DocumentResult<()> {
    let current = get(db, cx, id).await?;
    let etag = current.as_ref().map(|d| d.etag.as_str());
    pre.check(etag)?;
    let Some(etag) = etag else {
        return Ok(());
    };
    let done = sqlx::query(&format!(
        "DELETE FROM xapi_documents WHERE {KEY} AND doc_id = $6 AND etag = $7"
    ))
    .bind(&cx.tenant)
    .bind(cx.kind.as_str())
    .bind(&cx.activity_id)
    .bind(&cx.agent)
    .bind(&cx.registration)
    .bind(id)
    .bind(etag)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 && !pre.is_empty() {
        return Err(DocumentError::PreconditionFailed(
            "The document changed while it was being deleted.",
        ));
    }
    Ok(())
}

/// Deletes every document of a context (the State resource's multiple-document DELETE).
pub async fn delete_all(db: &Db, cx: &Context) -> DocumentResult<()> {
    sqlx::query(&format!("DELETE FROM xapi_documents WHERE {KEY}"))
        .bind(&cx.tenant)
        .bind(cx.kind.as_str())
        .bind(&cx.activity_id)
        .bind(&cx.agent)
        .bind(&cx.registration)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Preconditions, Tags};

    #[test]
    fn preconditions_follow_rfc_9110() {
        let tags = Tags::parse(r#"W/"abc", "def""#);
        assert!(!tags.strong_match("abc") && tags.weak_match("abc"));
        assert!(tags.strong_match("def"));
        assert_eq!(Tags::parse(" * "), Tags::Any);
        let create_only = Preconditions {
            if_none_match: Some(Tags::Any),
            ..Default::default()
        };
        assert!(create_only.check(None).is_ok());
        assert!(create_only.check(Some("abc")).is_err());
        let update_only = Preconditions {
            if_match: Some(Tags::Any),
            ..Default::default()
        };
        assert!(update_only.check(None).is_err());
        assert!(update_only.check(Some("abc")).is_ok());
    }
}
