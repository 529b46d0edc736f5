//! The training office: a class with two sessions, attendance by the session's rotating code
//! (the code of a minute ago refused, a scan made offline on a slow clock accepted within its
//! window), marked by a teacher, and each attendance an xAPI `attended` statement.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use caravan::db::time::{now_ms, to_rfc3339};
use caravan::training::code;

use crate::{
    both_backends,
    support::{course::Classroom, lrs::Auth, Backend, TestApp},
};

/// A session's secret, as only the server knows it.
async fn secret(app: &TestApp, session: &str) -> String {
    sqlx::query_scalar("SELECT secret FROM class_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

pub(crate) async fn class_with_sessions(c: &Classroom) -> (String, String, String) {
    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/classes", c.org),
            Some(&c.teacher),
            json!({"title": "Forklift, spring cohort", "course_ids": [c.course],
                "starts_on": "2026-03-01", "ends_on": "2026-06-30", "place": "Workshop 2", "capacity": 30}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    let class = r.id();
    let admin_id = c.app.user_id(&c.admin).await;
    let r = c
        .app
        .post(
            &format!("/api/v1/classes/{class}/members"),
            Some(&c.teacher),
            json!({"user_ids": [c.learner_id, admin_id]}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["enrolled"], 2);
    let sessions = format!("/api/v1/classes/{class}/sessions");
    let session = |starts_at: i64| {
        c.app.post(
            &sessions,
            Some(&c.teacher),
            json!({"starts_at": to_rfc3339(starts_at), "hours": 2.0}),
        )
    };
    // One began ten minutes ago; the other is tomorrow, in the village hall.
    let now = session(now_ms() - 600_000).await;
    now.assert(StatusCode::CREATED);
    assert_eq!(now.body["place"], "Workshop 2");
    let later = session(now_ms() + 86_400_000).await;
    later.assert(StatusCode::CREATED);
    (class, now.id(), later.id())
}

async fn attend(app: &TestApp, token: &str, session: &str, body: Value) -> crate::support::Reply {
    app.post(
        &format!("/api/v1/class-sessions/{session}/attend"),
        Some(token),
        body,
    )
    .await
}

async fn a_class_takes_attendance_by_code_and_by_teacher(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    // Classes are the staff's: a learner cannot make one, and a bad one is refused whole.
    let path = format!("/api/v1/orgs/{}/classes", c.org);
    let class =
        json!({"title": "X", "starts_on": "2026-03-01", "ends_on": "2026-02-01", "place": ""});
    app.post(&path, Some(&c.learner), class.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = app.post(&path, Some(&c.teacher), class).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("ends_on") && r.text.contains("place"),
        "{}",
        r.text
    );

    let (class, now, later) = class_with_sessions(&c).await;
    let view = app
        .get(&format!("/api/v1/classes/{class}"), Some(&c.learner))
        .await;
    view.assert(StatusCode::OK);
    assert_eq!(view.body["members"], 2);
    assert_eq!(view.body["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(view.body["teachers"][0]["share"], 1.0);

    // The teacher's screen shows the code; the learner types or scans it.
    let shown = app
        .get(
            &format!("/api/v1/class-sessions/{now}/code"),
            Some(&c.teacher),
        )
        .await;
    shown.assert(StatusCode::OK);
    let code_now = shown.body["code"].as_str().unwrap().to_owned();
    app.get(
        &format!("/api/v1/class-sessions/{now}/code"),
        Some(&c.learner),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = attend(app, &c.learner, &now, json!({"code": code_now})).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["new"], true);
    let again = attend(app, &c.learner, &now, json!({"code": code_now})).await;
    assert_eq!(again.body["new"], false, "attending twice counts once");

    // A photo of the screen from two minutes ago is no use, and neither is tomorrow's session.
    let key = secret(app, &now).await;
    let old = code::code(key.as_bytes(), code::window(now_ms() / 1000 - 120));
    attend(app, &c.admin, &now, json!({"code": old}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "attendance-code-invalid");
    let tomorrow = secret(app, &later).await;
    let early = code::code(tomorrow.as_bytes(), code::window(now_ms() / 1000));
    attend(app, &c.learner, &later, json!({"code": early}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "attendance-code-invalid");

    // Offline: scanned five minutes ago on a phone whose clock is ten minutes slow, synced now.
    let server_now = now_ms();
    let scanned_server = server_now - 300_000;
    let device_offset = -600_000;
    let offline = code::code(key.as_bytes(), code::window(scanned_server / 1000));
    let body = json!({"code": offline, "scanned_at": to_rfc3339(scanned_server + device_offset),
        "device_now": to_rfc3339(server_now + device_offset)});
    let r = attend(app, &c.admin, &now, body).await;
    r.assert(StatusCode::OK);
    let at = caravan::db::time::parse_rfc3339(r.body["attended_at"].as_str().unwrap()).unwrap();
    assert!(
        (at - scanned_server).abs() < 5_000,
        "on the server's clock: {}",
        r.text
    );
    // The same offline scan said to be from an hour before the session is refused.
    let body = json!({"code": offline, "scanned_at": to_rfc3339(server_now - 7_200_000),
        "device_now": to_rfc3339(server_now)});
    attend(app, &c.learner, &later, body)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "attendance-code-invalid");

    // Tomorrow the teacher marks the learner present from the roster.
    let mark = format!("/api/v1/class-sessions/{later}/attendance/{}", c.learner_id);
    app.request(Method::PUT, &mark, Some(&c.teacher), None)
        .await
        .assert(StatusCode::OK);
    let roster = app
        .get(
            &format!("/api/v1/class-sessions/{later}/attendance"),
            Some(&c.teacher),
        )
        .await;
    roster.assert(StatusCode::OK);
    let methods: Vec<Value> = roster
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!([r["user_id"] == c.learner_id, r["method"]]))
        .collect();
    assert!(
        methods.contains(&json!([true, "teacher"])),
        "{}",
        roster.text
    );
    assert!(methods.contains(&json!([false, null])), "{}", roster.text);

    // Each attendance is one `attended` statement of the learner.
    let r = app
        .xapi(
            Method::GET,
            "/xapi/statements?verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fattended",
            &Auth::Bearer(c.learner.clone()),
            None,
        )
        .await;
    r.assert(StatusCode::OK);
    let statements = r.body["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{}", r.text);
    assert!(statements.iter().all(|s| s["object"]["id"]
        .as_str()
        .unwrap()
        .contains("/xapi/activities/class-sessions/")));
}

both_backends!(a_class_takes_attendance_by_code_and_by_teacher);

/// The teacher's screen shows the session's QR code; the learner's phone opens it and records
/// attendance with one button, in Chromium.
#[tokio::test]
async fn attendance_is_taken_from_the_screens_qr_code() {
    let c = Classroom::new(Backend::Sqlite).await;
    let (_, session, _) = class_with_sessions(&c).await;
    let screen = format!("/teach/class-sessions/{session}/code");
    c.browse(
        &c.teacher,
        &["attendance-screen"],
        json!({"screen": screen}),
    )
    .await;
    let shown = c
        .app
        .get(
            &format!("/api/v1/class-sessions/{session}/code"),
            Some(&c.teacher),
        )
        .await;
    let key = secret(&c.app, &session).await;
    let stale = code::code(key.as_bytes(), code::window(now_ms() / 1000 - 120));
    let input = json!({
        "fresh": format!("/attend/{session}?code={}", shown.body["code"].as_str().unwrap()),
        "stale": format!("/attend/{session}?code={stale}"),
    });
    c.browse(&c.learner, &["attend"], input).await;
    let roster = c
        .app
        .get(
            &format!("/api/v1/class-sessions/{session}/attendance"),
            Some(&c.teacher),
        )
        .await;
    let me = roster
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == c.learner_id)
        .unwrap();
    assert_eq!(me["method"], "code", "{}", roster.text);
}
