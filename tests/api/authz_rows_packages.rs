//! Authorization rows of the package endpoints (cmi5 import, launch, fetch, waive, abandon,
//! the package files, a SCORM runtime's commits, a learner's SCORM attempts, course export). Order of each row's expectations: anonymous, learner, teacher, admin of
//! another org, admin, superadmin.

use std::{collections::HashMap, io::Write};

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    authz_rows::{Fresh, Row},
    support::TestApp,
};

type Values = HashMap<&'static str, String>;

fn none(_: &Values) -> Option<Value> {
    None
}
fn empty(_: &Values) -> Option<Value> {
    Some(json!({}))
}
fn waive(v: &Values) -> Option<Value> {
    Some(json!({"registration": v["registration"], "reason": "Administrative"}))
}

/// A one-AU cmi5 package.
pub fn package() -> Vec<u8> {
    let xml = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
      <course id="https://example.org/matrix"><title><langstring lang="en">Matrix</langstring></title>
      <description/></course>
      <au id="https://example.org/matrix/au" moveOn="Completed"><title><langstring lang="en">AU</langstring></title>
      <description/><url>index.html</url></au></courseStructure>"#;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [
        ("cmi5.xml", xml.as_bytes()),
        ("index.html", b"<!doctype html>".as_slice()),
    ] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Imports the package as the teacher, publishes it to the organisation and launches its AU as
/// the learner: the values the rows' paths and bodies name.
pub async fn launched(app: &TestApp, teacher: &str, learner: &str, org: &str) -> Values {
    let r = app
        .http
        .post(app.url(&format!("/api/v1/orgs/{org}/packages")))
        .bearer_auth(teacher)
        .header("content-type", "application/zip")
        .body(package())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let imported: Value = r.json().await.unwrap();
    let course = imported["course_id"].as_str().unwrap().to_owned();
    let unit = imported["units"][0]["id"].as_str().unwrap().to_owned();
    app.publish(teacher, &course, "org").await;
    let r = app
        .post(
            &format!("/api/v1/courses/{course}/units/{unit}/launch"),
            Some(learner),
            json!({}),
        )
        .await;
    r.assert(reqwest::StatusCode::OK);
    let url = url::Url::parse(r.body["url"].as_str().unwrap()).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let fetch = param("fetch");
    let mut segments = url.path_segments().unwrap().skip(1);
    let mut v = Values::new();
    v.insert("asset_id", segments.next().unwrap().to_owned());
    v.insert("grant", segments.next().unwrap().to_owned());
    v.insert("path", segments.collect::<Vec<_>>().join("/"));
    v.insert("key", fetch.rsplit('/').next().unwrap().to_owned());
    v.insert("registration", param("registration"));
    v.insert(
        "session_id",
        r.body["session_id"].as_str().unwrap().to_owned(),
    );
    v.insert("course_id", course);
    v.insert("unit_id", unit);
    v
}

/// Imports a one-SCO SCORM 1.2 package as the teacher, publishes it and launches the SCO as
/// the learner: the course, the unit and the launch's grant.
pub async fn scorm_launched(app: &TestApp, teacher: &str, learner: &str, org: &str) -> Values {
    let xml = crate::scorm::manifest_12(
        r#"<item identifier="i1" identifierref="r1"><title>SCO</title></item>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html"/>"#,
    );
    let zip = crate::cmi5::zip(&[
        ("imsmanifest.xml", xml.as_bytes()),
        ("index.html", crate::scorm::SCO_PAGE),
    ]);
    let r = crate::cmi5::import(app, teacher, org, zip, "application/zip").await;
    r.assert(reqwest::StatusCode::CREATED);
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    let unit = r.body["units"][0]["id"].as_str().unwrap().to_owned();
    app.publish(teacher, &course, "org").await;
    let launched = crate::scorm::launch(app, learner, &course, &unit, json!({})).await;
    let mut v = Values::new();
    let grant = launched.commit.rsplit('/').nth(1).unwrap().to_owned();
    v.insert("grant", grant);
    v.insert("course_id", course);
    v.insert("unit_id", unit);
    v
}

fn scorm_commit(_: &Values) -> Option<Value> {
    Some(json!({"cmi": {"core": {"lesson_status": "incomplete"}}}))
}

pub fn rows() -> Vec<Row> {
    use Fresh::*;
    let row = |method, path, fresh, body: fn(&Values) -> Option<Value>, expect| Row {
        method,
        path,
        fresh,
        body,
        expect,
    };
    vec![
        row(
            Method::POST,
            "/api/v1/orgs/{org_id}/packages",
            Nothing,
            none,
            [401, 403, 201, 403, 201, 201],
        ),
        row(
            Method::POST,
            "/api/v1/courses/{course_id}/units/{unit_id}/launch",
            Cmi5Launch,
            empty,
            [401, 200, 200, 404, 200, 200],
        ),
        // The fetch URL is its own credential: whoever holds it gets the token once.
        row(
            Method::POST,
            "/api/v1/cmi5/fetch/{key}",
            Cmi5Launch,
            none,
            [200; 6],
        ),
        row(
            Method::POST,
            "/api/v1/courses/{course_id}/units/{unit_id}/waive",
            Cmi5Launch,
            waive,
            [401, 403, 204, 404, 204, 204],
        ),
        row(
            Method::POST,
            "/api/v1/cmi5/sessions/{session_id}/abandon",
            Cmi5Launch,
            empty,
            [401, 204, 204, 404, 204, 204],
        ),
        // The signed grant is the credential of a package's files (a sandboxed page sends none).
        row(
            Method::GET,
            "/content/{asset_id}/{grant}/{path}",
            Cmi5Launch,
            none,
            [200; 6],
        ),
        // A SCORM launch's grant is its runtime's credential (the SCO's sandbox sends no other).
        row(
            Method::POST,
            "/api/v1/scorm/sessions/{grant}/commit",
            ScormLaunch,
            scorm_commit,
            [200; 6],
        ),
        // Teachers and admins of the course's organisation export it.
        row(
            Method::GET,
            "/api/v1/courses/{course_id}/export",
            Quiz,
            none,
            [401, 403, 200, 404, 200, 200],
        ),
        // Each caller's own attempts, in a course they can see.
        row(
            Method::GET,
            "/api/v1/courses/{course_id}/units/{unit_id}/attempts",
            ScormLaunch,
            none,
            [401, 200, 200, 404, 200, 200],
        ),
    ]
}
