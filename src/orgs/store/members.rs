//! Memberships and member invitations.

use sqlx::AnyConnection;

use super::membership;
use crate::{
    db::Db,
    orgs::members::{Invitation, MemberView},
};

/// Inserts a membership unless the user already has one there; returns the rows inserted (0 or 1).
pub(crate) async fn insert_membership(
    conn: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
    role: &str,
    created_at: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role)
    .bind(created_at)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The organisation's members and invited people, by display name then e-mail.
pub(crate) async fn list(db: &Db, org_id: &str) -> sqlx::Result<Vec<MemberView>> {
    sqlx::query_as::<_, MemberView>(
        "SELECT u.id AS user_id, u.email, u.display_name, m.role, m.created_at, 'member' AS status \
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
         UNION ALL SELECT u.id, u.email, u.display_name, i.role, i.created_at, 'invited' \
         FROM member_invitations i JOIN users u ON u.id = i.user_id WHERE i.org_id = $1 \
         ORDER BY 3, 2",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// The number of admins of the organisation.
pub(crate) async fn admin_count(db: &Db, org_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin'")
        .bind(org_id)
        .fetch_one(&db.pool)
        .await
}

/// Sets a member's role.
pub(crate) async fn set_role(db: &Db, org_id: &str, user_id: &str, role: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role)
        .bind(org_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The e-mail of the user, if a member of the organisation.
pub(crate) async fn member_email(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(&format!(
        "SELECT u.email FROM users u WHERE EXISTS ({}) AND u.id = $2",
        membership("m", "u.id", "$1")
    ))
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}

/// Deletes a membership.
pub(crate) async fn delete_membership(db: &Db, org_id: &str, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Invites the user with `role`, replacing the role of an earlier invitation.
pub(crate) async fn upsert_invitation(
    db: &Db,
    org_id: &str,
    user_id: &str,
    role: &str,
    created_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO member_invitations (org_id, user_id, role, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role)
    .bind(created_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The user's invitations with their organisations' names, oldest first.
pub(crate) async fn invitations(db: &Db, user_id: &str) -> sqlx::Result<Vec<Invitation>> {
    sqlx::query_as::<_, Invitation>(
        "SELECT i.org_id, o.name AS org_name, i.role FROM member_invitations i \
         JOIN orgs o ON o.id = i.org_id WHERE i.user_id = $1 ORDER BY i.created_at",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// Deletes the user's invitation to the organisation; returns its role, if there was one.
pub(crate) async fn take_invitation(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM member_invitations WHERE org_id = $1 AND user_id = $2 RETURNING role",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}
