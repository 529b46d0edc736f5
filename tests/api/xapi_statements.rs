//! The Statement resource, written from the xAPI specification (Data and Communication parts,
//! 2.0.0 and 1.0.3): versions, authentication and scopes, validation, immutability, voiding,
//! filters and paging, formats, attachments and signatures.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        Backend, Reply, TestApp,
    },
};

const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

struct Lrs {
    app: TestApp,
    root: String,
    org: String,
    admin: String,
    client: Auth,
}

async fn lrs(backend: Backend) -> Lrs {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let client = app.lrs_client(&admin, &org, &["all"]).await;
    Lrs {
        app,
        root,
        org,
        admin,
        client,
    }
}

impl Lrs {
    async fn post(&self, body: Value) -> Reply {
        self.app
            .xapi(Method::POST, "/xapi/statements", &self.client, Some(body))
            .await
    }

    async fn get(&self, query: &str) -> Reply {
        self.app
            .xapi(
                Method::GET,
                &format!("/xapi/statements?{query}"),
                &self.client,
                None,
            )
            .await
    }

    async fn put(&self, body: Value, id: &str) -> Reply {
        self.app
            .xapi(
                Method::PUT,
                &format!("/xapi/statements?statementId={id}"),
                &self.client,
                Some(body),
            )
            .await
    }

    /// Ids of a StatementResult, in order.
    async fn ids(&self, query: &str) -> Vec<String> {
        let r = self.get(query).await;
        r.assert(StatusCode::OK);
        ids_of(&r.body)
    }
}

fn ids_of(result: &Value) -> Vec<String> {
    result["statements"]
        .as_array()
        .unwrap_or_else(|| panic!("no statements in {result}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

fn q(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn versions_are_negotiated_on_every_request(backend: Backend) {
    let l = lrs(backend).await;
    let about = l.app.get("/xapi/about", None).await;
    about.assert(StatusCode::OK);
    let versions = about.body["version"].as_array().unwrap();
    assert!(versions.contains(&json!("2.0.0")) && versions.contains(&json!("1.0.3")));

    let send = |version: Option<&'static str>| {
        let mut req = l
            .app
            .http
            .get(l.app.url("/xapi/statements"))
            .basic_auth("x", Some("y"));
        if let Some(v) = version {
            req = req.header("X-Experience-API-Version", v);
        }
        req
    };
    for bad in [
        None,
        Some("0.95"),
        Some("1.1.0"),
        Some("2.1.0"),
        Some("1.0.x"),
    ] {
        let r = Reply::from(send(bad).send().await.unwrap()).await;
        r.assert(StatusCode::BAD_REQUEST);
        assert!(r.headers.contains_key("x-experience-api-version"));
        // Communication 2.1.3: statement reads carry it whatever the outcome.
        assert!(r
            .headers
            .contains_key("x-experience-api-consistent-through"));
    }
    let old = l
        .client
        .apply(l.app.http.post(l.app.url("/xapi/statements")))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&statement(
            "v@example.org",
            ATTEMPTED,
            "http://example.org/a",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(old.headers()["x-experience-api-version"], "1.0.3");
    let id = old.json::<Value>().await.unwrap()[0]
        .as_str()
        .unwrap()
        .to_owned();
    // "1.0" is the 1.0.0 family too (Communication 3.3).
    let r = l
        .client
        .apply(l.app.http.get(l.app.url("/xapi/statements?limit=1")))
        .header("X-Experience-API-Version", "1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-experience-api-version"], "1.0.3");
    l.get("statementId=not-a-uuid")
        .await
        .assert(StatusCode::BAD_REQUEST);
    // A 1.0.x statement without a version is stored as 1.0.0 (Data 2.4.10).
    let back = l.get(&format!("statementId={id}")).await;
    assert_eq!(back.body["version"], "1.0.0");
}

async fn credentials_and_scopes_limit_what_a_caller_may_do(backend: Backend) {
    let l = lrs(backend).await;
    let app = &l.app;
    let s = statement("s@example.org", ATTEMPTED, "http://example.org/a");
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &Auth::Anonymous,
        Some(s.clone()),
    )
    .await
    .assert(StatusCode::UNAUTHORIZED);
    let wrong = match &l.client {
        Auth::Basic { key, .. } => Auth::Basic {
            key: key.clone(),
            secret: "not-the-secret".into(),
        },
        _ => unreachable!(),
    };
    app.xapi(Method::POST, "/xapi/statements", &wrong, Some(s.clone()))
        .await
        .assert(StatusCode::UNAUTHORIZED);

    // A write-only client writes and reads what it wrote, nothing more.
    let writer = app
        .lrs_client(&l.admin, &l.org, &["statements/write"])
        .await;
    let r = app
        .xapi(Method::POST, "/xapi/statements", &writer, Some(s.clone()))
        .await;
    r.assert(StatusCode::OK);
    app.xapi(Method::GET, "/xapi/statements", &writer, None)
        .await
        .assert(StatusCode::FORBIDDEN);
    let mine = app
        .lrs_client(
            &l.admin,
            &l.org,
            &["statements/write", "statements/read/mine"],
        )
        .await;
    let own = app
        .xapi(Method::POST, "/xapi/statements", &mine, Some(s.clone()))
        .await
        .body[0]
        .clone();
    let r = app.xapi(Method::GET, "/xapi/statements", &mine, None).await;
    assert_eq!(ids_of(&r.body), vec![own.as_str().unwrap().to_owned()]);
    // A reader cannot write.
    let reader = app.lrs_client(&l.admin, &l.org, &["statements/read"]).await;
    app.xapi(Method::POST, "/xapi/statements", &reader, Some(s.clone()))
        .await
        .assert(StatusCode::FORBIDDEN);
    assert_eq!(
        ids_of(
            &app.xapi(Method::GET, "/xapi/statements", &reader, None)
                .await
                .body
        )
        .len(),
        2
    );

    // Another organisation's client sees none of it.
    let other = app.create_org(&l.root, "elsewhere").await;
    let other_admin = app.member(&l.root, &other, "admin").await;
    let foreign = app.lrs_client(&other_admin, &other, &["all"]).await;
    let r = app
        .xapi(Method::GET, "/xapi/statements", &foreign, None)
        .await;
    assert!(ids_of(&r.body).is_empty());
    let id = own.as_str().unwrap();
    app.xapi(
        Method::GET,
        &format!("/xapi/statements?statementId={id}"),
        &foreign,
        None,
    )
    .await
    .assert(StatusCode::NOT_FOUND);

    // Only admins create clients; a revoked client stops working at once.
    let teacher = app.member(&l.root, &l.org, "teacher").await;
    app.post(
        &format!("/api/v1/orgs/{}/lrs-clients", l.org),
        Some(&teacher),
        json!({"name": "x"}),
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/orgs/{}/lrs-clients", l.org),
            Some(&l.admin),
            json!({"name": "x", "scopes": ["everything"]}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let list = app
        .get(
            &format!("/api/v1/orgs/{}/lrs-clients", l.org),
            Some(&l.admin),
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4);
    assert!(list.text.find("secret").is_none(), "{}", list.text);
    let writer_id = list.body["items"][1]["id"].as_str().unwrap().to_owned();
    app.request(
        Method::DELETE,
        &format!("/api/v1/orgs/{}/lrs-clients/{writer_id}", l.org),
        Some(&l.admin),
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.xapi(Method::POST, "/xapi/statements", &writer, Some(s))
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

async fn learners_record_and_read_only_their_own_statements(backend: Backend) {
    let l = lrs(backend).await;
    let app = &l.app;
    let learner = app.member(&l.root, &l.org, "learner").await;
    let me = app.get("/api/v1/me", Some(&learner)).await.body["user"].clone();
    let user_id = me["id"].as_str().unwrap();
    let email = me["email"].as_str().unwrap();
    let bearer = Auth::Bearer(learner.clone());
    let own = json!({"actor": app.learner_agent(user_id), "verb": {"id": ATTEMPTED}, "object": {"id": "http://example.org/a"}});
    let r = app
        .xapi(Method::POST, "/xapi/statements", &bearer, Some(own))
        .await;
    r.assert(StatusCode::OK);
    // Also by e-mail.
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &bearer,
        Some(statement(email, PASSED, "http://example.org/a")),
    )
    .await
    .assert(StatusCode::OK);
    let r = app
        .xapi(
            Method::POST,
            "/xapi/statements",
            &bearer,
            Some(statement(
                "someone@example.org",
                PASSED,
                "http://example.org/a",
            )),
        )
        .await;
    r.assert_problem(StatusCode::FORBIDDEN, "xapi-not-your-statement");
    // The org client writes one about the learner and one about someone else.
    let about_learner = json!({"actor": app.learner_agent(user_id), "verb": {"id": PASSED}, "object": {"id": "http://example.org/b"}});
    l.post(json!([
        about_learner,
        statement("x@example.org", PASSED, "http://example.org/b")
    ]))
    .await
    .assert(StatusCode::OK);
    let r = app
        .xapi(Method::GET, "/xapi/statements", &bearer, None)
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(ids_of(&r.body).len(), 2, "{}", r.text);
    // The learner's authority is the learner.
    assert_eq!(
        r.body["statements"][1]["authority"]["account"]["name"],
        user_id
    );
}

async fn invalid_statements_are_rejected_and_nothing_of_the_batch_is_stored(backend: Backend) {
    let l = lrs(backend).await;
    let good = statement("g@example.org", ATTEMPTED, "http://example.org/a");
    let mut two_ifis = good.clone();
    two_ifis["actor"]["openid"] = json!("http://openid.example.org/g");
    let mut bad_mbox = good.clone();
    bad_mbox["actor"]["mbox"] = json!("g@example.org");
    let mut bad_verb = good.clone();
    bad_verb["verb"]["id"] = json!("attempted");
    let mut bad_time = good.clone();
    bad_time["timestamp"] = json!("yesterday");
    let mut bad_score = good.clone();
    bad_score["result"] = json!({"score": {"scaled": 1.5}});
    let mut unknown = good.clone();
    unknown["colour"] = json!("blue");
    let mut null = good.clone();
    null["result"] = Value::Null;
    let mut bad_lang = good.clone();
    bad_lang["verb"]["display"] = json!({"not a tag": "x"});
    let mut bad_duration = good.clone();
    bad_duration["result"] = json!({"duration": "90 seconds"});
    let mut sub_with_id = good.clone();
    sub_with_id["object"] = json!({"objectType": "SubStatement", "id": uuid(),
        "actor": good["actor"], "verb": good["verb"], "object": good["object"]});
    let mut nested_sub = good.clone();
    nested_sub["object"] = json!({"objectType": "SubStatement", "actor": good["actor"], "verb": good["verb"],
        "object": {"objectType": "SubStatement", "actor": good["actor"], "verb": good["verb"], "object": good["object"]}});
    let mut revision_on_agent = good.clone();
    revision_on_agent["object"] = json!({"objectType": "Agent", "mbox": "mailto:o@example.org"});
    revision_on_agent["context"] = json!({"revision": "2"});
    let mut empty_map = good.clone();
    empty_map["verb"]["display"] = json!({});
    let mut bad_uuid = good.clone();
    bad_uuid["id"] = json!("not-a-uuid");
    let cases = [
        two_ifis,
        bad_mbox,
        bad_verb,
        bad_time,
        bad_score,
        unknown,
        null,
        bad_lang,
        bad_duration,
        sub_with_id,
        nested_sub,
        revision_on_agent,
        bad_uuid,
    ];
    for (n, bad) in cases.iter().enumerate() {
        let id = uuid();
        let mut first = good.clone();
        first["id"] = json!(id);
        let r = l.post(json!([first, bad])).await;
        r.assert_problem(StatusCode::BAD_REQUEST, "xapi-invalid-statement");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("Statement 1"),
            "case {n}: {}",
            r.text
        );
        l.get(&format!("statementId={id}"))
            .await
            .assert(StatusCode::NOT_FOUND);
    }
    // Duplicated ids within one batch, an empty batch, a non-statement body, a wrong type.
    let id = uuid();
    let mut a = good.clone();
    a["id"] = json!(id);
    l.post(json!([a, a])).await.assert(StatusCode::BAD_REQUEST);
    l.post(json!([])).await.assert(StatusCode::BAD_REQUEST);
    l.post(json!("statement"))
        .await
        .assert(StatusCode::BAD_REQUEST);
    let r = l
        .app
        .xapi_request(Method::POST, "/xapi/statements", &l.client)
        .header("content-type", "application/json")
        .body("{\"actor\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = l
        .app
        .xapi_request(Method::POST, "/xapi/statements", &l.client)
        .header("content-type", "text/plain")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(l.ids("").await.is_empty());
    // The server keeps serving.
    l.post(good).await.assert(StatusCode::OK);
}

async fn statements_are_immutable_and_resending_is_harmless(backend: Backend) {
    let l = lrs(backend).await;
    let app = &l.app;
    let id = uuid();
    let s = statement("i@example.org", ATTEMPTED, "http://example.org/a");
    l.put(s.clone(), &id).await.assert(StatusCode::NO_CONTENT);
    l.put(s.clone(), &id).await.assert(StatusCode::NO_CONTENT);
    // The id may be given in the body too, in any case, but must agree.
    let mut with_id = s.clone();
    with_id["id"] = json!(id.to_uppercase());
    l.put(with_id, &id).await.assert(StatusCode::NO_CONTENT);
    let mut other_id = s.clone();
    other_id["id"] = json!(uuid());
    l.put(other_id, &id).await.assert(StatusCode::BAD_REQUEST);
    let changed = statement("i@example.org", PASSED, "http://example.org/a");
    l.put(changed.clone(), &id)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    app.xapi(Method::PUT, "/xapi/statements", &l.client, Some(s.clone()))
        .await
        .assert(StatusCode::BAD_REQUEST);
    app.xapi(
        Method::PUT,
        "/xapi/statements?statementId=nope",
        &l.client,
        Some(s.clone()),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);

    // A batch that conflicts stores nothing; resending a batch returns the same ids.
    let fresh = uuid();
    let mut a = s.clone();
    a["id"] = json!(fresh);
    let mut b = changed.clone();
    b["id"] = json!(id);
    l.post(json!([a, b])).await.assert(StatusCode::CONFLICT);
    l.get(&format!("statementId={fresh}"))
        .await
        .assert(StatusCode::NOT_FOUND);
    let mut c = s.clone();
    c["id"] = json!(fresh);
    let first = l.post(json!([c, s.clone()])).await;
    first.assert(StatusCode::OK);
    let again = l.post(json!([c])).await;
    assert_eq!(again.body[0], first.body[0]);
    assert_eq!(l.ids("").await.len(), 3);

    // The LRS sets stored and authority (replacing a claimed one), keeps the timestamp given.
    let mut claimed = s.clone();
    claimed["authority"] = json!({"mbox": "mailto:boss@example.org"});
    claimed["timestamp"] = json!("2026-01-02T03:04:05.678Z");
    let id = l.post(claimed).await.body[0].as_str().unwrap().to_owned();
    let back = l.get(&format!("statementId={id}")).await;
    assert_eq!(back.body["timestamp"], "2026-01-02T03:04:05.678Z");
    assert_ne!(back.body["authority"]["mbox"], "mailto:boss@example.org");
    assert!(back.body["authority"]["account"]["name"]
        .as_str()
        .unwrap()
        .starts_with("lrs_"));
    assert_eq!(back.body["version"], "2.0.0");
    assert!(back.headers.contains_key("last-modified"));
}

async fn voided_statements_are_only_found_by_voided_statement_id(backend: Backend) {
    let l = lrs(backend).await;
    let target = l
        .post(statement(
            "v@example.org",
            ATTEMPTED,
            "http://example.org/v",
        ))
        .await
        .body[0]
        .as_str()
        .unwrap()
        .to_owned();
    let voiding = json!({"actor": {"mbox": "mailto:admin@example.org"}, "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target}});
    let voiding_id = l.post(voiding).await.body[0].as_str().unwrap().to_owned();
    l.get(&format!("statementId={target}"))
        .await
        .assert(StatusCode::NOT_FOUND);
    let r = l.get(&format!("voidedStatementId={target}")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["id"], json!(target));
    l.get(&format!("voidedStatementId={voiding_id}"))
        .await
        .assert(StatusCode::NOT_FOUND);
    // Lists leave the voided statement out but keep the voiding one, which matches the
    // voided statement's filters through its StatementRef.
    assert_eq!(l.ids("").await, vec![voiding_id.clone()]);
    assert_eq!(
        l.ids(&format!("activity={}", q("http://example.org/v")))
            .await,
        vec![voiding_id.clone()]
    );
    assert_eq!(
        l.ids(&format!("verb={}", q(ATTEMPTED))).await,
        vec![voiding_id.clone()]
    );
    // A voiding statement cannot be voided; a statement must void with a StatementRef.
    let r = l
        .post(
            json!({"actor": {"mbox": "mailto:admin@example.org"}, "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": voiding_id}}),
        )
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    l.post(
        json!({"actor": {"mbox": "mailto:admin@example.org"}, "verb": {"id": VOIDED},
        "object": {"id": "http://example.org/v"}}),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    // A statement voided before it arrives is stored voided.
    let early = uuid();
    l.post(
        json!({"actor": {"mbox": "mailto:admin@example.org"}, "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": early}}),
    )
    .await
    .assert(StatusCode::OK);
    let mut late = statement("v@example.org", ATTEMPTED, "http://example.org/late");
    late["id"] = json!(early);
    l.post(late).await.assert(StatusCode::OK);
    l.get(&format!("statementId={early}"))
        .await
        .assert(StatusCode::NOT_FOUND);
    l.get(&format!("voidedStatementId={early}"))
        .await
        .assert(StatusCode::OK);
}

/// XAPI-00331: a request without `X-Experience-API-Version` is refused, and the refusal names
/// the version the deployment answers by (`xapi_default_version`, 2.0.0 unless set).
async fn a_request_naming_no_version_learns_the_default(backend: Backend) {
    for (configured, expected) in [(None, "2.0.0"), (Some("1.0.3"), "1.0.3")] {
        let app = TestApp::spawn_with(backend, |s| {
            if let Some(v) = configured {
                s.xapi_default_version = v;
            }
        })
        .await;
        let r = Reply::from(
            app.http
                .get(app.url("/xapi/statements"))
                .basic_auth("x", Some("y"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.assert_problem(StatusCode::BAD_REQUEST, "xapi-version-missing");
        assert_eq!(r.headers["x-experience-api-version"], expected);
        assert!(
            r.body["detail"].as_str().unwrap().contains(expected),
            "{}",
            r.body
        );
        // `about` needs no version header.
        app.get("/xapi/about", None).await.assert(StatusCode::OK);
    }
}

both_backends!(
    a_request_naming_no_version_learns_the_default,
    versions_are_negotiated_on_every_request,
    credentials_and_scopes_limit_what_a_caller_may_do,
    learners_record_and_read_only_their_own_statements,
    invalid_statements_are_rejected_and_nothing_of_the_batch_is_stored,
    statements_are_immutable_and_resending_is_harmless,
    voided_statements_are_only_found_by_voided_statement_id
);
