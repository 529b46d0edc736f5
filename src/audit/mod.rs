//! The audit log: administrative actions (member changes, publishing, credentials issued and
//! revoked, signing-key rotation, exports, LRS clients, join codes, the registration switch) as
//! rows with who, what, when, which the organisation's admins read.
//!
//! An entry is written after the action succeeded. Should writing it fail, the action stands
//! and the failure is logged at `error` (a refused action is never recorded as done).

mod store;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    accounts::User,
    db::{time, Db},
    error::Result,
};

/// Records that `actor` did `action` to `target` in the organisation.
pub async fn record(
    db: &Db,
    org_id: &str,
    actor: &User,
    action: &str,
    target: &str,
    detail: Value,
) {
    let id = uuid::Uuid::now_v7().to_string();
    let detail = detail.to_string();
    let row = store::NewRow {
        id: &id,
        org_id,
        actor_id: &actor.id,
        actor: &actor.email,
        action,
        target,
        detail: &detail,
        at: time::now_ms(),
    };
    if let Err(e) = store::insert(db, row).await {
        tracing::error!(error = %e, org_id, action, target, "the audit log missed an entry");
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Entry {
    pub id: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// The account that acted (null once it is deleted) and its e-mail address then.
    pub actor_id: Option<String>,
    pub actor: String,
    /// e.g. `member.added`, `course.published`, `credential.revoked`.
    pub action: String,
    /// What it was done to: a user, course, credential, client id, code.
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// The organisation's entries, newest first; `before` (an entry's id) pages back.
pub async fn list(db: &Db, org_id: &str, before: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    let rows = store::page(db, org_id, before, limit.clamp(1, 500)).await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            at: time::to_rfc3339(r.at),
            actor_id: r.actor_id,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: serde_json::from_str(&r.detail).unwrap_or(Value::Null),
        })
        .collect())
}
