//! Adding, listing and changing members of an organisation.

use serde::Serialize;
use utoipa::ToSchema;

use super::store::members as store;
use crate::{
    accounts::{self, password, OrgRole, User},
    db::{time::now_ms, Db},
    error::{Error, FieldError, Result},
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
pub async fn add(db: &Db, org_id: &str, new: NewMember) -> Result<Added> {
    if let Some(user) = accounts::find_by_email(db, &new.email).await? {
        if accounts::role_in(db, &user.id, org_id).await?.is_some() {
            return Err(already_member());
        }
        store::upsert_invitation(db, org_id, &user.id, new.role.as_str(), now_ms()).await?;
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
                return Err(Error::Validation(errors));
            };
            let hash = password::hash(pw).await?;
            accounts::create_user(db, &new.email, &name, &hash, false).await?
        }
    };
    insert_membership(db, org_id, &added.id, new.role).await?;
    Ok(Added::Created(added))
}

fn already_member() -> Error {
    Error::conflict(
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

pub async fn invitations(db: &Db, user_id: &str) -> Result<Vec<Invitation>> {
    Ok(store::invitations(db, user_id).await?)
}

/// Accepts (joining with the invited role) or declines an invitation; 404 when there is none.
pub async fn answer(db: &Db, user_id: &str, org_id: &str, accept: bool) -> Result<()> {
    let role = store::take_invitation(db, org_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    if accept {
        let role = OrgRole::parse(&role).map_err(|m| anyhow::anyhow!("stored role: {m}"))?;
        match insert_membership(db, org_id, user_id, role).await {
            Err(Error::Conflict { .. }) | Ok(()) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub async fn insert_membership(db: &Db, org_id: &str, user_id: &str, role: OrgRole) -> Result<()> {
    let mut conn = db.pool.acquire().await?;
    let inserted =
        store::insert_membership(&mut conn, org_id, user_id, role.as_str(), now_ms()).await?;
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

pub async fn list(db: &Db, org_id: &str) -> Result<Vec<MemberView>> {
    Ok(store::list(db, org_id).await?)
}

/// Changes a member's role; the last admin cannot demote themself out of the organisation.
pub async fn set_role(db: &Db, org_id: &str, user_id: &str, role: OrgRole) -> Result<()> {
    let current = accounts::role_in(db, user_id, org_id)
        .await?
        .ok_or(Error::NotFound)?;
    if current == OrgRole::Admin
        && role != OrgRole::Admin
        && store::admin_count(db, org_id).await? <= 1
    {
        return Err(Error::conflict(
            "role",
            "An organisation must keep at least one admin.",
        ));
    }
    Ok(store::set_role(db, org_id, user_id, role.as_str()).await?)
}

/// Lifts a member's sign-in delays (`accounts::throttle::unlock`); 404 for a non-member.
pub async fn unlock(db: &Db, org_id: &str, user_id: &str) -> Result<()> {
    let email = store::member_email(db, org_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    accounts::throttle::unlock(db, &email).await
}

pub async fn remove(db: &Db, org_id: &str, user_id: &str) -> Result<()> {
    let current = accounts::role_in(db, user_id, org_id)
        .await?
        .ok_or(Error::NotFound)?;
    if current == OrgRole::Admin && store::admin_count(db, org_id).await? <= 1 {
        return Err(Error::conflict(
            "user_id",
            "An organisation must keep at least one admin.",
        ));
    }
    Ok(store::delete_membership(db, org_id, user_id).await?)
}
