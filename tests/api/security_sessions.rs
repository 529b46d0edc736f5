//! Regressions for the outside probe's findings (issue #20) about signing in and browsers,
//! through the real server: the sign-in throttle and a known device, a classroom behind one
//! address and an admin's unlock, cross-site cookie requests, the sign-in form's token and
//! `next=`, and the security headers.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, Reply, TestApp},
};

async fn login_as(app: &TestApp, email: &str, password: &str, cookie: Option<&str>) -> Reply {
    let mut req = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    Reply::from(req.send().await.unwrap()).await
}

/// The `name=value` of a cookie the response sets.
fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// F3 and F10: forty guesses sent at once are charged before any is checked, so only the free
/// few are tried; the account's owner still signs in from a device they used before.
async fn parallel_guesses_are_throttled_and_a_known_device_still_signs_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "throttle").await;
    let learner = app.member(&root, &org, "learner").await;
    let email = app.email(&learner).await;
    let device = set_cookie(
        login_as(&app, &email, "password-123", None)
            .await
            .assert(StatusCode::OK),
        "caravan_device",
    )
    .expect("a device cookie after signing in");

    let guesses = (0..40).map(|i| {
        let (app, email) = (&app, &email);
        async move {
            login_as(app, email, &format!("wrong-{i}"), None)
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let tried = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let held = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        tried <= 5 && tried + held == 40,
        "401s {tried}, 429s {held}: {statuses:?}"
    );

    let refused = login_as(&app, &email, "password-123", None).await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    assert!(refused.headers.contains_key("retry-after"));
    login_as(&app, &email, "password-123", Some(&device))
        .await
        .assert(StatusCode::OK);
}

/// F10: one address is a whole classroom, so its learners' typos lock nobody else out; an
/// account held back by guesses is released by its organisation's admin, and only by them.
async fn a_classroom_shares_an_address_and_an_admin_unlocks_an_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "nat").await;
    let other_org = app.create_org(&root, "nat-other").await;
    let admin = app.member(&root, &org, "admin").await;
    let other_admin = app.member(&root, &other_org, "admin").await;
    for i in 0..35 {
        login_as(&app, &format!("typo-{i}@example.org"), "wrong", None)
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    let learner = app.member(&root, &org, "learner").await;
    let email = app.email(&learner).await;
    login_as(&app, &email, "password-123", None)
        .await
        .assert(StatusCode::OK);

    for _ in 0..5 {
        login_as(&app, &email, "wrong", None)
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    login_as(&app, &email, "password-123", None)
        .await
        .assert(StatusCode::TOO_MANY_REQUESTS);
    let user_id = app.user_id(&learner).await;
    let unlock = format!("/api/v1/orgs/{org}/members/{user_id}/unlock");
    app.post(&unlock, Some(&other_admin), json!({}))
        .await
        .assert(StatusCode::FORBIDDEN);
    app.post(
        &format!("/api/v1/orgs/{other_org}/members/{user_id}/unlock"),
        Some(&other_admin),
        json!({}),
    )
    .await
    .assert(StatusCode::NOT_FOUND);
    login_as(&app, &email, "password-123", None)
        .await
        .assert(StatusCode::TOO_MANY_REQUESTS);
    app.post(&unlock, Some(&admin), json!({}))
        .await
        .assert(StatusCode::NO_CONTENT);
    login_as(&app, &email, "password-123", None)
        .await
        .assert(StatusCode::OK);
}

/// F4: with the admin's session cookie, a request another site makes (another port of the
/// same host counts as the same site for cookies) changes nothing; a CSV must say it is CSV.
async fn cookie_requests_from_another_site_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "forgery").await;
    let admin = app.member(&root, &org, "admin").await;
    let email = app.email(&admin).await;
    let session = set_cookie(
        login_as(&app, &email, "password-123", None)
            .await
            .assert(StatusCode::OK),
        "caravan_session",
    )
    .unwrap();
    let import = app.url(&format!("/api/v1/orgs/{org}/members:import"));
    let csv = "email,display_name,role,password\nevil@example.org,E,admin,password-123\n";
    let attempt = |headers: &[(&str, &str)], token: Option<&str>| {
        let mut req = app
            .http
            .post(&import)
            .header("content-type", "text/csv")
            .body(csv);
        if token.is_none() {
            req = req.header("cookie", &session);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        async move { Reply::from(req.send().await.unwrap()).await }
    };
    let sibling = format!("http://127.0.0.1:{}", app.addr.port() ^ 1);
    attempt(&[("origin", &sibling)], None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cross-site-request");
    attempt(&[("origin", "null")], None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cross-site-request");
    attempt(&[("sec-fetch-site", "same-site")], None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cross-site-request");
    let members = app
        .get(&format!("/api/v1/orgs/{org}/members"), Some(&admin))
        .await;
    assert!(
        !members.text.contains("evil@example.org"),
        "{}",
        members.text
    );

    let text_plain = app
        .http
        .post(&import)
        .header("cookie", &session)
        .header("origin", &app.base)
        .header("content-type", "text/plain")
        .body(csv)
        .send()
        .await
        .unwrap();
    Reply::from(text_plain)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    // This site's own page, and an API client whose credentials are its own header.
    attempt(
        &[("origin", &app.base), ("sec-fetch-site", "same-origin")],
        None,
    )
    .await
    .assert(StatusCode::OK);
    attempt(&[("origin", &sibling)], Some(&admin))
        .await
        .assert(StatusCode::OK);
}

/// F4 and F5 for the sign-in form: it must carry the page's token, and `next` leads only to a
/// path of this site.
async fn the_sign_in_form_needs_its_token_and_stays_on_this_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "forms").await;
    let learner = app.member(&root, &org, "learner").await;
    let email = app.email(&learner).await;
    let page = Reply::from(app.http.get(app.url("/login")).send().await.unwrap()).await;
    let cookie = set_cookie(&page, "caravan_csrf").expect("the sign-in page sets a token");
    let token = cookie.split_once('=').unwrap().1.to_owned();
    assert!(
        page.text
            .contains(&format!(r#"name="csrf" value="{token}""#)),
        "{}",
        page.text
    );
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |fields: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut req = no_redirects.post(app.url("/login")).form(&fields);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { Reply::from(req.send().await.unwrap()).await }
    };
    let fields = |next: &str, csrf: &str| {
        vec![
            ("email", email.clone()),
            ("password", "password-123".to_owned()),
            ("next", next.to_owned()),
            ("csrf", csrf.to_owned()),
        ]
    };
    post(fields("/me", ""), Some(cookie.clone()))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    post(fields("/me", &token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    for (next, lands) in [
        ("/\t/evil.example", "/me"),
        ("/\n/evil.example", "/me"),
        ("//evil.example", "/me"),
        ("/\\evil.example", "/me"),
        ("/courses?level=2", "/courses?level=2"),
    ] {
        let r = post(fields(next, &token), Some(cookie.clone())).await;
        assert!(r.status.is_redirection(), "{next:?}: {}", r.status);
        assert_eq!(r.header("location"), lands, "{next:?}");
        assert!(set_cookie(&r, "caravan_session").is_some());
    }
}

/// F11: every page has a Content-Security-Policy without inline scripts, the consoles may not
/// be framed, every response says nosniff and a referrer policy, and cookies are Secure
/// behind HTTPS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let header = |r: &Reply, name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    for (path, framed) in [
        ("/", true),
        ("/login", false),
        ("/teach", false),
        ("/verify", true),
    ] {
        let r = app.get(path, None).await;
        let policy = header(&r, "content-security-policy");
        assert!(
            policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
            "{path}: {policy}"
        );
        assert_eq!(
            policy.contains("frame-ancestors 'none'"),
            !framed,
            "{path}: {policy}"
        );
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            header(&r, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
    }
    let api = app.get("/api/v1/courses", None).await;
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert!(header(&api, "content-security-policy").is_empty());

    let root = app.superadmin().await;
    let org = app.create_org(&root, "plain-http").await;
    let learner = app.member(&root, &org, "learner").await;
    let r = login_as(&app, &app.email(&learner).await, "password-123", None).await;
    assert!(r
        .headers
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().contains("Secure")));

    let https = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.public_url = "https://caravan.example".into()
    })
    .await;
    let root = https.superadmin().await;
    let org = https.create_org(&root, "tls").await;
    let learner = https.member(&root, &org, "learner").await;
    let r = login_as(&https, &https.email(&learner).await, "password-123", None).await;
    let cookies: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .collect();
    assert!(
        cookies.len() >= 2 && cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    let page = https.get("/login", None).await;
    assert!(
        set_cookie(&page, "__Host-caravan_csrf").is_some(),
        "{:?}",
        page.headers
    );
}

both_backends!(
    parallel_guesses_are_throttled_and_a_known_device_still_signs_in,
    a_classroom_shares_an_address_and_an_admin_unlocks_an_account,
    cookie_requests_from_another_site_are_refused,
    the_sign_in_form_needs_its_token_and_stays_on_this_site,
);
