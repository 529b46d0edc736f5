//! Consortia: groups of organisations that share resources. Sharing grants read and reuse,
//! never ownership. An organisation joins by invitation and acceptance, and may leave.

mod store;

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    accounts::{OrgRole, User},
    db::{is_unique_violation, time::now_ms, Db},
    error::{Error, Result},
    values::{Slug, Text},
};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct Consortium {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// The founding organisation.
    pub created_by: String,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String)]
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct ConsortiumMember {
    pub org_id: String,
    pub name: String,
    pub slug: String,
    /// `invited` or `active`.
    pub status: String,
}

pub async fn create(db: &Db, name: &Text, slug: &Slug, founder_org: &str) -> Result<Consortium> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let consortium = store::insert(
        &mut tx,
        &uuid::Uuid::now_v7().to_string(),
        name.as_str(),
        slug.as_str(),
        founder_org,
        now,
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("slug", "A consortium with this slug already exists.")
        } else {
            e.into()
        }
    })?;
    store::insert_active_member(&mut tx, &consortium.id, founder_org, now).await?;
    tx.commit().await?;
    Ok(consortium)
}

pub async fn get(db: &Db, id: &str) -> Result<Consortium> {
    store::by_id(db, id).await?.ok_or(Error::NotFound)
}

/// Consortia any of the user's organisations belongs to or is invited to (all for a superadmin).
pub async fn visible_to(db: &Db, user: &User) -> Result<Vec<Consortium>> {
    if user.is_superadmin {
        return Ok(store::all(db).await?);
    }
    Ok(store::of_member(db, &user.id).await?)
}

/// A consortium as one organisation sees it: its own status there (`invited` or `active`).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OrgConsortium {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
}

/// The consortia an organisation is in or invited to, by name.
pub async fn of_org(db: &Db, org_id: &str) -> Result<Vec<OrgConsortium>> {
    Ok(store::of_org(db, org_id).await?)
}

pub async fn members(db: &Db, consortium_id: &str) -> Result<Vec<ConsortiumMember>> {
    Ok(store::members(db, consortium_id).await?)
}

/// The status of `org_id` in the consortium, if it is in it at all.
pub async fn status_of(db: &Db, consortium_id: &str, org_id: &str) -> Result<Option<String>> {
    Ok(store::status_of(db, consortium_id, org_id).await?)
}

/// True when the user is a member (any role) of an organisation in the consortium (invited or
/// active), or holds `role` there when given.
pub async fn user_in(
    db: &Db,
    user: &User,
    consortium_id: &str,
    role: Option<OrgRole>,
    active_only: bool,
) -> Result<bool> {
    if user.is_superadmin {
        return Ok(true);
    }
    let n = store::member_orgs_of_user(
        db,
        consortium_id,
        &user.id,
        role.map(OrgRole::as_str).unwrap_or(""),
        active_only,
    )
    .await?;
    Ok(n > 0)
}

pub async fn invite(db: &Db, consortium_id: &str, org_id: &str) -> Result<()> {
    let inserted = store::insert_invited_member(db, consortium_id, org_id, now_ms()).await?;
    if inserted == 0 {
        return Err(Error::conflict(
            "org_id",
            "This organisation is already invited or a member.",
        ));
    }
    Ok(())
}

pub async fn accept(db: &Db, consortium_id: &str, org_id: &str) -> Result<()> {
    match status_of(db, consortium_id, org_id).await?.as_deref() {
        None => return Err(Error::NotFound),
        Some("active") => {
            return Err(Error::conflict(
                "org_id",
                "This organisation is already a member.",
            ))
        }
        Some(_) => {}
    }
    Ok(store::activate_member(db, consortium_id, org_id, now_ms()).await?)
}

/// Leaving (or declining an invitation) removes the organisation; what it shared stops being
/// visible to the others at once, since visibility is computed from active memberships.
pub async fn leave(db: &Db, consortium_id: &str, org_id: &str) -> Result<()> {
    let n = store::delete_member(db, consortium_id, org_id).await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
