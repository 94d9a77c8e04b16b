//! One module per resource; each handler parses, calls the core or the repo, and replies.

pub mod accesses;
pub mod accounts;
pub mod admin;
pub mod download;
pub mod files;
pub mod health;
pub mod limits;
pub mod links;
pub mod metrics;
pub mod owned;
pub mod ready;
pub mod stats;
pub mod tus;
pub mod ui;
pub mod upload;
