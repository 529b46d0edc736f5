//! Malformed and invalid requests get a problem+json with the right status, code and fields,
//! and leave nothing behind.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, Reply, TestApp},
};

async fn raw(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut req = app.http.post(app.url(path)).bearer_auth(token).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn malformed_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    raw(
        &app,
        "/api/v1/orgs",
        &root,
        Some("application/json"),
        "{\"name\": \"x\",",
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed-json");
    raw(
        &app,
        "/api/v1/orgs",
        &root,
        Some("application/json"),
        "{\"name\": \"A\", \"slug\": \"ab\"} trailing",
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed-json");
    raw(
        &app,
        "/api/v1/orgs",
        &root,
        None,
        "{\"name\": \"A\", \"slug\": \"ab\"}",
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    raw(&app, "/api/v1/orgs", &root, Some("text/plain"), "{}")
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    let big = format!(
        "{{\"name\": \"{}\", \"slug\": \"big\"}}",
        "x".repeat(1024 * 1024 + 1024)
    );
    raw(&app, "/api/v1/orgs", &root, Some("application/json"), big)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    // The server keeps serving, and nothing was created.
    let orgs = app.get("/api/v1/orgs", Some(&root)).await;
    orgs.assert(StatusCode::OK);
    assert_eq!(orgs.body["items"], json!([]));
}

async fn wrong_types_and_missing_fields_name_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "types").await;
    let r = app
        .post(
            "/api/v1/orgs",
            Some(&root),
            json!({"name": 12, "slug": "twelve"}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), vec!["name"]);
    let r = app
        .post("/api/v1/orgs", Some(&root), json!({"name": "No slug"}))
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), vec!["slug"]);
    let r = app.post("/api/v1/courses", Some(&root), json!({"org_id": org, "title": "T", "domain": "logistics", "level": "high", "language": "en"})).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), vec!["level"]);
    let r = app.post("/api/v1/courses", Some(&root), json!({"org_id": org, "title": "T", "domain": "logistics", "level": 1, "language": "en", "colour": "red"})).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let r = app
        .post(
            &format!("/api/v1/orgs/{org}/members"),
            Some(&root),
            json!({"email": "a@example.org", "role": "owner"}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), vec!["role"]);
}

async fn invalid_values_list_every_offending_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "values").await;
    let r = app.post("/api/v1/courses", Some(&root), json!({
        "org_id": org, "title": "   ", "domain": "astrology", "level": 7, "language": "en_GB",
        "target_groups": ["aliens"], "credit_value": -1, "estimated_minutes": -5, "visibility": "public"
    })).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "credit_value",
            "domain",
            "estimated_minutes",
            "language",
            "level",
            "target_groups",
            "title",
            "visibility"
        ]
    );
    let r = app
        .post("/api/v1/courses", Some(&root), json!({"org_id": org}))
        .await;
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["domain", "language", "level", "title"]);
    let r = app
        .post(
            "/api/v1/orgs",
            Some(&root),
            json!({"name": "Bad slug", "slug": "Bad Slug!"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["slug"]);
    let r = app
        .post(
            &format!("/api/v1/orgs/{org}/members"),
            Some(&root),
            json!({"email": "not-an-email", "role": "learner"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["email"]);
    let r = app.post(&format!("/api/v1/orgs/{org}/members"), Some(&root), json!({"email": "new@example.org", "display_name": "", "password": "short", "role": "learner"})).await;
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["display_name", "password"]);
    // None of it was stored.
    assert_eq!(
        app.get("/api/v1/courses", Some(&root)).await.body["items"],
        json!([])
    );
    assert_eq!(
        app.get(&format!("/api/v1/orgs/{org}/members"), Some(&root))
            .await
            .body["items"],
        json!([])
    );
}

async fn duplicates_conflict_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    app.create_org(&root, "dup").await;
    let r = app
        .post(
            "/api/v1/orgs",
            Some(&root),
            json!({"name": "Again", "slug": "dup"}),
        )
        .await;
    r.assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(r.error_fields(), vec!["slug"]);
    let r = app
        .post(
            "/api/v1/domains",
            Some(&root),
            json!({"slug": "logistics", "label_en": "L", "label_zh": "物流"}),
        )
        .await;
    r.assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(r.error_fields(), vec!["slug"]);
    let r = app.post("/api/v1/domains", Some(&root), json!({"slug": "new-energy-vehicles", "label_en": "New energy vehicles", "label_zh": "新能源汽车"})).await;
    r.assert(StatusCode::CREATED);
    let domains = app.get("/api/v1/domains", None).await;
    assert!(domains.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["slug"] == "new-energy-vehicles" && d["label_zh"] == "新能源汽车"));
}

async fn unknown_ids_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let missing = "01890000-0000-7000-8000-000000000000";
    app.get(&format!("/api/v1/orgs/{missing}"), Some(&root))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.get(&format!("/api/v1/courses/{missing}"), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.patch(
        &format!("/api/v1/courses/{missing}"),
        Some(&root),
        json!({"title": "x"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.get(&format!("/api/v1/consortia/{missing}/members"), Some(&root))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let org = app.create_org(&root, "ids").await;
    app.patch(
        &format!("/api/v1/orgs/{org}/members/{missing}"),
        Some(&root),
        json!({"role": "admin"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let course = app.course(&root, &org, "Course").await;
    app.patch(
        &format!("/api/v1/courses/{course}/units/{missing}"),
        Some(&root),
        json!({"title": "x"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.post(
        &format!("/api/v1/courses/{course}/units"),
        Some(&root),
        json!({"reuse_unit_id": missing}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
}

async fn internal_details_never_leak(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let r = app
        .post(
            "/api/v1/orgs",
            Some(&root),
            json!({"name": "x", "slug": "x-".repeat(40)}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert!(!r.text.to_lowercase().contains("sqlx") && !r.text.contains("SELECT"));
}

both_backends!(
    malformed_bodies,
    wrong_types_and_missing_fields_name_the_field,
    invalid_values_list_every_offending_field,
    duplicates_conflict_naming_the_field,
    unknown_ids_are_404,
    internal_details_never_leak
);
