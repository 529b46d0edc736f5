//! The blobs area's SQL: the `blobs` table, and the bytes an organisation holds in it.

use super::BlobMeta;
use crate::db::Db;

/// The number of `blobs` rows of this SHA-256 (0 or 1).
pub(crate) async fn count(db: &Db, sha: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM blobs WHERE sha256 = $1")
        .bind(sha)
        .fetch_one(&db.pool)
        .await
}

/// Inserts a blob's row; an existing row of the same SHA-256 is left as it is.
pub(crate) async fn insert(
    db: &Db,
    sha: &str,
    bytes: i64,
    mime: &str,
    created_at: i64,
    crc32: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO blobs (sha256, bytes, mime, created_at, crc32) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha)
    .bind(bytes)
    .bind(mime)
    .bind(created_at)
    .bind(crc32)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The blob's delivery metadata.
pub(crate) async fn meta(db: &Db, sha: &str) -> sqlx::Result<Option<BlobMeta>> {
    sqlx::query_as("SELECT mime, bytes, created_at, crc32 FROM blobs WHERE sha256 = $1")
        .bind(sha)
        .fetch_optional(&db.pool)
        .await
}

/// The blob's MIME type and size.
pub(crate) async fn mime_and_bytes(db: &Db, sha: &str) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("SELECT mime, bytes FROM blobs WHERE sha256 = $1")
        .bind(sha)
        .fetch_optional(&db.pool)
        .await
}

/// Bytes of the distinct blobs the organisation's assets hold (sources and renditions).
pub(crate) async fn org_stored_bytes(db: &Db, org_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(b.bytes), 0) AS BIGINT) FROM blobs b WHERE b.sha256 IN \
         (SELECT source_sha256 FROM assets WHERE org_id = $1 \
          UNION SELECT r.sha256 FROM renditions r JOIN assets a ON a.id = r.asset_id \
          WHERE a.org_id = $1)",
    )
    .bind(org_id)
    .fetch_one(&db.pool)
    .await
}

/// Bytes the organisation's uploads in progress have declared.
pub(crate) async fn org_pending_upload_bytes(db: &Db, org_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(upload_length), 0) AS BIGINT) FROM uploads WHERE org_id = $1 AND asset_id IS NULL",
    )
    .bind(org_id)
    .fetch_one(&db.pool)
    .await
}
