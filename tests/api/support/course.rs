//! A published course with a learner, for progress and quiz tests.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{lrs::Auth, Backend, Reply, TestApp};

pub struct Classroom {
    pub app: TestApp,
    pub root: String,
    pub org: String,
    pub admin: String,
    pub teacher: String,
    pub learner: String,
    pub learner_id: String,
    pub course: String,
}

impl Classroom {
    /// An organisation with an admin, a teacher and a learner, and an org-visible course.
    /// No workers run, so uploaded assets stay as the test sets them.
    pub async fn new(backend: Backend) -> Self {
        Self::with_workers(backend, 0).await
    }

    /// The same classroom with media workers running, for tests that process real uploads.
    pub async fn with_workers(backend: Backend, workers: usize) -> Self {
        Self::with_settings(backend, |s| s.workers = workers).await
    }

    /// The same classroom on a server configured by `configure` (no workers unless it says).
    pub async fn with_settings(
        backend: Backend,
        configure: impl FnOnce(&mut caravan::Settings),
    ) -> Self {
        let app = TestApp::spawn_with(backend, |s| {
            s.workers = 0;
            configure(s);
        })
        .await;
        let root = app.superadmin().await;
        let org = app.create_org(&root, "care-school").await;
        let admin = app.member(&root, &org, "admin").await;
        let teacher = app.member(&root, &org, "teacher").await;
        let learner = app.member(&root, &org, "learner").await;
        let learner_id = app.user_id(&learner).await;
        let course = app.course(&teacher, &org, "Care basics").await;
        app.publish(&teacher, &course, "org").await;
        Self {
            app,
            root,
            org,
            admin,
            teacher,
            learner,
            learner_id,
            course,
        }
    }

    pub async fn unit(&self, kind: &str, title: &str, required: bool) -> String {
        self.app
            .post(
                &format!("/api/v1/courses/{}/units", self.course),
                Some(&self.teacher),
                json!({"kind": kind, "title": title, "required": required}),
            )
            .await
            .id()
    }

    /// A video unit whose asset is ready with this duration (processing is tested elsewhere).
    pub async fn video_unit(&self, duration_ms: i64) -> String {
        let unit = self.unit("video", "Lecture", true).await;
        let bytes = super::media::pdf(1_000);
        let asset = self
            .app
            .upload(
                &self.teacher,
                &bytes,
                &[("filename", "l.pdf"), ("unit_id", &unit)],
            )
            .await;
        sqlx::query(
            "UPDATE assets SET status = 'ready', kind = 'video', duration_ms = $1 WHERE id = $2",
        )
        .bind(duration_ms)
        .bind(&asset)
        .execute(&self.app.state.db.pool)
        .await
        .unwrap();
        unit
    }

    /// Uploads `bytes` as the unit's file and waits (up to `timeout`) until the workers have
    /// processed it; returns the ready asset.
    pub async fn processed(
        &self,
        unit: &str,
        bytes: &[u8],
        filename: &str,
        timeout: std::time::Duration,
    ) -> Value {
        let asset = self
            .app
            .upload(
                &self.teacher,
                bytes,
                &[("filename", filename), ("unit_id", unit)],
            )
            .await;
        let ready = self
            .app
            .wait_asset(Some(&self.teacher), &asset, timeout)
            .await;
        assert_eq!(ready["status"], "ready", "{ready}");
        ready
    }

    /// Runs browser scenarios signed in as the token's user (every test account's password is
    /// `password-123`); fails the test with what failed and its screenshots.
    pub async fn browse(&self, token: &str, scenarios: &[&str], input: Value) {
        let email = self.app.email(token).await;
        let outcome = super::browser::run(
            &self.app.base,
            scenarios,
            Some((&email, "password-123")),
            Some(&input),
        )
        .await;
        assert!(outcome.ok, "{}", outcome.failures());
    }

    pub fn unit_iri(&self, unit: &str) -> String {
        format!(
            "{}/xapi/activities/units/{unit}",
            self.app.state.settings.public_url
        )
    }

    pub fn course_iri(&self) -> String {
        format!(
            "{}/xapi/activities/courses/{}",
            self.app.state.settings.public_url, self.course
        )
    }

    /// A statement by the learner about a unit, with these result extensions.
    pub fn statement(&self, verb: &str, unit: &str, extensions: Value) -> Value {
        json!({
            "actor": self.app.learner_agent(&self.learner_id),
            "verb": {"id": verb, "display": {"en-US": "did"}},
            "object": {"objectType": "Activity", "id": self.unit_iri(unit)},
            "result": {"extensions": extensions},
        })
    }

    /// The learner sends statements with their bearer token.
    pub async fn send(&self, statements: Value) -> Reply {
        let r = self
            .app
            .xapi(
                Method::POST,
                "/xapi/statements",
                &Auth::Bearer(self.learner.clone()),
                Some(statements),
            )
            .await;
        r.assert(StatusCode::OK);
        r
    }

    pub async fn progress(&self, token: &str) -> Value {
        let r = self
            .app
            .get(
                &format!("/api/v1/courses/{}/progress", self.course),
                Some(token),
            )
            .await;
        r.assert(StatusCode::OK);
        r.body.clone()
    }

    /// The learner's progress in another course than the classroom's own.
    pub async fn progress_in(&self, course: &str) -> Value {
        let r = self
            .app
            .get(
                &format!("/api/v1/courses/{course}/progress"),
                Some(&self.learner),
            )
            .await;
        r.assert(StatusCode::OK);
        r.body.clone()
    }

    /// Fails the test unless the learner has completed the course.
    pub async fn assert_completed(&self, course: &str) {
        let p = self.progress_in(course).await;
        assert!(p["completed_at"].is_string(), "not completed: {p}");
    }

    pub async fn unit_progress(&self, unit: &str) -> Value {
        let p = self.progress(&self.learner).await;
        p["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == unit)
            .cloned()
            .unwrap_or_else(|| panic!("no unit {unit} in {p}"))
    }
}

impl TestApp {
    /// How many rows the table has (for checking that a refused import left nothing).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// The user id of a member with this e-mail, from the organisation's member list (adding a
    /// member answers without it, so as not to say whether the address had an account).
    pub async fn member_id(&self, admin: &str, org_id: &str, email: &str) -> String {
        let list = self
            .get(&format!("/api/v1/orgs/{org_id}/members"), Some(admin))
            .await;
        list.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["email"] == email)
            .and_then(|m| m["user_id"].as_str())
            .unwrap_or_else(|| panic!("no member {email}: {}", list.text))
            .to_owned()
    }

    pub async fn user_id(&self, token: &str) -> String {
        self.get("/api/v1/me", Some(token)).await.body["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The e-mail address of the token's user (to sign in through a page as them).
    pub async fn email(&self, token: &str) -> String {
        self.get("/api/v1/me", Some(token)).await.body["user"]["email"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
