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
