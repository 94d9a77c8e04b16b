//! Queries on share links: create, list, get, replace, delete, and the one conditional
//! statement that consumes a use.

use crate::SqlRepo;
use crate::rows::{flag, now, time};
use defdrive_core::access::{Access, AccessRules};
use defdrive_core::model::{AccessId, FileId};
use defdrive_core::timestamp::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! access_columns {
    () => {
        "id, created_at, updated_at, file_id, name, token, subnets, ips, expires, public, \
         one_time_use, used, ttl, enable_ttl"
    };
}

fn access(row: &AnyRow) -> Result<Access, sqlx::Error> {
    let decode = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    };
    let parse = |column: &str, text: &str| {
        sqlx::Error::Decode(format!("bad {column} entry {text:?}").into())
    };
    let subnets = decode("subnets")?
        .iter()
        .map(|s| s.parse().map_err(|_| parse("subnets", s)))
        .collect::<Result<_, _>>()?;
    let ips = decode("ips")?
        .iter()
        .map(|s| s.parse().map_err(|_| parse("ips", s)))
        .collect::<Result<_, _>>()?;
    Ok(Access {
        id: row.try_get("id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        file_id: row.try_get("file_id")?,
        token: row.try_get("token")?,
        used: flag(row, "used")?,
        rules: AccessRules {
            name: row.try_get("name")?,
            subnets,
            ips,
            expires: row
                .try_get::<Option<i64>, _>("expires")?
                .map(Timestamp::from_micros),
            public: flag(row, "public")?,
            one_time_use: flag(row, "one_time_use")?,
            ttl: row.try_get("ttl")?,
            enable_ttl: flag(row, "enable_ttl")?,
        },
    })
}

fn json_list<T: ToString>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(ToString::to_string).collect::<Vec<_>>()).to_string()
}

impl SqlRepo {
    pub(crate) async fn insert_access(
        &self,
        file_id: FileId,
        token: &str,
        rules: &AccessRules,
    ) -> Result<Access, sqlx::Error> {
        let row = sqlx::query(concat!(
            "INSERT INTO accesses (created_at, updated_at, file_id, token, name, subnets, ips, \
             expires, public, one_time_use, used, ttl, enable_ttl) \
             VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10, $11) RETURNING ",
            access_columns!()
        ))
        .bind(now())
        .bind(file_id)
        .bind(token)
        .bind(&rules.name)
        .bind(json_list(&rules.subnets))
        .bind(json_list(&rules.ips))
        .bind(rules.expires.map(Timestamp::as_micros))
        .bind(rules.public)
        .bind(rules.one_time_use)
        .bind(rules.ttl)
        .bind(rules.enable_ttl)
        .fetch_one(&self.pool)
        .await?;
        access(&row)
    }

    pub(crate) async fn select_accesses(
        &self,
        file_id: FileId,
    ) -> Result<Vec<Access>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            access_columns!(),
            " FROM accesses WHERE file_id = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(access)
        .collect()
    }

    pub(crate) async fn select_access(&self, id: AccessId) -> Result<Option<Access>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            access_columns!(),
            " FROM accesses WHERE id = $1 AND deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(access)
        .transpose()
    }

    pub(crate) async fn select_access_by_token(
        &self,
        token: &str,
    ) -> Result<Option<Access>, sqlx::Error> {
        sqlx::query(concat!(
            "SELECT ",
            access_columns!(),
            " FROM accesses WHERE token = $1 AND deleted_at IS NULL"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(access)
        .transpose()
    }

    pub(crate) async fn replace_access_rules(
        &self,
        id: AccessId,
        rules: &AccessRules,
    ) -> Result<Option<Access>, sqlx::Error> {
        sqlx::query(concat!(
            "UPDATE accesses SET updated_at = $2, name = $3, subnets = $4, ips = $5, expires = $6, \
             public = $7, one_time_use = $8, ttl = $9, enable_ttl = $10 \
             WHERE id = $1 AND deleted_at IS NULL RETURNING ",
            access_columns!()
        ))
        .bind(id)
        .bind(now())
        .bind(&rules.name)
        .bind(json_list(&rules.subnets))
        .bind(json_list(&rules.ips))
        .bind(rules.expires.map(Timestamp::as_micros))
        .bind(rules.public)
        .bind(rules.one_time_use)
        .bind(rules.ttl)
        .bind(rules.enable_ttl)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(access)
        .transpose()
    }

    pub(crate) async fn soft_delete_access(&self, id: AccessId) -> Result<bool, sqlx::Error> {
        let at = now();
        let done = sqlx::query(
            "UPDATE accesses SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Consumes one use in a single conditional statement: a one-time link becomes used, a
    /// TTL-limited one goes down by one, only while a use is left. `false`: none was left.
    pub(crate) async fn consume_one_use(&self, id: AccessId) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE accesses SET \
             used = CASE WHEN one_time_use THEN TRUE ELSE used END, \
             ttl = CASE WHEN enable_ttl THEN ttl - 1 ELSE ttl END \
             WHERE id = $1 AND deleted_at IS NULL \
             AND (one_time_use = FALSE OR used = FALSE) \
             AND (enable_ttl = FALSE OR ttl > 0)",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
