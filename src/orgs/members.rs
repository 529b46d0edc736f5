//! Adding, listing and changing members of an organisation.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    accounts::{self, password, OrgRole, User},
    db::{time::now_ms, Db},
    error::{AppError, AppResult, FieldError},
    values::Email,
};

/// What an admin supplies for one new member (from JSON or one CSV row).
pub struct NewMember {
    pub email: Email,
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: OrgRole,
}

#[derive(Debug)]
pub enum Added {
    /// A new account was created, a member at once.
    Created(User),
    /// An existing account was invited: it joins when its owner accepts.
    Invited(User),
}

/// Adds a member, creating the account when the e-mail is new (then a display name and a
/// password are required). An existing account is invited instead, and its name and password
/// are never touched.
pub async fn add(db: &Db, org_id: &str, new: NewMember) -> AppResult<Added> {
    if let Some(user) = accounts::find_by_email(db, &new.email).await? {
        if accounts::role_in(db, &user.id, org_id).await?.is_some() {
            return Err(already_member());
        }
        sqlx::query(
            "INSERT INTO member_invitations (org_id, user_id, role, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org_id)
        .bind(&user.id)
        .bind(new.role.as_str())
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
        return Ok(Added::Invited(user));
    }
    let added = {
        {
            let mut errors = Vec::new();
            let name = password::display_name(new.display_name.as_deref().unwrap_or_default())
                .map_err(|m| errors.push(FieldError::new("display_name", m)))
                .ok();
            let pw = password::Password::parse(new.password.as_deref().unwrap_or_default())
                .map_err(|m| errors.push(FieldError::new("password", m)))
                .ok();
            let (Some(name), Some(pw)) = (name, pw) else {
                return Err(AppError::Validation(errors));
            };
            let hash = password::hash(pw).await?;
            accounts::create_user(db, &new.email, &name, &hash, false).await?
        }
    };
    insert_membership(db, org_id, &added.id, new.role).await?;
    Ok(Added::Created(added))
}

fn already_member() -> AppError {
    AppError::conflict(
        "email",
        "This person is already a member of the organisation.",
    )
}

/// An organisation's invitation to the user.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct Invitation {
    pub org_id: String,
    pub org_name: String,
    #[schema(value_type = OrgRole)]
    pub role: String,
}

pub async fn invitations(db: &Db, user_id: &str) -> AppResult<Vec<Invitation>> {
    Ok(sqlx::query_as::<_, Invitation>(
        "SELECT i.org_id, o.name AS org_name, i.role FROM member_invitations i \
         JOIN orgs o ON o.id = i.org_id WHERE i.user_id = $1 ORDER BY i.created_at",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Accepts (joining with the invited role) or declines an invitation; 404 when there is none.
pub async fn answer(db: &Db, user_id: &str, org_id: &str, accept: bool) -> AppResult<()> {
    let role: String = sqlx::query_scalar(
        "DELETE FROM member_invitations WHERE org_id = $1 AND user_id = $2 RETURNING role",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if accept {
        let role = OrgRole::parse(&role).map_err(|m| anyhow::anyhow!("stored role: {m}"))?;
        match insert_membership(db, org_id, user_id, role).await {
            Err(AppError::Conflict { .. }) | Ok(()) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub async fn insert_membership(
    db: &Db,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
) -> AppResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now_ms())
    .execute(&db.pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(already_member());
    }
    Ok(())
}

#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    #[schema(value_type = OrgRole)]
    pub role: String,
    /// Epoch milliseconds internally; RFC 3339 on the wire.
    #[sqlx(rename = "created_at")]
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String)]
    pub joined_at: i64,
    /// `member`, or `invited` until the person accepts (then `joined_at` is the invitation's).
    pub status: String,
}

pub async fn list(db: &Db, org_id: &str) -> AppResult<Vec<MemberView>> {
    Ok(sqlx::query_as::<_, MemberView>(
        "SELECT u.id AS user_id, u.email, u.display_name, m.role, m.created_at, 'member' AS status \
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
         UNION ALL SELECT u.id, u.email, u.display_name, i.role, i.created_at, 'invited' \
         FROM member_invitations i JOIN users u ON u.id = i.user_id WHERE i.org_id = $1 \
         ORDER BY 3, 2",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?)
}

async fn admin_count(db: &Db, org_id: &str) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin'")
            .bind(org_id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Changes a member's role; the last admin cannot demote themself out of the organisation.
pub async fn set_role(db: &Db, org_id: &str, user_id: &str, role: OrgRole) -> AppResult<()> {
    let current = accounts::role_in(db, user_id, org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current == OrgRole::Admin && role != OrgRole::Admin && admin_count(db, org_id).await? <= 1 {
        return Err(AppError::conflict(
            "role",
            "An organisation must keep at least one admin.",
        ));
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(org_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Lifts a member's sign-in delays (`accounts::throttle::unlock`); 404 for a non-member.
pub async fn unlock(db: &Db, org_id: &str, user_id: &str) -> AppResult<()> {
    let email: String = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE m.org_id = $1 AND u.id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    accounts::throttle::unlock(db, &email).await
}

pub async fn remove(db: &Db, org_id: &str, user_id: &str) -> AppResult<()> {
    let current = accounts::role_in(db, user_id, org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current == OrgRole::Admin && admin_count(db, org_id).await? <= 1 {
        return Err(AppError::conflict(
            "user_id",
            "An organisation must keep at least one admin.",
        ));
    }
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
