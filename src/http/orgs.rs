use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path, Query};
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
        .routes(routes!(audit_log))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An entry's id: the page before it (older entries).
    before: Option<String>,
    /// Entries per page, 1–500 (default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    items: Vec<crate::audit::Entry>,
}

/// The organisation's audit log: member changes, publishing, credentials issued and revoked,
/// key rotation, exports, LRS clients, join codes, the registration switch (its admins and
/// superadmins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit", tag = "orgs", params(AuditQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::admin).await?;
    let items = crate::audit::list(
        &state.db,
        &org_id,
        q.before.as_deref(),
        q.limit.unwrap_or(100),
    )
    .await?;
    Ok(Json(AuditPage { items }))
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
