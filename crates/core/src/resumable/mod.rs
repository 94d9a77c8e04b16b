//! Resumable uploads (the rules behind the tus protocol), built on the generic [`Store`]:
//! each appended piece of bytes is stored as its own durable *segment* object and recorded
//! in the database with its offset, so an upload survives dropped connections and server
//! restarts. When the last byte arrives the segments become one object (hashed on the way),
//! and only then is the file recorded, under the same rules as a one-shot upload. The quota
//! for the declared length is reserved when the upload is created.
//!
//! [`Store`]: crate::store::Store

mod assemble;
pub mod headers;
mod repo;
mod service;

pub use repo::ResumableRepo;
pub use service::{Appended, Resumable, ResumableError};

use crate::model::{FileId, UserId};
use crate::timestamp::Timestamp;

/// An upload in progress (or just completed: then `file_id` names the file it became).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumableUpload {
    /// 32 lowercase hex characters, the last part of the upload's URL.
    pub id: String,
    pub user_id: UserId,
    /// The sanitised file name the upload will have.
    pub name: String,
    /// The declared total length in bytes.
    pub length: i64,
    /// How many bytes are durably stored.
    pub offset: i64,
    /// The `Upload-Metadata` header as the client sent it (echoed back on `HEAD`).
    pub metadata: String,
    pub file_id: Option<FileId>,
    pub created_at: Timestamp,
    /// The last time bytes arrived (or the creation).
    pub touched_at: Timestamp,
}

/// What creating an upload records.
#[derive(Debug, Clone)]
pub struct NewResumable {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    pub length: i64,
    pub metadata: String,
}

/// A stored run of an upload's bytes: `length` bytes from `offset`, in the object
/// `storage_key`, whose SHA-256 is `hash` (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub offset: i64,
    pub length: i64,
    pub hash: String,
    pub storage_key: String,
}
