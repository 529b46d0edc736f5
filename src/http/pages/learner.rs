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

use crate::http::{
    auth::sign_in,
    extract::{presented_token, Caller, ClientAddr, SignedIn, SESSION_COOKIE},
    pages::templates,
};
use crate::{
    credentials::records,
    error::{Error, Result},
    http::AppState,
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
async fn join_page(caller: Caller, uri: Uri, headers: HeaderMap) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    Ok(Html(templates::render(
        "join.html",
        zh,
        json!({
            "user": caller.0.as_ref().map(|u| json!({"display_name": u.display_name})),
            "code": templates::query_param(&uri, "code"),
        }),
    )?))
}

/// Only paths of this site, so a crafted link cannot send someone elsewhere after signing in.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .map_or_else(|| "/me".to_owned(), str::to_owned)
}

/// A path that resolves to this origin however a browser reads it: it starts with one `/`, holds
/// no backslash, whitespace or control character (browsers drop tabs and newlines from URLs, so
/// `/\t/evil.example` is `//evil.example`), and joined to any origin it stays on that origin.
fn is_local_path(next: &str) -> bool {
    let plain = next
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && c != '\\');
    let base = url::Url::parse("http://origin.invalid/").expect("a valid base URL");
    plain
        && next.starts_with('/')
        && !next.starts_with("//")
        && base.join(next).is_ok_and(|u| u.origin() == base.origin())
}

fn login_form(
    zh: bool,
    next: &str,
    email: Option<&str>,
    problem: Option<&str>,
) -> Result<Html<String>> {
    Ok(Html(templates::render(
        "login.html",
        zh,
        json!({"next": next, "email": email, "problem": problem}),
    )?))
}

async fn login_page(uri: Uri, headers: HeaderMap) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    login_form(
        zh,
        &safe_next(templates::query_param(&uri, "next").as_deref()),
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
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let next = safe_next(form.next.as_deref());
    match sign_in(&state, addr, jar, &form.email, form.password).await {
        Ok((_, _, jar)) => Ok((jar, Redirect::to(&next)).into_response()),
        Err(e @ (Error::Unauthenticated | Error::Validation(_) | Error::Throttled { .. })) => {
            let key = if matches!(e, Error::Throttled { .. }) {
                "login_throttled"
            } else {
                "login_failed"
            };
            let problem = templates::string(zh, key);
            let mut page =
                login_form(zh, &next, Some(&form.email), Some(&problem))?.into_response();
            *page.status_mut() = crate::http::problem::status(&e);
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response> {
    if let Some(token) = presented_token(&headers) {
        state.sessions.revoke(&state.db, &token).await?;
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
) -> Result<Response> {
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
            "invitations": crate::orgs::members::invitations(&state.db, &user.id).await?,
        }),
    )?)
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        for good in ["/me", "/courses/1?x=1#u", "/teach/courses/a%2Fb"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "https://evil.example/",
            "/ /evil.example",
            "me",
            "/\u{0}x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/me", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/me");
    }
}
