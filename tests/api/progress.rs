//! Completion derived from the learner's own statements: the 90 % rule for videos, documents
//! viewed, course completion recorded once, and who may read whose progress.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, lrs::Auth, Backend},
};

const PLAYED: &str = "https://w3id.org/xapi/video/verbs/played";
const PAUSED: &str = "https://w3id.org/xapi/video/verbs/paused";
const SEEKED: &str = "https://w3id.org/xapi/video/verbs/seeked";
const VIEWED: &str = "http://id.tincanapi.com/verb/viewed";
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const SEGMENTS: &str = "https://w3id.org/xapi/video/extensions/played-segments";
const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
const TIME_FROM: &str = "https://w3id.org/xapi/video/extensions/time-from";
const TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";

fn paused(c: &Classroom, unit: &str, segments: &str, time: f64) -> Value {
    c.statement(PAUSED, unit, json!({SEGMENTS: segments, TIME: time}))
}

async fn video_counts_played_time_not_skipped_time(backend: Backend) {
    let c = Classroom::new(backend).await;
    let unit = c.video_unit(100_000).await;
    let before = c.unit_progress(&unit).await;
    assert_eq!(before["state"], "not_started");

    c.send(json!([
        c.statement(PLAYED, &unit, json!({TIME: 0.0})),
        paused(&c, &unit, "0[.]10", 10.0),
        c.statement(SEEKED, &unit, json!({TIME_FROM: 10.0, TIME_TO: 80.0})),
    ]))
    .await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["state"], "in_progress");
    assert_eq!(u["percent_watched"], 10.0);
    assert_eq!(u["resume_position_secs"], 80.0, "resume after the seek");

    // Watching to the end after skipping ahead: 30 % watched, the skipped part does not count.
    c.send(paused(&c, &unit, "80[.]100", 100.0)).await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["percent_watched"], 30.0);
    assert_eq!(u["state"], "in_progress");

    // Overlapping segments count once: 0–69 and 80–100 is 89 %.
    c.send(paused(&c, &unit, "5[.]60[,]55[.]69", 69.0)).await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["percent_watched"], 89.0);
    assert_eq!(u["state"], "in_progress");
    assert_eq!(u["resume_position_secs"], 69.0);

    // The player's own `completed` does not override the measurement.
    c.send(c.statement(COMPLETED, &unit, json!({TIME: 69.0})))
        .await;
    assert_eq!(c.unit_progress(&unit).await["state"], "in_progress");

    // 60–70 fills the gap to exactly 90 %.
    let last = json!({
        "id": "6f1c3e2a-8d44-4c55-9a0b-7e1f2d3c4b5a",
        "actor": c.app.learner_agent(&c.learner_id),
        "verb": {"id": PAUSED, "display": {"en-US": "paused"}},
        "object": {"objectType": "Activity", "id": "https://example.org/videos/lecture-1"},
        "context": {"contextActivities": {"parent": [{"id": c.unit_iri(&unit)}]}},
        "result": {"extensions": {SEGMENTS: "60[.]70", TIME: 70.0}},
        "timestamp": "2030-01-01T00:00:00Z",
    });
    c.send(last.clone()).await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["state"], "completed", "{u}");
    assert_eq!(u["percent_watched"], 90.0);
    assert_eq!(u["resume_position_secs"], 70.0);
    let completed_at = u["completed_at"].clone();
    assert!(completed_at.is_string());

    // A resent statement and an older one arriving late change nothing.
    c.send(last).await;
    let mut old = paused(&c, &unit, "0[.]3", 3.0);
    old["timestamp"] = json!("2020-01-01T00:00:00Z");
    c.send(old).await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(
        u["resume_position_secs"], 70.0,
        "an old statement does not move it back"
    );
    assert_eq!(u["completed_at"], completed_at);
    assert_eq!(u["percent_watched"], 90.0);
}

async fn documents_complete_when_viewed(backend: Backend) {
    let c = Classroom::new(backend).await;
    let doc = c.unit("document", "Handbook", true).await;
    let extra = c.unit("vr", "Ward tour", false).await;
    c.send(c.statement("http://adlnet.gov/expapi/verbs/attempted", &doc, json!({})))
        .await;
    assert_eq!(c.unit_progress(&doc).await["state"], "in_progress");
    let p = c.progress(&c.learner).await;
    assert!(
        p["started_at"].is_string(),
        "enrolled at the first statement"
    );
    assert!(p["completed_at"].is_null());

    c.send(c.statement(VIEWED, &doc, json!({}))).await;
    let u = c.unit_progress(&doc).await;
    assert_eq!(u["state"], "completed");
    assert!(u["percent_watched"].is_null() && u["best_score"].is_null());
    assert_eq!(c.unit_progress(&extra).await["state"], "not_started");
    // The only required unit is done, so the course is.
    let p = c.progress(&c.learner).await;
    assert!(p["completed_at"].is_string(), "{p}");
    assert_eq!(p["required_units"], 1);
    assert_eq!(p["completed_required_units"], 1);

    c.send(c.statement(
        "http://adlnet.gov/expapi/verbs/experienced",
        &extra,
        json!({}),
    ))
    .await;
    assert_eq!(c.unit_progress(&extra).await["state"], "completed");

    let mine = c.app.get("/api/v1/me/progress", Some(&c.learner)).await;
    mine.assert(StatusCode::OK);
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["course_id"], c.course.as_str());
    assert_eq!(items[0]["title"], "Care basics");
    assert_eq!(items[0]["units"].as_array().unwrap().len(), 2);
    let teacher_own = c.app.get("/api/v1/me/progress", Some(&c.teacher)).await;
    assert_eq!(teacher_own.body["items"], json!([]));
}

async fn course_completion_is_recorded_once(backend: Backend) {
    let c = Classroom::new(backend).await;
    let a = c.unit("document", "Part A", true).await;
    let b = c.unit("document", "Part B", true).await;
    // A learner's own claim to have completed the course does not complete it.
    c.send(json!({
        "actor": c.app.learner_agent(&c.learner_id),
        "verb": {"id": COMPLETED, "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": c.course_iri()},
    }))
    .await;
    assert!(c.progress(&c.learner).await["completed_at"].is_null());

    c.send(c.statement(VIEWED, &a, json!({}))).await;
    assert!(c.progress(&c.learner).await["completed_at"].is_null());
    // The last two completions race: each request may see the course complete.
    let mut sends = Vec::new();
    for unit in [&a, &b, &b, &a, &b] {
        sends.push(c.send(c.statement(VIEWED, unit, json!({}))));
    }
    futures::future::join_all(sends).await;
    let p = c.progress(&c.learner).await;
    assert!(p["completed_at"].is_string());

    // One completion event, already consumed by issuing the course's one credential.
    let (events, consumed): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(consumed_at) FROM completion_events \
         WHERE user_id = $1 AND course_id = $2 AND org_id = $3",
    )
    .bind(&c.learner_id)
    .bind(&c.course)
    .bind(&c.org)
    .fetch_one(&c.app.state.db.pool)
    .await
    .unwrap();
    assert_eq!((events, consumed), (1, 1));
    let wallet = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    let items = wallet.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", wallet.text);
    assert_eq!(items[0]["course_id"], c.course.as_str());

    let client = c.app.lrs_client(&c.admin, &c.org, &["all"]).await;
    let path = format!(
        "/xapi/statements?verb={COMPLETED}&activity={}",
        urlencode(&c.course_iri())
    );
    let r = c.app.xapi(Method::GET, &path, &client, None).await;
    r.assert(StatusCode::OK);
    let completed: Vec<&Value> = r.body["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["authority"]["account"]["homePage"]
                .as_str()
                .unwrap()
                .ends_with("/orgs")
        })
        .collect();
    assert_eq!(completed.len(), 1, "{}", r.text);
    let s = completed[0];
    assert_eq!(s["actor"]["account"]["name"], c.learner_id.as_str());
    assert_eq!(s["authority"]["account"]["name"], c.org.as_str());
    assert_eq!(s["object"]["definition"]["name"]["zh-CN"], "Care basics");

    // Later statements complete nothing again, and a consumed event cannot be taken twice.
    c.send(c.statement(VIEWED, &a, json!({}))).await;
    let db = &c.app.state.db;
    let (events, id): (i64, String) =
        sqlx::query_as("SELECT COUNT(*), MIN(id) FROM completion_events")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(events, 1);
    assert!(!caravan::progress::mark_consumed(db, &id).await.unwrap());
    assert!(caravan::progress::pending_completions(db, 100)
        .await
        .unwrap()
        .is_empty());
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}

async fn progress_is_private_to_the_learner_and_the_course_staff(backend: Backend) {
    let c = Classroom::new(backend).await;
    let doc = c.unit("document", "Handbook", true).await;
    c.send(c.statement(VIEWED, &doc, json!({}))).await;
    let app = &c.app;
    let path = format!("/api/v1/courses/{}/progress", c.course);
    let as_learner = format!("{path}?user_id={}", c.learner_id);

    // Nobody records progress anonymously.
    let stmt = c.statement(VIEWED, &doc, json!({}));
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &Auth::Anonymous,
        Some(stmt),
    )
    .await
    .assert(StatusCode::UNAUTHORIZED);
    app.get(&path, None).await.assert(StatusCode::UNAUTHORIZED);
    app.get("/api/v1/me/progress", None)
        .await
        .assert(StatusCode::UNAUTHORIZED);
    // Staff see the learner's progress; the learner sees their own with or without user_id.
    for token in [&c.teacher, &c.admin, &c.root, &c.learner] {
        let r = app.get(&as_learner, Some(token)).await;
        r.assert(StatusCode::OK);
        assert_eq!(r.body["user_id"], c.learner_id.as_str());
        assert_eq!(r.body["units"][0]["state"], "completed");
    }
    // Another learner of the same organisation may not; an outsider cannot see the course.
    let other = app.member(&c.root, &c.org, "learner").await;
    app.get(&as_learner, Some(&other))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let own = app.get(&path, Some(&other)).await;
    own.assert(StatusCode::OK);
    assert_eq!(own.body["units"][0]["state"], "not_started");
    assert!(own.body["started_at"].is_null());
    let elsewhere = app.create_org(&c.root, "elsewhere").await;
    let outsider = app.member(&c.root, &elsewhere, "admin").await;
    app.get(&as_learner, Some(&outsider))
        .await
        .assert(StatusCode::NOT_FOUND);
    // Statements about a course they cannot see record no progress for them.
    let outsider_id = app.user_id(&outsider).await;
    let mut stmt = c.statement(VIEWED, &doc, json!({}));
    stmt["actor"] = app.learner_agent(&outsider_id);
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &Auth::Bearer(outsider.clone()),
        Some(stmt),
    )
    .await
    .assert(StatusCode::OK);
    let r = app.get("/api/v1/me/progress", Some(&outsider)).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    app.get("/api/v1/courses/no-such-course/progress", Some(&c.learner))
        .await
        .assert(StatusCode::NOT_FOUND);
}

both_backends!(
    video_counts_played_time_not_skipped_time,
    documents_complete_when_viewed,
    course_completion_is_recorded_once,
    progress_is_private_to_the_learner_and_the_course_staff,
);
