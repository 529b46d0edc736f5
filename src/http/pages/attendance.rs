//! Attendance pages: the teacher's screen with the session's rotating code as a QR code (and its
//! digits, for a phone without a camera), and the page the learner's phone opens from it.

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::json;

use crate::http::{
    extract::{Path, SignedIn},
    pages::templates,
};
use crate::{
    error::{Error, Result},
    http::AppState,
    training::{self, AttendInput},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teach/class-sessions/{session_id}/code", get(code_screen))
        .route("/attend/{session_id}", get(attend_page).post(attend_form))
}

/// The QR code of a URL, as an SVG drawn on the server (no script needed to show it).
fn qr_svg(url: &str) -> Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("a QR code of {url}: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// The session's code for the room's screen; the page reloads itself when the code changes.
async fn code_screen(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    Path(session_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let code = training::current_code(&state, user, &session_id).await?;
    let url = format!(
        "{}/attend/{session_id}?code={}",
        state.settings.public_url, code.code
    );
    let changes_at = crate::db::time::parse_rfc3339(&code.changes_at).unwrap_or(0);
    let refresh = ((changes_at - crate::db::time::now_ms()) / 1000).clamp(1, 30);
    Ok(Html(templates::render(
        "teach_code.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, user).await?,
            "code": code.code,
            "url": url,
            "qr": qr_svg(&url)?,
            "refresh": refresh,
        }),
    )?)
    .into_response())
}

/// The page a scanned code opens: one button records the learner's attendance.
async fn attend_page(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    Path(session_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let context = json!({
        "user": templates::viewer(&state.db, user).await?,
        "session_id": session_id,
        "code": query.get("code").cloned().unwrap_or_default(),
    });
    Ok(Html(templates::render("attend.html", zh, context)?).into_response())
}

async fn attend_form(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    Path(session_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let code = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let input = AttendInput {
        code: code.clone(),
        scanned_at: None,
        device_now: None,
    };
    let (recorded, refused) = match training::attend(&state, user, &session_id, input).await {
        Ok(a) => (Some(a.attended_at), false),
        Err(Error::Denied { .. }) => (None, true),
        Err(e) => return Err(e),
    };
    let context = json!({
        "user": templates::viewer(&state.db, user).await?,
        "session_id": session_id,
        "code": if refused { String::new() } else { code },
        "recorded": recorded,
        "refused": refused,
    });
    Ok(Html(templates::render("attend.html", zh, context)?).into_response())
}
