//! tus uploads: the protocol, resuming, limits, dedup, and bad files rejected with nothing left.

use std::{path::Path, time::Duration};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{
        media::{pdf, sha256_hex},
        Backend, TestApp,
    },
};

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

async fn teacher(app: &TestApp, slug: &str) -> (String, String) {
    let root = app.superadmin().await;
    let org = app.create_org(&root, slug).await;
    (app.member(&root, &org, "teacher").await, org)
}

async fn options_advertise_the_protocol(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.max_upload_bytes = 123_456_789).await;
    let r = app
        .request(reqwest::Method::OPTIONS, "/api/v1/uploads", None, None)
        .await;
    r.assert(StatusCode::NO_CONTENT);
    assert_eq!(r.header("tus-version"), "1.0.0");
    assert_eq!(r.header("tus-resumable"), "1.0.0");
    assert_eq!(r.header("tus-max-size"), "123456789");
    let ext = r.header("tus-extension");
    for e in [
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    ] {
        assert!(ext.split(',').any(|x| x == e), "{e} missing from {ext}");
    }
    assert!(r.header("tus-checksum-algorithm").contains("sha256"));
}

async fn a_dropped_connection_resumes_from_the_stored_offset(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "resume").await;
    let file = pdf(3 << 20);
    let created = app
        .tus_create(&token, file.len() as u64, &[("filename", "handbook.pdf")])
        .await;
    created.assert(StatusCode::CREATED);
    assert!(created.headers.contains_key("upload-expires"));
    let location = created.header("location");

    // The first PATCH breaks after 1 MiB: the client's body stream fails mid-way.
    let first = file[..1 << 20].to_vec();
    let stream = futures::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from(first)),
        Err(std::io::Error::other("network gone")),
    ]);
    let _ = app
        .http
        .patch(app.url(&location))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;

    // The server stores what arrived in the background after the connection broke; a real
    // client retries after a delay, so look again for a bounded while.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (head, offset) = loop {
        let head = app.tus_head(&token, &location).await;
        head.assert(StatusCode::OK);
        let offset: usize = head.header("upload-offset").parse().unwrap();
        if offset > 0 || tokio::time::Instant::now() > deadline {
            break (head, offset);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(offset, 1 << 20, "what arrived before the break is kept");
    assert_eq!(head.header("upload-length"), file.len().to_string());
    assert_eq!(head.header("cache-control"), "no-store");

    // Resuming at a wrong offset is a conflict; at the right one it finishes.
    app.tus_patch(&token, &location, 0, file[..10].to_vec())
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let done = app
        .tus_patch(&token, &location, offset as u64, file[offset..].to_vec())
        .await;
    done.assert(StatusCode::NO_CONTENT);
    assert_eq!(done.header("upload-offset"), file.len().to_string());
    let asset_id = done.header("caravan-asset-id");

    let asset = app
        .wait_asset(Some(&token), &asset_id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    assert_eq!(asset["kind"], "document");
    let original = &asset["renditions"][0];
    assert_eq!(original["role"], "original");
    assert_eq!(original["sha256"], sha256_hex(&file));
    let (status, headers, body) = app.bytes(original["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(body == file, "served bytes are byte-identical");
    // Parts are gone once the blob exists.
    assert!(
        files_under(&app.store_dir.join("uploads")).is_empty(),
        "{:?}",
        files_under(&app.store_dir.join("uploads"))
    );
}

async fn creation_with_upload_and_checksums(backend: Backend) {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use sha2::Digest;
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "checksum").await;
    let file = pdf(200_000);
    let (head, tail) = file.split_at(100_000);
    let r = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", file.len().to_string())
        .header(
            "upload-metadata",
            crate::support::media::metadata(&[("filename", "a.pdf")]),
        )
        .header("content-type", "application/offset+octet-stream")
        .header(
            "upload-checksum",
            format!("sha256 {}", STANDARD.encode(sha2::Sha256::digest(head))),
        )
        .body(head.to_vec())
        .send()
        .await
        .unwrap();
    let r = crate::support::Reply::from(r).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.header("upload-offset"), "100000");
    let location = r.header("location");

    let bad = app
        .http
        .patch(app.url(&location))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "100000")
        .header("content-type", "application/offset+octet-stream")
        .header(
            "upload-checksum",
            format!(
                "sha256 {}",
                STANDARD.encode(sha2::Sha256::digest(b"other bytes"))
            ),
        )
        .body(tail.to_vec())
        .send()
        .await
        .unwrap();
    let bad = crate::support::Reply::from(bad).await;
    bad.assert_problem(StatusCode::from_u16(460).unwrap(), "checksum-mismatch");
    assert_eq!(
        app.tus_head(&token, &location)
            .await
            .header("upload-offset"),
        "100000",
        "nothing of the bad body is kept"
    );
    let done = app
        .tus_patch(&token, &location, 100_000, tail.to_vec())
        .await;
    done.assert(StatusCode::NO_CONTENT);
    assert!(done.headers.contains_key("caravan-asset-id"));
}

async fn protocol_errors_are_problems(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.max_upload_bytes = 1_000_000).await;
    let (token, _) = teacher(&app, "protocol").await;
    let r = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    crate::support::Reply::from(r)
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "tus-version-unsupported");
    let r = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    crate::support::Reply::from(r)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "upload-length-required");
    app.tus_create(&token, 2_000_000, &[("filename", "big.mp4")])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "upload-too-large");
    let created = app.tus_create(&token, 10, &[("filename", "x.pdf")]).await;
    let location = created.header("location");
    let r = app
        .http
        .patch(app.url(&location))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    crate::support::Reply::from(r)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    app.tus_patch(&token, &location, 0, vec![0u8; 11])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "upload-length-exceeded");
    // Someone else's upload does not exist for you.
    let root = app.superadmin().await;
    let other_org = app.create_org(&root, "protocol-other").await;
    let other = app.member(&root, &other_org, "teacher").await;
    app.tus_head(&other, &location)
        .await
        .assert(StatusCode::NOT_FOUND);
    // A learner cannot upload.
    let learner = app.member(&root, &other_org, "learner").await;
    app.tus_create(&learner, 10, &[("filename", "x.pdf")])
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Termination removes it.
    let r = app
        .http
        .delete(app.url(&location))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    app.tus_head(&token, &location)
        .await
        .assert(StatusCode::NOT_FOUND);
}

async fn organisation_quota_is_enforced(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.org_quota_bytes = Some(300_000)).await;
    let (token, _) = teacher(&app, "quota").await;
    app.upload(&token, &pdf(200_000), &[("filename", "a.pdf")])
        .await;
    let r = app
        .tus_create(&token, 150_000, &[("filename", "b.pdf")])
        .await;
    r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota-exceeded");
    assert!(r.body["detail"].as_str().unwrap().contains("bytes left"));
    app.tus_create(&token, 90_000, &[("filename", "c.pdf")])
        .await
        .assert(StatusCode::CREATED);
}

async fn the_same_bytes_are_stored_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, _) = teacher(&app, "dedup-a").await;
    let root = app.superadmin().await;
    let org_b = app.create_org(&root, "dedup-b").await;
    let b = app.member(&root, &org_b, "teacher").await;
    let file = pdf(500_000);
    let first = app.upload(&a, &file, &[("filename", "one.pdf")]).await;
    let second = app.upload(&b, &file, &[("filename", "two.pdf")]).await;
    assert_ne!(first, second, "each upload is its own asset");
    let one = app
        .wait_asset(Some(&a), &first, Duration::from_secs(30))
        .await;
    let two = app
        .wait_asset(Some(&b), &second, Duration::from_secs(30))
        .await;
    assert_eq!(
        one["renditions"][0]["sha256"],
        two["renditions"][0]["sha256"]
    );
    let blobs = files_under(&app.store_dir.join("blobs"));
    assert_eq!(blobs.len(), 1, "{blobs:?}");
}

async fn files_that_are_not_media_are_rejected_and_leave_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "rejects").await;
    let gif = [&b"GIF89a\x01\0\x01\0"[..], &[0u8; 64]].concat();
    for (name, bytes, says) in [
        (
            "lecture.mp4",
            b"This is just some text that a teacher renamed.\n".repeat(50),
            "plain text",
        ),
        ("slides.mp4", gif, "GIF image"),
    ] {
        let created = app
            .tus_create(&token, bytes.len() as u64, &[("filename", name)])
            .await;
        let location = created.header("location");
        let r = app.tus_patch(&token, &location, 0, bytes.clone()).await;
        r.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
        assert!(
            r.body["detail"].as_str().unwrap().contains(says),
            "{}",
            r.text
        );
        app.tus_head(&token, &location)
            .await
            .assert(StatusCode::NOT_FOUND);
    }
    assert!(
        files_under(&app.store_dir).is_empty(),
        "{:?}",
        files_under(&app.store_dir)
    );
    let db = caravan::db::Db::connect(&app.database_url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    app.get("/healthz", None).await.assert(StatusCode::OK);
}

async fn broken_files_fail_with_a_clear_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "broken").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::support::media::av_clip(dir.path(), "clip.mp4", "320x240", 2);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.mp4",
            clip[..clip.len() / 3].to_vec(),
            "media-unreadable",
        ),
        (
            "cut.pdf",
            pdf(10_000)[..5_000].to_vec(),
            "document-truncated",
        ),
        (
            "model.glb",
            [
                &b"glTF"[..],
                &2u32.to_le_bytes(),
                &999u32.to_le_bytes(),
                &[0u8; 20],
            ]
            .concat(),
            "gltf-invalid",
        ),
        (
            "subs.srt",
            b"1\n00:00:01,000 --> 00:00:00,500\nBackwards\n".to_vec(),
            "captions-invalid",
        ),
    ];
    for (name, bytes, code) in cases {
        let id = app.upload(&token, &bytes, &[("filename", name)]).await;
        let asset = app
            .wait_asset(Some(&token), &id, Duration::from_secs(60))
            .await;
        assert_eq!(asset["status"], "failed", "{name}: {asset}");
        assert_eq!(asset["error"]["code"], code, "{name}: {asset}");
        let detail = asset["error"]["detail"].as_str().unwrap();
        assert!(
            detail.len() > 20 && !detail.contains("Error {"),
            "{name}: a sentence, not a dump: {detail}"
        );
    }
    // The rejected sources are not kept.
    assert!(
        files_under(&app.store_dir.join("blobs")).is_empty(),
        "{:?}",
        files_under(&app.store_dir.join("blobs"))
    );
    app.get("/healthz", None).await.assert(StatusCode::OK);
}

async fn captions_and_models_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "captions").await;
    let srt = "1\r\n00:00:01,000 --> 00:00:02,500\r\n你好，欢迎学习\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nWelcome\r\n";
    let id = app
        .upload(
            &token,
            srt.as_bytes(),
            &[("filename", "zh.srt"), ("language", "zh-cn")],
        )
        .await;
    let asset = app
        .wait_asset(Some(&token), &id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    let captions = &asset["renditions"][0];
    assert_eq!(captions["role"], "captions");
    assert_eq!(captions["language"], "zh-CN");
    let (_, headers, vtt) = app.bytes(captions["url"].as_str().unwrap(), None).await;
    assert_eq!(headers["content-type"], "text/vtt");
    let vtt = String::from_utf8(vtt).unwrap();
    assert!(
        vtt.starts_with("WEBVTT")
            && vtt.contains("00:00:01.000 --> 00:00:02.500")
            && vtt.contains("你好"),
        "{vtt}"
    );

    // A glTF that points at a buffer nobody uploaded.
    let gltf =
        json!({"asset": {"version": "2.0"}, "buffers": [{"uri": "model.bin", "byteLength": 12}]})
            .to_string();
    let id = app
        .upload(&token, gltf.as_bytes(), &[("filename", "room.gltf")])
        .await;
    let asset = app
        .wait_asset(Some(&token), &id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["error"]["code"], "gltf-invalid");
    assert!(asset["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("model.bin"));
}

both_backends!(
    options_advertise_the_protocol,
    a_dropped_connection_resumes_from_the_stored_offset,
    creation_with_upload_and_checksums,
    protocol_errors_are_problems,
    organisation_quota_is_enforced,
    the_same_bytes_are_stored_once,
    files_that_are_not_media_are_rejected_and_leave_nothing,
    broken_files_fail_with_a_clear_code,
    captions_and_models_are_validated,
    hostile_archives_are_refused,
    models_keep_their_types_and_relative_references
);

async fn hostile_archives_are_refused(backend: Backend) {
    use std::io::Write;
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "archives").await;
    let build = |entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let cases = [
        (
            "slip.zip",
            build(
                &[("../../../../tmp/evil.sh", b"rm -rf /".to_vec())],
                zip::CompressionMethod::Stored,
            ),
            "archive-unsafe",
        ),
        (
            "bomb.zip",
            build(
                &[("zeros.bin", vec![0u8; 8 << 20])],
                zip::CompressionMethod::Deflated,
            ),
            "archive-too-large",
        ),
    ];
    for (name, bytes, code) in cases {
        let id = app.upload(&token, &bytes, &[("filename", name)]).await;
        let asset = app
            .wait_asset(Some(&token), &id, Duration::from_secs(30))
            .await;
        assert_eq!(
            (asset["status"].as_str(), asset["error"]["code"].as_str()),
            (Some("failed"), Some(code)),
            "{name}: {asset}"
        );
    }
    assert!(
        files_under(&app.store_dir.join("blobs")).is_empty(),
        "refused archives are not kept"
    );
    let ok = build(
        &[("imsmanifest.xml", b"<manifest/>".to_vec())],
        zip::CompressionMethod::Deflated,
    );
    let id = app
        .upload(&token, &ok, &[("filename", "package.zip")])
        .await;
    assert_eq!(
        app.wait_asset(Some(&token), &id, Duration::from_secs(30))
            .await["status"],
        "ready"
    );
}

async fn models_keep_their_types_and_relative_references(backend: Backend) {
    use std::io::Write;
    let app = TestApp::spawn(backend).await;
    let (token, _) = teacher(&app, "models").await;
    let gltf = json!({"asset": {"version": "2.0"},
        "buffers": [{"uri": "buffers/tri.bin", "byteLength": 12}],
        "images": [{"uri": "textures/wood.png"}]})
    .to_string();
    let bin = vec![7u8; 12];
    let png = [&b"\x89PNG\r\n\x1a\n"[..], &[1u8; 32]].concat();
    let package = |files: &[(&str, &[u8])]| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let complete = package(&[
        ("room/scene.gltf", gltf.as_bytes()),
        ("room/buffers/tri.bin", &bin),
        ("room/textures/wood.png", &png),
    ]);
    let id = app
        .upload(&token, &complete, &[("filename", "room.zip")])
        .await;
    let asset = app
        .wait_asset(Some(&token), &id, Duration::from_secs(30))
        .await;
    assert_eq!(
        (asset["status"].as_str(), asset["kind"].as_str()),
        (Some("ready"), Some("model")),
        "{asset}"
    );
    let model = asset["model"].as_str().unwrap().to_owned();
    assert_eq!(model, format!("/api/v1/assets/{id}/files/room/scene.gltf"));
    let (s, h, body) = app.bytes_as(Some(&token), &model, None).await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "model/gltf+json")
    );
    assert_eq!(body, gltf.as_bytes());
    // The viewer resolves the model's relative references next to it.
    let base = model.rsplit_once('/').unwrap().0;
    let (s, h, body) = app
        .bytes_as(Some(&token), &format!("{base}/buffers/tri.bin"), None)
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap(), body),
        (StatusCode::OK, "application/octet-stream", bin.clone())
    );
    let (s, h, _) = app
        .bytes_as(
            Some(&token),
            &format!("{base}/textures/wood.png"),
            Some("bytes=0-7"),
        )
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::PARTIAL_CONTENT, "image/png")
    );
    assert_eq!(
        app.bytes(&model, None).await.0,
        StatusCode::NOT_FOUND,
        "the organisation's model is not public"
    );

    let missing = package(&[("scene.gltf", gltf.as_bytes()), ("buffers/tri.bin", &bin)]);
    let id = app
        .upload(&token, &missing, &[("filename", "broken.zip")])
        .await;
    let asset = app
        .wait_asset(Some(&token), &id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["error"]["code"], "gltf-invalid", "{asset}");
    assert!(asset["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("textures/wood.png"));

    // A GLB is one file, served as model/gltf-binary.
    let mut json_chunk = br#"{"asset":{"version":"2.0"}}"#.to_vec();
    while json_chunk.len() % 4 != 0 {
        json_chunk.push(b' ');
    }
    let total = 12 + 8 + json_chunk.len() as u32;
    let glb = [
        &b"glTF"[..],
        &2u32.to_le_bytes(),
        &total.to_le_bytes(),
        &(json_chunk.len() as u32).to_le_bytes(),
        b"JSON",
        &json_chunk,
    ]
    .concat();
    let id = app.upload(&token, &glb, &[("filename", "chair.glb")]).await;
    let asset = app
        .wait_asset(Some(&token), &id, Duration::from_secs(30))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    let (s, h, _) = app.bytes(asset["model"].as_str().unwrap(), None).await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "model/gltf-binary")
    );
}
