//! The `orgs` table.

use super::membership;
use crate::{db::Db, orgs::Org};

/// Inserts an organisation and returns it; fails with a unique violation when the slug is taken.
pub(crate) async fn insert(
    db: &Db,
    id: &str,
    name: &str,
    slug: &str,
    created_at: i64,
) -> sqlx::Result<Org> {
    sqlx::query_as::<_, Org>(
        "INSERT INTO orgs (id, name, slug, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, slug, created_at",
    )
    .bind(id)
    .bind(name)
    .bind(slug)
    .bind(created_at)
    .fetch_one(&db.pool)
    .await
}

/// The organisation with this id.
pub(crate) async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<Org>> {
    sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The organisation with this slug.
pub(crate) async fn by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Org>> {
    sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&db.pool)
        .await
}

/// Every organisation, by name.
pub(crate) async fn all(db: &Db) -> sqlx::Result<Vec<Org>> {
    sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs ORDER BY name")
        .fetch_all(&db.pool)
        .await
}

/// The organisations the user is a member of, by name.
pub(crate) async fn of_member(db: &Db, user_id: &str) -> sqlx::Result<Vec<Org>> {
    sqlx::query_as::<_, Org>(&format!(
        "SELECT o.id, o.name, o.slug, o.created_at FROM orgs o \
         WHERE EXISTS ({}) ORDER BY o.name",
        membership("m", "$1", "o.id")
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// The number of organisations with this id (0 or 1).
pub(crate) async fn count_by_id(db: &Db, id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
}

/// Whether anyone may register into the organisation; `None` when there is no such one.
pub(crate) async fn open_registration(db: &Db, id: &str) -> sqlx::Result<Option<bool>> {
    let flag: Option<crate::db::Flag> =
        sqlx::query_scalar("SELECT open_registration FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(flag.map(bool::from))
}

pub(crate) async fn set_open_registration(db: &Db, id: &str, open: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE orgs SET open_registration = $1 WHERE id = $2")
        .bind(open)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
