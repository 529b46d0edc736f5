//! Issued credentials as stored: reading them for their learner and issuer, and revoking.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::store;
use crate::{
    db::{time::now_ms, Db},
    error::{Error, Result},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Record {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub course_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub hours: f64,
    pub credits: f64,
    pub key_id: String,
    pub document: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub share_hash: Option<String>,
    pub share_version: i64,
}

/// A credential as its learner or issuer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    pub id: String,
    /// The completed course; null for learning recognised from elsewhere.
    pub course_id: Option<String>,
    /// `course` or `external`.
    pub kind: String,
    pub org_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub hours: f64,
    pub credits: f64,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: i64,
    pub revoked: bool,
    #[serde(serialize_with = "crate::db::time::serialize_opt_ms")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    /// Whether a public share link is live.
    pub shared: bool,
    /// The signed Open Badges 3.0 credential (JSON-LD with its Data Integrity proof).
    #[schema(value_type = Object)]
    pub credential: Value,
}

impl Record {
    pub fn document(&self) -> Result<Value> {
        serde_json::from_str(&self.document).map_err(|e| Error::Internal(e.into()))
    }

    pub fn view(&self) -> Result<CredentialView> {
        Ok(CredentialView {
            id: self.id.clone(),
            course_id: self.course_id.clone(),
            kind: self.kind.clone(),
            org_id: self.org_id.clone(),
            name: self.name.clone(),
            domain: self.domain.clone(),
            level: self.level,
            hours: self.hours,
            credits: self.credits,
            issued_at: self.issued_at,
            revoked: self.revoked_at.is_some(),
            revoked_at: self.revoked_at,
            revoked_reason: self.revoked_reason.clone(),
            shared: self.share_hash.is_some(),
            credential: self.document()?,
        })
    }
}

pub async fn get(db: &Db, id: &str) -> Result<Record> {
    store::credentials::by_id(db, id)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn by_share_hash(db: &Db, hash: &str) -> Result<Record> {
    store::credentials::by_share_hash(db, hash)
        .await?
        .ok_or(Error::NotFound)
}

/// A learner's credentials, newest first.
pub async fn of_learner(db: &Db, user_id: &str) -> Result<Vec<Record>> {
    Ok(store::credentials::of_learner(db, user_id).await?)
}

/// An organisation's issued credentials, newest first.
pub async fn of_org(db: &Db, org_id: &str, limit: i64) -> Result<Vec<Record>> {
    Ok(store::credentials::of_org(db, org_id, limit).await?)
}

/// Revokes the credential; its status list shows it from now on. Revoking twice keeps the
/// first reason and date.
pub async fn revoke(db: &Db, id: &str, by: &str, reason: &str) -> Result<()> {
    store::credentials::revoke(db, id, by, reason, now_ms()).await?;
    Ok(())
}

/// When the credential at this status position was revoked, if it was.
pub async fn revoked_at(db: &Db, key_id: &str, list: i64, index: i64) -> Result<Option<i64>> {
    Ok(store::credentials::revoked_at(db, key_id, list, index).await?)
}
