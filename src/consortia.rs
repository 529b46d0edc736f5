//! Consortia: groups of organisations that share resources. Sharing grants read and reuse,
//! never ownership. An organisation joins by invitation and acceptance, and may leave.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    accounts::{OrgRole, User},
    db::{is_unique_violation, time::now_ms, Db},
    error::{AppError, AppResult},
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

const COLUMNS: &str = "c.id, c.name, c.slug, c.created_by, c.created_at";

pub async fn create(db: &Db, name: &Text, slug: &Slug, founder_org: &str) -> AppResult<Consortium> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let consortium = sqlx::query_as::<_, Consortium>(
        "INSERT INTO consortia (id, name, slug, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, name, slug, created_by, created_at",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(name.as_str())
    .bind(slug.as_str())
    .bind(founder_org)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("slug", "A consortium with this slug already exists.")
        } else {
            e.into()
        }
    })?;
    sqlx::query(
        "INSERT INTO consortium_members (consortium_id, org_id, status, invited_at, joined_at) \
         VALUES ($1, $2, 'active', $3, $3)",
    )
    .bind(&consortium.id)
    .bind(founder_org)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(consortium)
}

pub async fn get(db: &Db, id: &str) -> AppResult<Consortium> {
    sqlx::query_as::<_, Consortium>(&format!(
        "SELECT {COLUMNS} FROM consortia c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Consortia any of the user's organisations belongs to or is invited to (all for a superadmin).
pub async fn visible_to(db: &Db, user: &User) -> AppResult<Vec<Consortium>> {
    if user.is_superadmin {
        let sql = format!("SELECT {COLUMNS} FROM consortia c ORDER BY c.name");
        return Ok(sqlx::query_as::<_, Consortium>(&sql)
            .fetch_all(&db.pool)
            .await?);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM consortia c WHERE EXISTS (SELECT 1 FROM consortium_members cm \
         JOIN memberships m ON m.org_id = cm.org_id WHERE cm.consortium_id = c.id \
         AND m.user_id = $1) ORDER BY c.name"
    );
    Ok(sqlx::query_as::<_, Consortium>(&sql)
        .bind(&user.id)
        .fetch_all(&db.pool)
        .await?)
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
pub async fn of_org(db: &Db, org_id: &str) -> AppResult<Vec<OrgConsortium>> {
    Ok(sqlx::query_as::<_, OrgConsortium>(
        "SELECT c.id, c.name, c.slug, cm.status FROM consortium_members cm \
         JOIN consortia c ON c.id = cm.consortium_id WHERE cm.org_id = $1 ORDER BY c.name",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn members(db: &Db, consortium_id: &str) -> AppResult<Vec<ConsortiumMember>> {
    Ok(sqlx::query_as::<_, ConsortiumMember>(
        "SELECT o.id AS org_id, o.name, o.slug, cm.status FROM consortium_members cm \
         JOIN orgs o ON o.id = cm.org_id WHERE cm.consortium_id = $1 ORDER BY o.name",
    )
    .bind(consortium_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The status of `org_id` in the consortium, if it is in it at all.
pub async fn status_of(db: &Db, consortium_id: &str, org_id: &str) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT status FROM consortium_members WHERE consortium_id = $1 AND org_id = $2",
    )
    .bind(consortium_id)
    .bind(org_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// True when the user is a member (any role) of an organisation in the consortium (invited or
/// active), or holds `role` there when given.
pub async fn user_in(
    db: &Db,
    user: &User,
    consortium_id: &str,
    role: Option<OrgRole>,
    active_only: bool,
) -> AppResult<bool> {
    if user.is_superadmin {
        return Ok(true);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM consortium_members cm JOIN memberships m ON m.org_id = cm.org_id \
         WHERE cm.consortium_id = $1 AND m.user_id = $2 AND ($3 = '' OR m.role = $3) \
         AND ($4 = FALSE OR cm.status = 'active')",
    )
    .bind(consortium_id)
    .bind(&user.id)
    .bind(role.map(OrgRole::as_str).unwrap_or(""))
    .bind(active_only)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

pub async fn invite(db: &Db, consortium_id: &str, org_id: &str) -> AppResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO consortium_members (consortium_id, org_id, status, invited_at) \
         VALUES ($1, $2, 'invited', $3) ON CONFLICT (consortium_id, org_id) DO NOTHING",
    )
    .bind(consortium_id)
    .bind(org_id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::conflict(
            "org_id",
            "This organisation is already invited or a member.",
        ));
    }
    Ok(())
}

pub async fn accept(db: &Db, consortium_id: &str, org_id: &str) -> AppResult<()> {
    match status_of(db, consortium_id, org_id).await?.as_deref() {
        None => return Err(AppError::NotFound),
        Some("active") => {
            return Err(AppError::conflict(
                "org_id",
                "This organisation is already a member.",
            ))
        }
        Some(_) => {}
    }
    sqlx::query(
        "UPDATE consortium_members SET status = 'active', joined_at = $1 \
         WHERE consortium_id = $2 AND org_id = $3",
    )
    .bind(now_ms())
    .bind(consortium_id)
    .bind(org_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Leaving (or declining an invitation) removes the organisation; what it shared stops being
/// visible to the others at once, since visibility is computed from active memberships.
pub async fn leave(db: &Db, consortium_id: &str, org_id: &str) -> AppResult<()> {
    let n = sqlx::query("DELETE FROM consortium_members WHERE consortium_id = $1 AND org_id = $2")
        .bind(consortium_id)
        .bind(org_id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
