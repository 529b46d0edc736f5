//! SCORM at the edge: the launch file served with the runtime in it, the runtime's commits, and
//! a learner's attempts.
//!
//! A SCO's launch file is served like every package file (sandboxed, under the session's grant)
//! with two scripts put first in its `<head>`: scorm-again's runtime from `/vendor/`, and the
//! line that makes it `window.API` (SCORM 1.2) or `window.API_1484_11` (2004) with the attempt's
//! data. The runtime commits synchronously with a CORS-simple request (`text/plain`, no
//! credentials) to a URL holding the grant, so the sandbox's opaque origin needs no preflight.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{Caller, Json, Path, Query},
    web_libs::{self, Lib},
};
use crate::{
    error::{Error, Result},
    http::AppState,
    packages::scorm::{self, manifest::Version, AttemptRow, Runtime},
};

/// Largest commit accepted (the data model's own limits are far below it).
const MAX_COMMIT_BYTES: usize = 1 << 20;
/// Largest launch file the runtime is put into.
const MAX_LAUNCH_FILE_BYTES: u64 = 8 << 20;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commit))
        .routes(routes!(attempts))
}

#[derive(Deserialize, IntoParams)]
struct CommitParams {
    /// `true` on the commit the SCO's `Terminate` (`LMSFinish`) makes.
    terminate: Option<bool>,
}

/// The SCORM runtime's commit of a launch's data model (`{"cmi": {...}}`, as scorm-again
/// sends it). The grant in the URL is the credential; `?terminate=true` ends the session.
#[utoipa::path(post, path = "/api/v1/scorm/sessions/{grant}/commit", tag = "packages",
    params(("grant" = String, Path), CommitParams),
    request_body(content = String, description = "JSON, sent as text/plain"),
    responses((status = 200, description = "`{\"result\": true, \"errorCode\": 0}`"),
              (status = 400, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn commit(
    State(state): State<AppState>,
    Path(grant): Path<String>,
    Query(params): Query<CommitParams>,
    body: Body,
) -> Response {
    let result = async {
        let bytes = axum::body::to_bytes(body, MAX_COMMIT_BYTES)
            .await
            .map_err(|_| Error::TooLarge {
                code: "scorm-data-too-large",
                detail: "A commit may be at most 1 MiB.".into(),
            })?;
        let data: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::bad_request("scorm-data-invalid", format!("Not JSON: {e}.")))?;
        let (session, sco) =
            scorm::authorize_commit(&state, &state.delivery.signer, &grant).await?;
        let terminated = params.terminate.unwrap_or(false);
        let completed = scorm::commit(&state, &session, &sco, &data, terminated).await?;
        // The SCO waits for this answer (a synchronous commit): credentials for a course this
        // completed are issued after it, as the outbox would issue them anyway.
        if !completed.is_empty() {
            let state = state.clone();
            tokio::spawn(async move {
                crate::credentials::issue::for_new_completions(&state, &completed).await;
            });
        }
        Ok::<_, Error>(())
    }
    .await;
    let mut response = match result {
        Ok(()) => axum::Json(json!({"result": true, "errorCode": 0})).into_response(),
        Err(e) => e.into_response(),
    };
    let h = response.headers_mut();
    // The sandboxed SCO's origin is opaque: it reads the answer only with this.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The signed-in learner's attempts at a SCORM item, oldest first.
#[utoipa::path(get, path = "/api/v1/courses/{course_id}/units/{unit_id}/attempts", tag = "packages",
    params(("course_id" = String, Path), ("unit_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<AttemptRow>), (status = 404, body = crate::http::problem::Problem)))]
async fn attempts(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
) -> Result<Json<Vec<AttemptRow>>> {
    let user = caller.user()?;
    let sco = scorm::launchable(&state, user, &course_id, &unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(scorm::attempts(&state, &sco.unit_id, &user.id).await?))
}

/// The SCO's launch file with the runtime put first in its head.
pub(super) async fn launch_file(
    state: &AppState,
    runtime: &Runtime,
    sha: &crate::blobs::Sha256Hex,
    bytes: i64,
) -> Result<Response> {
    let lib = match runtime.version {
        Version::Scorm12 => Lib::Scorm12,
        Version::Scorm2004 { .. } => Lib::Scorm2004,
    };
    if !web_libs::available(&state.settings, lib) {
        return Err(Error::Protocol {
            status: 503,
            code: "scorm-runtime-missing",
            detail: "This server has no SCORM runtime: its operator runs scripts/web-libs.".into(),
        });
    }
    if bytes as u64 > MAX_LAUNCH_FILE_BYTES {
        return Err(Error::bad_request(
            "scorm-launch-file-too-large",
            "A SCO's launch page may be at most 8 MiB.",
        ));
    }
    let page = state
        .store
        .object_store()
        .get(&crate::blobs::key(sha))
        .await
        .map_err(anyhow::Error::from)?
        .bytes()
        .await
        .map_err(anyhow::Error::from)?;
    let snippet = runtime_snippet(&state.settings.public_url, lib, runtime);
    let html = inject(&page, &snippet);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response())
}

/// The two scripts that give the page its runtime.
fn runtime_snippet(public_url: &str, lib: Lib, runtime: &Runtime) -> String {
    let (class, global) = match runtime.version {
        Version::Scorm12 => ("Scorm12API", "API"),
        Version::Scorm2004 { .. } => ("Scorm2004API", "API_1484_11"),
    };
    let config = json!({
        "commit": runtime.commit_url,
        "cmi": runtime.cmi,
    });
    // Inside a <script>, "</" and the line separators JavaScript once refused must not appear.
    let config = config
        .to_string()
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!(
        "<script src=\"{public_url}{src}\"></script>\
         <script>(function(){{var c={config};var api=new {class}({{lmsCommitUrl:c.commit,\
         commitRequestDataType:\"text/plain;charset=UTF-8\",terminateCommitParam:\"terminate\",\
         autocommit:false,logLevel:4}});api.loadFromJSON(c.cmi,\"\");window.{global}=api;}})();\
         </script>",
        src = lib.url(),
    )
}

/// `page` with `snippet` right after its `<head>` tag (or its `<html>` tag, or its doctype, or at
/// its start), so the runtime exists before any of the page's own scripts run.
fn inject(page: &[u8], snippet: &str) -> Vec<u8> {
    let lower = page.to_ascii_lowercase();
    let after_tag = |name: &[u8]| -> Option<usize> {
        let mut from = 0;
        while let Some(i) = find(&lower[from..], name).map(|i| i + from) {
            let next = lower.get(i + name.len()).copied();
            if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
                return find(&lower[i..], b">").map(|j| i + j + 1);
            }
            from = i + name.len();
        }
        None
    };
    let at = after_tag(b"<head")
        .or_else(|| after_tag(b"<html"))
        .or_else(|| after_tag(b"<!doctype"))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(page.len() + snippet.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The page a launch file gets once its session has ended.
pub(super) fn ended_page() -> Response {
    (
        StatusCode::GONE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Launch ended</title>\
         <p>This launch has ended. Start the unit again from its page.</p></html>",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::inject;

    fn at(page: &str) -> String {
        String::from_utf8(inject(page.as_bytes(), "<X>")).unwrap()
    }

    #[test]
    fn the_runtime_goes_first_in_the_head() {
        assert_eq!(
            at("<!DOCTYPE html><html lang=en><HEAD><title>t</title><script>API.x()</script>"),
            "<!DOCTYPE html><html lang=en><HEAD><X><title>t</title><script>API.x()</script>"
        );
        assert_eq!(
            at("<html><head data-x=\"1\">"),
            "<html><head data-x=\"1\"><X>"
        );
        // <header> is not <head>.
        assert_eq!(at("<html><body><header>"), "<html><X><body><header>");
        assert_eq!(at("<!doctype html><p>hi"), "<!doctype html><X><p>hi");
        assert_eq!(at("<p>hi"), "<X><p>hi");
    }
}
