//! Units of a course, their order, and reuse of a shared course's units without copying bytes.

use serde::Serialize;
use utoipa::ToSchema;

use super::{courses::CourseRow, UnitKind};
use crate::{
    db::{time::now_ms, Db},
    error::{AppError, AppResult},
    values::Text,
};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub position: i64,
    #[schema(value_type = UnitKind)]
    pub kind: String,
    pub title: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub required: bool,
    /// The original unit when this one reuses a shared course's unit.
    pub source_unit_id: Option<String>,
    pub asset_id: Option<String>,
}

const COLUMNS: &str = "id, position, kind, title, required, source_unit_id, asset_id";

pub async fn list(db: &Db, course_id: &str) -> AppResult<Vec<UnitView>> {
    Ok(sqlx::query_as::<_, UnitView>(&format!(
        "SELECT {COLUMNS} FROM units WHERE course_id = $1 ORDER BY position, id"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get(db: &Db, course_id: &str, unit_id: &str) -> AppResult<UnitView> {
    sqlx::query_as::<_, UnitView>(&format!(
        "SELECT {COLUMNS} FROM units WHERE course_id = $1 AND id = $2"
    ))
    .bind(course_id)
    .bind(unit_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)
}

pub struct NewUnit<'a> {
    pub kind: &'a str,
    pub title: &'a Text,
    pub required: bool,
    pub source_unit_id: Option<&'a str>,
    pub asset_id: Option<&'a str>,
}

pub async fn add(db: &Db, course_id: &str, unit: NewUnit<'_>) -> AppResult<UnitView> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.pool.begin().await?;
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM units WHERE course_id = $1")
            .bind(course_id)
            .fetch_one(&mut *tx)
            .await?;
    let view = sqlx::query_as::<_, UnitView>(&format!(
        "INSERT INTO units (id, course_id, position, kind, title, required, source_unit_id, asset_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(&id)
    .bind(course_id)
    .bind(next)
    .bind(unit.kind)
    .bind(unit.title.as_str())
    .bind(unit.required)
    .bind(unit.source_unit_id)
    .bind(unit.asset_id)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE courses SET updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(course_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(view)
}

/// The course a unit belongs to, if the unit exists.
pub async fn course_of(db: &Db, unit_id: &str) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT course_id FROM units WHERE id = $1")
            .bind(unit_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The unit to reuse and the id of the course it belongs to.
pub async fn find_with_course(db: &Db, unit_id: &str) -> AppResult<(UnitView, String)> {
    let course_id = course_of(db, unit_id)
        .await?
        .ok_or_else(|| AppError::field("reuse_unit_id", "no such unit"))?;
    Ok((get(db, &course_id, unit_id).await?, course_id))
}

/// May `target_org` build on `source`'s units? Its own courses, published public ones, and
/// consortium courses of an organisation it shares an active consortium with.
pub async fn org_may_reuse(db: &Db, target_org: &str, source: &CourseRow) -> AppResult<bool> {
    if source.org_id == target_org {
        return Ok(true);
    }
    match source.visibility.as_str() {
        "public" => Ok(true),
        "consortium" => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM consortium_members a JOIN consortium_members b \
                 ON a.consortium_id = b.consortium_id WHERE a.org_id = $1 AND b.org_id = $2 \
                 AND a.status = 'active' AND b.status = 'active'",
            )
            .bind(target_org)
            .bind(&source.org_id)
            .fetch_one(&db.pool)
            .await?;
            Ok(n > 0)
        }
        _ => Ok(false),
    }
}

pub async fn update(
    db: &Db,
    course_id: &str,
    unit_id: &str,
    title: Option<&Text>,
    required: Option<bool>,
) -> AppResult<UnitView> {
    get(db, course_id, unit_id).await?;
    sqlx::query("UPDATE units SET title = COALESCE($1, title), required = COALESCE($2, required) WHERE id = $3")
        .bind(title.map(Text::as_str))
        .bind(required)
        .bind(unit_id)
        .execute(&db.pool)
        .await?;
    get(db, course_id, unit_id).await
}

pub async fn delete(db: &Db, course_id: &str, unit_id: &str) -> AppResult<()> {
    let n = sqlx::query("DELETE FROM units WHERE course_id = $1 AND id = $2")
        .bind(course_id)
        .bind(unit_id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Sets the order; `ids` must name every unit of the course exactly once.
pub async fn reorder(db: &Db, course_id: &str, ids: &[String]) -> AppResult<Vec<UnitView>> {
    let current = list(db, course_id).await?;
    let mut given = ids.to_vec();
    given.sort();
    let mut have: Vec<String> = current.iter().map(|u| u.id.clone()).collect();
    have.sort();
    if given != have {
        return Err(AppError::field(
            "unit_ids",
            "must list every unit of the course exactly once",
        ));
    }
    let mut tx = db.pool.begin().await?;
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE units SET position = $1 WHERE id = $2 AND course_id = $3")
            .bind(i as i64 + 1)
            .bind(id)
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    list(db, course_id).await
}
