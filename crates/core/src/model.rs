//! The records defdrive keeps: users, files and their per-type totals, and share links.

use crate::timestamp::Timestamp;

pub type UserId = i64;
pub type FileId = i64;
pub type AccessId = i64;

/// An account, with its quota and its current usage (kept in step with its live files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub name: String,
    pub email: String,
    pub username: String,
    pub max_files: i64,
    pub max_storage: i64,
    pub used_files: i64,
    pub used_storage: i64,
    /// Held by resumable uploads in progress: one file slot and the declared length each.
    pub reserved_files: i64,
    pub reserved_storage: i64,
    pub is_admin: bool,
}

/// What signup stores for a new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub max_files: i64,
    pub max_storage: i64,
}

/// A stored file. `storage_key` is an opaque generated id; the name lives only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub id: FileId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub user_id: UserId,
    pub name: String,
    pub extension: String,
    pub size: i64,
    pub hash: String,
    pub public: bool,
    pub storage_key: String,
}

/// What a finished upload records.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub user_id: UserId,
    pub name: String,
    pub extension: String,
    pub size: i64,
    pub hash: String,
    pub storage_key: String,
}

/// One row of the storage breakdown by file type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTypeTotal {
    pub extension: String,
    pub count: i64,
    pub total_size: i64,
}

/// A user's storage statistics (`GET /api/files/stats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub file_count: i64,
    pub total_storage: i64,
    /// Sorted by total size descending, then count descending, then extension ascending.
    pub file_types: Vec<FileTypeTotal>,
}

impl Stats {
    /// Puts `file_types` in the order of the API: total size descending, then count
    /// descending, then extension ascending (byte order, whatever the database's collation).
    pub fn sort_file_types(&mut self) {
        self.file_types.sort_by(|a, b| {
            b.total_size
                .cmp(&a.total_size)
                .then(b.count.cmp(&a.count))
                .then_with(|| a.extension.as_bytes().cmp(b.extension.as_bytes()))
        });
    }
}
