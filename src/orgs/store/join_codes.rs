//! The `join_codes` table.

use sqlx::AnyConnection;

use crate::{db::Db, orgs::join_codes::JoinCode};

const COLUMNS: &str = "code, org_id, role, max_uses, uses, expires_at, revoked, created_at";

/// A code that can be redeemed now: `$1` the code, `$2` now.
const USABLE: &str = "code = $1 AND NOT revoked AND (max_uses IS NULL OR uses < max_uses) \
                      AND (expires_at IS NULL OR expires_at > $2)";

/// Inserts a learner code and returns it.
pub(crate) async fn insert(
    db: &Db,
    code: &str,
    org_id: &str,
    max_uses: Option<i64>,
    expires_at: Option<i64>,
    created_by: &str,
    created_at: i64,
) -> sqlx::Result<JoinCode> {
    sqlx::query_as::<_, JoinCode>(&format!(
        "INSERT INTO join_codes (code, org_id, role, max_uses, expires_at, created_by, created_at) \
         VALUES ($1, $2, 'learner', $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(code)
    .bind(org_id)
    .bind(max_uses)
    .bind(expires_at)
    .bind(created_by)
    .bind(created_at)
    .fetch_one(&db.pool)
    .await
}

/// The organisation's codes, newest first.
pub(crate) async fn of_org(db: &Db, org_id: &str) -> sqlx::Result<Vec<JoinCode>> {
    sqlx::query_as::<_, JoinCode>(&format!(
        "SELECT {COLUMNS} FROM join_codes WHERE org_id = $1 ORDER BY created_at DESC"
    ))
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// Revokes the organisation's code; returns the rows changed (0 or 1).
pub(crate) async fn revoke(db: &Db, org_id: &str, code: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE join_codes SET revoked = TRUE WHERE org_id = $1 AND code = $2")
            .bind(org_id)
            .bind(code)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// The number of codes equal to `code` that can be redeemed at `now` (0 or 1).
pub(crate) async fn usable_count(db: &Db, code: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM join_codes WHERE {USABLE}"))
        .bind(code)
        .bind(now)
        .fetch_one(&db.pool)
        .await
}

/// Counts one use of the code if it can be redeemed at `now`; returns its (org id, role).
pub(crate) async fn use_once(
    conn: &mut AnyConnection,
    code: &str,
    now: i64,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(&format!(
        "UPDATE join_codes SET uses = uses + 1 WHERE {USABLE} RETURNING org_id, role"
    ))
    .bind(code)
    .bind(now)
    .fetch_optional(conn)
    .await
}
