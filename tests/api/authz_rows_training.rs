//! Authorization rows of the training office (classes, sessions, attendance, evaluations). Order of each
//! row's expectations: anonymous, learner, teacher, admin of another org, admin, superadmin.

use std::collections::HashMap;

use caravan::db::time::{now_ms, to_rfc3339};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    authz_rows::{Fresh, Row},
    support::TestApp,
};

type Values = HashMap<&'static str, String>;

/// A class of the organisation with the learner enrolled, a session under way and its code now.
pub async fn class(app: &TestApp, teacher: &str, learner: &str, org: &str) -> Values {
    let r = app
        .post(
            &format!("/api/v1/orgs/{org}/classes"),
            Some(teacher),
            json!({"title": "Matrix class", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "online": true}),
        )
        .await;
    r.assert(reqwest::StatusCode::CREATED);
    let class = r.id();
    let learner_id = app.user_id(learner).await;
    app.post(
        &format!("/api/v1/classes/{class}/members"),
        Some(teacher),
        json!({"user_ids": [learner_id]}),
    )
    .await
    .assert(reqwest::StatusCode::OK);
    let session = app
        .post(
            &format!("/api/v1/classes/{class}/sessions"),
            Some(teacher),
            json!({"starts_at": to_rfc3339(now_ms()), "hours": 1.0}),
        )
        .await
        .id();
    let code = app
        .get(
            &format!("/api/v1/class-sessions/{session}/code"),
            Some(teacher),
        )
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut v = Values::new();
    v.insert("class_id", class);
    v.insert("session_id", session);
    v.insert("user_id", learner_id);
    v.insert("code", code);
    v
}

fn none(_: &Values) -> Option<Value> {
    None
}
fn new_class(_: &Values) -> Option<Value> {
    Some(json!({"title": "C", "starts_on": "2026-01-01", "ends_on": "2026-01-02", "online": true}))
}
fn members(v: &Values) -> Option<Value> {
    Some(json!({"user_ids": [v["user_id"]]}))
}
fn session(_: &Values) -> Option<Value> {
    Some(json!({"starts_at": "2026-05-01T09:00:00Z", "hours": 3.0}))
}
fn questions(_: &Values) -> Option<Value> {
    Some(json!({"questions": [{"key": "q", "text_en": "Q?", "text_zh": "问？"}]}))
}
fn ratings(_: &Values) -> Option<Value> {
    Some(json!({"ratings": {"relevance": 4, "teaching": 4, "materials": 4, "organisation": 4}}))
}
fn code(v: &Values) -> Option<Value> {
    Some(json!({"code": v["code"]}))
}

pub fn rows() -> Vec<Row> {
    use Fresh::*;
    let row = |method, path, fresh, body: fn(&Values) -> Option<Value>, expect| Row {
        method,
        path,
        fresh,
        body,
        expect,
    };
    vec![
        // A superadmin passes, but is no teacher of the organisation: a class they create must
        // name its teachers (422 without).
        row(
            Method::POST,
            "/api/v1/orgs/{org_id}/classes",
            Nothing,
            new_class,
            [401, 403, 201, 403, 201, 422],
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/classes",
            Nothing,
            none,
            [401, 403, 200, 403, 200, 200],
        ),
        // Its learners see the class; nobody outside the organisation learns it exists.
        row(
            Method::GET,
            "/api/v1/classes/{class_id}",
            Class,
            none,
            [401, 200, 200, 404, 200, 200],
        ),
        row(
            Method::POST,
            "/api/v1/classes/{class_id}/members",
            Class,
            members,
            [401, 403, 200, 404, 200, 200],
        ),
        row(
            Method::POST,
            "/api/v1/classes/{class_id}/sessions",
            Class,
            session,
            [401, 403, 201, 404, 201, 201],
        ),
        row(
            Method::GET,
            "/api/v1/class-sessions/{session_id}/code",
            Class,
            none,
            [401, 403, 200, 404, 200, 200],
        ),
        // Only the class's learners attend.
        row(
            Method::POST,
            "/api/v1/class-sessions/{session_id}/attend",
            Class,
            code,
            [401, 200, 404, 404, 404, 404],
        ),
        row(
            Method::GET,
            "/api/v1/class-sessions/{session_id}/attendance",
            Class,
            none,
            [401, 403, 200, 404, 200, 200],
        ),
        row(
            Method::PUT,
            "/api/v1/class-sessions/{session_id}/attendance/{user_id}",
            Class,
            none,
            [401, 403, 200, 404, 200, 200],
        ),
        // A teacher's own workload, or (admins) every teacher's.
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/workload",
            Nothing,
            none,
            [401, 403, 200, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/evaluation-questions",
            Nothing,
            none,
            [401, 200, 200, 403, 200, 200],
        ),
        row(
            Method::PUT,
            "/api/v1/orgs/{org_id}/evaluation-questions",
            Nothing,
            questions,
            [401, 403, 403, 403, 204, 204],
        ),
        // Anyone who can see the course may evaluate it once completed (409 until then).
        row(
            Method::POST,
            "/api/v1/courses/{course_id}/evaluation",
            Course,
            ratings,
            [401, 409, 409, 404, 409, 409],
        ),
        row(
            Method::GET,
            "/api/v1/courses/{course_id}/evaluations",
            Course,
            none,
            [401, 403, 200, 404, 200, 200],
        ),
    ]
}
