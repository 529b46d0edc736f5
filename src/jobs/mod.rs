//! A durable job queue in the database.
//!
//! A job is claimed with a lease that its worker's heartbeats extend. A worker that dies stops
//! heartbeating; once the lease expires any node may claim the job again. Only the lease owner
//! may finish a job, so a worker that lost its lease cannot overwrite the new owner's result.
//! On PostgreSQL the claim skips rows other nodes are claiming (`FOR UPDATE SKIP LOCKED`); SQLite
//! serialises writers, so its single-statement claim is already exclusive.

mod store;
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

/// Queues a job of `kind`, due now; returns its id.
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
    store::insert(db, &id, kind, &payload.to_string(), max_attempts, now).await?;
    Ok(id)
}

/// Claims the next runnable job for `owner`: a queued one that is due, or a running one whose
/// lease has expired (its worker died) and that has attempts left.
pub async fn claim(db: &Db, owner: &str, lease: Duration) -> sqlx::Result<Option<Job>> {
    let now = now_ms();
    store::claim_next(db, owner, now + lease.as_millis() as i64, now).await
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
    let n =
        store::extend_lease(db, id, owner, now + lease.as_millis() as i64, progress, now).await?;
    Ok(n == 1)
}

/// Finishes the job. False when the job is no longer ours.
pub async fn succeed(db: &Db, id: &str, owner: &str) -> sqlx::Result<bool> {
    let n = store::mark_succeeded(db, id, owner, now_ms()).await?;
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
    store::mark_attempt_failed(
        db,
        &job.id,
        owner,
        status,
        now_ms() + backoff_ms,
        error,
        now_ms(),
    )
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
    store::requeue_deferred(db, id, owner, now + delay.as_millis() as i64, reason, now).await
}

/// Gives a job back to the queue at once (a node shutting down).
pub async fn release(db: &Db, id: &str, owner: &str) -> sqlx::Result<()> {
    store::requeue_released(db, id, owner, now_ms()).await
}

/// Cancels a job that has not finished; a running worker notices at its next heartbeat.
pub async fn cancel(db: &Db, id: &str) -> sqlx::Result<bool> {
    let n = store::mark_cancelled(db, id, now_ms()).await?;
    Ok(n == 1)
}

/// Jobs whose worker died on their last attempt fail for good.
pub async fn sweep_exhausted(db: &Db) -> sqlx::Result<Vec<String>> {
    store::fail_exhausted(db, now_ms()).await
}

/// The job's status, if it exists.
pub async fn status(db: &Db, id: &str) -> sqlx::Result<Option<JobStatus>> {
    store::status(db, id).await
}
