//! Talking to the LRS: clients with HTTP Basic credentials, learners with their bearer token,
//! and the version header every xAPI request needs.

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::{Reply, TestApp};

/// Who an xAPI request authenticates as.
#[derive(Clone, Debug)]
pub enum Auth {
    Basic { key: String, secret: String },
    Bearer(String),
    Anonymous,
}

impl Auth {
    pub fn apply(&self, req: RequestBuilder) -> RequestBuilder {
        match self {
            Auth::Basic { key, secret } => req.basic_auth(key, Some(secret)),
            Auth::Bearer(token) => req.bearer_auth(token),
            Auth::Anonymous => req,
        }
    }
}

pub const VERSION: &str = "2.0.0";

impl TestApp {
    /// An LRS client of `org_id` with these scopes, created by an org admin.
    pub async fn lrs_client(&self, admin: &str, org_id: &str, scopes: &[&str]) -> Auth {
        let r = self
            .post(
                &format!("/api/v1/orgs/{org_id}/lrs-clients"),
                Some(admin),
                json!({"name": "Test LMS", "scopes": scopes}),
            )
            .await;
        r.assert(reqwest::StatusCode::CREATED);
        Auth::Basic {
            key: r.body["key"].as_str().unwrap().to_owned(),
            secret: r.body["secret"].as_str().unwrap().to_owned(),
        }
    }

    /// An xAPI request builder with the version header and credentials set.
    pub fn xapi_request(&self, method: Method, path: &str, auth: &Auth) -> RequestBuilder {
        auth.apply(
            self.http
                .request(method, self.url(path))
                .header("X-Experience-API-Version", VERSION),
        )
    }

    pub async fn xapi(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.xapi_request(method, path, auth);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::from(req.send().await.expect("request sent")).await
    }

    /// The xAPI Agent for a Caravan user (an account on this server).
    pub fn learner_agent(&self, user_id: &str) -> Value {
        json!({"objectType": "Agent", "account": {"homePage": self.state.settings.public_url, "name": user_id}})
    }
}

/// A minimal valid statement by an agent with this email.
pub fn statement(email: &str, verb: &str, activity: &str) -> Value {
    json!({
        "actor": {"objectType": "Agent", "mbox": format!("mailto:{email}")},
        "verb": {"id": verb, "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": activity},
    })
}
