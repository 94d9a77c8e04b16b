//! Mapping database rows to the core's model, with the column lists the queries select.

use defdrive_core::model::{File, User};
use defdrive_core::timestamp::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The user columns [`user`] reads, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "id, created_at, updated_at, name, email, username, \
         max_files, max_storage, used_files, used_storage, reserved_files, reserved_storage, \
         is_admin"
    };
}
pub(crate) use user_columns;

/// The file columns [`file`] reads, as a literal for `concat!`.
macro_rules! file_columns {
    () => {
        "id, created_at, updated_at, user_id, name, extension, size, hash, public, storage_key"
    };
}
pub(crate) use file_columns;

/// A flag: PostgreSQL answers a boolean, SQLite an integer.
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

pub(crate) fn time(row: &AnyRow, column: &str) -> Result<Timestamp, sqlx::Error> {
    row.try_get::<i64, _>(column).map(Timestamp::from_micros)
}

pub(crate) fn user(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        username: row.try_get("username")?,
        max_files: row.try_get("max_files")?,
        max_storage: row.try_get("max_storage")?,
        used_files: row.try_get("used_files")?,
        used_storage: row.try_get("used_storage")?,
        reserved_files: row.try_get("reserved_files")?,
        reserved_storage: row.try_get("reserved_storage")?,
        is_admin: flag(row, "is_admin")?,
    })
}

pub(crate) fn file(row: &AnyRow) -> Result<File, sqlx::Error> {
    Ok(File {
        id: row.try_get("id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        extension: row.try_get("extension")?,
        size: row.try_get("size")?,
        hash: row.try_get("hash")?,
        public: flag(row, "public")?,
        storage_key: row.try_get("storage_key")?,
    })
}

pub(crate) fn now() -> i64 {
    Timestamp::now().as_micros()
}
