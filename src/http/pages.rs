//! Server-rendered pages. They are views over the same catalogue API the apps use.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{Html, IntoResponse},
    routing::get,
    Router,
};

use super::extract::Caller;
use crate::{
    app::AppState,
    catalogue::courses::{self, ListQuery},
    error::AppResult,
};

const CATALOGUE: &str = include_str!("../../web/templates/catalogue.html");
const CSS: &str = include_str!("../../web/static/caravan.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalogue))
        .route("/static/caravan.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// Chinese when the browser prefers it over English, else English.
pub fn prefers_chinese(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    for part in accept.split(',') {
        let tag = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag.starts_with("zh") {
            return true;
        }
        if tag.starts_with("en") {
            return false;
        }
    }
    false
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

async fn catalogue(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> AppResult<Html<String>> {
    let zh = prefers_chinese(&headers);
    let page = courses::list(
        &state.db,
        caller.0.as_ref(),
        ListQuery {
            limit: Some(50),
            ..Default::default()
        },
    )
    .await?;
    let items: String = page
        .items
        .iter()
        .map(|c| {
            let level = if zh {
                format!("{} 级", c.level)
            } else {
                format!("Level {}", c.level)
            };
            let minutes = if zh {
                format!("{} 分钟", c.estimated_minutes)
            } else {
                format!("{} min", c.estimated_minutes)
            };
            format!(
                "<li lang=\"{}\"><h3>{}</h3><p>{}</p><p class=\"meta\">{} · {} · {}</p></li>\n",
                escape(&c.language),
                escape(&c.title),
                escape(&c.summary),
                escape(&c.domain),
                level,
                minutes
            )
        })
        .collect();
    let (title, tagline, heading, empty) = if zh {
        (
            "Caravan 课程",
            "面向职业技能培训的微课平台",
            "课程目录",
            "暂无课程。",
        )
    } else {
        (
            "Caravan courses",
            "Micro-courses for vocational training",
            "Catalogue",
            "No courses yet.",
        )
    };
    let html = CATALOGUE
        .replace("{{lang}}", if zh { "zh-CN" } else { "en" })
        .replace("{{title}}", title)
        .replace("{{tagline}}", tagline)
        .replace("{{heading}}", heading)
        .replace("{{empty}}", if page.items.is_empty() { empty } else { "" })
        .replace("{{items}}", &items);
    Ok(Html(html))
}
