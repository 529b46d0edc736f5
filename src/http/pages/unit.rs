//! A unit's page: the player for video and audio, the viewer for documents, with the learner's
//! resume position. The media comes from the same asset view the API serves; the page's script
//! (`web/static/player.js`) chooses the stream and reports progress as xAPI statements.

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::http::{
    assets,
    extract::{sign_in_url, Caller, Path},
    pages::templates,
    web_libs::{self, Lib},
};
use crate::{
    catalogue::{courses, units},
    error::{Error, Result},
    http::AppState,
    lrs::identity,
    media::assets as media_assets,
    packages::{self, cmi5, scorm},
    progress,
    quizzes::{self, Question},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/courses/{course_id}/units/{unit_id}", get(unit_page))
        .route(
            "/courses/{course_id}/units/{unit_id}/quiz",
            post(submit_quiz),
        )
        .route(
            "/courses/{course_id}/units/{unit_id}/launch",
            post(launch_au),
        )
}

/// The unit page's Start button on a package unit: launches it and sends the browser to it (a
/// cmi5 AU in this window, or the new one the form opened for an `OwnWindow` AU; a SCORM item in
/// the page's frame).
async fn launch_au(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
) -> Result<Response> {
    let here = format!("/courses/{course_id}/units/{unit_id}");
    let Some(user) = caller.0.as_ref() else {
        return Ok(crate::http::extract::to_sign_in(&here));
    };
    let launch = packages::launch(
        &state,
        &state.delivery.signer,
        user,
        &course_id,
        &unit_id,
        packages::LaunchRequest::default(),
    )
    .await?;
    Ok(axum::response::Redirect::to(&launch.url).into_response())
}

async fn unit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    render(
        &state,
        &caller,
        &course_id,
        &unit_id,
        &uri,
        &headers,
        json!({}),
    )
    .await
}

/// The quiz form posted without script: answers become the same attempt the API scores.
async fn submit_quiz(
    State(state): State<AppState>,
    caller: Caller,
    Path((course_id, unit_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let Some(user) = caller.0.as_ref() else {
        // A guest's answers are scored once they sign in (app.js keeps them on the device);
        // without script the page says so rather than refusing.
        return render(
            &state,
            &caller,
            &course_id,
            &unit_id,
            &uri,
            &headers,
            json!({"guest_quiz": true}),
        )
        .await;
    };
    if !courses::is_visible(&state.db, Some(user), &course_id).await? {
        return Err(Error::NotFound);
    }
    let course = courses::row(&state.db, &course_id).await?;
    let unit = units::get(&state.db, &course_id, &unit_id).await?;
    let quiz = quizzes::load(&state.db, &unit)
        .await?
        .ok_or(Error::NotFound)?;
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let answers = quiz
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("q{i}");
            let mut values = form.iter().filter(|(k, _)| *k == name).map(|(_, v)| v);
            match q {
                Question::Single { .. } => values
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .map_or(Value::Null, Value::from),
                Question::Multiple { .. } => Value::from(
                    values
                        .filter_map(|v| v.parse::<u64>().ok())
                        .collect::<Vec<_>>(),
                ),
                Question::TrueFalse { .. } => match values.next().map(String::as_str) {
                    Some("true") => Value::Bool(true),
                    Some("false") => Value::Bool(false),
                    _ => Value::Null,
                },
                Question::FillIn { .. } => values.next().map_or(Value::Null, |v| v.clone().into()),
            }
        })
        .collect();
    let attempt = quizzes::attempt(&state, user, &course, &unit, &quiz, answers, None).await;
    let outcome = match attempt.map_err(Error::from) {
        Ok(done) => json!({"result": done.view}),
        Err(e @ (Error::Refused { .. } | Error::Validation(_))) => {
            json!({"quiz_problem": e.to_string()})
        }
        Err(e) => return Err(e),
    };
    render(
        &state, &caller, &course_id, &unit_id, &uri, &headers, outcome,
    )
    .await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    course_id: &str,
    unit_id: &str,
    uri: &Uri,
    headers: &HeaderMap,
    extra: Value,
) -> Result<Response> {
    let (state, course_id, unit_id) = (state.clone(), course_id.to_owned(), unit_id.to_owned());
    let zh = templates::chinese(uri, headers);
    let user = caller.0.as_ref();
    let here = format!("/courses/{course_id}/units/{unit_id}");
    // A guest plays a public course's units; others are not found, as the course page is.
    let course = courses::get(&state.db, user, &course_id).await?;
    let unit = units::get(&state.db, &course_id, &unit_id).await?;
    let asset: Option<Value> = match &unit.asset_id {
        Some(id) => {
            let row = media_assets::get(&state.db, id).await?;
            Some(serde_json::to_value(assets::view(&state, row).await?).unwrap_or_default())
        }
        None => None,
    };
    let quiz = match unit.kind.as_str() {
        "quiz" => match quizzes::load(&state.db, &unit).await? {
            Some(q) => Some(quizzes::view(&state.db, &unit, &q, user, false).await?),
            None => None,
        },
        _ => None,
    };
    let cmi5 = match unit.kind.as_str() {
        "package" => cmi5::au(&state, &unit_id)
            .await?
            .map(|au| json!({"launch_method": au.launch_method})),
        _ => None,
    };
    let scorm = match unit.kind.as_str() {
        "package" => scorm::sco(&state, &unit_id).await?.map(|sco| {
            let lib = match sco.version() {
                scorm::manifest::Version::Scorm12 => Lib::Scorm12,
                _ => Lib::Scorm2004,
            };
            json!({"runtime": web_libs::available(&state.settings, lib)})
        }),
        _ => None,
    };
    let progress = match user {
        Some(user) => Some(progress::view::course(&state.db, &user.id, &course_id).await?),
        None => None,
    };
    let mine = progress
        .iter()
        .flat_map(|p| &p.units)
        .find(|u| u.unit_id == unit_id);
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
    let viewer = asset.as_ref().is_some_and(|a| {
        a["status"] == "ready"
            && (a["spherical"] == true || (a["kind"] == "model" && a["model"].is_string()))
    }) && web_libs::available(&state.settings, Lib::Three);
    // hls.js, for browsers without native HLS, when scripts/web-libs fetched it.
    let hls_js = web_libs::available(&state.settings, Lib::Hls).then(|| Lib::Hls.url());
    let mut context = json!({
            "user": templates::viewer_opt(&state.db, user).await?,
            // A guest's progress stays on the device until they sign in (web/static/queue.js).
            "guest": user.is_none(),
            "posts_back": quiz.is_some(),
            "sign_in": sign_in_url(&here),
            "course": {"id": course.id, "title": course.title, "language": course.language},
            "unit": unit,
            "asset": asset,
            // The no-script source: the middle video rung (or the audio one).
            "fallback": rungs.get(rungs.len() / 2),
            "resume": mine.and_then(|u| u.resume_position_secs).unwrap_or(0.0),
            "state": mine.map(|u| serde_json::to_value(u.state).unwrap_or_default()),
            "xapi": {
                "actor": user.map(|u| progress::statements::learner_actor(public_url, &u.id)),
                "object": identity::unit_activity(public_url, &unit_id),
                "parent": identity::course_activity(public_url, &course_id),
                "title": unit.title,
                "language": course.language,
            },
            "previous": neighbour(at.and_then(|i| i.checked_sub(1))),
            "next": neighbour(at.map(|i| i + 1)),
            "quiz": quiz,
            "cmi5": cmi5,
            "scorm": scorm,
            // The 360° or model viewer, when scripts/web-libs fetched three.js.
            "viewer": viewer,
            "import_map": web_libs::IMPORT_MAP,
            "hls_js": hls_js,
    });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    Ok(Html(templates::render("unit.html", zh, context)?).into_response())
}
