//! The `Store` trait: where file bytes live, under opaque generated keys.
//! Implemented by defdrive-storage (a local folder, S3-compatible object storage).

use crate::timestamp::Timestamp;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no stored object {0}")]
    NotFound(String),
    #[error("storage error: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// A stream of stored bytes.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// A stored object as listed by [`Store::list`].
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub key: String,
    pub modified: Timestamp,
}

/// A new opaque storage key: 128 random bits as 32 lowercase hex characters.
pub fn new_storage_key() -> String {
    crate::random::hex_128()
}

/// Whether `key` has the form [`new_storage_key`] makes (the only keys a store accepts).
pub fn is_storage_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Starts writing a new object; nothing is visible under `key` until
    /// [`BlobWriter::finish`] returns.
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError>;
    /// Reads `len` bytes from `offset` (the whole object with `offset = 0, len = None`).
    async fn read(
        &self,
        key: &str,
        offset: u64,
        len: Option<u64>,
    ) -> Result<ByteStream, StoreError>;
    /// Removes an object and any unfinished write under `key`; no error when absent.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Every object and unfinished write, for the sweep of orphaned bytes.
    async fn list(&self) -> Result<Vec<StoredObject>, StoreError>;
    /// Answers when the storage does.
    async fn check(&self) -> Result<(), StoreError>;
    /// Where a finished object sits on the local disk, for stores that keep objects as
    /// plain files (lets downloads be sent without copying through user space).
    fn local_path(&self, _key: &str) -> Option<std::path::PathBuf> {
        None
    }
}

#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError>;
    /// Makes the object durable and visible under its key.
    async fn finish(self: Box<Self>) -> Result<(), StoreError>;
    /// Gives up the write and releases what it holds in storage (an object store's multipart
    /// upload). Dropping a writer does the same in the background; this waits for it.
    /// Stores whose unfinished writes are plain objects (removed by [`Store::delete`]) need
    /// nothing here.
    async fn abort(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_hex_and_distinct() {
        let a = new_storage_key();
        assert!(is_storage_key(&a));
        assert_ne!(a, new_storage_key());
        assert!(!is_storage_key("../../etc/passwd"));
        assert!(!is_storage_key(&a.to_uppercase()));
    }
}
