//! The pages in a real browser: Debian's Chromium, headless, at phone size (360×740), driven by
//! playwright-core from `tests/clients/browser`. Screenshots of the main pages are kept in
//! `target/screenshots/`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    credentials::completed,
    support::{course::Classroom, Backend},
};

/// A learner completes a course, then signs in through the page, finds it by filter, sees it
/// completed, shares its credential (QR code) and opens the share link's verdict; the public
/// verification page judges a genuine and a tampered credential in English and Chinese; the
/// pages are an installable app (manifest, icons, service worker) with an offline start page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_pages_work_on_a_phone() {
    let c = Classroom::new(Backend::Sqlite).await;
    let item = completed(&c).await;
    c.app.get("/", None).await.assert(StatusCode::OK);
    let input = json!({
        "credential": item["credential"],
        "expect_name": "Care basics",
        "course_title": "Care basics",
        "domain": "elderly-care",
    });
    c.browse(
        &c.learner,
        &["learner", "verify", "verify-zh", "catalogue", "install"],
        input,
    )
    .await;
}

/// A video lecture made by ffmpeg, uploaded and processed for real, played in Chromium: time
/// advances, seeking and the quality switch work, and coming back resumes where the learner left;
/// the same through hls.js as a browser without native HLS would play it.
/// Then the course is saved for offline, played with the network cut, and the progress made
/// offline reaches the server when the network returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_plays_resumes_and_works_offline() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let unit = c.unit("video", "Lecture", true).await;
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::support::media::av_clip(dir.path(), "lecture.mp4", "640x360", 10);
    let asset = c
        .processed(&unit, &clip, "lecture.mp4", Duration::from_secs(180))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = json!({"unit_path": format!("/courses/{}/units/{unit}", c.course),
                       "course_path": format!("/courses/{}", c.course)});
    c.browse(
        &c.learner,
        &["player", "player-hls-js", "offline", "no-script"],
        input.clone(),
    )
    .await;
    // What the page reported reached progress: the played segments, and the resume position
    // of the last (offline) playback, which started from 0 and stopped just after 2 s (the
    // scenario holds it to the paused time; here it is not the end of the 10 s clip).
    let u = c.unit_progress(&unit).await;
    assert!(u["percent_watched"].as_f64().unwrap() > 20.0, "{u}");
    let resume = u["resume_position_secs"].as_f64().unwrap();
    assert!((2.0..8.0).contains(&resume), "{u}");

    // The same lecture marked as a 360° video opens in the drag-to-look viewer.
    c.app
        .patch(
            &format!("/api/v1/assets/{asset}"),
            Some(&c.teacher),
            json!({"spherical": true}),
        )
        .await
        .assert(StatusCode::OK);
    c.browse(&c.learner, &["view360"], input).await;
}

/// A guest plays a public course's lecture and answers its quiz; nothing reaches the server
/// until they sign in, and then the lecture's progress and the scored attempt are the learner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guests_progress_becomes_theirs_when_they_sign_in() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let video = c.unit("video", "Lecture", true).await;
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::support::media::av_clip(dir.path(), "lecture.mp4", "640x360", 10);
    c.processed(&video, &clip, "lecture.mp4", Duration::from_secs(180))
        .await;
    let quiz = c.unit("quiz", "Check", true).await;
    let quiz_api = format!("/api/v1/courses/{}/units/{quiz}/quiz", c.course);
    c.app
        .request(
            reqwest::Method::PUT,
            &quiz_api,
            Some(&c.teacher),
            Some(json!({"pass_mark": 50, "max_attempts": 3, "questions": [
                {"kind": "single", "prompt": "Normal resting pulse?", "choices": ["30", "70"], "answer": 1},
                {"kind": "true_false", "prompt": "Wash hands first?", "answer": true},
            ]})),
        )
        .await
        .assert(StatusCode::OK);
    c.app.publish(&c.teacher, &c.course, "public").await;
    let path = |unit: &str| format!("/courses/{}/units/{unit}", c.course);
    c.browse(
        &c.learner,
        &["guest"],
        json!({"video_path": path(&video), "quiz_path": path(&quiz)}),
    )
    .await;

    let lecture = c.unit_progress(&video).await;
    assert!(
        lecture["percent_watched"].as_f64().unwrap() > 15.0,
        "{lecture}"
    );
    assert!(
        lecture["resume_position_secs"].as_f64().unwrap() >= 2.0,
        "{lecture}"
    );
    assert_eq!(c.unit_progress(&quiz).await["state"], "completed");
    let q = c.app.get(&quiz_api, Some(&c.learner)).await;
    assert_eq!(q.body["attempts_used"], 1, "{}", q.text);
    assert_eq!(q.body["best_score"], 100.0);
}

/// A GLB model in a VR unit turns and zooms in the model viewer (three.js, fetched by
/// scripts/web-libs), and opening it counts as viewing the unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_turns_and_zooms_in_the_viewer() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let unit = c.unit("vr", "The machine", true).await;
    let glb = crate::support::media::glb_box();
    c.processed(&unit, &glb, "machine.glb", Duration::from_secs(30))
        .await;
    let input = json!({"model_path": format!("/courses/{}/units/{unit}", c.course)});
    c.browse(&c.learner, &["model"], input).await;
    assert_eq!(c.unit_progress(&unit).await["state"], "completed");
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
    let input = json!({"unit_path": format!("/courses/{}/units/{unit}", c.course),
                       "course_title": "Care basics"});
    c.browse(&c.learner, &["quiz"], input).await;
    assert!(c.progress(&c.learner).await["completed_at"].is_string());
    let wallet = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    assert_eq!(wallet.body["items"][0]["course_id"], c.course.as_str());
}

/// A teacher's upload through the console survives a dropped connection and a page reload, and
/// the lecture is processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teachers_upload_survives_a_dropped_connection_and_a_reload() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lecture.mp4");
    // A high bitrate makes the file about 4 MB: several 512 KiB chunks.
    crate::support::media::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "6",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-b:v",
        "5M",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        file.to_str().unwrap(),
    ]);
    let captions = dir.path().join("zh.srt");
    std::fs::write(
        &captions,
        "1\n00:00:00,500 --> 00:00:02,000\n洗手是护理的第一步\n\n2\n00:00:02,500 --> 00:00:04,000\nWash your hands first\n",
    )
    .unwrap();
    let bad_captions = dir.path().join("notes.srt");
    std::fs::write(&bad_captions, "Remember to bring gloves.\nAnd a mask.\n").unwrap();
    // A partner college shares a course with the consortium both schools are in.
    let partner = c.app.create_org(&c.root, "partner-college").await;
    let partner_admin = c.app.member(&c.root, &partner, "admin").await;
    let partner_teacher = c.app.member(&c.root, &partner, "teacher").await;
    c.app
        .consortium(
            &c.admin,
            &c.org,
            "care-alliance",
            &[(&partner_admin, &partner)],
        )
        .await;
    let shared_course = c
        .app
        .course(&partner_teacher, &partner, "Moving patients safely")
        .await;
    let shared_unit = c
        .app
        .post(
            &format!("/api/v1/courses/{shared_course}/units"),
            Some(&partner_teacher),
            json!({"kind": "document", "title": "Safe lifting"}),
        )
        .await
        .id();
    c.app
        .publish(&partner_teacher, &shared_course, "consortium")
        .await;
    crate::support::media::image(dir.path(), "cover.png", "1000x1000");
    let poster_image = dir.path().join("cover.png");
    let input = json!({"course_title": "Care basics", "file": file, "course_id": c.course,
                       "shared_unit": "Safe lifting", "consortium": "Consortium care-alliance",
                       "captions_file": captions, "bad_captions_file": bad_captions,
                       "poster_image": poster_image});
    c.browse(
        &c.teacher,
        &["teacher", "curriculum", "quiz-editor", "teach-zh"],
        input,
    )
    .await;
    let course = c
        .app
        .get(&format!("/api/v1/courses/{}", c.course), Some(&c.teacher))
        .await;
    let unit = course.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["title"] == "Lecture by phone")
        .cloned()
        .expect("the unit was added");
    let asset = c
        .app
        .get(
            &format!("/api/v1/assets/{}", unit["asset_id"].as_str().unwrap()),
            Some(&c.teacher),
        )
        .await;
    assert_eq!(asset.body["status"], "ready", "{}", asset.text);
    assert_eq!(
        course.body["credit_value"], 3.0,
        "the console's edit reached the course"
    );
    assert_eq!(course.body["estimated_minutes"], 45);
    // The uploaded image is the course's poster.
    let poster = c
        .app
        .get(
            &format!(
                "/api/v1/assets/{}",
                course.body["poster_asset_id"]
                    .as_str()
                    .expect("a poster image")
            ),
            Some(&c.teacher),
        )
        .await;
    assert_eq!(poster.body["kind"], "image", "{}", poster.text);
    // One tus upload carried the whole file (resumed, not restarted) and made this asset.
    let size = std::fs::metadata(&file).unwrap().len() as i64;
    let uploads: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT upload_length, upload_offset, asset_id FROM uploads WHERE filename = 'lecture.mp4'",
    )
    .fetch_all(&c.app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!((uploads[0].0, uploads[0].1), (size, size));
    assert_eq!(uploads[0].2.as_deref(), unit["asset_id"].as_str());

    // The curriculum page's changes reached the API: the reused unit leads the course (the
    // partner's unit, not a copy), the lecture has Chinese captions, and the course is shared
    // with the consortium.
    let units = course_units(&c).await;
    assert_eq!(units[0]["title"], "Safe lifting", "{units:?}");
    assert_eq!(units[1]["title"], "Lecture by phone", "{units:?}");
    assert_eq!(
        units[0]["source_unit_id"],
        shared_unit.as_str(),
        "{units:?}"
    );
    let lecture_asset = c
        .app
        .get(
            &format!("/api/v1/assets/{}", unit["asset_id"].as_str().unwrap()),
            Some(&c.teacher),
        )
        .await;
    let languages: Vec<_> = lecture_asset.body["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "captions")
        .map(|r| r["language"].clone())
        .collect();
    assert_eq!(languages, vec![json!("zh-CN")]);
    assert_eq!(lecture_asset.body["spherical"], true);
    let shared = c
        .app
        .get(&format!("/api/v1/courses/{}", c.course), Some(&c.teacher))
        .await;
    assert_eq!(shared.body["visibility"], "consortium");

    // The quiz editor wrote the quiz the API serves; the spare unit is gone.
    let units = course_units(&c).await;
    let titles: Vec<_> = units.iter().map(|u| u["title"].clone()).collect();
    assert_eq!(
        titles,
        vec![
            json!("Safe lifting"),
            json!("Lecture by phone"),
            json!("Final check")
        ]
    );
    let quiz = c
        .app
        .get(
            &format!(
                "/api/v1/courses/{}/units/{}/quiz",
                c.course,
                units[2]["id"].as_str().unwrap()
            ),
            Some(&c.teacher),
        )
        .await;
    assert_eq!(quiz.body["pass_mark"], 50, "{}", quiz.text);
    assert_eq!(
        quiz.body["questions"],
        json!([
            {"kind": "single", "prompt": "Which comes first?",
             "choices": ["Gloves", "Washing hands", "Mask"], "answer": 1},
            {"kind": "true_false", "prompt": "Gloves are single use.", "answer": true}
        ])
    );
}

async fn course_units(c: &Classroom) -> Vec<serde_json::Value> {
    c.app
        .get(&format!("/api/v1/courses/{}", c.course), Some(&c.teacher))
        .await
        .body["units"]
        .as_array()
        .unwrap()
        .clone()
}

/// An admin imports a class list and reads the training report with its chart and CSV; a
/// newcomer joins the organisation with a join code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_imports_a_class_and_reads_the_report() {
    let c = Classroom::new(Backend::Sqlite).await;
    completed(&c).await;
    let code = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/join-codes", c.org),
            Some(&c.admin),
            json!({}),
        )
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    // A partner college's consortium has invited the organisation; another school may be
    // invited to the one the admin founds.
    let partner = c.app.create_org(&c.root, "partner-college").await;
    let partner_admin = c.app.member(&c.root, &partner, "admin").await;
    let alliance = c
        .app
        .consortium(&partner_admin, &partner, "vocational-alliance", &[])
        .await;
    c.app
        .post(
            &format!("/api/v1/consortia/{alliance}/invitations"),
            Some(&partner_admin),
            json!({"org_id": c.org}),
        )
        .await
        .assert(StatusCode::NO_CONTENT);
    let school = c.app.create_org(&c.root, "partner-school").await;
    let learner_email = c.app.email(&c.learner).await;
    let input = json!({"org_id": c.org, "code": code, "partner_org_id": school,
                       "invited_to": "Consortium vocational-alliance",
                       "learner_email": learner_email});
    c.browse(&c.admin, &["admin", "join", "admin-more"], input)
        .await;
    // What the pages did, as the API sees it.
    let consortia = c.app.get("/api/v1/consortia", Some(&c.admin)).await;
    assert_eq!(
        consortia.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        consortia.text
    );
    let founded = consortia.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "Care network")
        .expect("the founded consortium")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = c
        .app
        .get(
            &format!("/api/v1/consortia/{founded}/members"),
            Some(&c.admin),
        )
        .await;
    let status = |org: &str| {
        members.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["org_id"] == org)
            .map(|m| m["status"].clone())
    };
    assert_eq!(status(&school), Some(json!("invited")), "{}", members.text);
    let alliance_members = c
        .app
        .get(
            &format!("/api/v1/consortia/{alliance}/members"),
            Some(&c.admin),
        )
        .await;
    assert!(alliance_members.text.contains(r#""status":"active""#));
    let wallet = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    let first_aid = wallet.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "First aid certificate")
        .cloned()
        .expect("the issued credential is in the learner's wallet");
    assert!(first_aid["revoked_at"].is_string(), "{first_aid}");
    let rules = c
        .app
        .get(
            &format!("/api/v1/orgs/{}/credit-rules", c.org),
            Some(&c.admin),
        )
        .await;
    assert!(
        c.app
            .get(&format!("/api/v1/orgs/{}/members", c.org), Some(&c.admin))
            .await
            .text
            .contains("zhao.lei@example.cn"),
        "the member added through the form"
    );
    assert_eq!(
        rules.body,
        json!({"hours_per_credit": 10.0, "level_multipliers": {"3": 1.5},
               "recognised_certificates": ["First aid certificate", "Forklift licence"]})
    );
    let members = c
        .app
        .get(&format!("/api/v1/orgs/{}/members", c.org), Some(&c.admin))
        .await;
    assert!(
        members.text.contains("wang.fang@example.cn"),
        "{}",
        members.text
    );
}

/// A cmi5 package whose AUs run on Rustici's cmi5 client (`@rusticisoftware/cmi5` from the npm
/// registry, as a publisher would ship it): started from the unit pages in the same window and
/// in a new one, each fetches its token, reads its launch data, reports and returns; the course
/// is then satisfied and complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmi5_aus_on_a_foreign_client_run_from_the_unit_pages() {
    let c = Classroom::new(Backend::Sqlite).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let client = std::fs::read(root.join("node_modules/@rusticisoftware/cmi5/dist/cmi5.js"))
        .expect("npm ci --prefix tests/clients installs @rusticisoftware/cmi5");
    let au = std::fs::read(root.join("cmi5-au/au.js")).unwrap();
    let page = b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AU</title>\
        <meta name=\"viewport\" content=\"width=device-width\"></head><body><main><h1>Lesson</h1>\
        <p id=\"status\">Starting</p></main><script src=\"cmi5.js\"></script>\
        <script src=\"au.js\"></script></body></html>";
    let au_xml = |n: u8, move_on: &str, extra: &str, query: &str| {
        format!(
            r#"<au id="https://example.org/cmi5/au{n}" moveOn="{move_on}" {extra}>
            <title><langstring lang="en">Lesson {n}</langstring></title><description/>
            <url>au/index.html?do={query}</url></au>"#
        )
    };
    let xml = format!(
        r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
        <course id="https://example.org/cmi5/course"><title><langstring lang="en">Forklift safety</langstring></title>
        <description/></course>{}{}</courseStructure>"#,
        au_xml(
            1,
            "CompletedAndPassed",
            r#"masteryScore="0.8""#,
            "passed%2Bcompleted"
        ),
        au_xml(2, "Completed", r#"launchMethod="OwnWindow""#, "completed"),
    );
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [
        ("cmi5.xml", xml.as_bytes()),
        ("au/index.html", page.as_slice()),
        ("au/cmi5.js", client.as_slice()),
        ("au/au.js", au.as_slice()),
    ] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, data).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let r = c
        .app
        .http
        .post(c.app.url(&format!("/api/v1/orgs/{}/packages", c.org)))
        .bearer_auth(&c.teacher)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let imported: serde_json::Value = r.json().await.unwrap();
    let course = imported["course_id"].as_str().unwrap().to_owned();
    c.app.publish(&c.teacher, &course, "org").await;
    let unit = |i: usize| {
        format!(
            "/courses/{course}/units/{}",
            imported["units"][i]["id"].as_str().unwrap()
        )
    };
    let input = json!({"same_window": unit(0), "own_window": unit(1)});
    c.browse(&c.learner, &["cmi5"], input).await;
    c.assert_completed(&course).await;
}
