//! Queries on uploads: the markers of uploads in progress, and the commit that reserves the
//! quota, records the file and updates the totals in one transaction.

use crate::SqlRepo;
use crate::rows::{self, file_columns, now};
use defdrive_core::model::{File, NewFile, UserId};
use defdrive_core::quota::Limits;
use defdrive_core::repo::RepoError;
use defdrive_core::timestamp::Timestamp;
use sqlx::Row;

impl SqlRepo {
    pub(crate) async fn insert_pending(&self, key: &str, user: UserId) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO pending_uploads (storage_key, user_id, created_at, touched_at) \
             VALUES ($1, $2, $3, $3)",
        )
        .bind(key)
        .bind(user)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn touch_pending(&self, key: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE pending_uploads SET touched_at = $2 WHERE storage_key = $1")
            .bind(key)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_pending(&self, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM pending_uploads WHERE storage_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn select_stale_pending(
        &self,
        before: Timestamp,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query("SELECT storage_key FROM pending_uploads WHERE touched_at < $1")
            .bind(before.as_micros())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get("storage_key"))
            .collect()
    }

    pub(crate) async fn select_key_in_use(&self, key: &str) -> Result<bool, sqlx::Error> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM files WHERE storage_key = $1 AND deleted_at IS NULL \
             UNION ALL SELECT 1 AS found FROM pending_uploads WHERE storage_key = $1 \
             UNION ALL SELECT 1 AS found FROM resumable_segments WHERE storage_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    pub(crate) async fn commit_new_file(&self, new: NewFile) -> Result<File, RepoError> {
        let at = now();
        let mut tx = self.begin_write().await.map_err(backend)?;
        let reserved = sqlx::query(
            "UPDATE users SET used_files = used_files + 1, used_storage = used_storage + $2, \
             updated_at = $3 \
             WHERE id = $1 AND used_files + reserved_files < max_files \
             AND used_storage + reserved_storage + $2 <= max_storage",
        )
        .bind(new.user_id)
        .bind(new.size)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if reserved.rows_affected() == 0 {
            let user = sqlx::query(concat!(
                "SELECT ",
                rows::user_columns!(),
                " FROM users WHERE id = $1"
            ))
            .bind(new.user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let limits = Limits::for_new_file(&rows::user(&user).map_err(backend)?);
            limits.check_file_count()?;
            limits.check_storage(new.size)?;
            return Err(RepoError::Backend(
                "quota reservation failed although the quota fits".into(),
            ));
        }
        let file = insert_file(&mut tx, &new, at).await?;
        clear_pending(&mut tx, &new.storage_key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(file)
    }
}

/// Records a finished file and adds it to its type's totals, inside `tx`.
pub(crate) async fn insert_file(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    new: &NewFile,
    at: i64,
) -> Result<File, RepoError> {
    let row = sqlx::query(concat!(
        "INSERT INTO files (created_at, updated_at, user_id, name, extension, size, hash, \
             public, storage_key) VALUES ($1, $1, $2, $3, $4, $5, $6, FALSE, $7) RETURNING ",
        file_columns!()
    ))
    .bind(at)
    .bind(new.user_id)
    .bind(&new.name)
    .bind(&new.extension)
    .bind(new.size)
    .bind(&new.hash)
    .bind(&new.storage_key)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => RepoError::NameTaken,
        _ => backend(e),
    })?;
    let file = rows::file(&row).map_err(backend)?;
    sqlx::query(
        "INSERT INTO file_type_totals (user_id, extension, file_count, total_size) \
             VALUES ($1, $2, 1, $3) ON CONFLICT (user_id, extension) DO UPDATE SET \
             file_count = file_type_totals.file_count + 1, \
             total_size = file_type_totals.total_size + excluded.total_size",
    )
    .bind(new.user_id)
    .bind(&new.extension)
    .bind(new.size)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(file)
}

/// Removes the pending marker of `storage_key` inside `tx`; gone already means the sweep
/// abandoned the upload.
pub(crate) async fn clear_pending(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    storage_key: &str,
) -> Result<(), RepoError> {
    let marker = sqlx::query("DELETE FROM pending_uploads WHERE storage_key = $1")
        .bind(storage_key)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    if marker.rows_affected() != 1 {
        return Err(RepoError::UploadGone);
    }
    Ok(())
}

pub(crate) fn backend(e: sqlx::Error) -> RepoError {
    RepoError::Backend(Box::new(e))
}
