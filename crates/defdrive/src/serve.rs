//! `defdrive serve`: wires the configured database and storage into the API and serves it
//! until SIGINT or SIGTERM, sweeping abandoned uploads (one-shot and resumable) at start and
//! then periodically.

use crate::config::{Config, StorageUrl};
use crate::secret;
use anyhow::Context;
use defdrive_api::{ApiConfig, AppState};
use defdrive_core::login_limit::LoginLimiter;
use defdrive_core::repo::Repo;
use defdrive_core::resumable::Resumable;
use defdrive_core::store::Store;
use defdrive_core::token::TokenKeys;
use defdrive_core::upload::Uploads;
use defdrive_db::SqlRepo;
use defdrive_storage::FolderStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let secret = secret::load(config.jwt_secret.as_deref(), &config.data_path)?;
    let tokens = TokenKeys::new(&secret, config.token_ttl).context("token keys")?;
    let sql = SqlRepo::connect(&config.database_url)
        .await
        .context("cannot open the database")?;
    let repo: Arc<dyn Repo> = Arc::new(sql.clone());
    let store: Arc<dyn Store> = match &config.storage {
        StorageUrl::Folder(path) => Arc::new(
            FolderStore::open(path)
                .await
                .with_context(|| format!("cannot open the storage folder {}", path.display()))?,
        ),
    };
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
        uploads,
        resumable,
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
        },
    };
    let app = defdrive_api::router(state);
    println!("defdrive listening on http://{local}");
    tracing::info!(address = %local, database = ?sql.backend(), "defdrive listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server failed")?;
    sweeper.abort();
    sql.close().await;
    tracing::info!("defdrive stopped");
    Ok(())
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
