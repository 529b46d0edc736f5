//! Workers: claim jobs, heartbeat their leases, run them, record the outcome.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio::sync::{watch, Notify};

use super::Job;
use crate::context::Context;

/// Why a job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Bad input: retrying cannot help. `code` is the stable problem code shown to people.
    #[error("{code}: {detail}")]
    Permanent { code: &'static str, detail: String },
    /// Anything else (store or database hiccup, ffmpeg crash): retried with backoff.
    #[error(transparent)]
    Retryable(#[from] anyhow::Error),
    /// A prerequisite is missing (ffmpeg not installed): requeue without spending an attempt.
    #[error("deferred: {reason}")]
    Deferred { reason: String, delay: Duration },
    /// The job was cancelled or its lease lost while running.
    #[error("cancelled")]
    Cancelled,
}

/// Store, database and file-system failures are hiccups: the job is retried with backoff.
macro_rules! retryable_from {
    ($($t:ty),*) => {$(
        impl From<$t> for JobError {
            fn from(e: $t) -> Self {
                Self::Retryable(e.into())
            }
        }
    )*};
}
retryable_from!(
    sqlx::Error,
    object_store::Error,
    std::io::Error,
    serde_json::Error,
    tokio::task::JoinError
);

/// Another feature's error met while running a job (reading an asset row, say): retried, since
/// bad input is refused before a job is enqueued.
impl From<crate::error::Error> for JobError {
    fn from(e: crate::error::Error) -> Self {
        Self::Retryable(anyhow::anyhow!("{e}"))
    }
}

/// What a running job sees of its worker.
#[derive(Clone)]
pub struct JobContext {
    progress: Arc<watch::Sender<i64>>,
    cancelled: watch::Receiver<bool>,
}

impl JobContext {
    pub fn set_progress(&self, percent: i64) {
        self.progress.send_replace(percent.clamp(0, 100));
    }

    pub fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }

    /// Resolves when the job is cancelled or its lease is lost.
    pub async fn cancelled(&self) {
        let mut rx = self.cancelled.clone();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// A receiver that turns true on cancellation, for child processes to watch.
    pub fn cancel_receiver(&self) -> watch::Receiver<bool> {
        self.cancelled.clone()
    }

    /// Progress updates as a channel a child process can report into.
    pub fn progress_sender(&self) -> Arc<watch::Sender<i64>> {
        self.progress.clone()
    }
}

/// Runs the jobs of one kind. Each feature that enqueues jobs brings its runner; the
/// composition root registers them in [`Runners`], so the queue knows no job kind.
pub trait Runner: Send + Sync + 'static {
    /// The `kind` its jobs are enqueued with.
    fn kind(&self) -> &'static str;

    fn run<'a>(
        &'a self,
        ctx: &'a Context,
        job: &'a Job,
        progress: JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>>;

    /// Called once when a job has failed for good (no attempts left, or a permanent error).
    fn failed_for_good<'a>(
        &'a self,
        _ctx: &'a Context,
        _job: &'a Job,
        _err: &'a JobError,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The runners of every job kind, by kind.
#[derive(Default)]
pub struct Runners(HashMap<&'static str, Box<dyn Runner>>);

impl Runners {
    pub fn with(mut self, runner: impl Runner) -> Self {
        let kind = runner.kind();
        let replaced = self.0.insert(kind, Box::new(runner));
        assert!(replaced.is_none(), "two runners for job kind {kind:?}");
        self
    }

    fn get(&self, kind: &str) -> Option<&dyn Runner> {
        self.0.get(kind).map(|r| r.as_ref())
    }
}

/// Starts `concurrency` worker loops; they stop claiming when `shutdown` turns true and give
/// running jobs back to the queue.
pub fn spawn(
    state: Context,
    runners: Arc<Runners>,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let owner = format!("node-{}", uuid::Uuid::new_v4().simple());
    (0..state.settings.workers)
        .map(|slot| {
            let (state, runners, shutdown) = (state.clone(), runners.clone(), shutdown.clone());
            let notify = state.jobs_notify.clone();
            let owner = format!("{owner}-{slot}");
            tokio::spawn(async move { run_loop(state, runners, owner, notify, shutdown).await })
        })
        .collect()
}

async fn run_loop(
    state: Context,
    runners: Arc<Runners>,
    owner: String,
    notify: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let lease = state.settings.job_lease;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = super::sweep_exhausted(&state.db).await.map(|ids| {
            for id in ids {
                tracing::warn!(job = %id, "job failed for good: its worker stopped responding on the last attempt");
            }
        }) {
            tracing::warn!(error = %e, "sweeping exhausted jobs");
        }
        match super::claim(&state.db, &owner, lease).await {
            Ok(Some(job)) => run_one(&state, &runners, &owner, job, &mut shutdown).await,
            Ok(None) => {
                tokio::select! {
                    () = notify.notified() => {}
                    () = tokio::time::sleep(state.settings.job_poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job");
                tokio::time::sleep(state.settings.job_poll).await;
            }
        }
    }
}

#[tracing::instrument(skip_all, fields(job = %job.id, kind = %job.kind, attempt = job.attempts))]
async fn run_one(
    state: &Context,
    runners: &Runners,
    owner: &str,
    job: Job,
    shutdown: &mut watch::Receiver<bool>,
) {
    let runner = runners.get(&job.kind);
    let lease = state.settings.job_lease;
    let (progress_tx, progress_rx) = watch::channel(0i64);
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let ctx = JobContext {
        progress: Arc::new(progress_tx),
        cancelled: cancel_rx,
    };

    let heartbeat = {
        let (db, id, owner) = (state.db.clone(), job.id.clone(), owner.to_owned());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                let progress = *progress_rx.borrow();
                match super::heartbeat(&db, &id, &owner, lease, progress).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("lease lost or job cancelled; stopping");
                        let _ = cancel_tx.send(true);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
            }
        })
    };

    tracing::info!("job started");
    let work = async {
        match runner {
            Some(runner) => runner.run(state, &job, ctx.clone()).await,
            None => Err(JobError::Permanent {
                code: "unknown-job",
                detail: format!("no runner for job kind {:?}", job.kind),
            }),
        }
    };
    let outcome = tokio::select! {
        r = work => Some(r),
        () = until_set(shutdown) => None,
    };
    heartbeat.abort();
    match outcome {
        None => {
            tracing::info!("shutting down: giving the job back to the queue");
            if let Err(e) = super::release(&state.db, &job.id, owner).await {
                tracing::warn!(error = %e, "releasing the job");
            }
        }
        Some(Ok(())) => match super::succeed(&state.db, &job.id, owner).await {
            Ok(true) => tracing::info!("job succeeded"),
            Ok(false) => tracing::warn!(
                "job finished after its lease was lost; result left to the new owner"
            ),
            Err(e) => tracing::warn!(error = %e, "recording success"),
        },
        Some(Err(JobError::Cancelled)) => tracing::info!("job stopped: cancelled or lease lost"),
        Some(Err(JobError::Deferred { reason, delay })) => {
            tracing::warn!(%reason, "job deferred");
            if let Err(e) = super::defer(&state.db, &job.id, owner, delay, &reason).await {
                tracing::warn!(error = %e, "deferring the job");
            }
        }
        Some(Err(err)) => {
            let retryable = matches!(err, JobError::Retryable(_));
            let message = err.to_string();
            match super::fail(&state.db, &job, owner, &message, retryable).await {
                Ok("failed") => {
                    tracing::warn!(error = %message, "job failed");
                    if let Some(runner) = runner {
                        runner.failed_for_good(state, &job, &err).await;
                    }
                }
                Ok(_) => tracing::warn!(error = %message, "job attempt failed; will retry"),
                Err(e) => tracing::warn!(error = %e, "recording failure"),
            }
        }
    }
}

/// Time until a failed job is retried, for tests and logs.
pub fn backoff(attempts: i64) -> Duration {
    Duration::from_millis(2_000 * (1u64 << attempts.clamp(0, 10)))
}

/// Resolves once the flag turns true (never, if its sender is gone without doing so).
pub async fn until_set(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
