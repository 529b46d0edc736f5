//! Authorization rows of the credentials, learning account and wallet endpoints. Order of each
//! row's expectations: anonymous, learner, teacher, admin of another org, admin, superadmin.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::authz_rows::{Fresh, Row};

type Values = HashMap<&'static str, String>;

fn none(_: &Values) -> Option<Value> {
    None
}
fn issue(_: &Values) -> Option<Value> {
    Some(json!({
        "learner_email": "learner-matrix@example.org",
        "achievement": {"name": "Matrix skill", "level": 2, "hours": 4},
    }))
}
fn revoke(_: &Values) -> Option<Value> {
    Some(json!({"reason": "matrix"}))
}
fn empty(_: &Values) -> Option<Value> {
    Some(json!({}))
}
fn preferences(_: &Values) -> Option<Value> {
    Some(json!({"plain_email": false}))
}
fn rules(_: &Values) -> Option<Value> {
    Some(json!({"hours_per_credit": 16}))
}

pub fn rows() -> Vec<Row> {
    use Fresh::*;
    let admin_only = [401, 403, 403, 403, 200, 200];
    let signed_in = [401, 200, 200, 200, 200, 200];
    let anyone = [200; 6];
    let owner_only = [401, 200, 404, 404, 404, 404];
    let row = |method, path, fresh, body: fn(&Values) -> Option<Value>, expect| Row {
        method,
        path,
        fresh,
        body,
        expect,
    };
    vec![
        row(
            Method::POST,
            "/api/v1/orgs/{org_id}/credentials",
            Nothing,
            issue,
            [401, 403, 403, 403, 201, 201],
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/credentials",
            Nothing,
            none,
            admin_only,
        ),
        row(
            Method::GET,
            "/api/v1/me/credentials",
            Nothing,
            none,
            signed_in,
        ),
        row(
            Method::GET,
            "/api/v1/credentials/{id}",
            Credential,
            none,
            [401, 200, 404, 404, 200, 200],
        ),
        row(
            Method::POST,
            "/api/v1/credentials/{id}/revoke",
            Credential,
            revoke,
            [401, 403, 404, 404, 200, 200],
        ),
        row(
            Method::POST,
            "/api/v1/credentials/verify",
            Nothing,
            empty,
            anyone,
        ),
        row(
            Method::POST,
            "/credentials/verify",
            Nothing,
            empty,
            [400; 6],
        ),
        row(
            Method::GET,
            "/api/v1/credentials/status/{key_id}/{list}",
            Credential,
            none,
            anyone,
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/issuer",
            Nothing,
            none,
            anyone,
        ),
        row(
            Method::POST,
            "/api/v1/orgs/{org_id}/issuer/keys",
            Nothing,
            none,
            [401, 403, 403, 403, 201, 201],
        ),
        row(
            Method::GET,
            "/api/v1/vocabulary/levels",
            Nothing,
            none,
            anyone,
        ),
        row(Method::GET, "/api/v1/me/account", Nothing, none, signed_in),
        row(
            Method::GET,
            "/api/v1/me/transcript",
            Nothing,
            none,
            signed_in,
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/credit-rules",
            Nothing,
            none,
            admin_only,
        ),
        row(
            Method::PUT,
            "/api/v1/orgs/{org_id}/credit-rules",
            Nothing,
            rules,
            admin_only,
        ),
        row(
            Method::GET,
            "/api/v1/orgs/{org_id}/credits:export",
            Nothing,
            none,
            admin_only,
        ),
        row(
            Method::GET,
            "/api/v1/me/credential-preferences",
            Nothing,
            none,
            signed_in,
        ),
        row(
            Method::PUT,
            "/api/v1/me/credential-preferences",
            Nothing,
            preferences,
            signed_in,
        ),
        row(
            Method::POST,
            "/api/v1/credentials/{id}/share",
            Credential,
            none,
            owner_only,
        ),
        row(
            Method::GET,
            "/api/v1/credentials/{id}/share",
            SharedCredential,
            none,
            owner_only,
        ),
        row(
            Method::DELETE,
            "/api/v1/credentials/{id}/share",
            SharedCredential,
            none,
            [401, 204, 404, 404, 404, 404],
        ),
        row(
            Method::GET,
            "/api/v1/credentials/{id}/share/qr",
            SharedCredential,
            none,
            owner_only,
        ),
        row(
            Method::GET,
            "/share/{token}",
            SharedCredential,
            none,
            anyone,
        ),
    ]
}
