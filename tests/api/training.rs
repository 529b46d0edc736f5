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

async fn evaluations_are_anonymous_and_hidden_below_five(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    let unit = c.unit("document", "Guide", true).await;
    let viewed = "http://id.tincanapi.com/verb/viewed";
    let ratings = |n: i64| {
        json!({"ratings": {"relevance": n, "teaching": n, "materials": 4, "organisation": 5},
            "comment": format!("comment {n}")})
    };
    let path = format!("/api/v1/courses/{}/evaluation", c.course);
    // Only once the course is completed.
    app.post(&path, Some(&c.learner), ratings(3))
        .await
        .assert_problem(StatusCode::CONFLICT, "course-not-completed");
    let mut learners = vec![(c.learner.clone(), c.learner_id.clone())];
    for _ in 0..4 {
        let token = app.member(&c.admin, &c.org, "learner").await;
        let id = app.user_id(&token).await;
        learners.push((token, id));
    }
    let results = format!("/api/v1/courses/{}/evaluations", c.course);
    for (i, (token, id)) in learners.iter().enumerate() {
        let mut stmt = c.statement(viewed, &unit, json!({}));
        stmt["actor"] = app.learner_agent(id);
        app.xapi(
            Method::POST,
            "/xapi/statements",
            &Auth::Bearer(token.clone()),
            Some(stmt),
        )
        .await
        .assert(StatusCode::OK);
        if i == 0 {
            // Every question rated 1 to 5, and only the organisation's questions.
            let bad =
                json!({"ratings": {"relevance": 6, "teaching": 3, "materials": 3, "mood": 2}});
            let r = app.post(&path, Some(token), bad).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(
                r.text.contains("ratings.relevance")
                    && r.text.contains("ratings.mood")
                    && r.text.contains("ratings.organisation"),
                "{}",
                r.text
            );
        }
        app.post(&path, Some(token), ratings(i as i64 + 1))
            .await
            .assert(StatusCode::NO_CONTENT);
        let r = app.get(&results, Some(&c.teacher)).await;
        r.assert(StatusCode::OK);
        assert_eq!(r.body["respondents"], i + 1);
        if i < 4 {
            // Four respondents could be told apart: nothing but their number is shown.
            assert_eq!(r.body["suppressed"], true, "{}", r.text);
            assert!(r.body["questions"][0]["average"].is_null(), "{}", r.text);
            assert_eq!(r.body["comments"], json!([]));
        } else {
            assert_eq!(r.body["suppressed"], false);
            assert_eq!(r.body["questions"][0]["key"], "relevance");
            assert_eq!(r.body["questions"][0]["average"], 3.0);
            assert_eq!(r.body["questions"][3]["average"], 5.0);
            assert_eq!(r.body["comments"].as_array().unwrap().len(), 5);
            assert!(!r.text.contains(&c.learner_id), "no learner is named");
        }
    }
    // Once per learner and course.
    app.post(&path, Some(&c.learner), ratings(2))
        .await
        .assert_problem(StatusCode::CONFLICT, "already-evaluated");
    // Learners see no results; the organisation's admins set the questions.
    app.get(&results, Some(&c.learner))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let questions = format!("/api/v1/orgs/{}/evaluation-questions", c.org);
    let mine = json!({"questions": [{"key": "safety", "text_en": "Do you work more safely?", "text_zh": "您工作更安全了吗？"}]});
    app.request(
        Method::PUT,
        &questions,
        Some(&c.teacher),
        Some(mine.clone()),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.request(Method::PUT, &questions, Some(&c.admin), Some(mine))
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app.get(&questions, Some(&c.learner)).await;
    assert_eq!(r.body[0]["key"], "safety", "{}", r.text);
}

both_backends!(
    a_class_takes_attendance_by_code_and_by_teacher,
    evaluations_are_anonymous_and_hidden_below_five,
    a_teachers_workload_counts_what_their_classes_did,
);

fn day(offset_days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset_days);
    d.format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap()
}

async fn a_teachers_workload_counts_what_their_classes_did(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    let (_, now, _) = class_with_sessions(&c).await;
    let shown = app
        .get(
            &format!("/api/v1/class-sessions/{now}/code"),
            Some(&c.teacher),
        )
        .await;
    attend(app, &c.learner, &now, json!({"code": shown.body["code"]}))
        .await
        .assert(StatusCode::OK);
    let admin_id = app.user_id(&c.admin).await;
    app.request(
        Method::PUT,
        &format!("/api/v1/class-sessions/{now}/attendance/{admin_id}"),
        Some(&c.teacher),
        None,
    )
    .await
    .assert(StatusCode::OK);
    // A second class the teacher shares with the admin, three quarters to one quarter.
    let teacher_id = app.user_id(&c.teacher).await;
    let r = app
        .post(
            &format!("/api/v1/orgs/{}/classes", c.org),
            Some(&c.admin),
            json!({"title": "Evening class", "starts_on": day(0), "ends_on": day(30), "online": true,
                "teachers": [{"user_id": teacher_id, "share": 0.75}, {"user_id": admin_id, "share": 0.25}]}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    let shared = r.id();
    app.post(
        &format!("/api/v1/classes/{shared}/sessions"),
        Some(&c.admin),
        json!({"starts_at": to_rfc3339(now_ms() + 3_600_000), "hours": 4.0}),
    )
    .await
    .assert(StatusCode::CREATED);

    let path = |query: &str| {
        format!(
            "/api/v1/orgs/{}/workload?from={}&to={}{query}",
            c.org,
            day(-1),
            day(2)
        )
    };
    let mine = app.get(&path(""), Some(&c.teacher)).await;
    mine.assert(StatusCode::OK);
    let me = &mine.body["teachers"];
    assert_eq!(
        me.as_array().unwrap().len(),
        1,
        "a teacher sees their own: {}",
        mine.text
    );
    assert_eq!(me[0]["teacher_id"], teacher_id);
    assert_eq!(me[0]["sessions"], 3);
    assert_eq!(me[0]["hours"], 2.0 + 2.0 + 3.0);
    assert_eq!(me[0]["person_times"], 2);
    assert_eq!(me[0]["learners"], 2);
    assert!(me[0]["evaluation_average"].is_null());
    // Only admins see other teachers.
    app.get(&path(&format!("&teacher={admin_id}")), Some(&c.teacher))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get(&path(""), Some(&c.learner))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let all = app.get(&path(""), Some(&c.admin)).await;
    all.assert(StatusCode::OK);
    let hours: Vec<(String, f64)> = all.body["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["teacher_id"].as_str().unwrap().to_owned(),
                t["hours"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(hours.contains(&(admin_id.clone(), 1.0)), "{hours:?}");
    assert!(hours.contains(&(teacher_id.clone(), 7.0)), "{hours:?}");
    // A period before any of it counts nothing.
    let before = format!(
        "/api/v1/orgs/{}/workload?from={}&to={}",
        c.org,
        day(-30),
        day(-2)
    );
    let r = app.get(&before, Some(&c.teacher)).await;
    assert_eq!(r.body["teachers"][0]["sessions"], 0, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/orgs/{}/workload?from=soon&to={}", c.org, day(0)),
            Some(&c.teacher),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
