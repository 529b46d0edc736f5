//! Units of courses.

use sqlx::AnyConnection;

use crate::{
    catalogue::units::{NewUnit, UnitView},
    db::Db,
};

const COLUMNS: &str = "id, position, kind, title, required, source_unit_id, asset_id";

/// The course's units in order.
pub(crate) async fn list(db: &Db, course_id: &str) -> sqlx::Result<Vec<UnitView>> {
    sqlx::query_as::<_, UnitView>(&format!(
        "SELECT {COLUMNS} FROM units WHERE course_id = $1 ORDER BY position, id"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await
}

/// The unit, if it belongs to the course.
pub(crate) async fn get(db: &Db, course_id: &str, unit_id: &str) -> sqlx::Result<Option<UnitView>> {
    sqlx::query_as::<_, UnitView>(&format!(
        "SELECT {COLUMNS} FROM units WHERE course_id = $1 AND id = $2"
    ))
    .bind(course_id)
    .bind(unit_id)
    .fetch_optional(&db.pool)
    .await
}

/// The position after the course's last unit.
pub(crate) async fn next_position(conn: &mut AnyConnection, course_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM units WHERE course_id = $1")
        .bind(course_id)
        .fetch_one(conn)
        .await
}

/// Inserts the unit at `position`; returns it as stored.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    course_id: &str,
    position: i64,
    unit: &NewUnit<'_>,
    now: i64,
) -> sqlx::Result<UnitView> {
    sqlx::query_as::<_, UnitView>(&format!(
        "INSERT INTO units (id, course_id, position, kind, title, required, source_unit_id, asset_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(course_id)
    .bind(position)
    .bind(unit.kind)
    .bind(unit.title.as_str())
    .bind(unit.required)
    .bind(unit.source_unit_id)
    .bind(unit.asset_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// The course a unit belongs to, if the unit exists.
pub(crate) async fn course_of(db: &Db, unit_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT course_id FROM units WHERE id = $1")
        .bind(unit_id)
        .fetch_optional(&db.pool)
        .await
}

/// How many active consortium memberships the two organisations share.
pub(crate) async fn shared_active_consortia(db: &Db, org: &str, other: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM consortium_members a JOIN consortium_members b \
         ON a.consortium_id = b.consortium_id WHERE a.org_id = $1 AND b.org_id = $2 \
         AND a.status = 'active' AND b.status = 'active'",
    )
    .bind(org)
    .bind(other)
    .fetch_one(&db.pool)
    .await
}

/// Sets the given fields of a unit (the `None` ones keep their value).
pub(crate) async fn update(
    db: &Db,
    unit_id: &str,
    title: Option<&str>,
    required: Option<bool>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE units SET title = COALESCE($1, title), required = COALESCE($2, required) WHERE id = $3")
        .bind(title)
        .bind(required)
        .bind(unit_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes the unit of the course; returns how many rows went (0 or 1).
pub(crate) async fn delete(db: &Db, course_id: &str, unit_id: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM units WHERE course_id = $1 AND id = $2")
            .bind(course_id)
            .bind(unit_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// Numbers the course's units 1, 2, … in the order of `ids`, in one transaction.
pub(crate) async fn reorder(db: &Db, course_id: &str, ids: &[String]) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE units SET position = $1 WHERE id = $2 AND course_id = $3")
            .bind(i as i64 + 1)
            .bind(id)
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}
