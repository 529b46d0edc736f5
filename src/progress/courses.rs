//! Course completion: recorded once per learner and course, with one `completed` statement and
//! one outbox event for the credentials feature.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{
    statements::{learner_actor, record_for_org},
    store,
};
use crate::{
    context::Context,
    db::{time::now_ms, Db},
    error::Result,
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
) -> Result<Option<CompletionEvent>> {
    let db = &state.db;
    let (required, done) = store::required_units(db, course_id, user_id).await?;
    if required == 0 || done < required {
        return Ok(None);
    }
    let Some((org_id, title, language)) = store::course_summary(db, course_id).await? else {
        return Ok(None);
    };
    let now = now_ms();
    let statement_id = uuid::Uuid::new_v4().to_string();
    let mut tx = db.pool.begin().await?;
    let won = store::complete_course(&mut tx, user_id, course_id, &statement_id, now).await?;
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
    store::insert_completion_event(&mut tx, &event).await?;
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
pub async fn pending_completions(db: &Db, limit: i64) -> Result<Vec<CompletionEvent>> {
    Ok(store::pending_completions(db, limit).await?)
}

/// Marks an event consumed; false when it was already consumed (or does not exist), so two
/// consumers racing for one event can tell which of them took it.
pub async fn mark_consumed(db: &Db, event_id: &str) -> Result<bool> {
    Ok(store::mark_consumed(db, event_id, now_ms()).await?)
}
