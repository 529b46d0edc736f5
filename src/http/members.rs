//! Organisation admins manage members, class-list imports and join codes.

use axum::{extract::State, http::StatusCode};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    accounts::OrgRole,
    authz,
    db::time::parse_rfc3339,
    error::{Error, Result},
    http::AppState,
    orgs::{
        import::{self, ImportReport},
        join_codes::{self, JoinCode},
        members::{self, Added, MemberView, NewMember},
    },
    values::Email,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, add_member))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(unlock_member))
        .routes(routes!(import_members))
        .routes(routes!(list_join_codes, create_join_code))
        .routes(routes!(revoke_join_code))
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    items: Vec<MemberView>,
}

/// Members of an organisation (its admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/members", tag = "members",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MemberList), (status = 403, body = crate::http::problem::Problem)))]
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<MemberList>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::admin).await?;
    Ok(Json(MemberList {
        items: members::list(&state.db, &org_id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct AddMember {
    email: String,
    /// Required when the e-mail has no account yet.
    display_name: Option<String>,
    /// Required when the e-mail has no account yet.
    password: Option<String>,
    role: OrgRole,
}

/// The same answer whether or not the address had an account: an admin learns nothing about
/// other organisations' members from it.
#[derive(Serialize, ToSchema)]
pub struct AddedMember {
    email: String,
    role: OrgRole,
}

/// Add a member (org admin): a new e-mail gets an account and joins at once; an existing
/// account is invited and joins when its owner accepts (`/api/v1/me/invitations`).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members", tag = "members", request_body = AddMember,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = AddedMember), (status = 409, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<AddMember>,
) -> Result<(StatusCode, Json<AddedMember>)> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    let email = Email::parse(&req.email).map_err(|m| Error::field("email", m))?;
    let new = NewMember {
        email,
        display_name: req.display_name,
        password: req.password,
        role: req.role,
    };
    let added = members::add(&state.db, &org_id, new).await?;
    let how = if matches!(added, Added::Created(_)) {
        "created"
    } else {
        "invited"
    };
    let (Added::Created(user) | Added::Invited(user)) = added;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "member.added",
        &user.id,
        serde_json::json!({"email": user.email, "role": req.role, "account": how}),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(AddedMember {
            email: user.email,
            role: req.role,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMember {
    role: OrgRole,
}

/// Change a member's role (org admin).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members",
    request_body = UpdateMember, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
    Json(req): Json<UpdateMember>,
) -> Result<StatusCode> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    members::set_role(&state.db, &org_id, &user_id, req.role).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "member.role_changed",
        &user_id,
        serde_json::json!({"role": req.role}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member from the organisation (org admin); the account itself remains.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    members::remove(&state.db, &org_id, &user_id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "member.removed",
        &user_id,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift the sign-in delays on a member's account after failed attempts, from every address and
/// device (org admin).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members/{user_id}/unlock", tag = "members",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn unlock_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    members::unlock(&state.db, &org_id, &user_id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "member.unlocked",
        &user_id,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Import a class list as CSV (`email,display_name,role,password`); the report says per row
/// what was created, added or rejected and why (org admin).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members:import", tag = "members",
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = crate::http::problem::Problem)))]
async fn import_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportReport>> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    if !super::extract::has_media_type(&headers, "text/csv") {
        return Err(Error::UnsupportedType {
            detail: "Send the class list as CSV with Content-Type: text/csv.".into(),
        });
    }
    let body = body.map_err(super::extract::body_error)?;
    let report = import::import_csv(&state.db, &org_id, &body).await?;
    crate::audit::record(&state.db, &org_id, admin, "members.imported", &org_id,
        serde_json::json!({"created": report.created, "invited": report.invited, "rejected": report.rejected})).await;
    Ok(Json(report))
}

#[derive(Serialize, ToSchema)]
pub struct JoinCodeList {
    items: Vec<JoinCode>,
}

/// Join codes of an organisation (org admin).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/join-codes", tag = "members",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JoinCodeList)))]
async fn list_join_codes(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<JoinCodeList>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::admin).await?;
    Ok(Json(JoinCodeList {
        items: join_codes::list(&state.db, &org_id).await?,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CreateJoinCode {
    /// How many learners may use it; unlimited when absent.
    max_uses: Option<i64>,
    /// RFC 3339; never expires when absent.
    expires_at: Option<String>,
}

/// Create a learner join code (org admin).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/join-codes", tag = "members",
    request_body = CreateJoinCode, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = JoinCode), (status = 422, body = crate::http::problem::Problem)))]
async fn create_join_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<CreateJoinCode>,
) -> Result<(StatusCode, Json<JoinCode>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    if req.max_uses.is_some_and(|n| n < 1) {
        return Err(Error::field("max_uses", "must be at least 1"));
    }
    let expires_at = match req.expires_at.as_deref() {
        Some(s) => Some(
            parse_rfc3339(s)
                .ok_or_else(|| Error::field("expires_at", "must be an RFC 3339 time"))?,
        ),
        None => None,
    };
    let code = join_codes::create(&state.db, &org_id, &user.id, req.max_uses, expires_at).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        user,
        "join_code.created",
        &code.code,
        serde_json::json!({"max_uses": req.max_uses, "expires_at": req.expires_at}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(code)))
}

/// Revoke a join code (org admin).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/join-codes/{code}", tag = "members",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn revoke_join_code(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, code)): Path<(String, String)>,
) -> Result<StatusCode> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    join_codes::revoke(&state.db, &org_id, &code).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "join_code.revoked",
        &code,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
