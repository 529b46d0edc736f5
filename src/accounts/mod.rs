//! Users, their organisation roles, sessions and login throttling.

pub mod password;
pub mod preferences;
pub mod throttle;
pub mod tokens;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    db::{is_unique_violation, time::now_ms, Db},
    error::{AppError, AppResult},
    values::{Email, Text},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub is_superadmin: bool,
    pub created_at: i64,
}

/// A role within one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Admin,
    Teacher,
    Learner,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Teacher => "teacher",
            Self::Learner => "learner",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "teacher" => Ok(Self::Teacher),
            "learner" => Ok(Self::Learner),
            _ => Err("must be one of admin, teacher, learner"),
        }
    }

    /// Teachers and admins author content.
    pub fn can_author(self) -> bool {
        matches!(self, Self::Admin | Self::Teacher)
    }
}

const USER_COLUMNS: &str = "id, email, display_name, is_superadmin, created_at";

pub async fn create_user(
    db: &Db,
    email: &Email,
    display_name: &Text,
    password_hash: &str,
    is_superadmin: bool,
) -> AppResult<User> {
    let id = uuid::Uuid::now_v7().to_string();
    let user = sqlx::query_as::<_, User>(&format!(
        "INSERT INTO users (id, email, display_name, password_hash, is_superadmin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
    ))
    .bind(&id)
    .bind(email.as_str())
    .bind(display_name.as_str())
    .bind(password_hash)
    .bind(is_superadmin)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("email", "A user with this e-mail address already exists.")
        } else {
            e.into()
        }
    })?;
    Ok(user)
}

pub async fn find_by_email(db: &Db, email: &Email) -> AppResult<Option<User>> {
    Ok(sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email.as_str())
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn password_hash_of(db: &Db, user_id: &str) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn role_in(db: &Db, user_id: &str, org_id: &str) -> AppResult<Option<OrgRole>> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(role.and_then(|r| OrgRole::parse(&r).ok()))
}

/// The user's memberships as (org id, org slug, org name, role).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct Membership {
    pub org_id: String,
    pub org_slug: String,
    pub org_name: String,
    #[schema(value_type = OrgRole)]
    pub role: String,
}

pub async fn memberships(db: &Db, user_id: &str) -> AppResult<Vec<Membership>> {
    Ok(sqlx::query_as::<_, Membership>(
        "SELECT o.id AS org_id, o.slug AS org_slug, o.name AS org_name, m.role \
         FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn create_session(db: &Db, user_id: &str, ttl: Duration) -> AppResult<String> {
    let token = tokens::generate();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(tokens::digest(&token))
    .bind(user_id)
    .bind(now)
    .bind(now + ttl.as_millis() as i64)
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// The user a live token belongs to.
pub async fn user_for_token(db: &Db, token: &str) -> AppResult<Option<User>> {
    let digest = tokens::digest(token);
    let row = sqlx::query_as::<_, SessionUser>(
        "SELECT s.token_hash, u.id, u.email, u.display_name, u.is_superadmin, u.created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(&digest)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row
        .filter(|r| tokens::matches(token, &r.token_hash))
        .map(|r| User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            is_superadmin: r.is_superadmin,
            created_at: r.created_at,
        }))
}

#[derive(sqlx::FromRow)]
struct SessionUser {
    token_hash: String,
    id: String,
    email: String,
    display_name: String,
    #[sqlx(try_from = "crate::db::Flag")]
    is_superadmin: bool,
    created_at: i64,
}

pub async fn revoke_session(db: &Db, token: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(tokens::digest(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}
