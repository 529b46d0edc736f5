//! The application entry point shared by the CLI and the tests: build from settings, bind a
//! listener, serve until a shutdown future resolves.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    config::Settings,
    context::Context,
    db::Db,
    http::{self, AppState},
    jobs, seed,
    storage::Store,
};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database (migrating it) and the store, and binds `settings.bind`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        Self::with_listener(settings, listener).await
    }

    pub async fn with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let db = Db::connect(settings.database_url.expose()).await?;
        db.migrate().await?;
        let store = Store::open(&settings.store, &settings.s3)?;
        if settings.seed_demo {
            seed::demo_if_empty(&db)
                .await
                .context("seeding the demo catalogue")?;
        }
        let delivery = Arc::new(crate::delivery::Delivery::new(&db, store.clone()).await?);
        let state = AppState::new(Context::new(db, store, settings), delivery);
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish and gives running
    /// jobs back to the queue.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let settings = &self.state.settings;
        match crate::media::ffmpeg_available(&settings.ffmpeg, &settings.ffprobe).await {
            Some(version) => tracing::info!(%version, "media tools found"),
            None => tracing::warn!("{}", crate::media::FFMPEG_MISSING),
        }
        let runners = jobs::worker::Runners::default().with(crate::media::process::Runner);
        let workers =
            jobs::worker::spawn(self.state.ctx.clone(), Arc::new(runners), stop_rx.clone());
        let sessions = tokio::spawn(crate::accounts::sessions::follow_revocations(
            self.state.sessions.clone(),
            self.state.db.clone(),
            stop_rx.clone(),
        ));
        let housekeeping = tokio::spawn(housekeeping(self.state.ctx.clone(), stop_rx));
        if self.state.settings.seed_demo {
            let ctx = self.state.ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = seed::demo_lecture(ctx).await {
                    tracing::warn!(error = %e, "generating the demo lecture");
                }
            });
        }
        let edge = http::service(self.state.clone());
        let served = serve(self.listener, edge, shutdown).await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        let _ = housekeeping.await;
        let _ = sessions.await;
        served
    }
}

/// The HTTP server: one accept loop per core, each on its own single-threaded runtime, so a
/// connection's requests never hop between threads (cross-thread wake-ups cost more than a small
/// response). Jobs and other background work stay on the main runtime.
async fn serve(
    listener: TcpListener,
    edge: http::Edge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let listener = listener.into_std()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut handles = Vec::with_capacity(threads);
    for i in 0..threads {
        let (listener, edge, stop) = (listener.try_clone()?, edge.clone(), stop_rx.clone());
        handles.push(
            std::thread::Builder::new()
                .name(format!("caravan-http-{i}"))
                .spawn(move || -> anyhow::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)?;
                        accept_loop(listener, edge, stop).await
                    })
                })?,
        );
    }
    drop(listener);
    shutdown.await;
    let _ = stop_tx.send(true);
    tokio::task::spawn_blocking(move || {
        for handle in handles {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => anyhow::bail!("an HTTP thread panicked"),
            }
        }
        Ok(())
    })
    .await?
}

/// Accepts and serves connections until `stop` turns true, then lets in-flight requests finish.
/// hyper's own builder (rather than `axum::serve`) caps what one connection may buffer: with
/// 1,000 slow readers, hyper's default (~400 KiB each) would hold 400 MiB of media in memory.
async fn accept_loop(
    listener: TcpListener,
    edge: http::Edge,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use hyper_util::{
        rt::{TokioExecutor, TokioIo},
        server::{conn::auto, graceful::GracefulShutdown},
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(64 << 10)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(30));
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accepting a connection");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let edge = std::sync::Mutex::new(edge.connection(remote));
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    call(&edge, req.map(axum::body::Body::new))
                });
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = jobs::worker::until_set(&mut stop) => break,
        }
    }
    drop(listener);
    // In-flight requests finish; a connection still open after that is cut.
    if tokio::time::timeout(std::time::Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s; closing them");
    }
    Ok(())
}

/// Calls the connection's edge without cloning its layers for every request (cloning them costs
/// more than answering a small file). They are always ready, having no backpressure, which
/// `poll_ready` confirms; were one ever not, the request gets a clone that waits for readiness.
fn call<S>(
    edge: &std::sync::Mutex<S>,
    req: axum::http::Request<axum::body::Body>,
) -> futures::future::Either<
    S::Future,
    tower::util::Oneshot<S, axum::http::Request<axum::body::Body>>,
>
where
    S: tower::Service<axum::http::Request<axum::body::Body>> + Clone,
{
    use std::task::{Context, Poll, Waker};
    let mut edge = edge
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match edge.poll_ready(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(())) => futures::future::Either::Left(edge.call(req)),
        _ => futures::future::Either::Right(tower::ServiceExt::oneshot(edge.clone(), req)),
    }
}

/// Periodic chores every node may run at once: expiring abandoned uploads, and issuing the
/// credentials of completions that were not issued when they happened (a crash in between).
/// A cmi5 session with no statement for this long is abandoned (its window was closed, the
/// phone went flat): the next launch would abandon it anyway, this tells reports sooner.
const CMI5_IDLE_MS: i64 = 4 * 3600 * 1000;

async fn housekeeping(ctx: Context, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match crate::uploads::expire(&ctx).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "expired abandoned uploads"),
                    Err(e) => tracing::warn!(error = %e, "expiring uploads"),
                }
                match crate::packages::cmi5::track::abandon_idle(&ctx, CMI5_IDLE_MS).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "abandoned idle cmi5 sessions"),
                    Err(e) => tracing::warn!(error = %e, "abandoning idle cmi5 sessions"),
                }
                match crate::credentials::issue::drain(&ctx).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "issued pending credentials"),
                    Err(e) => tracing::warn!(error = %e, "issuing pending credentials"),
                }
            }
            () = jobs::worker::until_set(&mut stop) => return,
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
