//! The sign-in page and the learner's own page (progress, credential wallet, transcript).
//! Forms post to the same domain functions as the JSON API.

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use serde_json::json;

use super::{
    auth::{authenticate, session_cookie},
    extract::{presented_token, Caller, ClientAddr, SignedIn, SESSION_COOKIE},
    templates,
};
use crate::{
    accounts,
    app::AppState,
    credentials::records,
    error::{AppError, AppResult},
    progress,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/join", get(join_page))
}

/// Join an organisation with a join code; a visitor registers at the same time.
async fn join_page(caller: Caller, uri: Uri, headers: HeaderMap) -> AppResult<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    Ok(Html(templates::render(
        "join.html",
        zh,
        json!({
            "user": caller.0.as_ref().map(|u| json!({"display_name": u.display_name})),
            "code": query_param(&uri, "code"),
        }),
    )?))
}

/// Only paths of this site, so a crafted link cannot send someone elsewhere after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/me".to_owned(),
    }
}

fn query_param(uri: &Uri, key: &str) -> Option<String> {
    uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

fn login_form(
    zh: bool,
    next: &str,
    email: Option<&str>,
    problem: Option<&str>,
) -> AppResult<Html<String>> {
    Ok(Html(templates::render(
        "login.html",
        zh,
        json!({"next": next, "email": email, "problem": problem}),
    )?))
}

async fn login_page(uri: Uri, headers: HeaderMap) -> AppResult<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    login_form(
        zh,
        &safe_next(query_param(&uri, "next").as_deref()),
        None,
        None,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let zh = templates::chinese(&uri, &headers);
    let next = safe_next(form.next.as_deref());
    match authenticate(&state, addr, &form.email, form.password).await {
        Ok((_, token)) => {
            let jar = jar.add(session_cookie(&token, &state));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(
            e @ (AppError::Unauthorized
            | AppError::Validation(_)
            | AppError::TooManyRequests { .. }),
        ) => {
            let key = if matches!(e, AppError::TooManyRequests { .. }) {
                "login_throttled"
            } else {
                "login_failed"
            };
            let problem = templates::string(zh, key);
            let mut page =
                login_form(zh, &next, Some(&form.email), Some(&problem))?.into_response();
            *page.status_mut() = e.status();
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> AppResult<Response> {
    if let Some(token) = presented_token(&headers) {
        accounts::revoke_session(&state.db, &token).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/")).into_response())
}

/// The learner's page; signed-out visitors are sent to sign in first.
async fn me(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    uri: Uri,
    headers: HeaderMap,
) -> AppResult<Response> {
    let zh = templates::chinese(&uri, &headers);
    let progress = progress::view::all(&state.db, &user.id).await?;
    let credentials: Vec<serde_json::Value> = records::of_learner(&state.db, &user.id)
        .await?
        .iter()
        .map(|r| {
            let doc = r.document().unwrap_or_default();
            json!({
                "id": r.id,
                "name": r.name,
                "issuer": doc["issuer"]["name"],
                "image": doc["credentialSubject"]["achievement"]["image"]["id"],
                "issued_at": crate::db::time::to_rfc3339(r.issued_at),
                "revoked": r.revoked_at.is_some(),
            })
        })
        .collect();
    Ok(Html(templates::render(
        "me.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, user).await?,
            "progress": progress.items,
            "credentials": credentials,
        }),
    )?)
    .into_response())
}
