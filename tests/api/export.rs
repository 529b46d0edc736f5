//! Courses exported as packages: Caravan's own format imported by a second Caravan (on the
//! other database) with everything intact, and SCORM 1.2 and cmi5 packages that Caravan's own
//! importers read back as units (the Chromium test in `browser.rs` plays the SCORM one on
//! scorm-again).

use std::{collections::BTreeMap, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    cmi5::{import, zip},
    support::{course::Classroom, media, Backend, TestApp},
};

pub(crate) fn quiz() -> Value {
    json!({
        "pass_mark": 50,
        "max_attempts": 3,
        "questions": [
            {"kind": "single", "prompt": "Which lever lifts the forks?", "choices": ["left", "right"], "answer": 1},
            {"kind": "true_false", "prompt": "Carry passengers?", "answer": false},
        ],
    })
}

/// An org course with a processed video (its real ladder), a document and a quiz.
pub(crate) async fn course_with_everything(c: &Classroom) {
    let dir = tempfile::tempdir().unwrap();
    let clip = media::av_clip(dir.path(), "lecture.mp4", "640x360", 3);
    let video = c.unit("video", "Walk-around check", true).await;
    c.processed(&video, &clip, "lecture.mp4", Duration::from_secs(180))
        .await;
    let document = c.unit("document", "Checklist", false).await;
    c.processed(
        &document,
        &media::pdf(2_000),
        "checklist.pdf",
        Duration::from_secs(60),
    )
    .await;
    let check = c.unit("quiz", "Safety check", true).await;
    c.app
        .request(
            Method::PUT,
            &format!("/api/v1/courses/{}/units/{check}/quiz", c.course),
            Some(&c.teacher),
            Some(quiz()),
        )
        .await
        .assert(StatusCode::OK);
}

pub(crate) async fn export(app: &TestApp, token: &str, course: &str, format: &str) -> Vec<u8> {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/courses/{course}/export?format={format}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    r.bytes().await.unwrap().to_vec()
}

/// A course as another server should show it: its fields, its units and what they hold.
async fn portrait(app: &TestApp, token: &str, course: &str) -> Value {
    let view = app
        .get(&format!("/api/v1/courses/{course}"), Some(token))
        .await;
    view.assert(StatusCode::OK);
    let mut units = Vec::new();
    for u in view.body["units"].as_array().unwrap() {
        let id = u["id"].as_str().unwrap();
        let mut unit = json!({"kind": u["kind"], "title": u["title"], "required": u["required"]});
        if let Some(asset) = u["asset_id"].as_str() {
            let a = app
                .get(&format!("/api/v1/assets/{asset}"), Some(token))
                .await;
            a.assert(StatusCode::OK);
            let renditions: BTreeMap<String, Value> = a.body["renditions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap().to_owned(),
                        json!([r["role"], r["sha256"], r["height"]]),
                    )
                })
                .collect();
            unit["asset"] = json!({"status": a.body["status"], "kind": a.body["kind"],
                "duration_ms": a.body["duration_ms"], "renditions": renditions});
        }
        if u["kind"] == "quiz" {
            let q = app
                .get(
                    &format!("/api/v1/courses/{course}/units/{id}/quiz"),
                    Some(token),
                )
                .await;
            unit["quiz"] = json!({"pass_mark": q.body["pass_mark"], "max_attempts": q.body["max_attempts"],
                "questions": q.body["questions"]});
        }
        units.push(unit);
    }
    let b = &view.body;
    json!({"title": b["title"], "summary": b["summary"], "domain": b["domain"], "level": b["level"],
        "language": b["language"], "target_groups": b["target_groups"], "credit_value": b["credit_value"],
        "units": units})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caravan_package_moves_a_course_to_another_server_intact() {
    let a = Classroom::with_workers(Backend::Sqlite, 1).await;
    course_with_everything(&a).await;
    // Teachers and admins of the course export it; its learners do not.
    let r = a
        .app
        .get(
            &format!("/api/v1/courses/{}/export", a.course),
            Some(&a.learner),
        )
        .await;
    r.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let package = export(&a.app, &a.teacher, &a.course, "caravan").await;
    let original = portrait(&a.app, &a.teacher, &a.course).await;
    let video = &original["units"][0]["asset"];
    assert_eq!(video["status"], "ready");
    assert!(
        video["renditions"].as_object().unwrap().len() >= 3,
        "a real ladder: {video}"
    );

    // The second server runs on the other database.
    let b = Classroom::new(Backend::Postgres).await;
    let r = import(
        &b.app,
        &b.teacher,
        &b.org,
        package.clone(),
        "application/zip",
    )
    .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["format"], "caravan");
    let copy = r.body["course_id"].as_str().unwrap().to_owned();
    assert_eq!(portrait(&b.app, &b.teacher, &copy).await, original);
    // The same bytes: a rendition served by the second server hashes as on the first.
    let view = b
        .app
        .get(&format!("/api/v1/courses/{copy}"), Some(&b.teacher))
        .await;
    let asset = view.body["units"][0]["asset_id"].as_str().unwrap();
    let a_view = b
        .app
        .get(&format!("/api/v1/assets/{asset}"), Some(&b.teacher))
        .await;
    let rung = a_view.body["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "video")
        .unwrap()
        .clone();
    let bytes = b
        .app
        .http
        .get(
            b.app
                .url(&format!("/media/{}", rung["sha256"].as_str().unwrap())),
        )
        .bearer_auth(&b.teacher)
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    let body = bytes.bytes().await.unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&body)), rung["sha256"]);

    // A package whose files do not match its manifest is refused, and leaves nothing.
    let before = (
        b.app.count("courses").await,
        b.app.count("units").await,
        b.app.count("assets").await,
    );
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        files.push((f.name().to_owned(), data));
    }
    let blob = files
        .iter()
        .position(|(n, _)| n.starts_with("blobs/"))
        .unwrap();
    files[blob].1[0] ^= 0xff;
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let r = import(&b.app, &b.teacher, &b.org, zip(&entries), "application/zip").await;
    r.assert_problem(StatusCode::BAD_REQUEST, "package-invalid");
    assert!(r.text.contains("does not have that hash"), "{}", r.text);
    let root = files.iter().position(|(n, _)| n == "caravan.json").unwrap();
    files.remove(blob);
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let r = import(&b.app, &b.teacher, &b.org, zip(&entries), "application/zip").await;
    r.assert_problem(StatusCode::BAD_REQUEST, "package-invalid");
    assert!(
        r.text.contains("is not a file of the package"),
        "{}",
        r.text
    );
    assert!(root < files.len());
    assert_eq!(
        (
            b.app.count("courses").await,
            b.app.count("units").await,
            b.app.count("assets").await
        ),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scorm12_and_cmi5_exports_are_read_back_by_the_importers() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    course_with_everything(&c).await;
    for (format, root, expect) in [
        ("scorm12", "imsmanifest.xml", "scorm-1.2"),
        ("cmi5", "cmi5.xml", "cmi5"),
    ] {
        let package = export(&c.app, &c.teacher, &c.course, format).await;
        let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(package.clone())).unwrap();
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert!(names.contains(&root.to_owned()), "{names:?}");
        assert!(names.contains(&"player/player.js".to_owned()));
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("media/") && n.ends_with(".mp4")),
            "{names:?}"
        );
        assert!(names.iter().any(|n| n.ends_with(".pdf")), "{names:?}");
        let mut page = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("units/3/index.html").unwrap(),
            &mut page,
        )
        .unwrap();
        assert!(
            page.contains("\"kind\":\"quiz\"") && page.contains("Which lever"),
            "{page}"
        );
        let r = import(&c.app, &c.teacher, &c.org, package, "application/zip").await;
        r.assert(StatusCode::CREATED);
        assert_eq!(r.body["format"], expect, "{}", r.text);
        let titles: Vec<&str> = r.body["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Walk-around check", "Checklist", "Safety check"]);
        let course = r.body["course_id"].as_str().unwrap();
        let view = c
            .app
            .get(&format!("/api/v1/courses/{course}"), Some(&c.teacher))
            .await;
        assert_eq!(view.body["title"], "Care basics", "{}", view.text);
    }
    // The quiz's pass mark is its SCO's mastery score and its AU's moveOn.
    let package = export(&c.app, &c.teacher, &c.course, "scorm12").await;
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut manifest = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("imsmanifest.xml").unwrap(),
        &mut manifest,
    )
    .unwrap();
    assert!(
        manifest.contains("<adlcp:masteryscore>50</adlcp:masteryscore>"),
        "{manifest}"
    );
    let package = export(&c.app, &c.teacher, &c.course, "cmi5").await;
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut structure = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("cmi5.xml").unwrap(), &mut structure)
        .unwrap();
    assert!(
        structure.contains("moveOn=\"Passed\" masteryScore=\"0.5\""),
        "{structure}"
    );
    // Formats other than these are a clear error.
    let r = c
        .app
        .get(
            &format!("/api/v1/courses/{}/export?format=pdf", c.course),
            Some(&c.teacher),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
}

/// A course with everything, exported in `format`, imported again by the same server and
/// published: the classroom, the copy and its unit pages.
async fn exported_and_imported(format: &str) -> (Classroom, String, Vec<String>) {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    course_with_everything(&c).await;
    let package = export(&c.app, &c.teacher, &c.course, format).await;
    let r = import(&c.app, &c.teacher, &c.org, package, "application/zip").await;
    r.assert(StatusCode::CREATED);
    let course = r.body["course_id"].as_str().unwrap().to_owned();
    c.app.publish(&c.teacher, &course, "org").await;
    let pages = r.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("/courses/{course}/units/{}", u["id"].as_str().unwrap()))
        .collect();
    (c, course, pages)
}

/// The SCORM 1.2 export, imported by Caravan's own importer, played in Chromium on scorm-again:
/// the exported player reports a passed quiz, a shown document and a played video.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_scorm12_course_plays_on_scorm_again() {
    let (c, course, unit) = exported_and_imported("scorm12").await;
    let input = json!({"video": unit[0], "document": unit[1], "quiz": unit[2]});
    c.browse(&c.learner, &["scorm-export"], input).await;
    c.assert_completed(&course).await;
}

/// The cmi5 export, imported again, played in Chromium against Caravan's own LRS: the exported
/// player's statements pass the cmi5 AU rules and satisfy moveOn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_cmi5_course_plays_against_caravans_lrs() {
    let (c, course, unit) = exported_and_imported("cmi5").await;
    let input = json!({"document": unit[1], "quiz": unit[2]});
    c.browse(&c.learner, &["cmi5-export"], input).await;
    let states: Vec<Value> = c
        .app
        .get(
            &format!("/api/v1/courses/{course}/progress"),
            Some(&c.learner),
        )
        .await
        .body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].clone())
        .collect();
    assert_eq!(states[1..], [json!("completed"), json!("completed")]);
}
