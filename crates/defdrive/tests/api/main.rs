//! defdrive's HTTP tests: every scenario talks real HTTP to the real binary, on SQLite and
//! on PostgreSQL (`cargo test sqlite` / `cargo test postgres` runs one backend); those about
//! stored bytes also on PostgreSQL with S3 storage (`cargo test postgres_s3`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod auth;
mod files;
mod harness;
mod keep_alive_downloads;
mod link_management;
mod links;
mod operations;
mod service;
mod stats;
mod tus;
mod tus_js;
mod uploads;
