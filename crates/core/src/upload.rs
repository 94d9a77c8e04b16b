//! The upload pipeline shared by every way bytes come in: sanitise the name, check the quota
//! early, stream into storage while hashing, make the bytes durable, then commit the record
//! with the quota reserved atomically. A failed, refused or abandoned upload leaves neither a
//! record nor bytes; [`Uploads::sweep`] removes what a crash left behind. At shutdown,
//! [`Uploads::cancel_running`] stops the uploads still running and waits for their clean-up.

use crate::extension::extension_of;
use crate::model::{File, NewFile, UserId};
use crate::names::sanitize_file_name;
use crate::quota::{Limits, QuotaError};
use crate::repo::{Repo, RepoError};
use crate::store::{BlobWriter, Store, StoreError, new_storage_key};
use crate::timestamp::Timestamp;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("Invalid file name")]
    InvalidName,
    #[error("A file with this name already exists in your folder")]
    NameTaken,
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error("the owner no longer exists")]
    NoSuchUser,
    #[error("upload body failed: {0}")]
    Body(String),
    /// No progress for longer than the configured limit: the sweep removed it.
    #[error("the upload made no progress for too long and was abandoned")]
    Abandoned,
    /// The server is stopping; the upload was cancelled and cleaned up.
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Repo(RepoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RepoError> for UploadError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NameTaken => Self::NameTaken,
            RepoError::Quota(q) => Self::Quota(q),
            RepoError::UploadGone => Self::Abandoned,
            other => Self::Repo(other),
        }
    }
}

/// What the sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub abandoned_uploads: usize,
    pub orphaned_objects: usize,
}

/// Receives uploads into a [`Store`] and records them in a [`Repo`].
#[derive(Clone)]
pub struct Uploads {
    repo: Arc<dyn Repo>,
    store: Arc<dyn Store>,
    stale_after: Duration,
    running: Arc<Running>,
}

/// The uploads of this process that are running: how many, how to cancel them, and a
/// tracker that also covers their background clean-ups.
#[derive(Default)]
struct Running {
    cancel: CancellationToken,
    tracker: TaskTracker,
    count: AtomicUsize,
}

/// Held while one upload runs.
struct RunningUpload {
    running: Arc<Running>,
    _token: TaskTrackerToken,
}

impl RunningUpload {
    fn enter(running: &Arc<Running>) -> Self {
        running.count.fetch_add(1, Ordering::Relaxed);
        Self {
            running: running.clone(),
            _token: running.tracker.token(),
        }
    }
}

impl Drop for RunningUpload {
    fn drop(&mut self) {
        self.running.count.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Uploads {
    /// `stale_after`: an upload that made no progress for this long counts as abandoned.
    pub fn new(repo: Arc<dyn Repo>, store: Arc<dyn Store>, stale_after: Duration) -> Self {
        Self {
            repo,
            store,
            stale_after,
            running: Arc::default(),
        }
    }

    /// How many uploads are running in this process.
    pub fn in_progress(&self) -> usize {
        self.running.count.load(Ordering::Relaxed)
    }

    /// Cancels every running upload (each aborts its write and removes its marker) and
    /// refuses new ones with [`UploadError::ShuttingDown`]; then waits up to `wait` for them
    /// and their clean-ups. `false` when some were still running at the end of the wait.
    pub async fn cancel_running(&self, wait: Duration) -> bool {
        self.running.cancel.cancel();
        self.running.tracker.close();
        tokio::time::timeout(wait, self.running.tracker.wait())
            .await
            .is_ok()
    }

    /// How often a running upload tells the database it is alive.
    fn heartbeat(&self) -> Duration {
        (self.stale_after / 3).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }

    /// Stores the file `raw_name` for `user_id` from `body`.
    pub async fn receive<S, E>(
        &self,
        user_id: UserId,
        raw_name: &str,
        mut body: S,
    ) -> Result<File, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: Display,
    {
        let running = RunningUpload::enter(&self.running);
        if self.running.cancel.is_cancelled() {
            return Err(UploadError::ShuttingDown);
        }
        let name = sanitize_file_name(raw_name).ok_or(UploadError::InvalidName)?;
        let user = self
            .repo
            .user(user_id)
            .await?
            .ok_or(UploadError::NoSuchUser)?;
        let limits = Limits::for_new_file(&user);
        limits.check_file_count()?;
        if self.repo.live_name_exists(user_id, &name).await? {
            return Err(UploadError::NameTaken);
        }

        let key = new_storage_key();
        self.repo.begin_upload(&key, user_id).await?;
        let mut guard = CleanupGuard {
            repo: self.repo.clone(),
            store: self.store.clone(),
            tracker: self.running.tracker.clone(),
            key: Some(key.clone()),
        };

        let mut writer = self.store.create(&key).await?;
        let streamed = tokio::select! {
            streamed = self.stream_into(&mut *writer, &key, &limits, &mut body) => streamed,
            () = self.running.cancel.cancelled() => Err(UploadError::ShuttingDown),
        };
        let (size, hasher) = match streamed {
            Ok(streamed) => streamed,
            Err(e) => {
                abort(writer, &key).await;
                guard.clean_now().await;
                drop(running);
                return Err(match e {
                    UploadError::Quota(QuotaError::StorageLimit {
                        current_storage,
                        max_storage,
                        file_size,
                    }) => QuotaError::StorageLimit {
                        current_storage,
                        max_storage,
                        file_size: drain(file_size, &mut body).await?,
                    }
                    .into(),
                    other => other,
                });
            }
        };
        if let Err(e) = writer.finish().await {
            // Bytes that vanished under us were swept as abandoned.
            let swept = matches!(self.repo.touch_upload(&key).await, Ok(false));
            guard.clean_now().await;
            return Err(if swept {
                UploadError::Abandoned
            } else {
                e.into()
            });
        }

        let file = self
            .repo
            .commit_upload(NewFile {
                user_id,
                extension: extension_of(&name),
                name,
                size,
                hash: hex::encode(hasher.finalize()),
                storage_key: key,
            })
            .await;
        match file {
            Ok(file) => {
                guard.disarm();
                Ok(file)
            }
            Err(e) => {
                guard.clean_now().await;
                Err(e.into())
            }
        }
    }

    /// Streams `body` into `writer` while hashing it, stopping at the remaining quota (a
    /// [`QuotaError::StorageLimit`] with the size seen so far) and telling the database that
    /// the upload is alive; returns the size and the hash state.
    async fn stream_into<S, E>(
        &self,
        writer: &mut dyn BlobWriter,
        key: &str,
        limits: &Limits,
        body: &mut S,
    ) -> Result<(i64, Sha256), UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: Display,
    {
        let remaining = limits.remaining_storage().max(0);
        let mut hasher = Sha256::new();
        let mut size: i64 = 0;
        let mut last_touch = Instant::now();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
            size = size.saturating_add(i64::try_from(chunk.len()).unwrap_or(i64::MAX));
            if size > remaining {
                return Err(QuotaError::StorageLimit {
                    current_storage: limits.current_storage,
                    max_storage: limits.max_storage,
                    file_size: size,
                }
                .into());
            }
            hasher.update(&chunk);
            writer.write(chunk).await?;
            if last_touch.elapsed() >= self.heartbeat() {
                if !self.repo.touch_upload(key).await? {
                    return Err(UploadError::Abandoned);
                }
                last_touch = Instant::now();
            }
        }
        Ok((size, hasher))
    }

    /// Removes uploads that made no progress for `stale_after` (their bytes and markers) and
    /// stored objects older than that which no live file or running upload uses.
    pub async fn sweep(&self) -> Result<SweepReport, UploadError> {
        let cutoff = Timestamp::from_micros(
            Timestamp::now()
                .as_micros()
                .saturating_sub(i64::try_from(self.stale_after.as_micros()).unwrap_or(i64::MAX)),
        );
        let mut report = SweepReport::default();
        for key in self.repo.stale_uploads(cutoff).await? {
            self.store.delete(&key).await?;
            self.repo.end_upload(&key).await?;
            report.abandoned_uploads += 1;
        }
        for object in self.store.list().await? {
            if object.modified < cutoff && !self.repo.storage_key_in_use(&object.key).await? {
                self.store.delete(&object.key).await?;
                report.orphaned_objects += 1;
            }
        }
        Ok(report)
    }
}

/// Reads the rest of a refused body so the client gets the answer, returning the full size.
async fn drain<S, E>(mut size: i64, body: &mut S) -> Result<i64, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
        size = size.saturating_add(i64::try_from(chunk.len()).unwrap_or(i64::MAX));
    }
    Ok(size)
}

/// Gives up a write, logging when the store could not release it.
async fn abort(writer: Box<dyn BlobWriter>, key: &str) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(key, error = %e, "could not abort the write of a failed upload");
    }
}

/// Removes an upload's bytes and marker unless disarmed, also when the request is dropped
/// half-way (the client went away).
struct CleanupGuard {
    repo: Arc<dyn Repo>,
    store: Arc<dyn Store>,
    tracker: TaskTracker,
    key: Option<String>,
}

impl CleanupGuard {
    fn disarm(&mut self) {
        self.key = None;
    }

    async fn clean_now(&mut self) {
        if let Some(key) = self.key.take() {
            clean(&*self.repo, &*self.store, &key).await;
        }
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (repo, store) = (self.repo.clone(), self.store.clone());
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let cleanup = async move { clean(&*repo, &*store, &key).await };
                runtime.spawn(self.tracker.track_future(cleanup));
            }
        }
    }
}

async fn clean(repo: &dyn Repo, store: &dyn Store, key: &str) {
    if let Err(e) = store.delete(key).await {
        tracing::warn!(key, error = %e, "could not remove the bytes of a failed upload; the sweep will");
        return;
    }
    if let Err(e) = repo.end_upload(key).await {
        tracing::warn!(key, error = %e, "could not forget a failed upload; the sweep will");
    }
}
