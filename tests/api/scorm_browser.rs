//! SCORM SCOs played from their unit pages in Chromium: plain SCO code (tests/clients/scorm-sco)
//! that finds `window.API` (SCORM 1.2) or `window.API_1484_11` (2004) by ADL's algorithm, in the
//! page's sandboxed frame, on scorm-again's runtime (from the npm registry, pinned in
//! web/package-lock.json). Each suspends, resumes from its suspend data, passes, and starts a
//! second attempt afresh; the server keeps both attempts.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{course::Classroom, Backend};

const PAGE: &[u8] =
    b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SCO</title>\
    </head><body><main><h1>Forklift checks</h1><p>Look at the forks.</p></main>\
    <script src=\"sco.js\"></script></body></html>";

fn manifest_2004() -> String {
    r#"<?xml version="1.0"?>
<manifest identifier="com.example.checks" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Forklift basics</title>
    <item identifier="i1" identifierref="r1"><title>Forklift checks</title>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
          <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure></imsss:primaryObjective>
      </imsss:objectives></imsss:sequencing></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="sco/index.html"/></resources>
</manifest>"#
        .to_owned()
}

async fn plays(script: &str, manifest: String) {
    let c = Classroom::new(Backend::Sqlite).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let sco = std::fs::read(root.join("scorm-sco").join(script)).unwrap();
    let zip = crate::cmi5::zip(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("sco/index.html", PAGE),
        ("sco/sco.js", sco.as_slice()),
    ]);
    let r = crate::cmi5::import(&c.app, &c.teacher, &c.org, zip, "application/zip").await;
    r.assert(StatusCode::CREATED);
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    let unit = r.body["units"][0]["id"].as_str().unwrap().to_owned();
    c.app.publish(&c.teacher, &course, "org").await;
    let input = json!({"unit": format!("/courses/{course}/units/{unit}")});
    c.browse(&c.learner, &["scorm"], input).await;
    let attempts = c
        .app
        .get(
            &format!("/api/v1/courses/{course}/units/{unit}/attempts"),
            Some(&c.learner),
        )
        .await;
    let list = attempts.body.as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", attempts.text);
    assert_eq!(list[0]["success"], "passed");
    assert_eq!(list[0]["score_scaled"], 0.9);
    assert_eq!(list[0]["total_secs"], 65.0);
    assert_eq!(list[1]["last_exit"], "suspend");
    c.assert_completed(&course).await;
}

#[tokio::test]
async fn a_scorm12_sco_plays_resumes_and_passes_in_the_unit_page_frame() {
    let manifest = crate::scorm::manifest_12(
        r#"<item identifier="i1" identifierref="r1"><title>Forklift checks</title>
           <adlcp:masteryscore>80</adlcp:masteryscore></item>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="sco/index.html"/>"#,
    );
    plays("sco.js", manifest).await;
}

#[tokio::test]
async fn a_scorm2004_sco_plays_resumes_and_passes_in_the_unit_page_frame() {
    plays("sco2004.js", manifest_2004()).await;
}
