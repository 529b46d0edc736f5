//! The `issuer_keys` table: each organisation's signing keys, their secret halves sealed.

use crate::{credentials::keys::PublicKey, db::Db, db::Flag};

/// The name of the organisation that holds the key (retired keys too).
pub(crate) async fn org_name_of(db: &Db, key_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT o.name FROM issuer_keys k JOIN orgs o ON o.id = k.org_id WHERE k.id = $1",
    )
    .bind(key_id)
    .fetch_optional(&db.pool)
    .await
}

/// The id and sealed secret of the organisation's active key, if it has one.
pub(crate) async fn active(db: &Db, org_id: &str) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT id, sealed_secret FROM issuer_keys WHERE org_id = $1 AND active = TRUE")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await
}

/// The organisation and sealed secret of a key, active or retired.
pub(crate) async fn by_id(db: &Db, key_id: &str) -> sqlx::Result<(String, String)> {
    sqlx::query_as("SELECT org_id, sealed_secret FROM issuer_keys WHERE id = $1")
        .bind(key_id)
        .fetch_one(&db.pool)
        .await
}

/// Inserts an active key; fails with a unique violation when the organisation has one.
pub(crate) async fn insert(
    db: &Db,
    id: &str,
    org_id: &str,
    public_key: &str,
    sealed_secret: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO issuer_keys (id, org_id, public_key, sealed_secret, active, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, $5)",
    )
    .bind(id)
    .bind(org_id)
    .bind(public_key)
    .bind(sealed_secret)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Retires the organisation's active key as of `now`.
pub(crate) async fn retire_active(db: &Db, org_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE issuer_keys SET active = FALSE, retired_at = $1 WHERE org_id = $2 AND active = TRUE",
    )
    .bind(now)
    .bind(org_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every key of the organisation, newest first (their `did` left empty).
pub(crate) async fn published(db: &Db, org_id: &str) -> sqlx::Result<Vec<PublicKey>> {
    sqlx::query_as::<_, PublicKey>(
        "SELECT id, public_key, active, created_at, retired_at FROM issuer_keys \
         WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// The organisation holding the public key (multibase), and whether the key is active.
pub(crate) async fn owner_of(db: &Db, public_key: &str) -> sqlx::Result<Option<(String, bool)>> {
    let row: Option<(String, Flag)> =
        sqlx::query_as("SELECT org_id, active FROM issuer_keys WHERE public_key = $1")
            .bind(public_key)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(org, active)| (org, active.into())))
}
