//! The `caravan` binary as an operator uses it: migrate, bootstrap a superadmin, serve.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::json;

fn caravan(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CARAVAN_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("caravan binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_fresh_install_bootstraps_a_superadmin_from_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = caravan(dir.path(), &["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("caravan.db").exists(),
        "the default database is a SQLite file in the working directory"
    );

    let out = caravan(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "Admin@Example.org",
            "--role",
            "superadmin",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = caravan(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "admin@example.org",
            "--role",
            "superadmin",
            "--password-stdin",
        ],
        Some("another password\n"),
    );
    assert!(!out.status.success(), "duplicate e-mail must fail");
    let out = caravan(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "t@example.org",
            "--role",
            "teacher",
            "--password-stdin",
        ],
        Some("password-123\n"),
    );
    assert!(!out.status.success(), "a teacher needs --org");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--org"));

    let url = format!("sqlite://{}", dir.path().join("caravan.db").display());
    let mut settings =
        caravan::Settings::new(url, caravan::StoreLocation::Local(dir.path().join("media")));
    settings.bind = ([127, 0, 0, 1], 0).into();
    let app = caravan::Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@example.org", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["user"]["is_superadmin"], true);
    server.abort();
}

#[test]
fn configuration_layers_and_secrets_stay_out_of_logs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("caravan.toml"),
        "database_url = \"postgres://caravan:hunter2@127.0.0.1:1/none\"\n",
    )
    .unwrap();
    // The flag beats the file: this migrates a SQLite file, never touching the unreachable PostgreSQL.
    let out = caravan(
        dir.path(),
        &[
            "--config",
            "caravan.toml",
            "--database-url",
            "sqlite://flag.db",
            "migrate",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("flag.db").exists());
    // Without the flag the file's URL is used; the failure names no password.
    let out = caravan(dir.path(), &["--config", "caravan.toml", "migrate"], None);
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("hunter2"), "{all}");
}
