//! `impl Repo for SqlRepo`: the trait's methods, delegating to the query modules and
//! mapping database errors to the core's.

use crate::SqlRepo;
use crate::uploads::backend;
use async_trait::async_trait;
use defdrive_core::access::{Access, AccessRules};
use defdrive_core::model::{AccessId, File, FileId, NewFile, NewUser, Stats, User, UserId};
use defdrive_core::repo::{LimitsUpdate, Repo, RepoError};
use defdrive_core::timestamp::Timestamp;

#[async_trait]
impl Repo for SqlRepo {
    async fn ping(&self) -> Result<(), RepoError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RepoError> {
        self.insert_user(new).await.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => RepoError::UsernameTaken,
            _ => backend(e),
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.select_user(id).await.map_err(backend)
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>, RepoError> {
        self.select_credentials(username).await.map_err(backend)
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), RepoError> {
        self.update_password_hash(id, hash).await.map_err(backend)
    }

    async fn set_admin(&self, username: &str, admin: bool) -> Result<Option<User>, RepoError> {
        self.update_admin(username, admin).await.map_err(backend)
    }

    async fn users(&self) -> Result<Vec<User>, RepoError> {
        self.select_users().await.map_err(backend)
    }

    async fn set_limits(
        &self,
        id: UserId,
        update: LimitsUpdate,
    ) -> Result<Option<User>, RepoError> {
        self.update_limits(id, update).await.map_err(backend)
    }

    async fn files(&self, user: UserId) -> Result<Vec<File>, RepoError> {
        self.select_files(user).await.map_err(backend)
    }

    async fn file(&self, id: FileId) -> Result<Option<File>, RepoError> {
        self.select_file(id).await.map_err(backend)
    }

    async fn live_name_exists(&self, user: UserId, name: &str) -> Result<bool, RepoError> {
        self.select_name_exists(user, name).await.map_err(backend)
    }

    async fn set_file_public(&self, id: FileId, public: bool) -> Result<Option<File>, RepoError> {
        self.update_file_public(id, public).await.map_err(backend)
    }

    async fn delete_file(&self, id: FileId) -> Result<Option<File>, RepoError> {
        self.soft_delete_file(id).await.map_err(backend)
    }

    async fn stats(&self, user: UserId) -> Result<Stats, RepoError> {
        self.select_stats(user).await.map_err(backend)
    }

    async fn create_access(
        &self,
        file: FileId,
        token: &str,
        rules: &AccessRules,
    ) -> Result<Access, RepoError> {
        self.insert_access(file, token, rules)
            .await
            .map_err(backend)
    }

    async fn accesses(&self, file: FileId) -> Result<Vec<Access>, RepoError> {
        self.select_accesses(file).await.map_err(backend)
    }

    async fn access(&self, id: AccessId) -> Result<Option<Access>, RepoError> {
        self.select_access(id).await.map_err(backend)
    }

    async fn access_by_token(&self, token: &str) -> Result<Option<Access>, RepoError> {
        self.select_access_by_token(token).await.map_err(backend)
    }

    async fn update_access(
        &self,
        id: AccessId,
        rules: &AccessRules,
    ) -> Result<Option<Access>, RepoError> {
        self.replace_access_rules(id, rules).await.map_err(backend)
    }

    async fn delete_access(&self, id: AccessId) -> Result<bool, RepoError> {
        self.soft_delete_access(id).await.map_err(backend)
    }

    async fn consume_access(&self, id: AccessId) -> Result<bool, RepoError> {
        self.consume_one_use(id).await.map_err(backend)
    }

    async fn begin_upload(&self, storage_key: &str, user: UserId) -> Result<(), RepoError> {
        self.insert_pending(storage_key, user)
            .await
            .map_err(backend)
    }

    async fn touch_upload(&self, storage_key: &str) -> Result<bool, RepoError> {
        self.touch_pending(storage_key).await.map_err(backend)
    }

    async fn end_upload(&self, storage_key: &str) -> Result<(), RepoError> {
        self.delete_pending(storage_key).await.map_err(backend)
    }

    async fn commit_upload(&self, new: NewFile) -> Result<File, RepoError> {
        self.commit_new_file(new).await
    }

    async fn stale_uploads(&self, before: Timestamp) -> Result<Vec<String>, RepoError> {
        self.select_stale_pending(before).await.map_err(backend)
    }

    async fn storage_key_in_use(&self, storage_key: &str) -> Result<bool, RepoError> {
        self.select_key_in_use(storage_key).await.map_err(backend)
    }
}
