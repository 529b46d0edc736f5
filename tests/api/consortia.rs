//! Consortia: found, invite, accept, leave, list members.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn the_consortium_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let a = app.create_org(&root, "college-a").await;
    let b = app.create_org(&root, "college-b").await;
    let admin_a = app.member(&root, &a, "admin").await;
    let admin_b = app.member(&root, &b, "admin").await;
    let teacher_b = app.member(&root, &b, "teacher").await;

    let r = app
        .post(
            "/api/v1/consortia",
            Some(&admin_a),
            json!({"name": "Yangtze vocational alliance", "slug": "yangtze", "org_id": a}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    let c = r.id();
    app.post(
        "/api/v1/consortia",
        Some(&admin_a),
        json!({"name": "Again", "slug": "yangtze", "org_id": a}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    // Only an admin of the founding organisation may found it in that organisation's name.
    app.post(
        "/api/v1/consortia",
        Some(&admin_b),
        json!({"name": "Hijack", "slug": "hijack", "org_id": a}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // B is not in it yet: its admin cannot invite others or see members.
    app.post(
        &format!("/api/v1/consortia/{c}/invitations"),
        Some(&admin_b),
        json!({"org_id": b}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/consortia/{c}/invitations"),
        Some(&admin_a),
        json!({"org_id": b}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.post(
        &format!("/api/v1/consortia/{c}/invitations"),
        Some(&admin_a),
        json!({"org_id": b}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");

    let members = app
        .get(&format!("/api/v1/consortia/{c}/members"), Some(&teacher_b))
        .await;
    members.assert(StatusCode::OK);
    let status_of = |body: &serde_json::Value, org: &str| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["org_id"] == org)
            .map(|m| m["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(&members.body, &b).as_deref(), Some("invited"));

    // A teacher cannot accept for the organisation; its admin can.
    app.post(
        &format!("/api/v1/consortia/{c}/accept"),
        Some(&teacher_b),
        json!({"org_id": b}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/consortia/{c}/accept"),
        Some(&admin_b),
        json!({"org_id": b}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let members = app
        .get(&format!("/api/v1/consortia/{c}/members"), Some(&admin_a))
        .await;
    assert_eq!(status_of(&members.body, &b).as_deref(), Some("active"));

    let listed = app.get("/api/v1/consortia", Some(&teacher_b)).await;
    assert_eq!(listed.body["items"][0]["slug"], "yangtze");

    app.post(
        &format!("/api/v1/consortia/{c}/leave"),
        Some(&admin_b),
        json!({"org_id": b}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let members = app
        .get(&format!("/api/v1/consortia/{c}/members"), Some(&admin_a))
        .await;
    assert_eq!(status_of(&members.body, &b), None);
    app.get(&format!("/api/v1/consortia/{c}/members"), Some(&teacher_b))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get("/api/v1/consortia", Some(&teacher_b)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

both_backends!(the_consortium_lifecycle);
