//! Self-registration over the API: ask (the answer never says whether the address has an
//! account), confirm with the mailed token, and an organisation's switch.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::{new_session, UserView},
    extract::{Caller, ClientAddr, Json, Path},
};
use crate::{
    authz,
    error::Result,
    http::AppState,
    orgs,
    registration::{self, Request},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask))
        .routes(routes!(confirm))
        .routes(routes!(get_switch, put_switch))
        .routes(routes!(put_target_groups))
}

#[derive(Serialize, ToSchema)]
pub struct Asked {
    /// Always `confirmation-sent`, whether or not the address has an account.
    status: &'static str,
    detail: &'static str,
}

/// Ask for an account. 202 for every well-formed request: a new address is mailed a link that
/// creates the account, an address with an account is mailed a note saying so. 403
/// `registration-closed`, 422 for wrong fields, 429 when asked too often.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "auth",
    request_body = Request,
    responses((status = 202, body = Asked), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem),
              (status = 429, body = crate::http::problem::Problem)))]
async fn ask(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(request): Json<Request>,
) -> Result<(StatusCode, Json<Asked>)> {
    registration::ask(&state, &request, addr).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Asked {
            status: "confirmation-sent",
            detail: "If the address can register, a message with a link is on its way to it.",
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// The token of the mailed link (`/register/confirm?token=…`).
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Confirmed {
    user: UserView,
    /// A session token for the new account (also set as the session cookie).
    token: String,
}

/// Confirm a registration with the mailed token: the account exists and is signed in. 400
/// `registration-link-invalid` for a token that is unknown, used or more than a day old.
#[utoipa::path(post, path = "/api/v1/registrations/confirm", tag = "auth",
    request_body = ConfirmRequest,
    responses((status = 201, body = Confirmed), (status = 400, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(req): Json<ConfirmRequest>,
) -> Result<impl IntoResponse> {
    let user = registration::confirm(&state, &req.token).await?;
    let (token, jar) = new_session(&state, jar, &user).await?;
    Ok((
        StatusCode::CREATED,
        jar,
        Json(Confirmed {
            user: user.into(),
            token,
        }),
    ))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RegistrationSwitch {
    /// Anyone may register into the organisation as a learner.
    open: bool,
}

/// Whether anyone may register into the organisation (its admins and superadmins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/registration", tag = "orgs",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RegistrationSwitch), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn get_switch(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<RegistrationSwitch>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::admin).await?;
    let open = orgs::open_registration(&state.db, &org_id).await?;
    Ok(Json(RegistrationSwitch { open }))
}

/// Open or close registration into the organisation (its admins and superadmins).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/registration", tag = "orgs",
    request_body = RegistrationSwitch, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RegistrationSwitch), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn put_switch(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<RegistrationSwitch>,
) -> Result<Json<RegistrationSwitch>> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    orgs::set_open_registration(&state.db, &org_id, req.open).await?;
    let action = if req.open {
        "registration.opened"
    } else {
        "registration.closed"
    };
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        action,
        &org_id,
        serde_json::json!({}),
    )
    .await;
    Ok(Json(req))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TargetGroups {
    /// Slugs of `/api/v1/vocab/target-groups`; empty withdraws the consent and forgets them.
    target_groups: Vec<String>,
    /// Needed when the list is not empty.
    #[serde(default)]
    consent: bool,
}

/// Say which target groups you belong to (veterans, migrant workers, …), or withdraw: kept
/// only with consent, used only in aggregate reports (`group_by=learner_group`).
#[utoipa::path(put, path = "/api/v1/me/target-groups", tag = "auth",
    request_body = TargetGroups, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TargetGroups), (status = 401, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn put_target_groups(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<TargetGroups>,
) -> Result<Json<TargetGroups>> {
    let kept =
        registration::set_target_groups(&state, caller.user()?, &req.target_groups, req.consent)
            .await?;
    Ok(Json(TargetGroups {
        consent: !kept.is_empty(),
        target_groups: kept,
    }))
}
