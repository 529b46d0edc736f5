//! Regressions for the outside probe's findings (issue #20), through the real server: voiding
//! across tenants, media lent by a consortium, learners and draft media. Sign-in, cross-site
//! requests and headers are in `security_sessions`.

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

both_backends!(
    a_client_voids_only_its_organisations_statements,
    a_learner_voids_only_their_own_statements,
    a_lent_unit_reaches_no_further_than_its_owner_shares_it,
    learners_reach_media_only_through_courses_they_see,
);
