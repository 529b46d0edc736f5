//! Users, their organisation roles, sessions (and their cache) and login throttling.

pub mod password;
pub mod preferences;
pub mod sessions;
mod store;
pub mod throttle;
pub mod tokens;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    db::{is_unique_violation, time::now_ms, Db},
    error::{Error, Result},
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

pub async fn create_user(
    db: &Db,
    email: &Email,
    display_name: &Text,
    password_hash: &str,
    is_superadmin: bool,
) -> Result<User> {
    let id = uuid::Uuid::now_v7().to_string();
    let user = store::insert_user(
        db,
        &id,
        email.as_str(),
        display_name.as_str(),
        password_hash,
        is_superadmin,
        now_ms(),
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("email", "A user with this e-mail address already exists.")
        } else {
            e.into()
        }
    })?;
    Ok(user)
}

pub async fn find_by_email(db: &Db, email: &Email) -> Result<Option<User>> {
    Ok(store::user_by_email(db, email.as_str()).await?)
}

/// The user with this id.
pub async fn find(db: &Db, id: &str) -> Result<Option<User>> {
    Ok(store::user_by_id(db, id).await?)
}

pub async fn password_hash_of(db: &Db, user_id: &str) -> Result<Option<String>> {
    Ok(store::password_hash(db, user_id).await?)
}

pub async fn role_in(db: &Db, user_id: &str, org_id: &str) -> Result<Option<OrgRole>> {
    let role = store::role_in(db, user_id, org_id).await?;
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

pub async fn memberships(db: &Db, user_id: &str) -> Result<Vec<Membership>> {
    Ok(store::memberships(db, user_id).await?)
}

pub async fn create_session(db: &Db, user_id: &str, ttl: Duration) -> Result<String> {
    let token = tokens::generate();
    let now = now_ms();
    store::insert_session(
        db,
        &tokens::digest(&token),
        user_id,
        now,
        now + ttl.as_millis() as i64,
    )
    .await?;
    Ok(token)
}
