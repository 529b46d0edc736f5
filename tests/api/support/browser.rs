//! Browser tests: Debian's Chromium, headless at phone size (360×740, scale 2, touch), driven by
//! Playwright through the server's own pages (`tests/clients/browser/run.mjs` and its
//! `scenarios/`). Screenshots are kept in `target/screenshots/` as `<scenario>-<step>.png`.
//!
//! ```ignore
//! let outcome = browser::run(&app.base, &["verify"], None, Some(&json!({"credential": doc}))).await;
//! assert!(outcome.ok, "{}", outcome.failures());
//! ```
//!
//! Needs Node.js, `npm ci --prefix tests/clients` and `/usr/bin/chromium` (or `CARAVAN_CHROMIUM`);
//! scripts/test installs them.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use serde_json::Value;

pub struct Outcome {
    /// Every scenario passed.
    pub ok: bool,
    /// The runner's report: `{"ok", "error"?, "scenarios": [{"name", "ok", "error"?,
    /// "screenshots": [paths], "console_errors": [...]}]}`.
    pub report: Value,
}

impl Outcome {
    /// What failed, with the screenshots to look at: for assertion messages.
    pub fn failures(&self) -> String {
        let mut lines = Vec::new();
        if let Some(error) = self.report["error"].as_str() {
            lines.push(format!("runner: {error}"));
        }
        for s in self.report["scenarios"].as_array().into_iter().flatten() {
            if s["ok"] == true {
                continue;
            }
            lines.push(format!(
                "{}: {} (screenshots: {}; console errors: {})",
                s["name"].as_str().unwrap_or("?"),
                s["error"].as_str().unwrap_or("failed"),
                s["screenshots"],
                s["console_errors"],
            ));
        }
        if lines.is_empty() {
            "all scenarios passed".to_owned()
        } else {
            lines.join("\n")
        }
    }
}

/// Where the screenshots are kept.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// Runs the named scenarios of `tests/clients/browser/scenarios/` against the server at `base`
/// in one headless Chromium. `login` is a learner's e-mail and password; `input` is handed to
/// the scenarios as `ctx.input`. Panics when the runner could not run (no node, no
/// playwright-core, an unknown scenario) or printed no report; a scenario that fails (or a
/// browser that cannot start) comes back as `ok: false`.
pub async fn run(
    base: &str,
    scenarios: &[&str],
    login: Option<(&str, &str)>,
    input: Option<&Value>,
) -> Outcome {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/clients/browser/run.mjs");
    let input_file = input.map(|value| {
        let mut file = tempfile::Builder::new()
            .prefix("caravan-browser-input-")
            .suffix(".json")
            .tempfile()
            .expect("temp file for the scenario input");
        serde_json::to_writer(&mut file, value).unwrap();
        file.flush().unwrap();
        file
    });

    let mut command = tokio::process::Command::new("node");
    command
        .arg(&script)
        .args(scenarios)
        .env("CARAVAN_URL", base)
        .env("SCREENSHOT_DIR", screenshot_dir())
        .env_remove("CARAVAN_EMAIL")
        .env_remove("CARAVAN_PASSWORD")
        .env_remove("CARAVAN_INPUT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some((email, password)) = login {
        command
            .env("CARAVAN_EMAIL", email)
            .env("CARAVAN_PASSWORD", password);
    }
    if let Some(file) = &input_file {
        command.env("CARAVAN_INPUT", file.path());
    }
    let child = command.spawn().unwrap_or_else(|e| {
        panic!(
            "node {}: {e} (scripts/test installs Node.js and runs npm ci --prefix tests/clients)",
            script.display()
        )
    });

    // Each scenario has 60 s in the runner unless it allows itself more (up to 240 s, for the
    // ones that wait on transcoding); the browser's start and stop take a few more. This only
    // catches a runner that hangs.
    let limit = Duration::from_secs(240 + 65 * scenarios.len() as u64);
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!("browser scenarios {scenarios:?} did not finish within {limit:?}")
        })
        .expect("waiting for node");
    drop(input_file);

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        // Shown by the test harness when the test fails.
        eprintln!("browser run.mjs stderr:\n{stderr}");
    }
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|line| {
            serde_json::from_str::<Value>(line.trim())
                .ok()
                .filter(Value::is_object)
        })
        .unwrap_or_else(|| {
            panic!(
                "run.mjs {scenarios:?} printed no report ({}); stdout: {stdout}; stderr: {stderr}",
                out.status
            )
        });
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "run.mjs {scenarios:?} could not run ({}): {}; stderr: {stderr}",
        out.status,
        report["error"].as_str().unwrap_or(&report.to_string()),
    );
    let ok = report["ok"] == true;
    assert_eq!(
        ok,
        code == Some(0),
        "run.mjs exit code {code:?} disagrees with its report {report}"
    );
    Outcome { ok, report }
}
