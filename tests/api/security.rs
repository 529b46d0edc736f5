//! Regressions for the outside probe's findings (issue #20), through the real server: voiding
//! across tenants, media lent by a consortium, learners and draft media, the sign-in throttle,
//! cross-site requests, and the security headers.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        media::{pdf, sha256_hex},
        Backend, Reply, TestApp,
    },
};

const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";

fn with_id(mut stmt: Value, id: &str) -> Value {
    stmt["id"] = id.into();
    stmt
}

fn voiding(actor: Value, target: &str) -> Value {
    json!({"actor": actor, "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
           "object": {"objectType": "StatementRef", "id": target}})
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn send(app: &TestApp, auth: &Auth, stmt: Value) -> Reply {
    app.xapi(Method::POST, "/xapi/statements", auth, Some(stmt))
        .await
}

async fn read(app: &TestApp, auth: &Auth, param: &str, id: &str) -> StatusCode {
    app.xapi(
        Method::GET,
        &format!("/xapi/statements?{param}={id}"),
        auth,
        None,
    )
    .await
    .status
}

/// F1: an LRS client voids only its own organisation's statements, and its voiding statements
/// cannot lie in wait for another organisation's future ids.
async fn a_client_voids_only_its_organisations_statements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let (a, b) = (
        app.create_org(&root, "void-a").await,
        app.create_org(&root, "void-b").await,
    );
    let admin_a = app.member(&root, &a, "admin").await;
    let admin_b = app.member(&root, &b, "admin").await;
    let scopes = ["statements/write", "statements/read"];
    let client_a = app.lrs_client(&admin_a, &a, &scopes).await;
    let client_b = app.lrs_client(&admin_b, &b, &scopes).await;
    let actor = json!({"mbox": "mailto:lms@a.example"});
    let stmt = || statement("learner@b.example", ATTEMPTED, "http://b.example/act");

    let theirs = new_id();
    send(&app, &client_b, with_id(stmt(), &theirs))
        .await
        .assert(StatusCode::OK);
    send(&app, &client_a, voiding(actor.clone(), &theirs))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "xapi-void-forbidden");
    assert_eq!(
        read(&app, &client_b, "statementId", &theirs).await,
        StatusCode::OK
    );

    // A voiding statement for an id not stored yet voids nothing of another organisation's.
    let future = new_id();
    send(&app, &client_a, voiding(actor.clone(), &future))
        .await
        .assert(StatusCode::OK);
    send(&app, &client_b, with_id(stmt(), &future))
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        read(&app, &client_b, "statementId", &future).await,
        StatusCode::OK
    );
    assert_eq!(
        read(&app, &client_b, "voidedStatementId", &future).await,
        StatusCode::NOT_FOUND
    );

    // Within the organisation voiding works either way round.
    let own = new_id();
    send(&app, &client_a, with_id(stmt(), &own))
        .await
        .assert(StatusCode::OK);
    send(&app, &client_a, voiding(actor.clone(), &own))
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        read(&app, &client_a, "statementId", &own).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        read(&app, &client_a, "voidedStatementId", &own).await,
        StatusCode::OK
    );
    let later = new_id();
    send(&app, &client_a, voiding(actor, &later))
        .await
        .assert(StatusCode::OK);
    send(&app, &client_a, with_id(stmt(), &later))
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        read(&app, &client_a, "voidedStatementId", &later).await,
        StatusCode::OK
    );
}

/// F1: a learner voids only statements they wrote themself, never what Caravan recorded about
/// them (a failed quiz) nor another learner's.
async fn a_learner_voids_only_their_own_statements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "void-learners").await;
    let admin = app.member(&root, &org, "admin").await;
    let learner = app.member(&root, &org, "learner").await;
    let other = app.member(&root, &org, "learner").await;
    let learner_id = app.user_id(&learner).await;
    let me = app.learner_agent(&learner_id);
    let (as_learner, as_other) = (Auth::Bearer(learner.clone()), Auth::Bearer(other.clone()));
    let client = app.lrs_client(&admin, &org, &["statements/read"]).await;

    let failed = json!({"actor": me, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"},
                        "object": {"id": "http://example.org/quiz/1"}});
    let recorded = caravan::progress::statements::record_for_org(&app.state, &org, failed)
        .await
        .unwrap();
    send(&app, &as_learner, voiding(me.clone(), &recorded.id))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "xapi-void-forbidden");
    assert_eq!(
        read(&app, &client, "statementId", &recorded.id).await,
        StatusCode::OK
    );

    let mine = new_id();
    let attempt = json!({"id": mine, "actor": me, "verb": {"id": ATTEMPTED},
                         "object": {"id": "http://example.org/quiz/1"}});
    send(&app, &as_learner, attempt)
        .await
        .assert(StatusCode::OK);
    let other_agent = app.learner_agent(&app.user_id(&other).await);
    send(&app, &as_other, voiding(other_agent, &mine))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "xapi-void-forbidden");
    assert_eq!(
        read(&app, &as_learner, "statementId", &mine).await,
        StatusCode::OK
    );
    send(&app, &as_learner, voiding(me, &mine))
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        read(&app, &as_learner, "voidedStatementId", &mine).await,
        StatusCode::OK
    );
}

/// A document unit of a new course of `org`, processed by the server's worker; returns the
/// course, the unit, the asset and the sha256 of its served file.
async fn document_course(
    app: &TestApp,
    teacher: &str,
    org: &str,
    title: &str,
) -> (String, String, String, String) {
    let course = app.course(teacher, org, title).await;
    let unit = app
        .post(
            &format!("/api/v1/courses/{course}/units"),
            Some(teacher),
            json!({"kind": "document", "title": "Handout"}),
        )
        .await
        .id();
    let bytes = pdf(2_000 + title.len());
    let meta = [("filename", "handout.pdf"), ("unit_id", unit.as_str())];
    let asset = app.upload(teacher, &bytes, &meta).await;
    let ready = app
        .wait_asset(Some(teacher), &asset, Duration::from_secs(60))
        .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    (course, unit, asset, sha256_hex(&bytes))
}

async fn media_status(app: &TestApp, token: Option<&str>, sha: &str) -> StatusCode {
    app.bytes_as(token, &format!("/media/{sha}"), None).await.0
}

/// F2: a partner that reuses a consortium unit cannot widen its audience: publishing the course
/// to everyone is refused, and the loan ends as soon as the owner unpublishes or the partner
/// leaves the consortium.
async fn a_lent_unit_reaches_no_further_than_its_owner_shares_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 1).await;
    let root = app.superadmin().await;
    let (owner, partner) = (
        app.create_org(&root, "lender").await,
        app.create_org(&root, "borrower").await,
    );
    let owner_admin = app.member(&root, &owner, "admin").await;
    let partner_admin = app.member(&root, &partner, "admin").await;
    let owner_teacher = app.member(&root, &owner, "teacher").await;
    let partner_teacher = app.member(&root, &partner, "teacher").await;
    let partner_learner = app.member(&root, &partner, "learner").await;
    let late_learner = app.member(&root, &partner, "learner").await;
    let consortium = app
        .consortium(
            &owner_admin,
            &owner,
            "lending",
            &[(&partner_admin, &partner)],
        )
        .await;
    let (source, unit, asset, sha) =
        document_course(&app, &owner_teacher, &owner, "Shared lectures").await;
    app.publish(&owner_teacher, &source, "consortium").await;

    let course = app
        .course(&partner_teacher, &partner, "Partner course")
        .await;
    app.post(
        &format!("/api/v1/courses/{course}/units"),
        Some(&partner_teacher),
        json!({"reuse_unit_id": unit}),
    )
    .await
    .assert(StatusCode::CREATED);
    app.post(
        &format!("/api/v1/courses/{course}/publish"),
        Some(&partner_teacher),
        json!({"visibility": "public"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "shared-units-not-public");
    app.publish(&partner_teacher, &course, "org").await;

    let asset_path = format!("/api/v1/assets/{asset}");
    app.get(&asset_path, Some(&partner_learner))
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        media_status(&app, Some(&partner_learner), &sha).await,
        StatusCode::OK
    );
    app.get(&asset_path, None)
        .await
        .assert(StatusCode::NOT_FOUND);

    // The owner publishes to everyone, so the partner may too; when the owner takes it back,
    // the partner's public course no longer carries the media to visitors.
    app.publish(&owner_teacher, &source, "public").await;
    app.publish(&partner_teacher, &course, "public").await;
    app.get(&asset_path, None).await.assert(StatusCode::OK);
    app.post(
        &format!("/api/v1/courses/{source}/unpublish"),
        Some(&owner_teacher),
        json!({}),
    )
    .await
    .assert(StatusCode::OK);
    app.get(&asset_path, None)
        .await
        .assert(StatusCode::NOT_FOUND);
    app.get(&asset_path, Some(&partner_learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(media_status(&app, None, &sha).await, StatusCode::NOT_FOUND);

    // Back to the consortium: the partner's learners again, visitors still not.
    app.publish(&owner_teacher, &source, "consortium").await;
    app.get(&asset_path, Some(&partner_learner))
        .await
        .assert(StatusCode::OK);
    app.get(&asset_path, None)
        .await
        .assert(StatusCode::NOT_FOUND);
    let offline = app
        .get(
            &format!("/api/v1/courses/{course}/offline"),
            Some(&partner_learner),
        )
        .await;
    offline.assert(StatusCode::OK);
    assert_eq!(
        offline.body["files"].as_array().map(Vec::len),
        Some(0),
        "a public bundle must not carry consortium media: {}",
        offline.text
    );

    // Leaving the consortium ends the loan.
    app.post(
        &format!("/api/v1/consortia/{consortium}/leave"),
        Some(&partner_admin),
        json!({"org_id": partner}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.get(&asset_path, Some(&partner_learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(
        media_status(&app, Some(&late_learner), &sha).await,
        StatusCode::NOT_FOUND
    );
    app.get(&asset_path, Some(&owner_teacher))
        .await
        .assert(StatusCode::OK);
}

/// F8: membership alone lets teachers and admins at the organisation's media; a learner reaches
/// it only through a course they can see.
async fn learners_reach_media_only_through_courses_they_see(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 1).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "drafts").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let admin = app.member(&root, &org, "admin").await;
    let learner = app.member(&root, &org, "learner").await;
    let (course, _, asset, sha) = document_course(&app, &teacher, &org, "Not yet").await;
    let path = format!("/api/v1/assets/{asset}");
    app.get(&format!("/api/v1/courses/{course}"), Some(&learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    app.get(&path, Some(&learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(
        media_status(&app, Some(&learner), &sha).await,
        StatusCode::NOT_FOUND
    );
    for author in [&teacher, &admin] {
        app.get(&path, Some(author)).await.assert(StatusCode::OK);
        assert_eq!(media_status(&app, Some(author), &sha).await, StatusCode::OK);
    }
    app.publish(&teacher, &course, "org").await;
    app.get(&path, Some(&learner)).await.assert(StatusCode::OK);
    // Uploaded bytes are never sniffed into something a browser would run, on either path.
    let signed = app.get(&path, Some(&learner)).await.body["renditions"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, url) in [
        (Some(teacher.as_str()), format!("/media/{sha}")),
        (None, signed),
    ] {
        let (status, headers, _) = app.bytes_as(token, &url, None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
    }
}

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
    a_client_voids_only_its_organisations_statements,
    a_learner_voids_only_their_own_statements,
    a_lent_unit_reaches_no_further_than_its_owner_shares_it,
    learners_reach_media_only_through_courses_they_see,
    parallel_guesses_are_throttled_and_a_known_device_still_signs_in,
    a_classroom_shares_an_address_and_an_admin_unlocks_an_account,
    cookie_requests_from_another_site_are_refused,
    the_sign_in_form_needs_its_token_and_stays_on_this_site,
);
