//! Pages over plain HTTP, where no browser is needed to see the behaviour.

use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

use crate::support::{course::Classroom, media, Backend};

/// Adds a VR unit with a ready GLB model to the classroom and returns its page as the learner.
async fn model_unit_page(c: &Classroom) -> String {
    let unit = c.unit("vr", "The machine", true).await;
    let ready = c
        .processed(
            &unit,
            &media::glb_box(),
            "machine.glb",
            Duration::from_secs(30),
        )
        .await;
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
        page.contains(r#"<script type="importmap" nonce=""#) && page.contains("/static/model.js"),
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
    // hls.js: its light ES module only, for any visitor (public courses play for guests).
    let hls = with
        .app
        .get("/vendor/hls.js/dist/hls.light.min.mjs", None)
        .await;
    hls.assert(StatusCode::OK);
    assert!(hls.text.contains("export"), "an ES module");
    without
        .app
        .get("/vendor/hls.js/dist/hls.light.min.mjs", None)
        .await
        .assert(StatusCode::NOT_FOUND);
    for outside in [
        "/vendor/hls.js/package.json",
        "/vendor/hls.js/dist/hls.light.min.mjs.map",
        "/vendor/hls.js/dist/hls.worker.js",
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

/// A 360° video is shown in the drag-to-look viewer when three.js is installed, and plays flat,
/// saying so, when it is not.
#[tokio::test]
async fn a_360_video_plays_flat_without_the_viewer_library() {
    let empty = tempfile::tempdir().unwrap();
    for libs in [Some(empty.path().to_owned()), None] {
        let c = Classroom::with_settings(Backend::Sqlite, |s| {
            if let Some(dir) = libs.clone() {
                s.web_libs = dir;
            }
        })
        .await;
        let unit = c.video_unit(10_000).await;
        let course = c
            .app
            .get(&format!("/api/v1/courses/{}", c.course), Some(&c.teacher))
            .await;
        let asset = course.body["units"][0]["asset_id"]
            .as_str()
            .unwrap()
            .to_owned();
        c.app
            .patch(
                &format!("/api/v1/assets/{asset}"),
                Some(&c.teacher),
                serde_json::json!({"spherical": true}),
            )
            .await
            .assert(StatusCode::OK);
        let page = c
            .app
            .get(
                &format!("/courses/{}/units/{unit}", c.course),
                Some(&c.learner),
            )
            .await
            .text
            .clone();
        assert!(page.contains(r#"class="player spherical""#), "{page}");
        if libs.is_some() {
            assert!(page.contains("A 360° video, shown flat here."), "{page}");
            assert!(!page.contains("viewer360.js") && !page.contains("importmap"));
        } else {
            assert!(page.contains("Drag the picture to look around"), "{page}");
            assert!(page.contains("viewer360.js") && page.contains("importmap"));
        }
    }
}

/// Every page answers each kind of caller as its role allows: visitors are sent to sign in
/// (or see only public things), learners never reach the consoles, and nobody reaches another
/// organisation's course editor, quiz editor, admin page or report (404, so its existence is
/// not confirmed). The JSON API's own matrix is `authz_matrix.rs`; this is the same for pages.
#[tokio::test]
async fn every_page_answers_each_kind_of_caller_as_its_role_allows() {
    let c = Classroom::new(Backend::Sqlite).await;
    let quiz = c.unit("quiz", "Check", true).await;
    let other = c.app.create_org(&c.root, "other-school").await;
    let other_admin = c.app.member(&c.root, &other, "admin").await;
    let other_teacher = c.app.member(&c.root, &other, "teacher").await;
    let other_learner = c.app.member(&c.root, &other, "learner").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (course, org) = (&c.course, &c.org);
    // Callers, in the order of each row's expectations.
    let callers: [(&str, Option<&str>); 8] = [
        ("visitor", None),
        ("learner", Some(&c.learner)),
        ("teacher", Some(&c.teacher)),
        ("admin", Some(&c.admin)),
        ("other learner", Some(&other_learner)),
        ("other teacher", Some(&other_teacher)),
        ("other admin", Some(&other_admin)),
        ("superadmin", Some(&c.root)),
    ];
    const OK: u16 = 200;
    const LOGIN: u16 = 303;
    let rows: Vec<(String, [u16; 8])> = vec![
        ("/".into(), [OK; 8]),
        ("/verify".into(), [OK; 8]),
        ("/login".into(), [OK; 8]),
        ("/join".into(), [OK; 8]),
        (
            format!("/courses/{course}"),
            [404, OK, OK, OK, 404, 404, 404, OK],
        ),
        (
            format!("/courses/{course}/units/{quiz}"),
            [404, OK, OK, OK, 404, 404, 404, OK],
        ),
        ("/me".into(), [LOGIN, OK, OK, OK, OK, OK, OK, OK]),
        ("/teach".into(), [LOGIN, 403, OK, OK, 403, OK, OK, 403]),
        (
            format!("/teach/courses/{course}"),
            [LOGIN, 404, OK, OK, 404, 404, 404, OK],
        ),
        (
            format!("/teach/courses/{course}/units/{quiz}/quiz"),
            [LOGIN, 404, OK, OK, 404, 404, 404, OK],
        ),
        ("/admin".into(), [LOGIN, 403, 403, OK, 403, 403, OK, OK]),
        (
            format!("/admin/orgs/{org}"),
            [LOGIN, 404, 404, OK, 404, 404, 404, OK],
        ),
        (
            format!("/admin/orgs/{org}/reports"),
            [LOGIN, 404, 404, OK, 404, 404, 404, OK],
        ),
    ];
    let mut wrong = Vec::new();
    for (path, expected) in &rows {
        for ((who, token), want) in callers.iter().zip(expected) {
            let mut req = client.get(c.app.url(path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let got = res.status().as_u16();
            let to_login = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/login?next="));
            if got != *want || (got == LOGIN && !to_login) {
                wrong.push(format!("{path} as {who}: {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The pages are an installable app: a manifest that names icons in the sizes phones ask for,
/// the icons themselves (PNG of that size), a favicon, and the offline start page, for
/// visitors (no sign-in) and in Chinese for Chinese browsers.
#[tokio::test]
async fn the_app_manifest_icons_and_offline_page_are_served() {
    let app = crate::support::TestApp::spawn(Backend::Sqlite).await;
    let home = app.get("/", None).await;
    assert!(
        home.text
            .contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#),
        "{}",
        home.text
    );
    let m = app.get("/manifest.webmanifest", None).await;
    m.assert(StatusCode::OK);
    assert_eq!(m.headers["content-type"], "application/manifest+json");
    assert_eq!(m.body["display"], "standalone");
    assert_eq!(m.body["start_url"], "/");
    assert_eq!(m.body["short_name"], "Caravan");
    let icons = m.body["icons"].as_array().unwrap();
    assert!(icons.iter().any(|i| i["purpose"] == "maskable"));
    for icon in icons {
        let (status, headers, bytes) = app.bytes(icon["src"].as_str().unwrap(), None).await;
        assert_eq!(status, StatusCode::OK, "{icon}");
        assert_eq!(headers["content-type"], "image/png");
        let info = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let size = format!("{}x{}", info.info().width, info.info().height);
        assert_eq!(size, icon["sizes"].as_str().unwrap(), "{icon}");
    }
    let (status, headers, ico) = app.bytes("/favicon.ico", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/x-icon");
    assert_eq!(&ico[..4], &[0, 0, 1, 0], "an ICO header");
    assert_eq!(&ico[38..42], b"\x89PNG", "whose first image is a PNG");
    for missing in [
        "/icons/icon-100.png",
        "/icons/icon-192.jpg",
        "/icons/other.png",
    ] {
        app.get(missing, None).await.assert(StatusCode::NOT_FOUND);
    }
    let zh = app
        .http
        .get(app.url("/manifest.webmanifest"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(zh["lang"], "zh-CN");
    let offline = app.get("/offline", None).await;
    offline.assert(StatusCode::OK);
    assert!(
        offline.text.contains("You are offline") && offline.text.contains(r#"id="saved-courses""#)
    );
}

/// A lecture's poster fits a phone (at most 640 px on the long side, JPEG, well under 60 KB)
/// with a larger one for big screens; the course page and the catalogue card show the course's
/// poster (its first unit's) with both in `srcset`, signed for an organisation's course and
/// plain once the course is public, where a visitor's card shows it too.
#[tokio::test]
async fn course_cards_and_pages_show_a_poster_that_fits_a_phone() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let unit = c.unit("video", "Lecture", true).await;
    let dir = tempfile::tempdir().unwrap();
    let clip = media::av_clip(dir.path(), "hd.mp4", "1280x720", 2);
    let asset = c
        .processed(&unit, &clip, "hd.mp4", Duration::from_secs(180))
        .await;
    let poster = asset["poster"].as_str().unwrap().to_owned();
    let (status, headers, jpeg) = c.app.bytes(&poster, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(jpeg.len() < 60_000, "{} bytes", jpeg.len());
    let small = asset["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "poster")
        .unwrap();
    assert_eq!(
        (small["width"].as_i64(), small["height"].as_i64()),
        (Some(640), Some(360))
    );
    let large = asset["poster_large"].as_str().unwrap();
    assert!(large.contains(".jpg?"), "{large}");

    let img = |html: &str| -> String {
        let start = html
            .find(r#"<img class="poster""#)
            .unwrap_or_else(|| panic!("no poster in {html}"));
        html[start..].split('>').next().unwrap().to_owned()
    };
    let page = c
        .app
        .get(&format!("/courses/{}", c.course), Some(&c.learner))
        .await;
    let tag = img(&page.text);
    assert!(
        tag.contains(" 640w, ") && tag.contains(" 1280w") && tag.contains("sig="),
        "{tag}"
    );
    assert!(tag.contains(r#"width="640" height="360""#), "{tag}");
    let card = img(&c.app.get("/", Some(&c.learner)).await.text);
    let src = card
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let (status, _, bytes) = c.app.bytes(&src, None).await;
    assert_eq!(
        (status, bytes.len()),
        (StatusCode::OK, jpeg.len()),
        "{card}"
    );

    // Public: a visitor's card shows the poster, by a plain URL.
    c.app.publish(&c.teacher, &c.course, "public").await;
    let card = img(&c.app.get("/", None).await.text);
    assert!(
        !card.contains("sig=") && card.contains(".jpg 640w"),
        "{card}"
    );
}

/// The path of the poster the course page shows the learner.
async fn course_poster_shown(c: &Classroom) -> String {
    let html = c
        .app
        .get(&format!("/courses/{}", c.course), Some(&c.learner))
        .await
        .text;
    let start = html.find(r#"<img class="poster" src=""#).expect("a poster") + 25;
    html[start..]
        .split('?')
        .next()
        .unwrap()
        .replace("&#x2f;", "/")
}

/// A teacher picks which unit's poster stands for the course (`poster_unit_id`), and `""` goes
/// back to the first unit's; a unit of another course is refused.
#[tokio::test]
async fn a_teacher_picks_the_course_poster() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut posters = Vec::new();
    for (title, size) in [("First", "640x360"), ("Second", "480x270")] {
        let unit = c.unit("video", title, true).await;
        let clip = media::av_clip(dir.path(), &format!("{title}.mp4"), size, 2);
        let asset = c
            .processed(
                &unit,
                &clip,
                &format!("{title}.mp4"),
                Duration::from_secs(180),
            )
            .await;
        let poster = asset["poster"].as_str().unwrap();
        posters.push((unit, poster.split('?').next().unwrap().to_owned()));
    }
    let shown = || course_poster_shown(&c);
    assert_eq!(shown().await, posters[0].1, "the first unit's by default");
    let path = format!("/api/v1/courses/{}", c.course);
    let r = c
        .app
        .patch(
            &path,
            Some(&c.teacher),
            serde_json::json!({"poster_unit_id": posters[1].0}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["poster_unit_id"], posters[1].0.as_str());
    assert_eq!(shown().await, posters[1].1, "the chosen unit's");
    let elsewhere = c.app.course(&c.teacher, &c.org, "Other").await;
    let stranger = {
        let r = c
            .app
            .post(
                &format!("/api/v1/courses/{elsewhere}/units"),
                Some(&c.teacher),
                serde_json::json!({"kind": "video", "title": "X"}),
            )
            .await;
        r.body["id"].as_str().unwrap().to_owned()
    };
    c.app
        .patch(
            &path,
            Some(&c.teacher),
            serde_json::json!({"poster_unit_id": stranger}),
        )
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        shown().await,
        posters[1].1,
        "a refused choice changes nothing"
    );
    c.app
        .patch(
            &path,
            Some(&c.teacher),
            serde_json::json!({"poster_unit_id": ""}),
        )
        .await
        .assert(StatusCode::OK);
    assert_eq!(shown().await, posters[0].1, "back to the first unit's");
}

/// A teacher uploads an image for the course's poster (like any file, by tus): it is scaled as
/// a video's poster is, goes before any unit's, and `""` goes back to the units'. A broken image
/// fails with a clear code; an image of another organisation, or a video, is refused.
#[tokio::test]
async fn a_teacher_uploads_a_poster_image() {
    let c = Classroom::with_workers(Backend::Sqlite, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let unit = c.unit("video", "Lecture", true).await;
    let clip = media::av_clip(dir.path(), "lecture.mp4", "640x360", 2);
    let lecture = c
        .processed(&unit, &clip, "lecture.mp4", Duration::from_secs(180))
        .await;
    let png = media::image(dir.path(), "cover.png", "1920x1080");
    let id = c
        .app
        .upload(&c.teacher, &png, &[("filename", "cover.png")])
        .await;
    let image = c
        .app
        .wait_asset(Some(&c.teacher), &id, Duration::from_secs(60))
        .await;
    assert_eq!(image["status"], "ready", "{image}");
    assert_eq!(image["kind"], "image");
    let rendition = |role: &str| {
        image["renditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["role"] == role)
            .unwrap_or_else(|| panic!("no {role} in {image}"))
            .clone()
    };
    assert_eq!(
        (
            rendition("poster")["width"].clone(),
            rendition("poster")["height"].clone()
        ),
        (json!(640), json!(360))
    );
    assert_eq!(rendition("poster-large")["width"], 1280);
    assert!(rendition("poster")["bytes"].as_u64().unwrap() < 60_000);

    let shown = || course_poster_shown(&c);
    let path_of = |url: &str| url.split('?').next().unwrap().to_owned();
    let unit_poster = path_of(lecture["poster"].as_str().unwrap());
    assert_eq!(shown().await, unit_poster);
    let course = format!("/api/v1/courses/{}", c.course);
    let r = c
        .app
        .patch(&course, Some(&c.teacher), json!({"poster_asset_id": id}))
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["poster_asset_id"], id.as_str());
    let image_poster = format!(
        "/media/{}.jpg",
        rendition("poster")["sha256"].as_str().unwrap()
    );
    assert_eq!(
        shown().await,
        image_poster,
        "the uploaded image before the unit's"
    );

    // A video is not an image, and another organisation's image is not this course's.
    let video_asset = lecture["id"].as_str().unwrap();
    c.app
        .patch(
            &course,
            Some(&c.teacher),
            json!({"poster_asset_id": video_asset}),
        )
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let other = c.app.create_org(&c.root, "other-school").await;
    let other_teacher = c.app.member(&c.root, &other, "teacher").await;
    let theirs = c
        .app
        .upload(&other_teacher, &png, &[("filename", "theirs.png")])
        .await;
    let r = c
        .app
        .patch(
            &course,
            Some(&c.teacher),
            json!({"poster_asset_id": theirs}),
        )
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["poster_asset_id"]);
    assert_eq!(
        shown().await,
        image_poster,
        "a refused choice changes nothing"
    );

    c.app
        .patch(&course, Some(&c.teacher), json!({"poster_asset_id": ""}))
        .await
        .assert(StatusCode::OK);
    assert_eq!(shown().await, unit_poster, "back to the unit's");

    // A PNG cut in half: processing fails with a code the teacher's page explains.
    let cut = &png[..png.len() / 2];
    let broken = c
        .app
        .upload(&c.teacher, cut, &[("filename", "cut.png")])
        .await;
    let failed = c
        .app
        .wait_asset(Some(&c.teacher), &broken, Duration::from_secs(60))
        .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "image-invalid", "{failed}");
}
