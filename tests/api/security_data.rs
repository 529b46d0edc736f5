//! Regressions for the outside probe's data findings (issue #20), through the real server:
//! attachments found only by the tenant that sent them (F6), a quota that counts what is stored
//! and checks a package's unpacked size before unpacking it (F7), and exported CSV cells that
//! cannot run as formulas (F9).

use std::{io::Write, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    credentials::completed,
    support::{
        course::Classroom,
        lrs::{statement, Auth},
        media::sha256_hex,
        Backend, TestApp,
    },
};

const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";

/// The attachment parts of a multipart/mixed response, as (X-Experience-API-Hash, bytes); the
/// first part (the statements' JSON) has no hash and is left out.
fn attachment_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .unwrap_or_else(|| panic!("no boundary in {content_type}"));
    let delimiter = format!("\r\n--{boundary}");
    // Prefixing CRLF lets the first delimiter be found like the others.
    let body = [b"\r\n".as_slice(), body].concat();
    let mut parts = Vec::new();
    let mut rest = body.as_slice();
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        let after = &rest[at + delimiter.len()..];
        if after.starts_with(b"--") {
            break;
        }
        let after = after.strip_prefix(b"\r\n").expect("CRLF after a boundary");
        let end = find(after, delimiter.as_bytes()).expect("a closing boundary");
        let part = &after[..end];
        let split = find(part, b"\r\n\r\n").expect("headers end with a blank line");
        let headers = String::from_utf8_lossy(&part[..split]).to_ascii_lowercase();
        if let Some(hash) = headers
            .lines()
            .find_map(|l| l.strip_prefix("x-experience-api-hash:"))
        {
            parts.push((hash.trim().to_owned(), part[split + 4..].to_vec()));
        }
        rest = &after[end..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// GET with `attachments=true`: the content type and raw body.
async fn with_attachments(app: &TestApp, auth: &Auth, query: &str) -> (String, Vec<u8>) {
    let r = app
        .xapi_request(
            Method::GET,
            &format!("/xapi/statements?{query}attachments=true"),
            auth,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
    (ct, r.bytes().await.unwrap().to_vec())
}

/// F6: an organisation that knows another's attachment hash cannot fetch its bytes by declaring
/// that hash with a `fileUrl` (valid xAPI, needing no part); before the fix the bytes were
/// looked up by hash across every tenant.
async fn an_attachment_is_found_only_by_the_tenant_that_sent_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let (org_a, org_b) = (
        app.create_org(&root, "attach-a").await,
        app.create_org(&root, "attach-b").await,
    );
    let scopes = ["statements/write", "statements/read"];
    let admin_a = app.member(&root, &org_a, "admin").await;
    let admin_b = app.member(&root, &org_b, "admin").await;
    let client_a = app.lrs_client(&admin_a, &org_a, &scopes).await;
    let client_b = app.lrs_client(&admin_b, &org_b, &scopes).await;

    let secret = format!("org B's medical certificate {}", uuid::Uuid::new_v4());
    let sha = sha256_hex(secret.as_bytes());
    let declared = |extra: Value| {
        let mut a = json!({"usageType": "http://example.org/usage/certificate",
            "display": {"en-US": "certificate"}, "contentType": "text/plain",
            "length": secret.len(), "sha2": sha});
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        a
    };
    let mut theirs = statement("b@example.org", ATTEMPTED, "http://example.org/b");
    theirs["attachments"] = json!([declared(json!({}))]);
    let mut body = format!(
        "--xyz\r\nContent-Type: application/json\r\n\r\n{theirs}\r\n--xyz\r\n\
         Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\
         X-Experience-API-Hash: {sha}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(secret.as_bytes());
    body.extend_from_slice(b"\r\n--xyz--\r\n");
    let r = app
        .xapi_request(Method::POST, "/xapi/statements", &client_b)
        .header("content-type", "multipart/mixed; boundary=xyz")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let b_id = r.json::<Value>().await.unwrap()[0]
        .as_str()
        .unwrap()
        .to_owned();

    let mut probe = statement("a@example.org", ATTEMPTED, "http://example.org/a");
    probe["attachments"] = json!([declared(
        json!({"fileUrl": "http://example.org/files/cert.txt"})
    )]);
    let r = app
        .xapi(Method::POST, "/xapi/statements", &client_a, Some(probe))
        .await;
    r.assert(StatusCode::OK);
    let a_id = r.body[0].as_str().unwrap().to_owned();

    // Both read paths: one statement by id, and a page of statements.
    for query in [format!("statementId={a_id}&"), String::new()] {
        let (ct, body) = with_attachments(&app, &client_a, &query).await;
        let parts = attachment_parts(&ct, &body);
        assert!(
            parts.iter().all(|(h, _)| *h != sha),
            "A received a part for B's hash ({query}): {parts:?}"
        );
        assert!(
            find(&body, secret.as_bytes()).is_none(),
            "B's bytes reached A ({query}): {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            find(&body, a_id.as_bytes()).is_some(),
            "A still gets its own statement"
        );
    }

    let (ct, body) = with_attachments(&app, &client_b, &format!("statementId={b_id}&")).await;
    assert_eq!(
        attachment_parts(&ct, &body),
        vec![(sha.clone(), secret.into_bytes())],
        "B still gets its own bytes"
    );
}

/// Bytes that do not compress, so a ZIP of them is as large as its contents and the archive's
/// compression-ratio check has nothing to say.
fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

/// A model package: `scene.gltf` referring to `scene.bin`; returns the ZIP and the sum of its
/// files' sizes (what unpacking it stores).
fn model_package(bin: &[u8]) -> (Vec<u8>, u64) {
    let gltf = json!({"asset": {"version": "2.0"},
        "buffers": [{"uri": "scene.bin", "byteLength": bin.len()}]})
    .to_string();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [("scene.gltf", gltf.as_bytes()), ("scene.bin", bin)] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    (zip, (gltf.len() + bin.len()) as u64)
}

fn rendition_bytes(asset: &Value) -> u64 {
    asset["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bytes"].as_u64().unwrap())
        .sum()
}

/// F7: the quota counts every stored blob (sources, renditions, a package's unpacked files),
/// and a package whose unpacked files would pass the quota fails before anything is unpacked.
/// Before the fix only sources counted and packages were unpacked unchecked.
async fn the_quota_counts_what_is_stored_and_checks_a_package_before_unpacking(backend: Backend) {
    const QUOTA: u64 = 1_000_000;
    let app = TestApp::spawn_with(backend, |s| {
        s.workers = 1;
        s.org_quota_bytes = Some(QUOTA);
    })
    .await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "quota-packages").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let wait = Duration::from_secs(60);

    let (first_zip, first_unpacked) = model_package(&random_bytes(300_000));
    let first = app
        .upload(&teacher, &first_zip, &[("filename", "first.zip")])
        .await;
    let first = app.wait_asset(Some(&teacher), &first, wait).await;
    assert_eq!(
        (first["status"].as_str(), first["kind"].as_str()),
        (Some("ready"), Some("model")),
        "{first}"
    );
    let first_stored = rendition_bytes(&first);
    assert_eq!(
        first_stored, first_unpacked,
        "a package's renditions are its unpacked files"
    );

    let stored = first_zip.len() as u64 + first_stored;

    // (b) Refused at creation: an upload that fits beside the sources alone (all the old count
    // saw) but not beside the first package's unpacked files too.
    let r = app
        .tus_create(
            &teacher,
            QUOTA - first_zip.len() as u64,
            &[("filename", "notes.pdf")],
        )
        .await;
    r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota-exceeded");

    // (a) The second package's source fits beside everything stored, so its upload is
    // accepted; unpacked it would not fit. Without the check it would end ready.
    let second_bin = random_bytes(300_000);
    let (second_zip, second_unpacked) = model_package(&second_bin);
    let second_len = second_zip.len() as u64;
    assert!(stored + second_len <= QUOTA, "the second upload must fit");
    assert!(
        stored + second_len + second_unpacked > QUOTA,
        "its unpacked files must not"
    );
    let second = app
        .upload(&teacher, &second_zip, &[("filename", "second.zip")])
        .await;
    let second = app.wait_asset(Some(&teacher), &second, wait).await;
    assert_eq!(second["status"], "failed", "{second}");
    assert_eq!(second["error"]["code"], "quota-exceeded", "{second}");
    assert_eq!(second["renditions"], json!([]), "{second}");
    assert!(second["model"].is_null(), "{second}");
    let bin_sha = sha256_hex(&second_bin);
    let bin_blob = app
        .store_dir
        .join("blobs")
        .join(&bin_sha[..2])
        .join(&bin_sha[2..4])
        .join(&bin_sha);
    assert!(
        !bin_blob.exists(),
        "the refused package was not unpacked into the store"
    );

    // The count is exact: the first package's source and files, each once, and nothing of the
    // refused package (a failed upload's unshared source is dropped with it).
    app.tus_create(&teacher, QUOTA - stored + 1, &[("filename", "notes.pdf")])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota-exceeded");
    app.tus_create(&teacher, QUOTA - stored, &[("filename", "notes.pdf")])
        .await
        .assert(StatusCode::CREATED);
}

/// The CSV's rows as column name → cell, checking that no cell could run as a formula.
async fn csv_rows(c: &Classroom, token: &str, path: &str) -> Vec<Vec<(String, String)>> {
    let r = c
        .app
        .http
        .get(c.app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let records = crate::reports::parse_csv(&r.bytes().await.unwrap());
    for cell in records.iter().flatten() {
        let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        assert!(
            !risky || cell.parse::<f64>().is_ok(),
            "{path}: the cell {cell:?} would run as a formula"
        );
    }
    let (head, rows) = records.split_first().expect("a header row");
    rows.iter()
        .map(|row| head.iter().cloned().zip(row.iter().cloned()).collect())
        .collect()
}

/// The cells of `numbers` in the row whose `column` is `value`.
fn row_of<'a>(
    rows: &'a [Vec<(String, String)>],
    column: &str,
    value: &str,
    numbers: &[&str],
) -> Vec<&'a str> {
    let row = rows
        .iter()
        .find(|r| r.iter().any(|(k, v)| k == column && v == value))
        .unwrap_or_else(|| panic!("no row with {column} = {value:?} in {rows:?}"));
    numbers
        .iter()
        .map(|n| {
            row.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no column {n} in {row:?}"))
        })
        .collect()
}

/// F9: text from teachers, admins and their outside certificates reaches three CSV exports;
/// a cell starting as a formula would is led by an apostrophe, and numbers stay numbers.
async fn exported_cells_cannot_run_as_formulas(backend: Backend) {
    let c = Classroom::new(backend).await;
    let title = r#"=HYPERLINK("http://evil.example","x")"#;
    c.app
        .patch(
            &format!("/api/v1/courses/{}", c.course),
            Some(&c.teacher),
            json!({"title": title}),
        )
        .await
        .assert(StatusCode::OK);
    completed(&c).await; // 2 credits, 1.5 h
    let email = c.app.email(&c.learner).await;
    let outside = ["+SUM(1,2)", "-1+cmd|' /C calc'!A0", "@SUM(A1:A2)"];
    for name in outside {
        c.app
            .post(
                &format!("/api/v1/orgs/{}/credentials", c.org),
                Some(&c.admin),
                json!({"learner_email": email,
                       "achievement": {"name": name, "hours": 40, "credits": 2.5}}),
            )
            .await
            .assert(StatusCode::CREATED);
    }
    let quoted = |s: &str| format!("'{s}");

    let transcript = csv_rows(&c, &c.learner, "/api/v1/me/transcript?format=csv").await;
    let export = csv_rows(
        &c,
        &c.admin,
        &format!("/api/v1/orgs/{}/credits:export?format=csv", c.org),
    )
    .await;
    for rows in [&transcript, &export] {
        assert_eq!(rows.len(), 1 + outside.len(), "{rows:?}");
        assert_eq!(
            row_of(rows, "achievement", &quoted(title), &["hours", "credits"]),
            ["1.5", "2"]
        );
        for name in outside {
            assert_eq!(
                row_of(rows, "achievement", &quoted(name), &["hours", "credits"]),
                ["40", "2.5"]
            );
        }
    }

    let report = csv_rows(
        &c,
        &c.admin,
        &format!(
            "/api/v1/reports/training?group_by=course&org_id={}&format=csv",
            c.org
        ),
    )
    .await;
    assert_eq!(
        row_of(
            &report,
            "course_title",
            &quoted(title),
            &[
                "enrolled",
                "completed",
                "learning_hours",
                "credits",
                "completion_rate"
            ]
        ),
        ["1", "1", "1.5", "2", "1"]
    );
}

both_backends!(
    an_attachment_is_found_only_by_the_tenant_that_sent_it,
    the_quota_counts_what_is_stored_and_checks_a_package_before_unpacking,
    exported_cells_cannot_run_as_formulas,
);
