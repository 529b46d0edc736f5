//! The Alternate Request Syntax (xAPI 1.0.3 Communication 1.3), refused under 2.0.0.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        Backend, TestApp,
    },
};

const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";

struct Lrs {
    app: TestApp,
    client: Auth,
}

impl Lrs {
    async fn new(backend: Backend) -> Self {
        let app = TestApp::spawn(backend).await;
        let root = app.superadmin().await;
        let org = app.create_org(&root, "centre").await;
        let admin = app.member(&root, &org, "admin").await;
        let client = app.lrs_client(&admin, &org, &["all"]).await;
        Self { app, client }
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Communication 1.3: 1.0.3 clients that can only POST forms carry headers, parameters and
/// content in the form; 2.0.0 has no such syntax.
async fn the_alternate_request_syntax_works_under_1_0_3_only(backend: Backend) {
    let l = Lrs::new(backend).await;
    let Auth::Basic { key, secret } = &l.client else {
        unreachable!()
    };
    let authorization = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{key}:{secret}")
        )
    );
    let form = |method: &str, fields: &[(&str, &str)]| {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        l.app
            .http
            .post(l.app.url(&format!("/xapi/statements?method={method}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let id = uuid();
    let content = statement("alt@example.org", ATTEMPTED, "http://example.org/alt").to_string();
    let r = form(
        "PUT",
        &[
            ("statementId", &id),
            ("Authorization", &authorization),
            ("X-Experience-API-Version", "1.0.3"),
            ("Content-Type", "application/json"),
            ("content", &content),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "{}",
        r.text().await.unwrap()
    );
    let r = form(
        "GET",
        &[
            ("statementId", &id),
            ("Authorization", &authorization),
            ("X-Experience-API-Version", "1.0.3"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], json!(id));
    let r = form(
        "GET",
        &[
            ("limit", "1"),
            ("Authorization", &authorization),
            ("X-Experience-API-Version", "1.0.3"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["statements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Extra query parameters, unknown methods, 2.0.0 and missing credentials are refused.
    let r = l
        .app
        .http
        .post(l.app.url("/xapi/statements?method=GET&limit=1"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = form(
        "PATCH",
        &[
            ("Authorization", &authorization),
            ("X-Experience-API-Version", "1.0.3"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = form(
        "GET",
        &[
            ("Authorization", &authorization),
            ("X-Experience-API-Version", "2.0.0"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = form("GET", &[("X-Experience-API-Version", "1.0.3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

both_backends!(the_alternate_request_syntax_works_under_1_0_3_only);
