//! Organisations (colleges, training centres, enterprises) and their members.

pub mod import;
pub mod join_codes;
pub mod members;
pub mod store;

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    accounts::User,
    db::{is_unique_violation, time::now_ms, Db},
    error::{Error, Result},
    values::{Slug, Text},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: String,
}

impl From<Org> for OrgView {
    fn from(o: Org) -> Self {
        Self {
            id: o.id,
            name: o.name,
            slug: o.slug,
            created_at: crate::db::time::to_rfc3339(o.created_at),
        }
    }
}

pub async fn create(db: &Db, name: &Text, slug: &Slug) -> Result<Org> {
    store::orgs::insert(
        db,
        &uuid::Uuid::now_v7().to_string(),
        name.as_str(),
        slug.as_str(),
        now_ms(),
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("slug", "An organisation with this slug already exists.")
        } else {
            e.into()
        }
    })
}

pub async fn get(db: &Db, id: &str) -> Result<Org> {
    find(db, id).await?.ok_or(Error::NotFound)
}

/// The organisation with this id, if there is one.
pub async fn find(db: &Db, id: &str) -> Result<Option<Org>> {
    Ok(store::orgs::by_id(db, id).await?)
}

pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<Org>> {
    Ok(store::orgs::by_slug(db, slug).await?)
}

/// Every organisation for a superadmin; the user's own for anyone else.
pub async fn visible_to(db: &Db, user: &User) -> Result<Vec<Org>> {
    let rows = if user.is_superadmin {
        store::orgs::all(db).await?
    } else {
        store::orgs::of_member(db, &user.id).await?
    };
    Ok(rows)
}

/// Whether anyone may register into the organisation as a learner (404 when there is none).
pub async fn open_registration(db: &Db, id: &str) -> Result<bool> {
    store::orgs::open_registration(db, id)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn set_open_registration(db: &Db, id: &str, open: bool) -> Result<()> {
    Ok(store::orgs::set_open_registration(db, id, open).await?)
}
