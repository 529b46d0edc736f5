//! Join codes let learners register themselves into an organisation from a phone.
//!
//! Codes are short enough to copy from a classroom board, drawn from an alphabet without
//! look-alike characters, and only ever grant the learner role.

use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use super::store::{join_codes as store, members::insert_membership};
use crate::{
    accounts::OrgRole,
    db::{time::now_ms, Db},
    error::{Error, Result},
};

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const LEN: usize = 10;

fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Codes are typed by people: ignore case, spaces and hyphens.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct JoinCode {
    pub code: String,
    pub org_id: String,
    #[schema(value_type = OrgRole)]
    pub role: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    #[serde(serialize_with = "crate::db::time::serialize_opt_ms")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "crate::db::Flag")]
    pub revoked: bool,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String)]
    pub created_at: i64,
}

pub async fn create(
    db: &Db,
    org_id: &str,
    created_by: &str,
    max_uses: Option<i64>,
    expires_at: Option<i64>,
) -> Result<JoinCode> {
    Ok(store::insert(
        db,
        &generate(),
        org_id,
        max_uses,
        expires_at,
        created_by,
        now_ms(),
    )
    .await?)
}

pub async fn list(db: &Db, org_id: &str) -> Result<Vec<JoinCode>> {
    Ok(store::of_org(db, org_id).await?)
}

pub async fn revoke(db: &Db, org_id: &str, code: &str) -> Result<()> {
    let n = store::revoke(db, org_id, &normalise(code)).await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

fn unusable() -> Error {
    Error::field("code", "This join code is unknown, expired or used up.")
}

/// Fails unless the code can be redeemed now.
pub async fn peek(db: &Db, code: &str) -> Result<()> {
    let n = store::usable_count(db, &normalise(code), now_ms()).await?;
    if n == 0 {
        return Err(unusable());
    }
    Ok(())
}

/// Uses the code for `user_id`; the use is counted only if the membership is created.
pub async fn redeem(db: &Db, code: &str, user_id: &str) -> Result<(String, OrgRole)> {
    let mut tx = db.pool.begin().await?;
    let row = store::use_once(&mut tx, &normalise(code), now_ms()).await?;
    let (org_id, role) = row.ok_or_else(unusable)?;
    let role = OrgRole::parse(&role).map_err(|m| Error::Internal(anyhow::anyhow!(m)))?;
    let inserted = insert_membership(&mut tx, &org_id, user_id, role.as_str(), now_ms()).await?;
    if inserted == 0 {
        return Err(Error::conflict(
            "code",
            "You are already a member of this organisation.",
        ));
    }
    tx.commit().await?;
    Ok((org_id, role))
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_typeable() {
        let c = super::generate();
        assert_eq!(c.len(), super::LEN);
        assert!(!c.contains(['0', 'O', '1', 'I']));
        assert_eq!(super::normalise(" abcd-efgh 23 "), "ABCDEFGH23");
    }
}
