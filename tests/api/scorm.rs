//! SCORM 1.2 and 2004 packages: imported as units, launched with the runtime in the SCO's
//! sandboxed launch page, the run-time data committed the way scorm-again commits it (a
//! `text/plain` JSON POST from an opaque origin, `?terminate=true` on `LMSFinish`), kept per
//! learner and attempt, resumed from suspend data, and turned into xAPI statements that
//! complete the unit. Invalid packages are refused without a trace.
//!
//! The test reads what the launch page gives the runtime (`loadFromJSON`'s data) straight out
//! of the page, as the browser would; the Chromium test in `browser.rs` plays the same kind of
//! package through scorm-again itself.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    cmi5::{import, unit_states, zip},
    support::{course::Classroom, lrs::Auth, Backend, TestApp},
};

const VERBS: &str = "http://adlnet.gov/expapi/verbs";

pub(crate) fn manifest_12(items: &str, resources: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<manifest identifier="com.example.forklift" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1"><organization identifier="org1"><title>Forklift basics</title>
  {items}</organization></organizations>
  <resources>{resources}</resources>
</manifest>"#
    )
}

pub(crate) const SCO_PAGE: &[u8] = b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>SCO</title><script src=\"../shared/sco.js\"></script></head><body><p>Lesson</p></body></html>";

/// A two-SCO SCORM 1.2 package: the first with a mastery score and launch data, the second
/// nested in a module and launched with parameters.
pub(crate) fn package_12() -> Vec<u8> {
    let xml = manifest_12(
        r#"<item identifier="i1" identifierref="r1"><title>Checks before driving</title>
             <adlcp:masteryscore>80</adlcp:masteryscore><adlcp:datafromlms>level=2</adlcp:datafromlms></item>
           <item identifier="m1"><title>Driving</title>
             <item identifier="i2" identifierref="r2" parameters="?part=2"><title>Lifting a load</title></item></item>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="sco1/index.html"><file href="sco1/index.html"/></resource>
           <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="sco2/index.html"><file href="sco2/index.html"/></resource>"#,
    );
    zip(&[
        ("imsmanifest.xml", xml.as_bytes()),
        ("sco1/index.html", SCO_PAGE),
        ("sco2/index.html", SCO_PAGE),
        ("shared/sco.js", b"// the SCO's own script"),
    ])
}

/// A launch as a SCO's runtime sees it.
pub(crate) struct Launched {
    pub(crate) url: String,
    pub(crate) registration: String,
    /// What the page hands the runtime's `loadFromJSON`.
    pub(crate) cmi: Value,
    pub(crate) commit: String,
    pub(crate) runtime_src: String,
}

pub(crate) async fn launch(
    app: &TestApp,
    token: &str,
    course: &str,
    unit: &str,
    body: Value,
) -> Launched {
    let r = app
        .post(
            &format!("/api/v1/courses/{course}/units/{unit}/launch"),
            Some(token),
            body,
        )
        .await;
    r.assert(StatusCode::OK);
    let url = r.body["url"].as_str().unwrap().to_owned();
    let page = app.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{url}");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("sandbox allow-scripts") && !csp.contains("allow-same-origin"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    let head = html.find("<head>").expect("the SCO's head") + "<head>".len();
    assert!(
        html[head..].starts_with("<script src="),
        "the runtime comes before the SCO's own scripts: {html}"
    );
    let runtime_src = html[head + "<script src=\"".len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let config = html
        .split("var c=")
        .nth(1)
        .and_then(|rest| rest.split(";var api=").next())
        .expect("the runtime's configuration");
    let config: Value = serde_json::from_str(config).unwrap();
    Launched {
        url,
        registration: r.body["registration"].as_str().unwrap().to_owned(),
        cmi: config["cmi"].clone(),
        commit: config["commit"].as_str().unwrap().to_owned(),
        runtime_src,
    }
}

/// A commit as scorm-again sends it: JSON as `text/plain`, no credentials.
pub(crate) async fn commit(
    app: &TestApp,
    l: &Launched,
    cmi: Value,
    terminate: bool,
) -> crate::support::Reply {
    let url = if terminate {
        format!("{}?terminate=true", l.commit)
    } else {
        l.commit.clone()
    };
    let r = app
        .http
        .post(url)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("origin", "null")
        .body(json!({ "cmi": cmi }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    crate::support::Reply::from(r).await
}

async fn verbs(app: &TestApp, token: &str, registration: &str) -> Vec<String> {
    let path = format!("/xapi/statements?registration={registration}&limit=100&ascending=true");
    let r = app
        .xapi(Method::GET, &path, &Auth::Bearer(token.to_owned()), None)
        .await;
    r.assert(StatusCode::OK);
    r.body["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["verb"]["id"].as_str().unwrap();
            id.strip_prefix(&format!("{VERBS}/"))
                .unwrap_or(id)
                .to_owned()
        })
        .collect()
}

async fn a_scorm12_package_is_played_resumed_and_attempted_twice(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    import(app, &c.learner, &c.org, package_12(), "application/zip")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = import(app, &c.teacher, &c.org, package_12(), "application/zip").await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["format"], "scorm-1.2");
    assert_eq!(r.body["units"][0]["title"], "Checks before driving");
    assert_eq!(r.body["units"][1]["au_id"], "i2");
    assert_eq!(r.body["units"].as_array().unwrap().len(), 2);
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    let unit = |i: usize| r.body["units"][i]["id"].as_str().unwrap().to_owned();
    let view = app
        .get(&format!("/api/v1/courses/{course}"), Some(&c.teacher))
        .await;
    assert_eq!(view.body["title"], "Forklift basics", "{}", view.text);
    app.publish(&c.teacher, &course, "org").await;

    // First launch: a new attempt, with the package's launch data and mastery score.
    let first = launch(app, &c.learner, &course, &unit(0), json!({})).await;
    assert_eq!(first.cmi["core"]["entry"], "ab-initio");
    assert_eq!(first.cmi["core"]["student_id"], c.learner_id);
    assert_eq!(first.cmi["core"]["lesson_status"], "not attempted");
    assert_eq!(first.cmi["launch_data"], "level=2");
    assert_eq!(first.cmi["student_data"]["mastery_score"], "80");
    let lib = app.http.get(&first.runtime_src).send().await.unwrap();
    assert_eq!(lib.status(), StatusCode::OK, "{}", first.runtime_src);
    assert!(first
        .runtime_src
        .ends_with("/vendor/scorm-again/dist/scorm12.min.js"));
    // The SCO's other files load by its relative links, under the same grant, untouched.
    let script = first.url.replace("sco1/index.html", "shared/sco.js");
    let r = app.http.get(&script).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "// the SCO's own script");

    // The SCO suspends halfway.
    commit(
        app,
        &first,
        json!({"core": {"lesson_status": "incomplete", "lesson_location": "p2",
            "exit": "suspend", "session_time": "00:00:30", "student_id": "someone-else"},
            "suspend_data": "step=2"}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    // The session is over: no more commits, and its page says to start again.
    commit(
        app,
        &first,
        json!({"core": {"lesson_status": "passed"}}),
        false,
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "session-ended");
    let again = app.http.get(&first.url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(
        unit_states(app, &c.learner, &course).await[0],
        "in_progress"
    );

    // Resumed on "another device": the same attempt, its suspend data and location.
    let resumed = launch(app, &c.learner, &course, &unit(0), json!({})).await;
    assert_eq!(resumed.registration, first.registration);
    assert_eq!(resumed.cmi["core"]["entry"], "resume");
    assert_eq!(resumed.cmi["suspend_data"], "step=2");
    assert_eq!(resumed.cmi["core"]["lesson_location"], "p2");
    assert_eq!(resumed.cmi["core"]["total_time"], "0000:00:30.00");
    assert_eq!(resumed.cmi["core"]["student_id"], c.learner_id);
    // A commit without terminating keeps the data and the session.
    commit(
        app,
        &resumed,
        json!({"core": {"lesson_status": "incomplete", "score": {"raw": "70"}}}),
        false,
    )
    .await
    .assert(StatusCode::OK);
    // 70 is under the mastery score: failed, whatever the SCO says.
    commit(
        app,
        &resumed,
        json!({"core": {"lesson_status": "passed", "score": {"raw": "70"}, "exit": "",
            "session_time": "00:01:00"}}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    assert_eq!(
        unit_states(app, &c.learner, &course).await[0],
        "in_progress"
    );

    // A failed SCORM 1.2 attempt is over: the next launch is attempt 2, from the start.
    let second = launch(app, &c.learner, &course, &unit(0), json!({})).await;
    assert_ne!(second.registration, first.registration);
    assert_eq!(second.cmi["core"]["entry"], "ab-initio");
    assert!(second.cmi.get("suspend_data").is_none(), "{}", second.cmi);
    commit(
        app,
        &second,
        json!({"core": {"lesson_status": "completed", "score": {"raw": "90", "max": "100"},
            "exit": "", "session_time": "00:02:00"}}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    assert_eq!(unit_states(app, &c.learner, &course).await[0], "completed");

    // Both attempts are kept, each with its own result and time.
    let r = app
        .get(
            &format!("/api/v1/courses/{course}/units/{}/attempts", unit(0)),
            Some(&c.learner),
        )
        .await;
    r.assert(StatusCode::OK);
    let attempts = r.body.as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{}", r.text);
    assert_eq!(attempts[0]["success"], "failed");
    assert_eq!(attempts[0]["total_secs"], 90.0);
    assert!(attempts[0]["ended_at"].is_i64());
    assert_eq!(attempts[1]["number"], 2);
    assert_eq!(attempts[1]["success"], "passed");
    assert_eq!(attempts[1]["score_scaled"], 0.9);

    // The statements Caravan made of it, per attempt (the registration).
    assert_eq!(
        verbs(app, &c.learner, &first.registration).await,
        ["attempted", "suspended", "resumed", "failed", "terminated"]
    );
    assert_eq!(
        verbs(app, &c.learner, &second.registration).await,
        ["attempted", "passed", "completed", "terminated"]
    );

    // The learner's own `completed` does not complete a SCORM item.
    let stmt = json!({
        "actor": app.learner_agent(&c.learner_id),
        "verb": {"id": format!("{VERBS}/completed")},
        "object": {"id": format!("{}/xapi/activities/units/{}", app.state.settings.public_url, unit(1))},
    });
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &Auth::Bearer(c.learner.clone()),
        Some(stmt),
    )
    .await
    .assert(StatusCode::OK);
    assert_ne!(unit_states(app, &c.learner, &course).await[1], "completed");
    // The second SCO launches with its item's parameters.
    let r = app
        .post(
            &format!("/api/v1/courses/{course}/units/{}/launch", unit(1)),
            Some(&c.learner),
            json!({}),
        )
        .await;
    assert!(
        r.body["url"]
            .as_str()
            .unwrap()
            .ends_with("/sco2/index.html?part=2"),
        "{}",
        r.text
    );

    // A tampered grant opens nothing and commits nothing.
    let forged = first.commit.replacen('~', "~1", 1);
    let r = app
        .http
        .post(forged)
        .body("{\"cmi\":{}}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let forged = second.url.replacen('~', "~1", 1);
    let r = app.http.get(forged).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Broken commits are refused with a problem, and the session goes on.
    let third = launch(app, &c.learner, &course, &unit(0), json!({})).await;
    let r = app
        .http
        .post(&third.commit)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    commit(
        app,
        &third,
        json!({"suspend_data": "x".repeat(5000)}),
        false,
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "scorm-data-invalid");
    commit(
        app,
        &third,
        json!({"core": {"lesson_status": "incomplete"}}),
        false,
    )
    .await
    .assert(StatusCode::OK);
}

fn package_2004() -> Vec<u8> {
    let xml = r#"<?xml version="1.0"?>
<manifest identifier="com.example.welding" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Safe welding</title>
    <item identifier="quiz" identifierref="r"><title>Welding check</title>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
          <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure></imsss:primaryObjective>
      </imsss:objectives></imsss:sequencing></item>
  </organization></organizations>
  <resources xml:base="content/"><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="check.html">
    <file href="check.html"/></resource></resources>
</manifest>"#;
    zip(&[
        ("imsmanifest.xml", xml.as_bytes()),
        ("content/check.html", SCO_PAGE),
    ])
}

async fn a_scorm2004_item_passes_by_the_packages_passing_score(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    let r = import(app, &c.teacher, &c.org, package_2004(), "application/zip").await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["format"], "scorm-2004-4");
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    let unit = r.body["units"][0]["id"].as_str().unwrap().to_owned();
    app.publish(&c.teacher, &course, "org").await;

    let first = launch(app, &c.learner, &course, &unit, json!({})).await;
    assert!(first.url.contains("/content/check.html"), "{}", first.url);
    assert!(first.runtime_src.ends_with("/scorm2004.min.js"));
    assert_eq!(first.cmi["entry"], "ab-initio");
    assert_eq!(first.cmi["scaled_passing_score"], "0.8");
    assert_eq!(first.cmi["learner_id"], c.learner_id);
    // The SCO claims a pass with 0.7; the package's passing score says otherwise.
    commit(
        app,
        &first,
        json!({"completion_status": "completed", "success_status": "passed",
            "score": {"scaled": "0.7"}, "session_time": "PT1M", "exit": "normal"}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    assert_eq!(unit_states(app, &c.learner, &course).await, ["in_progress"]);
    // A review launch changes nothing.
    let review = launch(
        app,
        &c.learner,
        &course,
        &unit,
        json!({"launch_mode": "Review"}),
    )
    .await;
    assert_eq!(review.cmi["mode"], "review");
    assert_eq!(review.cmi["credit"], "no-credit");
    commit(
        app,
        &review,
        json!({"completion_status": "completed", "score": {"scaled": "1"}, "exit": "normal"}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    assert_eq!(unit_states(app, &c.learner, &course).await, ["in_progress"]);

    let second = launch(app, &c.learner, &course, &unit, json!({})).await;
    assert_eq!(second.cmi["entry"], "ab-initio");
    commit(
        app,
        &second,
        json!({"completion_status": "completed", "score": {"scaled": "0.85"},
            "session_time": "PT2M", "exit": "normal"}),
        true,
    )
    .await
    .assert(StatusCode::OK);
    assert_eq!(unit_states(app, &c.learner, &course).await, ["completed"]);
    let r = app
        .get(&format!("/api/v1/courses/{course}"), Some(&c.learner))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        verbs(app, &c.learner, &second.registration).await,
        ["attempted", "passed", "completed", "terminated"]
    );
}

both_backends!(
    a_scorm12_package_is_played_resumed_and_attempted_twice,
    a_scorm2004_item_passes_by_the_packages_passing_score,
);

#[tokio::test]
async fn invalid_scorm_packages_are_refused_and_leave_nothing() {
    let c = Classroom::new(Backend::Sqlite).await;
    let app = &c.app;
    let before = (
        app.count("courses").await,
        app.count("units").await,
        app.count("assets").await,
    );
    let sco = r#"<item identifier="i1" identifierref="r1"><title>One</title></item>"#;
    let resource = |href: &str| {
        format!(
            r#"<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="{href}"/>"#
        )
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // The resource's file is not in the ZIP.
        (
            zip(&[(
                "imsmanifest.xml",
                manifest_12(sco, &resource("missing.html")).as_bytes(),
            )]),
            "not a file in the package",
        ),
        // An item names a resource that is not there.
        (
            zip(&[
                ("imsmanifest.xml", manifest_12(sco, "").as_bytes()),
                ("a.html", SCO_PAGE),
            ]),
            "r1",
        ),
        // A DTD (entity expansion) is not read at all.
        (
            zip(&[(
                "imsmanifest.xml",
                b"<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaa\">]><manifest/>".as_slice(),
            )]),
            "DTD",
        ),
        // A path out of the package.
        (
            zip(&[
                (
                    "imsmanifest.xml",
                    manifest_12(sco, &resource("a.html")).as_bytes(),
                ),
                ("../../evil.html", SCO_PAGE),
            ]),
            "",
        ),
        // Neither manifest.
        (zip(&[("index.html", SCO_PAGE)]), "imsmanifest.xml"),
    ];
    for (body, says) in cases {
        let r = import(app, &c.teacher, &c.org, body, "application/zip").await;
        r.assert_problem(StatusCode::BAD_REQUEST, "package-invalid");
        assert!(r.text.contains(says), "{says}: {}", r.text);
    }
    assert_eq!(
        (
            app.count("courses").await,
            app.count("units").await,
            app.count("assets").await,
        ),
        before
    );
    assert_eq!(app.count("scorm_packages").await, 0);
}

/// A large package comes through a resumable tus upload, then is imported by its asset id.
#[tokio::test]
async fn a_package_uploaded_with_tus_is_imported_by_its_asset() {
    let c = Classroom::new(Backend::Sqlite).await;
    let app = &c.app;
    let asset = app
        .upload(&c.teacher, &package_12(), &[("filename", "forklift.zip")])
        .await;
    let path = |asset: &str| format!("/api/v1/orgs/{}/packages?asset_id={asset}", c.org);
    let r = app.post(&path(&asset), Some(&c.teacher), json!(null)).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["format"], "scorm-1.2");
    assert_eq!(r.body["units"].as_array().unwrap().len(), 2);
    // Only a ZIP of this organisation.
    let pdf = app
        .upload(
            &c.teacher,
            &crate::support::media::pdf(500),
            &[("filename", "a.pdf")],
        )
        .await;
    let r = app.post(&path(&pdf), Some(&c.teacher), json!(null)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.post(&path("nope"), Some(&c.teacher), json!(null)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
}

/// A package that would take the organisation past its storage quota is refused whole.
#[tokio::test]
async fn a_package_past_the_quota_is_refused() {
    let c = Classroom::with_settings(Backend::Sqlite, |s| s.org_quota_bytes = Some(1_000)).await;
    let r = import(&c.app, &c.teacher, &c.org, package_12(), "application/zip").await;
    r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota-exceeded");
    assert_eq!(c.app.count("scorm_packages").await, 0);
    assert_eq!(c.app.count("assets").await, 0);
}
