//! Every endpoint × every kind of caller → the expected status. The matrix must name every
//! operation in the OpenAPI document, so a new endpoint without a row fails this test.

use std::collections::{BTreeSet, HashMap};

use reqwest::Method;
use serde_json::json;

use crate::{
    authz_rows::{rows, Fresh},
    authz_rows_lrs::xapi_query,
    both_backends,
    support::{Backend, TestApp},
};

/// Callers, in the order of each row's expectations.
const ROLES: [&str; 6] = [
    "anonymous",
    "learner",
    "teacher",
    "admin of another org",
    "admin",
    "superadmin",
];

/// What each request gets freshly made for it, so a success cannot disturb the next caller.
struct World {
    org: String,
    other_org: String,
    consortium: String,
    root: String,
    admin: String,
    other_admin: String,
    teacher: String,
    /// Role name → (e-mail, token); the anonymous caller has none.
    callers: Vec<Option<(String, String)>>,
}

async fn world(app: &TestApp) -> World {
    let root = app.superadmin().await;
    let org = app.create_org(&root, "matrix-a").await;
    let other_org = app.create_org(&root, "matrix-b").await;
    let mut callers = vec![None];
    let mut tokens = HashMap::new();
    for (name, org_id, role) in [
        ("learner", &org, "learner"),
        ("teacher", &org, "teacher"),
        ("other", &other_org, "admin"),
        ("admin", &org, "admin"),
    ] {
        let email = format!("{name}-matrix@example.org");
        app.post(
            &format!("/api/v1/orgs/{org_id}/members"),
            Some(&root),
            json!({"email": email, "display_name": name, "password": "password-123", "role": role}),
        )
        .await
        .assert(reqwest::StatusCode::CREATED);
        let token = app.login(&email, "password-123").await;
        tokens.insert(name, token.clone());
        callers.push(Some((email, token)));
    }
    let root_email = app.get("/api/v1/me", Some(&root)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    callers.push(Some((root_email, root.clone())));
    let consortium = app
        .post(
            "/api/v1/consortia",
            Some(&tokens["admin"]),
            json!({"name": "M", "slug": "matrix", "org_id": org}),
        )
        .await
        .id();
    World {
        org,
        other_org,
        consortium,
        root,
        admin: tokens["admin"].clone(),
        other_admin: tokens["other"].clone(),
        teacher: tokens["teacher"].clone(),
        callers,
    }
}

async fn prepare(
    app: &TestApp,
    w: &World,
    fresh: Fresh,
    role: usize,
    n: usize,
) -> (HashMap<&'static str, String>, Option<String>) {
    let mut v = HashMap::new();
    v.insert("org_id", w.org.clone());
    v.insert("consortium_id", w.consortium.clone());
    v.insert("unique", format!("matrix-{n}"));
    v.insert("login_email", w.callers[4].as_ref().unwrap().0.clone());
    let caller_email = w.callers[role].as_ref().map(|c| c.0.clone());
    v.insert(
        "caller_email",
        caller_email.unwrap_or_else(|| "anonymous@example.org".to_owned()),
    );
    let mut token = w.callers[role].as_ref().map(|c| c.1.clone());
    match fresh {
        Fresh::Nothing => {}
        Fresh::Course | Fresh::Quiz => {
            let id = app.course(&w.teacher, &w.org, "Matrix course").await;
            app.publish(&w.teacher, &id, "org").await;
            let unit = app
                .post(
                    &format!("/api/v1/courses/{id}/units"),
                    Some(&w.teacher),
                    json!({"kind": "quiz", "title": "Q"}),
                )
                .await
                .id();
            if matches!(fresh, Fresh::Quiz) {
                app.request(
                    Method::PUT,
                    &format!("/api/v1/courses/{id}/units/{unit}/quiz"),
                    Some(&w.teacher),
                    Some(json!({"pass_mark": 50, "questions": [
                        {"kind": "true_false", "prompt": "?", "answer": true}]})),
                )
                .await
                .assert(reqwest::StatusCode::OK);
            }
            v.insert("course_id", id);
            v.insert("unit_id", unit);
        }
        Fresh::Member => {
            let email = format!("member-{n}@example.org");
            app.post(&format!("/api/v1/orgs/{}/members", w.org), Some(&w.root),
                json!({"email": email, "display_name": "M", "password": "password-123", "role": "learner"}))
                .await
                .assert(reqwest::StatusCode::CREATED);
            v.insert("user_id", app.member_id(&w.root, &w.org, &email).await);
        }
        Fresh::JoinCode => {
            let r = app
                .post(
                    &format!("/api/v1/orgs/{}/join-codes", w.org),
                    Some(&w.admin),
                    json!({}),
                )
                .await;
            v.insert("code", r.body["code"].as_str().unwrap().to_owned());
        }
        Fresh::ForeignJoinCode => {
            let org = app.create_org(&w.root, &format!("joinable-{n}")).await;
            let r = app
                .post(
                    &format!("/api/v1/orgs/{org}/join-codes"),
                    Some(&w.root),
                    json!({}),
                )
                .await;
            v.insert("code", r.body["code"].as_str().unwrap().to_owned());
        }
        Fresh::Consortium => {
            let id = app
                .post(
                    "/api/v1/consortia",
                    Some(&w.admin),
                    json!({"name": "F", "slug": format!("fresh-{n}"), "org_id": w.org}),
                )
                .await
                .id();
            v.insert("consortium_id", id);
        }
        Fresh::InvitedToConsortium => {
            let id = app
                .post(
                    "/api/v1/consortia",
                    Some(&w.other_admin),
                    json!({"name": "I", "slug": format!("invites-{n}"), "org_id": w.other_org}),
                )
                .await
                .id();
            app.post(
                &format!("/api/v1/consortia/{id}/invitations"),
                Some(&w.other_admin),
                json!({"org_id": w.org}),
            )
            .await;
            v.insert("consortium_id", id);
        }
        Fresh::OrgToInvite => {
            let id = app.create_org(&w.root, &format!("invitee-{n}")).await;
            v.insert("invitee", id);
        }
        Fresh::Upload => {
            let r = app
                .tus_create(&w.teacher, 10, &[("filename", "m.pdf"), ("org_id", &w.org)])
                .await;
            let location = r.header("location");
            v.insert("upload_id", location.rsplit('/').next().unwrap().to_owned());
        }
        Fresh::Asset => {
            let bytes = crate::support::media::pdf(2_000 + n);
            let meta = [("filename", "m.pdf"), ("org_id", w.org.as_str())];
            v.insert("asset_id", app.upload(&w.teacher, &bytes, &meta).await);
            v.insert("sha256", crate::support::media::sha256_hex(&bytes));
        }
        Fresh::ReadyAsset => {
            // A real stored blob made into a ready rung of a ready asset of the organisation.
            let bytes = crate::support::media::pdf(3_000 + n);
            let meta = [("filename", "m.pdf"), ("org_id", w.org.as_str())];
            let asset = app.upload(&w.teacher, &bytes, &meta).await;
            let sha = crate::support::media::sha256_hex(&bytes);
            let db = &app.state.db;
            sqlx::query("UPDATE assets SET status = 'ready', kind = 'audio', duration_ms = 4000 WHERE id = $1")
                .bind(&asset)
                .execute(&db.pool)
                .await
                .unwrap();
            let info = json!({"media_playlist": "#EXTM3U\n#EXT-X-ENDLIST\n", "bandwidth": 64000,
                "average_bandwidth": 64000, "duration_secs": 4.0})
            .to_string();
            sqlx::query(
                "INSERT INTO renditions (asset_id, name, role, sha256, bytes, mime, codecs, fragments) \
                 VALUES ($1, 'audio', 'audio', $2, 100, 'audio/mp4', 'mp4a.40.2', $3)",
            )
            .bind(&asset)
            .bind(&sha)
            .bind(info)
            .execute(&db.pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO renditions (asset_id, name, role, sha256, bytes, mime) \
                 VALUES ($1, 'scene.gltf', 'model', $2, 100, 'model/gltf+json')",
            )
            .bind(&asset)
            .bind(&sha)
            .execute(&db.pool)
            .await
            .unwrap();
            // Learners reach an asset only through a course they see.
            let course = app.course(&w.teacher, &w.org, "Matrix media").await;
            app.publish(&w.teacher, &course, "org").await;
            let unit = app
                .post(
                    &format!("/api/v1/courses/{course}/units"),
                    Some(&w.teacher),
                    json!({"kind": "audio", "title": "Listen"}),
                )
                .await
                .id();
            sqlx::query("UPDATE units SET asset_id = $1 WHERE id = $2")
                .bind(&asset)
                .bind(&unit)
                .execute(&db.pool)
                .await
                .unwrap();
            v.insert("asset_id", asset);
            v.insert("sha256", sha);
            v.insert("playlist", "master.m3u8".to_owned());
            v.insert("path", "scene.gltf".to_owned());
        }
        Fresh::LrsClient => {
            let r = app
                .post(
                    &format!("/api/v1/orgs/{}/lrs-clients", w.org),
                    Some(&w.admin),
                    json!({"name": "Matrix LMS", "scopes": ["all"]}),
                )
                .await;
            v.insert("client_id", r.body["id"].as_str().unwrap().to_owned());
        }
        Fresh::Credential | Fresh::SharedCredential => {
            let r = app
                .post(
                    &format!("/api/v1/orgs/{}/credentials", w.org),
                    Some(&w.admin),
                    json!({"learner_email": "learner-matrix@example.org",
                           "achievement": {"name": format!("Matrix {n}")}}),
                )
                .await;
            r.assert(reqwest::StatusCode::CREATED);
            let id = r.id();
            let status = r.body["credential"]["credentialStatus"]["statusListCredential"]
                .as_str()
                .unwrap();
            let mut parts = status.rsplit('/');
            v.insert("list", parts.next().unwrap().to_owned());
            v.insert("key_id", parts.next().unwrap().to_owned());
            if matches!(fresh, Fresh::SharedCredential) {
                let learner = &w.callers[1].as_ref().unwrap().1;
                let r = app
                    .post(
                        &format!("/api/v1/credentials/{id}/share"),
                        Some(learner),
                        json!({}),
                    )
                    .await;
                let url = r.body["url"].as_str().unwrap();
                v.insert("token", url.rsplit('/').next().unwrap().to_owned());
            }
            v.insert("id", id);
        }
        Fresh::Cmi5Launch => {
            let learner = &w.callers[1].as_ref().unwrap().1;
            let launch =
                crate::authz_rows_packages::launched(app, &w.teacher, learner, &w.org).await;
            v.extend(launch);
        }
        Fresh::Class => {
            let learner = &w.callers[1].as_ref().unwrap().1;
            let class = crate::authz_rows_training::class(app, &w.teacher, learner, &w.org).await;
            v.extend(class);
        }
        Fresh::ScormLaunch => {
            let learner = &w.callers[1].as_ref().unwrap().1;
            let launch =
                crate::authz_rows_packages::scorm_launched(app, &w.teacher, learner, &w.org).await;
            v.extend(launch);
        }
        Fresh::Session => {
            if let Some((email, _)) = &w.callers[role] {
                let password = if role == 5 {
                    "root-password"
                } else {
                    "password-123"
                };
                token = Some(app.login(email, password).await);
            }
        }
    }
    (v, token)
}

fn fill(path: &str, v: &HashMap<&'static str, String>) -> String {
    let mut out = path.to_owned();
    for (k, val) in v {
        out = out.replace(&format!("{{{k}}}"), val);
    }
    assert!(!out.contains('{'), "unfilled parameter in {out}");
    out
}

async fn every_endpoint_checks_role_and_organisation(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.workers = 0).await;
    let openapi = app.get("/api/v1/openapi.json", None).await.body;
    let documented: BTreeSet<String> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let rows = rows();
    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "endpoints without an authorization row: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for undocumented endpoints: {stale:?}"
    );

    let w = world(&app).await;
    let mut failures = Vec::new();
    let mut n = 0;
    for row in &rows {
        for (role, expected) in row.expect.iter().enumerate() {
            n += 1;
            let (values, token) = prepare(&app, &w, row.fresh, role, n).await;
            let mut path = fill(row.path, &values);
            if let Some(query) = xapi_query(&row.method, row.path, &values) {
                path = format!("{path}?{query}");
            }
            let is_xapi = row.path.starts_with("/xapi/");
            let mut req = app.http.request(row.method.clone(), app.url(&path));
            if is_xapi {
                req = req.header("X-Experience-API-Version", "2.0.0");
            }
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            if row.path.starts_with("/api/v1/uploads") {
                req = req.header("tus-resumable", "1.0.0");
                if row.method == Method::POST {
                    let meta = crate::support::media::metadata(&[
                        ("filename", "m.pdf"),
                        ("org_id", &w.org),
                    ]);
                    req = req
                        .header("upload-length", "10")
                        .header("upload-metadata", meta);
                } else if row.method == Method::PATCH {
                    req = req
                        .header("upload-offset", "0")
                        .header("content-type", "application/offset+octet-stream")
                        .body("%PDF-");
                }
            }
            if row.path.ends_with("/packages") {
                req = req
                    .header("content-type", "application/zip")
                    .body(crate::authz_rows_packages::package());
            } else if row.path.ends_with("members:import") {
                req = req.header("content-type", "text/csv").body(format!(
                    "email,display_name,password\nimport-{n}@example.org,I,password-123\n"
                ));
            } else if let Some(body) = (row.body)(&values) {
                req = req.json(&body);
            }
            let status = req.send().await.unwrap().status().as_u16();
            if status != *expected {
                failures.push(format!(
                    "{} {} as {}: expected {expected}, got {status}",
                    row.method, row.path, ROLES[role]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization mismatches:\n{}",
        failures.join("\n")
    );
}

both_backends!(every_endpoint_checks_role_and_organisation);
