//! The learning account (credit bank): one entry per issued credential, totals by domain and
//! level, what converts to academic credit, and the export a credit bank takes up. Revoked
//! credentials stay listed, marked, and count toward nothing.

use serde::Serialize;
use utoipa::ToSchema;

use super::store;
use crate::{db::Db, error::Result};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Entry {
    /// Stable id of the entry (the same in every export).
    pub id: String,
    pub credential_id: String,
    pub org_id: String,
    pub org_name: String,
    pub course_id: Option<String>,
    pub name: String,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub hours: f64,
    /// The credential's credit value.
    pub credits: f64,
    /// What the issuing organisation's rules convert it to.
    pub convertible: f64,
    /// The rule applied, in words.
    pub rule: String,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub earned_at: i64,
    #[serde(serialize_with = "crate::db::time::serialize_opt_ms")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Default, Serialize, ToSchema, PartialEq)]
pub struct Totals {
    pub credentials: i64,
    pub hours: f64,
    pub credits: f64,
    pub convertible: f64,
}

impl Totals {
    fn add(&mut self, e: &Entry) {
        self.credentials += 1;
        self.hours = round2(self.hours + e.hours);
        self.credits = round2(self.credits + e.credits);
        self.convertible = round2(self.convertible + e.convertible);
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The domain slug or level (as text); `""` when the credential has none.
    pub key: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    /// Credentials in force (not revoked).
    pub totals: Totals,
    pub by_domain: Vec<Group>,
    pub by_level: Vec<Group>,
    /// Entries in force that convert to credit.
    pub convertible: Vec<Entry>,
    /// Every entry, newest first, revoked ones included and marked.
    pub entries: Vec<Entry>,
}

pub async fn entries(db: &Db, user_id: &str) -> Result<Vec<Entry>> {
    Ok(store::credits::entries(db, user_id).await?)
}

pub fn summarise(entries: Vec<Entry>) -> Account {
    let mut totals = Totals::default();
    let mut by_domain: Vec<Group> = Vec::new();
    let mut by_level: Vec<Group> = Vec::new();
    for e in entries.iter().filter(|e| e.revoked_at.is_none()) {
        totals.add(e);
        let domain = e.domain.clone().unwrap_or_default();
        let level = e.level.map(|l| l.to_string()).unwrap_or_default();
        for (groups, key) in [(&mut by_domain, domain), (&mut by_level, level)] {
            match groups.iter_mut().find(|g| g.key == key) {
                Some(g) => g.totals.add(e),
                None => {
                    let mut t = Totals::default();
                    t.add(e);
                    groups.push(Group { key, totals: t });
                }
            }
        }
    }
    by_domain.sort_by(|a, b| a.key.cmp(&b.key));
    by_level.sort_by(|a, b| a.key.cmp(&b.key));
    let convertible = entries
        .iter()
        .filter(|e| e.revoked_at.is_none() && e.convertible > 0.0)
        .cloned()
        .collect();
    Account {
        totals,
        by_domain,
        by_level,
        convertible,
        entries,
    }
}

/// One exported row: pseudonymous (the learner's stable id, never a name or address).
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportRow {
    pub entry_id: String,
    pub credential_id: String,
    pub learner_id: String,
    pub org_id: String,
    pub course_id: Option<String>,
    pub achievement: String,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub hours: f64,
    pub credits: f64,
    pub convertible: f64,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub earned_at: i64,
    #[serde(serialize_with = "crate::db::time::serialize_opt_ms")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<i64>,
    /// When the row last changed (issue or revocation); `since` filters on it.
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: i64,
}

pub const EXPORT_COLUMNS: [&str; 14] = [
    "entry_id",
    "credential_id",
    "learner_id",
    "org_id",
    "course_id",
    "achievement",
    "domain",
    "level",
    "hours",
    "credits",
    "convertible",
    "earned_at",
    "revoked_at",
    "updated_at",
];

/// The organisation's entries changed at or after `since`, oldest change first: the same
/// request gives the same rows with the same ids, so re-exports are idempotent.
pub async fn export(db: &Db, org_id: &str, since: i64) -> Result<Vec<ExportRow>> {
    Ok(store::credits::export(db, org_id, since).await?)
}
