//! What every handler can reach: the repository, the store, the upload pipelines, the token
//! keys, the metrics and the API's configuration.

use crate::metrics::Metrics;
use defdrive_core::login_limit::LoginLimiter;
use defdrive_core::repo::Repo;
use defdrive_core::resumable::Resumable;
use defdrive_core::store::Store;
use defdrive_core::token::TokenKeys;
use defdrive_core::upload::Uploads;
use std::sync::Arc;

/// Allowed browser origins for CORS.
#[derive(Debug, Clone)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

/// The API's part of the configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Public base URL, for share links (no trailing slash).
    pub host_url: String,
    /// `HOST_URL` was not configured: absolute URLs the client follows (tus `Location`) use
    /// the request's `Host` instead of the listening address.
    pub host_url_from_request: bool,
    pub allow_signup: bool,
    pub default_max_files: i64,
    pub default_max_storage: i64,
    pub cors: Arc<CorsOrigins>,
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Whether `/metrics` is served by [`crate::router`] (otherwise by
    /// [`crate::metrics_router`] on its own address).
    pub metrics_on_main_port: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub repo: Arc<dyn Repo>,
    pub store: Arc<dyn Store>,
    pub uploads: Uploads,
    pub resumable: Resumable,
    pub login_limiter: Arc<LoginLimiter>,
    pub tokens: TokenKeys,
    pub config: ApiConfig,
    pub metrics: Arc<Metrics>,
}
