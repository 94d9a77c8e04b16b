//! `defdrive serve`: wires the configured database and storage into the API and serves it
//! (and the metrics, on their own address when configured) until SIGINT or SIGTERM,
//! sweeping abandoned uploads (one-shot and resumable) at start and then periodically.
//!
//! Stopping is graceful: the listeners close at once, requests in flight get
//! `SHUTDOWN_GRACE` to finish, then the uploads still running are cancelled and their
//! clean-up awaited (no record, no stored bytes), and whatever remains is dropped.

use crate::config::{Config, StorageUrl};
use crate::secret;
use anyhow::Context;
use defdrive_api::metrics::Metrics;
use defdrive_api::zero_copy::{Peer, ZeroCopyListener};
use defdrive_api::{ApiConfig, AppState};
use defdrive_core::login_limit::LoginLimiter;
use defdrive_core::repo::Repo;
use defdrive_core::resumable::Resumable;
use defdrive_core::store::Store;
use defdrive_core::token::TokenKeys;
use defdrive_core::upload::Uploads;
use defdrive_db::SqlRepo;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long cancelled uploads get to remove their bytes and markers at shutdown.
const CLEANUP_WAIT: Duration = Duration::from_secs(15);
/// How long the start waits for the storage's first answer (it only logs when none comes).
const STARTUP_CHECK: Duration = Duration::from_secs(5);

pub async fn run(config: Config) -> anyhow::Result<()> {
    let secret = secret::load(config.jwt_secret.as_deref(), &config.data_path)?;
    let tokens = TokenKeys::new(&secret, config.token_ttl).context("token keys")?;
    let sql = SqlRepo::connect(&config.database_url)
        .await
        .context("cannot open the database")?;
    let repo: Arc<dyn Repo> = Arc::new(sql.clone());
    let store: Arc<dyn Store> = defdrive_storage::open(&config.storage)
        .await
        .with_context(|| format!("cannot open the storage {}", describe(&config.storage)))?;
    match tokio::time::timeout(STARTUP_CHECK, store.check()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "the storage does not answer yet"),
        Err(_) => tracing::warn!("the storage does not answer yet (timed out)"),
    }
    let uploads = Uploads::new(repo.clone(), store.clone(), config.upload_stale_after);
    let resumable = Resumable::new(
        repo.clone(),
        Arc::new(sql.clone()),
        store.clone(),
        config.tus_expire_after,
        config.upload_stale_after,
    );
    sweep(&uploads, &resumable).await;
    let sweeper = tokio::spawn(sweep_periodically(
        uploads.clone(),
        resumable.clone(),
        config.upload_stale_after.min(config.tus_expire_after),
    ));

    let listener = tokio::net::TcpListener::bind((config.bind, config.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", config.bind, config.port))?;
    let local = listener.local_addr().context("listening address")?;
    let host_url = config
        .host_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let state = AppState {
        repo,
        store,
        uploads: uploads.clone(),
        resumable: resumable.clone(),
        login_limiter: Arc::new(LoginLimiter::new(
            config.login_max_failures,
            config.login_window,
        )),
        tokens,
        config: ApiConfig {
            host_url,
            host_url_from_request: config.host_url.is_none(),
            allow_signup: config.allow_signup,
            default_max_files: config.default_max_files,
            default_max_storage: config.default_max_storage,
            cors: Arc::new(config.cors_origins.clone()),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            metrics_on_main_port: config.metrics_addr.is_none(),
        },
        metrics: Arc::new(Metrics::new()),
    };
    let (stop, stopping) = watch::channel(false);
    let metrics_server = match config.metrics_addr {
        Some(address) => {
            let metrics_listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on METRICS_ADDR {address}"))?;
            let metrics_local = metrics_listener.local_addr().context("metrics address")?;
            println!("defdrive metrics on http://{metrics_local}/metrics");
            let app = defdrive_api::metrics_router(state.clone());
            Some(tokio::spawn(
                axum::serve(metrics_listener, app)
                    .with_graceful_shutdown(stopped(stopping.clone()))
                    .into_future(),
            ))
        }
        None => None,
    };
    let app = defdrive_api::router(state);
    println!("defdrive listening on http://{local}");
    tracing::info!(address = %local, database = ?sql.backend(), storage = %describe(&config.storage), "defdrive listening");
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let server = axum::serve(
        ZeroCopyListener(listener),
        app.into_make_service_with_connect_info::<Peer>(),
    )
    .with_graceful_shutdown(stopped(stopping.clone()))
    .into_future();
    let grace = config.shutdown_grace;
    let grace_over = async {
        stopped(stopping.clone()).await;
        tracing::info!(grace = ?grace, "stopping: letting requests in flight finish");
        tokio::time::sleep(grace).await;
    };
    let served = tokio::select! {
        served = server => served.context("server failed"),
        () = grace_over => {
            tracing::warn!("grace period over: cancelling what is still running");
            Ok(())
        }
    };
    let running = uploads.in_progress();
    if !uploads.cancel_running(CLEANUP_WAIT).await {
        tracing::warn!("some cancelled uploads did not finish their clean-up; the sweep will");
    } else if running > 0 {
        tracing::info!(uploads = running, "cancelled the uploads still running");
    }
    // Resumable uploads keep what arrived: their bodies end, and they record it.
    if !resumable.stop_running(CLEANUP_WAIT).await {
        tracing::warn!("some resumable uploads did not record what arrived in time");
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    sweeper.abort();
    sql.close().await;
    tracing::info!("defdrive stopped");
    served
}

/// Resolves once a stop was asked for.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// The storage for logs and errors (never with credentials: those are not in the URL).
fn describe(storage: &StorageUrl) -> String {
    match storage {
        StorageUrl::Folder(path) => format!("folder {}", path.display()),
        StorageUrl::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
        StorageUrl::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
    }
}

async fn sweep(uploads: &Uploads, resumable: &Resumable) {
    match resumable.sweep().await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "swept expired resumable uploads"),
        Err(e) => tracing::warn!(error = %e, "sweep of expired resumable uploads failed"),
    }
    match uploads.sweep().await {
        Ok(report) if report.abandoned_uploads + report.orphaned_objects > 0 => {
            tracing::info!(?report, "swept abandoned uploads");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweep of abandoned uploads failed"),
    }
}

async fn sweep_periodically(uploads: Uploads, resumable: Resumable, stale_after: Duration) {
    let period = stale_after.clamp(Duration::from_secs(1), Duration::from_secs(600));
    let mut interval = tokio::time::interval(period);
    interval.tick().await;
    loop {
        interval.tick().await;
        sweep(&uploads, &resumable).await;
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
