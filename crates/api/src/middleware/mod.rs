//! Middleware around every route: CORS headers, path normalisation and request metrics.

pub mod cors;
pub mod metrics;
pub mod path;
