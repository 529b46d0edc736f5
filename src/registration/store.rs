//! Registrations waiting for their address to confirm.

use crate::db::Db;

/// A registration as asked, before the address confirmed it.
#[derive(sqlx::FromRow)]
pub(crate) struct Pending {
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub language: String,
    pub target_groups: String,
    pub consented_at: Option<i64>,
    pub org_id: Option<String>,
}

pub(crate) async fn insert(
    db: &Db,
    token_hash: &str,
    p: &Pending,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO registrations (token_hash, email, display_name, password_hash, language, \
         target_groups, consented_at, org_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(token_hash)
    .bind(&p.email)
    .bind(&p.display_name)
    .bind(&p.password_hash)
    .bind(&p.language)
    .bind(&p.target_groups)
    .bind(p.consented_at)
    .bind(p.org_id.as_deref())
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Takes the unexpired registration of this token, and every other one of its address, so a
/// link works once.
pub(crate) async fn take(db: &Db, token_hash: &str, now: i64) -> sqlx::Result<Option<Pending>> {
    let mut tx = db.pool.begin().await?;
    let pending: Option<Pending> = sqlx::query_as(
        "DELETE FROM registrations WHERE token_hash = $1 AND expires_at > $2 \
         RETURNING email, display_name, password_hash, language, target_groups, consented_at, org_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(p) = &pending {
        sqlx::query("DELETE FROM registrations WHERE email = $1")
            .bind(&p.email)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(pending)
}

/// Forgets registrations nobody confirmed in time.
pub(crate) async fn prune(db: &Db, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}
