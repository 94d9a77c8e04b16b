//! [`Resumable`]: creating an upload (name and quota rules, reservation), appending bytes at
//! an offset as a durable segment, completing it into a file, termination, and the sweep of
//! uploads abandoned for longer than the configured time.

use super::assemble::{SegmentWriter, assemble};
use super::{NewResumable, ResumableRepo, ResumableUpload, Segment};
use crate::extension::extension_of;
use crate::model::{FileId, NewFile, UserId};
use crate::names::sanitize_file_name;
use crate::quota::{Limits, QuotaError};
use crate::repo::{Repo, RepoError};
use crate::store::{Store, StoreError, new_storage_key};
use crate::timestamp::Timestamp;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt::Display;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, thiserror::Error)]
pub enum ResumableError {
    #[error("Invalid file name")]
    InvalidName,
    #[error("A file with this name already exists in your folder")]
    NameTaken,
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error("the owner no longer exists")]
    NoSuchUser,
    /// No such upload, or not the caller's.
    #[error("Upload not found")]
    NotFound,
    /// The request's offset is not the upload's.
    #[error("Upload-Offset does not match the upload's offset ({expected})")]
    OffsetMismatch { expected: i64 },
    /// Another request is appending to this upload right now.
    #[error("Another request is writing to this upload")]
    Busy,
    #[error("The request goes past the upload's length")]
    PastLength,
    #[error("Checksum mismatch")]
    ChecksumMismatch,
    /// The body broke off; what arrived is stored (`offset` is where to go on).
    #[error("upload body failed after {offset} bytes: {reason}")]
    Interrupted { offset: i64, reason: String },
    /// The sweep removed bytes that made no progress for too long.
    #[error("the upload made no progress for too long and was abandoned")]
    Abandoned,
    #[error(transparent)]
    Repo(RepoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RepoError> for ResumableError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NameTaken => Self::NameTaken,
            RepoError::Quota(q) => Self::Quota(q),
            RepoError::UploadGone => Self::Abandoned,
            other => Self::Repo(other),
        }
    }
}

/// Where an upload stands after bytes were appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub offset: i64,
    /// The file the upload became, once complete.
    pub file_id: Option<FileId>,
}

/// Resumable uploads into a [`Store`], recorded in a [`ResumableRepo`].
#[derive(Clone)]
pub struct Resumable {
    repo: Arc<dyn Repo>,
    tus: Arc<dyn ResumableRepo>,
    store: Arc<dyn Store>,
    expire_after: Duration,
    heartbeat: Duration,
    /// Uploads a request of this process is writing to (one writer at a time per upload;
    /// across processes the conditional offset update decides).
    busy: Arc<Mutex<HashSet<String>>>,
    /// Cancelled when the server stops: bodies still arriving end as if broken off, so
    /// what arrived is recorded and the upload can go on after the restart.
    stopping: CancellationToken,
    running: TaskTracker,
}

impl Resumable {
    /// `expire_after`: an upload without progress for this long is removed by [`Self::sweep`];
    /// `stale_after`: the limit of the one-shot uploads, which also applies to the writing of
    /// one segment.
    pub fn new(
        repo: Arc<dyn Repo>,
        tus: Arc<dyn ResumableRepo>,
        store: Arc<dyn Store>,
        expire_after: Duration,
        stale_after: Duration,
    ) -> Self {
        let heartbeat = (expire_after.min(stale_after) / 3)
            .clamp(Duration::from_millis(100), Duration::from_secs(60));
        Self {
            repo,
            tus,
            store,
            expire_after,
            heartbeat,
            busy: Arc::new(Mutex::new(HashSet::new())),
            stopping: CancellationToken::new(),
            running: TaskTracker::new(),
        }
    }

    /// Ends the bodies still arriving (what arrived is kept) and waits up to `wait` for
    /// their requests to record it; `false` when some did not finish in time.
    pub async fn stop_running(&self, wait: Duration) -> bool {
        self.stopping.cancel();
        self.running.close();
        tokio::time::timeout(wait, self.running.wait())
            .await
            .is_ok()
    }

    /// How long an upload without progress is kept.
    pub fn expire_after(&self) -> Duration {
        self.expire_after
    }

    /// When `upload` expires if no more bytes arrive.
    pub fn expires_at(&self, upload: &ResumableUpload) -> Timestamp {
        upload
            .touched_at
            .plus_secs(i64::try_from(self.expire_after.as_secs()).unwrap_or(i64::MAX))
    }

    /// Creates an upload of `length` bytes named `raw_name` for `user_id`, reserving its
    /// quota; with `body`, appends it at offset 0 (creation with upload). An upload of
    /// length 0 completes at once. The inner result is that of the first bytes: the upload
    /// exists even when they fail.
    pub async fn create<S, E>(
        &self,
        user_id: UserId,
        raw_name: &str,
        length: i64,
        metadata: &str,
        body: Option<(S, Option<u64>, Option<[u8; 32]>)>,
    ) -> Result<(ResumableUpload, Result<Appended, ResumableError>), ResumableError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: Display,
    {
        let name = sanitize_file_name(raw_name).ok_or(ResumableError::InvalidName)?;
        let user = self
            .repo
            .user(user_id)
            .await?
            .ok_or(ResumableError::NoSuchUser)?;
        let limits = Limits::for_new_file(&user);
        limits.check_file_count()?;
        limits.check_storage(length)?;
        if self.repo.live_name_exists(user_id, &name).await? {
            return Err(ResumableError::NameTaken);
        }
        let upload = self
            .tus
            .create_resumable(&NewResumable {
                id: crate::random::hex_128(),
                user_id,
                name,
                length,
                metadata: metadata.to_owned(),
            })
            .await?;
        let appended = match body {
            Some((body, declared, checksum)) => {
                self.append(user_id, &upload.id, 0, declared, checksum, body)
                    .await
            }
            None if length == 0 => {
                let nothing = futures_util::stream::empty::<Result<Bytes, std::io::Error>>();
                self.append(user_id, &upload.id, 0, Some(0), None, nothing)
                    .await
            }
            None => Ok(Appended {
                offset: 0,
                file_id: None,
            }),
        };
        Ok((upload, appended))
    }

    /// The caller's upload `id`.
    pub async fn status(
        &self,
        user_id: UserId,
        id: &str,
    ) -> Result<ResumableUpload, ResumableError> {
        match self.tus.resumable(id).await? {
            Some(upload) if upload.user_id == user_id => Ok(upload),
            _ => Err(ResumableError::NotFound),
        }
    }

    /// Appends `body` at `offset` to the caller's upload `id`. `declared` is the body's
    /// announced length, `checksum` its announced SHA-256. Bytes are stored as one durable
    /// segment; a body that breaks off keeps what arrived (unless a checksum was announced).
    /// When the last byte is stored the upload becomes a file.
    pub async fn append<S, E>(
        &self,
        user_id: UserId,
        id: &str,
        offset: i64,
        declared: Option<u64>,
        checksum: Option<[u8; 32]>,
        mut body: S,
    ) -> Result<Appended, ResumableError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: Display,
    {
        let _writing = self.writing(id)?;
        let _running = self.running.token();
        let upload = self.status(user_id, id).await?;
        if offset != upload.offset {
            return Err(ResumableError::OffsetMismatch {
                expected: upload.offset,
            });
        }
        let remaining = upload.length - offset;
        let declared = declared.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
        if declared.is_some_and(|d| d > remaining) {
            return Err(ResumableError::PastLength);
        }
        if let Some(file_id) = upload.file_id {
            // Complete already: only an empty body is in order (a retried last request).
            while let Some(chunk) = body.next().await {
                if chunk.is_ok_and(|c| !c.is_empty()) {
                    return Err(ResumableError::PastLength);
                }
            }
            return Ok(Appended {
                offset,
                file_id: Some(file_id),
            });
        }

        let mut written: i64 = 0;
        let mut interruption = None;
        let segment = if remaining > 0 {
            let mut writer = SegmentWriter::start(&*self.repo, &*self.store, user_id).await?;
            let mut last_touch = Instant::now();
            loop {
                let next = tokio::select! {
                    next = body.next() => next,
                    () = self.stopping.cancelled() => {
                        interruption = Some("the server is stopping".to_owned());
                        break;
                    }
                };
                let Some(chunk) = next else { break };
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        interruption = Some(e.to_string());
                        break;
                    }
                };
                written = written.saturating_add(i64::try_from(chunk.len()).unwrap_or(i64::MAX));
                if written > remaining {
                    writer.discard().await;
                    return Err(ResumableError::PastLength);
                }
                writer.write(chunk).await?;
                if last_touch.elapsed() >= self.heartbeat {
                    if !self.repo.touch_upload(writer.key()).await?
                        || !self.tus.touch_resumable(id).await?
                    {
                        writer.discard().await;
                        return Err(ResumableError::Abandoned);
                    }
                    last_touch = Instant::now();
                }
            }
            if interruption.is_none() && declared.is_some_and(|d| written < d) {
                interruption = Some(format!("the body ended after {written} of its bytes"));
            }
            if let Some(expected) = checksum
                && (interruption.is_some() || writer.digest() != expected)
            {
                writer.discard().await;
                return Err(match interruption {
                    Some(reason) => ResumableError::Interrupted { offset, reason },
                    None => ResumableError::ChecksumMismatch,
                });
            }
            if written == 0 {
                writer.discard().await;
                None
            } else {
                Some(writer.finish(offset).await?)
            }
        } else {
            None
        };

        if let Some(segment) = segment
            && !self.record(id, &segment).await?
        {
            let now = self.status(user_id, id).await?;
            return Err(ResumableError::OffsetMismatch {
                expected: now.offset,
            });
        }
        let offset = offset + written;
        if let Some(reason) = interruption {
            return Err(ResumableError::Interrupted { offset, reason });
        }
        if offset < upload.length {
            return Ok(Appended {
                offset,
                file_id: None,
            });
        }
        let file_id = self.complete(&upload).await?;
        Ok(Appended {
            offset,
            file_id: Some(file_id),
        })
    }

    /// Records a written segment, removing its bytes when the upload moved on or is gone.
    async fn record(&self, id: &str, segment: &Segment) -> Result<bool, ResumableError> {
        let recorded = self.tus.record_segment(id, segment).await;
        if !matches!(recorded, Ok(true)) {
            self.remove_object(&segment.storage_key).await;
        }
        Ok(recorded?)
    }

    /// Turns a fully stored upload into a file: its segments into one object (unless there is
    /// only one), then the record.
    async fn complete(&self, upload: &ResumableUpload) -> Result<FileId, ResumableError> {
        let mut segments = self.tus.segments(&upload.id).await?;
        if segments.is_empty() {
            // A zero-length file still needs an (empty) object.
            let writer = SegmentWriter::start(&*self.repo, &*self.store, upload.user_id).await?;
            let segment = writer.finish(0).await?;
            if !self.record(&upload.id, &segment).await? {
                return Err(ResumableError::NotFound);
            }
            segments.push(segment);
        }
        let whole = if segments.len() == 1 {
            segments.remove(0)
        } else {
            let merged = assemble(
                &*self.repo,
                &*self.store,
                upload.user_id,
                upload.length,
                &segments,
            )
            .await?;
            let old: Vec<String> = segments.iter().map(|s| s.storage_key.clone()).collect();
            let replaced = self.tus.replace_segments(&upload.id, &old, &merged).await;
            if !matches!(replaced, Ok(true)) {
                self.remove_object(&merged.storage_key).await;
                replaced?;
                return Err(ResumableError::Busy);
            }
            for key in &old {
                self.remove_object(key).await;
            }
            merged
        };
        let file = self
            .tus
            .complete_resumable(
                &upload.id,
                NewFile {
                    user_id: upload.user_id,
                    extension: extension_of(&upload.name),
                    name: upload.name.clone(),
                    size: upload.length,
                    hash: whole.hash,
                    storage_key: whole.storage_key,
                },
            )
            .await
            .map_err(|e| match e {
                RepoError::UploadGone => ResumableError::NotFound,
                other => other.into(),
            })?;
        Ok(file.id)
    }

    /// Terminates the caller's upload `id`: forgets it, releases its reservation and removes
    /// its bytes. A completed upload's file stays.
    pub async fn terminate(&self, user_id: UserId, id: &str) -> Result<(), ResumableError> {
        self.status(user_id, id).await?;
        let keys = self
            .tus
            .delete_resumable(id)
            .await?
            .ok_or(ResumableError::NotFound)?;
        for key in keys {
            self.remove_object(&key).await;
        }
        Ok(())
    }

    /// Removes uploads without progress for longer than `expire_after`, with their bytes,
    /// releasing their reservations. Returns how many were removed.
    pub async fn sweep(&self) -> Result<usize, ResumableError> {
        let cutoff = Timestamp::from_micros(
            Timestamp::now()
                .as_micros()
                .saturating_sub(i64::try_from(self.expire_after.as_micros()).unwrap_or(i64::MAX)),
        );
        let mut removed = 0;
        for id in self.tus.expired_resumables(cutoff).await? {
            let Ok(_writing) = self.writing(&id) else {
                continue;
            };
            if let Some(keys) = self.tus.delete_resumable(&id).await? {
                for key in keys {
                    self.store.delete(&key).await?;
                }
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn remove_object(&self, key: &str) {
        if let Err(e) = self.store.delete(key).await {
            tracing::warn!(key, error = %e, "could not remove an unused segment; the sweep will");
        }
        if let Err(e) = self.repo.end_upload(key).await {
            tracing::warn!(key, error = %e, "could not forget an unused segment; the sweep will");
        }
    }

    /// Marks upload `id` as being written by this process; [`ResumableError::Busy`] when it
    /// already is.
    fn writing(&self, id: &str) -> Result<Writing, ResumableError> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if !busy.insert(id.to_owned()) {
            return Err(ResumableError::Busy);
        }
        Ok(Writing {
            busy: self.busy.clone(),
            id: id.to_owned(),
        })
    }
}

/// Holds an upload's write slot in this process until dropped.
struct Writing {
    busy: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// A new segment's key.
pub(super) fn segment_key() -> String {
    new_storage_key()
}

/// The hex SHA-256 of what a hasher saw.
pub(super) fn hex_digest(hasher: Sha256) -> String {
    hex::encode(hasher.finalize())
}
