//! tus 1.0.0 at `/api/v1/uploads`: core protocol plus creation, creation-with-upload,
//! termination, checksum (sha256) and expiration. Bodies stream to the store as they arrive.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Path};
use super::header_value as hv;
use crate::{
    accounts::User,
    authz,
    error::{Error, Result},
    http::AppState,
    uploads::{self, Checksum, ChecksumAlgorithm, NewUpload, Upload, UploadError},
};

/// Each refusal of the storage side as the problem tus clients and teachers see.
impl From<UploadError> for Error {
    fn from(e: UploadError) -> Self {
        let detail = e.to_string();
        match e {
            UploadError::TooLarge { .. } => Error::TooLarge {
                code: "upload-too-large",
                detail,
            },
            UploadError::QuotaExceeded { .. } => Error::TooLarge {
                code: "quota-exceeded",
                detail,
            },
            UploadError::LengthExceeded => Error::TooLarge {
                code: "upload-length-exceeded",
                detail,
            },
            // tus checksum extension: 460 Checksum Mismatch.
            UploadError::ChecksumMismatch => Error::Protocol {
                status: 460,
                code: "checksum-mismatch",
                detail,
            },
            UploadError::Interrupted => Error::bad_request("upload-interrupted", detail),
            UploadError::OffsetMoved => Error::conflict("Upload-Offset", detail),
            UploadError::Unsupported(detail) => Error::UnsupportedType { detail },
            UploadError::NotFound => Error::NotFound,
            UploadError::Database(e) => e.into(),
            UploadError::Store(e) => e.into(),
            UploadError::Internal(e) => Error::Internal(e),
            UploadError::Feature(e) => e,
        }
    }
}

pub const TUS_VERSION: &str = "1.0.0";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

pub const TUS_HEADERS: [&str; 10] = [
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "tus-checksum-algorithm",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-expires",
    "caravan-asset-id",
];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(options_uploads, create_upload))
        .routes(routes!(head_upload, patch_upload, delete_upload))
}

/// Every request but OPTIONS must speak our tus version.
fn check_version(headers: &HeaderMap) -> Result<()> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(Error::PreconditionFailed {
            code: "tus-version-unsupported",
            detail: format!("Send Tus-Resumable: {TUS_VERSION}."),
        }),
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| {
                Error::bad_request(
                    "invalid-header",
                    format!("{name} must be a non-negative integer"),
                )
            }),
    }
}

fn checksum(headers: &HeaderMap) -> Result<Option<Checksum>> {
    let Some(v) = headers.get("upload-checksum") else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| Error::bad_request("invalid-header", "Upload-Checksum is not ASCII"))?;
    let (algo, digest) = v.trim().split_once(' ').unwrap_or((v, ""));
    let algorithm = match algo.to_ascii_lowercase().as_str() {
        "sha1" => ChecksumAlgorithm::Sha1,
        "sha256" => ChecksumAlgorithm::Sha256,
        _ => {
            return Err(Error::bad_request(
                "checksum-algorithm-unsupported",
                "Upload-Checksum supports sha1 and sha256.",
            ))
        }
    };
    let expected = STANDARD.decode(digest.trim()).map_err(|_| {
        Error::bad_request("invalid-header", "Upload-Checksum digest must be base64")
    })?;
    Ok(Some(Checksum {
        algorithm,
        expected,
    }))
}

fn http_date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

fn upload_headers(upload: &Upload) -> [(HeaderName, HeaderValue); 3] {
    [
        (
            HeaderName::from_static("upload-offset"),
            hv(&upload.upload_offset.to_string()),
        ),
        (
            HeaderName::from_static("upload-expires"),
            hv(&http_date(upload.expires_at)),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// What the server supports (no authentication needed).
#[utoipa::path(options, path = "/api/v1/uploads", tag = "uploads", responses((status = 204)))]
async fn options_uploads(State(state): State<AppState>) -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (
                HeaderName::from_static("tus-version"),
                HeaderValue::from_static(TUS_VERSION),
            ),
            (
                HeaderName::from_static("tus-extension"),
                HeaderValue::from_static(
                    "creation,creation-with-upload,termination,checksum,expiration",
                ),
            ),
            (
                HeaderName::from_static("tus-max-size"),
                hv(&state.settings.max_upload_bytes.to_string()),
            ),
            (
                HeaderName::from_static("tus-checksum-algorithm"),
                HeaderValue::from_static("sha1,sha256"),
            ),
        ],
    )
        .into_response()
}

/// The organisation an upload belongs to: the unit's course's, the one named, or the caller's
/// only authoring organisation.
async fn target_org(
    state: &AppState,
    user: &User,
    meta: &[(String, String)],
) -> Result<(String, Option<String>)> {
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(unit) = get("unit_id") {
        let course = crate::catalogue::units::course_of(&state.db, &unit)
            .await?
            .ok_or_else(|| Error::field("unit_id", "no such unit"))?;
        let org = crate::catalogue::courses::row(&state.db, &course)
            .await?
            .org_id;
        authz::require_org_role(&state.db, user, &org, authz::author).await?;
        return Ok((org, Some(unit)));
    }
    if let Some(org) = get("org_id") {
        authz::require_org_role(&state.db, user, &org, authz::author).await?;
        return Ok((org, None));
    }
    let authoring: Vec<String> = crate::accounts::memberships(&state.db, &user.id)
        .await?
        .into_iter()
        .filter(|m| m.role == "teacher" || m.role == "admin")
        .map(|m| m.org_id)
        .collect();
    match authoring.as_slice() {
        [one] => Ok((one.clone(), None)),
        [] => Err(Error::Forbidden),
        _ => Err(Error::field(
            "org_id",
            "you teach in several organisations: name one in Upload-Metadata org_id",
        )),
    }
}

/// Create an upload (`Upload-Length`, `Upload-Metadata` with `filename` and optionally
/// `unit_id`, `org_id`, `language`, `captions_for`); a body sent with it is the first bytes.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads", security(("bearer" = []), ("session" = [])),
    responses((status = 201, description = "Created; Location names the upload"),
              (status = 413, body = crate::http::problem::Problem), (status = 415, body = crate::http::problem::Problem)))]
async fn create_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let user = caller.user()?;
    check_version(&headers)?;
    let length = header_u64(&headers, "upload-length")?.ok_or_else(|| {
        Error::bad_request(
            "upload-length-required",
            "Send Upload-Length (deferred lengths are not supported).",
        )
    })?;
    let raw_meta = headers
        .get("upload-metadata")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let meta =
        uploads::parse_metadata(raw_meta).map_err(|m| Error::bad_request("invalid-metadata", m))?;
    let (org_id, unit_id) = target_org(&state, user, &meta).await?;
    let filename = meta
        .iter()
        .find(|(k, _)| k == "filename")
        .map(|(_, v)| {
            v.chars()
                .filter(|c| !c.is_control())
                .take(255)
                .collect::<String>()
        })
        .unwrap_or_else(|| "upload".to_owned());
    let meta_json = serde_json::Value::Object(
        meta.iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect(),
    )
    .to_string();
    let checksum = checksum(&headers)?;
    let upload = uploads::create(
        &state,
        NewUpload {
            user_id: &user.id,
            org_id: &org_id,
            unit_id: unit_id.as_deref(),
            filename: &filename,
            metadata: &meta_json,
            length,
        },
    )
    .await?;
    let location = format!("/api/v1/uploads/{}", upload.id);
    let has_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        == Some(OFFSET_STREAM);
    let upload = if has_body || length == 0 {
        match receive(&state, upload, checksum, body).await {
            Ok(u) => u,
            Err((_, e)) => return Err(e),
        }
    } else {
        upload
    };
    let mut response = (
        StatusCode::CREATED,
        [(header::LOCATION, hv(&location))],
        upload_headers(&upload),
    )
        .into_response();
    finish_headers(&state, &upload, &mut response).await?;
    Ok(response)
}

/// Appends a body and returns the upload as it now stands. The work runs in its own task: when
/// a client's connection drops, hyper drops this handler, but the bytes that did arrive must
/// still be stored and acknowledged for the resume.
async fn receive(
    state: &AppState,
    upload: Upload,
    checksum: Option<Checksum>,
    body: Body,
) -> Result<Upload, (Upload, Error)> {
    let task = {
        let (state, upload) = (state.clone(), upload.clone());
        tokio::spawn(async move {
            uploads::append(&state, &upload, body.into_data_stream(), checksum).await
        })
    };
    match task.await {
        Ok(Ok(u)) => Ok(u),
        Ok(Err(e)) => Err((upload, e.into())),
        Err(e) => Err((
            upload,
            Error::Internal(anyhow::anyhow!("upload task failed: {e}")),
        )),
    }
}

/// When the last byte is in, makes the asset and names it in `Caravan-Asset-Id`.
async fn finish_headers(state: &AppState, upload: &Upload, response: &mut Response) -> Result<()> {
    if upload.is_complete() {
        let asset = uploads::finish(state, upload).await?;
        response
            .headers_mut()
            .insert(HeaderName::from_static("caravan-asset-id"), hv(&asset));
    }
    Ok(())
}

async fn owned(state: &AppState, user: &User, id: &str) -> Result<Upload> {
    let upload = uploads::get(state, id).await?;
    if upload.user_id != user.id && !user.is_superadmin {
        return Err(Error::NotFound);
    }
    Ok(upload)
}

/// The offset to resume from.
#[utoipa::path(head, path = "/api/v1/uploads/{upload_id}", tag = "uploads", security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Upload-Offset and Upload-Length"), (status = 404)))]
async fn head_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = caller.user()?;
    check_version(&headers)?;
    let upload = owned(&state, user, &id).await?;
    let mut response = (StatusCode::OK, upload_headers(&upload)).into_response();
    let h = response.headers_mut();
    h.insert("upload-length", hv(&upload.upload_length.to_string()));
    if let Some(raw) = headers_metadata(&upload) {
        h.insert("upload-metadata", hv(&raw));
    }
    finish_headers(&state, &upload, &mut response).await?;
    Ok(response)
}

fn headers_metadata(upload: &Upload) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&upload.metadata).ok()?;
    Some(
        map.iter()
            .map(|(k, v)| format!("{k} {}", STANDARD.encode(v.as_str().unwrap_or_default())))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// Append bytes at `Upload-Offset` (`Content-Type: application/offset+octet-stream`).
#[utoipa::path(patch, path = "/api/v1/uploads/{upload_id}", tag = "uploads", security(("bearer" = []), ("session" = [])),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "Stored; Upload-Offset is the new offset"),
              (status = 409, body = crate::http::problem::Problem), (status = 460, body = crate::http::problem::Problem)))]
async fn patch_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let user = caller.user()?;
    check_version(&headers)?;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some(OFFSET_STREAM)
    {
        return Err(Error::UnsupportedType {
            detail: format!("Send the bytes as {OFFSET_STREAM}."),
        });
    }
    let offset = header_u64(&headers, "upload-offset")?
        .ok_or_else(|| Error::bad_request("upload-offset-required", "Send Upload-Offset."))?;
    let upload = owned(&state, user, &id).await?;
    if offset as i64 != upload.upload_offset {
        return Err(Error::conflict(
            "Upload-Offset",
            format!(
                "This upload is at offset {}; resume from there.",
                upload.upload_offset
            ),
        ));
    }
    let checksum = checksum(&headers)?;
    let upload = receive(&state, upload, checksum, body)
        .await
        .map_err(|(_, e)| e)?;
    let mut response = (StatusCode::NO_CONTENT, upload_headers(&upload)).into_response();
    finish_headers(&state, &upload, &mut response).await?;
    Ok(response)
}

/// Abandon an upload and delete what was received.
#[utoipa::path(delete, path = "/api/v1/uploads/{upload_id}", tag = "uploads", security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem)))]
async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let user = caller.user()?;
    check_version(&headers)?;
    let upload = owned(&state, user, &id).await?;
    uploads::discard(&state, &upload).await?;
    Ok(StatusCode::NO_CONTENT)
}
