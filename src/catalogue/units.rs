//! Units of a course, their order, and reuse of a shared course's units without copying bytes.

use serde::Serialize;
use utoipa::ToSchema;

use super::{courses::CourseRow, store, UnitKind};
use crate::{
    db::{time::now_ms, Db},
    error::{Error, Result},
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

pub async fn list(db: &Db, course_id: &str) -> Result<Vec<UnitView>> {
    Ok(store::units::list(db, course_id).await?)
}

pub async fn get(db: &Db, course_id: &str, unit_id: &str) -> Result<UnitView> {
    store::units::get(db, course_id, unit_id)
        .await?
        .ok_or(Error::NotFound)
}

pub struct NewUnit<'a> {
    pub kind: &'a str,
    pub title: &'a Text,
    pub required: bool,
    pub source_unit_id: Option<&'a str>,
    pub asset_id: Option<&'a str>,
}

pub async fn add(db: &Db, course_id: &str, unit: NewUnit<'_>) -> Result<UnitView> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.pool.begin().await?;
    let next = store::units::next_position(&mut tx, course_id).await?;
    let view = store::units::insert(&mut tx, &id, course_id, next, &unit, now_ms()).await?;
    store::courses::touch(&mut tx, course_id, now_ms()).await?;
    tx.commit().await?;
    Ok(view)
}

/// The course a unit belongs to, if the unit exists.
pub async fn course_of(db: &Db, unit_id: &str) -> Result<Option<String>> {
    Ok(store::units::course_of(db, unit_id).await?)
}

/// The unit to reuse and the id of the course it belongs to.
pub async fn find_with_course(db: &Db, unit_id: &str) -> Result<(UnitView, String)> {
    let course_id = course_of(db, unit_id)
        .await?
        .ok_or_else(|| Error::field("reuse_unit_id", "no such unit"))?;
    Ok((get(db, &course_id, unit_id).await?, course_id))
}

/// May `target_org` build on `source`'s units? Its own courses, published public ones, and
/// consortium courses of an organisation it shares an active consortium with.
pub async fn org_may_reuse(db: &Db, target_org: &str, source: &CourseRow) -> Result<bool> {
    if source.org_id == target_org {
        return Ok(true);
    }
    match source.visibility.as_str() {
        "public" => Ok(true),
        "consortium" => {
            let n = store::units::shared_active_consortia(db, target_org, &source.org_id).await?;
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
) -> Result<UnitView> {
    get(db, course_id, unit_id).await?;
    store::units::update(db, unit_id, title.map(Text::as_str), required).await?;
    get(db, course_id, unit_id).await
}

pub async fn delete(db: &Db, course_id: &str, unit_id: &str) -> Result<()> {
    let n = store::units::delete(db, course_id, unit_id).await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Sets the order; `ids` must name every unit of the course exactly once.
pub async fn reorder(db: &Db, course_id: &str, ids: &[String]) -> Result<Vec<UnitView>> {
    let current = list(db, course_id).await?;
    let mut given = ids.to_vec();
    given.sort();
    let mut have: Vec<String> = current.iter().map(|u| u.id.clone()).collect();
    have.sort();
    if given != have {
        return Err(Error::field(
            "unit_ids",
            "must list every unit of the course exactly once",
        ));
    }
    store::units::reorder(db, course_id, ids).await?;
    list(db, course_id).await
}
