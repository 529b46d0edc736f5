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
    error::{AppError, AppResult},
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

pub async fn create(db: &Db, name: &Text, slug: &Slug) -> AppResult<Org> {
    sqlx::query_as::<_, Org>(
        "INSERT INTO orgs (id, name, slug, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, slug, created_at",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(name.as_str())
    .bind(slug.as_str())
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("slug", "An organisation with this slug already exists.")
        } else {
            e.into()
        }
    })
}

pub async fn get(db: &Db, id: &str) -> AppResult<Org> {
    sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn find_by_slug(db: &Db, slug: &str) -> AppResult<Option<Org>> {
    Ok(
        sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every organisation for a superadmin; the user's own for anyone else.
pub async fn visible_to(db: &Db, user: &User) -> AppResult<Vec<Org>> {
    let rows = if user.is_superadmin {
        sqlx::query_as::<_, Org>("SELECT id, name, slug, created_at FROM orgs ORDER BY name")
            .fetch_all(&db.pool)
            .await?
    } else {
        sqlx::query_as::<_, Org>(
            "SELECT o.id, o.name, o.slug, o.created_at FROM orgs o \
             JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name",
        )
        .bind(&user.id)
        .fetch_all(&db.pool)
        .await?
    };
    Ok(rows)
}
