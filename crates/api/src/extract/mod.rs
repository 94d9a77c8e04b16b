//! Request extractors: the authenticated user, path ids, and tolerant JSON bodies.

pub mod auth;
pub mod client;
pub mod id;
pub mod json;
