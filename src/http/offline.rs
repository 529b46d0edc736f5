//! Taking a course offline: a manifest for apps and service workers, and a resumable ZIP for a
//! USB stick or another Caravan.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::header_value as hv;
use super::{
    delivery::{verify_signature, Signature},
    extract::{Caller, Json, Path, Query},
};
use crate::{
    blobs::Sha256Hex,
    catalogue::courses,
    delivery::{
        access::Access,
        offline::{self, OfflineFile, Quality},
        zip::{self, Segment},
        SIGNED_URL_TTL_SECS,
    },
    error::{Error, Result},
    http::AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offline_manifest))
        .routes(routes!(offline_bundle))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct OfflineQuery {
    /// `low` (240p), `medium` (up to 540p, the default) or `high` (up to 720p).
    quality: Option<Quality>,
    exp: Option<String>,
    kid: Option<String>,
    sig: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OfflineManifest {
    course_id: String,
    title: String,
    quality: Quality,
    files: Vec<OfflineFile>,
    total_bytes: i64,
    /// The same files as one ZIP (resumable with Range).
    bundle_url: String,
}

/// May the caller take this course? Visible to them, or a signed bundle link.
async fn allowed(state: &AppState, caller: &Caller, course_id: &str) -> Result<Access> {
    if courses::is_visible(&state.db, None, course_id).await? {
        return Ok(Access::Public);
    }
    if courses::is_visible(&state.db, caller.0.as_ref(), course_id).await? {
        return Ok(Access::Allowed);
    }
    Err(Error::NotFound)
}

/// Every file a phone needs to take the course offline at a quality, with sizes and SHA-256 so
/// a client can download with resume and verify each file.
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/offline", tag = "offline", params(OfflineQuery),
    responses((status = 200, body = OfflineManifest), (status = 404, body = crate::http::problem::Problem)))]
async fn offline_manifest(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(q): Query<OfflineQuery>,
) -> Result<Json<OfflineManifest>> {
    let public = allowed(&state, &caller, &course_id).await? == Access::Public;
    let quality = q.quality.unwrap_or_default();
    let course = courses::row(&state.db, &course_id).await?;
    let mut files = offline::files(&state, &course_id, quality).await?;
    for f in &mut files {
        f.url = Some(state.delivery.media_url(&f.sha256, &f.mime, public));
    }
    let bundle = format!("/api/v1/courses/{course_id}/bundle.zip");
    let quality_name = serde_json::to_value(quality)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let bundle_url = if public {
        format!("{bundle}?quality={quality_name}")
    } else {
        format!(
            "{}&quality={quality_name}",
            state
                .delivery
                .signer
                .signed_url(&bundle, SIGNED_URL_TTL_SECS)
        )
    };
    Ok(Json(OfflineManifest {
        course_id,
        title: course.title,
        quality,
        total_bytes: files.iter().map(|f| f.bytes).sum(),
        files,
        bundle_url,
    }))
}

/// The course at a quality as one stored ZIP (ZIP64 when large): `manifest.json`,
/// `course.json` and `files/…`. Built the same way every time, so it has a stable ETag and an
/// interrupted download resumes with `Range` (and `If-Range`).
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/bundle.zip", tag = "offline", params(OfflineQuery),
    responses((status = 200, content_type = "application/zip"), (status = 206), (status = 304),
              (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
              (status = 416, body = crate::http::problem::Problem)))]
async fn offline_bundle(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Path(course_id): Path<String>,
    Query(q): Query<OfflineQuery>,
) -> Result<Response> {
    let path = format!("/api/v1/courses/{course_id}/bundle.zip");
    let signed = verify_signature(
        &state,
        &path,
        &Signature {
            exp: q.exp.clone(),
            kid: q.kid.clone(),
            sig: q.sig.clone(),
        },
    )?;
    let access = match signed {
        Some(_) => Access::Public,
        None => allowed(&state, &caller, &course_id).await?,
    };
    let quality = q.quality.unwrap_or_default();
    let files = offline::files(&state, &course_id, quality).await?;
    let course = courses::view(&state.db, &course_id).await?;
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "course_id": course_id, "quality": quality, "files": files,
        "total_bytes": files.iter().map(|f| f.bytes).sum::<i64>(),
    }))
    .map_err(anyhow::Error::from)?;
    let course_json = serde_json::to_vec_pretty(&course).map_err(anyhow::Error::from)?;
    let segments = offline::bundle(
        &state,
        &state.delivery.source,
        &manifest,
        &course_json,
        &files,
    )
    .await?;
    let len = zip::total_len(&segments);
    let etag = format!(
        "\"bundle-{}\"",
        &hex::encode(Sha256::digest(
            [manifest.as_slice(), course_json.as_slice()].concat()
        ))[..32]
    );

    let mut out = HeaderMap::new();
    out.insert(header::ETAG, hv(&etag));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    out.insert(
        header::CONTENT_DISPOSITION,
        hv(&format!("attachment; filename=\"course-{course_id}.zip\"")),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if access == Access::Public {
            "public, max-age=300"
        } else {
            "private, max-age=300"
        }),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let (status, start, length) = super::delivery::select_range(&headers, &etag, len, &mut out)?;
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if method == Method::HEAD || length == 0 {
        return Ok((status, out).into_response());
    }
    let parts: Vec<(Segment, u64, u64)> = zip::slice(&segments, start, length)
        .into_iter()
        .map(|(s, a, n)| (s.clone(), a, n))
        .collect();
    let state2 = state.clone();
    let stream = futures::stream::iter(parts)
        .then(move |(segment, from, n)| {
            let state = state2.clone();
            async move {
                match segment {
                    Segment::Inline(b) => Ok(futures::stream::once(async move {
                        Ok(b.slice(from as usize..(from + n) as usize))
                    })
                    .boxed()),
                    Segment::Blob { sha256, len } => {
                        let sha = Sha256Hex::parse(&sha256)
                            .ok_or_else(|| std::io::Error::other("bad blob id"))?;
                        let body = state
                            .delivery
                            .source
                            .body(&sha, len, from, n)
                            .await
                            .map_err(|e| std::io::Error::other(e.to_string()))?;
                        Ok::<_, std::io::Error>(
                            body.into_data_stream()
                                .map_err(std::io::Error::other)
                                .boxed(),
                        )
                    }
                }
            }
        })
        .try_flatten();
    Ok((status, out, Body::from_stream(stream)).into_response())
}
