//! defdrive-core: the rules of defdrive, free of any web, database or storage framework.
//!
//! The api crate parses requests and calls into this crate; the db and storage crates
//! implement the [`repo::Repo`] and [`store::Store`] traits defined here.

pub mod access;
pub mod client_addr;
pub mod download;
pub mod extension;
pub mod login_limit;
pub mod model;
pub mod names;
pub mod password;
pub mod quota;
pub mod random;
pub mod repo;
pub mod resumable;
pub mod store;
pub mod timestamp;
pub mod token;
pub mod upload;
