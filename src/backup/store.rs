//! The SQL of a backup: SQLite's consistent online copy, and the blobs a copy holds.

use crate::db::Db;

/// Writes a consistent copy of the live SQLite database to `path` (which must not exist)
/// while others keep reading and writing it.
pub(crate) async fn vacuum_into(db: &Db, path: &str) -> sqlx::Result<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Every blob the database knows: (sha256, bytes), by hash.
pub(crate) async fn blobs(db: &Db) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT sha256, bytes FROM blobs ORDER BY sha256")
        .fetch_all(&db.pool)
        .await
}
