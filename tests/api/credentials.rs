//! Credentials end to end: completing a course yields an Open Badges 3.0 credential that two
//! independent verifiers (JavaScript Data Integrity, Python VC-JWT) accept, and reject once it is
//! tampered with or revoked; keys rotate without breaking old credentials.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, verifiers, Backend, Reply, TestApp},
};

const VIEWED: &str = "http://id.tincanapi.com/verb/viewed";

/// The classroom's learner completes its course (one required document), worth 2 credits and
/// 90 minutes; returns the learner's one credential.
pub async fn completed(c: &Classroom) -> Value {
    c.app
        .patch(
            &format!("/api/v1/courses/{}", c.course),
            Some(&c.teacher),
            json!({"credit_value": 2.0, "estimated_minutes": 90}),
        )
        .await
        .assert(StatusCode::OK);
    let doc = c.unit("document", "Handbook", true).await;
    c.send(c.statement(VIEWED, &doc, json!({}))).await;
    let r = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    r.assert(StatusCode::OK);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    items[0].clone()
}

pub async fn jwt_of(app: &TestApp, token: &str, id: &str) -> String {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/credentials/{id}")))
        .bearer_auth(token)
        .header("accept", "application/vc+jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/vc+jwt");
    r.text().await.unwrap()
}

pub async fn verify(app: &TestApp, credential: Value) -> Value {
    let r = app
        .post("/api/v1/credentials/verify", None, credential)
        .await;
    r.assert(StatusCode::OK);
    r.body.clone()
}

fn check<'a>(verdict: &'a Value, name: &str) -> &'a Value {
    verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {verdict}"))
}

async fn completion_yields_a_credential_that_independent_verifiers_accept(backend: Backend) {
    let c = Classroom::new(backend).await;
    let item = completed(&c).await;
    assert_eq!(item["course_id"], c.course.as_str());
    assert_eq!(item["kind"], "course");
    assert_eq!(item["revoked"], false);
    assert_eq!(
        (item["credits"].as_f64(), item["hours"].as_f64()),
        (Some(2.0), Some(1.5))
    );
    let vc = item["credential"].clone();
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(vc["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert!(vc["issuer"]["id"]
        .as_str()
        .unwrap()
        .starts_with("did:key:z6Mk"));
    assert_eq!(vc["credentialStatus"]["type"], "BitstringStatusListEntry");
    let subject = &vc["credentialSubject"];
    assert_eq!(subject["achievement"]["name"], "Care basics");
    assert_eq!(subject["achievement"]["achievementType"], "Course");
    assert_eq!(subject["achievement"]["alignment"][0]["targetCode"], "2");
    assert_eq!(subject["achievement"]["fieldOfStudy"], "Elderly care");
    assert_eq!(subject["creditsEarned"], 2.0);
    assert_eq!(subject["result"][0]["value"], "1.5");
    assert!(subject["achievement"]["image"]["id"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    // The learner is named by a salted hash, never by their address.
    assert_eq!(subject["identifier"][0]["hashed"], true);
    let email = c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!vc.to_string().contains(&email), "{vc}");

    // Both independent verifiers accept it, and so does Caravan's own.
    let js = verifiers::digital_bazaar(&vc).await;
    assert!(js.verified, "Digital Bazaar rejected it: {}", js.errors());
    let id = item["id"].as_str().unwrap();
    let jwt = jwt_of(&c.app, &c.learner, id).await;
    let py = verifiers::pyjwt(&jwt).await;
    assert!(py.verified, "PyJWT rejected it: {}", py.errors());
    let own = verify(&c.app, vc.clone()).await;
    assert_eq!(own["verified"], true, "{own}");
    assert_eq!(check(&own, "issuer")["result"], "passed");
    let own_jwt = verify(&c.app, json!({"verifiableCredential": jwt})).await;
    assert_eq!(own_jwt["verified"], true, "{own_jwt}");

    // Tampering is caught by every verifier.
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Brain surgery");
    let js = verifiers::digital_bazaar(&tampered).await;
    assert!(!js.verified, "accepted a tampered credential");
    let own = verify(&c.app, tampered).await;
    assert_eq!(own["verified"], false);
    assert_eq!(
        check(&own, "proof")["code"],
        "proof-invalid-signature",
        "{own}"
    );
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["credentialSubject"]["creditsEarned"] = json!(200);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            payload.to_string()
        ),
        parts[2]
    );
    assert!(!verifiers::pyjwt(&forged).await.verified);

    // Revocation: only an admin of the issuer may, and every verifier sees it.
    let path = format!("/api/v1/credentials/{id}/revoke");
    c.app
        .post(&path, Some(&c.learner), json!({"reason": "mine"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    c.app
        .post(&path, Some(&c.teacher), json!({"reason": "x"}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    c.app
        .post(&path, Some(&c.admin), json!({"reason": ""}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let r = c
        .app
        .post(&path, Some(&c.admin), json!({"reason": "Issued in error"}))
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["revoked"], true);
    assert_eq!(r.body["revoked_reason"], "Issued in error");
    let js = verifiers::digital_bazaar(&vc).await;
    assert!(!js.verified, "a revoked credential passed");
    assert!(js.errors().contains("revoked"), "{}", js.errors());
    let py = verifiers::pyjwt(&jwt).await;
    assert!(
        !py.verified && py.errors().contains("revoked"),
        "{}",
        py.errors()
    );
    let own = verify(&c.app, vc.clone()).await;
    assert_eq!(own["verified"], false);
    assert_eq!(check(&own, "status")["code"], "revoked");
    // VC-API style: 400 with the same verdict.
    let r = c
        .app
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc}),
        )
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.body["verified"], false);
}

async fn keys_are_sealed_rotate_and_old_credentials_stay_verifiable(backend: Backend) {
    let c = Classroom::new(backend).await;
    let first = completed(&c).await;
    let db = &c.app.state.db;
    let (key_id, sealed): (String, String) =
        sqlx::query_as("SELECT id, sealed_secret FROM issuer_keys WHERE org_id = $1")
            .bind(&c.org)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let key = caravan::credentials::keys::by_id(db, &c.app.state.sealer, &key_id)
        .await
        .unwrap();
    let secret = key.signing.as_bytes();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
    assert!(!sealed.contains(&hex::encode(secret)) && !sealed.contains(&b64));

    let issuer = c
        .app
        .get(&format!("/api/v1/orgs/{}/issuer", c.org), None)
        .await;
    issuer.assert(StatusCode::OK);
    assert_eq!(issuer.body["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        issuer.body["profile"]["id"],
        first["credential"]["issuer"]["id"]
    );

    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/issuer/keys", c.org),
            Some(&c.admin),
            json!({}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["active"], true);
    assert_eq!(keys[1]["active"], false);
    assert!(keys[1]["retired_at"].is_string());
    assert_ne!(r.body["profile"]["id"], first["credential"]["issuer"]["id"]);

    let second = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"],
                   "achievement": {"name": "First aid", "level": 1, "hours": 8}}),
        )
        .await;
    second.assert(StatusCode::CREATED);
    assert_eq!(
        second.body["credential"]["issuer"]["id"],
        r.body["profile"]["id"]
    );
    for vc in [&first["credential"], &second.body["credential"]] {
        let own = verify(&c.app, vc.clone()).await;
        assert_eq!(own["verified"], true, "{own}");
    }
    let old = verifiers::digital_bazaar(&first["credential"]).await;
    assert!(
        old.verified,
        "a credential of a rotated key failed: {}",
        old.errors()
    );
    let own = verify(&c.app, first["credential"].clone()).await;
    assert!(check(&own, "issuer")["detail"]
        .as_str()
        .unwrap()
        .contains("rotated"));

    // The outbox may be replayed (a crash after issuing, before marking it consumed).
    sqlx::query("UPDATE completion_events SET consumed_at = NULL")
        .execute(&db.pool)
        .await
        .unwrap();
    caravan::credentials::issue::drain(&c.app.state)
        .await
        .unwrap();
    let mine = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    assert_eq!(
        mine.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        mine.text
    );
}

async fn status_lists_are_signed_and_follow_revocation(backend: Backend) {
    let c = Classroom::new(backend).await;
    let item = completed(&c).await;
    let status = &item["credential"]["credentialStatus"];
    let url = status["statusListCredential"].as_str().unwrap();
    let index: u32 = status["statusListIndex"].as_str().unwrap().parse().unwrap();
    let path = url
        .strip_prefix(&c.app.base)
        .expect("served by this server");
    let bit = |list: &Value| {
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        caravan::credentials::status::is_set(encoded, index).unwrap()
    };
    let list = c.app.get(path, None).await;
    list.assert(StatusCode::OK);
    assert_eq!(
        list.body["issuer"]["id"],
        item["credential"]["issuer"]["id"]
    );
    assert!(!bit(&list.body));
    let own = verify(&c.app, list.body.clone()).await;
    assert_eq!(check(&own, "proof")["result"], "passed", "{own}");

    c.app
        .post(
            &format!(
                "/api/v1/credentials/{}/revoke",
                item["id"].as_str().unwrap()
            ),
            Some(&c.admin),
            json!({"reason": "Cheated"}),
        )
        .await
        .assert(StatusCode::OK);
    let list = c.app.get(path, None).await;
    assert!(bit(&list.body));
    c.app
        .get("/api/v1/credentials/status/no-such-key/0", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

async fn bad_credentials_get_clear_answers(backend: Backend) {
    let c = Classroom::new(backend).await;
    let r = c
        .app
        .http
        .post(c.app.url("/api/v1/credentials/verify"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    Reply::from(r)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "credential-malformed");
    let r = c
        .app
        .post("/api/v1/credentials/verify", None, json!([1, 2]))
        .await;
    r.assert_problem(StatusCode::BAD_REQUEST, "credential-malformed");
    let v = verify(&c.app, json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]})).await;
    assert_eq!(v["verified"], false);
    assert_eq!(check(&v, "proof")["code"], "proof-missing", "{v}");
    let v = verify(&c.app, json!("eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!(v["verified"], false);
    // Issuing checks its input and names the fields.
    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": "nobody@example.org",
                   "achievement": {"name": "", "level": 7, "hours": -1},
                   "evidence": [{"id": "javascript:alert(1)"}]}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let fields = r.error_fields();
    for f in [
        "achievement.name",
        "achievement.level",
        "achievement.hours",
        "evidence[0]",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }
    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": "nobody@example.org", "achievement": {"name": "X"}}),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), ["learner_email"]);
    let none = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    assert_eq!(none.body["items"], json!([]), "nothing was issued");
}

async fn credentials_are_private_to_learner_and_issuer(backend: Backend) {
    let c = Classroom::new(backend).await;
    let item = completed(&c).await;
    let path = format!("/api/v1/credentials/{}", item["id"].as_str().unwrap());
    for (token, status) in [
        (Some(c.learner.as_str()), StatusCode::OK),
        (Some(c.admin.as_str()), StatusCode::OK),
        (Some(c.teacher.as_str()), StatusCode::NOT_FOUND),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        c.app.get(&path, token).await.assert(status);
    }
    let r = c.app.get(&path, Some(&c.learner)).await;
    assert_eq!(
        r.body, item["credential"],
        "the download is the credential as issued"
    );
    let other_org = c.app.create_org(&c.root, "elsewhere").await;
    let other_admin = c.app.member(&c.root, &other_org, "admin").await;
    c.app
        .get(&path, Some(&other_admin))
        .await
        .assert(StatusCode::NOT_FOUND);
    let list = c
        .app
        .get(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
        )
        .await;
    assert_eq!(list.body["items"][0]["id"], item["id"]);
    c.app
        .get(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&other_admin),
        )
        .await
        .assert(StatusCode::FORBIDDEN);
}

both_backends!(
    completion_yields_a_credential_that_independent_verifiers_accept,
    keys_are_sealed_rotate_and_old_credentials_stay_verifiable,
    status_lists_are_signed_and_follow_revocation,
    bad_credentials_get_clear_answers,
    credentials_are_private_to_learner_and_issuer,
);
