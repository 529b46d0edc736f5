//! The durable job queue: leases, retries with backoff, two nodes, waiting for ffmpeg.

use std::time::Duration;

use caravan::{db::Db, jobs};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{media::pdf, Backend, S3Server, TestApp},
};

async fn retries_back_off_and_stop_at_the_maximum(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 0).await;
    let db = Db::connect(&app.database_url).await.unwrap();
    let id = jobs::enqueue(&db.pool, "noop", &json!({}), 2)
        .await
        .unwrap();
    let lease = Duration::from_secs(30);

    let job = jobs::claim(&db, "node-a", lease)
        .await
        .unwrap()
        .expect("a queued job is claimed");
    assert_eq!((job.id.as_str(), job.attempts), (id.as_str(), 1));
    assert!(
        jobs::claim(&db, "node-b", lease).await.unwrap().is_none(),
        "a leased job is nobody else's"
    );
    assert!(
        !jobs::heartbeat(&db, &id, "node-b", lease, 10)
            .await
            .unwrap(),
        "only the owner heartbeats"
    );
    assert!(jobs::heartbeat(&db, &id, "node-a", lease, 10)
        .await
        .unwrap());

    assert_eq!(
        jobs::fail(&db, &job, "node-a", "store hiccup", true)
            .await
            .unwrap(),
        "queued"
    );
    assert!(
        jobs::claim(&db, "node-a", lease).await.unwrap().is_none(),
        "backoff: not due yet"
    );
    let run_after: i64 = sqlx::query_scalar("SELECT run_after FROM jobs WHERE id = $1")
        .bind(&id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let wait = run_after - caravan::db::time::now_ms();
    assert!(
        (3_000..=4_100).contains(&wait),
        "first retry after ~4 s, got {wait} ms"
    );
    sqlx::query("UPDATE jobs SET run_after = 0 WHERE id = $1")
        .bind(&id)
        .execute(&db.pool)
        .await
        .unwrap();

    let job = jobs::claim(&db, "node-b", lease)
        .await
        .unwrap()
        .expect("due again");
    assert_eq!(job.attempts, 2);
    assert!(
        !jobs::succeed(&db, &id, "node-a").await.unwrap(),
        "a former owner cannot finish it"
    );
    assert_eq!(
        jobs::fail(&db, &job, "node-b", "still broken", true)
            .await
            .unwrap(),
        "failed",
        "no attempts left"
    );
    let status = jobs::status(&db, &id).await.unwrap().unwrap();
    assert_eq!(
        (status.status.as_str(), status.last_error.as_deref()),
        ("failed", Some("still broken"))
    );
}

async fn a_dead_workers_job_is_taken_over_after_its_lease(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.workers = 0;
        s.job_poll = Duration::from_millis(50);
    })
    .await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "lease").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let asset = app
        .upload(&teacher, &pdf(50_000), &[("filename", "notes.pdf")])
        .await;
    let db = Db::connect(&app.database_url).await.unwrap();
    // A node claims the job and dies: no heartbeat, no result.
    let claimed = jobs::claim(&db, "node-that-dies", Duration::from_millis(300))
        .await
        .unwrap()
        .expect("job claimed");
    assert_eq!(claimed.kind, "process-asset");
    assert!(jobs::claim(&db, "another", Duration::from_secs(30))
        .await
        .unwrap()
        .is_none());

    // A second node with workers takes it over once the lease runs out.
    let url = app.database_url.clone();
    let store = app.store_dir.clone();
    let second = TestApp::spawn_on(url, caravan::StoreLocation::Local(store), |s| {
        s.job_poll = Duration::from_millis(50)
    })
    .await;
    let done = second
        .wait_asset(Some(&teacher), &asset, Duration::from_secs(30))
        .await;
    assert_eq!(done["status"], "ready", "{done}");
    let job = settled_jobs(&db)
        .await
        .into_iter()
        .find(|j| j.0 == claimed.id)
        .map(|j| (j.1, j.2))
        .unwrap();
    assert_eq!(job, ("succeeded".to_owned(), 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_postgres_and_s3_process_each_job_once() {
    let s3 = S3Server::shared();
    let bucket = s3.bucket("two-nodes");
    let options = s3.options();
    let location = caravan::StoreLocation::S3 {
        bucket,
        prefix: "shared".into(),
    };
    let (loc, opts) = (location.clone(), options.clone());
    let a = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.store = loc;
        s.s3 = opts;
        s.workers = 2;
        s.job_poll = Duration::from_millis(20);
    })
    .await;
    let b = TestApp::spawn_on(a.database_url.clone(), location, move |s| {
        s.s3 = options;
        s.workers = 2;
        s.job_poll = Duration::from_millis(20);
    })
    .await;
    let root = a.superadmin().await;
    let org = a.create_org(&root, "two-nodes").await;
    let teacher = a.member(&root, &org, "teacher").await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let node = if i % 2 == 0 { &a } else { &b };
        ids.push(
            node.upload(&teacher, &pdf(20_000 + i * 1000), &[("filename", "n.pdf")])
                .await,
        );
    }
    for id in &ids {
        let asset = a
            .wait_asset(Some(&teacher), id, Duration::from_secs(60))
            .await;
        assert_eq!(asset["status"], "ready", "{asset}");
    }
    let db = Db::connect(&a.database_url).await.unwrap();
    let rows: Vec<(String, i64)> = settled_jobs(&db)
        .await
        .into_iter()
        .map(|j| (j.1, j.2))
        .collect();
    assert_eq!(rows.len(), 8);
    assert!(
        rows.iter().all(|r| r == &("succeeded".to_owned(), 1)),
        "each job ran exactly once: {rows:?}"
    );
    // Both nodes serve what either stored.
    let asset = b
        .get(&format!("/api/v1/assets/{}", ids[0]), Some(&teacher))
        .await
        .body;
    let url = asset["renditions"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(a.bytes(&url, None).await.0, StatusCode::OK);
    assert_eq!(b.bytes(&url, None).await.0, StatusCode::OK);
}

async fn media_jobs_wait_while_ffmpeg_is_missing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.ffmpeg = "/nonexistent/ffmpeg".into();
        s.ffprobe = "/nonexistent/ffprobe".into();
        s.job_poll = Duration::from_millis(50);
    })
    .await;
    let ready = app.get("/readyz", None).await;
    ready.assert(StatusCode::OK);
    assert_eq!(ready.body["media"]["ok"], false);
    assert!(
        ready.body["media"]["detail"]
            .as_str()
            .unwrap()
            .contains("ffmpeg"),
        "{}",
        ready.text
    );

    let root = app.superadmin().await;
    let org = app.create_org(&root, "no-ffmpeg").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = crate::support::media::av_clip(dir.path(), "c.mp4", "320x240", 1);
    let id = app.upload(&teacher, &clip, &[("filename", "c.mp4")]).await;
    let db = Db::connect(&app.database_url).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row: (String, i64, Option<String>) =
            sqlx::query_as("SELECT status, attempts, last_error FROM jobs")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        if let Some(error) = &row.2 {
            assert_eq!(
                (row.0.as_str(), row.1),
                ("queued", 0),
                "waiting spends no attempt"
            );
            assert!(error.contains("ffmpeg"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job never looked for ffmpeg"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asset = app
        .get(&format!("/api/v1/assets/{id}"), Some(&teacher))
        .await;
    assert_eq!(asset.body["status"], "queued");
    // Non-media files are not held up.
    let doc = app
        .upload(&teacher, &pdf(10_000), &[("filename", "d.pdf")])
        .await;
    assert_eq!(
        app.wait_asset(Some(&teacher), &doc, Duration::from_secs(20))
            .await["status"],
        "ready"
    );
}

async fn cancelling_stops_processing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 0).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "cancel").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let learner = app.member(&root, &org, "learner").await;
    let id = app
        .upload(&teacher, &pdf(10_000), &[("filename", "x.pdf")])
        .await;
    app.post(
        &format!("/api/v1/assets/{id}/cancel"),
        Some(&learner),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .post(
            &format!("/api/v1/assets/{id}/cancel"),
            Some(&teacher),
            json!({}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["status"], "failed");
    assert_eq!(r.body["error"]["code"], "cancelled");
    app.post(
        &format!("/api/v1/assets/{id}/cancel"),
        Some(&teacher),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let db = Db::connect(&app.database_url).await.unwrap();
    assert!(
        jobs::claim(&db, "late-node", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none(),
        "a cancelled job is never claimed"
    );
}

/// The queue knows no job kind: a job that no registered runner takes fails for good at once
/// (no retries spent on it) with the stable code `unknown-job`, and the workers go on.
async fn a_job_of_an_unknown_kind_fails_for_good(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 1).await;
    let db = &app.state.db;
    let id = jobs::enqueue(&db.pool, "no-such-kind", &json!({}), 5)
        .await
        .unwrap();
    app.state.jobs_notify.notify_waiters();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status = jobs::status(db, &id).await.unwrap().unwrap();
        if status.status == "failed" || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!((status.status.as_str(), status.attempts), ("failed", 1));
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap_or("")
            .starts_with("unknown-job"),
        "{:?}",
        status.last_error
    );
    // A real job still runs after it.
    let root = app.superadmin().await;
    let org = app.create_org(&root, "after-unknown").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let doc = app
        .upload(&teacher, &pdf(10_000), &[("filename", "d.pdf")])
        .await;
    assert_eq!(
        app.wait_asset(Some(&teacher), &doc, Duration::from_secs(20))
            .await["status"],
        "ready"
    );
}

both_backends!(
    retries_back_off_and_stop_at_the_maximum,
    a_dead_workers_job_is_taken_over_after_its_lease,
    media_jobs_wait_while_ffmpeg_is_missing,
    cancelling_stops_processing,
    a_job_of_an_unknown_kind_fails_for_good
);

/// Every job's (id, status, attempts) once none is running: a worker marks its job done just
/// after the asset turns ready, so a test that saw the asset waits for that write.
async fn settled_jobs(db: &Db) -> Vec<(String, String, i64)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let jobs: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT id, status, attempts FROM jobs ORDER BY id")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        if jobs.iter().all(|j| j.1 != "running") || std::time::Instant::now() > deadline {
            return jobs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
