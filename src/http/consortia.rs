use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    accounts::OrgRole,
    authz,
    consortia::{self, Consortium, ConsortiumMember},
    error::{Error, FieldError, Result},
    http::AppState,
    values::{Slug, Text},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_consortium, list_consortia))
        .routes(routes!(list_consortium_members))
        .routes(routes!(invite_org))
        .routes(routes!(accept_invitation))
        .routes(routes!(leave_consortium))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateConsortium {
    name: String,
    slug: String,
    /// The founding organisation; the caller must be its admin.
    org_id: String,
}

/// Found a consortium with one of the caller's organisations as its first member.
#[utoipa::path(post, path = "/api/v1/consortia", tag = "consortia", request_body = CreateConsortium,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Consortium), (status = 409, body = crate::http::problem::Problem)))]
async fn create_consortium(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateConsortium>,
) -> Result<(StatusCode, Json<Consortium>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &req.org_id, authz::admin).await?;
    let mut errors = Vec::new();
    let name = Text::parse(&req.name, 200)
        .map_err(|m| errors.push(FieldError::new("name", m)))
        .ok();
    let slug = Slug::parse(&req.slug)
        .map_err(|m| errors.push(FieldError::new("slug", m)))
        .ok();
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::Validation(errors));
    };
    let c = consortia::create(&state.db, &name, &slug, &req.org_id).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Serialize, ToSchema)]
pub struct ConsortiumList {
    items: Vec<Consortium>,
}

/// Consortia the caller's organisations belong to or are invited to.
#[utoipa::path(get, path = "/api/v1/consortia", tag = "consortia",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConsortiumList), (status = 401, body = crate::http::problem::Problem)))]
async fn list_consortia(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ConsortiumList>> {
    Ok(Json(ConsortiumList {
        items: consortia::visible_to(&state.db, caller.user()?).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ConsortiumMemberList {
    items: Vec<ConsortiumMember>,
}

/// Member organisations (members of any organisation in the consortium).
#[utoipa::path(get, path = "/api/v1/consortia/{consortium_id}/members", tag = "consortia",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConsortiumMemberList), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn list_consortium_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConsortiumMemberList>> {
    let user = caller.user()?;
    consortia::get(&state.db, &id).await?;
    if !consortia::user_in(&state.db, user, &id, None, false).await? {
        return Err(Error::Forbidden);
    }
    Ok(Json(ConsortiumMemberList {
        items: consortia::members(&state.db, &id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgRef {
    org_id: String,
}

/// Invite an organisation (an admin of an active member organisation).
#[utoipa::path(post, path = "/api/v1/consortia/{consortium_id}/invitations", tag = "consortia",
    request_body = OrgRef, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn invite_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<OrgRef>,
) -> Result<StatusCode> {
    let user = caller.user()?;
    consortia::get(&state.db, &id).await?;
    if !consortia::user_in(&state.db, user, &id, Some(OrgRole::Admin), true).await? {
        return Err(Error::Forbidden);
    }
    if !authz::org_exists(&state.db, &req.org_id).await? {
        return Err(Error::field("org_id", "no such organisation"));
    }
    consortia::invite(&state.db, &id, &req.org_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation on behalf of an organisation (its admin).
#[utoipa::path(post, path = "/api/v1/consortia/{consortium_id}/accept", tag = "consortia",
    request_body = OrgRef, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn accept_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<OrgRef>,
) -> Result<StatusCode> {
    consortia::get(&state.db, &id).await?;
    authz::require_org_role(&state.db, caller.user()?, &req.org_id, authz::admin).await?;
    consortia::accept(&state.db, &id, &req.org_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave a consortium, or decline an invitation (the organisation's admin).
#[utoipa::path(post, path = "/api/v1/consortia/{consortium_id}/leave", tag = "consortia",
    request_body = OrgRef, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn leave_consortium(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<OrgRef>,
) -> Result<StatusCode> {
    consortia::get(&state.db, &id).await?;
    authz::require_org_role(&state.db, caller.user()?, &req.org_id, authz::admin).await?;
    consortia::leave(&state.db, &id, &req.org_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
