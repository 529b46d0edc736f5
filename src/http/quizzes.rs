//! Quizzes of quiz units: authors set questions and key, learners read the questions without
//! the key and submit attempts that are scored on the server.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    accounts::User,
    authz,
    catalogue::{
        courses::{self, CourseRow},
        units::{self, UnitView},
    },
    error::{Error, Result},
    http::AppState,
    quizzes::{self, AttemptError, AttemptView, Quiz, QuizInput, QuizView},
};

/// A refused attempt as the problem the learner's page shows (codes unchanged).
impl From<AttemptError> for Error {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Exhausted => Error::Refused {
                code: "quiz-attempts-exhausted",
                detail: e.to_string(),
            },
            AttemptError::StatementIdTaken => Error::conflict("statement_id", e.to_string()),
            AttemptError::Database(e) => e.into(),
            AttemptError::Feature(e) => e,
        }
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_quiz, put_quiz))
        .routes(routes!(submit_attempt))
}

/// The course and unit if the viewer may see the course (404 otherwise).
async fn visible_unit(
    state: &AppState,
    viewer: Option<&User>,
    course_id: &str,
    unit_id: &str,
) -> Result<(CourseRow, UnitView)> {
    if !courses::is_visible(&state.db, viewer, course_id).await? {
        return Err(Error::NotFound);
    }
    let course = courses::row(&state.db, course_id).await?;
    let unit = units::get(&state.db, course_id, unit_id).await?;
    Ok((course, unit))
}

async fn is_author(state: &AppState, user: Option<&User>, org_id: &str) -> Result<bool> {
    let Some(user) = user else { return Ok(false) };
    match authz::require_org_role(&state.db, user, org_id, authz::author).await {
        Ok(()) => Ok(true),
        Err(Error::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A quiz unit's quiz, or 404 when the unit is not a quiz or has none yet.
async fn quiz_of(state: &AppState, unit: &UnitView) -> Result<Quiz> {
    if unit.kind != "quiz" {
        return Err(Error::NotFound);
    }
    quizzes::load(&state.db, unit).await?.ok_or(Error::NotFound)
}

/// Set a quiz unit's questions, answer key, pass mark and attempts limit (the course's
/// authors). Replaces any earlier version; attempts already made keep their scores.
#[utoipa::path(put, path = "/api/v1/courses/{course_id}/units/{unit_id}/quiz", tag = "quizzes",
    request_body = QuizInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = QuizView), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
async fn put_quiz(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    Json(input): Json<QuizInput>,
) -> Result<Json<QuizView>> {
    let user = caller.user()?;
    let (course, unit) = visible_unit(&state, Some(user), &course_id, &unit_id).await?;
    authz::require_org_role(&state.db, user, &course.org_id, authz::author).await?;
    if unit.kind != "quiz" {
        return Err(Error::field("unit_id", "is not a quiz unit"));
    }
    let quiz = input.parse()?;
    quizzes::save(&state.db, &unit.id, &quiz, user).await?;
    Ok(Json(
        quizzes::view(&state.db, &unit, &quiz, Some(user), true).await?,
    ))
}

/// A quiz unit's questions. Learners get them without the answer key; the course's authors
/// get the key.
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/units/{unit_id}/quiz", tag = "quizzes",
    responses((status = 200, body = QuizView), (status = 404, body = crate::http::problem::Problem)))]
async fn get_quiz(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
) -> Result<Json<QuizView>> {
    let viewer = caller.0.as_ref();
    let (course, unit) = visible_unit(&state, viewer, &course_id, &unit_id).await?;
    let quiz = quiz_of(&state, &unit).await?;
    let key = is_author(&state, viewer, &course.org_id).await?;
    Ok(Json(
        quizzes::view(&state.db, &unit, &quiz, viewer, key).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptRequest {
    /// One answer per question, in order: a choice index (`single`), a list of indices
    /// (`multiple`), a boolean (`true_false`), a text (`fill_in`), or null to leave it blank.
    #[schema(value_type = Vec<Object>)]
    answers: Vec<Value>,
    /// A UUID of the caller's choosing for the attempt's statement. Sending the same attempt
    /// again with it (a page that kept a guest's answers, a retry after a lost reply) answers
    /// 200 with the attempt recorded first and counts once.
    #[serde(default)]
    #[schema(format = "uuid")]
    statement_id: Option<String>,
}

/// Submit an attempt: scored on the server, stored, and recorded as a `passed` or `failed`
/// xAPI statement. 409 once the attempts are used up.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/units/{unit_id}/quiz/attempts",
    tag = "quizzes", request_body = AttemptRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = AttemptView),
              (status = 200, description = "the attempt recorded first under this statement_id", body = AttemptView),
              (status = 404, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
async fn submit_attempt(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    Json(req): Json<AttemptRequest>,
) -> Result<(StatusCode, Json<AttemptView>)> {
    let user = caller.user()?;
    let (course, unit) = visible_unit(&state, Some(user), &course_id, &unit_id).await?;
    let quiz = quiz_of(&state, &unit).await?;
    let statement_id = match req.statement_id.as_deref().map(uuid::Uuid::parse_str) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return Err(Error::field("statement_id", "must be a UUID")),
    };
    let done = quizzes::attempt(
        &state,
        user,
        &course,
        &unit,
        &quiz,
        req.answers,
        statement_id,
    )
    .await?;
    let status = if done.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(done.view)))
}
