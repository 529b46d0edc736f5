//! The document resources (State, Activity Profile, Agent Profile), written from the xAPI
//! specification (Communication 2.2-2.7 and 3.1): round trips, ids, ETags, merge and delete.
//! The helpers here serve `xapi_document_access` and `xapi_definitions` too.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::{
    both_backends,
    support::{lrs::Auth, Backend, Reply, TestApp},
};

pub(crate) const ACTIVITY: &str = "http://example.org/activities/lesson-1";
pub(crate) const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";

pub(crate) struct Lrs {
    pub(crate) app: TestApp,
    pub(crate) root: String,
    pub(crate) org: String,
    pub(crate) admin: String,
    pub(crate) client: Auth,
}

pub(crate) async fn lrs(backend: Backend) -> Lrs {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let client = app.lrs_client(&admin, &org, &["all"]).await;
    Lrs {
        app,
        root,
        org,
        admin,
        client,
    }
}

pub(crate) fn mbox(email: &str) -> Value {
    json!({"objectType": "Agent", "mbox": format!("mailto:{email}")})
}

pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

pub(crate) fn state_path(agent: &Value, state_id: Option<&str>) -> String {
    let agent = agent.to_string();
    let mut pairs = vec![("activityId", ACTIVITY), ("agent", agent.as_str())];
    if let Some(id) = state_id {
        pairs.push(("stateId", id));
    }
    format!("/xapi/activities/state?{}", query(&pairs))
}

pub(crate) fn activity_profile_path(profile_id: &str) -> String {
    format!(
        "/xapi/activities/profile?{}",
        query(&[("activityId", ACTIVITY), ("profileId", profile_id)])
    )
}

pub(crate) fn agent_profile_path(agent: &Value, profile_id: &str) -> String {
    let agent = agent.to_string();
    format!(
        "/xapi/agents/profile?{}",
        query(&[("agent", agent.as_str()), ("profileId", profile_id)])
    )
}

/// A request under this xAPI version with a raw body and extra headers.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: &Auth,
    version: &str,
    body: Option<(&str, &[u8])>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = auth.apply(
        app.http
            .request(method, app.url(path))
            .header("X-Experience-API-Version", version),
    );
    if let Some((content_type, bytes)) = body {
        req = req
            .header("content-type", content_type)
            .body(bytes.to_vec());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Reply::from(req.send().await.expect("request sent")).await
}

pub(crate) async fn put(
    app: &TestApp,
    path: &str,
    auth: &Auth,
    doc: &Value,
    headers: &[(&str, &str)],
) -> Reply {
    let bytes = serde_json::to_vec(doc).unwrap();
    let body = Some(("application/json", bytes.as_slice()));
    send(app, Method::PUT, path, auth, "2.0.0", body, headers).await
}

async fn post(
    app: &TestApp,
    path: &str,
    auth: &Auth,
    doc: &Value,
    headers: &[(&str, &str)],
) -> Reply {
    let bytes = serde_json::to_vec(doc).unwrap();
    let body = Some(("application/json", bytes.as_slice()));
    send(app, Method::POST, path, auth, "2.0.0", body, headers).await
}

fn etag(r: &Reply) -> String {
    r.headers["etag"].to_str().unwrap().to_owned()
}

pub(crate) async fn user_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", Some(token)).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn documents_round_trip_with_their_content_type(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org");
    let doc = json!({"bookmark": "page-3", "score": 4});
    put(&app, &state_path(&agent, Some("s1")), &client, &doc, &[])
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app
        .xapi(Method::GET, &state_path(&agent, Some("s1")), &client, None)
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body, doc);
    assert_eq!(r.headers["content-type"], "application/json");
    let sha = hex::encode(Sha1::digest(r.text.as_bytes()));
    assert_eq!(
        etag(&r),
        format!("\"{sha}\""),
        "a quoted SHA-1 of the content"
    );
    assert!(r.headers.contains_key("last-modified"));
    assert_eq!(r.headers["x-experience-api-version"], "2.0.0");

    let bytes: &[u8] = b"\x00\x01binary\xff";
    let path = state_path(&agent, Some("blob"));
    let body = Some(("application/octet-stream", bytes));
    send(&app, Method::PUT, &path, &client, "2.0.0", body, &[])
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app
        .xapi_request(Method::GET, &path, &client)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes);

    let text: &[u8] = b"plain words";
    let path = activity_profile_path("notes");
    send(
        &app,
        Method::PUT,
        &path,
        &client,
        "2.0.0",
        Some(("text/plain", text)),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let r = app.xapi(Method::GET, &path, &client, None).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        (r.text.as_str(), &r.headers["content-type"]),
        ("plain words", &"text/plain".parse().unwrap())
    );

    let path = agent_profile_path(&agent, "prefs");
    put(&app, &path, &client, &json!({"lang": "zh-CN"}), &[])
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app.xapi(Method::GET, &path, &client, None).await;
    assert_eq!(r.body, json!({"lang": "zh-CN"}));

    app.xapi(
        Method::GET,
        &state_path(&agent, Some("missing")),
        &client,
        None,
    )
    .await
    .assert(StatusCode::NOT_FOUND);
    app.xapi(
        Method::GET,
        &agent_profile_path(&mbox("b@example.org"), "prefs"),
        &client,
        None,
    )
    .await
    .assert(StatusCode::NOT_FOUND);
}

async fn lists_ids_since_a_time_and_per_registration(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org");
    for id in ["a", "b"] {
        put(
            &app,
            &state_path(&agent, Some(id)),
            &client,
            &json!({}),
            &[],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
    }
    let registration = uuid::Uuid::new_v4().to_string();
    let agent_s = agent.to_string();
    let registered = format!(
        "/xapi/activities/state?{}",
        query(&[
            ("activityId", ACTIVITY),
            ("agent", &agent_s),
            ("registration", &registration),
            ("stateId", "r")
        ])
    );
    put(&app, &registered, &client, &json!({}), &[])
        .await
        .assert(StatusCode::NO_CONTENT);
    // Fix the update times so `since` has something definite to cut between.
    for (id, at) in [("a", 1_000_i64), ("b", 2_000)] {
        sqlx::query("UPDATE xapi_documents SET updated_at = $1 WHERE doc_id = $2")
            .bind(at)
            .bind(id)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
    let r = app
        .xapi(Method::GET, &state_path(&agent, None), &client, None)
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body, json!(["a", "b"]));
    assert!(r.headers.contains_key("etag") && r.headers.contains_key("last-modified"));
    let since = format!(
        "/xapi/activities/state?{}",
        query(&[
            ("activityId", ACTIVITY),
            ("agent", &agent_s),
            ("since", "1970-01-01T00:00:01.500Z")
        ])
    );
    assert_eq!(
        app.xapi(Method::GET, &since, &client, None).await.body,
        json!(["b"])
    );
    let listed = format!(
        "/xapi/activities/state?{}",
        query(&[
            ("activityId", ACTIVITY),
            ("agent", &agent_s),
            ("registration", &registration)
        ])
    );
    assert_eq!(
        app.xapi(Method::GET, &listed, &client, None).await.body,
        json!(["r"])
    );

    for id in ["p1", "p2"] {
        put(&app, &activity_profile_path(id), &client, &json!({}), &[]).await;
        put(
            &app,
            &agent_profile_path(&agent, id),
            &client,
            &json!({}),
            &[],
        )
        .await;
    }
    let r = app
        .xapi(
            Method::GET,
            &format!(
                "/xapi/activities/profile?{}",
                query(&[("activityId", ACTIVITY)])
            ),
            &client,
            None,
        )
        .await;
    assert_eq!(r.body, json!(["p1", "p2"]));
    let r = app
        .xapi(
            Method::GET,
            &format!(
                "/xapi/agents/profile?{}",
                query(&[("agent", &agent_s), ("since", "2999-01-01T00:00:00Z")])
            ),
            &client,
            None,
        )
        .await;
    assert_eq!(r.body, json!([]));
}

async fn etags_guard_writes(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org");
    for path in [
        state_path(&agent, Some("s")),
        activity_profile_path("p"),
        agent_profile_path(&agent, "p"),
    ] {
        put(
            &app,
            &path,
            &client,
            &json!({"v": 1}),
            &[("If-None-Match", "*")],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
        let current = etag(&app.xapi(Method::GET, &path, &client, None).await);
        // Communication 3.1 (2.0.0): a PUT over an existing document without either header.
        put(&app, &path, &client, &json!({"v": 2}), &[])
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
        put(
            &app,
            &path,
            &client,
            &json!({"v": 2}),
            &[("If-None-Match", "*")],
        )
        .await
        .assert(StatusCode::PRECONDITION_FAILED);
        let wrong = "\"1111111111111111111111111111111111111111\"";
        for method in [Method::PUT, Method::POST] {
            let bytes = br#"{"v": 3}"#;
            send(
                &app,
                method,
                &path,
                &client,
                "2.0.0",
                Some(("application/json", bytes)),
                &[("If-Match", wrong)],
            )
            .await
            .assert(StatusCode::PRECONDITION_FAILED);
        }
        send(
            &app,
            Method::DELETE,
            &path,
            &client,
            "2.0.0",
            None,
            &[("If-Match", wrong)],
        )
        .await
        .assert(StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            app.xapi(Method::GET, &path, &client, None).await.body,
            json!({"v": 1})
        );
        put(
            &app,
            &path,
            &client,
            &json!({"v": 4}),
            &[("If-Match", &current)],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
        let current = etag(&app.xapi(Method::GET, &path, &client, None).await);
        post(
            &app,
            &path,
            &client,
            &json!({"w": 5}),
            &[("If-Match", &current)],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
        let r = app.xapi(Method::GET, &path, &client, None).await;
        assert_eq!(r.body, json!({"v": 4, "w": 5}));
        send(
            &app,
            Method::DELETE,
            &path,
            &client,
            "2.0.0",
            None,
            &[("If-Match", &etag(&r))],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
        app.xapi(Method::GET, &path, &client, None)
            .await
            .assert(StatusCode::NOT_FOUND);
        // If-Match names a document that must exist.
        put(&app, &path, &client, &json!({}), &[("If-Match", "*")])
            .await
            .assert(StatusCode::PRECONDITION_FAILED);
    }

    // 1.0.3 lets State PUTs go without concurrency headers (Communication 3.1.s3), not profiles.
    let bytes: &[u8] = br#"{"v": 1}"#;
    let path = state_path(&agent, Some("old"));
    for _ in 0..2 {
        send(
            &app,
            Method::PUT,
            &path,
            &client,
            "1.0.3",
            Some(("application/json", bytes)),
            &[],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
    }
    // Profiles under 1.0.3: see profile_puts_under_1_0_3_must_carry_a_precondition.
}

async fn post_merges_json_objects_only(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org");
    let path = state_path(&agent, Some("vars"));
    post(&app, &path, &client, &json!({"x": "foo", "y": "bar"}), &[])
        .await
        .assert(StatusCode::NO_CONTENT);
    post(
        &app,
        &path,
        &client,
        &json!({"x": "bash", "z": {"deep": 1}}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let r = app.xapi(Method::GET, &path, &client, None).await;
    assert_eq!(r.body, json!({"x": "bash", "y": "bar", "z": {"deep": 1}}));

    post(&app, &path, &client, &json!([1, 2]), &[])
        .await
        .assert(StatusCode::BAD_REQUEST);
    send(
        &app,
        Method::POST,
        &path,
        &client,
        "2.0.0",
        Some(("text/plain", b"{\"a\": 1}")),
        &[],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    send(
        &app,
        Method::POST,
        &path,
        &client,
        "2.0.0",
        Some(("application/json", b"{not json")),
        &[],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);

    let text = activity_profile_path("text");
    send(
        &app,
        Method::PUT,
        &text,
        &client,
        "2.0.0",
        Some(("text/plain", b"hello")),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    post(&app, &text, &client, &json!({"a": 1}), &[])
        .await
        .assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        app.xapi(Method::GET, &text, &client, None).await.text,
        "hello"
    );
    assert_eq!(
        app.xapi(Method::GET, &path, &client, None).await.body,
        json!({"x": "bash", "y": "bar", "z": {"deep": 1}})
    );
}

async fn deletes_one_document_or_a_whole_state_context(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org");
    let other = mbox("b@example.org");
    for id in ["a", "b", "c"] {
        put(
            &app,
            &state_path(&agent, Some(id)),
            &client,
            &json!({}),
            &[],
        )
        .await;
    }
    put(
        &app,
        &state_path(&other, Some("a")),
        &client,
        &json!({}),
        &[],
    )
    .await;
    app.xapi(
        Method::DELETE,
        &state_path(&agent, Some("a")),
        &client,
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.xapi(Method::GET, &state_path(&agent, Some("a")), &client, None)
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(
        app.xapi(Method::GET, &state_path(&agent, None), &client, None)
            .await
            .body,
        json!(["b", "c"])
    );
    app.xapi(Method::DELETE, &state_path(&agent, None), &client, None)
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        app.xapi(Method::GET, &state_path(&agent, None), &client, None)
            .await
            .body,
        json!([])
    );
    app.xapi(Method::GET, &state_path(&other, Some("a")), &client, None)
        .await
        .assert(StatusCode::OK);

    put(&app, &activity_profile_path("p"), &client, &json!({}), &[]).await;
    app.xapi(Method::DELETE, &activity_profile_path("p"), &client, None)
        .await
        .assert(StatusCode::NO_CONTENT);
    app.xapi(Method::GET, &activity_profile_path("p"), &client, None)
        .await
        .assert(StatusCode::NOT_FOUND);
    // Profiles have no multiple-document DELETE.
    let all = format!(
        "/xapi/activities/profile?{}",
        query(&[("activityId", ACTIVITY)])
    );
    app.xapi(Method::DELETE, &all, &client, None)
        .await
        .assert(StatusCode::BAD_REQUEST);
}

/// XAPI-00273 and Communication 2.7 under 1.0.3: a profile PUT with neither If-Match nor
/// If-None-Match is refused with 400, even for a document that does not exist yet, and nothing
/// is stored; with a precondition it goes through. The State resource and 2.0.0 keep their own
/// rules (2.0.0 creates a new document without a header).
async fn profile_puts_under_1_0_3_must_carry_a_precondition(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("old@example.org");
    let bytes = br#"{"v": 1}"#;
    let json = Some(("application/json", &bytes[..]));
    for path in [
        activity_profile_path("legacy"),
        agent_profile_path(&agent, "legacy"),
    ] {
        send(&app, Method::PUT, &path, &client, "1.0.3", json, &[])
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "xapi-precondition-required");
        send(&app, Method::GET, &path, &client, "1.0.3", None, &[])
            .await
            .assert(StatusCode::NOT_FOUND);
        send(
            &app,
            Method::PUT,
            &path,
            &client,
            "1.0.3",
            json,
            &[("If-None-Match", "*")],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
        let current = etag(&send(&app, Method::GET, &path, &client, "1.0.3", None, &[]).await);
        send(
            &app,
            Method::PUT,
            &path,
            &client,
            "1.0.3",
            Some(("application/json", br#"{"v": 2}"#)),
            &[("If-Match", &current)],
        )
        .await
        .assert(StatusCode::NO_CONTENT);
    }
    // State documents under 1.0.3 need no precondition (Communication 3.1.s3).
    send(
        &app,
        Method::PUT,
        &state_path(&agent, Some("s")),
        &client,
        "1.0.3",
        json,
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    // 2.0.0 creates a new profile document without a header.
    put(
        &app,
        &activity_profile_path("fresh"),
        &client,
        &json!({"v": 1}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
}

both_backends!(
    profile_puts_under_1_0_3_must_carry_a_precondition,
    documents_round_trip_with_their_content_type,
    lists_ids_since_a_time_and_per_registration,
    etags_guard_writes,
    post_merges_json_objects_only,
    deletes_one_document_or_a_whole_state_context,
);
