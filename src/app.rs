//! The application entry point shared by the CLI and the tests: build from settings, bind a
//! listener, serve until a shutdown future resolves.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::{
    net::TcpListener,
    sync::{watch, Notify},
};

use crate::{config::Settings, db::Db, http, jobs, seed, storage::Store};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Wakes this node's workers when it enqueues a job (other nodes poll).
    pub jobs_notify: Arc<Notify>,
    pub delivery: Arc<crate::delivery::Delivery>,
    /// Recently authenticated LRS clients.
    pub lrs_clients: crate::lrs::clients::ClientCache,
    /// Opens the organisations' credential signing keys.
    pub sealer: Arc<crate::credentials::keys::Sealer>,
}

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
        let settings_secret = settings.secret_key.clone();
        let state = AppState {
            db,
            store,
            settings: Arc::new(settings),
            jobs_notify: Arc::new(Notify::new()),
            delivery,
            lrs_clients: Default::default(),
            sealer: Arc::new(crate::credentials::keys::Sealer::new(
                settings_secret.expose(),
            )),
        };
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
        let workers = jobs::worker::spawn(
            self.state.clone(),
            self.state.jobs_notify.clone(),
            stop_rx.clone(),
        );
        let housekeeping = tokio::spawn(housekeeping(self.state.clone(), stop_rx));
        if self.state.settings.seed_demo {
            let state = self.state.clone();
            tokio::spawn(async move {
                if let Err(e) = seed::demo_lecture(state).await {
                    tracing::warn!(error = %e, "generating the demo lecture");
                }
            });
        }
        let router = http::router(self.state.clone());
        let served = serve(self.listener, router, self.state, shutdown).await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        let _ = housekeeping.await;
        served
    }
}

/// The HTTP server: one accept loop per core, each on its own single-threaded runtime, so a
/// connection's requests never hop between threads (cross-thread wake-ups cost more than a small
/// response). Jobs and other background work stay on the main runtime.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let listener = listener.into_std()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut handles = Vec::with_capacity(threads);
    for i in 0..threads {
        let (listener, router, state, stop) = (
            listener.try_clone()?,
            router.clone(),
            state.clone(),
            stop_rx.clone(),
        );
        handles.push(
            std::thread::Builder::new()
                .name(format!("caravan-http-{i}"))
                .spawn(move || -> anyhow::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)?;
                        accept_loop(listener, router, state, stop).await
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
    router: axum::Router,
    state: AppState,
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
                let (state, router) = (state.clone(), router.clone());
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (state, router) = (state.clone(), router.clone());
                    async move {
                        let fast = http::media::fast_path(&state, req.method(), req.uri(), req.headers()).await;
                        if let Some(response) = fast {
                            return Ok::<_, std::convert::Infallible>(response);
                        }
                        let mut req = req.map(axum::body::Body::new);
                        req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
                        if http::xapi::alternate::applies(&req) {
                            req = match http::xapi::alternate::rewrite(req, http::LRS_BODY_LIMIT).await {
                                Ok(req) => req,
                                Err(response) => return Ok(response),
                            };
                        }
                        tower::ServiceExt::oneshot(router, req).await
                    }
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

/// Periodic chores every node may run at once: expiring abandoned uploads, and issuing the
/// credentials of completions that were not issued when they happened (a crash in between).
async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match crate::uploads::expire(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "expired abandoned uploads"),
                    Err(e) => tracing::warn!(error = %e, "expiring uploads"),
                }
                match crate::credentials::issue::drain(&state).await {
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
