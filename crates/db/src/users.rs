//! Queries on users: signup, login credentials, admin flag and limits.

use crate::SqlRepo;
use crate::rows::{self, now, user_columns};
use defdrive_core::model::{NewUser, User, UserId};
use defdrive_core::repo::LimitsUpdate;
use sqlx::Row;

impl SqlRepo {
    pub(crate) async fn insert_user(&self, new: NewUser) -> Result<User, sqlx::Error> {
        let at = now();
        let row = sqlx::query(concat!(
            "INSERT INTO users (created_at, updated_at, name, email, username, password_hash, \
             max_files, max_storage) VALUES ($1, $1, $2, $3, $4, $5, $6, $7) RETURNING ",
            user_columns!()
        ))
        .bind(at)
        .bind(new.name)
        .bind(new.email)
        .bind(new.username)
        .bind(new.password_hash)
        .bind(new.max_files)
        .bind(new.max_storage)
        .fetch_one(&self.pool)
        .await?;
        rows::user(&row)
    }

    pub(crate) async fn select_user(&self, id: UserId) -> Result<Option<User>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1 AND deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    pub(crate) async fn select_credentials(
        &self,
        username: &str,
    ) -> Result<Option<(User, String)>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT password_hash, ",
            user_columns!(),
            " FROM users WHERE username = $1 AND deleted_at IS NULL"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((rows::user(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    pub(crate) async fn update_password_hash(
        &self,
        id: UserId,
        hash: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(hash)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn update_admin(
        &self,
        username: &str,
        admin: bool,
    ) -> Result<Option<User>, sqlx::Error> {
        sqlx::query(concat!(
            "UPDATE users SET is_admin = $2, updated_at = $3 \
             WHERE username = $1 AND deleted_at IS NULL RETURNING ",
            user_columns!()
        ))
        .bind(username)
        .bind(admin)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    pub(crate) async fn select_users(&self) -> Result<Vec<User>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE deleted_at IS NULL ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::user)
        .collect()
    }

    pub(crate) async fn update_limits(
        &self,
        id: UserId,
        update: LimitsUpdate,
    ) -> Result<Option<User>, sqlx::Error> {
        sqlx::query(concat!(
            "UPDATE users SET max_files = COALESCE($2, max_files), \
             max_storage = COALESCE($3, max_storage), updated_at = $4 \
             WHERE id = $1 AND deleted_at IS NULL RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(update.max_files)
        .bind(update.max_storage)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()
    }
}
