//! Standard tus clients (Python tuspy, JavaScript tus-js-client) against the real server.
//!
//! The clients run unmodified from `tests/clients/` (`tus_upload.mjs`, `tus_upload.py`), as
//! separate processes talking HTTP to the server on its ephemeral port. `scripts/test` installs
//! them; a missing client fails these tests rather than skipping them.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::support::{Backend, TestApp};

const MIB: usize = 1 << 20;
/// How long one client run may take before it is killed and the test fails.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// A small valid PDF padded with comment lines to about `size` bytes, so uploading it in 1 MiB
/// chunks takes several requests. `%%EOF` ends it, as the document check wants.
fn sample_pdf(label: &str, size: usize) -> Vec<u8> {
    let mut pdf = Vec::with_capacity(size + 1024);
    pdf.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_owned(),
    ];
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    // Comment lines of hashed text: varied bytes, different for every label.
    let mut line = 0u64;
    while pdf.len() < size {
        let digest = Sha256::digest(format!("{label}:{line}").as_bytes());
        pdf.extend_from_slice(format!("% {label} {line} {}\n", hex::encode(digest)).as_bytes());
        line += 1;
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// What a client script prints on success.
#[derive(Debug)]
struct Uploaded {
    upload_url: String,
    asset_id: String,
    resumed_from: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
enum Client {
    Js,
    Python,
}

impl Client {
    /// Fails (never skips) when the client is not installed.
    fn require_installed(self) {
        let hint =
            "run scripts/test, which installs the tus clients (tests/clients/node_modules via \
                    npm ci, and tuspy via pip)";
        match self {
            Client::Js => {
                let node = Command::new("node").arg("--version").output();
                assert!(
                    node.as_ref().is_ok_and(|o| o.status.success()),
                    "Node.js is not installed ({node:?}): {hint}"
                );
                let package = clients_dir().join("node_modules/tus-js-client/package.json");
                assert!(
                    package.exists(),
                    "tus-js-client is not installed ({} is missing): {hint}",
                    package.display()
                );
            }
            Client::Python => {
                let import = Command::new("python3")
                    .args(["-c", "import tusclient"])
                    .output();
                assert!(
                    import.as_ref().is_ok_and(|o| o.status.success()),
                    "the Python tus client tuspy is not installed ({import:?}): {hint}"
                );
            }
        }
    }

    fn command(
        self,
        endpoint: &str,
        token: &str,
        file: &Path,
        chunk_size: Option<usize>,
        extra: &[String],
    ) -> Command {
        let mut cmd = match self {
            Client::Js => {
                let mut c = Command::new("node");
                c.arg("tests/clients/tus_upload.mjs");
                c
            }
            Client::Python => {
                let mut c = Command::new("python3");
                c.arg("tests/clients/tus_upload.py");
                c
            }
        };
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
        match self {
            // Options first, then `--`: a token may begin with "-", which either client would
            // otherwise take for an option.
            Client::Js => {
                cmd.args(extra).arg("--").arg(endpoint).arg(token).arg(file);
                if let Some(n) = chunk_size {
                    cmd.arg(n.to_string());
                }
            }
            Client::Python => {
                if let Some(n) = chunk_size {
                    cmd.args(["--chunk-size", &n.to_string()]);
                }
                cmd.args(extra).arg("--").arg(endpoint).arg(token).arg(file);
            }
        }
        cmd
    }
}

/// Runs a client to completion (killing it after `CLIENT_TIMEOUT`) and parses its JSON line.
fn run(client: Client, mut cmd: Command, scratch: &Path) -> Uploaded {
    let out_path = scratch.join("client.stdout");
    let err_path = scratch.join("client.stderr");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start the {client:?} tus client ({e}): run scripts/test")
        });
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the client") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!(
            "the {client:?} client ran over {CLIENT_TIMEOUT:?}\nstdout: {stdout}\nstderr: {stderr}"
        )
    });
    assert!(
        status.success(),
        "the {client:?} tus client failed ({status}); if it is not installed, run scripts/test\n\
         stdout: {stdout}\nstderr: {stderr}"
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| {
            panic!("no JSON line from the {client:?} client\nstdout: {stdout}\nstderr: {stderr}")
        });
    let json: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("bad JSON from the {client:?} client ({e}): {line}"));
    Uploaded {
        upload_url: json["upload_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no upload_url in {line}"))
            .to_owned(),
        asset_id: json["asset_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no asset_id in {line}"))
            .to_owned(),
        resumed_from: json["resumed_from"].as_u64(),
    }
}

fn interrupt_after(bytes: usize) -> Vec<String> {
    vec!["--interrupt-after".into(), bytes.to_string()]
}

/// A TCP proxy to `upstream` that cuts the first connection to pass `cut_after` bytes towards
/// the server, mid-request: the client sees its connection drop, the server a body that ends
/// early. Later connections pass untouched.
async fn cutting_proxy(upstream: SocketAddr, cut_after: u64) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
    let addr = listener.local_addr().expect("proxy address");
    let cut = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let cut = cut.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let down = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                });
                let mut sent = 0u64;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match from_client.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if sent + n as u64 > cut_after && !cut.swap(true, Ordering::SeqCst) {
                        let keep = (cut_after - sent) as usize;
                        let _ = to_server.write_all(&buf[..keep]).await;
                        // Dropping every half closes both connections.
                        down.abort();
                        return;
                    }
                    if to_server.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n as u64;
                }
                let _ = to_server.shutdown().await;
                let _ = down.await;
            });
        }
    });
    addr
}

/// A teacher of a fresh organisation (their only one, so uploads need no `org_id`).
async fn teacher(app: &TestApp) -> String {
    let root = app.superadmin().await;
    let org = app.create_org(&root, "tus-clients").await;
    app.member(&root, &org, "teacher").await
}

/// Waits for the asset's processing job. The job runs in the background after the last byte
/// arrives and nothing signals its end to a client but the asset's status, so this polls —
/// bounded, every 100 ms for at most 30 s.
async fn wait_until_ready(app: &TestApp, token: &str, asset_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app
            .get(&format!("/api/v1/assets/{asset_id}"), Some(token))
            .await;
        r.assert(StatusCode::OK);
        match r.body["status"].as_str() {
            Some("ready") => return r.body.clone(),
            Some("failed") => panic!("processing failed: {}", r.text),
            Some("queued" | "processing") => {}
            other => panic!("unexpected asset status {other:?}: {}", r.text),
        }
        assert!(
            Instant::now() < deadline,
            "asset {asset_id} not ready after 30 s: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Uploads a ~3 MiB PDF with `client` (given `extra` arguments) and checks the stored
/// original is exactly the file.
async fn upload_and_verify(
    backend: Backend,
    client: Client,
    chunk_size: Option<usize>,
    extra: &[String],
) -> Uploaded {
    upload_and_verify_with(backend, client, chunk_size, extra, None).await
}

/// [`upload_and_verify`], optionally through a proxy that drops the client's first connection
/// after `cut_after` bytes.
async fn upload_and_verify_with(
    backend: Backend,
    client: Client,
    chunk_size: Option<usize>,
    extra: &[String],
    cut_after: Option<u64>,
) -> Uploaded {
    client.require_installed();
    let app = TestApp::spawn(backend).await;
    let token = teacher(&app).await;
    let scratch = tempfile::tempdir().expect("temp dir");
    let file = scratch.path().join("lecture-notes.pdf");
    let bytes = sample_pdf(&format!("{client:?}-{chunk_size:?}"), 3 * MIB + 12_345);
    std::fs::write(&file, &bytes).expect("write the sample");
    let sha = hex::encode(Sha256::digest(&bytes));

    let base = match cut_after {
        Some(n) => format!("http://{}", cutting_proxy(app.addr, n).await),
        None => app.base.clone(),
    };
    let endpoint = format!("{base}/api/v1/uploads");
    let cmd = client.command(&endpoint, &token, &file, chunk_size, extra);
    let dir = scratch.path().to_owned();
    let uploaded = tokio::task::spawn_blocking(move || run(client, cmd, &dir))
        .await
        .expect("client thread");

    assert!(
        uploaded.upload_url.starts_with(&format!("{endpoint}/")),
        "upload URL {} is not under {endpoint}/",
        uploaded.upload_url
    );
    let asset = wait_until_ready(&app, &token, &uploaded.asset_id).await;
    assert_eq!(asset["id"], uploaded.asset_id.as_str());
    assert_eq!(asset["kind"], "document", "{asset}");
    assert_eq!(asset["filename"], "lecture-notes.pdf", "{asset}");
    let renditions = asset["renditions"].as_array().expect("renditions");
    let original = renditions
        .iter()
        .find(|r| r["role"] == "original")
        .unwrap_or_else(|| panic!("no original rendition: {asset}"));
    assert_eq!(original["sha256"], sha.as_str(), "the stored bytes differ");

    let media = app
        .http
        .get(app.url(&format!("/media/{sha}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("media request");
    assert_eq!(media.status(), StatusCode::OK);
    let served = media.bytes().await.expect("media body");
    assert!(
        served.as_ref() == bytes.as_slice(),
        "GET /media/{sha} served {} bytes that differ from the {} uploaded",
        served.len(),
        bytes.len()
    );
    uploaded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_uploads_a_whole_file() {
    let uploaded = upload_and_verify(Backend::Sqlite, Client::Js, None, &[]).await;
    assert_eq!(uploaded.resumed_from, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_resumes_a_chunked_upload_after_abort() {
    // Aborted once 1 MiB + 1 is acknowledged, i.e. after the second 1 MiB chunk.
    let uploaded = upload_and_verify(
        Backend::Sqlite,
        Client::Js,
        Some(MIB),
        &interrupt_after(MIB + 1),
    )
    .await;
    assert_eq!(
        uploaded.resumed_from,
        Some(2 * MIB as u64),
        "the new upload must resume from the server's offset"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_resumes_a_chunked_upload_after_stopping() {
    // upload(stop_at=1 MiB + 1) sends 1 MiB, then the single byte left to reach stop_at, so the
    // resume point is not on a chunk boundary.
    let uploaded = upload_and_verify(
        Backend::Sqlite,
        Client::Python,
        Some(MIB),
        &interrupt_after(MIB + 1),
    )
    .await;
    assert_eq!(
        uploaded.resumed_from,
        Some(MIB as u64 + 1),
        "the new uploader must resume from the server's offset"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_uploads_a_whole_file_on_postgres() {
    let uploaded = upload_and_verify(Backend::Postgres, Client::Python, None, &[]).await;
    assert_eq!(uploaded.resumed_from, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_retries_after_the_connection_drops_mid_request() {
    // One PATCH for the whole file through a proxy that cuts the connection after 1.5 MiB: the
    // client's own retry asks for the offset and sends the rest.
    let uploaded = upload_and_verify_with(
        Backend::Sqlite,
        Client::Js,
        None,
        &[],
        Some((MIB + MIB / 2) as u64),
    )
    .await;
    let resumed = uploaded
        .resumed_from
        .expect("the client never asked for the offset after the drop");
    assert!(
        resumed < (MIB + MIB / 2) as u64,
        "resumed from {resumed}, past the bytes sent before the drop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_with_sha1_checksums() {
    // tuspy always sends `Upload-Checksum: sha1 …`, the algorithm tus requires servers to support.
    let uploaded = upload_and_verify(
        Backend::Sqlite,
        Client::Python,
        Some(MIB),
        &["--checksum".to_owned()],
    )
    .await;
    assert_eq!(uploaded.resumed_from, None);
}
