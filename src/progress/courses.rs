//! Course completion: recorded once per learner and course, with one `completed` statement and
//! one outbox event for the credentials feature.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::statements::{learner_actor, record_for_org};
use crate::{
    context::Context,
    db::{time::now_ms, Db},
    error::AppResult,
    lrs::identity,
};

/// A learner completed a course. Consumers read pending events and mark each consumed when
/// they have acted on it (at least once: mark after acting, and act idempotently).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct CompletionEvent {
    pub id: String,
    pub user_id: String,
    pub course_id: String,
    pub org_id: String,
    /// Epoch milliseconds.
    pub completed_at: i64,
}

/// Completes the course for the learner if every required unit is complete, and returns the
/// completion event when this call recorded it. Only the request whose update moves
/// `completed_at` from NULL wins, so concurrent checks record it once.
pub async fn check(
    state: &Context,
    user_id: &str,
    course_id: &str,
) -> AppResult<Option<CompletionEvent>> {
    let db = &state.db;
    let (required, done): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(p.completed_at) FROM units u \
         LEFT JOIN unit_progress p ON p.unit_id = u.id AND p.user_id = $2 \
         WHERE u.course_id = $1 AND u.required = TRUE",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    if required == 0 || done < required {
        return Ok(None);
    }
    let Some((org_id, title, language)) = sqlx::query_as::<_, (String, String, String)>(
        "SELECT org_id, title, language FROM courses WHERE id = $1",
    )
    .bind(course_id)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let now = now_ms();
    let statement_id = uuid::Uuid::new_v4().to_string();
    let mut tx = db.pool.begin().await?;
    let won = sqlx::query(
        "UPDATE course_progress SET completed_at = $1, completion_statement_id = $2 \
         WHERE user_id = $3 AND course_id = $4 AND completed_at IS NULL",
    )
    .bind(now)
    .bind(&statement_id)
    .bind(user_id)
    .bind(course_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !won {
        return Ok(None);
    }
    let event = CompletionEvent {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        course_id: course_id.to_owned(),
        org_id: org_id.clone(),
        completed_at: now,
    };
    sqlx::query(
        "INSERT INTO completion_events (id, user_id, course_id, org_id, completed_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&event.id)
    .bind(user_id)
    .bind(course_id)
    .bind(&org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let public_url = &state.settings.public_url;
    let stmt = json!({
        "id": statement_id,
        "actor": learner_actor(public_url, user_id),
        "verb": {"id": super::units::verbs::COMPLETED, "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": identity::course_activity(public_url, course_id),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": {language_or_und(&language): title},
            },
        },
        "result": {"completion": true},
        "timestamp": crate::db::time::to_rfc3339(now),
    });
    record_for_org(state, &org_id, stmt).await?;
    Ok(Some(event))
}

fn language_or_und(tag: &str) -> String {
    if tag.is_empty() {
        "und".to_owned()
    } else {
        tag.to_owned()
    }
}

/// Completion events not yet consumed, oldest first.
pub async fn pending_completions(db: &Db, limit: i64) -> AppResult<Vec<CompletionEvent>> {
    Ok(sqlx::query_as::<_, CompletionEvent>(
        "SELECT id, user_id, course_id, org_id, completed_at FROM completion_events \
         WHERE consumed_at IS NULL ORDER BY completed_at, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Marks an event consumed; false when it was already consumed (or does not exist), so two
/// consumers racing for one event can tell which of them took it.
pub async fn mark_consumed(db: &Db, event_id: &str) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE completion_events SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
    )
    .bind(now_ms())
    .bind(event_id)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}
