//! The server-rendered pages, apart from the JSON API: the catalogue and a course (here), sign-in
//! and the learner's own pages (`learner`), a unit (`unit`), the teacher's and the admin's
//! consoles (`teach`, `admin`), credential verification (`verify`) and the printable transcript
//! (`transcript`), all rendered through `templates`. They are views over the same domain
//! functions the JSON API uses; no rule lives only in a page.

mod admin;
mod attendance;
mod learner;
mod pwa;
mod register;
mod teach;
pub(crate) mod templates;
pub(crate) mod transcript;
mod unit;
mod verify;

use axum::{
    extract::State,
    http::{header, HeaderMap, Uri},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::extract::{Caller, Path};
use crate::{
    catalogue::{
        courses::{self, ListQuery},
        vocab::{self, Vocabulary},
        Visibility,
    },
    delivery::offline::{self, Quality},
    error::{Error, Result},
    http::AppState,
    progress,
};

/// Static files, compiled in: (path, content type, body).
const STATIC: [(&str, &str, &str); 8] = [
    (
        "caravan.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/static/caravan.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/app.js"),
    ),
    (
        "queue.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/queue.js"),
    ),
    (
        "player.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/player.js"),
    ),
    (
        "offline.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/offline.js"),
    ),
    (
        "teach.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/teach.js"),
    ),
    (
        "viewer360.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/viewer360.js"),
    ),
    (
        "model.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/model.js"),
    ),
];
const SERVICE_WORKER: &str = include_str!("../../../web/static/sw.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalogue))
        .route("/courses/{course_id}", get(course_page))
        .route("/static/{file}", get(static_file))
        .route("/sw.js", get(service_worker))
        .merge(verify::routes())
        .merge(pwa::routes())
        .merge(learner::routes())
        .merge(register::routes())
        .merge(unit::routes())
        .merge(teach::routes())
        .merge(attendance::routes())
        .merge(admin::routes())
}

async fn static_file(Path(file): Path<String>) -> Result<Response> {
    let (_, content_type, body) = STATIC
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or(Error::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        *body,
    )
        .into_response())
}

/// At the root so it may control every page; always revalidated so updates reach phones.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
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

/// A vocabulary as a select's options: `[{slug, label}]`.
pub(crate) fn options(list: &[(String, String)]) -> Vec<Value> {
    list.iter()
        .map(|(slug, label)| json!({"slug": slug, "label": label}))
        .collect()
}

/// The domains as a select's options, in the page's language.
pub(crate) async fn domain_options(state: &AppState, zh: bool) -> Result<Vec<Value>> {
    Ok(options(
        &vocab::labels(&state.db, Vocabulary::Domains, zh).await?,
    ))
}

fn label(list: &[(String, String)], slug: &str) -> String {
    list.iter()
        .find(|(s, _)| s == slug)
        .map_or_else(|| slug.to_owned(), |(_, l)| l.clone())
}

#[derive(Deserialize, Default)]
struct Filters {
    q: Option<String>,
    domain: Option<String>,
    level: Option<String>,
    target_group: Option<String>,
    language: Option<String>,
    cursor: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The catalogue with its filters, as a GET form so results can be bookmarked and shared.
async fn catalogue(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    let f: Filters = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let level = nonempty(&f.level).and_then(|l| l.parse::<i64>().ok());
    let query = ListQuery {
        q: nonempty(&f.q),
        domain: nonempty(&f.domain),
        level,
        target_group: nonempty(&f.target_group),
        language: nonempty(&f.language),
        cursor: nonempty(&f.cursor),
        limit: Some(24),
        ..Default::default()
    };
    // Three independent reads, at once: the page waits for the slowest, not their sum.
    let (page, domains, groups) = tokio::try_join!(
        courses::list(&state.db, caller.0.as_ref(), query),
        vocab::labels(&state.db, Vocabulary::Domains, zh),
        vocab::labels(&state.db, Vocabulary::TargetGroups, zh),
    )?;
    let ids: Vec<String> = page.items.iter().map(|c| c.id.clone()).collect();
    let posters = crate::media::assets::course_posters(&state.db, &ids).await?;
    let courses: Vec<Value> = page
        .items
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["domain_label"] = label(&domains, &c.domain).into();
            if let Some(p) = posters.get(&c.id) {
                let public = c.visibility == Visibility::Public;
                v["poster"] = super::assets::poster_image(&state, p, public);
            }
            v
        })
        .collect();
    let next_query = page.next_cursor.as_ref().map(|cursor| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &f.q),
            ("domain", &f.domain),
            ("level", &f.level),
            ("target_group", &f.target_group),
            ("language", &f.language),
        ] {
            if let Some(v) = nonempty(v) {
                q.append_pair(k, &v);
            }
        }
        q.append_pair("cursor", cursor);
        q.finish()
    });
    Ok(Html(templates::render(
        "catalogue.html",
        zh,
        json!({
            "user": templates::viewer_opt(&state.db, caller.0.as_ref()).await?,
            "query": {"q": f.q, "domain": f.domain, "level": level,
                      "target_group": f.target_group, "language": f.language},
            "domains": options(&domains),
            "groups": options(&groups),
            "courses": courses,
            "next_cursor": page.next_cursor,
            "next_query": next_query,
        }),
    )?))
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b => format!("{} KB", (b + 1023) / 1024),
    }
}

/// A course: its facts, units (with the learner's state when signed in) and offline sizes.
async fn course_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(course_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Html<String>> {
    let zh = templates::chinese(&uri, &headers);
    let course = courses::get(&state.db, caller.0.as_ref(), &course_id).await?;
    let domains = vocab::labels(&state.db, Vocabulary::Domains, zh).await?;
    let progress = match &caller.0 {
        Some(u) => Some(progress::view::course(&state.db, &u.id, &course_id).await?),
        None => None,
    };
    let units: Vec<Value> = course
        .units
        .iter()
        .flatten()
        .map(|u| {
            let state = progress
                .as_ref()
                .and_then(|p| p.units.iter().find(|x| x.unit_id == u.id))
                .map(|p| serde_json::to_value(p.state).unwrap_or_default());
            json!({"id": u.id, "title": u.title, "kind": u.kind, "required": u.required,
                   "state": state})
        })
        .collect();
    let mut sizes = Vec::new();
    for (quality, name) in [
        (Quality::Low, "low"),
        (Quality::Medium, "medium"),
        (Quality::High, "high"),
    ] {
        let files = offline::files(&state, &course_id, quality).await?;
        let total: i64 = files.iter().map(|f| f.bytes).sum();
        sizes.push(json!({"quality": name, "size": human_size(total)}));
    }
    let ids = [course_id.clone()];
    let poster = crate::media::assets::course_posters(&state.db, &ids)
        .await?
        .get(&course_id)
        .map(|p| super::assets::poster_image(&state, p, course.visibility == Visibility::Public));
    Ok(Html(templates::render(
        "course.html",
        zh,
        json!({
            "poster": poster,
            "user": templates::viewer_opt(&state.db, caller.0.as_ref()).await?,
            "domain_label": label(&domains, &course.domain),
            "course": course,
            "units": units,
            "progress": progress,
            "sizes": sizes,
        }),
    )?))
}
