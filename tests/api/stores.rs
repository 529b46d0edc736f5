//! The store behind `/readyz` and the demo seed: local folder and a real S3 server.

use caravan::StoreLocation;
use reqwest::StatusCode;

use crate::support::{Backend, S3Server, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_store_is_ready_when_the_bucket_answers() {
    let s3 = S3Server::shared();
    let bucket = s3.bucket("ready-bucket");
    let options = s3.options();
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.store = StoreLocation::S3 {
            bucket,
            prefix: "caravan".into(),
        };
        s.s3 = options;
    })
    .await;
    let r = app.get("/readyz", None).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["store"]["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_an_unreachable_store() {
    let s3 = S3Server::shared();
    let mut options = s3.options();
    options.secret_access_key = Some(caravan::config::Secret::new("wrong-secret".into()));
    let bucket = s3.bucket("denied-bucket");
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.store = StoreLocation::S3 {
            bucket,
            prefix: String::new(),
        };
        s.s3 = options;
    })
    .await;
    let r = app.get("/readyz", None).await;
    r.assert(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["store"]["ok"], false);
    assert_eq!(r.body["database"]["ok"], true);
    assert!(
        !r.text.contains("wrong-secret"),
        "no secret in readiness detail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_round_trips_bytes_on_s3() {
    use object_store::{path::Path, ObjectStore, PutPayload};
    let s3 = S3Server::shared();
    let bucket = s3.bucket("roundtrip");
    let store = caravan::storage::Store::open(
        &StoreLocation::S3 {
            bucket,
            prefix: "p".into(),
        },
        &s3.options(),
    )
    .unwrap();
    let key = Path::from("blobs/ab/cd");
    store
        .object_store()
        .put(&key, PutPayload::from_static(b"hello caravan"))
        .await
        .unwrap();
    let got = store
        .object_store()
        .get(&key)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], b"hello caravan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_catalogue_is_seeded_once_into_an_empty_database() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.seed_demo = true).await;
    let r = app.get("/api/v1/courses", None).await;
    r.assert(StatusCode::OK);
    let titles: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let page = app
        .http
        .get(app.url("/"))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("课程目录") && html.contains("物联网设备安装入门"),
        "{html}"
    );
    // A second start on the same database seeds nothing more.
    let url = app.database_url.clone();
    let store = app.store_dir.clone();
    let _dir = app.stop().await;
    let mut settings = caravan::Settings::new(url, StoreLocation::Local(store));
    settings.seed_demo = true;
    settings.bind = ([127, 0, 0, 1], 0).into();
    let again = caravan::Application::build(settings).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM courses")
        .fetch_one(&again.state().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
}
