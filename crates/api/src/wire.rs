//! The JSON shapes of replies, in DefDrive's PascalCase (SPEC section 3). Password hashes and
//! storage keys have no field here, so they can never be emitted.

use defdrive_core::access::Access;
use defdrive_core::model::{File, FileTypeTotal, Stats, User};
use defdrive_core::quota::Limits;
use defdrive_core::timestamp::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// A file as DefDrive clients read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileJson {
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(rename = "CreatedAt")]
    #[schema(value_type = String, example = "2026-12-03T15:31:36.123456Z")]
    pub created_at: Timestamp,
    #[serde(rename = "UpdatedAt")]
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    /// Always `null`: deleted files are never shown.
    #[serde(rename = "DeletedAt")]
    #[schema(value_type = Option<String>)]
    pub deleted_at: Option<String>,
    #[serde(rename = "Name")]
    pub name: String,
    /// The logical path `<username>/<name>` (not where the bytes live).
    #[serde(rename = "Location")]
    pub location: String,
    #[serde(rename = "Size")]
    pub size: i64,
    /// SHA-256 of the content, hex.
    #[serde(rename = "Hash")]
    pub hash: String,
    #[serde(rename = "Public")]
    pub public: bool,
    #[serde(rename = "UserID")]
    pub user_id: i64,
}

impl FileJson {
    pub fn new(file: &File, owner_username: &str) -> Self {
        Self {
            id: file.id,
            created_at: file.created_at,
            updated_at: file.updated_at,
            deleted_at: None,
            name: file.name.clone(),
            location: format!("{owner_username}/{}", file.name),
            size: file.size,
            hash: file.hash.clone(),
            public: file.public,
            user_id: file.user_id,
        }
    }
}

/// The user object of the signup reply, with lowercase duplicates that front ends read.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupUserJson {
    #[serde(rename = "ID")]
    pub id_upper: i64,
    #[serde(rename = "CreatedAt")]
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[serde(rename = "UpdatedAt")]
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    #[serde(rename = "DeletedAt")]
    #[schema(value_type = Option<String>)]
    pub deleted_at: Option<String>,
    #[serde(rename = "Name")]
    pub name_upper: String,
    #[serde(rename = "Email")]
    pub email_upper: String,
    #[serde(rename = "Username")]
    pub username_upper: String,
    #[serde(rename = "MaxFiles")]
    pub max_files: i64,
    #[serde(rename = "MaxStorage")]
    pub max_storage: i64,
    pub id: i64,
    pub name: String,
    pub email: String,
    pub username: String,
}

impl SignupUserJson {
    pub fn new(user: &User) -> Self {
        Self {
            id_upper: user.id,
            created_at: user.created_at,
            updated_at: user.updated_at,
            deleted_at: None,
            name_upper: user.name.clone(),
            email_upper: user.email.clone(),
            username_upper: user.username.clone(),
            max_files: user.max_files,
            max_storage: user.max_storage,
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            username: user.username.clone(),
        }
    }
}

/// The user object of the login reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginUserJson {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileTypeJson {
    pub extension: String,
    pub count: i64,
    pub total_size: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsJson {
    pub file_count: i64,
    pub total_storage: i64,
    pub file_types: Vec<FileTypeJson>,
}

impl From<Stats> for StatsJson {
    fn from(stats: Stats) -> Self {
        Self {
            file_count: stats.file_count,
            total_storage: stats.total_storage,
            file_types: stats
                .file_types
                .into_iter()
                .map(
                    |FileTypeTotal {
                         extension,
                         count,
                         total_size,
                     }| FileTypeJson {
                        extension,
                        count,
                        total_size,
                    },
                )
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LimitsJson {
    pub max_files: i64,
    pub max_storage: i64,
    pub current_files: i64,
    pub current_storage: i64,
    pub remaining_files: i64,
    pub remaining_storage: i64,
}

impl From<Limits> for LimitsJson {
    fn from(l: Limits) -> Self {
        Self {
            max_files: l.max_files,
            max_storage: l.max_storage,
            current_files: l.current_files,
            current_storage: l.current_storage,
            remaining_files: l.remaining_files(),
            remaining_storage: l.remaining_storage(),
        }
    }
}

/// One user in the admin's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserLimitsJson {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    #[serde(flatten)]
    pub limits: LimitsJson,
}

impl UserLimitsJson {
    pub fn new(user: &User) -> Self {
        Self {
            user_id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            limits: Limits::of(user).into(),
        }
    }
}

/// The user object of the admin's limits update reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatedLimitsJson {
    pub id: i64,
    pub username: String,
    pub max_files: i64,
    pub max_storage: i64,
}

/// A reply with only a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageJson {
    pub message: String,
}

impl MessageJson {
    pub fn new(message: &str) -> Self {
        Self {
            message: message.to_owned(),
        }
    }
}

/// An error reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorJson {
    pub error: String,
}

/// A share link as DefDrive clients read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessJson {
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(rename = "CreatedAt")]
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[serde(rename = "UpdatedAt")]
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    #[serde(rename = "DeletedAt")]
    #[schema(value_type = Option<String>)]
    pub deleted_at: Option<String>,
    #[serde(rename = "Name")]
    pub name: String,
    /// The bare token (32 lowercase hex characters).
    #[serde(rename = "Link")]
    pub link: String,
    #[serde(rename = "Subnets")]
    pub subnets: Vec<String>,
    #[serde(rename = "IPs")]
    pub ips: Vec<String>,
    /// `""`: never expires.
    #[serde(rename = "Expires")]
    pub expires: String,
    #[serde(rename = "Public")]
    pub public: bool,
    #[serde(rename = "OneTimeUse")]
    pub one_time_use: bool,
    #[serde(rename = "Used")]
    pub used: bool,
    /// Downloads still allowed while `EnableTTL`.
    #[serde(rename = "TTL")]
    pub ttl: i64,
    #[serde(rename = "EnableTTL")]
    pub enable_ttl: bool,
    #[serde(rename = "FileID")]
    pub file_id: i64,
}

impl AccessJson {
    pub fn new(access: &Access) -> Self {
        let rules = &access.rules;
        Self {
            id: access.id,
            created_at: access.created_at,
            updated_at: access.updated_at,
            deleted_at: None,
            name: rules.name.clone(),
            link: access.token.clone(),
            subnets: rules.subnets.iter().map(ToString::to_string).collect(),
            ips: rules.ips.iter().map(ToString::to_string).collect(),
            expires: rules.expires.map(|t| t.to_string()).unwrap_or_default(),
            public: rules.public,
            one_time_use: rules.one_time_use,
            used: access.used,
            ttl: rules.ttl,
            enable_ttl: rules.enable_ttl,
            file_id: access.file_id,
        }
    }
}
