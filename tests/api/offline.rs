//! Taking a course offline: the manifest, and a deterministic, resumable ZIP bundle checked by
//! an independent reader (Python's zipfile).

use std::{process::Command, time::Duration};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    media::{audio_clip, av_clip, pdf, sha256_hex},
    Backend, TestApp,
};

async fn offline_course(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.ffmpeg_preset = "ultrafast".into()).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "offline").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let learner = app.member(&root, &org, "learner").await;
    let course = app.course(&teacher, &org, "离线课程 Offline course").await;
    let dir = tempfile::tempdir().unwrap();
    let uploads: Vec<(&str, Vec<u8>, &str)> = vec![
        ("video", av_clip(dir.path(), "v.mp4", "960x540", 1), "v.mp4"),
        ("document", pdf(40_000), "d.pdf"),
        ("audio", audio_clip(dir.path(), "a.m4a", 1), "a.m4a"),
    ];
    for (kind, bytes, name) in &uploads {
        let unit = app
            .post(
                &format!("/api/v1/courses/{course}/units"),
                Some(&teacher),
                json!({"kind": kind, "title": name}),
            )
            .await
            .id();
        let id = app
            .upload(&teacher, bytes, &[("filename", name), ("unit_id", &unit)])
            .await;
        assert_eq!(
            app.wait_asset(Some(&teacher), &id, Duration::from_secs(60))
                .await["status"],
            "ready"
        );
    }
    app.publish(&teacher, &course, "org").await;

    // The manifest lists what each unit needs at that quality, with signed URLs.
    app.get(&format!("/api/v1/courses/{course}/offline"), None)
        .await
        .assert(StatusCode::NOT_FOUND);
    let low = app
        .get(
            &format!("/api/v1/courses/{course}/offline?quality=low"),
            Some(&learner),
        )
        .await;
    low.assert(StatusCode::OK);
    let roles: Vec<(&str, Option<i64>)> = low.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["role"].as_str().unwrap(), f["height"].as_i64()))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("video", Some(240)),
            ("poster", Some(360)), // the phone-sized poster: 640 px on the long side
            ("original", None),
            ("audio", None)
        ],
        "{}",
        low.text
    );
    let high = app
        .get(
            &format!("/api/v1/courses/{course}/offline?quality=high"),
            Some(&learner),
        )
        .await;
    assert_eq!(high.body["files"][0]["height"], 540);
    let mut total = 0;
    for f in low.body["files"].as_array().unwrap() {
        let url = f["url"].as_str().unwrap();
        assert!(url.contains("sig="), "{url}");
        let (s, _, bytes) = app.bytes(url, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(bytes.len() as i64, f["bytes"].as_i64().unwrap());
        assert_eq!(sha256_hex(&bytes), f["sha256"].as_str().unwrap());
        total += bytes.len() as i64;
    }
    assert_eq!(low.body["total_bytes"], total);

    // The bundle: signed, deterministic, resumable.
    let bundle = low.body["bundle_url"].as_str().unwrap().to_owned();
    let (s, h, zip) = app.bytes(&bundle, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/zip");
    assert_eq!(h["content-length"], zip.len().to_string());
    let etag = h["etag"].to_str().unwrap().to_owned();
    let (_, h2, again) = app.bytes(&bundle, None).await;
    assert!(
        again == zip && h2["etag"] == etag.as_str(),
        "the same bundle twice"
    );
    let half = zip.len() / 2;
    let (s, _, first) = app
        .bytes(&bundle, Some(&format!("bytes=0-{}", half - 1)))
        .await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    let r = app
        .http
        .get(app.url(&bundle))
        .header("range", format!("bytes={half}-"))
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let rest = r.bytes().await.unwrap();
    assert!(
        [first, rest.to_vec()].concat() == zip,
        "a resumed download is byte-identical"
    );
    let r = app
        .http
        .get(app.url(&bundle))
        .header("range", format!("bytes={half}-"))
        .header("if-range", "\"bundle-stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a stale If-Range restarts the download"
    );

    // Python's zipfile checks every CRC and lists the files; each matches its SHA-256.
    let path = dir.path().join("bundle.zip");
    std::fs::write(&path, &zip).unwrap();
    let script = "import hashlib, json, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        m = json.loads(z.read('manifest.json'))\n\
        c = json.loads(z.read('course.json'))\n\
        for f in m['files']:\n    assert hashlib.sha256(z.read(f['path'])).hexdigest() == f['sha256'], f['path']\n\
        print(json.dumps({'names': z.namelist(), 'title': c['title'], 'files': len(m['files'])}))\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["title"], "离线课程 Offline course");
    assert_eq!(listing["files"], 4);
    assert_eq!(listing["names"][0], "manifest.json");

    // Links are checked: tampering is refused, and without a signature strangers get nothing.
    let tampered = bundle.replace("sig=", "sig=x");
    assert_eq!(app.bytes(&tampered, None).await.0, StatusCode::FORBIDDEN);
    let plain = format!("/api/v1/courses/{course}/bundle.zip");
    assert_eq!(app.bytes(&plain, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.bytes_as(Some(&learner), &plain, None).await.0,
        StatusCode::OK
    );
}

crate::both_backends!(offline_course);
