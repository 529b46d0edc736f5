//! Offline clients queue statements with their own ids and send them in batches when the link
//! returns. 10,000 statements are sent twice, in shuffled batches of mixed sizes, with the real
//! server killed (`kill -9`) in the middle: every acknowledged statement survives, resending is
//! harmless, and in the end each statement is stored exactly once.

use std::collections::{HashMap, HashSet};

use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::{
    both_backends,
    crash::{login_and_org, sqlite_url, superadmin_on, Server},
    support::Backend,
};

const STATEMENTS: usize = 10_000;

fn queue() -> Vec<Value> {
    (0..STATEMENTS)
        .map(|i| {
            json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "actor": {"mbox": format!("mailto:learner{}@example.org", i % 97)},
                "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
                "object": {"id": format!("http://example.org/units/{}", i % 13)},
                "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": i as f64 / 10.0}},
                "timestamp": "2026-11-27T08:00:00.000Z",
            })
        })
        .collect()
}

fn batches(statements: &[Value], rng: &mut StdRng) -> Vec<Vec<Value>> {
    let mut order: Vec<&Value> = statements.iter().collect();
    order.shuffle(rng);
    let mut out = Vec::new();
    while !order.is_empty() {
        let n = rng.gen_range(1..=250).min(order.len());
        out.push(order.drain(..n).cloned().collect());
    }
    out
}

async fn lrs_client(base: &str, token: &str, org: &str) -> (String, String) {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/orgs/{org}/lrs-clients"))
        .bearer_auth(token)
        .json(&json!({"name": "Offline app", "scopes": ["all"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["key"].as_str().unwrap().to_owned(),
        r["secret"].as_str().unwrap().to_owned(),
    )
}

/// Sends batches, four at a time; returns the ids of acknowledged batches. With `kill_after`,
/// the server is killed once that many batches are acknowledged, while others are in flight.
async fn send(
    server: Server,
    creds: &(String, String),
    batches: Vec<Vec<Value>>,
    kill_after: Option<usize>,
) -> (HashSet<String>, Option<Server>) {
    let http = reqwest::Client::new();
    let url = format!("{}/xapi/statements", server.base);
    let mut server = Some(server);
    let mut acknowledged = HashSet::new();
    let mut acked_batches = 0;
    let mut pending = batches.into_iter();
    let mut in_flight = JoinSet::new();
    let spawn = |set: &mut JoinSet<_>, batch: Vec<Value>| {
        let req = http
            .post(&url)
            .basic_auth(&creds.0, Some(&creds.1))
            .header("X-Experience-API-Version", "2.0.0")
            .json(&batch);
        set.spawn(async move { (req.send().await, batch) });
    };
    for _ in 0..4 {
        if let Some(b) = pending.next() {
            spawn(&mut in_flight, b);
        }
    }
    while let Some(done) = in_flight.join_next().await {
        let (reply, batch) = done.unwrap();
        match reply {
            Ok(r) if r.status() == StatusCode::OK => {
                let ids: Vec<String> = r.json().await.unwrap();
                let sent: Vec<&str> = batch.iter().map(|s| s["id"].as_str().unwrap()).collect();
                assert_eq!(ids, sent, "ids come back in the order sent");
                acknowledged.extend(ids);
                acked_batches += 1;
            }
            Ok(r) => panic!("batch refused: {} {}", r.status(), r.text().await.unwrap()),
            // Only after the kill may a request fail.
            Err(e) => assert!(server.is_none(), "request failed before the kill: {e}"),
        }
        if kill_after == Some(acked_batches) {
            if let Some(s) = server.take() {
                s.kill9();
            }
        }
        if server.is_some() {
            if let Some(b) = pending.next() {
                spawn(&mut in_flight, b);
            }
        }
    }
    (acknowledged, server)
}

/// Every stored statement id, by following `more` links.
async fn stored_ids(base: &str, creds: &(String, String)) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    let mut next = "/xapi/statements?limit=500&format=ids".to_owned();
    while !next.is_empty() {
        let page: Value = http
            .get(format!("{base}{next}"))
            .basic_auth(&creds.0, Some(&creds.1))
            .header("X-Experience-API-Version", "2.0.0")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for s in page["statements"].as_array().unwrap() {
            ids.push(s["id"].as_str().unwrap().to_owned());
        }
        next = page["more"].as_str().unwrap().to_owned();
    }
    ids
}

async fn ten_thousand_statements_sent_twice_across_a_kill_are_stored_exactly_once(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => sqlite_url(dir.path()),
        Backend::Postgres => crate::support::postgres::fresh_database().await,
    };
    superadmin_on(dir.path(), &database_url);
    let server = Server::start_on(dir.path(), &database_url).await;
    let (token, org) = login_and_org(&server.base).await;
    let creds = lrs_client(&server.base, &token, &org).await;
    let statements = queue();
    let mut rng = StdRng::seed_from_u64(20261127);

    let first = batches(&statements, &mut rng);
    let total_batches = first.len();
    let (acknowledged, survivor) = send(server, &creds, first, Some(total_batches / 3)).await;
    assert!(survivor.is_none(), "the server was killed mid-way");
    assert!(!acknowledged.is_empty() && acknowledged.len() < STATEMENTS);

    // After the restart every acknowledged statement is there.
    let server = Server::start_on(dir.path(), &database_url).await;
    let after_crash: HashSet<String> = stored_ids(&server.base, &creds).await.into_iter().collect();
    let lost: Vec<&String> = acknowledged.difference(&after_crash).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged statements lost",
        lost.len()
    );

    // The client resends its whole queue, reshuffled: all accepted, nothing doubled.
    let second = batches(&statements, &mut rng);
    let (acknowledged, server) = send(server, &creds, second, None).await;
    assert_eq!(acknowledged.len(), STATEMENTS);
    let server = server.unwrap();
    let stored = stored_ids(&server.base, &creds).await;
    assert_eq!(stored.len(), STATEMENTS, "each statement stored once");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &stored {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let expected: HashSet<&str> = statements
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(counts.keys().copied().collect::<HashSet<_>>(), expected);
    // A statement reads back as it was sent.
    let one = &statements[1234];
    let back: Value = reqwest::Client::new()
        .get(format!(
            "{}/xapi/statements?statementId={}",
            server.base,
            one["id"].as_str().unwrap()
        ))
        .basic_auth(&creds.0, Some(&creds.1))
        .header("X-Experience-API-Version", "2.0.0")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back["result"], one["result"]);
    assert_eq!(back["timestamp"], one["timestamp"]);
}

both_backends!(ten_thousand_statements_sent_twice_across_a_kill_are_stored_exactly_once);
