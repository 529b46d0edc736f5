//! Who may void what (Data 2.3.2), checked before a batch is stored and held again by the
//! insert's SQL for a target stored in between.

use std::collections::HashMap;

use super::{in_list, Prepared};
use crate::{
    db::{Db, Flag, Placeholders},
    error::{Error, Result},
};

/// Whose statements a voiding statement written by `voider` may void: a learner only those they
/// wrote themself (never what the organisation recorded about them), an LRS client or Caravan
/// only its own organisation's. The SQL twin of this rule is [`VOIDER_MAY_VOID`].
fn may_void(voider: &Prepared, target_org: Option<&str>, target_authority: &str) -> bool {
    if voider.authority_id.starts_with("user:") {
        return target_authority == voider.authority_id;
    }
    voider.org_id.is_some() && target_org == voider.org_id.as_deref()
}

/// The rule of [`may_void`] for a voiding row `v` and the statement being inserted, whose
/// `org_id` and `authority_id` are bound to the two placeholders (in that order).
/// (`{org}` comes first: SQLite's `?` placeholders bind in the order they appear.)
pub(super) const VOIDER_MAY_VOID: &str =
    "((v.authority_id NOT LIKE 'user:%' AND v.org_id = {org}) \
     OR (v.authority_id LIKE 'user:%' AND v.authority_id = {auth}))";

/// A statement a voiding statement targets: (id, is itself voiding, org, authority).
type Target = (String, bool, Option<String>, String);

/// Data 2.3.2: a voiding statement cannot target another voiding statement; and a caller may
/// only void statements it may reach (403, nothing stored).
pub(super) async fn check_voiding_targets(db: &Db, new: &[&Prepared]) -> Result<()> {
    let voiders: HashMap<&str, &Prepared> = new
        .iter()
        .filter_map(|p| p.voids.as_deref().map(|t| (t, *p)))
        .collect();
    if voiders.is_empty() {
        return Ok(());
    }
    let in_batch: HashMap<&str, &Prepared> = new.iter().map(|p| (p.id.as_str(), *p)).collect();
    let mut found: Vec<Target> = Vec::new();
    for (&target, _) in voiders.iter().filter(|(t, _)| in_batch.contains_key(**t)) {
        let p = in_batch[target];
        found.push((
            target.to_owned(),
            p.voids.is_some(),
            p.org_id.clone(),
            p.authority_id.clone(),
        ));
    }
    let targets: Vec<&str> = voiders.keys().copied().collect();
    stored_targets(db, &targets, &mut found).await?;
    for (id, _, org, authority) in &found {
        if !may_void(voiders[id.as_str()], org.as_deref(), authority) {
            return Err(Error::Denied {
                code: "xapi-void-forbidden",
                detail: format!("Statement {id} is not one this caller may void."),
            });
        }
    }
    match found.iter().find(|(_, voiding, _, _)| *voiding) {
        None => Ok(()),
        Some((id, ..)) => Err(Error::bad_request(
            "xapi-voids-voiding",
            format!("Statement {id} is itself a voiding statement and cannot be voided."),
        )),
    }
}

/// Appends to `found` those of `ids` that are stored.
async fn stored_targets(db: &Db, ids: &[&str], found: &mut Vec<Target>) -> sqlx::Result<()> {
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, voids IS NOT NULL, org_id, authority_id FROM xapi_statements WHERE id IN ({})",
            in_list(&mut Placeholders::default(), chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, Flag, Option<String>, String)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (id, voiding, org, authority) in query.fetch_all(&db.pool).await? {
            found.push((id, voiding.into(), org, authority));
        }
    }
    Ok(())
}
