//! `/media/{sha256}`: content-addressed bytes with ranges, validators and immutable caching.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;
use object_store::{GetOptions, GetRange, ObjectStore};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Path;
use crate::{
    app::AppState,
    blobs::{self, Sha256Hex},
    delivery::range::{self, RangeRequest},
    error::{AppError, AppResult},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_media))
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Bytes of a stored blob; `Range` (one range), `If-None-Match`, `If-Range` and HEAD.
#[utoipa::path(get, path = "/media/{sha256}", tag = "delivery",
    responses((status = 200), (status = 206), (status = 304), (status = 404, body = crate::error::Problem),
              (status = 416, body = crate::error::Problem)))]
async fn get_media(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> AppResult<Response> {
    let sha = Sha256Hex::parse(&sha).ok_or(AppError::NotFound)?;
    let (mime, len) = blobs::mime_of(&state.db, &sha)
        .await?
        .ok_or(AppError::NotFound)?;
    let len = len as u64;
    let etag = format!("\"{}\"", sha.as_str());
    let mut common = HeaderMap::new();
    common.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    common.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    common.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        if etag_matches(inm, &etag) {
            return Ok((StatusCode::NOT_MODIFIED, common).into_response());
        }
    }
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let request = if if_range_ok {
        range::parse(range_header, len)
    } else {
        RangeRequest::Full
    };
    common.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let (status, get_range, length) = match request {
        RangeRequest::Unsatisfiable => {
            let mut r = AppError::Status {
                status: 416,
                code: "range-not-satisfiable",
                detail: format!("This file has {len} bytes."),
            }
            .into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return Ok(r);
        }
        RangeRequest::Full => (StatusCode::OK, None, len),
        RangeRequest::Partial(r) => {
            common.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes {}-{}/{len}", r.start, r.end))
                    .expect("ascii"),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                Some(GetRange::Bounded(r.start..r.end + 1)),
                r.len(),
            )
        }
    };
    common.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if method == Method::HEAD || length == 0 {
        return Ok((status, common).into_response());
    }
    let result = state
        .store
        .object_store()
        .get_opts(
            &blobs::key(&sha),
            GetOptions {
                range: get_range,
                ..Default::default()
            },
        )
        .await?;
    let stream = result.into_stream().map_err(std::io::Error::other);
    Ok((status, common, Body::from_stream(stream)).into_response())
}
