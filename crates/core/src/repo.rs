//! The `Repo` trait: everything defdrive keeps in its database, implemented by defdrive-db
//! for SQLite and PostgreSQL. Each method is one consistent step (one statement or one
//! transaction), so the rules hold with several servers sharing one database.

use crate::access::{Access, AccessRules};
use crate::model::{AccessId, File, FileId, NewFile, NewUser, Stats, User, UserId};
use crate::quota::QuotaError;
use crate::timestamp::Timestamp;
use async_trait::async_trait;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("username already taken")]
    UsernameTaken,
    #[error("a live file with this name already exists")]
    NameTaken,
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error("the upload was abandoned and swept")]
    UploadGone,
    #[error("database error: {0}")]
    Backend(#[source] BoxError),
}

/// New limits for a user; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitsUpdate {
    pub max_files: Option<i64>,
    pub max_storage: Option<i64>,
}

#[async_trait]
pub trait Repo: Send + Sync {
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), RepoError>;

    // ---- users
    /// Creates a user; [`RepoError::UsernameTaken`] when the name is in use.
    async fn create_user(&self, new: NewUser) -> Result<User, RepoError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// The user and their password hash, for login only.
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>, RepoError>;
    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), RepoError>;
    /// Makes or unmakes an admin; `None` when there is no such user.
    async fn set_admin(&self, username: &str, admin: bool) -> Result<Option<User>, RepoError>;
    /// All users, ordered by id.
    async fn users(&self) -> Result<Vec<User>, RepoError>;
    async fn set_limits(&self, id: UserId, update: LimitsUpdate)
    -> Result<Option<User>, RepoError>;

    // ---- files
    /// The user's live files, ordered by id.
    async fn files(&self, user: UserId) -> Result<Vec<File>, RepoError>;
    /// A live file.
    async fn file(&self, id: FileId) -> Result<Option<File>, RepoError>;
    async fn live_name_exists(&self, user: UserId, name: &str) -> Result<bool, RepoError>;
    async fn set_file_public(&self, id: FileId, public: bool) -> Result<Option<File>, RepoError>;
    /// Soft-deletes a live file and its accesses and releases its quota, in one transaction;
    /// returns the deleted file (its bytes are the caller's to remove).
    async fn delete_file(&self, id: FileId) -> Result<Option<File>, RepoError>;
    /// The user's statistics, from the kept totals (cost independent of the file count).
    async fn stats(&self, user: UserId) -> Result<Stats, RepoError>;

    // ---- share links
    async fn create_access(
        &self,
        file: FileId,
        token: &str,
        rules: &AccessRules,
    ) -> Result<Access, RepoError>;
    /// A file's live accesses, ordered by id.
    async fn accesses(&self, file: FileId) -> Result<Vec<Access>, RepoError>;
    async fn access(&self, id: AccessId) -> Result<Option<Access>, RepoError>;
    async fn access_by_token(&self, token: &str) -> Result<Option<Access>, RepoError>;
    /// Replaces the rules; the token, the file and `used` stay.
    async fn update_access(
        &self,
        id: AccessId,
        rules: &AccessRules,
    ) -> Result<Option<Access>, RepoError>;
    async fn delete_access(&self, id: AccessId) -> Result<bool, RepoError>;
    /// Consumes one use of a one-time or TTL-limited link with a single conditional
    /// statement; `false` when no use was left.
    async fn consume_access(&self, id: AccessId) -> Result<bool, RepoError>;

    // ---- uploads in progress
    /// Records that bytes are being written under `storage_key` (so a sweep can find them).
    async fn begin_upload(&self, storage_key: &str, user: UserId) -> Result<(), RepoError>;
    /// Marks an upload as still making progress; `false` when the sweep already removed it.
    async fn touch_upload(&self, storage_key: &str) -> Result<bool, RepoError>;
    /// Forgets an upload that will not be committed.
    async fn end_upload(&self, storage_key: &str) -> Result<(), RepoError>;
    /// In one transaction: reserves the quota (conditionally, so concurrent uploads cannot
    /// overshoot), inserts the file (a live name is unique), updates the per-type totals and
    /// forgets the upload marker ([`RepoError::UploadGone`] when the sweep already did).
    async fn commit_upload(&self, new: NewFile) -> Result<File, RepoError>;
    /// Uploads that made no progress since `before`.
    async fn stale_uploads(&self, before: Timestamp) -> Result<Vec<String>, RepoError>;
    /// Whether a live file or an upload in progress uses `storage_key`.
    async fn storage_key_in_use(&self, storage_key: &str) -> Result<bool, RepoError>;
}
