//! Pages over plain HTTP, where no browser is needed to see the behaviour.

use reqwest::StatusCode;
use std::time::Duration;

use crate::support::{course::Classroom, media, Backend};

/// Adds a VR unit with a ready GLB model to the classroom and returns its page as the learner.
async fn model_unit_page(c: &Classroom) -> String {
    let unit = c.unit("vr", "The machine", true).await;
    let asset = c
        .app
        .upload(
            &c.teacher,
            &media::glb_box(),
            &[("filename", "machine.glb"), ("unit_id", unit.as_str())],
        )
        .await;
    let ready = c
        .app
        .wait_asset(Some(&c.teacher), &asset, Duration::from_secs(30))
        .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let page = c
        .app
        .get(
            &format!("/courses/{}/units/{unit}", c.course),
            Some(&c.learner),
        )
        .await;
    page.assert(StatusCode::OK);
    let sha = ready["renditions"][0]["sha256"].as_str().unwrap();
    assert!(
        page.text.contains(sha) && page.text.contains(r#"download="machine.glb""#),
        "the page links the model: {}",
        page.text
    );
    page.text
}

/// Without the optional viewer library (scripts/web-libs not run) a model unit still offers
/// its model as a download and loads no viewer; with it, the page loads the viewer through an
/// import map, and only the library's modules are served.
#[tokio::test]
async fn a_model_unit_works_with_and_without_the_viewer_library() {
    let empty = tempfile::tempdir().unwrap();
    let without = Classroom::with_settings(Backend::Sqlite, |s| {
        s.workers = 1;
        s.web_libs = empty.path().to_owned();
    })
    .await;
    let page = model_unit_page(&without).await;
    assert!(page.contains("download the model to open it"), "{page}");
    assert!(!page.contains("importmap") && !page.contains("/static/model.js"));
    without
        .app
        .get("/vendor/three/build/three.module.js", None)
        .await
        .assert(StatusCode::NOT_FOUND);

    let with = Classroom::with_workers(Backend::Sqlite, 1).await;
    let page = model_unit_page(&with).await;
    assert!(
        page.contains(r#"<script type="importmap">"#) && page.contains("/static/model.js"),
        "{page}"
    );
    let three = with
        .app
        .get("/vendor/three/build/three.module.js", None)
        .await;
    three.assert(StatusCode::OK);
    assert!(three.text.contains("three.core.js"));
    assert!(three.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    for outside in [
        "/vendor/three/package.json",
        "/vendor/three/build/..%2Fpackage.json",
        "/vendor/three/src/Three.js",
        "/vendor/other/index.js",
    ] {
        with.app
            .get(outside, None)
            .await
            .assert(StatusCode::NOT_FOUND);
    }
}
