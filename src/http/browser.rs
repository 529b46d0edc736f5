//! What the edge does for browsers, in one middleware in front of every route: it refuses
//! forged requests, and gives pages a Content-Security-Policy and the other security headers.
//!
//! ## Cross-site request forgery
//!
//! A browser sends cookies with a form another page posts to us, even across ports and sibling
//! subdomains (SameSite counts those as the same site). So a state-changing request that does
//! not carry its own credentials (`Authorization`) must come from this origin:
//!
//! - `Origin`, when sent, names this server (its public URL or the `Host` it was asked as) or an
//!   origin the operator allowed for CORS; else, `Sec-Fetch-Site` is `same-origin`. A request
//!   with neither comes from no browser and cannot be forged by one.
//! - A form post (`application/x-www-form-urlencoded`), which a browser without those headers
//!   would still send, carries the `csrf` field the page rendered, equal to this browser's
//!   `caravan_csrf` cookie (double submit; `__Host-` prefixed over HTTPS so no sibling subdomain
//!   can set it).
//!
//! Refusals are 403 problems: `cross-site-request`, `csrf-token-invalid`.
//!
//! ## Headers
//!
//! Every response gets `X-Content-Type-Options: nosniff` and `Referrer-Policy` from the edge
//! service (`http::service`), the media fast path included. Every page: a
//! Content-Security-Policy that runs only this origin's scripts (and an import map carrying the
//! request's nonce), with `frame-ancestors 'none'` on the consoles and account pages so no
//! other site can frame them.

use std::sync::{Arc, OnceLock};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::{error::Error, http::AppState};

/// The form field that carries the token.
pub const FIELD: &str = "csrf";
/// Form bodies are small; a larger one is refused before it is read whole.
const MAX_FORM_BYTES: usize = 1 << 20;

/// This request's token: the browser's cookie, or one issued when a page first needs it; and
/// the nonce of its inline import map, if the page has one.
struct Token {
    cookie: Option<String>,
    issued: OnceLock<String>,
    nonce: OnceLock<String>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The nonce a page puts on its inline import map (the policy allows that one script).
pub fn script_nonce() -> Option<String> {
    TOKEN
        .try_with(|t| t.nonce.get_or_init(random_token).clone())
        .ok()
}

tokio::task_local! {
    static TOKEN: Arc<Token>;
}

/// The token a page renders into its forms (issuing one, set as a cookie on the response, when
/// the browser has none). `None` outside a request.
pub fn form_token() -> Option<String> {
    TOKEN
        .try_with(|t| {
            t.cookie
                .clone()
                .unwrap_or_else(|| t.issued.get_or_init(random_token).clone())
        })
        .ok()
}

fn cookie_name(state: &AppState) -> &'static str {
    if super::auth::secure_cookies(state) {
        "__Host-caravan_csrf"
    } else {
        "caravan_csrf"
    }
}

fn refuse(code: &'static str, detail: &str) -> Response {
    Error::Denied {
        code,
        detail: detail.to_owned(),
    }
    .into_response()
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let name = cookie_name(&state);
    let cookie = CookieJar::from_headers(req.headers())
        .get(name)
        .map(|c| c.value().to_owned());
    let changes_state = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    // A cmi5 fetch URL is its own credential, called by an AU from any origin (cmi5 8.2); so is
    // a SCORM runtime's commit URL, called from the SCO's sandboxed (opaque) origin.
    let path = req.uri().path();
    let credential_in_url =
        path.starts_with("/api/v1/cmi5/fetch/") || path.starts_with("/api/v1/scorm/sessions/");
    let req = if changes_state
        && !credential_in_url
        && !req.headers().contains_key(header::AUTHORIZATION)
    {
        if !same_origin(&state, req.headers()) {
            return refuse(
                "cross-site-request",
                "This request came from another site; sign in here and try again from this site.",
            );
        }
        match checked_form(req, cookie.as_deref()).await {
            Ok(req) => req,
            Err(response) => return response,
        }
    } else {
        req
    };
    let console = is_console(req.uri().path());
    let token = Arc::new(Token {
        cookie,
        issued: OnceLock::new(),
        nonce: OnceLock::new(),
    });
    let mut response = TOKEN.scope(token.clone(), next.run(req)).await;
    let headers = response.headers_mut();
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A page that brings its own policy (a package's sandboxed file) keeps it.
    if is_page && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = content_security_policy(token.nonce.get().map(String::as_str), console);
        if let Ok(v) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if let Some(issued) = token.issued.get() {
        let cookie = Cookie::build((name, issued.clone()))
            .http_only(true)
            .secure(super::auth::secure_cookies(&state))
            .same_site(SameSite::Strict)
            .path("/")
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Pages no other site may frame: the consoles, and those that handle the account.
fn is_console(path: &str) -> bool {
    ["/teach", "/admin", "/login", "/join", "/me"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn content_security_policy(nonce: Option<&str>, console: bool) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}'"),
        None => "'self'".to_owned(),
    };
    let mut policy = format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
         worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    if console {
        policy.push_str("; frame-ancestors 'none'");
    }
    policy
}

/// Is the request from this origin, as far as the browser tells?
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text("origin") {
        let own =
            |scheme: &str| text("host").is_some_and(|host| origin == format!("{scheme}://{host}"));
        let public = state.settings.public_url.trim_end_matches('/');
        let allowed = state.settings.cors_origins.iter().any(|o| o == origin);
        return origin == public || own("http") || own("https") || allowed;
    }
    match text("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => true,
    }
}

/// A form post must carry the page's token; the body is read (it is small) and handed on.
async fn checked_form(req: Request, cookie: Option<&str>) -> Result<Request, Response> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            Error::TooLarge {
                code: "payload-too-large",
                detail: "A form is at most 1 MiB.".into(),
            }
            .into_response()
        })?;
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    let genuine = match (sent, cookie) {
        (Some(sent), Some(cookie)) => bool::from(sent.as_bytes().ct_eq(cookie.as_bytes())),
        _ => false,
    };
    if !genuine {
        return Err(refuse(
            "csrf-token-invalid",
            "This form has expired or came from another site; reload the page and send it again.",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_issues_one_token_and_keeps_a_browsers_own() {
        assert_eq!(form_token(), None);
        let fresh = Arc::new(Token {
            cookie: None,
            issued: OnceLock::new(),
            nonce: OnceLock::new(),
        });
        let (a, b) = TOKEN
            .scope(fresh.clone(), async { (form_token(), form_token()) })
            .await;
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), fresh.issued.get().map(String::as_str));
        let kept = Arc::new(Token {
            cookie: Some("mine".into()),
            issued: OnceLock::new(),
            nonce: OnceLock::new(),
        });
        let c = TOKEN.scope(kept.clone(), async { form_token() }).await;
        assert_eq!(c.as_deref(), Some("mine"));
        assert!(kept.issued.get().is_none());
    }

    #[test]
    fn consoles_may_not_be_framed_and_course_pages_may() {
        assert!(is_console("/teach/courses/1") && is_console("/admin") && is_console("/login"));
        assert!(!is_console("/courses/1") && !is_console("/") && !is_console("/teacher"));
        let policy = content_security_policy(Some("n1"), true);
        assert!(policy.contains("script-src 'self' 'nonce-n1';"), "{policy}");
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
        assert!(!content_security_policy(None, false).contains("frame-ancestors"));
    }
}
