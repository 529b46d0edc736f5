//! The consortia area's SQL: consortia and their member organisations.

use sqlx::AnyConnection;

use super::{Consortium, ConsortiumMember, OrgConsortium};
use crate::{db::Db, orgs::store::membership};

const COLUMNS: &str = "c.id, c.name, c.slug, c.created_by, c.created_at";

/// Inserts a consortium and returns it; fails with a unique violation when the slug is taken.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    name: &str,
    slug: &str,
    created_by: &str,
    created_at: i64,
) -> sqlx::Result<Consortium> {
    sqlx::query_as::<_, Consortium>(
        "INSERT INTO consortia (id, name, slug, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, name, slug, created_by, created_at",
    )
    .bind(id)
    .bind(name)
    .bind(slug)
    .bind(created_by)
    .bind(created_at)
    .fetch_one(conn)
    .await
}

/// Inserts an organisation as an active member, invited and joined at `at`.
pub(crate) async fn insert_active_member(
    conn: &mut AnyConnection,
    consortium_id: &str,
    org_id: &str,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consortium_members (consortium_id, org_id, status, invited_at, joined_at) \
         VALUES ($1, $2, 'active', $3, $3)",
    )
    .bind(consortium_id)
    .bind(org_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The consortium with this id.
pub(crate) async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<Consortium>> {
    sqlx::query_as::<_, Consortium>(&format!(
        "SELECT {COLUMNS} FROM consortia c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Every consortium, by name.
pub(crate) async fn all(db: &Db) -> sqlx::Result<Vec<Consortium>> {
    let sql = format!("SELECT {COLUMNS} FROM consortia c ORDER BY c.name");
    sqlx::query_as::<_, Consortium>(&sql)
        .fetch_all(&db.pool)
        .await
}

/// The consortia with an organisation (invited or active) the user is a member of, by name.
pub(crate) async fn of_member(db: &Db, user_id: &str) -> sqlx::Result<Vec<Consortium>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consortia c WHERE EXISTS (SELECT 1 FROM consortium_members cm \
         WHERE cm.consortium_id = c.id AND EXISTS ({})) ORDER BY c.name",
        membership("m", "$1", "cm.org_id")
    );
    sqlx::query_as::<_, Consortium>(&sql)
        .bind(user_id)
        .fetch_all(&db.pool)
        .await
}

/// The consortia an organisation is in or invited to, with its status there, by name.
pub(crate) async fn of_org(db: &Db, org_id: &str) -> sqlx::Result<Vec<OrgConsortium>> {
    sqlx::query_as::<_, OrgConsortium>(
        "SELECT c.id, c.name, c.slug, cm.status FROM consortium_members cm \
         JOIN consortia c ON c.id = cm.consortium_id WHERE cm.org_id = $1 ORDER BY c.name",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// The consortium's member organisations with their statuses, by name.
pub(crate) async fn members(db: &Db, consortium_id: &str) -> sqlx::Result<Vec<ConsortiumMember>> {
    sqlx::query_as::<_, ConsortiumMember>(
        "SELECT o.id AS org_id, o.name, o.slug, cm.status FROM consortium_members cm \
         JOIN orgs o ON o.id = cm.org_id WHERE cm.consortium_id = $1 ORDER BY o.name",
    )
    .bind(consortium_id)
    .fetch_all(&db.pool)
    .await
}

/// The status of the organisation in the consortium, if it is in it.
pub(crate) async fn status_of(
    db: &Db,
    consortium_id: &str,
    org_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT status FROM consortium_members WHERE consortium_id = $1 AND org_id = $2",
    )
    .bind(consortium_id)
    .bind(org_id)
    .fetch_optional(&db.pool)
    .await
}

/// The number of the consortium's organisations (all, or only active ones) the user is a
/// member of, with `role` there unless `role` is empty.
pub(crate) async fn member_orgs_of_user(
    db: &Db,
    consortium_id: &str,
    user_id: &str,
    role: &str,
    active_only: bool,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM consortium_members cm WHERE cm.consortium_id = $1 \
         AND EXISTS ({} AND ($3 = '' OR m.role = $3)) AND ($4 = FALSE OR cm.status = 'active')",
        membership("m", "$2", "cm.org_id")
    ))
    .bind(consortium_id)
    .bind(user_id)
    .bind(role)
    .bind(active_only)
    .fetch_one(&db.pool)
    .await
}

/// Invites the organisation unless it is already invited or a member; returns the rows
/// inserted (0 or 1).
pub(crate) async fn insert_invited_member(
    db: &Db,
    consortium_id: &str,
    org_id: &str,
    invited_at: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO consortium_members (consortium_id, org_id, status, invited_at) \
         VALUES ($1, $2, 'invited', $3) ON CONFLICT (consortium_id, org_id) DO NOTHING",
    )
    .bind(consortium_id)
    .bind(org_id)
    .bind(invited_at)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Makes the organisation an active member, joined at `joined_at`.
pub(crate) async fn activate_member(
    db: &Db,
    consortium_id: &str,
    org_id: &str,
    joined_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE consortium_members SET status = 'active', joined_at = $1 \
         WHERE consortium_id = $2 AND org_id = $3",
    )
    .bind(joined_at)
    .bind(consortium_id)
    .bind(org_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes the organisation from the consortium; returns the rows deleted (0 or 1).
pub(crate) async fn delete_member(db: &Db, consortium_id: &str, org_id: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM consortium_members WHERE consortium_id = $1 AND org_id = $2")
            .bind(consortium_id)
            .bind(org_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
