//! The public verification page: paste, upload or open (by share link or its QR code) a
//! credential and read the verdict in plain words. Works without JavaScript.

use axum::{
    extract::{Multipart, State},
    http::{HeaderMap, Uri},
    response::Html,
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::http::pages::templates;
use crate::{
    credentials::{
        share,
        verify::{self, Presented, Verdict},
    },
    error::{Error, Result},
    http::AppState,
};

/// The largest credential the form takes (a credential is a few kilobytes).
const MAX_CREDENTIAL: usize = 256 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify", get(page).post(submit))
}

/// What the page shows about a credential, whatever its shape.
fn summary(credential: &Value) -> Value {
    let subject = &credential["credentialSubject"];
    let achievement = &subject["achievement"];
    let level = achievement["alignment"][0]["targetCode"].clone();
    let hours = subject["result"][0]["value"].clone();
    json!({
        "name": achievement["name"].as_str().or(credential["name"].as_str()).unwrap_or("—"),
        "issuer": credential["issuer"]["name"].as_str()
            .or(credential["issuer"].as_str()).unwrap_or("—"),
        "valid_from": credential["validFrom"].as_str().map(|d| d.get(..10).unwrap_or(d)),
        "level": level,
        "credits": subject["creditsEarned"].clone(),
        "hours": hours,
    })
}

fn render(
    state: &AppState,
    zh: bool,
    verdict: Option<&Verdict>,
    problem: Option<String>,
) -> Result<Html<String>> {
    let summary = verdict.and_then(|v| v.credential.as_ref()).map(summary);
    Ok(Html(templates::render(
        "verify.html",
        zh,
        json!({
            "public_url": state.settings.public_url,
            "verdict": verdict,
            "summary": summary,
            "problem": problem,
        }),
    )?))
}

/// The token of one of this server's share links (never fetches another server's address).
fn share_token<'a>(state: &AppState, link: &'a str) -> Option<&'a str> {
    let rest = link
        .trim()
        .strip_prefix(state.settings.public_url.as_str())?;
    rest.strip_prefix("/share/")
        .map(|t| t.split(['?', '#']).next().unwrap_or(t))
}

async fn page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    let params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let token = match (get("share"), get("url")) {
        (Some(t), _) => Some(t),
        (None, Some(link)) => match share_token(&state, link) {
            Some(t) => Some(t),
            None => {
                let problem = if zh {
                    "只能打开本站的分享链接；请粘贴或上传证书。"
                } else {
                    "Only this server's share links can be opened; paste or upload the credential instead."
                };
                return render(&state, zh, None, Some(problem.to_owned()));
            }
        },
        (None, None) => None,
    };
    let Some(token) = token else {
        return render(&state, zh, None, None);
    };
    let shared = match share::open(&state.db, token).await {
        Ok(record) => record.document(),
        Err(e) => Err(e),
    };
    match shared {
        Ok(doc) => verdict_page(&state, zh, Presented::Embedded(doc)).await,
        Err(Error::NotFound) => {
            let problem = if zh {
                "此分享链接无效或已停止分享。"
            } else {
                "This share link does not exist or is no longer shared."
            };
            render(&state, zh, None, Some(problem.to_owned()))
        }
        Err(e) => render(&state, zh, None, Some(e.to_string())),
    }
}

async fn verdict_page(state: &AppState, zh: bool, presented: Presented) -> Result<Html<String>> {
    match verify::verify(state, presented).await {
        Ok(verdict) => render(state, zh, Some(&verdict), None),
        Err(e) => {
            tracing::warn!(error = %e, "verifying on the page");
            render(
                state,
                zh,
                None,
                Some("The credential could not be checked.".to_owned()),
            )
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    let mut text = String::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => break,
        };
        if !matches!(field.name(), Some("credential") | Some("file")) {
            continue;
        }
        match field.bytes().await {
            Ok(b) if b.len() <= MAX_CREDENTIAL && !b.iter().all(u8::is_ascii_whitespace) => {
                text = String::from_utf8_lossy(&b).into_owned();
            }
            Ok(b) if b.len() > MAX_CREDENTIAL => {
                let problem = if zh {
                    "文件过大，不是证书。"
                } else {
                    "That file is too large to be a credential."
                };
                return render(&state, zh, None, Some(problem.to_owned()));
            }
            _ => {}
        }
    }
    let text = text.trim();
    let presented = if text.starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Presented::Embedded(v.get("verifiableCredential").cloned().unwrap_or(v)),
            Err(_) => {
                let problem = if zh {
                    "这不是有效的 JSON。"
                } else {
                    "That is not valid JSON."
                };
                return render(&state, zh, None, Some(problem.to_owned()));
            }
        }
    } else if text.split('.').count() == 3 {
        Presented::Jwt(text.to_owned())
    } else {
        let problem = if zh {
            "请粘贴或选择一个证书（JSON 或 JWT）。"
        } else {
            "Paste or choose a credential (JSON or JWT)."
        };
        return render(&state, zh, None, Some(problem.to_owned()));
    };
    verdict_page(&state, zh, presented).await
}
