//! Queries on files: listing, lookup, the public flag, soft delete, and statistics from the
//! per-user counters and per-extension totals kept in step with the files table.

use crate::SqlRepo;
use crate::rows::{self, file_columns, now};
use defdrive_core::model::{File, FileId, FileTypeTotal, Stats, UserId};
use sqlx::Row;

impl SqlRepo {
    pub(crate) async fn select_files(&self, user: UserId) -> Result<Vec<File>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            file_columns!(),
            " FROM files WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::file)
        .collect()
    }

    pub(crate) async fn select_file(&self, id: FileId) -> Result<Option<File>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            file_columns!(),
            " FROM files WHERE id = $1 AND deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rows::file)
        .transpose()
    }

    pub(crate) async fn select_name_exists(
        &self,
        user: UserId,
        name: &str,
    ) -> Result<bool, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id FROM files WHERE user_id = $1 AND name = $2 AND deleted_at IS NULL",
        )
        .bind(user)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    pub(crate) async fn update_file_public(
        &self,
        id: FileId,
        public: bool,
    ) -> Result<Option<File>, sqlx::Error> {
        sqlx::query(concat!(
            "UPDATE files SET public = $2, updated_at = $3 \
             WHERE id = $1 AND deleted_at IS NULL RETURNING ",
            file_columns!()
        ))
        .bind(id)
        .bind(public)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rows::file)
        .transpose()
    }

    pub(crate) async fn soft_delete_file(&self, id: FileId) -> Result<Option<File>, sqlx::Error> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE files SET deleted_at = $2, updated_at = $2 \
             WHERE id = $1 AND deleted_at IS NULL RETURNING ",
            file_columns!()
        ))
        .bind(id)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(file) = row.as_ref().map(rows::file).transpose()? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE accesses SET deleted_at = $2, updated_at = $2 \
             WHERE file_id = $1 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET used_files = used_files - 1, used_storage = used_storage - $2 \
             WHERE id = $1",
        )
        .bind(file.user_id)
        .bind(file.size)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE file_type_totals SET file_count = file_count - 1, total_size = total_size - $3 \
             WHERE user_id = $1 AND extension = $2",
        )
        .bind(file.user_id)
        .bind(&file.extension)
        .bind(file.size)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(file))
    }

    /// One statement, so the counts and the breakdown are one consistent snapshot. Sorted
    /// in Rust, so the order never depends on a database collation.
    pub(crate) async fn select_stats(&self, user: UserId) -> Result<Stats, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT u.used_files, u.used_storage, t.extension, t.file_count, t.total_size \
             FROM users u LEFT JOIN file_type_totals t ON t.user_id = u.id AND t.file_count > 0 \
             WHERE u.id = $1",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        let mut stats = Stats {
            file_count: 0,
            total_storage: 0,
            file_types: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            stats.file_count = row.try_get("used_files")?;
            stats.total_storage = row.try_get("used_storage")?;
            if let Some(extension) = row.try_get::<Option<String>, _>("extension")? {
                stats.file_types.push(FileTypeTotal {
                    extension,
                    count: row.try_get("file_count")?,
                    total_size: row.try_get("total_size")?,
                });
            }
        }
        stats.sort_file_types();
        Ok(stats)
    }
}
