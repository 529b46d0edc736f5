//! A durable job queue in the database.
//!
//! A job is claimed with a lease that its worker's heartbeats extend. A worker that dies stops
//! heartbeating; once the lease expires any node may claim the job again. Only the lease owner
//! may finish a job, so a worker that lost its lease cannot overwrite the new owner's result.
//! On PostgreSQL the claim skips rows other nodes are claiming (`FOR UPDATE SKIP LOCKED`); SQLite
//! serialises writers, so its single-statement claim is already exclusive.

pub mod worker;

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{time::now_ms, Db};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct JobStatus {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress: i64,
    pub last_error: Option<String>,
}

pub async fn enqueue<'e, E>(
    db: E,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
) -> sqlx::Result<String>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, max_attempts, run_after, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $5, $5)",
    )
    .bind(&id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(max_attempts)
    .bind(now)
    .execute(db)
    .await?;
    Ok(id)
}

/// Claims the next runnable job for `owner`: a queued one that is due, or a running one whose
/// lease has expired (its worker died) and that has attempts left.
pub async fn claim(db: &Db, owner: &str, lease: Duration) -> sqlx::Result<Option<Job>> {
    let now = now_ms();
    let lock = db.backend.row_lock_skip_locked();
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, \
         lease_expires_at = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs WHERE \
             ((status = 'queued' AND run_after <= $3) \
              OR (status = 'running' AND lease_expires_at < $3 AND attempts < max_attempts)) \
             ORDER BY run_after, id LIMIT 1 {lock}) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    sqlx::query_as::<_, Job>(&sql)
        .bind(owner)
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .fetch_optional(&db.pool)
        .await
}

/// Extends the lease and records progress. False when the job is no longer ours (lease lost
/// or cancelled): the worker must stop.
pub async fn heartbeat(
    db: &Db,
    id: &str,
    owner: &str,
    lease: Duration,
    progress: i64,
) -> sqlx::Result<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $1, progress = $2, updated_at = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(now + lease.as_millis() as i64)
    .bind(progress)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn succeed(db: &Db, id: &str, owner: &str) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET status = 'succeeded', progress = 100, lease_owner = NULL, lease_expires_at = NULL, \
         updated_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now_ms())
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a failed attempt. A retryable failure with attempts left goes back to the queue
/// after an exponential backoff; otherwise the job fails for good. Returns the new status.
pub async fn fail(
    db: &Db,
    job: &Job,
    owner: &str,
    error: &str,
    retryable: bool,
) -> sqlx::Result<&'static str> {
    let retry = retryable && job.attempts < job.max_attempts;
    let backoff_ms = worker::backoff(job.attempts).as_millis() as i64;
    let status = if retry { "queued" } else { "failed" };
    sqlx::query(
        "UPDATE jobs SET status = $1, run_after = $2, last_error = $3, lease_owner = NULL, \
         lease_expires_at = NULL, updated_at = $4 WHERE id = $5 AND lease_owner = $6",
    )
    .bind(status)
    .bind(now_ms() + backoff_ms)
    .bind(error)
    .bind(now_ms())
    .bind(&job.id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(status)
}

/// Puts a job back without counting the attempt, to run after `delay`.
pub async fn defer(
    db: &Db,
    id: &str,
    owner: &str,
    delay: Duration,
    reason: &str,
) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, \
         lease_expires_at = NULL, run_after = $1, last_error = $2, updated_at = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(now + delay.as_millis() as i64)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Gives a job back to the queue at once (a node shutting down).
pub async fn release(db: &Db, id: &str, owner: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, \
         lease_expires_at = NULL, run_after = $1, updated_at = $1 \
         WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now_ms())
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Cancels a job that has not finished; a running worker notices at its next heartbeat.
pub async fn cancel(db: &Db, id: &str) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
         WHERE id = $2 AND status IN ('queued', 'running')",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Jobs whose worker died on their last attempt fail for good.
pub async fn sweep_exhausted(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE jobs SET status = 'failed', last_error = COALESCE(last_error, 'the worker stopped responding'), \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
         WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts RETURNING id",
    )
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await
}

pub async fn status(db: &Db, id: &str) -> sqlx::Result<Option<JobStatus>> {
    sqlx::query_as::<_, JobStatus>(
        "SELECT id, kind, status, attempts, max_attempts, progress, last_error FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}
