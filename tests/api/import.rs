//! Bulk import from a folder, the demo lecture, and cleanup of abandoned uploads.

use std::{process::Command, time::Duration};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{
        media::{av_clip, pdf},
        Backend, TestApp,
    },
};

async fn a_folder_becomes_units_in_name_order(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.ffmpeg_preset = "ultrafast".into()).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "import").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let course = app.course(&teacher, &org, "Imported course").await;
    let dir = tempfile::tempdir().unwrap();
    let lectures = dir.path().join("lectures");
    std::fs::create_dir(&lectures).unwrap();
    av_clip(&lectures, "01_welcome.mp4", "320x240", 1);
    std::fs::write(lectures.join("02_handout.pdf"), pdf(20_000)).unwrap();
    std::fs::write(lectures.join("03_readme.txt"), "not a lecture").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["import", lectures.to_str().unwrap(), "--course", &course])
        .env("CARAVAN_DATABASE_URL", &app.database_url)
        .env("CARAVAN_STORE", &app.store_dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 of 3 files imported"), "{stdout}");
    assert!(stdout.contains("03_readme.txt: skipped"), "{stdout}");

    let got = app
        .get(&format!("/api/v1/courses/{course}"), Some(&teacher))
        .await;
    let units = got.body["units"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = units
        .iter()
        .map(|u| (u["kind"].as_str().unwrap(), u["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![("video", "01 welcome"), ("document", "02 handout")]
    );
    for u in units {
        let asset = u["asset_id"].as_str().expect("each unit has its asset");
        let a = app
            .wait_asset(Some(&teacher), asset, Duration::from_secs(60))
            .await;
        assert_eq!(a["status"], "ready", "{a}");
    }
}

async fn an_upload_for_a_unit_is_attached_to_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "attach").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let course = app.course(&teacher, &org, "Course").await;
    let unit = app
        .post(
            &format!("/api/v1/courses/{course}/units"),
            Some(&teacher),
            json!({"kind": "document", "title": "Handout"}),
        )
        .await
        .id();
    let asset = app
        .upload(
            &teacher,
            &pdf(5_000),
            &[("filename", "h.pdf"), ("unit_id", &unit)],
        )
        .await;
    let got = app
        .get(&format!("/api/v1/courses/{course}"), Some(&teacher))
        .await;
    assert_eq!(got.body["units"][0]["asset_id"], asset.as_str());
    // A teacher of another organisation cannot upload into this unit.
    let other = app.create_org(&root, "attach-other").await;
    let stranger = app.member(&root, &other, "teacher").await;
    app.tus_create(&stranger, 10, &[("filename", "x.pdf"), ("unit_id", &unit)])
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn abandoned_uploads_expire_with_their_bytes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "expiry").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let created = app
        .tus_create(&teacher, 100_000, &[("filename", "half.pdf")])
        .await;
    let location = created.header("location");
    app.tus_patch(&teacher, &location, 0, pdf(100_000)[..40_000].to_vec())
        .await
        .assert(StatusCode::NO_CONTENT);
    let kept = app
        .tus_create(&teacher, 100_000, &[("filename", "fresh.pdf")])
        .await
        .header("location");
    assert!(app.store_dir.join("uploads").exists());
    let id = location.rsplit('/').next().unwrap();
    sqlx::query("UPDATE uploads SET expires_at = 0 WHERE id = $1")
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(caravan::uploads::expire(&app.state).await.unwrap(), 1);
    app.tus_head(&teacher, &location)
        .await
        .assert(StatusCode::NOT_FOUND);
    app.tus_head(&teacher, &kept).await.assert(StatusCode::OK);
    assert!(
        !app.store_dir.join("uploads").join(id).exists(),
        "its parts are deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_course_gets_a_generated_lecture() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.seed_demo = true;
        s.ffmpeg_preset = "ultrafast".into();
    })
    .await;
    let courses = app.get("/api/v1/courses?q=transfers", None).await;
    let id = courses.body["items"][0]["id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let asset = loop {
        let c = app.get(&format!("/api/v1/courses/{id}"), None).await;
        if let Some(a) = c.body["units"][0]["asset_id"].as_str() {
            break a.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no demo lecture: {}",
            c.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let a = app.wait_asset(None, &asset, Duration::from_secs(120)).await;
    assert_eq!(a["status"], "ready", "{a}");
    assert!((a["duration_seconds"].as_f64().unwrap() - 10.0).abs() < 0.5);
    assert!(
        a["hls"].is_string() && a["poster"].is_string(),
        "anyone can watch the public demo: {a}"
    );
}

both_backends!(
    a_folder_becomes_units_in_name_order,
    an_upload_for_a_unit_is_attached_to_it,
    abandoned_uploads_expire_with_their_bytes
);
