//! A unit's page: the player for video and audio, the viewer for documents, with the learner's
//! resume position. The media comes from the same asset view the API serves; the page's script
//! (`web/static/player.js`) chooses the stream and reports progress as xAPI statements.

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use serde_json::{json, Value};

use super::{
    assets,
    extract::{Caller, Path},
    templates,
};
use crate::{
    app::AppState,
    catalogue::{courses, units},
    error::AppResult,
    lrs::identity,
    media::assets as media_assets,
    progress,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/courses/{course_id}/units/{unit_id}", get(unit_page))
}

async fn unit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> AppResult<Response> {
    let zh = templates::chinese(&uri, &headers);
    let course = courses::get(&state.db, caller.0.as_ref(), &course_id).await?;
    let unit = units::get(&state.db, &course_id, &unit_id).await?;
    let Some(user) = caller.0.as_ref() else {
        let next = format!("/courses/{course_id}/units/{unit_id}");
        return Ok(Redirect::to(&format!("/login?next={next}")).into_response());
    };
    let asset: Option<Value> = match &unit.asset_id {
        Some(id) => {
            let row = media_assets::get(&state.db, id).await?;
            Some(serde_json::to_value(assets::view(&state, row).await?).unwrap_or_default())
        }
        None => None,
    };
    let progress = progress::view::course(&state.db, &user.id, &course_id).await?;
    let mine = progress.units.iter().find(|u| u.unit_id == unit_id);
    let list = course.units.clone().unwrap_or_default();
    let at = list.iter().position(|u| u.id == unit_id);
    let neighbour = |i: Option<usize>| {
        i.and_then(|i| list.get(i))
            .map(|u| json!({"id": u.id, "title": u.title}))
    };
    let public_url = &state.settings.public_url;
    let rungs: Vec<Value> = asset
        .as_ref()
        .and_then(|a| a["renditions"].as_array())
        .map(|r| {
            r.iter()
                .filter(|r| r["role"] == "video" || r["role"] == "audio")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(Html(templates::render(
        "unit.html",
        zh,
        json!({
            "user": {"display_name": user.display_name},
            "course": {"id": course.id, "title": course.title, "language": course.language},
            "unit": unit,
            "asset": asset,
            // The no-script source: the middle video rung (or the audio one).
            "fallback": rungs.get(rungs.len() / 2),
            "resume": mine.and_then(|u| u.resume_position_secs).unwrap_or(0.0),
            "state": mine.map(|u| serde_json::to_value(u.state).unwrap_or_default()),
            "xapi": {
                "actor": progress::statements::learner_actor(public_url, &user.id),
                "object": identity::unit_activity(public_url, &unit_id),
                "parent": identity::course_activity(public_url, &course_id),
                "title": unit.title,
                "language": course.language,
            },
            "previous": neighbour(at.and_then(|i| i.checked_sub(1))),
            "next": neighbour(at.map(|i| i + 1)),
        }),
    ))
    .into_response())
}
