//! defdrive-api: the HTTP API of defdrive (SPEC.md) and its embedded web UI, as an axum router.
//!
//! Handlers are thin: they parse the request with the extractors in [`extract`], call the
//! core, and shape the reply with [`wire`]. Every error is JSON ([`error::ApiError`]).

pub mod error;
pub mod extract;
pub mod metrics;
mod middleware;
mod openapi;
mod routes;
pub mod state;
pub mod wire;
pub mod zero_copy;

pub use state::{ApiConfig, AppState};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, head, post, put};

/// Resumable uploads (tus 1.0.0); every response carries `Tus-Resumable`.
fn tus_routes() -> Router<AppState> {
    use routes::tus;
    Router::new()
        .route(
            "/api/tus",
            post(tus::create)
                .options(tus::options)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/tus/{id}",
            head(tus::head)
                .patch(tus::patch)
                .delete(tus::terminate)
                .options(tus::options)
                .layer(DefaultBodyLimit::disable()),
        )
        .layer(axum::middleware::from_fn(tus::tus_resumable))
}

/// The whole HTTP surface: API routes, docs, the web UI at `/`, JSON 404/405, CORS, path
/// normalisation and request metrics (and `/metrics` itself unless it has an address of its
/// own).
pub fn router(state: AppState) -> Router {
    let cors = state.config.cors.clone();
    let metrics = state.metrics.clone();
    let mut api = Router::new();
    if state.config.metrics_on_main_port {
        api = api.route("/metrics", get(routes::metrics::metrics));
    }
    let api = api
        .route("/api/health", get(routes::health::health))
        .route("/api/ready", get(routes::ready::ready))
        .route("/api/signup", post(routes::accounts::signup))
        .route("/api/login", post(routes::accounts::login))
        .route(
            "/api/upload",
            post(routes::upload::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/files", get(routes::files::list))
        .route("/api/files/stats", get(routes::stats::stats))
        .route(
            "/api/files/{id}",
            axum::routing::delete(routes::files::delete),
        )
        .route(
            "/api/files/{id}/access",
            put(routes::files::set_access)
                .post(routes::accesses::create)
                .get(routes::accesses::list),
        )
        .route(
            "/api/files/{id}/accesses",
            post(routes::accesses::create).get(routes::accesses::list),
        )
        .route(
            "/api/access/{id}",
            get(routes::accesses::get)
                .put(routes::accesses::update)
                .delete(routes::accesses::delete),
        )
        .route(
            "/api/accesses/{id}",
            get(routes::accesses::get).delete(routes::accesses::delete),
        )
        .route("/api/accesses/{id}/access", put(routes::accesses::update))
        .route("/link/{token}", get(routes::links::download))
        .route("/api/files/{id}/download", get(routes::files::download))
        .route("/api/user/limits", get(routes::limits::mine))
        .route("/api/admin/users/limits", get(routes::admin::list_limits))
        .route(
            "/api/admin/users/{id}/limits",
            put(routes::admin::set_limits),
        )
        .merge(tus_routes())
        .merge(openapi::docs())
        .merge(routes::ui::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            middleware::metrics::track,
        ))
        .with_state(state);
    Router::new()
        .fallback_service(api)
        .layer(axum::middleware::from_fn(middleware::path::normalize))
        .layer(axum::middleware::from_fn_with_state(
            cors,
            middleware::cors::cors,
        ))
}

/// `/metrics` alone, for its own listener (`METRICS_ADDR`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(routes::metrics::metrics))
        .fallback(error::not_found)
        .with_state(state)
}
