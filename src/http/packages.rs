//! Packages: importing cmi5 courses, launching their AUs, the fetch URL, waiving and
//! abandoning, and the package files a launched AU loads (sandboxed, under a signed grant).

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{has_media_type, Caller, Json, Path, Query};
use crate::{
    authz,
    catalogue::courses,
    error::{Error, Result},
    http::AppState,
    packages::{
        cmi5::{self, track, LaunchRequest},
        content_prefix,
        import::{self, Imported, PACKAGE_FILE},
        scorm,
    },
};

/// Largest package accepted in a request body.
const MAX_PACKAGE_BYTES: u64 = 2 << 30;

#[derive(utoipa::OpenApi)]
#[openapi(paths(package_file))]
struct FilesDoc;

pub fn routes() -> OpenApiRouter<AppState> {
    use utoipa::OpenApi;
    OpenApiRouter::with_openapi(FilesDoc::openapi())
        .route(
            "/content/{asset_id}/{grant}/{*path}",
            axum::routing::get(package_file),
        )
        .routes(routes!(import_package))
        .routes(routes!(launch))
        .routes(routes!(fetch))
        .routes(routes!(waive))
        .routes(routes!(abandon))
        .routes(routes!(export))
        .merge(super::scorm::routes())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    /// Add the units to the end of this course of the organisation instead of a new one.
    course_id: Option<String>,
    /// For a new course: its domain slug (default `employment-skills`).
    domain: Option<String>,
    /// For a new course: its level 1–5 (default 1).
    level: Option<i64>,
    /// Import this ZIP, uploaded to the organisation with tus (resumable, for large packages),
    /// instead of a request body.
    asset_id: Option<String>,
}

/// Import a package: a cmi5 course, a ZIP (Zip32 or Zip64) with `cmi5.xml` at its root, or a
/// bare `cmi5.xml` whose AUs are absolute URLs; or a SCORM 1.2 or 2004 package, a ZIP with
/// `imsmanifest.xml` at its root. Teachers and admins of the organisation.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/packages", tag = "packages",
    params(("org_id" = String, Path), ImportParams),
    request_body(content = Vec<u8>, description = "application/zip or text/xml"),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Imported), (status = 400, body = crate::http::problem::Problem),
              (status = 403, body = crate::http::problem::Problem), (status = 413, body = crate::http::problem::Problem)))]
async fn import_package(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Imported>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::author).await?;
    let file = tempfile::NamedTempFile::new().map_err(anyhow::Error::from)?;
    let kind = match &params.asset_id {
        Some(asset_id) => {
            uploaded_zip(&state, &org_id, asset_id, file.path()).await?;
            import::Body::Zip
        }
        None => {
            let kind = body_kind(&headers)?;
            save_body(body, file.path()).await?;
            kind
        }
    };
    let into = match params.course_id.as_deref() {
        Some(id) => import::Into::Course(id),
        None => import::Into::NewCourse {
            domain: params.domain,
            level: params.level,
        },
    };
    let imported = import::import(&state, user, &org_id, file.path(), kind, into).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

/// Copies the source of a ZIP the organisation uploaded to `path`.
async fn uploaded_zip(
    state: &AppState,
    org_id: &str,
    asset_id: &str,
    path: &std::path::Path,
) -> Result<()> {
    let not_one = || Error::field("asset_id", "must be a ZIP uploaded to this organisation");
    let asset = crate::media::assets::find(&state.db, asset_id)
        .await?
        .filter(|a| a.org_id == org_id && a.kind == "archive")
        .ok_or_else(not_one)?;
    let sha = crate::blobs::Sha256Hex::parse(&asset.source_sha256).ok_or_else(not_one)?;
    crate::blobs::download(&state.store, &crate::blobs::key(&sha), path).await?;
    Ok(())
}

/// What the body is, by its type.
fn body_kind(headers: &HeaderMap) -> Result<import::Body> {
    let kind = if has_media_type(headers, "application/zip")
        || has_media_type(headers, "application/x-zip-compressed")
    {
        import::Body::Zip
    } else if has_media_type(headers, "text/xml") || has_media_type(headers, "application/xml") {
        import::Body::Xml
    } else {
        return Err(Error::UnsupportedType {
            detail: "Send the package as application/zip, or a bare cmi5.xml as text/xml.".into(),
        });
    };
    Ok(kind)
}

/// Streams the body to `path`, refusing more than [`MAX_PACKAGE_BYTES`].
async fn save_body(body: Body, path: &std::path::Path) -> Result<()> {
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(anyhow::Error::from)?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::bad_request("body-unreadable", e.to_string()))?;
        total += chunk.len() as u64;
        if total > MAX_PACKAGE_BYTES {
            return Err(Error::TooLarge {
                code: "package-too-large",
                detail: "A package sent in one request may be at most 2 GiB.".into(),
            });
        }
        out.write_all(&chunk).await.map_err(anyhow::Error::from)?;
    }
    out.flush().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Launch a package unit as the signed-in learner: the URL to open (a cmi5 AU with the cmi5
/// parameters, or a SCORM item's launch file, resuming the learner's attempt or starting the
/// next).
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/units/{unit_id}/launch", tag = "packages",
    params(("course_id" = String, Path), ("unit_id" = String, Path)),
    request_body = LaunchRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = cmi5::Launch), (status = 404, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn launch(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<cmi5::Launch>> {
    let user = caller.user()?;
    let req: LaunchRequest = if body.is_empty() {
        LaunchRequest::default()
    } else {
        super::extract::parse_json(&body)?
    };
    let launch = crate::packages::launch(
        &state,
        &state.delivery.signer,
        user,
        &course_id,
        &unit_id,
        req,
    )
    .await?;
    Ok(Json(launch))
}

/// The fetch URL of a launch (cmi5 8.2): answers once with the session's auth token; every
/// other call gets the cmi5 error document. The URL itself is the credential.
#[utoipa::path(post, path = "/api/v1/cmi5/fetch/{key}", tag = "packages",
    params(("key" = String, Path)),
    responses((status = 200, description = "`{\"auth-token\"}` or `{\"error-code\", \"error-text\"}`")))]
async fn fetch(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response> {
    let answer = cmi5::fetch(&state, &key).await?;
    let mut response = axum::Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Waive {
    /// The learner's registration in the course's package.
    registration: String,
    /// `Tested Out`, `Equivalent AU`, `Equivalent Outside Activity` or `Administrative`.
    reason: String,
}

/// Waive an AU for a learner's registration (teachers and admins of the course's organisation):
/// records `waived` once and evaluates moveOn as if the AU were satisfied.
#[utoipa::path(post, path = "/api/v1/courses/{course_id}/units/{unit_id}/waive", tag = "packages",
    params(("course_id" = String, Path), ("unit_id" = String, Path)),
    request_body = Waive, security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
async fn waive(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    Json(req): Json<Waive>,
) -> Result<StatusCode> {
    let user = caller.user()?;
    let au = cmi5::au(&state, &unit_id)
        .await?
        .filter(|a| a.course_id == course_id)
        .ok_or(Error::NotFound)?;
    if !courses::is_visible(&state.db, Some(user), &course_id).await? {
        return Err(Error::NotFound);
    }
    authz::require_org_role(&state.db, user, &au.org_id, authz::author).await?;
    let completed = track::waive(&state, &au, &req.registration, &req.reason).await?;
    crate::credentials::issue::for_new_completions(&state, &completed).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Abandon an open session (its learner, or teachers and admins of the course's organisation):
/// records `abandoned` with the session's duration, once.
#[utoipa::path(post, path = "/api/v1/cmi5/sessions/{session_id}/abandon", tag = "packages",
    params(("session_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn abandon(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> Result<StatusCode> {
    let user = caller.user()?;
    let session = cmi5::session(&state, &session_id)
        .await?
        .ok_or(Error::NotFound)?;
    if session.user_id != user.id {
        let au = cmi5::au(&state, &session.unit_id)
            .await?
            .ok_or(Error::NotFound)?;
        authz::require_org_role(&state.db, user, &au.org_id, authz::author)
            .await
            .map_err(|_| Error::NotFound)?;
    }
    if !track::abandon(&state, &session).await? {
        return Err(Error::Refused {
            code: "session-ended",
            detail: "This session has ended already.".into(),
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    /// `caravan` (the default; another Caravan imports it intact), `cmi5` or `scorm12` (each
    /// video, audio, document and quiz unit as an AU or SCO, for other LMSs).
    format: Option<String>,
}

/// Export a course as a package (teachers and admins of the course's organisation).
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/export", tag = "packages",
    params(("course_id" = String, Path), ExportParams), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "application/zip"), (status = 403, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem), (status = 409, body = crate::http::problem::Problem)))]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(params): Query<ExportParams>,
    request: axum::extract::Request,
) -> Result<Response> {
    use crate::packages::export::{self, Format};
    use tower::ServiceExt;
    let user = caller.user()?;
    if !courses::is_visible(&state.db, Some(user), &course_id).await? {
        return Err(Error::NotFound);
    }
    let course = courses::row(&state.db, &course_id).await?;
    authz::require_org_role(&state.db, user, &course.org_id, authz::author).await?;
    let format = match params.format.as_deref() {
        None => Format::Caravan,
        Some(f) => Format::parse(f)
            .ok_or_else(|| Error::field("format", "must be caravan, cmi5 or scorm12"))?,
    };
    let exported = export::export(&state, &course_id, format).await?;
    // The open file outlives its name: the temporary file is gone once this returns.
    let served = tower_http::services::ServeFile::new(exported.file.path())
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    let mut response = served.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    let disposition = format!(
        "attachment; filename=\"{}\"",
        exported.filename.replace('"', "")
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// What a package's page may do: run its scripts and forms and open windows, but from an
/// origin of its own, so it can read none of Caravan's cookies or storage.
const CONTENT_POLICY: &str =
    "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads";

/// A file of an imported package by its path in the package, under a grant a launch signed for
/// the package's folder (so the page's relative links carry it).
#[utoipa::path(get, path = "/content/{asset_id}/{grant}/{path}", tag = "packages",
    params(("asset_id" = String, Path), ("grant" = String, Path), ("path" = String, Path)),
    responses((status = 200), (status = 206), (status = 404, body = crate::http::problem::Problem)))]
async fn package_file(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((asset_id, grant, path)): Path<(String, String, String)>,
) -> Result<Response> {
    use crate::delivery::access::Access;
    let signer = &state.delivery.signer;
    // A SCORM launch's grant names its session: the launch file then carries the runtime.
    let (exp, scorm_session) = match scorm::verify_grant(signer, &asset_id, &grant) {
        Some((session_id, exp)) => (exp, Some(session_id)),
        None => {
            let exp = signer
                .verify_grant(&content_prefix(&asset_id), &grant)
                .map_err(|_| Error::NotFound)?;
            (exp, None)
        }
    };
    let file = crate::media::assets::renditions(&state.db, &asset_id)
        .await?
        .into_iter()
        .find(|r| r.name == path && r.role == PACKAGE_FILE)
        .ok_or(Error::NotFound)?;
    let sha = crate::blobs::Sha256Hex::parse(&file.sha256).ok_or(Error::NotFound)?;
    // Only an HTML file can be a SCO's launch page: the others are served without a lookup.
    let launch = match scorm_session.filter(|_| file.mime.starts_with("text/html")) {
        Some(id) => match scorm::session(&state, id).await? {
            Some(session) => match scorm::runtime(&state, &session, &grant).await? {
                Some(runtime) if runtime.launch_path == path => Some(Ok(runtime)),
                Some(_) => None,
                None => Some(Err(())),
            },
            None => return Err(Error::NotFound),
        },
        None => None,
    };
    let mut response = match launch {
        Some(Ok(runtime)) if method == Method::GET => {
            super::scorm::launch_file(&state, &runtime, &sha, file.bytes).await?
        }
        Some(Err(())) => super::scorm::ended_page(),
        _ => {
            super::delivery::serve_blob(&state, &method, &headers, &sha, Some(exp), Access::Allowed)
                .await?
        }
    };
    let h = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&file.mime) {
        h.insert(header::CONTENT_TYPE, mime);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_POLICY),
    );
    // The sandboxed page's origin is opaque: its module scripts and fetches are cross-origin.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}
