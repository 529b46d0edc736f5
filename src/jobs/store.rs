//! The jobs area's SQL: the `jobs` table, a queue with leases.

use super::{Job, JobStatus};
use crate::db::Db;

/// Inserts a queued job due at `now`.
pub(crate) async fn insert<'e, E>(
    db: E,
    id: &str,
    kind: &str,
    payload: &str,
    max_attempts: i64,
    now: i64,
) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, max_attempts, run_after, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $5, $5)",
    )
    .bind(id)
    .bind(kind)
    .bind(payload)
    .bind(max_attempts)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the next runnable job (queued and due, or running with an expired lease and attempts
/// left) running under `owner`'s lease; returns it.
pub(crate) async fn claim_next(
    db: &Db,
    owner: &str,
    lease_expires_at: i64,
    now: i64,
) -> sqlx::Result<Option<Job>> {
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
        .bind(lease_expires_at)
        .bind(now)
        .fetch_optional(&db.pool)
        .await
}

/// Extends the lease of `owner`'s running job and records its progress; returns the rows
/// updated.
pub(crate) async fn extend_lease(
    db: &Db,
    id: &str,
    owner: &str,
    lease_expires_at: i64,
    progress: i64,
    now: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET lease_expires_at = $1, progress = $2, updated_at = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(lease_expires_at)
    .bind(progress)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Marks `owner`'s running job succeeded; returns the rows updated.
pub(crate) async fn mark_succeeded(db: &Db, id: &str, owner: &str, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'succeeded', progress = 100, lease_owner = NULL, lease_expires_at = NULL, \
         updated_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Ends `owner`'s lease of the job with `status` and its error, to run again after `run_after`.
pub(crate) async fn mark_attempt_failed(
    db: &Db,
    id: &str,
    owner: &str,
    status: &str,
    run_after: i64,
    error: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = $1, run_after = $2, last_error = $3, lease_owner = NULL, \
         lease_expires_at = NULL, updated_at = $4 WHERE id = $5 AND lease_owner = $6",
    )
    .bind(status)
    .bind(run_after)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Queues `owner`'s running job again, to run after `run_after`, without counting the attempt.
pub(crate) async fn requeue_deferred(
    db: &Db,
    id: &str,
    owner: &str,
    run_after: i64,
    reason: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, \
         lease_expires_at = NULL, run_after = $1, last_error = $2, updated_at = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(run_after)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Queues `owner`'s running job again, due at `now`, without counting the attempt.
pub(crate) async fn requeue_released(db: &Db, id: &str, owner: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, \
         lease_expires_at = NULL, run_after = $1, updated_at = $1 \
         WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks a queued or running job cancelled; returns the rows updated.
pub(crate) async fn mark_cancelled(db: &Db, id: &str, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
         WHERE id = $2 AND status IN ('queued', 'running')",
    )
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Fails the running jobs whose lease expired on their last attempt; returns their ids.
pub(crate) async fn fail_exhausted(db: &Db, now: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE jobs SET status = 'failed', last_error = COALESCE(last_error, 'the worker stopped responding'), \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
         WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts RETURNING id",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await
}

/// The job's status row.
pub(crate) async fn status(db: &Db, id: &str) -> sqlx::Result<Option<JobStatus>> {
    sqlx::query_as::<_, JobStatus>(
        "SELECT id, kind, status, attempts, max_attempts, progress, last_error FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}
