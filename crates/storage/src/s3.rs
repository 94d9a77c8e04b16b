//! A `Store` on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage, R2), through
//! the object_store crate.
//!
//! Objects live at `<prefix>/<key>` in the bucket. A write keeps up to one part in memory:
//! an object smaller than that is stored with one PUT at `finish`; a larger one streams as a
//! multipart upload with at most [`MAX_PARTS_IN_FLIGHT`] parts on the wire, so a write holds
//! at most about `(1 + MAX_PARTS_IN_FLIGHT) × PART_SIZE` whatever the object's size. Nothing
//! is visible under the key until the upload completes. An aborted or dropped write aborts
//! its multipart upload, so its parts do not linger. Reads are ranged GETs whose body is
//! streamed to the caller.

use async_trait::async_trait;
use bytes::Bytes;
use defdrive_core::store::{
    BlobWriter, ByteStream, Store, StoreError, StoredObject, is_storage_key,
};
use defdrive_core::timestamp::Timestamp;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig, WriteMultipart,
};
use std::sync::Arc;
use std::time::Duration;

/// Size of one part of a multipart upload (S3 wants at least 5 MiB but for the last).
pub const PART_SIZE: usize = 8 << 20;
/// Parts of one upload sent at the same time.
pub const MAX_PARTS_IN_FLIGHT: usize = 2;
/// A folder under the prefix that never holds objects, listed by [`Store::check`].
const PROBE: &str = "ready-probe";

/// File bytes in an S3 bucket, under an optional prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Arc<AmazonS3>,
    prefix: Option<Path>,
}

impl S3Store {
    /// Connects to `bucket` with the credentials, region and endpoint from the `AWS_*`
    /// environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …). Nothing is sent until the first request.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<Self, StoreError> {
        let prefix = if prefix.is_empty() {
            None
        } else {
            Some(
                Path::parse(prefix)
                    .map_err(|e| StoreError::io(format!("prefix {prefix:?}"), other(e)))?,
            )
        };
        let client = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_client_options(client_options())
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
            })
            .build()
            .map_err(|e| {
                StoreError::io(format!("configuring the S3 bucket {bucket:?}"), other(e))
            })?;
        Ok(Self {
            client: Arc::new(client),
            prefix,
        })
    }

    fn checked(key: &str) -> Result<&str, StoreError> {
        if is_storage_key(key) {
            Ok(key)
        } else {
            Err(StoreError::NotFound(key.to_owned()))
        }
    }

    fn path(&self, name: &str) -> Path {
        match &self.prefix {
            Some(prefix) => prefix.clone().join(name),
            None => Path::from(name),
        }
    }
}

/// No overall request timeout (a download to a slow client can take long), a short
/// connect timeout, and whatever `AWS_*` client settings the environment gives
/// (`AWS_ALLOW_HTTP`, `AWS_PROXY_URL`, `AWS_TIMEOUT`, …).
fn client_options() -> ClientOptions {
    let mut options = ClientOptions::new()
        .with_timeout_disabled()
        .with_connect_timeout(Duration::from_secs(5));
    for (key, value) in std::env::vars() {
        if !key.starts_with("AWS_") {
            continue;
        }
        if let Ok(AmazonS3ConfigKey::Client(key)) = key.to_ascii_lowercase().parse() {
            options = options.with_config(key, value);
        }
    }
    options
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

fn store_error(context: String, e: object_store::Error, key: &str) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound(key.to_owned()),
        e => StoreError::io(context, other(e)),
    }
}

#[async_trait]
impl Store for S3Store {
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError> {
        let key = Self::checked(key)?;
        Ok(Box::new(S3Writer {
            client: self.client.clone(),
            path: self.path(key),
            state: WriteState::Buffering {
                chunks: Vec::new(),
                len: 0,
            },
        }))
    }

    async fn read(
        &self,
        key: &str,
        offset: u64,
        len: Option<u64>,
    ) -> Result<ByteStream, StoreError> {
        let key = Self::checked(key)?;
        let range = match len {
            Some(0) => return Ok(futures_util::stream::empty().boxed()),
            Some(len) => Some(GetRange::Bounded(offset..offset.saturating_add(len))),
            None if offset == 0 => None,
            None => Some(GetRange::Offset(offset)),
        };
        let path = self.path(key);
        let options = GetOptions {
            range,
            ..GetOptions::default()
        };
        let result = self
            .client
            .get_opts(&path, options)
            .await
            .map_err(|e| store_error(format!("reading {path}"), e, key))?;
        Ok(result.into_stream().map_err(other).boxed())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = Self::checked(key)?;
        let path = self.path(key);
        match self.client.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::io(format!("removing {path}"), other(e))),
        }
    }

    async fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        let mut listing = self.client.list(self.prefix.as_ref());
        let mut found = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| StoreError::io("listing stored objects", other(e)))?;
            let Some(key) = meta.location.filename().map(str::to_owned) else {
                continue;
            };
            // Only the objects this store writes: `<prefix>/<key>`, nothing nested.
            if !is_storage_key(&key) || meta.location != self.path(&key) {
                continue;
            }
            found.push(StoredObject {
                key,
                modified: Timestamp::from_micros(meta.last_modified.timestamp_micros()),
            });
        }
        Ok(found)
    }

    async fn check(&self) -> Result<(), StoreError> {
        let probe = self.path(PROBE);
        self.client
            .list_with_delimiter(Some(&probe))
            .await
            .map(|_| ())
            .map_err(|e| StoreError::io("listing the bucket", other(e)))
    }
}

/// A write in progress: bytes kept until they fill a part, then a multipart upload.
struct S3Writer {
    client: Arc<AmazonS3>,
    path: Path,
    state: WriteState,
}

enum WriteState {
    Buffering { chunks: Vec<Bytes>, len: usize },
    Multipart(WriteMultipart),
    Done,
}

impl S3Writer {
    fn error(&self, doing: &str, e: object_store::Error) -> StoreError {
        StoreError::io(format!("{doing} {}", self.path), other(e))
    }
}

#[async_trait]
impl BlobWriter for S3Writer {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        match &mut self.state {
            WriteState::Buffering { chunks, len } => {
                *len += chunk.len();
                chunks.push(chunk);
                if *len >= PART_SIZE {
                    let chunks = std::mem::take(chunks);
                    let upload = self
                        .client
                        .put_multipart(&self.path)
                        .await
                        .map_err(|e| self.error("starting the multipart upload of", e))?;
                    let mut multipart = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                    for chunk in chunks {
                        multipart.put(chunk);
                    }
                    self.state = WriteState::Multipart(multipart);
                }
                Ok(())
            }
            WriteState::Multipart(multipart) => {
                let waited = multipart.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await;
                if let Err(e) = waited {
                    return Err(self.error("uploading a part of", e));
                }
                multipart.put(chunk);
                Ok(())
            }
            WriteState::Done => Err(StoreError::io(
                format!("writing {}", self.path),
                std::io::Error::other("the write is over"),
            )),
        }
    }

    async fn finish(mut self: Box<Self>) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.state, WriteState::Done) {
            WriteState::Buffering { chunks, .. } => {
                let payload: PutPayload = chunks.into_iter().collect();
                self.client
                    .put(&self.path, payload)
                    .await
                    .map(|_| ())
                    .map_err(|e| self.error("storing", e))
            }
            // On failure, `finish` aborts the multipart upload itself.
            WriteState::Multipart(multipart) => multipart
                .finish()
                .await
                .map(|_| ())
                .map_err(|e| self.error("completing the multipart upload of", e)),
            WriteState::Done => Ok(()),
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.state, WriteState::Done) {
            WriteState::Multipart(multipart) => multipart
                .abort()
                .await
                .map_err(|e| self.error("aborting the multipart upload of", e)),
            WriteState::Buffering { .. } | WriteState::Done => Ok(()),
        }
    }
}

impl Drop for S3Writer {
    /// A write dropped half-way (the client went away) aborts its multipart upload in the
    /// background.
    fn drop(&mut self) {
        if let WriteState::Multipart(multipart) =
            std::mem::replace(&mut self.state, WriteState::Done)
        {
            let path = self.path.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = multipart.abort().await {
                        tracing::warn!(%path, error = %e, "could not abort a multipart upload");
                    }
                });
            }
        }
    }
}
