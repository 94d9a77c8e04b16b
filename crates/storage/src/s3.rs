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
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
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
#[derive(Clone)]
pub struct S3Store {
    client: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
}

/// Names the prefix only: the client's configuration holds the credentials.
impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// Connects to `bucket` with the credentials, region and endpoint from the `AWS_*`
    /// environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …). Nothing is sent until the first request.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<Self, StoreError> {
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
        Self::with_client(Arc::new(client), prefix)
    }

    /// The store on any object store client (an in-memory one in tests).
    fn with_client(client: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self, StoreError> {
        let prefix = if prefix.is_empty() {
            None
        } else {
            Some(
                Path::parse(prefix)
                    .map_err(|e| StoreError::io(format!("prefix {prefix:?}"), other(e)))?,
            )
        };
        Ok(Self { client, prefix })
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
    client: Arc<dyn ObjectStore>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use defdrive_core::store::new_storage_key;
    use object_store::memory::InMemory;

    fn store() -> (S3Store, Arc<InMemory>) {
        let memory = Arc::new(InMemory::new());
        let store = S3Store::with_client(memory.clone(), "some/prefix").unwrap();
        (store, memory)
    }

    async fn read_all(store: &S3Store, key: &str, offset: u64, len: Option<u64>) -> Vec<u8> {
        let chunks: Vec<Bytes> = store
            .read(key, offset, len)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    fn patterned(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 4093) as u8)
            .collect()
    }

    /// Writes `bytes` in 64 KiB chunks.
    async fn write_all(writer: &mut Box<dyn BlobWriter>, bytes: &[u8]) {
        for chunk in bytes.chunks(64 << 10) {
            writer.write(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
    }

    #[tokio::test]
    async fn small_object_appears_only_when_finished() {
        let (store, memory) = store();
        let key = new_storage_key();
        let mut writer = store.create(&key).await.unwrap();
        write_all(&mut writer, b"hello world").await;
        assert!(matches!(
            store.read(&key, 0, None).await,
            Err(StoreError::NotFound(_))
        ));
        writer.finish().await.unwrap();
        assert_eq!(read_all(&store, &key, 0, None).await, b"hello world");
        assert_eq!(read_all(&store, &key, 6, Some(3)).await, b"wor");
        assert_eq!(read_all(&store, &key, 6, None).await, b"world");
        assert!(read_all(&store, &key, 3, Some(0)).await.is_empty());
        // Stored under the prefix.
        let path = Path::from(format!("some/prefix/{key}"));
        assert!(memory.head(&path).await.is_ok());
    }

    #[tokio::test]
    async fn large_object_goes_up_in_parts_and_reads_back() {
        let (store, _) = store();
        let key = new_storage_key();
        let bytes = patterned(2 * PART_SIZE + 12_345);
        let mut writer = store.create(&key).await.unwrap();
        write_all(&mut writer, &bytes).await;
        writer.finish().await.unwrap();
        assert!(read_all(&store, &key, 0, None).await == bytes);
        let start = PART_SIZE as u64 - 5;
        assert_eq!(
            read_all(&store, &key, start, Some(10)).await,
            &bytes[start as usize..start as usize + 10]
        );
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, key);
    }

    #[tokio::test]
    async fn aborted_writes_leave_nothing() {
        let (store, _) = store();
        for len in [100, PART_SIZE + 1] {
            let key = new_storage_key();
            let mut writer = store.create(&key).await.unwrap();
            write_all(&mut writer, &patterned(len)).await;
            writer.abort().await.unwrap();
            assert!(matches!(
                store.read(&key, 0, None).await,
                Err(StoreError::NotFound(_))
            ));
            let mut dropped = store.create(&key).await.unwrap();
            write_all(&mut dropped, &patterned(len)).await;
            drop(dropped);
        }
        assert!(store.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn list_sees_only_this_prefix_and_delete_is_idempotent() {
        let (store, memory) = store();
        let key = new_storage_key();
        let mut writer = store.create(&key).await.unwrap();
        write_all(&mut writer, b"x").await;
        writer.finish().await.unwrap();
        let stranger = new_storage_key();
        for path in [
            format!("other/{stranger}"),
            format!("some/prefix/nested/{stranger}"),
            "some/prefix/not-a-key".to_owned(),
        ] {
            memory
                .put(&Path::from(path), PutPayload::from_static(b"y"))
                .await
                .unwrap();
        }
        let listed: Vec<String> = store
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(listed, vec![key.clone()]);
        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
        store.check().await.unwrap();
    }

    #[tokio::test]
    async fn keys_that_are_not_generated_are_refused() {
        let (store, _) = store();
        assert!(store.create("../escape").await.is_err());
        assert!(store.read("../../etc/passwd", 0, None).await.is_err());
        assert!(store.delete("a/b").await.is_err());
    }
}
