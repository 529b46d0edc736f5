//! Serving bytes: the range and conditional matrix on both stores, access control, signed URLs
//! and the data saver.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::support::{
    media::{av_clip, pdf, sha256_hex},
    Backend, S3Server, TestApp,
};

/// A teacher's course with one document unit holding `bytes`; returns (teacher, course, asset).
async fn course_with_document(
    app: &TestApp,
    visibility: &str,
    bytes: &[u8],
) -> (String, String, Value) {
    let root = app.superadmin().await;
    let org = app.create_org(&root, "delivery").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let course = app.course(&teacher, &org, "Delivery").await;
    let unit = app
        .post(
            &format!("/api/v1/courses/{course}/units"),
            Some(&teacher),
            json!({"kind": "document", "title": "Handout"}),
        )
        .await
        .id();
    let id = app
        .upload(
            &teacher,
            bytes,
            &[("filename", "h.pdf"), ("unit_id", &unit)],
        )
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    app.publish(&teacher, &course, visibility).await;
    let asset = app
        .get(&format!("/api/v1/assets/{id}"), Some(&teacher))
        .await
        .body;
    (teacher, course, asset)
}

async fn get(
    app: &TestApp,
    url: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut req = app.http.get(app.url(url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.bytes().await.unwrap().to_vec())
}

async fn range_and_conditional_matrix(app: &TestApp) {
    let file = pdf(300_000);
    let (_, _, asset) = course_with_document(app, "public", &file).await;
    let url = asset["renditions"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        format!("/media/{}.pdf", sha256_hex(&file)),
        "public content needs no signature"
    );
    let len = file.len();
    let etag = format!("\"{}\"", sha256_hex(&file));

    let (s, h, body) = get(app, &url, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-length"], len.to_string());
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["etag"], etag.as_str());
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(h.contains_key("last-modified"));
    assert!(body == file);
    let last_modified = h["last-modified"].to_str().unwrap().to_owned();

    let head = app.http.head(app.url(&url)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], len.to_string());
    assert!(head.bytes().await.unwrap().is_empty());

    // iOS probes with the first two bytes before it plays anything.
    let cases: Vec<(&str, usize, usize)> = vec![
        ("bytes=0-1", 0, 1),
        ("bytes=1000-", 1000, len - 1),
        ("bytes=-500", len - 500, len - 1),
        ("bytes=10-10", 10, 10),
        ("bytes=200000-999999", 200_000, len - 1),
    ];
    for (range, a, b) in cases {
        let (s, h, body) = get(app, &url, &[("range", range)]).await;
        assert_eq!(s, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            h["content-range"],
            format!("bytes {a}-{b}/{len}").as_str(),
            "{range}"
        );
        assert_eq!(h["content-length"], (b - a + 1).to_string(), "{range}");
        assert!(body == file[a..=b], "{range}: bytes differ");
    }
    let (s, h, body) = get(app, &url, &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(h["content-range"], format!("bytes */{len}").as_str());
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "range-not-satisfiable"
    );
    let (s, _, body) = get(app, &url, &[("range", "bytes=0-1,10-20")]).await;
    assert_eq!(
        (s, body.len()),
        (StatusCode::OK, len),
        "several ranges get the whole file"
    );

    let (s, _, body) = get(app, &url, &[("if-none-match", &etag)]).await;
    assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));
    let (s, _, _) = get(app, &url, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = get(app, &url, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    let (s, _, _) = get(
        app,
        &url,
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = get(app, &url, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!((s, body.len()), (StatusCode::PARTIAL_CONTENT, 10));
    let (s, _, body) = get(
        app,
        &url,
        &[("range", "bytes=0-9"), ("if-range", "\"stale\"")],
    )
    .await;
    assert_eq!(
        (s, body.len()),
        (StatusCode::OK, len),
        "a stale If-Range gets the whole file"
    );
    let (s, _, body) = get(
        app,
        &url,
        &[("range", "bytes=0-9"), ("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(
        (s, body.len()),
        (StatusCode::PARTIAL_CONTENT, 10),
        "media is never re-encoded"
    );
    // A player on another origin may read the bytes and the headers it needs for ranges.
    let (s, h, _) = get(
        app,
        &url,
        &[("origin", "https://player.example"), ("range", "bytes=0-1")],
    )
    .await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(h["access-control-allow-origin"], "*");
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        ["content-range", "etag", "accept-ranges"]
            .iter()
            .all(|h| exposed.contains(h)),
        "{exposed}"
    );
    // Anonymous bytes take the fast path, inside the same layers as every other request.
    assert!(h.contains_key("x-request-id"), "{h:?}");
    let (_, h, _) = get(app, &url, &[("x-request-id", "player-42")]).await;
    assert_eq!(
        h["x-request-id"], "player-42",
        "a caller's request id is kept"
    );
}

/// With a list of allowed origins, anonymous media answers a listed origin with CORS headers
/// and another origin without them, like every other route, and is counted in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_cors_follows_the_allowed_origins() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.cors_origins = vec!["https://college.example".into()]
    })
    .await;
    let file = pdf(20_000);
    let (_, _, asset) = course_with_document(&app, "public", &file).await;
    let url = asset["renditions"][0]["url"].as_str().unwrap().to_owned();
    let (s, h, body) = get(&app, &url, &[("origin", "https://college.example")]).await;
    assert_eq!((s, body.len()), (StatusCode::OK, file.len()));
    assert_eq!(h["access-control-allow-origin"], "https://college.example");
    assert!(h.contains_key("x-request-id"));
    let (s, h, _) = get(&app, &url, &[("origin", "https://elsewhere.example")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!h.contains_key("access-control-allow-origin"), "{h:?}");

    // The metrics hook sees the fast path too: three more media answers, one more 404.
    let root = app.superadmin().await;
    let count = |text: &str, class: &str| -> u64 {
        let key = format!("caravan_http_requests_total{{class=\"{class}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {text}"))
    };
    let before = app.get("/metrics", Some(&root)).await.text;
    for _ in 0..3 {
        assert_eq!(get(&app, &url, &[]).await.0, StatusCode::OK);
    }
    let missing = format!("/media/{}", "0".repeat(64));
    assert_eq!(get(&app, &missing, &[]).await.0, StatusCode::NOT_FOUND);
    let after = app.get("/metrics", Some(&root)).await;
    after.assert(StatusCode::OK);
    assert!(after.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    // The first scrape itself is one more 2xx.
    assert_eq!(count(&after.text, "2xx"), count(&before, "2xx") + 4);
    assert_eq!(count(&after.text, "4xx"), count(&before, "4xx") + 1);
    assert!(after
        .text
        .contains("caravan_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_and_validators_on_the_local_store() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cors_origins = vec!["*".into()]).await;
    range_and_conditional_matrix(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_and_validators_on_s3() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        S3Server::shared().store_in(s, "delivery", "m");
        s.cors_origins = vec!["*".into()];
    })
    .await;
    range_and_conditional_matrix(&app).await;
}

async fn protected_media_needs_a_session_or_a_signature(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = pdf(50_000);
    let (teacher, _, asset) = course_with_document(&app, "org", &file).await;
    let sha = sha256_hex(&file);
    let plain = format!("/media/{sha}");
    let (s, _, _) = get(&app, &plain, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "anonymous readers learn nothing");
    let (s, h, _) = app.bytes_as(Some(&teacher), &plain, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["cache-control"], "private, max-age=31536000, immutable");
    // A dead token is refused, not taken for a visitor, even beside a valid signature.
    let signed = asset["renditions"][0]["url"].as_str().unwrap().to_owned();
    for path in [&plain, &signed] {
        let (s, h, body) = app.bytes_as(Some("no-such-token"), path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(h["content-type"], "application/problem+json");
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["code"],
            "unauthorized"
        );
    }
    // A signed-in stranger learns no more than a visitor.
    let root = app.superadmin().await;
    let elsewhere = app.create_org(&root, "elsewhere").await;
    let stranger = app.member(&root, &elsewhere, "learner").await;
    let (s, _, _) = app.bytes_as(Some(&stranger), &plain, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The asset JSON hands out signed URLs that work without cookies, and CDNs may cache them.
    let signed = asset["renditions"][0]["url"].as_str().unwrap().to_owned();
    assert!(
        signed.starts_with(&format!("{plain}.pdf?exp=")) && signed.contains("&sig="),
        "the URL names the file's type: {signed}"
    );
    // The signature covers the file, not its name: links handed out before extensions
    // (bare `/media/{sha}` with the same query) keep working; an unknown extension is no file.
    let (_, query) = signed.split_once('?').unwrap();
    let (s, h, _) = get(&app, &format!("{plain}?{query}"), &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/pdf");
    for name in ["html", "svg", "", "pdf.pdf"] {
        let (s, _, _) = get(&app, &format!("{plain}.{name}?{query}"), &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, ".{name}");
    }
    let (s, _, _) = app
        .bytes_as(Some(&teacher), &format!("{plain}.pdf"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "a session reads the named URL too");
    let (s, h, body) = get(&app, &signed, &[("range", "bytes=0-1")]).await;
    assert_eq!(
        (s, body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &file[..2])
    );
    let max_age: i64 = h["cache-control"]
        .to_str()
        .unwrap()
        .split("max-age=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age > 3600 && max_age <= 8 * 3600, "{max_age}");

    let tampered = signed.replace("sig=", "sig=A");
    let (s, _, body) = get(&app, &tampered, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "signature-invalid"
    );
    let other_exp = signed.replace("exp=", "exp=1");
    let (s, _, _) = get(&app, &other_exp, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, query) = signed.split_once('?').unwrap();
    let (s, _, _) = get(&app, &format!("/media/{}?{query}", "0".repeat(64)), &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a signature for another file");
    let past = app
        .state
        .delivery
        .signer
        .sign(&plain, caravan::db::time::now_ms() / 1000 - 10);
    let (s, _, body) = get(&app, &format!("{plain}?{past}"), &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "signature-expired"
    );

    // After a key rotation, URLs signed with the old key keep working.
    caravan::delivery::signing::rotate(&app.state.db)
        .await
        .unwrap();
    app.state
        .delivery
        .signer
        .reload(&app.state.db)
        .await
        .unwrap();
    let (s, _, _) = get(&app, &signed, &[]).await;
    assert_eq!(s, StatusCode::OK);
}

crate::both_backends!(protected_media_needs_a_session_or_a_signature);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_saver_trims_the_master_playlist_and_is_remembered() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.ffmpeg_preset = "ultrafast".into()).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "saver").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let learner = app.member(&root, &org, "learner").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = av_clip(dir.path(), "c.mp4", "960x540", 1);
    // The learner reaches the lecture through a course of the organisation.
    let course = app.course(&teacher, &org, "Saver").await;
    app.publish(&teacher, &course, "org").await;
    let unit = app
        .post(
            &format!("/api/v1/courses/{course}/units"),
            Some(&teacher),
            json!({"kind": "video", "title": "Lecture"}),
        )
        .await
        .id();
    let meta = [("filename", "c.mp4"), ("unit_id", unit.as_str())];
    let id = app.upload(&teacher, &clip, &meta).await;
    let asset = app
        .wait_asset(Some(&learner), &id, Duration::from_secs(60))
        .await;
    let master = asset["hls"].as_str().unwrap().to_owned();
    assert!(
        master.contains("sig="),
        "a protected asset's playlist is signed: {master}"
    );
    let rungs = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
            .map(|l| {
                l.split("RESOLUTION=")
                    .nth(1)
                    .map(|r| r.split(',').next().unwrap().to_owned())
                    .unwrap_or_else(|| "audio".into())
            })
            .collect()
    };
    let text = |r: (StatusCode, header::HeaderMap, Vec<u8>)| {
        assert_eq!(r.0, StatusCode::OK);
        String::from_utf8(r.2).unwrap()
    };
    let full = text(get(&app, &master, &[]).await);
    assert_eq!(
        rungs(&full),
        vec!["426x240", "640x360", "960x540", "audio"],
        "{full}"
    );
    // Variant playlists and their segments are signed too, so a native player needs no cookie.
    let variant = full.lines().find(|l| l.contains("video-240.m3u8")).unwrap();
    let media = text(get(&app, variant, &[]).await);
    let segment = media.lines().find(|l| l.starts_with("/media/")).unwrap();
    assert!(segment.contains("sig="));
    assert_eq!(
        get(&app, segment, &[("range", "bytes=0-7")]).await.0,
        StatusCode::PARTIAL_CONTENT
    );

    let saver = text(get(&app, &master, &[("save-data", "on")]).await);
    assert_eq!(rungs(&saver), vec!["426x240", "640x360", "audio"]);
    let (_, query) = master.split_once('?').unwrap();
    let capped = format!("/api/v1/assets/{id}/hls/master.m3u8?max_height=240");
    let r = app.bytes_as(Some(&learner), &capped, None).await;
    assert_eq!(rungs(&text(r)), vec!["426x240", "audio"]);
    // The learner's cap is remembered.
    let r = app
        .bytes_as(
            Some(&learner),
            &format!("/api/v1/assets/{id}/hls/master.m3u8"),
            None,
        )
        .await;
    assert_eq!(rungs(&text(r)), vec!["426x240", "audio"]);
    assert_eq!(
        app.get("/api/v1/me/preferences", Some(&learner)).await.body["max_height"],
        240
    );
    app.request(
        reqwest::Method::PUT,
        "/api/v1/me/preferences",
        Some(&learner),
        Some(json!({"max_height": null})),
    )
    .await
    .assert(StatusCode::OK);
    let r = app
        .bytes_as(
            Some(&learner),
            &format!("/api/v1/assets/{id}/hls/master.m3u8"),
            None,
        )
        .await;
    assert_eq!(rungs(&text(r)).len(), 4);
    let _ = query;

    // A teacher marks a 360° video that carried no spherical metadata; learners cannot.
    assert_eq!(asset["spherical"], false);
    app.patch(
        &format!("/api/v1/assets/{id}"),
        Some(&learner),
        json!({"spherical": true}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .patch(
            &format!("/api/v1/assets/{id}"),
            Some(&teacher),
            json!({"spherical": true}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["spherical"], true);
    assert_eq!(
        app.get(&format!("/api/v1/assets/{id}"), Some(&learner))
            .await
            .body["spherical"],
        true
    );
}
