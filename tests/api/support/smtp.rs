//! A real SMTP server for a test: Python's aiosmtpd (scripts/test installs it), delivering
//! into a Maildir of the test's own that the test reads.

use std::{
    net::TcpListener,
    path::PathBuf,
    time::{Duration, Instant},
};

pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    _child: tokio::process::Child,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("maildir");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting aiosmtpd: {e}; run scripts/test, which installs it")
            });
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {port}; is it installed (python3 -m pip install aiosmtpd)?"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            port,
            dir,
            _child: child,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn new_dir(&self) -> PathBuf {
        self.dir.path().join("mail").join("new")
    }

    /// The messages delivered to `to` (raw, headers and body), waiting up to 10 s for `count`.
    pub async fn messages_to(&self, to: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(self.new_dir())
                .map(|entries| {
                    entries
                        .flatten()
                        .filter_map(|e| {
                            let text = std::fs::read_to_string(e.path()).ok()?;
                            let modified = e.metadata().ok()?.modified().ok()?;
                            text.lines()
                                .any(|l| l.eq_ignore_ascii_case(&format!("X-RcptTo: {to}")))
                                .then_some((modified, text))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if found.len() >= count || Instant::now() > deadline {
                found.sort_by_key(|(t, _)| *t);
                return found.into_iter().map(|(_, m)| m).collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A message's body as its reader sees it: base64 or quoted-printable (soft line breaks and
/// `=XX`) undone.
pub fn body(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .expect("a base64 body");
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    if !head.contains("content-transfer-encoding: quoted-printable") {
        return body.to_owned();
    }
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
