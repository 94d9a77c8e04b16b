//! Queries on resumable (tus) uploads: creation with the quota reservation, segments and the
//! conditional offset update, completion into a file, termination and expiry.

use crate::SqlRepo;
use crate::rows::{self, now};
use crate::uploads::{backend, clear_pending, insert_file};
use async_trait::async_trait;
use defdrive_core::model::{File, NewFile};
use defdrive_core::quota::Limits;
use defdrive_core::repo::RepoError;
use defdrive_core::resumable::{NewResumable, ResumableRepo, ResumableUpload, Segment};
use defdrive_core::timestamp::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

const UPLOAD_COLUMNS: &str =
    "id, user_id, name, length, upload_offset, metadata, file_id, created_at, touched_at";

fn upload(row: &AnyRow) -> Result<ResumableUpload, sqlx::Error> {
    Ok(ResumableUpload {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        length: row.try_get("length")?,
        offset: row.try_get("upload_offset")?,
        metadata: row.try_get("metadata")?,
        file_id: row.try_get("file_id")?,
        created_at: rows::time(row, "created_at")?,
        touched_at: rows::time(row, "touched_at")?,
    })
}

fn segment(row: &AnyRow) -> Result<Segment, sqlx::Error> {
    Ok(Segment {
        offset: row.try_get("seg_offset")?,
        length: row.try_get("length")?,
        hash: row.try_get("hash")?,
        storage_key: row.try_get("storage_key")?,
    })
}

#[async_trait]
impl ResumableRepo for SqlRepo {
    async fn create_resumable(&self, new: &NewResumable) -> Result<ResumableUpload, RepoError> {
        let at = now();
        let mut tx = self.begin_write().await.map_err(backend)?;
        let reserved = sqlx::query(
            "UPDATE users SET reserved_files = reserved_files + 1, \
             reserved_storage = reserved_storage + $2 \
             WHERE id = $1 AND used_files + reserved_files < max_files \
             AND used_storage + reserved_storage + $2 <= max_storage",
        )
        .bind(new.user_id)
        .bind(new.length)
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
            limits.check_storage(new.length)?;
            return Err(RepoError::Backend(
                "quota reservation failed although the quota fits".into(),
            ));
        }
        let sql = format!(
            "INSERT INTO resumable_uploads (id, user_id, name, length, upload_offset, metadata, \
             created_at, touched_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $6) RETURNING {UPLOAD_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&new.id)
            .bind(new.user_id)
            .bind(&new.name)
            .bind(new.length)
            .bind(&new.metadata)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let created = upload(&row).map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn resumable(&self, id: &str) -> Result<Option<ResumableUpload>, RepoError> {
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM resumable_uploads WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(upload)
            .transpose()
            .map_err(backend)
    }

    async fn segments(&self, id: &str) -> Result<Vec<Segment>, RepoError> {
        sqlx::query(
            "SELECT seg_offset, length, hash, storage_key FROM resumable_segments \
             WHERE upload_id = $1 ORDER BY seg_offset",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(segment)
        .collect::<Result<_, _>>()
        .map_err(backend)
    }

    async fn touch_resumable(&self, id: &str) -> Result<bool, RepoError> {
        let done = sqlx::query("UPDATE resumable_uploads SET touched_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_segment(&self, id: &str, seg: &Segment) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await.map_err(backend)?;
        let advanced = sqlx::query(
            "UPDATE resumable_uploads SET upload_offset = upload_offset + $3, touched_at = $4 \
             WHERE id = $1 AND upload_offset = $2 AND file_id IS NULL \
             AND upload_offset + $3 <= length",
        )
        .bind(id)
        .bind(seg.offset)
        .bind(seg.length)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if advanced.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO resumable_segments (upload_id, seg_offset, length, hash, storage_key) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(seg.offset)
        .bind(seg.length)
        .bind(&seg.hash)
        .bind(&seg.storage_key)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let marker = sqlx::query("DELETE FROM pending_uploads WHERE storage_key = $1")
            .bind(&seg.storage_key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if marker.rows_affected() != 1 {
            return Err(RepoError::UploadGone);
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn replace_segments(
        &self,
        id: &str,
        old: &[String],
        merged: &Segment,
    ) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await.map_err(backend)?;
        let mut removed = 0;
        for key in old {
            removed += sqlx::query(
                "DELETE FROM resumable_segments WHERE upload_id = $1 AND storage_key = $2",
            )
            .bind(id)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        }
        let left = sqlx::query("SELECT 1 AS found FROM resumable_segments WHERE upload_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if removed != old.len() as u64 || left.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO resumable_segments (upload_id, seg_offset, length, hash, storage_key) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(merged.offset)
        .bind(merged.length)
        .bind(&merged.hash)
        .bind(&merged.storage_key)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        clear_pending(&mut tx, &merged.storage_key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn complete_resumable(&self, id: &str, new: NewFile) -> Result<File, RepoError> {
        let at = now();
        let mut tx = self.begin_write().await.map_err(backend)?;
        // Takes the upload's row first, so a second completion waits and then finds it done.
        let claimed = sqlx::query(
            "UPDATE resumable_uploads SET touched_at = $2 \
             WHERE id = $1 AND file_id IS NULL AND upload_offset = length",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if claimed.rows_affected() != 1 {
            return Err(RepoError::UploadGone);
        }
        let file = insert_file(&mut tx, &new, at).await?;
        sqlx::query("UPDATE resumable_uploads SET file_id = $2 WHERE id = $1")
            .bind(id)
            .bind(file.id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let segment =
            sqlx::query("DELETE FROM resumable_segments WHERE upload_id = $1 AND storage_key = $2")
                .bind(id)
                .bind(&new.storage_key)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        if segment.rows_affected() != 1 {
            return Err(RepoError::UploadGone);
        }
        sqlx::query(
            "UPDATE users SET reserved_files = reserved_files - 1, \
             reserved_storage = reserved_storage - $2, used_files = used_files + 1, \
             used_storage = used_storage + $2, updated_at = $3 WHERE id = $1",
        )
        .bind(new.user_id)
        .bind(new.size)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(file)
    }

    async fn delete_resumable(&self, id: &str) -> Result<Option<Vec<String>>, RepoError> {
        let mut tx = self.begin_write().await.map_err(backend)?;
        let keys = sqlx::query(
            "DELETE FROM resumable_segments WHERE upload_id = $1 RETURNING storage_key",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| row.try_get::<String, _>("storage_key"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
        let sql = format!("DELETE FROM resumable_uploads WHERE id = $1 RETURNING {UPLOAD_COLUMNS}");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let gone = upload(&row).map_err(backend)?;
        if gone.file_id.is_none() {
            sqlx::query(
                "UPDATE users SET reserved_files = reserved_files - 1, \
                 reserved_storage = reserved_storage - $2 WHERE id = $1",
            )
            .bind(gone.user_id)
            .bind(gone.length)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some(keys))
    }

    async fn expired_resumables(&self, before: Timestamp) -> Result<Vec<String>, RepoError> {
        sqlx::query("SELECT id FROM resumable_uploads WHERE touched_at < $1")
            .bind(before.as_micros())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()
            .map_err(backend)
    }
}
