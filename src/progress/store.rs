//! The progress area's SQL: unit and course progress rows, completion events, and what the
//! progress views read.

use super::{
    courses::CompletionEvent,
    units::{State, UnitInfo},
    view::UnitRow,
};
use crate::{
    accounts::User,
    db::{optional_float, Backend, Db},
};

/// What completion needs to know about the unit with this id.
pub(crate) async fn unit_info(db: &Db, unit_id: &str) -> sqlx::Result<Option<UnitInfo>> {
    sqlx::query_as::<_, UnitInfo>(
        "SELECT u.id, u.course_id, c.org_id, u.kind, a.duration_ms, \
         CASE WHEN x.unit_id IS NULL THEN 0 ELSE 1 END AS cmi5_au, \
         CASE WHEN s.unit_id IS NULL THEN 0 ELSE 1 END AS scorm_item FROM units u \
         JOIN courses c ON c.id = u.course_id LEFT JOIN assets a ON a.id = u.asset_id \
         LEFT JOIN cmi5_aus x ON x.unit_id = u.id \
         LEFT JOIN scorm_scos s ON s.unit_id = u.id WHERE u.id = $1",
    )
    .bind(unit_id)
    .fetch_optional(&db.pool)
    .await
}

/// The user with this id.
pub(crate) async fn user(db: &Db, user_id: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(
        "SELECT id, email, display_name, is_superadmin, created_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}

/// Starts the learner's unit progress row unless it exists.
pub(crate) async fn start_unit(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    unit_id: &str,
    course_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO unit_progress (user_id, unit_id, course_id, started_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, unit_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(unit_id)
    .bind(course_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Starts the learner's course progress row unless it exists.
pub(crate) async fn start_course(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    course_id: &str,
    org_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO course_progress (user_id, course_id, org_id, started_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, course_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(org_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The learner's state in a unit, its row locked for the transaction.
pub(crate) async fn lock_unit_state(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    user_id: &str,
    unit_id: &str,
) -> sqlx::Result<State> {
    let lock = backend.row_lock();
    sqlx::query_as::<_, State>(&format!(
        "SELECT segments, position_secs, position_at, score, completed_at FROM unit_progress \
         WHERE user_id = $1 AND unit_id = $2 {lock}"
    ))
    .bind(user_id)
    .bind(unit_id)
    .fetch_one(&mut *conn)
    .await
}

/// Writes the learner's merged state in a unit (`segments` in the profile's notation).
pub(crate) async fn save_unit_state(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    unit_id: &str,
    segments: String,
    st: &State,
    now: i64,
) -> sqlx::Result<()> {
    let (has_score, score) = optional_float(st.score);
    sqlx::query(
        "UPDATE unit_progress SET segments = $1, position_secs = $2, position_at = $3, \
         score = CASE WHEN $9 THEN $4 END, completed_at = $5, updated_at = $6 \
         WHERE user_id = $7 AND unit_id = $8",
    )
    .bind(segments)
    .bind(st.position_secs)
    .bind(st.position_at)
    .bind(score)
    .bind(st.completed_at)
    .bind(now)
    .bind(user_id)
    .bind(unit_id)
    .bind(has_score)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// (required units, of them completed by the learner) of a course.
pub(crate) async fn required_units(
    db: &Db,
    course_id: &str,
    user_id: &str,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COUNT(*), COUNT(p.completed_at) FROM units u \
         LEFT JOIN unit_progress p ON p.unit_id = u.id AND p.user_id = $2 \
         WHERE u.course_id = $1 AND u.required = TRUE",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_one(&db.pool)
    .await
}

/// A course's (org_id, title, language).
pub(crate) async fn course_summary(
    db: &Db,
    course_id: &str,
) -> sqlx::Result<Option<(String, String, String)>> {
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT org_id, title, language FROM courses WHERE id = $1",
    )
    .bind(course_id)
    .fetch_optional(&db.pool)
    .await
}

/// Records the learner's course completion unless it is recorded; true when this call did.
pub(crate) async fn complete_course(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    course_id: &str,
    statement_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE course_progress SET completed_at = $1, completion_statement_id = $2 \
         WHERE user_id = $3 AND course_id = $4 AND completed_at IS NULL",
    )
    .bind(now)
    .bind(statement_id)
    .bind(user_id)
    .bind(course_id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Queues a completion event in the outbox.
pub(crate) async fn insert_completion_event(
    conn: &mut sqlx::AnyConnection,
    event: &CompletionEvent,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO completion_events (id, user_id, course_id, org_id, completed_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&event.id)
    .bind(&event.user_id)
    .bind(&event.course_id)
    .bind(&event.org_id)
    .bind(event.completed_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Completion events not yet consumed, oldest first.
pub(crate) async fn pending_completions(db: &Db, limit: i64) -> sqlx::Result<Vec<CompletionEvent>> {
    sqlx::query_as::<_, CompletionEvent>(
        "SELECT id, user_id, course_id, org_id, completed_at FROM completion_events \
         WHERE consumed_at IS NULL ORDER BY completed_at, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Marks an event consumed unless it is; true when this call did.
pub(crate) async fn mark_consumed(db: &Db, event_id: &str, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE completion_events SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
    )
    .bind(now)
    .bind(event_id)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// A course's (org_id, title) and the learner's (started_at, completed_at) in it.
pub(crate) async fn course_progress(
    db: &Db,
    course_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<(String, String, Option<i64>, Option<i64>)>> {
    sqlx::query_as::<_, (String, String, Option<i64>, Option<i64>)>(
        "SELECT c.org_id, c.title, cp.started_at, cp.completed_at FROM courses c \
         LEFT JOIN course_progress cp ON cp.course_id = c.id AND cp.user_id = $2 \
         WHERE c.id = $1",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}

/// Every unit of a course in order, with the learner's progress in it.
pub(crate) async fn unit_rows(
    db: &Db,
    course_id: &str,
    user_id: &str,
) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as::<_, UnitRow>(
        "SELECT u.id, u.title, u.kind, u.required, a.duration_ms, p.segments, p.position_secs, \
         p.score, p.started_at, p.completed_at FROM units u \
         LEFT JOIN assets a ON a.id = u.asset_id \
         LEFT JOIN unit_progress p ON p.unit_id = u.id AND p.user_id = $2 \
         WHERE u.course_id = $1 ORDER BY u.position, u.id",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// The ids of the courses the learner has started, most recently started first.
pub(crate) async fn started_courses(db: &Db, user_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT course_id FROM course_progress WHERE user_id = $1 \
         ORDER BY started_at DESC, course_id",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}
