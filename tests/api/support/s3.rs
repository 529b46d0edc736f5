//! A real S3-protocol server (s3s-fs) for the tests, started once per test binary.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

pub struct S3Server {
    pub endpoint: String,
    _child: ChildGuard,
    /// Held open for the life of the test process; its end-of-file stops the server.
    _lifeline: std::process::ChildStdin,
    _dir: tempfile::TempDir,
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub const ACCESS_KEY: &str = "caravan-test";
pub const SECRET_KEY: &str = "caravan-test-secret";

impl S3Server {
    /// The shared server; panics with a clear message when s3s-fs is not installed.
    pub fn shared() -> &'static S3Server {
        static SERVER: OnceLock<S3Server> = OnceLock::new();
        SERVER.get_or_init(Self::start)
    }

    fn start() -> Self {
        let dir = tempfile::tempdir().expect("s3 dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = which_s3s_fs();
        // The server lives in a static that is never dropped, so a small shell keeps it on a
        // lifeline: when the test process exits, its stdin closes and the shell stops s3s-fs.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" "$@" & server=$!; read -r _; kill "$server""#)
            .arg(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {bin}: {e}; run scripts/test, which installs s3s-fs")
            });
        let lifeline = child.stdin.take().expect("piped stdin");
        let guard = ChildGuard(child);
        // Readiness is a successful TCP connect; the retry loop is bounded.
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start listening");
            std::thread::yield_now();
        }
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: guard,
            _lifeline: lifeline,
            _dir: dir,
        }
    }

    /// Creates a bucket (s3s-fs maps buckets to folders).
    pub fn bucket(&self, name: &str) -> String {
        std::fs::create_dir_all(self._dir.path().join(name)).expect("bucket dir");
        name.to_owned()
    }

    /// Points `settings` at a new bucket `name` on this server, objects under `prefix`.
    pub fn store_in(&self, settings: &mut caravan::Settings, name: &str, prefix: &str) {
        settings.store = caravan::StoreLocation::S3 {
            bucket: self.bucket(name),
            prefix: prefix.into(),
        };
        settings.s3 = self.options();
    }

    /// Settings for a store in `bucket` on this server.
    pub fn options(&self) -> caravan::config::S3Options {
        caravan::config::S3Options {
            endpoint: Some(self.endpoint.clone()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(caravan::config::Secret::new(SECRET_KEY.into())),
            region: Some("us-east-1".into()),
            allow_http: Some(true),
        }
    }
}

fn which_s3s_fs() -> String {
    if let Ok(p) = std::env::var("CARAVAN_TEST_S3S_FS") {
        return p;
    }
    let home_bin = std::env::var("HOME")
        .map(|h| format!("{h}/.cargo/bin/s3s-fs"))
        .unwrap_or_default();
    if std::path::Path::new(&home_bin).exists() {
        home_bin
    } else {
        "s3s-fs".to_owned()
    }
}
