use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    authz,
    error::{Error, FieldError, Result},
    http::AppState,
    orgs::{self, OrgView},
    values::{Slug, Text},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org, list_orgs))
        .routes(routes!(get_org))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateOrg {
    name: String,
    slug: String,
}

/// Create an organisation (superadmin).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = OrgView), (status = 409, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn create_org(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateOrg>,
) -> Result<(StatusCode, Json<OrgView>)> {
    authz::require_superadmin(caller.user()?)?;
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
    let org = orgs::create(&state.db, &name, &slug).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

#[derive(Serialize, ToSchema)]
pub struct OrgList {
    items: Vec<OrgView>,
}

/// Organisations the caller belongs to (all of them for a superadmin).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrgList), (status = 401, body = crate::http::problem::Problem)))]
async fn list_orgs(State(state): State<AppState>, caller: Caller) -> Result<Json<OrgList>> {
    let orgs = orgs::visible_to(&state.db, caller.user()?).await?;
    Ok(Json(OrgList {
        items: orgs.into_iter().map(Into::into).collect(),
    }))
}

/// One organisation (its members and superadmins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "orgs",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrgView), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<OrgView>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::member).await?;
    Ok(Json(orgs::get(&state.db, &org_id).await?.into()))
}
