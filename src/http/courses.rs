//! The course catalogue: teachers author, everyone browses what they may see.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path, Query};
use crate::{
    accounts::User,
    authz,
    catalogue::{
        courses::{self, CoursePage, CourseRow, CourseView, ListQuery},
        input::{self, CourseFields},
        units::{self, NewUnit, UnitView},
        UnitKind, Visibility,
    },
    error::{Error, Result},
    http::AppState,
    values::Text,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_courses, create_course))
        .routes(routes!(get_course, update_course, delete_course))
        .routes(routes!(publish_course))
        .routes(routes!(unpublish_course))
        .routes(routes!(add_unit))
        .routes(routes!(update_unit, delete_unit))
        .routes(routes!(reorder_units))
}

/// Loads a course the caller may edit: 404 if they cannot even see it, 403 if they can see but
/// not author it.
async fn editable(state: &AppState, user: &User, course_id: &str) -> Result<CourseRow> {
    let row = courses::row(&state.db, course_id).await?;
    if !courses::is_visible(&state.db, Some(user), course_id).await? {
        return Err(Error::NotFound);
    }
    authz::require_org_role(&state.db, user, &row.org_id, authz::author).await?;
    Ok(row)
}

/// Browse the catalogue: public courses for everyone, plus what the caller's organisations and
/// consortia share with them.
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses", params(ListQuery),
    responses((status = 200, body = CoursePage), (status = 400, body = crate::http::problem::Problem)))]
async fn list_courses(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<CoursePage>> {
    Ok(Json(courses::list(&state.db, caller.0.as_ref(), q).await?))
}

/// Create a draft course in an organisation (its teachers and admins).
#[utoipa::path(post, path = "/api/v1/courses", tag = "courses", request_body = CourseFields,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CourseView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn create_course(
    State(state): State<AppState>,
    caller: Caller,
    Json(mut fields): Json<CourseFields>,
) -> Result<(StatusCode, Json<CourseView>)> {
    let user = caller.user()?;
    let org_id = fields
        .org_id
        .take()
        .ok_or_else(|| Error::field("org_id", "is required"))?;
    if !authz::org_exists(&state.db, &org_id).await? {
        return Err(Error::field("org_id", "no such organisation"));
    }
    authz::require_org_role(&state.db, user, &org_id, authz::author).await?;
    let parsed = input::parse(&state.db, fields, true).await?;
    let id = courses::create(&state.db, &org_id, &user.id, parsed).await?;
    Ok((
        StatusCode::CREATED,
        Json(courses::get(&state.db, Some(user), &id).await?),
    ))
}

/// One course with its units.
#[utoipa::path(get, path = "/api/v1/courses/{course_id}", tag = "courses",
    responses((status = 200, body = CourseView), (status = 404, body = crate::http::problem::Problem)))]
async fn get_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    Ok(Json(courses::get(&state.db, caller.0.as_ref(), &id).await?))
}

/// Edit a course's fields (its organisation's teachers and admins).
#[utoipa::path(patch, path = "/api/v1/courses/{course_id}", tag = "courses", request_body = CourseFields,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn update_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(fields): Json<CourseFields>,
) -> Result<Json<CourseView>> {
    let user = caller.user()?;
    editable(&state, user, &id).await?;
    if fields.org_id.is_some() {
        return Err(Error::field(
            "org_id",
            "a course cannot move to another organisation",
        ));
    }
    let parsed = input::parse(&state.db, fields, false).await?;
    courses::update(&state.db, &id, parsed).await?;
    Ok(Json(courses::get(&state.db, Some(user), &id).await?))
}

/// Delete a course and its units (its organisation's teachers and admins).
#[utoipa::path(delete, path = "/api/v1/courses/{course_id}", tag = "courses",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem)))]
async fn delete_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    editable(&state, caller.user()?, &id).await?;
    courses::delete(&state.db, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PublishRequest {
    /// `org`, `consortium` (shared with every consortium the organisation is in) or `public`.
    visibility: Visibility,
}

/// Publish a course to an audience; publishing again changes the audience.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/publish", tag = "courses",
    request_body = PublishRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn publish_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<PublishRequest>,
) -> Result<Json<CourseView>> {
    let user = caller.user()?;
    let course = editable(&state, user, &id).await?;
    if req.visibility == Visibility::Draft {
        return Err(Error::field(
            "visibility",
            "use POST /api/v1/courses/{id}/unpublish to return to draft",
        ));
    }
    courses::set_visibility(&state.db, &id, req.visibility).await?;
    crate::audit::record(
        &state.db,
        &course.org_id,
        user,
        "course.published",
        &id,
        serde_json::json!({"title": course.title, "visibility": req.visibility}),
    )
    .await;
    Ok(Json(courses::get(&state.db, Some(user), &id).await?))
}

/// Take a course back to draft.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/unpublish", tag = "courses",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = crate::http::problem::Problem)))]
async fn unpublish_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let user = caller.user()?;
    let course = editable(&state, user, &id).await?;
    courses::set_visibility(&state.db, &id, Visibility::Draft).await?;
    crate::audit::record(
        &state.db,
        &course.org_id,
        user,
        "course.unpublished",
        &id,
        serde_json::json!({"title": course.title}),
    )
    .await;
    Ok(Json(courses::get(&state.db, Some(user), &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUnit {
    /// Required unless `reuse_unit_id` is given.
    kind: Option<UnitKind>,
    /// Required unless `reuse_unit_id` is given (then it defaults to the original's title).
    title: Option<String>,
    /// Whether completion of the course needs this unit; default true.
    required: Option<bool>,
    /// Reuse a unit of a course shared with this course's organisation (same bytes, no copy).
    reuse_unit_id: Option<String>,
}

/// Add a unit at the end of the course, new or reused from a shared course.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/units", tag = "courses", request_body = AddUnit,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = UnitView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn add_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<AddUnit>,
) -> Result<(StatusCode, Json<UnitView>)> {
    let user = caller.user()?;
    let course = editable(&state, user, &id).await?;
    let required = req.required.unwrap_or(true);
    let parse_title = |t: &str| Text::parse(t, 200).map_err(|m| Error::field("title", m));
    let unit = if let Some(source_id) = req.reuse_unit_id.as_deref() {
        let (source, source_course) = units::find_with_course(&state.db, source_id).await?;
        let source_row = courses::row(&state.db, &source_course).await?;
        let shared = source_row.visibility != "draft" || source_row.org_id == course.org_id;
        if !shared || !units::org_may_reuse(&state.db, &course.org_id, &source_row).await? {
            return Err(Error::field(
                "reuse_unit_id",
                "that unit is not shared with this organisation",
            ));
        }
        let title = parse_title(req.title.as_deref().unwrap_or(&source.title))?;
        let original = source.source_unit_id.as_deref().unwrap_or(&source.id);
        let lender = courses::row(
            &state.db,
            &units::find_with_course(&state.db, original).await?.1,
        )
        .await?;
        if course.visibility == "public"
            && lender.org_id != course.org_id
            && lender.visibility != "public"
        {
            return Err(courses::not_public_error(std::slice::from_ref(
                &title.as_str().to_owned(),
            )));
        }
        units::add(
            &state.db,
            &id,
            NewUnit {
                kind: &source.kind,
                title: &title,
                required,
                source_unit_id: Some(original),
                asset_id: source.asset_id.as_deref(),
            },
        )
        .await?
    } else {
        let kind = req
            .kind
            .ok_or_else(|| Error::field("kind", "is required"))?;
        let title = parse_title(
            req.title
                .as_deref()
                .ok_or_else(|| Error::field("title", "is required"))?,
        )?;
        units::add(
            &state.db,
            &id,
            NewUnit {
                kind: kind.as_str(),
                title: &title,
                required,
                source_unit_id: None,
                asset_id: None,
            },
        )
        .await?
    };
    Ok((StatusCode::CREATED, Json(unit)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    title: Option<String>,
    required: Option<bool>,
}

/// Rename a unit or change whether it is required.
#[utoipa::path(patch, path = "/api/v1/courses/{course_id}/units/{unit_id}", tag = "courses",
    request_body = UpdateUnit, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UnitView), (status = 404, body = crate::http::problem::Problem)))]
async fn update_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, unit_id)): Path<(String, String)>,
    Json(req): Json<UpdateUnit>,
) -> Result<Json<UnitView>> {
    editable(&state, caller.user()?, &id).await?;
    let title = req
        .title
        .as_deref()
        .map(|t| Text::parse(t, 200).map_err(|m| Error::field("title", m)))
        .transpose()?;
    Ok(Json(
        units::update(&state.db, &id, &unit_id, title.as_ref(), req.required).await?,
    ))
}

/// Remove a unit from the course.
#[utoipa::path(delete, path = "/api/v1/courses/{course_id}/units/{unit_id}", tag = "courses",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn delete_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, unit_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    editable(&state, caller.user()?, &id).await?;
    units::delete(&state.db, &id, &unit_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ReorderUnits {
    /// Every unit id of the course, in the new order.
    unit_ids: Vec<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct UnitList {
    items: Vec<UnitView>,
}

/// Reorder the units of a course.
#[utoipa::path(put, path = "/api/v1/courses/{course_id}/units:order", tag = "courses",
    request_body = ReorderUnits, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UnitList), (status = 422, body = crate::http::problem::Problem)))]
async fn reorder_units(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ReorderUnits>,
) -> Result<Json<UnitList>> {
    editable(&state, caller.user()?, &id).await?;
    Ok(Json(UnitList {
        items: units::reorder(&state.db, &id, &req.unit_ids).await?,
    }))
}
