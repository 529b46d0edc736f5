//! Reading statements back: filters, related agents and activities, paging with `more`,
//! ordering, formats, and attachments and signatures (xAPI Communication 2.1.3, Data 2.4.11
//! and 2.6).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        Backend, Reply, TestApp,
    },
};

const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";

async fn lrs(backend: Backend) -> (TestApp, Auth) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let client = app.lrs_client(&admin, &org, &["all"]).await;
    (app, client)
}

fn esc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn get(app: &TestApp, client: &Auth, query: &str) -> Reply {
    app.xapi(
        Method::GET,
        &format!("/xapi/statements?{query}"),
        client,
        None,
    )
    .await
}

async fn ids(app: &TestApp, client: &Auth, query: &str) -> Vec<String> {
    let r = get(app, client, query).await;
    r.assert(StatusCode::OK);
    r.body["statements"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post(app: &TestApp, client: &Auth, body: Value) -> Vec<String> {
    let r = app
        .xapi(Method::POST, "/xapi/statements", client, Some(body))
        .await;
    r.assert(StatusCode::OK);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn filters_select_by_agent_verb_activity_registration_and_time(backend: Backend) {
    let (app, c) = lrs(backend).await;
    let registration = uuid::Uuid::new_v4().to_string();
    let mut in_context = statement("ann@example.org", ATTEMPTED, "http://example.org/lesson");
    in_context["context"] = json!({"registration": registration,
        "instructor": {"mbox": "mailto:teacher@example.org"},
        "contextActivities": {"parent": [{"id": "http://example.org/course"}]}});
    let group = json!({"actor": {"objectType": "Group", "name": "Team",
            "member": [{"mbox": "mailto:bob@example.org"}, {"mbox": "mailto:cy@example.org"}]},
        "verb": {"id": PASSED}, "object": {"id": "http://example.org/course"}});
    let about_agent = json!({"actor": {"mbox": "mailto:teacher@example.org"}, "verb": {"id": PASSED},
        "object": {"objectType": "Agent", "mbox": "mailto:ann@example.org"}});
    let a = post(&app, &c, in_context).await.remove(0);
    let before_b = get(&app, &c, "limit=1").await.body["statements"][0]["stored"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = post(&app, &c, group).await.remove(0);
    let d = post(&app, &c, about_agent).await.remove(0);

    let ann = esc(&json!({"mbox": "mailto:ann@example.org"}).to_string());
    let bob = esc(&json!({"objectType": "Agent", "mbox": "mailto:bob@example.org"}).to_string());
    let teacher = esc(&json!({"mbox": "mailto:teacher@example.org"}).to_string());
    // Newest first by default.
    assert_eq!(
        ids(&app, &c, "").await,
        vec![d.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        ids(&app, &c, "ascending=true").await,
        vec![a.clone(), b.clone(), d.clone()]
    );
    // agent: the actor or the object, and members of a group.
    assert_eq!(
        ids(&app, &c, &format!("agent={ann}")).await,
        vec![d.clone(), a.clone()]
    );
    assert_eq!(
        ids(&app, &c, &format!("agent={bob}")).await,
        vec![b.clone()]
    );
    // The instructor only with related_agents (and then also as actor).
    assert_eq!(
        ids(&app, &c, &format!("agent={teacher}")).await,
        vec![d.clone()]
    );
    assert_eq!(
        ids(&app, &c, &format!("agent={teacher}&related_agents=true")).await,
        vec![d.clone(), a.clone()]
    );
    assert_eq!(
        ids(&app, &c, &format!("verb={}", esc(PASSED))).await,
        vec![d.clone(), b.clone()]
    );
    let course = esc("http://example.org/course");
    assert_eq!(
        ids(&app, &c, &format!("activity={course}")).await,
        vec![b.clone()]
    );
    assert_eq!(
        ids(
            &app,
            &c,
            &format!("activity={course}&related_activities=true")
        )
        .await,
        vec![b.clone(), a.clone()]
    );
    assert_eq!(
        ids(&app, &c, &format!("registration={registration}")).await,
        vec![a.clone()]
    );
    assert_eq!(
        ids(&app, &c, &format!("verb={}&agent={ann}", esc(PASSED))).await,
        vec![d.clone()]
    );
    // since is exclusive, until inclusive, on `stored`.
    let since = ids(&app, &c, &format!("since={}", esc(&before_b))).await;
    assert_eq!(since, vec![d.clone(), b.clone()]);
    assert_eq!(
        ids(&app, &c, &format!("until={}", esc(&before_b))).await,
        vec![a.clone()]
    );

    // Bad parameters are 400s.
    for bad in ["agent=bob", "agent=%7B%22name%22%3A%22x%22%7D", "verb=passed", "activity=lesson",
        "registration=123", "since=yesterday", "limit=-1", "ascending=yes", "format=full",
        "colour=blue", "verb=http%3A%2F%2Fa.org%2Fv&verb=http%3A%2F%2Fa.org%2Fw",
        "statementId=00000000-0000-4000-8000-000000000000&verb=http%3A%2F%2Fa.org%2Fv",
        "statementId=00000000-0000-4000-8000-000000000000&voidedStatementId=00000000-0000-4000-8000-000000000000"] {
        get(&app, &c, bad).await.assert(StatusCode::BAD_REQUEST);
    }
}

async fn pages_follow_more_links_to_the_end(backend: Backend) {
    let (app, c) = lrs(backend).await;
    let batch: Vec<Value> = (0..7)
        .map(|i| {
            statement(
                &format!("p{i}@example.org"),
                ATTEMPTED,
                "http://example.org/p",
            )
        })
        .collect();
    let stored = post(&app, &c, Value::Array(batch)).await;
    for ascending in [false, true] {
        let mut seen = Vec::new();
        let mut next = format!("/xapi/statements?limit=3&ascending={ascending}");
        let mut pages = 0;
        while !next.is_empty() {
            let r = app.xapi(Method::GET, &next, &c, None).await;
            r.assert(StatusCode::OK);
            seen.extend(
                r.body["statements"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().to_owned()),
            );
            next = r.body["more"].as_str().unwrap().to_owned();
            pages += 1;
            // Statements stored meanwhile do not disturb a descending walk.
            if pages == 1 && !ascending {
                post(
                    &app,
                    &c,
                    statement("late@example.org", ATTEMPTED, "http://example.org/other"),
                )
                .await;
            }
        }
        assert_eq!(pages, 3);
        let mut expected = stored.clone();
        if !ascending {
            expected.reverse();
        }
        if ascending {
            seen.truncate(7);
        }
        assert_eq!(seen, expected);
    }
}

async fn formats_reduce_to_ids_or_one_language(backend: Backend) {
    let (app, c) = lrs(backend).await;
    let s = json!({"actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.org"},
        "verb": {"id": PASSED, "display": {"en-US": "passed", "zh-CN": "通过"}},
        "object": {"id": "http://example.org/q", "definition": {"name": {"en-US": "Quiz", "zh-CN": "测验"},
            "description": {"en-US": "A quiz", "zh-CN": "一个测验"}}}});
    let id = post(&app, &c, s).await.remove(0);
    let r = get(&app, &c, &format!("statementId={id}&format=ids")).await;
    // XAPI-00171: only identifiers: the Agent's mbox, the verb's and the Activity's id.
    assert_eq!(r.body["actor"], json!({"mbox": "mailto:ann@example.org"}));
    assert_eq!(r.body["verb"], json!({"id": PASSED}));
    assert_eq!(r.body["object"], json!({"id": "http://example.org/q"}));

    let r = app
        .xapi_request(
            Method::GET,
            &format!("/xapi/statements?statementId={id}&format=canonical"),
            &c,
        )
        .header("Accept-Language", "zh-CN, en;q=0.5")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["verb"]["display"], json!({"zh-CN": "通过"}));
    assert_eq!(
        body["object"]["definition"]["name"],
        json!({"zh-CN": "测验"})
    );
    assert_eq!(body["actor"]["name"], "Ann");
    let exact = get(&app, &c, &format!("statementId={id}")).await;
    assert_eq!(exact.body["verb"]["display"].as_object().unwrap().len(), 2);

    // The same inside a SubStatement: an identified Group keeps its IFI and the objectType
    // that makes it a Group; an Activity with objectType keeps its id alone; an anonymous
    // Group is its members' identifiers.
    let nested = json!({"actor": {"mbox": "mailto:ann@example.org", "name": "Ann"},
        "verb": {"id": PASSED},
        "object": {"objectType": "SubStatement",
            "actor": {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.org"},
            "verb": {"id": PASSED, "display": {"en-US": "passed"}},
            "object": {"objectType": "Activity", "id": "http://example.org/q",
                "definition": {"name": {"en-US": "Quiz"}}}},
        "context": {"team": {"objectType": "Group", "name": "Night class",
            "member": [{"objectType": "Agent", "name": "Bo", "mbox": "mailto:bo@example.org"}]}}});
    let nested_id = post(&app, &c, nested).await.remove(0);
    let n = get(&app, &c, &format!("statementId={nested_id}&format=ids")).await;
    assert_eq!(
        n.body["object"]["actor"],
        json!({"objectType": "Group", "mbox": "mailto:team@example.org"})
    );
    assert_eq!(
        n.body["object"]["object"],
        json!({"id": "http://example.org/q"})
    );
    assert_eq!(n.body["object"]["verb"], json!({"id": PASSED}));
    assert_eq!(
        n.body["context"]["team"],
        json!({"objectType": "Group", "member": [{"mbox": "mailto:bo@example.org"}]})
    );
    // An Agent as the statement's object keeps the objectType that says it is not an Activity.
    let about_agent = json!({"actor": {"mbox": "mailto:ann@example.org"}, "verb": {"id": PASSED},
        "object": {"objectType": "Agent", "name": "Bo", "mbox": "mailto:bo@example.org"}});
    let agent_id = post(&app, &c, about_agent).await.remove(0);
    let n = get(&app, &c, &format!("statementId={agent_id}&format=ids")).await;
    assert_eq!(
        n.body["object"],
        json!({"objectType": "Agent", "mbox": "mailto:bo@example.org"})
    );
    // Data 2.4.6.2: a single context Activity comes back as an array of one.
    let mut single = statement("ann@example.org", PASSED, "http://example.org/q");
    single["context"] =
        json!({"contextActivities": {"category": {"id": "http://example.org/cat"}}});
    let id = post(&app, &c, single).await.remove(0);
    let back = get(&app, &c, &format!("statementId={id}")).await;
    assert_eq!(
        back.body["context"]["contextActivities"]["category"],
        json!([{"id": "http://example.org/cat"}])
    );
}

fn multipart(boundary: &str, json: &Value, parts: &[(&str, &[u8])]) -> Vec<u8> {
    multipart_encoded(boundary, json, parts, "binary")
}

fn multipart_encoded(
    boundary: &str,
    json: &Value,
    parts: &[(&str, &[u8])],
    encoding: &str,
) -> Vec<u8> {
    let mut out =
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{json}").into_bytes();
    for (hash, bytes) in parts {
        out.extend(format!("\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: {encoding}\r\nX-Experience-API-Hash: {hash}\r\n\r\n").as_bytes());
        out.extend_from_slice(bytes);
    }
    out.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

async fn send_multipart(app: &TestApp, c: &Auth, body: Vec<u8>) -> Reply {
    let r = app
        .xapi_request(Method::POST, "/xapi/statements", c)
        .header("content-type", "multipart/mixed; boundary=xyz")
        .body(body)
        .send()
        .await
        .unwrap();
    Reply::from(r).await
}

fn with_attachment(sha2: &str, len: usize, usage: &str, content_type: &str) -> Value {
    let mut s = statement("att@example.org", ATTEMPTED, "http://example.org/a");
    s["attachments"] = json!([{"usageType": usage, "display": {"en-US": "file"},
        "contentType": content_type, "length": len, "sha2": sha2}]);
    s
}

async fn attachments_travel_as_multipart_and_are_checked(backend: Backend) {
    let (app, c) = lrs(backend).await;
    let bytes = b"certificate text".as_slice();
    let sha = hex::encode(Sha256::digest(bytes));
    let s = with_attachment(
        &sha,
        bytes.len(),
        "http://example.org/usage/certificate",
        "text/plain",
    );
    let r = send_multipart(&app, &c, multipart("xyz", &s, &[(&sha, bytes)])).await;
    r.assert(StatusCode::OK);
    let id = r.body[0].as_str().unwrap().to_owned();
    // Fetched with attachments=true the bytes come back in a multipart response.
    let r = app
        .xapi_request(
            Method::GET,
            &format!("/xapi/statements?statementId={id}&attachments=true"),
            &c,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!("X-Experience-API-Hash: {sha}"))
            && body.contains("certificate text"),
        "{body}"
    );

    // Missing bytes, a wrong hash, an unrequested part, bytes declared but sent as plain JSON.
    let other = hex::encode(Sha256::digest(b"other"));
    send_multipart(&app, &c, multipart("xyz", &s, &[]))
        .await
        .assert(StatusCode::BAD_REQUEST);
    send_multipart(&app, &c, multipart("xyz", &s, &[(&sha, b"tampered")]))
        .await
        .assert(StatusCode::BAD_REQUEST);
    send_multipart(
        &app,
        &c,
        multipart("xyz", &s, &[(&sha, bytes), (&other, b"other")]),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    app.xapi(Method::POST, "/xapi/statements", &c, Some(s.clone()))
        .await
        .assert(StatusCode::BAD_REQUEST);
    // An attachment by fileUrl needs no part.
    let mut by_url = s.clone();
    by_url["attachments"][0]["fileUrl"] = json!("http://example.org/files/cert.txt");
    app.xapi(Method::POST, "/xapi/statements", &c, Some(by_url))
        .await
        .assert(StatusCode::OK);
    // Parts travel as binary, never base64.
    send_multipart(
        &app,
        &c,
        multipart_encoded("xyz", &s, &[(&sha, bytes)], "base64"),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    // A SubStatement's own attachment travels like any other.
    let mut sub = statement("att@example.org", ATTEMPTED, "http://example.org/a");
    sub["object"] = json!({"objectType": "SubStatement", "actor": s["actor"], "verb": s["verb"],
        "object": s["object"], "attachments": s["attachments"]});
    send_multipart(&app, &c, multipart("xyz", &sub, &[(&sha, bytes)]))
        .await
        .assert(StatusCode::OK);
    // Nothing from the rejected requests was stored.
    assert_eq!(ids(&app, &c, "").await.len(), 3);
}

fn jws(alg: &str, payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!(
        "{header}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(b"signature-bytes")
    )
}

async fn signed_statements_must_carry_their_own_payload(backend: Backend) {
    let (app, c) = lrs(backend).await;
    let signed = statement("signer@example.org", PASSED, "http://example.org/exam");
    let try_sign = |token: String| {
        let sha = hex::encode(Sha256::digest(token.as_bytes()));
        let s = with_attachment(&sha, token.len(), SIGNATURE, "application/octet-stream");
        let mut s2 = signed.clone();
        s2["attachments"] = s["attachments"].clone();
        multipart("xyz", &s2, &[(&sha, token.as_bytes())])
    };
    send_multipart(&app, &c, try_sign(jws("RS256", &signed)))
        .await
        .assert(StatusCode::OK);
    let other = statement("signer@example.org", ATTEMPTED, "http://example.org/exam");
    send_multipart(&app, &c, try_sign(jws("RS256", &other)))
        .await
        .assert(StatusCode::BAD_REQUEST);
    send_multipart(&app, &c, try_sign(jws("HS256", &signed)))
        .await
        .assert(StatusCode::BAD_REQUEST);
    send_multipart(&app, &c, try_sign("not a jws".into()))
        .await
        .assert(StatusCode::BAD_REQUEST);
    // Data 4.2.7: durations compare at 0.01 s, so a statement whose duration carries more
    // digits than its signed payload is still the statement that was signed.
    let mut precise = signed.clone();
    precise["result"] = json!({"duration": "PT1.2345S"});
    let mut payload = signed.clone();
    payload["result"] = json!({"duration": "PT1.23S"});
    let token = jws("RS256", &payload);
    let sha = hex::encode(Sha256::digest(token.as_bytes()));
    precise["attachments"] =
        with_attachment(&sha, token.len(), SIGNATURE, "application/octet-stream")["attachments"]
            .clone();
    send_multipart(
        &app,
        &c,
        multipart("xyz", &precise, &[(&sha, token.as_bytes())]),
    )
    .await
    .assert(StatusCode::OK);
    precise["result"] = json!({"duration": "PT1.24S"});
    send_multipart(
        &app,
        &c,
        multipart("xyz", &precise, &[(&sha, token.as_bytes())]),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    // With an x5c certificate the signature itself is verified (keys made by openssl).
    let real = openssl_jws(&signed);
    send_multipart(&app, &c, try_sign(real.clone()))
        .await
        .assert(StatusCode::OK);
    let mut forged = real.into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    send_multipart(&app, &c, try_sign(String::from_utf8(forged).unwrap()))
        .await
        .assert(StatusCode::BAD_REQUEST);
    // A signature is application/octet-stream.
    let token = jws("RS256", &signed);
    let sha = hex::encode(Sha256::digest(token.as_bytes()));
    let mut text = signed.clone();
    text["attachments"] =
        with_attachment(&sha, token.len(), SIGNATURE, "text/plain")["attachments"].clone();
    send_multipart(
        &app,
        &c,
        multipart("xyz", &text, &[(&sha, token.as_bytes())]),
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    assert_eq!(ids(&app, &c, "").await.len(), 3);
}

/// An RS256 JWS of `payload` with an `x5c` self-signed certificate, made with the openssl CLI.
fn openssl_jws(payload: &Value) -> String {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.der",
        "-outform",
        "DER",
        "-days",
        "2",
        "-subj",
        "/CN=Caravan test signer",
    ]);
    let cert = std::fs::read(dir.path().join("cert.der")).unwrap();
    let x5c = base64::engine::general_purpose::STANDARD.encode(cert);
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "x5c": [x5c]}).to_string());
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    std::fs::write(dir.path().join("signing-input"), format!("{header}.{body}")).unwrap();
    let signature = run(&["dgst", "-sha256", "-sign", "key.pem", "signing-input"]);
    format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(signature))
}

both_backends!(
    filters_select_by_agent_verb_activity_registration_and_time,
    pages_follow_more_links_to_the_end,
    formats_reduce_to_ids_or_one_language,
    attachments_travel_as_multipart_and_are_checked,
    signed_statements_must_carry_their_own_payload
);
