//! Caravan's LRS store: every query of the `lrs` area, and the statement store built on them
//! (completing statements with what the LRS sets, extracting the indexed columns, and storing a
//! batch in one transaction with multi-row inserts).
//!
//! A statement id is stored once. Resending the same statement is a no-op and a different
//! statement under a known id is a conflict (Data 2.3.1), which makes offline batches safe to
//! resend.

pub(crate) mod clients;
pub(crate) mod definitions;
pub(crate) mod documents;
mod prepare;
pub(crate) mod query;
pub(crate) mod statements;
mod voiding;

use serde_json::{Map, Value};

use super::attachments::Received;
use crate::{
    db::{time::now_ms, Db, Placeholders},
    error::{Error, Result},
};
pub use prepare::{prepare, Prepared, WriteContext};
pub use statements::write_rows;

pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// What happened to each statement of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The same statement was already stored under this id.
    AlreadyStored,
}

/// Stores a batch atomically: all statements are accepted (new or unchanged resends) or none.
pub async fn insert(db: &Db, batch: &[Prepared], attachments: &[Received]) -> Result<Vec<Outcome>> {
    for attempt in 0.. {
        match try_insert(db, batch, attachments).await {
            // Another request stored one of these ids between our check and our insert: check
            // again, now that it is visible.
            Err(Error::Internal(e)) if attempt < 2 && is_unique(&e) => continue,
            other => return other,
        }
    }
    unreachable!()
}

fn is_unique(e: &anyhow::Error) -> bool {
    e.downcast_ref::<sqlx::Error>()
        .is_some_and(crate::db::is_unique_violation)
}

async fn try_insert(db: &Db, batch: &[Prepared], attachments: &[Received]) -> Result<Vec<Outcome>> {
    let all: Vec<&Prepared> = batch.iter().collect();
    voiding::check_voiding_targets(db, &all).await?;

    let _turn = db.write_turn().await;
    let mut tx = db.pool.begin().await?;
    let tenant = batch
        .first()
        .map(|p| tenant_of(&p.authority_id, p.org_id.as_deref()));
    for att in attachments {
        statements::insert_attachment(&mut tx, tenant.as_deref(), att, now_ms()).await?;
    }
    // Insert what is new; ids already stored come back as not inserted and must hold the same
    // statement (else the whole batch is refused and the transaction rolls back).
    let inserted = write_rows(&mut tx, db.backend, &all).await?;
    let known: Vec<&str> = batch
        .iter()
        .filter(|p| !inserted.contains(&p.id))
        .map(|p| p.id.as_str())
        .collect();
    let existing = statements::existing_bodies(&mut tx, &known).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for p in batch {
        if inserted.contains(&p.id) {
            outcomes.push(Outcome::Stored);
            continue;
        }
        match existing.get(&p.id) {
            Some(old) if equivalent(old, &p.body, p.timestamp_given) => {
                outcomes.push(Outcome::AlreadyStored)
            }
            _ => {
                return Err(Error::conflict(
                    "statementId",
                    format!(
                        "Statement {} is already stored with different content.",
                        p.id
                    ),
                ))
            }
        }
    }
    // Targets were checked before the transaction; the condition holds the rule again for a
    // target stored in between.
    let voiders = batch
        .iter()
        .filter(|p| inserted.contains(&p.id))
        .filter_map(|p| p.voids.as_deref().map(|t| (t, p)));
    for (target, voider) in voiders {
        if voider.authority_id.starts_with("user:") {
            statements::void_own(&mut tx, target, &voider.authority_id).await?;
        } else {
            statements::void_in_org(&mut tx, target, voider.org_id.as_deref()).await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

fn in_list(ph: &mut Placeholders, n: usize) -> String {
    (0..n).map(|_| ph.take()).collect::<Vec<_>>().join(", ")
}

/// Same statement, ignoring what the LRS sets or may change (Data 2.3.1 immutability
/// exceptions): authority, stored, version, and a timestamp the LRS filled in.
pub fn equivalent(stored: &Value, new: &Value, compare_timestamp: bool) -> bool {
    fn strip(v: &Value) -> Map<String, Value> {
        let mut m = v.as_object().cloned().unwrap_or_default();
        for key in ["authority", "stored", "version", "timestamp"] {
            m.remove(key);
        }
        m
    }
    let same_time = match (stored.get("timestamp"), new.get("timestamp")) {
        (Some(a), Some(b)) if compare_timestamp => {
            let instant = |v: &Value| v.as_str().and_then(crate::db::time::parse_rfc3339);
            a == b || matches!((instant(a), instant(b)), (Some(x), Some(y)) if x == y)
        }
        _ => true,
    };
    same_time && strip(stored) == strip(new)
}

/// Whose stored attachments a writer's statements use: a learner's own, or the organisation's
/// (its LRS clients and Caravan share them). Bytes are found only within the tenant that sent
/// them, so declaring another tenant's hash with a `fileUrl` returns nothing.
pub fn tenant_of(authority_id: &str, org_id: Option<&str>) -> String {
    match org_id {
        _ if authority_id.starts_with("user:") => authority_id.to_owned(),
        Some(org) => format!("org:{org}"),
        None => authority_id.to_owned(),
    }
}

/// Stored attachments by tenant and hash (those that exist).
pub async fn attachments(
    db: &Db,
    wanted: &[(String, String)],
) -> Result<Vec<(String, String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (tenant, hash) in wanted {
        if out.iter().any(|(h, _, _)| h == hash) {
            continue;
        }
        if let Some((content_type, bytes)) = statements::attachment(db, tenant, hash).await? {
            out.push((hash.clone(), content_type, bytes));
        }
    }
    Ok(out)
}
