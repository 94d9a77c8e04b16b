//! Middleware around every route: CORS headers and path normalisation.

pub mod cors;
pub mod path;
