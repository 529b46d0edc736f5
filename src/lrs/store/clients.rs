//! The `lrs_clients` rows: credentials an organisation's admins issue to other systems.

use crate::{db::Db, lrs::clients::ClientRow};

const COLUMNS: &str = "id, org_id, name, key, secret_digest, scopes, created_at";

/// A client as first stored.
pub(crate) struct NewClient<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub key: &'a str,
    pub secret_digest: String,
    pub scopes: String,
    pub created_by: &'a str,
    pub created_at: i64,
}

/// Inserts a client and returns its row.
pub(crate) async fn insert(db: &Db, new: NewClient<'_>) -> sqlx::Result<ClientRow> {
    sqlx::query_as::<_, ClientRow>(&format!(
        "INSERT INTO lrs_clients (id, org_id, name, key, secret_digest, scopes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(new.id)
    .bind(new.org_id)
    .bind(new.name)
    .bind(new.key)
    .bind(new.secret_digest)
    .bind(new.scopes)
    .bind(new.created_by)
    .bind(new.created_at)
    .fetch_one(&db.pool)
    .await
}

/// An organisation's active clients, oldest first.
pub(crate) async fn active(db: &Db, org_id: &str) -> sqlx::Result<Vec<ClientRow>> {
    sqlx::query_as::<_, ClientRow>(&format!(
        "SELECT {COLUMNS} FROM lrs_clients WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at, id"
    ))
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// Revokes an organisation's active client and returns its key (`None`: no such client).
pub(crate) async fn revoke(
    db: &Db,
    org_id: &str,
    id: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE lrs_clients SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL \
         RETURNING key",
    )
    .bind(now)
    .bind(id)
    .bind(org_id)
    .fetch_optional(&db.pool)
    .await
}

/// The active client with this key.
pub(crate) async fn by_key(db: &Db, key: &str) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query_as::<_, ClientRow>(&format!(
        "SELECT {COLUMNS} FROM lrs_clients WHERE key = $1 AND revoked_at IS NULL"
    ))
    .bind(key)
    .fetch_optional(&db.pool)
    .await
}
