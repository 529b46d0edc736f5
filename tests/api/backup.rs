//! `caravan backup` while learners write, then `caravan restore` into a new folder: every
//! statement acknowledged before the backup, every blob, the credentials and the secret that
//! unseals the signing keys come back.

use std::{path::Path, process::Output};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    course::Classroom, lrs::Auth, media::pdf, media::sha256_hex, Backend, TestApp,
};

const SECRET: &str = "a-backup-test-secret-of-forty-characters!";

async fn caravan(envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_caravan"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CARAVAN_SECRET_KEY")
        .env("CARAVAN_SEED_DEMO", "false")
        .env("RUST_LOG", "warn");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().await.expect("caravan runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_learners_write_restores_everything() {
    let c = Classroom::with_settings(Backend::Sqlite, |s| {
        s.secret_key = caravan::config::Secret::new(SECRET.as_bytes().to_vec());
    })
    .await;
    let credential = crate::credentials::completed(&c).await;
    let handout = pdf(50_000);
    c.app
        .upload(&c.teacher, &handout, &[("filename", "handout.pdf")])
        .await;
    let unit = c.unit("document", "Notes", false).await;
    let mut before = Vec::new();
    for i in 0..30 {
        let id = uuid::Uuid::new_v4().to_string();
        let mut s = c.statement(
            "http://adlnet.gov/expapi/verbs/experienced",
            &unit,
            json!({"https://caravan.test/n": i}),
        );
        s["id"] = json!(id);
        c.send(json!([s])).await.assert(StatusCode::OK);
        before.push(id);
    }

    // Learners keep writing while the backup runs.
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let writer = {
        let (http, url) = (c.app.http.clone(), c.app.url("/xapi/statements"));
        let (actor, object) = (c.app.learner_agent(&c.learner_id), c.unit_iri(&unit));
        let token = c.learner.clone();
        tokio::spawn(async move {
            let mut sent = 0;
            while !*stopped.borrow_and_update() {
                let s = json!({"actor": actor,
                               "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                               "object": {"id": object}});
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("X-Experience-API-Version", "1.0.3")
                    .json(&json!([s]))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                sent += 1;
            }
            sent
        })
    };
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("backup");
    let live = [
        ("CARAVAN_DATABASE_URL", c.app.database_url.as_str()),
        ("CARAVAN_STORE", c.app.store_dir.to_str().unwrap()),
        ("CARAVAN_SECRET_KEY", SECRET),
    ];
    let said = ok(&caravan(&live, &["backup", out.to_str().unwrap()]).await);
    stop.send(true).unwrap();
    let during = writer.await.unwrap();
    assert!(said.contains("blobs"), "{said}");
    // Again into the same folder: nothing new to copy but what was written meanwhile.
    let again = ok(&caravan(&live, &["backup", out.to_str().unwrap()]).await);
    assert!(again.contains("(0 copied now"), "{again}");
    assert!(during > 0, "the writer ran during the backup");

    // Restore into a new folder; the server on it needs nothing else.
    let new = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", new.path().join("caravan.db").display());
    let store = new.path().join("media");
    let target = [
        ("CARAVAN_DATABASE_URL", db.as_str()),
        ("CARAVAN_STORE", store.to_str().unwrap()),
    ];
    ok(&caravan(&target, &["restore", out.to_str().unwrap()]).await);
    let refused = caravan(&target, &["restore", out.to_str().unwrap()]).await;
    assert!(
        !refused.status.success(),
        "a restore never overwrites a database"
    );

    let secret = std::fs::read(new.path().join("caravan.secret")).unwrap();
    assert_eq!(secret, SECRET.as_bytes());
    let restored = TestApp::spawn_on(
        db.clone(),
        caravan::StoreLocation::Local(store.clone()),
        |s| {
            s.secret_key = caravan::config::Secret::new(secret);
            s.workers = 0;
        },
    )
    .await;
    for id in &before {
        let r = restored
            .xapi(
                Method::GET,
                &format!("/xapi/statements?statementId={id}"),
                &Auth::Bearer(c.learner.clone()),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "statement {id} was acknowledged before the backup"
        );
    }
    // The credential still verifies, and the organisation can still sign: its key unseals.
    let v = restored
        .post(
            "/api/v1/credentials/verify",
            None,
            credential["credential"].clone(),
        )
        .await;
    assert_eq!(v.body["verified"], true, "{}", v.text);
    let email = c.app.email(&c.learner).await;
    restored
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": email, "achievement": {"name": "First aid", "hours": 8, "credits": 0.5}}),
        )
        .await
        .assert(StatusCode::CREATED);
    // Every blob is there, byte for byte.
    let blob = |root: &Path, sha: &str| {
        root.join("blobs")
            .join(&sha[..2])
            .join(&sha[2..4])
            .join(sha)
    };
    let sha = sha256_hex(&handout);
    assert_eq!(std::fs::read(blob(&store, &sha)).unwrap(), handout);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for b in manifest["blobs"].as_array().unwrap() {
        let sha = b["sha256"].as_str().unwrap();
        let bytes = std::fs::read(blob(&store, sha)).unwrap();
        assert_eq!(sha256_hex(&bytes), sha);
    }
}
