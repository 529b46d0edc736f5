//! The Statement resource, written from the xAPI specification (Data and Communication).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        Backend, TestApp,
    },
};

const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";

async fn lrs(backend: Backend) -> (TestApp, Auth) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let client = app.lrs_client(&admin, &org, &["all"]).await;
    (app, client)
}

async fn stores_and_reads_back_a_statement(backend: Backend) {
    let (app, client) = lrs(backend).await;
    let s = statement("a@example.org", ATTEMPTED, "http://example.org/act/1");
    let r = app
        .xapi(Method::POST, "/xapi/statements", &client, Some(s))
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers["x-experience-api-version"], "2.0.0");
    let id = r.body[0].as_str().unwrap().to_owned();
    let r = app
        .xapi(
            Method::GET,
            &format!("/xapi/statements?statementId={id}"),
            &client,
            None,
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["id"], Value::String(id));
    assert!(r.body["stored"].is_string() && r.body["authority"].is_object());
    assert!(r
        .headers
        .contains_key("x-experience-api-consistent-through"));
    let r = app
        .xapi(
            Method::GET,
            "/xapi/statements?verb=http://adlnet.gov/expapi/verbs/attempted",
            &client,
            None,
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["statements"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["more"], "");
    let _ = json!({});
}

both_backends!(stores_and_reads_back_a_statement);
