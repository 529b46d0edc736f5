//! The xAPI Learning Record Store at `/xapi/`: version negotiation, authentication of LRS
//! clients (HTTP Basic) and learners (their session token), and the resources.

mod about;
mod agents;
pub mod alternate;
mod documents;
mod multipart;
mod statements;

use axum::{
    extract::{FromRef, FromRequestParts, Request},
    http::{header, request::Parts, HeaderName, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    error::{Error, Result},
    http::extract::SESSION_COOKIE,
    http::AppState,
    lrs::xapi::XapiVersion,
    lrs::{clients, Principal},
};

pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-experience-api-version");
pub const CONSISTENT_THROUGH: HeaderName =
    HeaderName::from_static("x-experience-api-consistent-through");

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(statements::routes())
        .merge(documents::routes())
        .merge(agents::routes())
        .merge(about::routes())
}

/// Wraps the LRS routes: every request but `about` must name a supported xAPI version, and
/// every response names the version it was made under. A request that names none is refused
/// in the deployment's default version (`xapi_default_version`, XAPI-00331).
pub fn versioned(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let default = XapiVersion::parse_header(state.settings.xapi_default_version)
        .unwrap_or(XapiVersion::V2_0_0);
    router
        .layer(axum::middleware::from_fn(move |req, next| {
            version_layer(default, req, next)
        }))
        .layer(axum::middleware::from_fn(consistent_through_layer))
}

async fn version_layer(default: XapiVersion, mut req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(&VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    let is_about = req.uri().path().trim_end_matches('/') == "/xapi/about";
    let version = match header.map(XapiVersion::parse_header) {
        Some(Some(v)) => v,
        Some(None) if !is_about => {
            return with_version(
                Error::bad_request(
                    "xapi-version-unsupported",
                    "X-Experience-API-Version must be 2.0.0 or 1.0.x.",
                )
                .into_response(),
                default,
            )
        }
        None if !is_about && req.method() != axum::http::Method::OPTIONS => {
            return with_version(
                Error::bad_request(
                    "xapi-version-missing",
                    format!(
                        "Send the X-Experience-API-Version header (2.0.0 or 1.0.3); this LRS \
                         answers by {} when none is named.",
                        default.as_str()
                    ),
                )
                .into_response(),
                default,
            )
        }
        _ => default,
    };
    req.extensions_mut().insert(version);
    with_version(next.run(req).await, version)
}

fn with_version(mut response: Response, version: XapiVersion) -> Response {
    let headers = response.headers_mut();
    headers.insert(VERSION_HEADER, HeaderValue::from_static(version.as_str()));
    response
}

/// Communication 2.1.3: every statements GET answer, an error too, says how current it is.
async fn consistent_through_layer(req: Request, next: Next) -> Response {
    let is_statements_read = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && req.uri().path().trim_end_matches('/') == "/xapi/statements";
    let mut response = next.run(req).await;
    if is_statements_read && !response.headers().contains_key(&CONSISTENT_THROUGH) {
        let now = crate::db::time::to_rfc3339(crate::db::time::now_ms());
        response
            .headers_mut()
            .insert(CONSISTENT_THROUGH, crate::http::header_value(&now));
    }
    response
}

/// An authenticated LRS caller and the xAPI version of its request.
pub struct Lrs {
    pub principal: Principal,
    pub version: XapiVersion,
    /// The cmi5 session whose auth token the request carries: its statements are an AU's.
    pub cmi5: Option<crate::packages::cmi5::Session>,
}

impl<S: Send + Sync> FromRequestParts<S> for Lrs
where
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let version = parts
            .extensions
            .get::<XapiVersion>()
            .copied()
            .unwrap_or(XapiVersion::V2_0_0);
        let (principal, cmi5) = authenticate(&state, parts).await?;
        Ok(Lrs {
            principal,
            version,
            cmi5,
        })
    }
}

async fn authenticate(
    state: &AppState,
    parts: &Parts,
) -> Result<(Principal, Option<crate::packages::cmi5::Session>)> {
    use crate::packages::cmi5;
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(auth) = auth {
        let (scheme, credentials) = auth.split_once(' ').ok_or(Error::Unauthenticated)?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(Error::Unauthenticated)?;
            let (key, secret) = decoded.split_once(':').ok_or(Error::Unauthenticated)?;
            if key.starts_with(cmi5::TOKEN_KEY_PREFIX) {
                let (user, session) = cmi5::authenticate(state, key, secret)
                    .await?
                    .ok_or(Error::Unauthenticated)?;
                return Ok((Principal::Learner(user), Some(session)));
            }
            let client = clients::authenticate(&state.db, &state.lrs_clients, key, secret).await?;
            return client
                .map(|c| (Principal::Client(c), None))
                .ok_or(Error::Unauthenticated);
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            let user = state.sessions.user(&state.db, credentials.trim()).await?;
            return user
                .map(|u| (Principal::Learner(u), None))
                .ok_or(Error::Unauthenticated);
        }
        return Err(Error::Unauthenticated);
    }
    let jar = axum_extra::extract::CookieJar::from_headers(&parts.headers);
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        if let Some(user) = state.sessions.user(&state.db, cookie.value()).await? {
            return Ok((Principal::Learner(user), None));
        }
    }
    Err(Error::Unauthenticated)
}
