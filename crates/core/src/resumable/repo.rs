//! The `ResumableRepo` trait: what resumable uploads keep in the database. Each method is
//! one statement or one transaction, so the rules hold with several servers on one database.

use super::{NewResumable, ResumableUpload, Segment};
use crate::model::{File, NewFile};
use crate::repo::RepoError;
use crate::timestamp::Timestamp;
use async_trait::async_trait;

#[async_trait]
pub trait ResumableRepo: Send + Sync {
    /// In one transaction: reserves one file slot and `new.length` bytes of the owner's quota
    /// (conditionally, counting usage and other reservations, so nothing can overshoot;
    /// [`RepoError::Quota`] when it does not fit) and records the upload.
    async fn create_resumable(&self, new: &NewResumable) -> Result<ResumableUpload, RepoError>;
    async fn resumable(&self, id: &str) -> Result<Option<ResumableUpload>, RepoError>;
    /// The upload's segments, ordered by offset.
    async fn segments(&self, id: &str) -> Result<Vec<Segment>, RepoError>;
    /// Marks the upload as making progress; `false` when it is gone.
    async fn touch_resumable(&self, id: &str) -> Result<bool, RepoError>;
    /// In one transaction: advances the offset from `segment.offset` by `segment.length`
    /// only if it is still `segment.offset` (`false` otherwise, or when the upload is gone),
    /// records the segment and forgets the in-progress marker of its storage key
    /// ([`RepoError::UploadGone`] when the sweep already removed it).
    async fn record_segment(&self, id: &str, segment: &Segment) -> Result<bool, RepoError>;
    /// In one transaction: replaces exactly the segments stored under `old` by `merged`
    /// (and forgets `merged`'s in-progress marker); `false` when the segments changed.
    async fn replace_segments(
        &self,
        id: &str,
        old: &[String],
        merged: &Segment,
    ) -> Result<bool, RepoError>;
    /// In one transaction: records the file (a live name is unique: [`RepoError::NameTaken`]),
    /// turns the upload's reservation into usage, updates the per-type totals, marks the
    /// upload completed and forgets its one segment (whose object the file now owns).
    /// [`RepoError::UploadGone`] when the upload is gone or already completed.
    async fn complete_resumable(&self, id: &str, new: NewFile) -> Result<File, RepoError>;
    /// In one transaction: forgets the upload and its segments, releasing the reservation of
    /// an upload that did not complete; returns the storage keys of the segments to remove
    /// (`None` when there is no such upload).
    async fn delete_resumable(&self, id: &str) -> Result<Option<Vec<String>>, RepoError>;
    /// Uploads (completed or not) without progress since `before`.
    async fn expired_resumables(&self, before: Timestamp) -> Result<Vec<String>, RepoError>;
}
