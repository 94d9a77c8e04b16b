//! Request extractors: the authenticated user, the client address and connection, path ids,
//! and tolerant JSON bodies.

pub mod auth;
pub mod client;
pub mod connection;
pub mod id;
pub mod json;
