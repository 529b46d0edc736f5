//! Self-registration through a real SMTP server (aiosmtpd): closed unless the platform or an
//! organisation opens it, confirmed by the mailed link, the same answer whether or not the
//! address has an account, target groups only with consent, and limits per address.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{
        course::Classroom,
        smtp::{self, SmtpServer},
        Backend, TestApp,
    },
};

async fn app_with_mail(backend: Backend, open: bool) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(backend, |s| {
        s.open_registration = open;
        s.smtp_url = Some(caravan::config::Secret::new(url));
        s.mail_from = "Caravan <noreply@caravan.test>".into();
    })
    .await;
    (app, smtp)
}

fn asking(email: &str) -> Value {
    json!({"email": email, "password": "a-good-password", "display_name": "Li Wei", "language": "en"})
}

/// `name=value` of the cookie the response sets under `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The token in the confirmation link of a message.
fn link_token(message: &str) -> String {
    let body = smtp::body(message);
    let at = body
        .find("/register/confirm?token=")
        .unwrap_or_else(|| panic!("no confirmation link in {body}"))
        + "/register/confirm?token=".len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn a_new_address_confirms_and_a_known_one_learns_nothing(backend: Backend) {
    let (app, smtp) = app_with_mail(backend, true).await;
    let new = "li.wei@example.org";
    let first = app.post("/api/v1/registrations", None, asking(new)).await;
    first.assert(StatusCode::ACCEPTED);
    let mail = smtp.messages_to(new, 1).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: Confirm your Caravan account"),
        "{}",
        mail[0]
    );
    assert!(
        mail[0].contains("From: Caravan <noreply@caravan.test>"),
        "{}",
        mail[0]
    );
    let token = link_token(&mail[0]);
    // No account before the link is used.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": new, "password": "a-good-password"}),
        )
        .await;
    r.assert(StatusCode::UNAUTHORIZED);

    // The link's page asks for a press (a mail scanner following it creates nothing).
    let page = app
        .get(&format!("/register/confirm?token={token}"), None)
        .await;
    page.assert(StatusCode::OK);
    assert!(page.text.contains(&token));
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": new, "password": "a-good-password"}),
        )
        .await;
    r.assert(StatusCode::UNAUTHORIZED);

    let confirmed = app
        .post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": token}),
        )
        .await;
    confirmed.assert(StatusCode::CREATED);
    let session = confirmed.body["token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&session)).await;
    me.assert(StatusCode::OK);
    assert_eq!(me.body["user"]["email"], new);
    assert_eq!(me.body["user"]["display_name"], "Li Wei");
    assert_eq!(me.body["language"], "en");
    assert_eq!(me.body["memberships"], json!([]));
    app.login(new, "a-good-password").await;
    // The link works once.
    let again = app
        .post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": token}),
        )
        .await;
    again.assert(StatusCode::BAD_REQUEST);
    assert_eq!(again.body["code"], "registration-link-invalid");

    // The address now has an account: asking again is answered exactly as before, and the
    // owner's mailbox gets a note instead of a link; the account keeps its password.
    let mut other_password = asking(new);
    other_password["password"] = json!("someone-elses-password");
    let known = app
        .post("/api/v1/registrations", None, other_password)
        .await;
    known.assert(StatusCode::ACCEPTED);
    assert_eq!(known.body, first.body);
    let mail = smtp.messages_to(new, 2).await;
    assert_eq!(mail.len(), 2);
    assert!(
        mail[1].contains("Subject: Your Caravan account"),
        "{}",
        mail[1]
    );
    assert!(!smtp::body(&mail[1]).contains("token="), "{}", mail[1]);
    app.login(new, "a-good-password").await;
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": new, "password": "someone-elses-password"}),
        )
        .await;
    r.assert(StatusCode::UNAUTHORIZED);

    // A made-up link is refused the same way as a used one.
    let r = app
        .post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": "no-such-token"}),
        )
        .await;
    r.assert(StatusCode::BAD_REQUEST);
}

async fn registration_is_closed_unless_the_platform_or_an_organisation_opens_it(backend: Backend) {
    let (app, smtp) = app_with_mail(backend, false).await;
    let r = app
        .post("/api/v1/registrations", None, asking("a@example.org"))
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(r.body["code"], "registration-closed");
    let page = app.get("/register", None).await;
    page.assert(StatusCode::OK);
    assert!(
        page.text.contains("Registration is not open here"),
        "{}",
        page.text
    );
    assert!(!page.text.contains(r#"action="/register""#));

    let root = app.superadmin().await;
    let org = app.create_org(&root, "open-centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let switch = format!("/api/v1/orgs/{org}/registration");
    let mut into_org = asking("b@example.org");
    into_org["org_id"] = json!(org);
    app.post("/api/v1/registrations", None, into_org.clone())
        .await
        .assert(StatusCode::FORBIDDEN);
    // Only the organisation's admins (and superadmins) open it.
    for (who, status) in [(None, 401), (Some(&teacher), 403)] {
        let r = app
            .request(
                reqwest::Method::PUT,
                &switch,
                who.map(String::as_str),
                Some(json!({"open": true})),
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{}", r.text);
    }
    let r = app
        .request(
            reqwest::Method::PUT,
            &switch,
            Some(&admin),
            Some(json!({"open": true})),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(app.get(&switch, Some(&admin)).await.body["open"], true);

    app.post("/api/v1/registrations", None, into_org)
        .await
        .assert(StatusCode::ACCEPTED);
    let mail = smtp.messages_to("b@example.org", 1).await;
    let token = link_token(&mail[0]);
    let confirmed = app
        .post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": token}),
        )
        .await;
    confirmed.assert(StatusCode::CREATED);
    let me = app
        .get("/api/v1/me", confirmed.body["token"].as_str())
        .await;
    assert_eq!(me.body["memberships"][0]["org_id"], org);
    assert_eq!(me.body["memberships"][0]["role"], "learner");
    // The platform stays closed.
    app.post("/api/v1/registrations", None, asking("c@example.org"))
        .await
        .assert(StatusCode::FORBIDDEN);
}

async fn target_groups_are_kept_only_with_consent(backend: Backend) {
    let (app, smtp) = app_with_mail(backend, true).await;
    let mut groups = asking("d@example.org");
    groups["target_groups"] = json!(["veterans", "rural"]);
    groups["language"] = json!("zh");
    let r = app
        .post("/api/v1/registrations", None, groups.clone())
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["consent"]);
    let mut unknown = groups.clone();
    unknown["target_groups"] = json!(["veterans", "astronauts"]);
    unknown["consent"] = json!(true);
    let r = app.post("/api/v1/registrations", None, unknown).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["target_groups[1]"]);
    let mut bad = asking("not-an-address");
    bad["password"] = json!("short");
    bad["language"] = json!("fr");
    let r = app.post("/api/v1/registrations", None, bad).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["email", "password", "language"]);
    assert!(smtp.messages_to("d@example.org", 1).await.is_empty());

    groups["consent"] = json!(true);
    app.post("/api/v1/registrations", None, groups)
        .await
        .assert(StatusCode::ACCEPTED);
    let mail = smtp.messages_to("d@example.org", 1).await;
    // Chinese, as asked.
    assert!(
        smtp::body(&mail[0]).contains("请在 24 小时内打开下面的链接"),
        "{}",
        mail[0]
    );
    let token = link_token(&mail[0]);
    let confirmed = app
        .post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": token}),
        )
        .await;
    confirmed.assert(StatusCode::CREATED);
    let me = app
        .get("/api/v1/me", confirmed.body["token"].as_str())
        .await;
    assert_eq!(me.body["language"], "zh");
    assert_eq!(me.body["target_groups"], json!(["rural", "veterans"]));
}

/// One mailbox gets at most three messages in a row, whoever asks; then 429 with Retry-After.
async fn asking_too_often_is_throttled(backend: Backend) {
    let (app, smtp) = app_with_mail(backend, true).await;
    let target = "e@example.org";
    for _ in 0..3 {
        app.post("/api/v1/registrations", None, asking(target))
            .await
            .assert(StatusCode::ACCEPTED);
    }
    let r = app
        .post("/api/v1/registrations", None, asking(target))
        .await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(smtp.messages_to(target, 4).await.len(), 3);
    // Another address from the same client is still served.
    app.post("/api/v1/registrations", None, asking("f@example.org"))
        .await
        .assert(StatusCode::ACCEPTED);
}

/// The pages without script: the form (with the target groups and the consent box), the
/// "check your e-mail" answer, and the mailed link's page whose button creates the account and
/// signs in.
async fn the_pages_register_without_script(backend: Backend) {
    let (app, smtp) = app_with_mail(backend, true).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(app.url("/register")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"name="target_groups" value="veterans""#),
        "{html}"
    );
    assert!(html.contains(r#"name="consent""#));
    let csrf = |html: &str| {
        let t = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .expect("a form token");
        t[..t.find('"').unwrap()].to_owned()
    };
    let post = |path: &str, body: String| {
        client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &app.base)
            .header("cookie", &cookie)
            .body(body)
    };
    let form = format!(
        "csrf={}&display_name=Wang+Fang&email=wang%40example.org&password=a-good-password\
         &language=zh&target_groups=migrant-workers&consent=true",
        csrf(&html)
    );
    let sent = post("/register", form).send().await.unwrap();
    let status = sent.status();
    let text = sent.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("data-sent"), "{text}");
    let token = link_token(&smtp.messages_to("wang@example.org", 1).await[0]);

    let confirm = client
        .get(app.url(&format!("/register/confirm?token={token}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let html = confirm.text().await.unwrap();
    let done = post(
        "/register/confirm",
        format!("csrf={}&token={token}", csrf(&html)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/me");
    let session = set_cookie(&done, "caravan_session");
    let me = client
        .get(app.url("/api/v1/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user"]["display_name"], "Wang Fang");
    assert_eq!(me["target_groups"], json!(["migrant-workers"]));
    // Chosen in the form, the language follows the account whatever the browser asks for.
    let language = set_cookie(&done, "caravan_lang");
    assert_eq!(language, "caravan_lang=zh");
    let page = client
        .get(app.url("/me"))
        .header("cookie", format!("{session}; {language}"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains(r#"<html lang="zh"#));

    // The same link again: the page says it is used up.
    let again = post(
        "/register/confirm",
        format!("csrf={}&token={token}", csrf(&html)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("not valid any more"));
}

/// What learners say of themselves reaches reports only as counts, only while they consent:
/// grouped by `learner_group`, a learner counts in each group they named, one who named none
/// in the row whose group is null, and withdrawing moves them there at once.
async fn learner_groups_count_only_with_consent(backend: Backend) {
    let c = Classroom::new(backend).await;
    let put = |body: Value| {
        c.app.request(
            reqwest::Method::PUT,
            "/api/v1/me/target-groups",
            Some(&c.learner),
            Some(body),
        )
    };
    let r = put(json!({"target_groups": ["veterans"]})).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["consent"]);
    let r = put(json!({"target_groups": ["veterans", "rural"], "consent": true})).await;
    r.assert(StatusCode::OK);
    crate::credentials::completed(&c).await;
    let report = format!(
        "/api/v1/reports/training?group_by=learner_group&org_id={}",
        c.org
    );
    let rows = |r: &crate::support::Reply| -> Vec<(Value, Value, Value)> {
        r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["learner_group"].clone(),
                    row["enrolled"].clone(),
                    row["completed"].clone(),
                )
            })
            .collect()
    };
    let r = c.app.get(&report, Some(&c.admin)).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        rows(&r),
        vec![
            (json!("rural"), json!(1), json!(1)),
            (json!("veterans"), json!(1), json!(1)),
        ],
        "{}",
        r.text
    );
    put(json!({"target_groups": []}))
        .await
        .assert(StatusCode::OK);
    let r = c.app.get(&report, Some(&c.admin)).await;
    assert_eq!(
        rows(&r),
        vec![(Value::Null, json!(1), json!(1))],
        "{}",
        r.text
    );
    let me = c.app.get("/api/v1/me", Some(&c.learner)).await;
    assert_eq!(me.body["target_groups"], json!([]));
}

both_backends!(
    learner_groups_count_only_with_consent,
    the_pages_register_without_script,
    a_new_address_confirms_and_a_known_one_learns_nothing,
    registration_is_closed_unless_the_platform_or_an_organisation_opens_it,
    target_groups_are_kept_only_with_consent,
    asking_too_often_is_throttled,
);
