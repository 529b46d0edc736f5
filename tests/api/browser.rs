//! The pages in a real browser: Debian's Chromium, headless, at phone size (360×740), driven by
//! playwright-core from `tests/clients/browser`. Screenshots of the main pages are kept in
//! `target/screenshots/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    credentials::completed,
    support::{browser, course::Classroom, Backend},
};

/// A learner completes a course, then signs in through the page, finds it by filter, sees it
/// completed, shares its credential (QR code) and opens the share link's verdict; the public
/// verification page judges a genuine and a tampered credential in English and Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_pages_work_on_a_phone() {
    let c = Classroom::new(Backend::Sqlite).await;
    let item = completed(&c).await;
    let email = c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    c.app.get("/", None).await.assert(StatusCode::OK);
    let input = json!({
        "credential": item["credential"],
        "expect_name": "Care basics",
        "course_title": "Care basics",
        "domain": "elderly-care",
    });
    let outcome = browser::run(
        &c.app.base,
        &["learner", "verify", "verify-zh", "catalogue"],
        Some((&email, "password-123")),
        Some(&input),
    )
    .await;
    assert!(outcome.ok, "{}", outcome.failures());
}

/// A video lecture made by ffmpeg, uploaded and processed for real, played in Chromium: time
/// advances, seeking and the quality switch work, and coming back resumes where the learner left.
/// Then the course is saved for offline, played with the network cut, and the progress made
/// offline reaches the server when the network returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_plays_resumes_and_works_offline() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let unit = c.unit("video", "Lecture", true).await;
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::support::media::av_clip(dir.path(), "lecture.mp4", "640x360", 10);
    let asset = c
        .app
        .upload(
            &c.teacher,
            &clip,
            &[("filename", "lecture.mp4"), ("unit_id", unit.as_str())],
        )
        .await;
    let ready = c
        .app
        .wait_asset(
            Some(&c.teacher),
            &asset,
            std::time::Duration::from_secs(180),
        )
        .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let email = c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = json!({"unit_path": format!("/courses/{}/units/{unit}", c.course),
                       "course_path": format!("/courses/{}", c.course)});
    let outcome = browser::run(
        &c.app.base,
        &["player", "offline"],
        Some((&email, "password-123")),
        Some(&input),
    )
    .await;
    assert!(outcome.ok, "{}", outcome.failures());
    // What the page reported reached progress: the played segments, and the resume position
    // of the last (offline) playback, which stopped just after 2 s.
    let u = c.unit_progress(&unit).await;
    assert!(u["percent_watched"].as_f64().unwrap() > 20.0, "{u}");
    let resume = u["resume_position_secs"].as_f64().unwrap();
    assert!((2.0..4.0).contains(&resume), "{u}");
}

/// Passing the course's only required unit, a quiz, through the page's form completes the
/// course, and the credential appears in the wallet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_the_quiz_completes_the_course_and_earns_the_credential() {
    let c = Classroom::new(Backend::Sqlite).await;
    let unit = c.unit("quiz", "Check", true).await;
    c.app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/courses/{}/units/{unit}/quiz", c.course),
            Some(&c.teacher),
            Some(json!({"pass_mark": 100, "questions": [
                {"kind": "single", "prompt": "Wash hands before care?", "choices": ["No", "Yes"], "answer": 1},
                {"kind": "true_false", "prompt": "Gloves are single use.", "answer": true}]})),
        )
        .await
        .assert(StatusCode::OK);
    let email = c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = json!({"unit_path": format!("/courses/{}/units/{unit}", c.course),
                       "course_title": "Care basics"});
    let outcome = browser::run(
        &c.app.base,
        &["quiz"],
        Some((&email, "password-123")),
        Some(&input),
    )
    .await;
    assert!(outcome.ok, "{}", outcome.failures());
    assert!(c.progress(&c.learner).await["completed_at"].is_string());
    let wallet = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    assert_eq!(wallet.body["items"][0]["course_id"], c.course.as_str());
}
