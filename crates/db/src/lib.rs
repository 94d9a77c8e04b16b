//! defdrive-db: the [`Repo`](defdrive_core::repo::Repo) on SQLite and PostgreSQL.
//!
//! One implementation over sqlx's `Any` driver with runtime queries in the SQL both databases
//! share (`$1` placeholders, `RETURNING`, `ON CONFLICT`, partial indexes). Each backend has its
//! own migrations (`migrations/sqlite`, `migrations/postgres`), run at connect time.

mod accesses;
mod connect;
mod files;
mod repo;
mod resumable;
mod rows;
mod uploads;
mod users;

pub use connect::{Backend, ConnectError, SqlRepo};
