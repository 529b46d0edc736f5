//! The uploads area's SQL: the `uploads` table.

use super::{NewUpload, Upload};
use crate::db::Db;

const COLUMNS: &str =
    "id, user_id, org_id, unit_id, filename, metadata, upload_length, upload_offset, \
                       parts, asset_id, expires_at";

/// Inserts an upload of no bytes yet; returns it.
pub(crate) async fn insert(
    db: &Db,
    id: &str,
    new: &NewUpload<'_>,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<Upload> {
    sqlx::query_as::<_, Upload>(&format!(
        "INSERT INTO uploads (id, user_id, org_id, unit_id, filename, metadata, upload_length, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(new.user_id)
    .bind(new.org_id)
    .bind(new.unit_id)
    .bind(new.filename)
    .bind(new.metadata)
    .bind(new.length as i64)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&db.pool)
    .await
}

/// The upload of this id, unless it expired by `now`.
pub(crate) async fn live(db: &Db, id: &str, now: i64) -> sqlx::Result<Option<Upload>> {
    sqlx::query_as::<_, Upload>(&format!(
        "SELECT {COLUMNS} FROM uploads WHERE id = $1 AND expires_at > $2"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await
}

/// Moves the upload's offset from `offset` to `new_offset` with its new parts (JSON) and
/// expiry; returns the upload, or `None` when its offset is no longer `offset`.
pub(crate) async fn advance_offset(
    db: &Db,
    id: &str,
    offset: i64,
    new_offset: i64,
    parts: &str,
    expires_at: i64,
) -> sqlx::Result<Option<Upload>> {
    sqlx::query_as::<_, Upload>(&format!(
        "UPDATE uploads SET upload_offset = $1, parts = $2, expires_at = $3 \
         WHERE id = $4 AND upload_offset = $5 RETURNING {COLUMNS}"
    ))
    .bind(new_offset)
    .bind(parts)
    .bind(expires_at)
    .bind(id)
    .bind(offset)
    .fetch_optional(&db.pool)
    .await
}

/// Deletes the upload's row.
pub(crate) async fn delete(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The ids of the uploads expired by `now`.
pub(crate) async fn expired_ids(db: &Db, now: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM uploads WHERE expires_at <= $1")
        .bind(now)
        .fetch_all(&db.pool)
        .await
}

/// Deletes the upload's row if it expired by `now` (a PATCH may have renewed it meanwhile).
pub(crate) async fn delete_expired(db: &Db, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM uploads WHERE id = $1 AND expires_at <= $2")
        .bind(id)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}
