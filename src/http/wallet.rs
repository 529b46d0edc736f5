//! The learner's wallet: share a credential by a public, unguessable link with a QR code, and
//! the public side of that link.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    credentials::{credential_response, JWT},
    extract::{accepts, Caller, Json, Path, Query},
};
use crate::{
    credentials::{
        records::{self, Record},
        share,
    },
    error::{Error, Result},
    http::AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_sharing, get_share, stop_sharing))
        .routes(routes!(share_qr))
        .routes(routes!(shared_credential))
}

#[derive(Serialize, ToSchema)]
pub struct ShareLink {
    /// The public link: opens the verification page in a browser, the credential for a program
    /// (`Accept: application/json`, or `application/vc+jwt`).
    url: String,
    /// The link as a QR code (`?format=png` for PNG).
    qr_svg: String,
    qr_png: String,
}

/// The caller's own credential; 404 for anyone else's.
async fn own(state: &AppState, caller: &Caller, id: &str) -> Result<Record> {
    let user = caller.user()?;
    let record = records::get(&state.db, id).await?;
    if record.user_id != user.id {
        return Err(Error::NotFound);
    }
    Ok(record)
}

fn link(state: &AppState, record: &Record) -> ShareLink {
    let qr = format!(
        "{}/api/v1/credentials/{}/share/qr",
        state.settings.public_url, record.id
    );
    ShareLink {
        url: share::url(state, record),
        qr_svg: qr.clone(),
        qr_png: format!("{qr}?format=png"),
    }
}

/// Share a credential (its learner): makes its public link live, or returns the live one.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/share", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ShareLink), (status = 404, body = crate::http::problem::Problem)))]
async fn start_sharing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ShareLink>> {
    let record = own(&state, &caller, &id).await?;
    share::start(&state, &record).await?;
    Ok(Json(link(&state, &record)))
}

/// The live share link of a credential (its learner); 404 when it is not shared.
#[utoipa::path(get, path = "/api/v1/credentials/{id}/share", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ShareLink), (status = 404, body = crate::http::problem::Problem)))]
async fn get_share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ShareLink>> {
    let record = own(&state, &caller, &id).await?;
    if record.share_hash.is_none() {
        return Err(Error::NotFound);
    }
    Ok(Json(link(&state, &record)))
}

/// Stop sharing (its learner): the link answers 404 from now on; sharing again makes a new one.
#[utoipa::path(delete, path = "/api/v1/credentials/{id}/share", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn stop_sharing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let record = own(&state, &caller, &id).await?;
    share::stop(&state.db, &record).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `svg` (default) or `png`.
    format: Option<String>,
}

/// The share link as a QR code, SVG or PNG (its learner); 404 when it is not shared.
#[utoipa::path(get, path = "/api/v1/credentials/{id}/share/qr", tag = "credentials",
    params(QrQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, content((String = "image/svg+xml"), (String = "image/png"))),
              (status = 404, body = crate::http::problem::Problem)))]
async fn share_qr(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<QrQuery>,
) -> Result<Response> {
    let record = own(&state, &caller, &id).await?;
    if record.share_hash.is_none() {
        return Err(Error::NotFound);
    }
    let url = share::url(&state, &record);
    let private = (header::CACHE_CONTROL, "private, no-store");
    match q.format.as_deref() {
        None | Some("svg") => Ok((
            [(header::CONTENT_TYPE, "image/svg+xml"), private],
            share::qr_svg(&url)?,
        )
            .into_response()),
        Some("png") => Ok((
            [(header::CONTENT_TYPE, "image/png"), private],
            share::qr_png(&url, 8)?,
        )
            .into_response()),
        Some(_) => Err(Error::field("format", "use svg or png")),
    }
}

/// A shared credential (anyone with the link): in a browser, the verification page with its
/// verdict; for programs the signed credential (JSON-LD, or a VC-JWT with
/// `Accept: application/vc+jwt`).
#[utoipa::path(get, path = "/share/{token}", tag = "credentials",
    responses((status = 200, content((Object = "application/vc"), (String = "application/vc+jwt"))),
              (status = 303, description = "A browser goes to the verification page"),
              (status = 404, body = crate::http::problem::Problem)))]
async fn shared_credential(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let record = share::open(&state.db, &token).await?;
    let wants_page = accepts(&headers, "text/html")
        && !accepts(&headers, JWT)
        && !accepts(&headers, "application/json");
    if wants_page {
        return Ok(Redirect::to(&format!("/verify?share={token}")).into_response());
    }
    let mut response = credential_response(&state, &record, accepts(&headers, JWT)).await?;
    response.headers_mut().remove(header::CONTENT_DISPOSITION);
    Ok(response)
}
