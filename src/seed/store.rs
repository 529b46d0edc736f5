//! The demo seed's SQL.

use crate::db::Db;

/// How many organisations exist.
pub(crate) async fn orgs_count(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(&db.pool)
        .await
}

/// Inserts the demo author, a user who cannot log in (its password hash is not a hash).
pub(crate) async fn insert_demo_author(db: &Db, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, is_superadmin, created_at) \
         VALUES ($1, 'demo-author@caravan.invalid', 'Demo author', '!', FALSE, $2)",
    )
    .bind(id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// (unit id, org id, course author) of the first demo video unit without an asset.
pub(crate) async fn bare_demo_video(db: &Db) -> sqlx::Result<Option<(String, String, String)>> {
    sqlx::query_as(
        "SELECT u.id, c.org_id, c.created_by FROM units u JOIN courses c ON c.id = u.course_id \
         JOIN orgs o ON o.id = c.org_id WHERE o.slug = 'demo' AND u.kind = 'video' AND u.asset_id IS NULL \
         ORDER BY c.id, u.position LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await
}
