//! `kill -9` of the real binary: uploads resume byte-identical, interrupted jobs run again.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::media::{av_clip, metadata, pdf, sha256_hex};

pub(crate) struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `caravan serve` on `dir`'s database and store and waits until it answers.
    pub async fn start(dir: &Path) -> Self {
        Self::start_on(dir, &sqlite_url(dir)).await
    }

    /// The same on another database (e.g. PostgreSQL).
    pub async fn start_on(dir: &Path, database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.join("caravan.toml"),
            "job_lease_secs = 3\nffmpeg_preset = \"ultrafast\"\n",
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_caravan"))
            .current_dir(dir)
            .args([
                "--config",
                "caravan.toml",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "serve",
            ])
            .env("CARAVAN_DATABASE_URL", database_url)
            .env("CARAVAN_STORE", dir.join("media"))
            .env("CARAVAN_SEED_DEMO", "false")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caravan starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // Readiness is the first answer to /healthz; bounded.
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, base }
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("caravan.db").display())
}

pub(crate) fn superadmin(dir: &Path) {
    superadmin_on(dir, &sqlite_url(dir));
}

pub(crate) fn superadmin_on(dir: &Path, database_url: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .current_dir(dir)
        .args([
            "user",
            "create",
            "--email",
            "root@example.org",
            "--role",
            "superadmin",
            "--password-stdin",
        ])
        .env("CARAVAN_DATABASE_URL", database_url)
        .env("CARAVAN_STORE", dir.join("media"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"root-password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
}

pub(crate) async fn login_and_org(base: &str) -> (String, String) {
    let http = reqwest::Client::new();
    let r: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "root@example.org", "password": "root-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["token"].as_str().unwrap().to_owned();
    let org: serde_json::Value = http
        .post(format!("{base}/api/v1/orgs"))
        .bearer_auth(&token)
        .json(&json!({"name": "Crash College", "slug": "crash"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (token, org["id"].as_str().unwrap().to_owned())
}

fn patch(http: &reqwest::Client, url: &str, token: &str, offset: usize) -> reqwest::RequestBuilder {
    http.patch(url)
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset.to_string())
        .header("content-type", "application/offset+octet-stream")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_survives_kill_9_and_resumes_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    superadmin(dir.path());
    let server = Server::start(dir.path()).await;
    let (token, org) = login_and_org(&server.base).await;
    let http = reqwest::Client::new();
    let file = pdf(8 << 20);
    let created = http
        .post(format!("{}/api/v1/uploads", server.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", file.len().to_string())
        .header(
            "upload-metadata",
            metadata(&[("filename", "big.pdf"), ("org_id", &org)]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let path = created.headers()["location"].to_str().unwrap().to_owned();
    let url = format!("{}{path}", server.base);
    let acknowledged = 3 << 20;
    let r = patch(&http, &url, &token, 0)
        .body(file[..acknowledged].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // The next PATCH is still streaming when the server is killed.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let sending = tokio::spawn(patch(&http, &url, &token, acknowledged).body(body).send());
    tx.send(Ok(file[acknowledged..acknowledged + (1 << 20)].to_vec()))
        .await
        .unwrap();
    tx.send(Ok(
        file[acknowledged + (1 << 20)..acknowledged + (2 << 20)].to_vec()
    ))
    .await
    .unwrap();
    server.kill9();
    drop(tx);
    let _ = sending.await;

    let server = Server::start(dir.path()).await;
    let url = format!("{}{path}", server.base);
    let head = http
        .head(&url)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let offset: usize = head.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        offset >= acknowledged,
        "the acknowledged offset survives: {offset}"
    );
    let done = patch(&http, &url, &token, offset)
        .body(file[offset..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let asset = done.headers()["caravan-asset-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = wait_ready(&http, &server.base, &token, &asset).await;
    assert_eq!(body["renditions"][0]["sha256"], sha256_hex(&file));
    let served = http
        .get(format!(
            "{}{}",
            server.base,
            body["renditions"][0]["url"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert!(
        served.bytes().await.unwrap() == file,
        "byte-identical after the crash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcode_interrupted_by_kill_9_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    superadmin(dir.path());
    let server = Server::start(dir.path()).await;
    let (token, org) = login_and_org(&server.base).await;
    let http = reqwest::Client::new();
    let clip = av_clip(dir.path(), "lecture.mp4", "1280x720", 6);
    let created = http
        .post(format!("{}/api/v1/uploads", server.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", clip.len().to_string())
        .header(
            "upload-metadata",
            metadata(&[("filename", "lecture.mp4"), ("org_id", &org)]),
        )
        .header("content-type", "application/offset+octet-stream")
        .body(clip.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let asset = created.headers()["caravan-asset-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // Kill as soon as the worker has started on it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let a: serde_json::Value = http
            .get(format!("{}/api/v1/assets/{asset}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if a["status"] == "processing" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "processing never started: {a}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();
    let server = Server::start(dir.path()).await;
    let body = wait_ready(&http, &server.base, &token, &asset).await;
    assert_eq!(body["status"], "ready", "{body}");
    assert!(body["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "video-720"));
    let db = caravan::db::Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("caravan.db").display()
    ))
    .await
    .unwrap();
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        attempts, 2,
        "the killed attempt counted, and the job ran again"
    );
}

async fn wait_ready(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    asset: &str,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let a: serde_json::Value = http
            .get(format!("{base}/api/v1/assets/{asset}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if a["status"] == "ready" || a["status"] == "failed" {
            return a;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "asset never finished: {a}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
