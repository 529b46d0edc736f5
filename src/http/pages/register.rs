//! The registration pages: the form (`/register`, or `/register?org={id}` into an
//! organisation that opened registration), the "check your e-mail" answer, and the confirmation
//! the mailed link opens (a button, so a mail scanner following the link creates nothing).

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use axum_extra::extract::cookie::CookieJar;
use serde_json::{json, Value};

use crate::http::{
    auth::new_session,
    extract::{Caller, ClientAddr},
    pages::templates,
};
use crate::{
    catalogue::vocab::{self, Vocabulary},
    error::{Error, Result},
    http::AppState,
    orgs,
    registration::{self, Request},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(form_page).post(submit))
        .route("/register/confirm", get(confirm_page).post(confirm))
}

/// The form, open or saying it is closed; `extra` carries what was typed and what was wrong.
async fn form(state: &AppState, zh: bool, org_id: Option<&str>, extra: Value) -> Result<String> {
    let org = match org_id {
        Some(id) => Some(orgs::get(&state.db, id).await?),
        None => None,
    };
    let open = registration::is_open(state, org_id).await?;
    let target_groups: Vec<Value> = vocab::labels(&state.db, Vocabulary::TargetGroups, zh)
        .await?
        .into_iter()
        .map(|(slug, label)| json!({"slug": slug, "label": label}))
        .collect();
    let mut context = json!({
        "user": Value::Null,
        "posts_back": true,
        "zh": zh,
        "open": open,
        "org": org.map(|o| json!({"id": o.id, "name": o.name})),
        "target_groups": target_groups,
        "form": {},
    });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    templates::render("register.html", zh, context)
}

async fn form_page(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    if caller.0.is_some() {
        return Ok(Redirect::to("/me").into_response());
    }
    let zh = templates::chinese(&uri, &headers);
    let org_id = templates::query_param(&uri, "org");
    Ok(Html(form(&state, zh, org_id.as_deref(), json!({})).await?).into_response())
}

async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let mut r = Request::default();
    for (key, value) in form_urlencoded::parse(&body) {
        let value = value.into_owned();
        match key.as_ref() {
            "email" => r.email = value,
            "password" => r.password = value,
            "display_name" => r.display_name = value,
            "language" => r.language = Some(value),
            "target_groups" => r.target_groups.push(value),
            "consent" => r.consent = value == "true",
            "org_id" if !value.is_empty() => r.org_id = Some(value),
            _ => {}
        }
    }
    let typed = json!({"form": {"email": r.email, "display_name": r.display_name}});
    let page = match registration::ask(&state, &r, addr).await {
        Ok(()) => templates::render("register.html", zh, json!({"user": null, "sent": true}))?,
        Err(Error::Validation(errors)) => {
            let mut extra = typed;
            extra["errors"] = serde_json::to_value(&errors).unwrap_or_default();
            let page = form(&state, zh, r.org_id.as_deref(), extra).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
        }
        Err(e @ Error::Throttled { .. }) => {
            let mut extra = typed;
            extra["problem"] = templates::string(zh, "login_throttled").into();
            let page = form(&state, zh, r.org_id.as_deref(), extra).await?;
            return Ok((crate::http::problem::status(&e), Html(page)).into_response());
        }
        Err(e) => return Err(e),
    };
    Ok(Html(page).into_response())
}

async fn confirm_page(uri: Uri, headers: HeaderMap) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    let token = templates::query_param(&uri, "token").unwrap_or_default();
    Ok(Html(templates::render(
        "register.html",
        zh,
        json!({"user": null, "posts_back": true, "confirm_token": token}),
    )?))
}

async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let token = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match registration::confirm(&state, &token).await {
        Ok(user) => {
            let (_, jar) = new_session(&state, jar, &user).await?;
            Ok((jar, Redirect::to("/me")).into_response())
        }
        Err(e @ Error::Invalid { .. }) => {
            let problem = templates::string(zh, "register_link_invalid");
            let page = templates::render(
                "register.html",
                zh,
                json!({"user": null, "open": false, "problem": problem, "link_invalid": true}),
            )?;
            Ok((crate::http::problem::status(&e), Html(page)).into_response())
        }
        Err(e) => Err(e),
    }
}
