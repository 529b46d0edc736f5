//! The training office: classes, their sessions, and attendance (by a session's rotating code or
//! marked by a teacher).

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    error::Result,
    http::AppState,
    training::{
        self,
        evaluations::{self, EvaluationInput, Question, Results},
        AttendInput, Attended, ClassInput, ClassView, CodeView, RosterRow, SessionInput,
        SessionView,
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_class, list_classes))
        .routes(routes!(get_class))
        .routes(routes!(enrol))
        .routes(routes!(add_session))
        .routes(routes!(current_code))
        .routes(routes!(attend))
        .routes(routes!(roster))
        .routes(routes!(mark))
        .routes(routes!(get_questions, set_questions))
        .routes(routes!(evaluate))
        .routes(routes!(evaluation_results))
        .routes(routes!(workload))
}

/// Create a class of the organisation (teachers and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/classes", tag = "training",
    params(("org_id" = String, Path)), request_body = ClassInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ClassView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn create_class(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(input): Json<ClassInput>,
) -> Result<(StatusCode, Json<ClassView>)> {
    let class = training::create(&state, caller.user()?, &org_id, input).await?;
    Ok((StatusCode::CREATED, Json(class)))
}

/// The organisation's classes (teachers and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/classes", tag = "training",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ClassView>), (status = 403, body = crate::http::problem::Problem)))]
async fn list_classes(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<ClassView>>> {
    Ok(Json(training::list(&state, caller.user()?, &org_id).await?))
}

/// A class with its sessions (its learners, and the organisation's teachers and admins).
#[utoipa::path(get, path = "/api/v1/classes/{class_id}", tag = "training",
    params(("class_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ClassView), (status = 404, body = crate::http::problem::Problem)))]
async fn get_class(
    State(state): State<AppState>,
    caller: Caller,
    Path(class_id): Path<String>,
) -> Result<Json<ClassView>> {
    Ok(Json(
        training::get(&state, caller.user()?, &class_id).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Enrol {
    /// Members of the class's organisation.
    user_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct Enrolled {
    /// How many were not enrolled before.
    enrolled: usize,
}

/// Enrol members of the organisation in the class (teachers and admins).
#[utoipa::path(post, path = "/api/v1/classes/{class_id}/members", tag = "training",
    params(("class_id" = String, Path)), request_body = Enrol, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Enrolled), (status = 422, body = crate::http::problem::Problem)))]
async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    Path(class_id): Path<String>,
    Json(body): Json<Enrol>,
) -> Result<Json<Enrolled>> {
    let enrolled = training::enrol(&state, caller.user()?, &class_id, &body.user_ids).await?;
    Ok(Json(Enrolled { enrolled }))
}

/// Add a dated session to the class (teachers and admins).
#[utoipa::path(post, path = "/api/v1/classes/{class_id}/sessions", tag = "training",
    params(("class_id" = String, Path)), request_body = SessionInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = SessionView), (status = 422, body = crate::http::problem::Problem)))]
async fn add_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(class_id): Path<String>,
    Json(input): Json<SessionInput>,
) -> Result<(StatusCode, Json<SessionView>)> {
    let session = training::add_session(&state, caller.user()?, &class_id, input).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// The session's attendance code now, for the teacher's screen (teachers and admins).
#[utoipa::path(get, path = "/api/v1/class-sessions/{session_id}/code", tag = "training",
    params(("session_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CodeView), (status = 404, body = crate::http::problem::Problem)))]
async fn current_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> Result<Json<CodeView>> {
    Ok(Json(
        training::current_code(&state, caller.user()?, &session_id).await?,
    ))
}

/// Attend the session with the code it shows (a learner of the class; a scan made offline comes
/// with when it was scanned and the device's clock now).
#[utoipa::path(post, path = "/api/v1/class-sessions/{session_id}/attend", tag = "training",
    params(("session_id" = String, Path)), request_body = AttendInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Attended), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn attend(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
    Json(input): Json<AttendInput>,
) -> Result<Json<Attended>> {
    Ok(Json(
        training::attend(&state, caller.user()?, &session_id, input).await?,
    ))
}

/// The class's learners and who attended the session (teachers and admins).
#[utoipa::path(get, path = "/api/v1/class-sessions/{session_id}/attendance", tag = "training",
    params(("session_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<RosterRow>), (status = 404, body = crate::http::problem::Problem)))]
async fn roster(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> Result<Json<Vec<RosterRow>>> {
    Ok(Json(
        training::roster(&state, caller.user()?, &session_id).await?,
    ))
}

/// Mark a learner of the class present (teachers and admins).
#[utoipa::path(put, path = "/api/v1/class-sessions/{session_id}/attendance/{user_id}", tag = "training",
    params(("session_id" = String, Path), ("user_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Attended), (status = 404, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn mark(
    State(state): State<AppState>,
    caller: Caller,
    Path((session_id, user_id)): Path<(String, String)>,
) -> Result<Json<Attended>> {
    Ok(Json(
        training::mark(&state, caller.user()?, &session_id, &user_id).await?,
    ))
}

/// The questions learners rate the organisation's courses on (its members).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/evaluation-questions", tag = "training",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<Question>), (status = 403, body = crate::http::problem::Problem)))]
async fn get_questions(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<Question>>> {
    let user = caller.user()?;
    crate::authz::require_org_role(&state.db, user, &org_id, crate::authz::member).await?;
    Ok(Json(evaluations::questions(&state, &org_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Questions {
    questions: Vec<Question>,
}

/// Set the organisation's evaluation questions (admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/evaluation-questions", tag = "training",
    params(("org_id" = String, Path)), request_body = Questions, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn set_questions(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(body): Json<Questions>,
) -> Result<StatusCode> {
    evaluations::set_questions(&state, caller.user()?, &org_id, body.questions).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Evaluate a course you completed, once.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/evaluation", tag = "training",
    params(("course_id" = String, Path)), request_body = EvaluationInput, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 409, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<EvaluationInput>,
) -> Result<StatusCode> {
    evaluations::evaluate(&state, caller.user()?, &course_id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A course's evaluation results, anonymous, hidden below five respondents (teachers and admins
/// of its organisation).
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/evaluations", tag = "training",
    params(("course_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Results), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn evaluation_results(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<Json<Results>> {
    Ok(Json(
        evaluations::results(&state, caller.user()?, &course_id).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct WorkloadParams {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// Last day, `YYYY-MM-DD`.
    to: String,
    /// One teacher (admins; a teacher may name only themself).
    teacher: Option<String>,
}

/// Teachers' training workload in a period: a teacher's own, or every teacher's (admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/workload", tag = "training",
    params(("org_id" = String, Path), WorkloadParams), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = training::workload::Workload), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn workload(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    super::extract::Query(q): super::extract::Query<WorkloadParams>,
) -> Result<Json<training::workload::Workload>> {
    let user = caller.user()?;
    let w =
        training::workload::workload(&state, user, &org_id, &q.from, &q.to, q.teacher.as_deref())
            .await?;
    Ok(Json(w))
}
