//! The teacher console: the courses a teacher may author, and a course's editor. The pages show
//! state; changes go through the JSON API from `web/static/teach.js` (uploads by tus).

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::{json, Value};
use std::collections::HashMap;

use crate::http::{
    assets,
    extract::{Path, SignedIn},
    pages::{self, templates},
};
use crate::{
    accounts::{self, User},
    authz,
    catalogue::{
        courses::{self, CourseView, ListQuery},
        units::{self, org_may_reuse},
        Visibility,
    },
    consortia,
    error::{Error, Result},
    http::AppState,
    media::assets as media_assets,
    quizzes,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teach", get(console))
        .route("/teach/courses/{course_id}", get(editor))
        .route(
            "/teach/courses/{course_id}/units/{unit_id}/quiz",
            get(quiz_editor),
        )
}

/// The course if the user may author it; others are told it does not exist.
async fn authored(state: &AppState, user: &User, course_id: &str) -> Result<CourseView> {
    let course = courses::get(&state.db, Some(user), course_id).await?;
    authz::require_org_role(&state.db, user, &course.org_id, authz::author)
        .await
        .map_err(Error::hidden)?;
    Ok(course)
}

async fn console(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let mut orgs = Vec::new();
    for m in accounts::memberships(&state.db, &user.id).await? {
        if !matches!(m.role.as_str(), "teacher" | "admin") {
            continue;
        }
        let page = courses::list(
            &state.db,
            Some(user),
            ListQuery {
                org_id: Some(m.org_id.clone()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
        orgs.push(json!({"id": m.org_id, "name": m.org_name, "courses": page.items}));
    }
    if orgs.is_empty() {
        return Err(Error::Forbidden);
    }
    Ok(Html(templates::render(
        "teach.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, user).await?,
            "orgs": orgs,
            "domains": pages::domain_options(&state, zh).await?,
        }),
    )?)
    .into_response())
}

async fn editor(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    Path(course_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let course = authored(&state, user, &course_id).await?;
    let mut units = Vec::new();
    for u in course.units.iter().flatten() {
        let asset = match &u.asset_id {
            Some(id) => {
                let row = media_assets::get(&state.db, id).await?;
                Some(serde_json::to_value(assets::view(&state, row).await?).unwrap_or_default())
            }
            None => None,
        };
        units.push(json!({"unit": u, "asset": asset}));
    }
    let consortia: Vec<String> = consortia::of_org(&state.db, &course.org_id)
        .await?
        .into_iter()
        .filter(|c| c.status == "active")
        .map(|c| c.name)
        .collect();
    Ok(Html(templates::render(
        "teach_course.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, user).await?,
            "course": course,
            "units": units,
            "domains": pages::domain_options(&state, zh).await?,
            "consortia": consortia,
            "shared": shared_units(&state, user, &course.org_id).await?,
        }),
    )?)
    .into_response())
}

/// Units the organisation may build on from other organisations' courses: those shared with a
/// consortium it is in, and public ones (the same rule `POST …/units` with `reuse_unit_id`
/// applies). At most 50 courses, consortium ones first; the check runs only where it can fail.
async fn shared_units(state: &AppState, user: &User, org_id: &str) -> Result<Vec<Value>> {
    let page = courses::list(
        &state.db,
        Some(user),
        ListQuery {
            limit: Some(100),
            ..Default::default()
        },
    )
    .await?;
    // Consortium courses first; public ones need no consortium check.
    let mut candidates: Vec<CourseView> = page
        .items
        .into_iter()
        .filter(|c| c.org_id != org_id && c.visibility != Visibility::Draft)
        .collect();
    candidates.sort_by_key(|c| c.visibility != Visibility::Consortium);
    let mut org_names: HashMap<String, String> = HashMap::new();
    let mut found = Vec::new();
    for c in candidates {
        if found.len() == 50 {
            break;
        }
        if c.visibility == Visibility::Consortium || c.visibility == Visibility::Org {
            let row = courses::row(&state.db, &c.id).await?;
            if !org_may_reuse(&state.db, org_id, &row).await? {
                continue;
            }
        }
        let list = units::list(&state.db, &c.id).await?;
        if list.is_empty() {
            continue;
        }
        if !org_names.contains_key(&c.org_id) {
            let name = crate::orgs::get(&state.db, &c.org_id).await?.name;
            org_names.insert(c.org_id.clone(), name);
        }
        found.push(json!({"title": c.title, "org": org_names[&c.org_id], "units": list}));
    }
    Ok(found)
}

/// A quiz unit's questions, edited in the page and saved whole with `PUT …/quiz`.
async fn quiz_editor(
    State(state): State<AppState>,
    SignedIn(ref user): SignedIn,
    Path((course_id, unit_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let zh = templates::chinese(&uri, &headers);
    let course = authored(&state, user, &course_id).await?;
    let unit = units::get(&state.db, &course_id, &unit_id).await?;
    if unit.kind != "quiz" {
        return Err(Error::NotFound);
    }
    let quiz = match quizzes::load(&state.db, &unit).await? {
        Some(q) => Some(quizzes::view(&state.db, &unit, &q, Some(user), true).await?),
        None => None,
    };
    Ok(Html(templates::render(
        "teach_quiz.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, user).await?,
            "course": {"id": course.id, "title": course.title},
            "unit": unit,
            "quiz": quiz,
        }),
    )?)
    .into_response())
}
