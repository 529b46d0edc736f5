//! The audit log's rows.

use crate::db::Db;

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: i64,
}

pub(crate) struct NewRow<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub actor_id: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
    pub at: i64,
}

pub(crate) async fn insert(db: &Db, r: NewRow<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, actor_id, actor, action, target, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.id)
    .bind(r.org_id)
    .bind(r.actor_id)
    .bind(r.actor)
    .bind(r.action)
    .bind(r.target)
    .bind(r.detail)
    .bind(r.at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The organisation's entries before the id `before` (all when `None`), newest first.
pub(crate) async fn page(
    db: &Db,
    org_id: &str,
    before: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(
        "SELECT id, actor_id, actor, action, target, detail, at FROM audit_log \
         WHERE org_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(org_id)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}
