//! The database: one set of queries over SQLite (embedded default) and PostgreSQL (at scale).
//!
//! Queries go through sqlx's `Any` driver with `$n` placeholders, which both backends accept, and
//! use portable types only (TEXT ids, BIGINT epoch milliseconds, BOOLEAN, DOUBLE). Where SQL must
//! differ (schema DDL, row locking) the backend is matched explicitly.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, ConnectOptions, Executor,
};

pub mod dialect;
pub mod time;

pub use dialect::CalendarLabel;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite takes one writer at a time; queueing bulk writers here in the process is far
    /// cheaper than letting them collide on the file lock and sleep in SQLite's busy handler.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Db {
    /// Connects (creating a missing SQLite file) without migrating.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_with_create(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            anyhow::bail!("unsupported database URL: expected sqlite:// or postgres://");
        };
        let options = AnyConnectOptions::from_str(&url)
            .context("parsing the database URL")?
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
            .log_statements(tracing::log::LevelFilter::Trace);
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // One writer at a time is SQLite's model; WAL lets readers proceed meanwhile and
            // NORMAL sync is durable at every checkpoint and crash-safe in WAL mode.
            pool = pool.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        } else {
            pool = pool.max_connections(16);
        }
        let pool = pool
            .connect_with(options)
            .await
            .context("connecting to the database")?;
        Ok(Self {
            pool,
            backend,
            writer: Default::default(),
        })
    }

    /// Hold this across a write transaction of many rows: on SQLite it queues this process's
    /// bulk writers; on PostgreSQL, which has row locks, it is nothing.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying migrations")?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// `sqlite://file.db` should create the file, as a first `cargo run` expects.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// True when an error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// An optional float as two parameters, whether it is there and its value; the SQL reads
/// `CASE WHEN $flag THEN $value END` (or `... ELSE column END` to keep what is stored).
/// Binding `None::<f64>` directly is unsafe on PostgreSQL: sqlx 0.8.6's Any driver declares a
/// NULL `f64` as `float4` (its NULL float kinds are swapped, launchbadge/sqlx#4290), the
/// statement is cached per connection with that type, and a later call on the same connection
/// binding a real `f64` fails with "incorrect binary data format".
pub fn optional_float(value: Option<f64>) -> (bool, f64) {
    (value.is_some(), value.unwrap_or(0.0))
}

/// Builds `$n` placeholders for dynamically assembled queries.
#[derive(Default)]
pub struct Placeholders(usize);

impl Placeholders {
    pub fn take(&mut self) -> String {
        self.0 += 1;
        format!("${}", self.0)
    }
}

/// A boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite (the Any driver maps no
/// SQLite BOOLEAN). Decode struct fields with `#[sqlx(try_from = "Flag")]`.
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> Self {
        f.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::ValueRef;
        if <bool as sqlx::Type<sqlx::Any>>::compatible(&value.type_info()) {
            <bool as sqlx::Decode<sqlx::Any>>::decode(value).map(Flag)
        } else {
            <i64 as sqlx::Decode<sqlx::Any>>::decode(value).map(|i| Flag(i != 0))
        }
    }
}

/// A migrated PostgreSQL database in a schema of its own, for tests of SQL that only
/// PostgreSQL's typing exposes. The server comes from `CARAVAN_TEST_DATABASE_URL` (scripts/test
/// sets it), else the local default.
#[cfg(test)]
pub(crate) async fn scratch_postgres() -> Db {
    let base = std::env::var("CARAVAN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("u_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {base} is not reachable ({e:#}); run scripts/test, which starts one")
    });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin.pool)
        .await
        .expect("create schema");
    admin.pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let db = Db::connect(&format!("{base}{sep}options=-c%20search_path%3D{schema}"))
        .await
        .expect("connect to the schema");
    db.migrate().await.expect("migrate");
    db
}
