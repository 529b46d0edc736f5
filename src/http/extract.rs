//! Request extractors whose every rejection is a problem+json `Error` (except `SignedIn`,
//! the pages' extractor, which sends a visitor to sign in).

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{
        rejection::{BytesRejection, PathRejection, QueryRejection},
        ConnectInfo, FromRef, FromRequest, FromRequestParts, Request,
    },
    http::{header, request::Parts, HeaderMap},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use bytes::Bytes;
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    accounts::User,
    error::{Error, FieldError, Result},
    http::AppState,
};

pub const SESSION_COOKIE: &str = "caravan_session";

/// JSON in and out. Parsing keeps the path of the offending field for the 422 body.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Error::UnsupportedType {
                detail: "Send the body as JSON with Content-Type: application/json.".into(),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(Json)
    }
}

/// Whether the body's `Content-Type` is this media type (parameters aside).
pub fn has_media_type(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

pub fn body_error(e: BytesRejection) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge {
            code: "payload-too-large",
            detail: "The request body is larger than this endpoint accepts.".into(),
        }
    } else {
        Error::bad_request("unreadable-body", "The request body could not be read.")
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Error::bad_request(
                "malformed-json",
                format!("The body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        let field = if path == "." {
            // serde reports a missing field at the parent: name the field itself.
            message
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .unwrap_or_else(|| "body".into())
        } else {
            path
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        Error::Validation(vec![FieldError::new(field, message)])
    })?;
    de.end().map_err(|_| {
        Error::bad_request(
            "malformed-json",
            "The body has trailing data after the JSON value.",
        )
    })?;
    Ok(value)
}

/// Query-string parameters; a malformed one is a 400 naming it.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| Error::bad_request("invalid-query", e.body_text()))
    }
}

/// Path parameters; a malformed one is a 404 (the resource cannot exist).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_: PathRejection| Error::NotFound)
    }
}

/// Who is calling: a user from a bearer token or the session cookie, or nobody.
pub struct Caller(pub Option<User>);

impl Caller {
    pub fn user(&self) -> Result<&User> {
        self.0.as_ref().ok_or(Error::Unauthenticated)
    }
}

/// A page's signed-in user; a visitor is redirected to sign in and come back to this path.
pub struct SignedIn(pub User);

/// The sign-in page, returning to `path` (a path of this site) afterwards.
pub fn to_sign_in(path: &str) -> Response {
    Redirect::to(&sign_in_url(path)).into_response()
}

/// The sign-in page that comes back to `path`.
pub fn sign_in_url(path: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/login?next={next}")
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn
where
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(Caller(Some(user))) => Ok(SignedIn(user)),
            Ok(Caller(None)) => Err(to_sign_in(parts.uri.path())),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        caller(&state, &parts.headers).await.map(Caller)
    }
}

/// Who sent a request with these headers: a bearer token's user (a dead or malformed token is
/// an error, not anonymity: the client must know), a session cookie's user (a stale cookie just
/// means "signed out"), or nobody. Sessions come from the node's session cache.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Option<User>> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(Error::Unauthenticated)?;
        let user = state.sessions.user(&state.db, token.trim()).await?;
        return user.map(Some).ok_or(Error::Unauthenticated);
    }
    if !headers.contains_key(header::COOKIE) {
        return Ok(None);
    }
    match CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        Some(cookie) => state.sessions.user(&state.db, cookie.value()).await,
        None => Ok(None),
    }
}

/// The session token the request authenticated with, for logout.
pub fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when configured to trust it.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if state.settings.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok());
            if let Some(ip) = forwarded {
                return Ok(ClientAddr(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientAddr(peer))
    }
}

/// Whether the request's `Accept` header names this media type (parameters and weights aside).
pub fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media))
        })
}

/// A representation chosen by a `format` parameter or, without one, by `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
}

/// `allowed` names the `format` values an endpoint takes, its default first (`json` or `jsonl`
/// mean JSON). Without the parameter, `Accept: text/csv` or `text/html` chooses those formats
/// when they are allowed.
pub fn negotiate(
    param: Option<&str>,
    headers: &HeaderMap,
    allowed: &[&str],
) -> Result<Format, FieldError> {
    let chosen = match param.map(str::trim) {
        Some("") | None => [("text/csv", "csv"), ("text/html", "html")]
            .into_iter()
            .find(|(media, f)| allowed.contains(f) && accepts(headers, media))
            .map_or(allowed[0], |(_, f)| f),
        Some(f) => f,
    };
    if !allowed.contains(&chosen) {
        return Err(FieldError::new(
            "format",
            format!("use one of: {}", allowed.join(", ")),
        ));
    }
    Ok(match chosen {
        "csv" => Format::Csv,
        "html" => Format::Html,
        _ => Format::Json,
    })
}
