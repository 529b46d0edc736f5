//! LRS clients of an organisation: created, listed and revoked by its admins.

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    authz,
    error::{Error, Result},
    http::AppState,
    lrs::clients::{self, ClientView, Scopes},
    values::Text,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_client, list_clients))
        .routes(routes!(revoke_client))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    name: String,
    /// xAPI scopes: `all`, `all/read`, `statements/write`, `statements/read`,
    /// `statements/read/mine`, `state`, `define`, `profile`. Default: `statements/write` and
    /// `statements/read/mine`.
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    client: ClientView,
    /// The HTTP Basic password, shown only now.
    secret: String,
    /// Where the LRS is.
    endpoint: String,
}

/// Create an LRS client (org admin); its secret is shown once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/lrs-clients", tag = "xapi",
    request_body = CreateClient, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedClient), (status = 422, body = crate::http::problem::Problem)))]
async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<CreateClient>,
) -> Result<(StatusCode, Json<CreatedClient>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    let name = Text::parse(&req.name, 200).map_err(|m| Error::field("name", m))?;
    let scopes = match &req.scopes {
        None => Scopes::default_for_client(),
        Some(list) if list.is_empty() => {
            return Err(Error::field("scopes", "name at least one scope"))
        }
        Some(list) => Scopes::parse(list.iter().map(String::as_str))
            .map_err(|s| Error::field("scopes", format!("unknown scope {s:?}")))?,
    };
    let (client, secret) =
        clients::create(&state.db, &org_id, name.as_str(), scopes, &user.id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        user,
        "lrs_client.created",
        &client.id,
        serde_json::json!({"name": name.as_str()}),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedClient {
            client: ClientView::from(&client),
            secret,
            endpoint: format!("{}/xapi/", state.settings.public_url),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ClientList {
    items: Vec<ClientView>,
}

/// The organisation's active LRS clients (org admin).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/lrs-clients", tag = "xapi",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ClientList), (status = 403, body = crate::http::problem::Problem)))]
async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<ClientList>> {
    authz::require_org_role(&state.db, caller.user()?, &org_id, authz::admin).await?;
    let items = clients::list(&state.db, &org_id).await?;
    Ok(Json(ClientList {
        items: items.iter().map(ClientView::from).collect(),
    }))
}

/// Revoke an LRS client (org admin): its credentials stop working.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/lrs-clients/{client_id}", tag = "xapi",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn revoke_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, client_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let admin = caller.user()?;
    authz::require_org_role(&state.db, admin, &org_id, authz::admin).await?;
    clients::revoke(&state.db, &state.lrs_clients, &org_id, &client_id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        admin,
        "lrs_client.revoked",
        &client_id,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
