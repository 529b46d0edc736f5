//! Draft, org, consortium and public courses are seen by exactly the right users.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn each_visibility_reaches_exactly_its_audience(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let a = app.create_org(&root, "vis-a").await;
    let b = app.create_org(&root, "vis-b").await;
    let invited = app.create_org(&root, "vis-invited").await;
    let outsider = app.create_org(&root, "vis-out").await;
    let admin_a = app.member(&root, &a, "admin").await;
    let teacher_a = app.member(&root, &a, "teacher").await;
    let learner_a = app.member(&root, &a, "learner").await;
    let admin_b = app.member(&root, &b, "admin").await;
    let learner_b = app.member(&root, &b, "learner").await;
    let learner_inv = app.member(&root, &invited, "learner").await;
    let learner_out = app.member(&root, &outsider, "learner").await;
    let c = app.consortium(&admin_a, &a, "vis", &[(&admin_b, &b)]).await;
    app.post(
        &format!("/api/v1/consortia/{c}/invitations"),
        Some(&admin_a),
        json!({"org_id": invited}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);

    let draft = app.course(&teacher_a, &a, "draft").await;
    let org_only = app.course(&teacher_a, &a, "org").await;
    let consortium = app.course(&teacher_a, &a, "consortium").await;
    let public = app.course(&teacher_a, &a, "public").await;
    app.publish(&teacher_a, &org_only, "org").await;
    app.publish(&teacher_a, &consortium, "consortium").await;
    app.publish(&teacher_a, &public, "public").await;
    let _ = draft;

    let all = ["draft", "org", "consortium", "public"];
    let cases: Vec<(&str, Option<&str>, Vec<&str>)> = vec![
        ("anonymous", None, vec!["public"]),
        (
            "learner of A",
            Some(&learner_a),
            vec!["org", "consortium", "public"],
        ),
        ("teacher of A", Some(&teacher_a), all.to_vec()),
        ("admin of A", Some(&admin_a), all.to_vec()),
        (
            "learner of B (consortium)",
            Some(&learner_b),
            vec!["consortium", "public"],
        ),
        (
            "admin of B (consortium)",
            Some(&admin_b),
            vec!["consortium", "public"],
        ),
        (
            "learner of an invited org",
            Some(&learner_inv),
            vec!["public"],
        ),
        ("learner of an outsider", Some(&learner_out), vec!["public"]),
        ("superadmin", Some(&root), all.to_vec()),
    ];
    let ids = [
        ("draft", &draft),
        ("org", &org_only),
        ("consortium", &consortium),
        ("public", &public),
    ];
    for (who, token, expected) in cases {
        let listed: BTreeSet<String> = app.get("/api/v1/courses?limit=100", token).await.body
            ["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect();
        let expected_set: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(listed, expected_set, "list for {who}");
        for (name, id) in ids {
            let status = app
                .get(&format!("/api/v1/courses/{id}"), token)
                .await
                .status;
            let want = if expected.contains(&name) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, want, "{who} reading the {name} course");
        }
    }

    // Leaving the consortium withdraws what it shared, at once.
    app.post(
        &format!("/api/v1/consortia/{c}/leave"),
        Some(&admin_b),
        json!({"org_id": b}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/courses/{consortium}"), Some(&learner_b))
        .await
        .assert(StatusCode::NOT_FOUND);
}

both_backends!(each_visibility_reaches_exactly_its_audience);
