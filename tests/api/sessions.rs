//! Login, tokens, cookies, logout and throttling of failed logins.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn login_returns_a_token_and_an_httponly_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "college").await;
    app.member(&root, &org, "teacher").await;
    let email = "li.na@example.org";
    app.post(&format!("/api/v1/orgs/{org}/members"), Some(&root),
        json!({"email": email, "display_name": "Li Na", "password": "s3cret-pass", "role": "learner"}))
        .await
        .assert(StatusCode::CREATED);

    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "LI.NA@example.org", "password": "s3cret-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("caravan_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(body["user"]["email"], email);
    assert!(body["user"].get("password_hash").is_none());

    let me = app.get("/api/v1/me", Some(token)).await;
    me.assert(StatusCode::OK);
    assert_eq!(me.body["user"]["display_name"], "Li Na");
    assert_eq!(me.body["memberships"][0]["role"], "learner");
    assert_eq!(me.body["memberships"][0]["org_id"], org.as_str());

    // The cookie alone authenticates the pages' requests.
    let session = cookie.split(';').next().unwrap();
    let r = app
        .http
        .get(app.url("/api/v1/me"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The stored token is a hash, not the token.
    let db = caravan::db::Db::connect(&app.database_url).await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(!stored.iter().any(|h| h == token));
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

async fn logout_revokes_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    app.get("/api/v1/me", Some(&root))
        .await
        .assert(StatusCode::OK);
    app.post("/api/v1/auth/logout", Some(&root), json!({}))
        .await
        .assert(StatusCode::NO_CONTENT);
    app.get("/api/v1/me", Some(&root))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

/// Nodes cache sessions (no database round trip per request), yet signing out on one node ends
/// the token on the others within about a second, long before their cache would expire.
async fn signing_out_on_one_node_ends_the_token_on_every_node(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let store = caravan::StoreLocation::Local(a.store_dir.clone());
    let b = TestApp::spawn_on(a.database_url.clone(), store, |_| {}).await;
    let root = a.superadmin().await;
    // Node b has looked the token up (and keeps it).
    b.get("/api/v1/me", Some(&root))
        .await
        .assert(StatusCode::OK);
    b.get("/api/v1/me", Some(&root))
        .await
        .assert(StatusCode::OK);

    a.post("/api/v1/auth/logout", Some(&root), json!({}))
        .await
        .assert(StatusCode::NO_CONTENT);
    a.get("/api/v1/me", Some(&root))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let started = std::time::Instant::now();
    let limit = caravan::accounts::sessions::CACHE_TTL / 4;
    loop {
        let me = b.get("/api/v1/me", Some(&root)).await;
        if me.status == StatusCode::UNAUTHORIZED {
            me.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
            break;
        }
        me.assert(StatusCode::OK);
        assert!(
            started.elapsed() < limit,
            "node b still accepts a signed-out token after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn bad_credentials_and_tokens_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.superadmin().await;
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "nobody@example.org", "password": "whatever-1"}),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.get("/api/v1/me", Some("not-a-token"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.get("/api/v1/me", None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn failed_logins_are_throttled_per_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "throttle").await;
    app.post(&format!("/api/v1/orgs/{org}/members"), Some(&root),
        json!({"email": "target@example.org", "display_name": "T", "password": "right-password", "role": "learner"}))
        .await
        .assert(StatusCode::CREATED);
    for _ in 0..5 {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"email": "target@example.org", "password": "wrong-password"}),
        )
        .await
        .assert(StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is throttled.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "target@example.org", "password": "right-password"}),
        )
        .await;
    r.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    // Another account from the same address is not affected.
    app.member(&root, &org, "learner").await;
}

async fn self_registration_with_a_join_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "village-school").await;
    let admin = app.member(&root, &org, "admin").await;
    let code = app
        .post(
            &format!("/api/v1/orgs/{org}/join-codes"),
            Some(&admin),
            json!({"max_uses": 1}),
        )
        .await;
    code.assert(StatusCode::CREATED);
    let code = code.body["code"].as_str().unwrap().to_owned();
    let typed = format!("{}-{}", &code[..5].to_lowercase(), &code[5..]);

    let r = app.post("/api/v1/join", None, json!({"code": typed, "email": "farmer@example.org", "display_name": "Wang", "password": "phone-pass-1"})).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["role"], "learner");
    let token = r.body["token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.body["memberships"][0]["org_id"], org.as_str());

    // Used up: the next person gets a field error, and no account is created for them.
    let r = app.post("/api/v1/join", None, json!({"code": code, "email": "late@example.org", "display_name": "Late", "password": "phone-pass-2"})).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), vec!["code"]);
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "late@example.org", "password": "phone-pass-2"}),
    )
    .await
    .assert(StatusCode::UNAUTHORIZED);

    // A logged-in user joins another organisation with its code.
    let other = app.create_org(&root, "second-school").await;
    let admin2 = app.member(&root, &other, "admin").await;
    let code2 = app
        .post(
            &format!("/api/v1/orgs/{other}/join-codes"),
            Some(&admin2),
            json!({}),
        )
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post("/api/v1/join", Some(token), json!({"code": code2}))
        .await
        .assert(StatusCode::CREATED);
    app.post("/api/v1/join", Some(token), json!({"code": code2}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.body["memberships"].as_array().unwrap().len(), 2);

    // An address that has an account is never told so: with its password it signs in and
    // joins, without it the answer is a failed sign-in, throttled like every other.
    let third = app.create_org(&root, "third-school").await;
    let code3 = app
        .post(
            &format!("/api/v1/orgs/{third}/join-codes"),
            Some(&root),
            json!({}),
        )
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let join = |password: &str| json!({"code": code3, "email": "FARMER@example.org", "display_name": "Someone", "password": password});
    let r = app.post("/api/v1/join", None, join("guessing-1")).await;
    r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!r.text.contains("exists"), "{}", r.text);
    let r = app.post("/api/v1/join", None, join("phone-pass-1")).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(
        r.body["user"]["display_name"], "Wang",
        "the account is unchanged"
    );
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.body["memberships"].as_array().unwrap().len(), 3);
    for i in 0..5 {
        app.post("/api/v1/join", None, join(&format!("guess-{i}")))
            .await;
    }
    app.post("/api/v1/join", None, join("phone-pass-1"))
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");

    // Revoked codes stop working.
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{other}/join-codes/{code2}"),
        Some(&admin2),
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.post("/api/v1/join", None, json!({"code": code2, "email": "x@example.org", "display_name": "X", "password": "phone-pass-3"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
}

both_backends!(
    login_returns_a_token_and_an_httponly_cookie,
    logout_revokes_the_token,
    signing_out_on_one_node_ends_the_token_on_every_node,
    bad_credentials_and_tokens_are_401,
    failed_logins_are_throttled_per_account,
    self_registration_with_a_join_code
);
