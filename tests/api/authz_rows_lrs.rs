//! Authorization rows of the xAPI LRS (statements, about, documents, definitions) and the query
//! string each caller sends. Order of each row's expectations: anonymous, learner, teacher,
//! admin of another org, admin, superadmin.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::authz_rows::{Fresh, Row};

type Values = HashMap<&'static str, String>;

fn none(_: &Values) -> Option<Value> {
    None
}

/// A statement whose actor is the caller.
fn own_statement(v: &Values) -> Option<Value> {
    Some(json!({
        "actor": {"mbox": format!("mailto:{}", v["caller_email"])},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.org/matrix/activity"},
    }))
}

pub fn rows() -> Vec<Row> {
    use Fresh::*;
    let r = |method, path, fresh, body: fn(&Values) -> Option<Value>, expect| Row {
        method,
        path,
        fresh,
        body,
        expect,
    };
    vec![
        // The LRS's statements and about resources (every bearer caller is a learner to the LRS).
        r(
            Method::GET,
            "/xapi/about",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/xapi/statements",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/xapi/statements",
            Nothing,
            own_statement,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::PUT,
            "/xapi/statements",
            Nothing,
            own_statement,
            [401, 204, 204, 204, 204, 204],
        ),
        // The LRS document and definition resources: every caller is a learner to the LRS and
        // acts on their own agent (see `xapi_query`).
        r(
            Method::PUT,
            "/xapi/activities/state",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::POST,
            "/xapi/activities/state",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::GET,
            "/xapi/activities/state",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::DELETE,
            "/xapi/activities/state",
            Nothing,
            none,
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::PUT,
            "/xapi/activities/profile",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::POST,
            "/xapi/activities/profile",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::GET,
            "/xapi/activities/profile",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::DELETE,
            "/xapi/activities/profile",
            Nothing,
            none,
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::PUT,
            "/xapi/agents/profile",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::POST,
            "/xapi/agents/profile",
            Nothing,
            |_| Some(json!({"bookmark": 1})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::GET,
            "/xapi/agents/profile",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::DELETE,
            "/xapi/agents/profile",
            Nothing,
            none,
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::GET,
            "/xapi/activities",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/xapi/agents",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
    ]
}

/// The query string of an LRS request in the matrix: each caller names their own agent (an
/// mbox of their e-mail), so a learner's request is about themselves.
pub fn xapi_query(
    method: &Method,
    path: &str,
    v: &HashMap<&'static str, String>,
) -> Option<String> {
    let agent = json!({"mbox": format!("mailto:{}", v["caller_email"])}).to_string();
    let activity = "http://example.org/matrix/activity";
    let pairs: Vec<(&str, &str)> = match path {
        "/xapi/activities" => vec![("activityId", activity)],
        "/xapi/agents" => vec![("agent", &agent)],
        "/xapi/statements" if *method == Method::PUT => {
            return Some(format!("statementId={}", uuid::Uuid::new_v4()))
        }
        "/xapi/activities/state" => vec![
            ("activityId", activity),
            ("agent", &agent),
            ("stateId", "matrix"),
        ],
        "/xapi/activities/profile" => vec![("activityId", activity), ("profileId", "matrix")],
        "/xapi/agents/profile" => vec![("agent", &agent), ("profileId", "matrix")],
        // Not xAPI, but a query the endpoint needs all the same.
        "/api/v1/orgs/{org_id}/workload" => vec![("from", "2026-01-01"), ("to", "2026-12-31")],
        _ => return None,
    };
    // GET without the document id lists ids, which needs no document to exist.
    let pairs: Vec<_> = pairs
        .into_iter()
        .filter(|(k, _)| *method != Method::GET || !k.ends_with("Id") || k == &"activityId")
        .collect();
    Some(serde_urlencoded::to_string(&pairs).unwrap())
}
