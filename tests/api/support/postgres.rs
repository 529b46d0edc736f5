//! A fresh PostgreSQL schema per test: cheaper than a database, just as isolated.
//!
//! The server comes from `CARAVAN_TEST_DATABASE_URL` (scripts/test sets it), else the local
//! default `postgres://postgres@127.0.0.1:5432/postgres`.

use sqlx::{Connection, PgConnection};

pub async fn fresh_database() -> String {
    let base = std::env::var("CARAVAN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {base} is not reachable ({e}); run scripts/test, which starts one")
    });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    conn.close().await.ok();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}
