//! The quizzes area's SQL: quizzes and their attempts.

use super::Score;
use crate::db::Db;

/// (pass mark, max attempts, questions JSON) of the quiz of `unit_id`, else of `source_id`.
pub(crate) async fn quiz(
    db: &Db,
    unit_id: &str,
    source_id: &str,
) -> sqlx::Result<Option<(i64, Option<i64>, String)>> {
    sqlx::query_as(
        "SELECT pass_mark, max_attempts, questions FROM quizzes WHERE unit_id IN ($1, $2) \
         ORDER BY CASE WHEN unit_id = $1 THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(unit_id)
    .bind(source_id)
    .fetch_optional(&db.pool)
    .await
}

/// Inserts or replaces the quiz of a unit.
pub(crate) async fn upsert(
    db: &Db,
    unit_id: &str,
    pass_mark: i64,
    max_attempts: Option<i64>,
    questions: &str,
    updated_by: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO quizzes (unit_id, pass_mark, max_attempts, questions, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id) DO UPDATE SET \
         pass_mark = excluded.pass_mark, max_attempts = excluded.max_attempts, \
         questions = excluded.questions, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(pass_mark)
    .bind(max_attempts)
    .bind(questions)
    .bind(updated_by)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The user's attempts at the unit's quiz: how many, and the best percent.
pub(crate) async fn attempts_of(
    db: &Db,
    unit_id: &str,
    user_id: &str,
) -> sqlx::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "SELECT COUNT(*), MAX(percent) FROM quiz_attempts WHERE unit_id = $1 AND user_id = $2",
    )
    .bind(unit_id)
    .bind(user_id)
    .fetch_one(&db.pool)
    .await
}

/// A scored attempt to store.
pub(crate) struct NewAttempt<'a> {
    pub id: String,
    pub unit_id: &'a str,
    pub user_id: &'a str,
    pub number: i64,
    pub answers: &'a str,
    pub score: &'a Score,
    pub statement_id: &'a str,
    pub created_at: i64,
}

/// Inserts the attempt; a unique violation means its number was taken meanwhile.
pub(crate) async fn insert_attempt(db: &Db, a: NewAttempt<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO quiz_attempts (id, unit_id, user_id, number, answers, raw, max, percent, \
         passed, statement_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(a.id)
    .bind(a.unit_id)
    .bind(a.user_id)
    .bind(a.number)
    .bind(a.answers)
    .bind(a.score.raw)
    .bind(a.score.max)
    .bind(a.score.percent)
    .bind(a.score.passed)
    .bind(a.statement_id)
    .bind(a.created_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The attempt recorded under this statement id, if any.
pub(crate) async fn attempt_by_statement(
    db: &Db,
    statement_id: &str,
) -> sqlx::Result<Option<RecordedAttempt>> {
    sqlx::query_as(
        "SELECT user_id, unit_id, number, raw, max, percent, passed FROM quiz_attempts \
         WHERE statement_id = $1",
    )
    .bind(statement_id)
    .fetch_optional(&db.pool)
    .await
}

/// An attempt as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct RecordedAttempt {
    pub user_id: String,
    pub unit_id: String,
    pub number: i64,
    pub raw: i64,
    pub max: i64,
    pub percent: f64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub passed: bool,
}

/// Removes an attempt whose statement could not be recorded.
pub(crate) async fn delete_attempt(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM quiz_attempts WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
