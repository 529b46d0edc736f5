//! Test harness: spawn the application, and the small vocabulary tests use to talk to it.

pub mod browser;
pub mod course;
pub mod lrs;
pub mod media;
pub mod postgres;
mod s3;
pub mod smtp;
pub mod verifiers;

use std::{net::SocketAddr, path::PathBuf};

use caravan::{Application, Settings, StoreLocation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub use s3::S3Server;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Postgres).await })+
        }
    };
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    pub database_url: String,
    pub store_dir: PathBuf,
    /// The server's state, for calling library functions against the same database and store.
    pub state: caravan::AppState,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("caravan.db").display()),
            Backend::Postgres => postgres::fresh_database().await,
        };
        let store_dir = dir.path().join("media");
        let mut settings = Settings::new(
            database_url.clone(),
            StoreLocation::Local(store_dir.clone()),
        );
        settings.bind = ([127, 0, 0, 1], 0).into();
        configure(&mut settings);
        Self::start(settings, dir, database_url, store_dir).await
    }

    /// Another node on an existing database and store (as in a multi-node deployment).
    pub async fn spawn_on(
        database_url: String,
        store: StoreLocation,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store_dir = match &store {
            StoreLocation::Local(p) => p.clone(),
            StoreLocation::S3 { .. } => dir.path().join("unused"),
        };
        let mut settings = Settings::new(database_url.clone(), store);
        settings.bind = ([127, 0, 0, 1], 0).into();
        configure(&mut settings);
        Self::start(settings, dir, database_url, store_dir).await
    }

    async fn start(
        mut settings: Settings,
        dir: tempfile::TempDir,
        database_url: String,
        store_dir: PathBuf,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind(settings.bind)
            .await
            .expect("binding the test port");
        // Identifiers (xAPI activities, credential status lists) must resolve to this server.
        if settings.public_url == Settings::new("", StoreLocation::Local(".".into())).public_url {
            settings.public_url = format!("http://{}", listener.local_addr().unwrap());
        }
        let app = Application::with_listener(settings, listener)
            .await
            .expect("application builds");
        let addr = app.local_addr();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder()
            .cookie_store(false)
            .build()
            .unwrap();
        Self {
            addr,
            base: format!("http://{addr}"),
            http,
            database_url,
            store_dir,
            state,
            _dir: dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server gracefully and waits for it; the returned folder keeps the database
    /// and store alive for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server exits cleanly");
        }
        let placeholder = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self._dir, placeholder)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Reply::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// A superadmin created directly in the database (as `caravan user create` does).
    pub async fn superadmin(&self) -> String {
        let email = format!("root-{}@example.org", uuid::Uuid::new_v4().simple());
        let db = caravan::db::Db::connect(&self.database_url).await.unwrap();
        let hash = caravan::accounts::password::hash(
            caravan::accounts::password::Password::parse("root-password").unwrap(),
        )
        .await
        .unwrap();
        caravan::accounts::create_user(
            &db,
            &caravan::values::Email::parse(&email).unwrap(),
            &caravan::values::Text::parse("Root", 100).unwrap(),
            &hash,
            true,
        )
        .await
        .unwrap();
        db.pool.close().await;
        self.login(&email, "root-password").await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        r.assert(StatusCode::OK);
        r.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn create_org(&self, root: &str, slug: &str) -> String {
        let r = self
            .post(
                "/api/v1/orgs",
                Some(root),
                json!({"name": format!("Org {slug}"), "slug": slug}),
            )
            .await;
        r.assert(StatusCode::CREATED);
        r.id()
    }

    /// Adds a member with a fresh account and returns their token.
    pub async fn member(&self, admin: &str, org_id: &str, role: &str) -> String {
        let email = format!("{role}-{}@example.org", uuid::Uuid::new_v4().simple());
        let r = self
            .post(
                &format!("/api/v1/orgs/{org_id}/members"),
                Some(admin),
                json!({"email": email, "display_name": format!("A {role}"), "password": "password-123", "role": role}),
            )
            .await;
        r.assert(StatusCode::CREATED);
        self.login(&email, "password-123").await
    }

    pub async fn course(&self, token: &str, org_id: &str, title: &str) -> String {
        let r = self
            .post(
                "/api/v1/courses",
                Some(token),
                json!({"org_id": org_id, "title": title, "domain": "elderly-care", "level": 2, "language": "zh-CN"}),
            )
            .await;
        r.assert(StatusCode::CREATED);
        r.id()
    }

    /// A consortium founded by `founder` (admin of `org`), with each `(admin, org)` invited and
    /// accepted; returns its id.
    pub async fn consortium(
        &self,
        founder: &str,
        org: &str,
        slug: &str,
        members: &[(&str, &str)],
    ) -> String {
        let body = json!({"name": format!("Consortium {slug}"), "slug": slug, "org_id": org});
        let id = self
            .post("/api/v1/consortia", Some(founder), body)
            .await
            .id();
        for (admin, member) in members {
            self.post(
                &format!("/api/v1/consortia/{id}/invitations"),
                Some(founder),
                json!({"org_id": member}),
            )
            .await
            .assert(StatusCode::NO_CONTENT);
            self.post(
                &format!("/api/v1/consortia/{id}/accept"),
                Some(admin),
                json!({"org_id": member}),
            )
            .await
            .assert(StatusCode::NO_CONTENT);
        }
        id
    }

    pub async fn publish(&self, token: &str, course_id: &str, visibility: &str) {
        self.post(
            &format!("/api/v1/courses/{course_id}/publish"),
            Some(token),
            json!({"visibility": visibility}),
        )
        .await
        .assert(StatusCode::OK);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A response with its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    #[track_caller]
    pub fn assert(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> &Self {
        self.assert(status);
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(
            ct, "application/problem+json",
            "content type; body: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "problem code; body: {}", self.text);
        assert_eq!(
            self.body["status"],
            status.as_u16(),
            "problem status member"
        );
        self
    }

    /// The field names listed in a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_owned()
    }
}
