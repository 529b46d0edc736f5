//! cmi5 with Caravan as the LMS: packages imported as units, AUs launched against our own LRS,
//! the fetch URL's one-time rule, the AU statement rules, moveOn, `satisfied` for blocks and
//! the course, waive and abandon, and invalid packages refused without a trace.
//!
//! The AU here is the test itself, behaving as the cmi5 specification says a foreign AU does
//! (section 8: read the launch parameters, POST the fetch URL once, read `LMS.LaunchData`, send
//! statements with the context template). cmi5 requirement ids (from `@cmi5/requirements`)
//! are named beside the checks that cover them.

use std::io::Write;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, lrs::Auth, Backend, TestApp},
};

pub(crate) const NS: &str = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd";
const CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVEON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const SESSION: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const MASTERY: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const VERBS: &str = "http://adlnet.gov/expapi/verbs";

pub(crate) fn au_xml(id: &str, title: &str, url: &str, attrs: &str) -> String {
    format!(
        r#"<au id="{id}" {attrs}><title><langstring lang="en-US">{title}</langstring></title>
        <description><langstring lang="en-US">{title}</langstring></description>
        <url>{url}</url></au>"#
    )
}

/// A course: block 1 (Completed, Passed with masteryScore 0.8), block 2 (CompletedAndPassed,
/// CompletedOrPassed), and a top-level NotApplicable AU with a remote URL and its own query.
pub(crate) fn structure() -> String {
    let au = |n: u8, move_on: &str, extra: &str, url: &str| {
        au_xml(
            &format!("https://example.org/aus/{n}"),
            &format!("Lesson {n}"),
            url,
            &format!(r#"moveOn="{move_on}" {extra}"#),
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{NS}">
  <course id="https://example.org/courses/welding">
    <title><langstring lang="en-US">Safe welding</langstring></title>
    <description><langstring lang="en-US">Welding basics</langstring></description>
  </course>
  <block id="https://example.org/blocks/1">
    <title><langstring lang="en-US">Part one</langstring></title>
    <description><langstring lang="en-US">One</langstring></description>
    {}
    {}
  </block>
  <block id="https://example.org/blocks/2">
    <title><langstring lang="en-US">Part two</langstring></title>
    <description><langstring lang="en-US">Two</langstring></description>
    {}
    {}
  </block>
  {}
</courseStructure>"#,
        au(1, "Completed", r#"launchMethod="OwnWindow""#, "lesson1/index.html?start=intro"),
        au(2, "Passed", r#"masteryScore="0.8""#, "lesson2/index.html"),
        au(3, "CompletedAndPassed", "", "lesson1/index.html"),
        au(4, "CompletedOrPassed", "", "lesson1/index.html"),
        au(5, "NotApplicable", "", "https://au.example.org/play?lang=en"),
    )
    .replace(
        "<url>lesson2/index.html</url>",
        "<launchParameters>level=2</launchParameters><entitlementKey>key-7</entitlementKey><url>lesson2/index.html</url>",
    )
}

pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    build_zip(entries, false)
}

/// A ZIP; `zip64` writes every entry with Zip64 extra fields (cmi5 14.0).
pub(crate) fn build_zip(entries: &[(&str, &[u8])], zip64: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(zip64);
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub(crate) const PAGE: &[u8] =
    b"<!doctype html><title>Lesson</title><script src=\"app.js\"></script>";

fn package() -> Vec<u8> {
    zip(&[
        ("cmi5.xml", structure().as_bytes()),
        ("lesson1/index.html", PAGE),
        ("lesson1/app.js", b"console.log('au')"),
        ("lesson2/index.html", PAGE),
    ])
}

pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    org: &str,
    body: Vec<u8>,
    ctype: &str,
) -> crate::support::Reply {
    let r = app
        .http
        .post(app.url(&format!("/api/v1/orgs/{org}/packages")))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    crate::support::Reply::from(r).await
}

/// A launched AU as the specification describes one: its launch parameters, its token.
pub(crate) struct Au {
    activity: String,
    registration: String,
    session: String,
    actor: Value,
    auth: Auth,
    pub(crate) url: url::Url,
}

pub(crate) fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

pub(crate) async fn launch(
    app: &TestApp,
    token: &str,
    course: &str,
    unit: &str,
    body: Value,
) -> Au {
    let r = app
        .post(
            &format!("/api/v1/courses/{course}/units/{unit}/launch"),
            Some(token),
            body,
        )
        .await;
    r.assert(StatusCode::OK);
    let url = url::Url::parse(r.body["url"].as_str().unwrap()).unwrap();
    // cmi5 8.1: endpoint, fetch, actor, registration, activityId (cmi5-req 8.1.0-1..5).
    assert_eq!(param(&url, "endpoint"), app.url("/xapi/"));
    assert_eq!(param(&url, "registration"), r.body["registration"]);
    let actor: Value = serde_json::from_str(&param(&url, "actor")).unwrap();
    assert!(actor["account"]["name"].is_string() && actor.get("mbox").is_none());
    let fetch = param(&url, "fetch");
    let fetched = app.http.post(&fetch).send().await.unwrap();
    assert_eq!(fetched.headers()["content-type"], "application/json");
    let answer: Value = fetched.json().await.unwrap();
    let token = answer["auth-token"]
        .as_str()
        .expect("an auth token")
        .to_owned();
    // 8.2.3: the fetch URL answers once; then the error document with code 1.
    let again: Value = app
        .http
        .post(&fetch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["error-code"], "1", "{again}");
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&token)
        .unwrap();
    let (key, secret) = std::str::from_utf8(&decoded)
        .unwrap()
        .split_once(':')
        .unwrap();
    Au {
        activity: param(&url, "activityId"),
        registration: param(&url, "registration"),
        session: r.body["session_id"].as_str().unwrap().to_owned(),
        actor,
        auth: Auth::Basic {
            key: key.to_owned(),
            secret: secret.to_owned(),
        },
        url,
    }
}

impl Au {
    /// A cmi5 defined statement with the launch data's context template.
    fn statement(&self, verb: &str, publisher: &str, result: Option<Value>) -> Value {
        let mut category = vec![json!({"id": CMI5})];
        if result
            .as_ref()
            .is_some_and(|r| r.get("success").is_some() || r.get("completion").is_some())
        {
            category.push(json!({"id": MOVEON}));
        }
        let mut s = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "actor": self.actor,
            "verb": {"id": format!("{VERBS}/{verb}"), "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": self.activity},
            "timestamp": "2026-12-07T10:00:00Z",
            "context": {
                "registration": self.registration,
                "contextActivities": {"grouping": [{"id": publisher}], "category": category},
                "extensions": {SESSION: self.session},
            },
        });
        if let Some(r) = result {
            s["result"] = r;
        }
        s
    }

    async fn send(&self, app: &TestApp, stmt: Value) -> crate::support::Reply {
        app.xapi(Method::POST, "/xapi/statements", &self.auth, Some(stmt))
            .await
    }

    /// initialized, then the statements, then terminated: each accepted.
    async fn session(&self, app: &TestApp, publisher: &str, results: &[(&str, Value)]) {
        self.send(app, self.statement("initialized", publisher, None))
            .await
            .assert(StatusCode::OK);
        for (verb, result) in results {
            self.send(app, self.statement(verb, publisher, Some(result.clone())))
                .await
                .assert(StatusCode::OK);
        }
        let done = self.statement("terminated", publisher, Some(json!({"duration": "PT5S"})));
        self.send(app, done).await.assert(StatusCode::OK);
    }
}

pub(crate) async fn unit_states(app: &TestApp, token: &str, course: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/courses/{course}/progress"), Some(token))
        .await;
    r.assert(StatusCode::OK);
    r.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].as_str().unwrap().to_owned())
        .collect()
}

async fn statements(app: &TestApp, token: &str, verb: &str, registration: &str) -> Vec<Value> {
    let path = format!(
        "/xapi/statements?verb={}&registration={registration}&limit=100",
        urlencode(verb)
    );
    let r = app
        .xapi(Method::GET, &path, &Auth::Bearer(token.to_owned()), None)
        .await;
    r.assert(StatusCode::OK);
    r.body["statements"].as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn a_cmi5_package_is_imported_launched_tracked_and_satisfied(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    import(app, &c.learner, &c.org, package(), "application/zip")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = import(app, &c.teacher, &c.org, package(), "application/zip").await;
    r.assert(StatusCode::CREATED);
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    let units: Vec<String> = r.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(units.len(), 5);
    assert_eq!(r.body["units"][1]["au_id"], "https://example.org/aus/2");
    assert_eq!(r.body["units"][0]["kind"], "package");
    let view = app
        .get(&format!("/api/v1/courses/{course}"), Some(&c.teacher))
        .await;
    assert_eq!(view.body["title"], "Safe welding", "{}", view.text);
    app.publish(&c.teacher, &course, "org").await;

    // AU 1 (moveOn Completed): launched in its own window, from the package's sandboxed files.
    let r = app
        .post(
            &format!("/api/v1/courses/{course}/units/{}/launch", units[0]),
            Some(&c.learner),
            json!({}),
        )
        .await;
    assert_eq!(r.body["launch_method"], "OwnWindow", "{}", r.text);
    let au1 = launch(app, &c.learner, &course, &units[0], json!({})).await;
    assert_eq!(
        param(&au1.url, "start"),
        "intro",
        "the AU's own query is kept"
    );
    let page = app.http.get(au1.url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("sandbox allow-scripts") && !csp.contains("allow-same-origin"),
        "{csp}"
    );
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.bytes().await.unwrap().as_ref(), PAGE);
    let script = au1.url.join("app.js").unwrap();
    let js = app.http.get(script.as_str()).send().await.unwrap();
    assert_eq!(
        js.status(),
        StatusCode::OK,
        "a relative link keeps the grant"
    );
    let forged = au1.url.as_str().replacen("/content/", "/content/x", 1);
    assert_eq!(
        app.http.get(&forged).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let mut tampered = au1.url.clone();
    let path = tampered.path().to_owned();
    let grant = path.split('/').nth(3).unwrap().to_owned();
    tampered.set_path(&path.replace(&grant, &format!("{grant}x")));
    assert_eq!(
        app.http
            .get(tampered.as_str())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // LMS.LaunchData (cmi5 10) and the learner preferences (11), readable with the AU's token.
    let state = format!(
        "/xapi/activities/state?activityId={}&agent={}&registration={}&stateId=LMS.LaunchData",
        urlencode(&au1.activity),
        urlencode(&au1.actor.to_string()),
        au1.registration
    );
    let data = app.xapi(Method::GET, &state, &au1.auth, None).await;
    data.assert(StatusCode::OK);
    assert_eq!(
        data.body["contextTemplate"]["extensions"][SESSION],
        au1.session.as_str()
    );
    assert_eq!(
        data.body["contextTemplate"]["contextActivities"]["grouping"][0]["id"],
        "https://example.org/aus/1"
    );
    assert_eq!(data.body["launchMode"], "Normal");
    assert_eq!(data.body["moveOn"], "Completed");
    assert!(data.body["returnURL"].as_str().unwrap().contains(&units[0]));
    app.xapi(
        Method::PUT,
        &state,
        &au1.auth,
        Some(json!({"launchMode": "Browse"})),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "xapi-launch-data-read-only");
    let prefs = format!(
        "/xapi/agents/profile?agent={}&profileId=cmi5LearnerPreferences",
        urlencode(&au1.actor.to_string())
    );
    app.xapi(Method::GET, &prefs, &au1.auth, None)
        .await
        .assert(StatusCode::OK);
    assert_ne!(
        au1.activity, "https://example.org/aus/1",
        "activityId is the LMS's own"
    );

    // The AU statement rules: initialized first (cmi5-req 9.3.2.0-1), terminated last.
    let p1 = "https://example.org/aus/1";
    let early = au1.statement(
        "completed",
        p1,
        Some(json!({"completion": true, "duration": "PT1S"})),
    );
    au1.send(app, early)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cmi5-statement-refused");
    let wrong_session = {
        let mut s = au1.statement("initialized", p1, None);
        s["context"]["extensions"][SESSION] = json!("another-session");
        s
    };
    au1.send(app, wrong_session)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cmi5-statement-refused");
    au1.session(
        app,
        p1,
        &[("completed", json!({"completion": true, "duration": "PT4S"}))],
    )
    .await;
    let late = au1.statement("experienced", p1, None);
    au1.send(app, late)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let launched = statements(
        app,
        &c.learner,
        &format!("{VERBS}/launched"),
        &au1.registration,
    )
    .await;
    assert_eq!(launched.len(), 2, "one launched per launch");
    let ext = &launched[0]["context"]["extensions"];
    assert_eq!(
        ext["https://w3id.org/xapi/cmi5/context/extensions/launchmode"],
        "Normal"
    );
    assert_eq!(
        ext["https://w3id.org/xapi/cmi5/context/extensions/moveon"],
        "Completed"
    );
    assert_eq!(ext[SESSION], au1.session.as_str());
    assert_eq!(unit_states(app, &c.learner, &course).await[0], "completed");

    // AU 2 (Passed, masteryScore 0.8): a completed does not meet it; a low passed is refused.
    let au2 = launch(app, &c.learner, &course, &units[1], json!({})).await;
    assert_eq!(au2.registration, au1.registration, "the same registration");
    let p2 = "https://example.org/aus/2";
    let data = app
        .xapi(
            Method::GET,
            &state.replace(&urlencode(&au1.activity), &urlencode(&au2.activity)),
            &au2.auth,
            None,
        )
        .await;
    assert_eq!(data.body["masteryScore"], 0.8);
    assert_eq!(data.body["launchParameters"], "level=2");
    assert_eq!(data.body["entitlementKey"]["courseStructure"], "key-7");
    au2.send(app, au2.statement("initialized", p2, None))
        .await
        .assert(StatusCode::OK);
    let low = au2.statement(
        "passed",
        p2,
        Some(json!({"success": true, "duration": "PT9S", "score": {"scaled": 0.5}})),
    );
    let mut low = low;
    low["context"]["extensions"][MASTERY] = json!(0.8);
    au2.send(app, low)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "cmi5-statement-refused");
    let completed = au2.statement(
        "completed",
        p2,
        Some(json!({"completion": true, "duration": "PT9S"})),
    );
    au2.send(app, completed).await.assert(StatusCode::OK);
    assert_eq!(
        unit_states(app, &c.learner, &course).await[1],
        "in_progress"
    );
    let mut pass = au2.statement(
        "passed",
        p2,
        Some(json!({"success": true, "duration": "PT9S", "score": {"scaled": 0.9}})),
    );
    pass["context"]["extensions"][MASTERY] = json!(0.8);
    au2.send(app, pass).await.assert(StatusCode::OK);
    assert_eq!(unit_states(app, &c.learner, &course).await[1], "completed");
    // Block 1 is satisfied in the request that satisfied it (cmi5 9.3.9).
    let satisfied = statements(
        app,
        &c.learner,
        "https://w3id.org/xapi/adl/verbs/satisfied",
        &au1.registration,
    )
    .await;
    assert_eq!(satisfied.len(), 1, "{satisfied:?}");
    assert_eq!(
        satisfied[0]["object"]["definition"]["type"],
        "https://w3id.org/xapi/cmi5/activitytype/block"
    );
    // The LMS's own block id, and the session that satisfied it.
    let block_id = satisfied[0]["object"]["id"].as_str().unwrap();
    assert!(
        block_id.starts_with(&app.state.settings.public_url),
        "{block_id}"
    );
    assert_eq!(
        satisfied[0]["context"]["extensions"][SESSION],
        au2.session.as_str()
    );

    // Waive AU 3 (teachers, once); complete AU 4; AU 5 is NotApplicable: the course is satisfied.
    let waive = format!("/api/v1/courses/{course}/units/{}/waive", units[2]);
    let body = json!({"registration": au1.registration, "reason": "Tested Out"});
    app.post(&waive, Some(&c.learner), body.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &waive,
        Some(&c.teacher),
        json!({"registration": au1.registration, "reason": "Bored"}),
    )
    .await
    .assert(StatusCode::UNPROCESSABLE_ENTITY);
    app.post(&waive, Some(&c.teacher), body.clone())
        .await
        .assert(StatusCode::NO_CONTENT);
    app.post(&waive, Some(&c.teacher), body)
        .await
        .assert_problem(StatusCode::CONFLICT, "already-waived");
    let waived = statements(
        app,
        &c.learner,
        "https://w3id.org/xapi/adl/verbs/waived",
        &au1.registration,
    )
    .await;
    assert_eq!(waived.len(), 1);
    assert_eq!(
        waived[0]["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"],
        "Tested Out"
    );
    let au4 = launch(app, &c.learner, &course, &units[3], json!({})).await;
    au4.session(
        app,
        "https://example.org/aus/4",
        &[("completed", json!({"completion": true, "duration": "PT3S"}))],
    )
    .await;
    let satisfied = statements(
        app,
        &c.learner,
        "https://w3id.org/xapi/adl/verbs/satisfied",
        &au1.registration,
    )
    .await;
    let types: Vec<&str> = satisfied
        .iter()
        .map(|s| s["object"]["definition"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| t.ends_with("/block")).count(),
        2,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| t.ends_with("/course")).count(),
        1,
        "{types:?}"
    );
    let progress = app
        .get(
            &format!("/api/v1/courses/{course}/progress"),
            Some(&c.learner),
        )
        .await;
    assert!(
        progress.body["completed_at"].is_string(),
        "{}",
        progress.text
    );

    // Abandon (the learner, once); the abandoned session's token writes nothing more.
    let again = launch(
        app,
        &c.learner,
        &course,
        &units[0],
        json!({"launch_mode": "Review"}),
    )
    .await;
    let abandon = format!("/api/v1/cmi5/sessions/{}/abandon", again.session);
    app.post(&abandon, Some(&c.teacher), json!({}))
        .await
        .assert(StatusCode::NO_CONTENT);
    app.post(&abandon, Some(&c.learner), json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "session-ended");
    again
        .send(app, again.statement("initialized", p1, None))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let abandoned = statements(
        app,
        &c.learner,
        "https://w3id.org/xapi/adl/verbs/abandoned",
        &au1.registration,
    )
    .await;
    // The first launch of AU 1 was abandoned by its second launch, this one by the teacher.
    assert_eq!(abandoned.len(), 2);
    let this = abandoned
        .iter()
        .find(|s| s["context"]["extensions"][SESSION] == again.session.as_str())
        .expect("the abandoned session's statement");
    assert!(this["result"]["duration"]
        .as_str()
        .unwrap()
        .starts_with("PT"));

    // A session left open is abandoned: by the next launch, or by the server when idle.
    let open = launch(app, &c.learner, &course, &units[1], json!({})).await;
    let n = caravan::packages::cmi5::track::abandon_idle(&app.state, 0)
        .await
        .unwrap();
    assert_eq!(n, 1);
    open.send(app, open.statement("initialized", p2, None))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    // Another learner can neither use this registration nor abandon these sessions.
    let other = app.member(&c.root, &c.org, "learner").await;
    app.post(
        &format!("/api/v1/courses/{course}/units/{}/launch", units[0]),
        Some(&other),
        json!({"registration": au1.registration}),
    )
    .await
    .assert(StatusCode::UNPROCESSABLE_ENTITY);
    app.post(
        &format!("/api/v1/cmi5/sessions/{}/abandon", open.session),
        Some(&other),
        json!({}),
    )
    .await
    .assert(StatusCode::NOT_FOUND);
}

both_backends!(a_cmi5_package_is_imported_launched_tracked_and_satisfied,);
