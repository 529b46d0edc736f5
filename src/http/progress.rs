//! Learners' progress: their own, and (for the course's authors and admins) a learner's.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path, Query};
use crate::{
    authz,
    catalogue::courses,
    error::{Error, Result},
    http::AppState,
    progress::view::{self, CourseProgress, ProgressList},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_progress))
        .routes(routes!(course_progress))
}

/// The caller's started courses with the state of every unit.
#[utoipa::path(get, path = "/api/v1/me/progress", tag = "progress",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProgressList), (status = 401, body = crate::http::problem::Problem)))]
async fn my_progress(State(state): State<AppState>, caller: Caller) -> Result<Json<ProgressList>> {
    let user = caller.user()?;
    Ok(Json(view::all(&state.db, &user.id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Another learner's progress (authors and admins of the course's organisation).
    user_id: Option<String>,
}

/// The caller's progress in one course, or with `user_id` a learner's.
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/progress", tag = "progress",
    params(ProgressQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CourseProgress), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn course_progress(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Result<Json<CourseProgress>> {
    let user = caller.user()?;
    if !courses::is_visible(&state.db, Some(user), &course_id).await? {
        return Err(Error::NotFound);
    }
    let learner = match q.user_id {
        Some(other) if other != user.id => {
            let course = courses::row(&state.db, &course_id).await?;
            authz::require_org_role(&state.db, user, &course.org_id, authz::author).await?;
            other
        }
        _ => user.id.clone(),
    };
    Ok(Json(view::course(&state.db, &learner, &course_id).await?))
}
