//! `/media/{sha256}[.ext]`: content-addressed bytes with ranges, validators, immutable caching, and
//! access by session/token or signed URL.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Path, Query};
use super::header_value as hv;
use crate::{
    blobs::Sha256Hex,
    db::time::now_ms,
    delivery::{
        access::Access,
        range::{self, RangeRequest},
        signing::SignatureError,
    },
    error::{Error, Result},
    http::AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_media))
}

/// A signed URL's parameters; all three or none.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct Signature {
    pub exp: Option<String>,
    pub kid: Option<String>,
    pub sig: Option<String>,
}

pub fn signature_error(e: SignatureError) -> Error {
    let (code, detail) = match e {
        SignatureError::Invalid => ("signature-invalid", "This link's signature is not valid."),
        SignatureError::Expired => (
            "signature-expired",
            "This link has expired; reload the page for a new one.",
        ),
    };
    Error::Denied {
        code,
        detail: detail.into(),
    }
}

/// Checks a signed request for `path`; `Ok(None)` when the request carries no signature.
pub fn verify_signature(state: &AppState, path: &str, s: &Signature) -> Result<Option<i64>> {
    match (&s.exp, &s.kid, &s.sig) {
        (None, None, None) => Ok(None),
        (Some(exp), Some(kid), Some(sig)) => state
            .delivery
            .signer
            .verify(path, exp, kid, sig)
            .map(Some)
            .map_err(signature_error),
        _ => Err(signature_error(SignatureError::Invalid)),
    }
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Bytes of a rendition, named `{sha256}` or `{sha256}.{ext}` (`.mp4`, `.m4a`, `.jpg`, `.vtt`,
/// `.glb`…: the type's extension, which ffmpeg-based players require). GET and HEAD; one range
/// (`a-b`, `a-`, `-n`) → 206, several → the whole file (200); `If-None-Match` / `If-Modified-Since` → 304; `If-Range` with a stale
/// validator → 200. Public content is `public, immutable`; protected content needs a session,
/// a bearer token or a signed URL (`exp`, `kid`, `sig`).
#[utoipa::path(get, path = "/media/{sha256}", tag = "delivery", params(Signature),
    responses((status = 200), (status = 206), (status = 304),
              (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
              (status = 416, body = crate::http::problem::Problem)))]
async fn get_media(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    caller: Caller,
    Path(sha): Path<String>,
    Query(signature): Query<Signature>,
) -> Result<Response> {
    let sha = crate::delivery::media_name(&sha).ok_or(Error::NotFound)?;
    let signed = verify_signature(&state, &format!("/media/{}", sha.as_str()), &signature)?;
    let access = match signed {
        Some(_) => Access::Public,
        None => {
            state
                .delivery
                .access
                .check(&state.db, caller.0.as_ref(), &sha)
                .await?
        }
    };
    if access == Access::Denied {
        return Err(Error::NotFound);
    }
    serve_blob(&state, &method, &headers, &sha, signed, access).await
}

/// The response for a blob the caller may read: validators, range, headers and bytes. Shared by
/// the routed handler and the fast path in front of the router.
pub async fn serve_blob(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    sha: &Sha256Hex,
    signed: Option<i64>,
    access: Access,
) -> Result<Response> {
    let prepared = state
        .delivery
        .source
        .meta(&state.db, sha)
        .await?
        .ok_or(Error::NotFound)?;
    let len = prepared.meta.bytes as u64;
    let (etag, modified) = (&prepared.etag, prepared.modified);
    // Room for what the edge's layers add (request id, CORS, nosniff, …) without regrowing.
    let mut out = HeaderMap::with_capacity(20);
    out.insert(header::ETAG, prepared.etag_header.clone());
    out.insert(header::LAST_MODIFIED, prepared.last_modified.clone());
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let cache = match (signed, access) {
        (Some(exp), _) => hv(&format!(
            "public, max-age={}, immutable",
            (exp - now_ms() / 1000).clamp(0, 31_536_000)
        )),
        (None, Access::Public) => HeaderValue::from_static("public, max-age=31536000, immutable"),
        _ => HeaderValue::from_static("private, max-age=31536000, immutable"),
    };
    out.insert(header::CACHE_CONTROL, cache);

    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => etag_matches(inm, etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                modified
                    .duration_since(since)
                    .map_or(true, |d| d.as_secs() == 0)
            }),
    };
    if not_modified {
        return Ok(respond(StatusCode::NOT_MODIFIED, out, Body::empty()));
    }
    out.insert(header::CONTENT_TYPE, prepared.content_type.clone());
    let (status, start, length) = select_range(headers, etag, len, &mut out)?;
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if method == Method::HEAD || length == 0 {
        return Ok(respond(status, out, Body::empty()));
    }
    let body = state.delivery.source.body(sha, len, start, length).await?;
    Ok(respond(status, out, body))
}

/// A response with these very headers: axum's `(status, headers, body)` would copy them into a
/// new map, one hash each.
fn respond(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The hot path in front of the router (inside the edge's layers): GET/HEAD of `/media/{sha}`
/// (signed, anonymous, or with a bearer token or session cookie, read from the session cache)
/// is answered without routing, the browser guard and extractors (they cost more than the bytes
/// for small files), with the routed handler's answers. Anything else goes to the router.
pub async fn fast_path(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let sha = crate::delivery::media_name(uri.path().strip_prefix("/media/")?)?;
    // Signed over the bare `/media/{sha}`, whatever extension names it.
    let signed_path = &uri.path()[.."/media/".len() + sha.as_str().len()];
    let mut signature = Signature::default();
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=')?;
        match k {
            "exp" => signature.exp = Some(v.to_owned()),
            "kid" => signature.kid = Some(v.to_owned()),
            "sig" => signature.sig = Some(v.to_owned()),
            _ => return None,
        }
    }
    let result = async {
        // As the routed handler's extractors would: the caller first (a dead token is refused
        // even beside a valid signature), then the signature.
        let caller = super::extract::caller(state, headers).await?;
        let signed = verify_signature(state, signed_path, &signature)?;
        let access = match signed {
            Some(_) => Access::Public,
            None => {
                state
                    .delivery
                    .access
                    .check(&state.db, caller.as_ref(), &sha)
                    .await?
            }
        };
        if access == Access::Denied {
            return Err(Error::NotFound);
        }
        serve_blob(state, method, headers, &sha, signed, access).await
    }
    .await;
    Some(result.unwrap_or_else(IntoResponse::into_response))
}

/// Picks what to send of a representation of `len` bytes: all (200) or one range (206, with
/// `Content-Range` added to `out`), or a ready 416 response. `If-Range` only ever names our
/// strong ETag; a date or another tag means "changed", so everything is sent.
pub fn select_range(
    headers: &HeaderMap,
    etag: &str,
    len: u64,
    out: &mut HeaderMap,
) -> Result<(StatusCode, u64, u64)> {
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let request = if if_range_ok {
        range::parse(
            headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
            len,
        )
    } else {
        RangeRequest::Full
    };
    match request {
        RangeRequest::Unsatisfiable => Err(Error::RangeNotSatisfiable(len)),
        RangeRequest::Full => Ok((StatusCode::OK, 0, len)),
        RangeRequest::Partial(r) => {
            out.insert(
                header::CONTENT_RANGE,
                hv(&format!("bytes {}-{}/{len}", r.start, r.end)),
            );
            Ok((StatusCode::PARTIAL_CONTENT, r.start, r.len()))
        }
    }
}
