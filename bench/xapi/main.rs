//! bench/xapi: statement ingestion and filtered reads of Caravan's LRS, on SQLite and
//! PostgreSQL, each side by side with a raw insert of the same rows into the same database.
//!
//! * POST /xapi/statements with batches of 1, 10, 100 and 1,000 statements from 8 concurrent
//!   clients (HTTP on loopback, validation, id checks, one transaction per batch), against
//!   `store::write_rows` inserting the same prepared rows in one transaction per batch from 8
//!   tasks (no HTTP, no validation, no checks): statements/s for both and their ratio.
//! * 1,000,000 statements stored, then filtered GETs (agent, verb, activity, related
//!   activities, registration, since, combinations) at `limit=100`: p50 and p99 latency.
//!
//! Run with `bench/xapi/run.sh` (or `cargo bench --bench xapi`); `cargo test` builds this file
//! without running it. Environment: XAPI_BENCH_BACKENDS=sqlite,postgres, XAPI_BENCH_FILL,
//! XAPI_BENCH_STATEMENTS, CARAVAN_TEST_DATABASE_URL.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use caravan::{
    accounts,
    app::Application,
    config::{Settings, StoreLocation},
    lrs::{
        clients::{self, Scopes},
        store::{self, Prepared, WriteContext},
        xapi::XapiVersion,
    },
    orgs,
    values::{Email, Slug, Text},
};
use serde_json::{json, Value};

const CONCURRENCY: usize = 8;
const AGENTS: usize = 10_000;
const VERBS: usize = 20;
const ACTIVITIES: usize = 2_000;

fn statement(i: usize) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "name": format!("Learner {}", i % AGENTS),
                  "mbox": format!("mailto:learner{}@example.org", i % AGENTS)},
        "verb": {"id": format!("http://example.org/verbs/v{}", i % VERBS), "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": format!("http://example.org/activities/a{}", (i * 7) % ACTIVITIES),
                   "definition": {"name": {"en-US": "Lesson"}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "result": {"score": {"scaled": (i % 100) as f64 / 100.0}, "completion": i % 3 == 0,
                   "duration": "PT4M30S"},
        "context": {"registration": uuid::Uuid::from_u128((i / 20) as u128).to_string(),
                    "contextActivities": {"parent": [{"id": format!("http://example.org/courses/c{}", i % 50)}]}},
        "timestamp": "2026-11-27T08:00:00.000Z",
    })
}

struct Bench {
    base: String,
    key: String,
    secret: String,
    state: caravan::AppState,
    http: reqwest::Client,
    org_id: String,
}

async fn start(database_url: String, dir: &std::path::Path) -> anyhow::Result<Bench> {
    let mut settings = Settings::new(database_url, StoreLocation::Local(dir.join("media")));
    settings.bind = ([127, 0, 0, 1], 0).into();
    settings.workers = 0;
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let db = &state.db;
    let user = accounts::create_user(
        db,
        &Email::parse("bench@example.org").unwrap(),
        &Text::parse("Bench", 100).unwrap(),
        "unused",
        true,
    )
    .await?;
    let org = orgs::create(
        db,
        &Text::parse("Bench", 100).unwrap(),
        &Slug::parse("bench").unwrap(),
    )
    .await?;
    let (client, secret) = clients::create(
        db,
        &org.id,
        "bench",
        Scopes::parse(["all"]).unwrap(),
        &user.id,
    )
    .await?;
    Ok(Bench {
        base,
        key: client.key,
        secret,
        state,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?,
        org_id: org.id,
    })
}

/// Runs `batches` through `work` from CONCURRENCY tasks; returns the wall time.
async fn drive<T, F, Fut>(batches: Vec<T>, work: F) -> Duration
where
    T: Send + Sync + 'static,
    F: Fn(Arc<Vec<T>>, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (batches, next, work) = (batches.clone(), next.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= batches.len() {
                    break;
                }
                work(batches.clone(), i).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

async fn post_rate(b: &Bench, batch: usize, total: usize, offset: usize) -> f64 {
    let bodies: Vec<String> = (0..total)
        .map(|i| statement(offset + i))
        .collect::<Vec<_>>()
        .chunks(batch)
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    let (http, url, key, secret) = (
        b.http.clone(),
        format!("{}/xapi/statements", b.base),
        b.key.clone(),
        b.secret.clone(),
    );
    let took = drive(bodies, move |bodies, i| {
        let (http, url, key, secret) = (http.clone(), url.clone(), key.clone(), secret.clone());
        async move {
            let r = http
                .post(&url)
                .basic_auth(&key, Some(&secret))
                .header("X-Experience-API-Version", "2.0.0")
                .header("content-type", "application/json")
                .body(bodies[i].clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    })
    .await;
    total as f64 / took.as_secs_f64()
}

fn prepared(b: &Bench, total: usize, offset: usize) -> Vec<Prepared> {
    let public_url = b.state.settings.public_url.clone();
    let cx = WriteContext {
        stored_ms: caravan::db::time::now_ms(),
        authority: json!({"objectType": "Agent", "account": {"homePage": "http://x", "name": "bench"}}),
        authority_id: "client:bench".into(),
        org_id: Some(&b.org_id),
        version: XapiVersion::V2_0_0,
        public_url: &public_url,
    };
    (0..total)
        .map(|i| store::prepare(statement(offset + i), &cx))
        .collect()
}

/// The same rows written with `store::write_rows`, one transaction per batch.
async fn raw_rate(b: &Bench, batch: usize, rows: Vec<Prepared>) -> f64 {
    let total = rows.len();
    let batches: Vec<Vec<Prepared>> = rows.chunks(batch).map(<[Prepared]>::to_vec).collect();
    let db = b.state.db.clone();
    let took = drive(batches, move |batches, i| {
        let db = db.clone();
        async move {
            let _turn = db.write_turn().await;
            let mut tx = db.pool.begin().await.unwrap();
            let refs: Vec<&Prepared> = batches[i].iter().collect();
            store::write_rows(&mut tx, db.backend, &refs).await.unwrap();
            tx.commit().await.unwrap();
        }
    })
    .await;
    total as f64 / took.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn get_latencies(b: &Bench, name: &str, queries: Vec<String>) -> (String, f64, f64, f64) {
    let mut times = Vec::with_capacity(queries.len());
    let mut returned = 0usize;
    for q in &queries {
        let started = Instant::now();
        let r = b
            .http
            .get(format!("{}/xapi/statements?{q}", b.base))
            .basic_auth(&b.key, Some(&b.secret))
            .header("X-Experience-API-Version", "2.0.0")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        times.push(started.elapsed());
        returned += body["statements"].as_array().unwrap().len();
    }
    times.sort();
    (
        name.to_owned(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        returned as f64 / queries.len() as f64,
    )
}

fn esc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn run(backend: &str, fill: usize, statements: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = match backend {
        "sqlite" => format!("sqlite://{}", dir.path().join("bench.db").display()),
        _ => fresh_postgres().await?,
    };
    let b = start(url, dir.path()).await?;
    println!("\n## {backend}\n");
    println!("| batch | POST /xapi/statements (stmt/s) | raw insert (stmt/s) | POST / raw |");
    println!("|---:|---:|---:|---:|");
    let mut offset = 0;
    for batch in [1usize, 10, 100, 1000] {
        let total = match batch {
            1 => statements / 10,
            10 => statements / 2,
            _ => statements,
        };
        let post = post_rate(&b, batch, total, offset).await;
        offset += total;
        let rows = prepared(&b, total, offset);
        offset += total;
        let raw = raw_rate(&b, batch, rows).await;
        println!("| {batch} | {post:.0} | {raw:.0} | {:.2}x |", post / raw);
    }

    // Fill to `fill` statements with the raw path (the same rows POST stores), then read.
    let started = Instant::now();
    while offset < fill {
        let n = (fill - offset).min(100_000);
        let rows = prepared(&b, n, offset);
        offset += n;
        raw_rate(&b, 1000, rows).await;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM xapi_statements")
        .fetch_one(&b.state.db.pool)
        .await?;
    println!(
        "\nStored {count} statements (fill took {:.0} s).\n",
        started.elapsed().as_secs_f64()
    );
    // Fresh planner statistics, as autovacuum / a periodic `PRAGMA optimize` would give.
    sqlx::query("ANALYZE").execute(&b.state.db.pool).await?;
    let recent = caravan::db::time::to_rfc3339(caravan::db::time::now_ms() - 60_000);
    let n = 200;
    let agent = |i: usize| {
        esc(
            &json!({"mbox": format!("mailto:learner{}@example.org", (i * 37) % AGENTS)})
                .to_string(),
        )
    };
    let verb = |i: usize| esc(&format!("http://example.org/verbs/v{}", i % VERBS));
    let activity = |i: usize| {
        esc(&format!(
            "http://example.org/activities/a{}",
            (i * 13) % ACTIVITIES
        ))
    };
    let course = |i: usize| esc(&format!("http://example.org/courses/c{}", i % 50));
    let registration =
        |i: usize| uuid::Uuid::from_u128(((i * 101) % (fill / 20)) as u128).to_string();
    let sets: Vec<(&str, Vec<String>)> = vec![
        (
            "no filter",
            (0..n).map(|_| "limit=100".to_owned()).collect(),
        ),
        (
            "agent",
            (0..n)
                .map(|i| format!("agent={}&limit=100", agent(i)))
                .collect(),
        ),
        (
            "verb",
            (0..n)
                .map(|i| format!("verb={}&limit=100", verb(i)))
                .collect(),
        ),
        (
            "activity",
            (0..n)
                .map(|i| format!("activity={}&limit=100", activity(i)))
                .collect(),
        ),
        (
            "related activity (course)",
            (0..n)
                .map(|i| format!("activity={}&related_activities=true&limit=100", course(i)))
                .collect(),
        ),
        (
            "registration",
            (0..n)
                .map(|i| format!("registration={}&limit=100", registration(i)))
                .collect(),
        ),
        (
            "agent + verb",
            (0..n)
                .map(|i| format!("agent={}&verb={}&limit=100", agent(i), verb(i * 37)))
                .collect(),
        ),
        (
            "verb since 1 min ago",
            (0..n)
                .map(|i| format!("verb={}&since={}&limit=100", verb(i), esc(&recent)))
                .collect(),
        ),
        (
            "agent, ascending",
            (0..n)
                .map(|i| format!("agent={}&ascending=true&limit=100", agent(i)))
                .collect(),
        ),
    ];
    println!("| GET filter (limit=100) | p50 ms | p99 ms | statements per page |");
    println!("|---|---:|---:|---:|");
    for (name, queries) in sets {
        let (name, p50, p99, per_page) = get_latencies(&b, name, queries).await;
        println!("| {name} | {p50:.1} | {p99:.1} | {per_page:.0} |");
    }
    Ok(())
}

async fn fresh_postgres() -> anyhow::Result<String> {
    use sqlx::Connection;
    let base = std::env::var("CARAVAN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut conn = sqlx::PgConnection::connect(&base).await?;
    sqlx::query("DROP SCHEMA IF EXISTS xapi_bench CASCADE")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE SCHEMA xapi_bench")
        .execute(&mut conn)
        .await?;
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{sep}options=-c%20search_path%3Dxapi_bench"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` builds and starts benchmarks without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let backends =
        std::env::var("XAPI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let fill: usize = std::env::var("XAPI_BENCH_FILL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let statements: usize = std::env::var("XAPI_BENCH_STATEMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!("# bench/xapi — {} cores, {CONCURRENCY} concurrent clients, {statements} statements per batch size\n", std::thread::available_parallelism().map_or(1, |n| n.get()));
    for backend in backends.split(',') {
        run(backend.trim(), fill, statements).await?;
    }
    Ok(())
}
