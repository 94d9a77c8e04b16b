//! Writing segments: a new object registered as an upload in progress (so the sweep of
//! orphaned bytes leaves it alone while it is written), hashed on the way; and assembling
//! several segments, in order, into one object.

use super::Segment;
use super::service::{ResumableError, hex_digest, segment_key};
use crate::model::UserId;
use crate::repo::Repo;
use crate::store::{BlobWriter, Store};
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

/// A segment being written.
pub(super) struct SegmentWriter<'a> {
    repo: &'a dyn Repo,
    store: &'a dyn Store,
    key: String,
    writer: Box<dyn BlobWriter>,
    hasher: Sha256,
    length: i64,
}

impl<'a> SegmentWriter<'a> {
    pub(super) async fn start(
        repo: &'a dyn Repo,
        store: &'a dyn Store,
        user: UserId,
    ) -> Result<Self, ResumableError> {
        let key = segment_key();
        repo.begin_upload(&key, user).await?;
        let writer = match store.create(&key).await {
            Ok(writer) => writer,
            Err(e) => {
                let _ = repo.end_upload(&key).await;
                return Err(e.into());
            }
        };
        Ok(Self {
            repo,
            store,
            key,
            writer,
            hasher: Sha256::new(),
            length: 0,
        })
    }

    pub(super) fn key(&self) -> &str {
        &self.key
    }

    pub(super) async fn write(&mut self, chunk: Bytes) -> Result<(), ResumableError> {
        self.hasher.update(&chunk);
        self.length = self
            .length
            .saturating_add(i64::try_from(chunk.len()).unwrap_or(i64::MAX));
        if let Err(e) = self.writer.write(chunk).await {
            let (repo, store, key) = (self.repo, self.store, self.key.clone());
            remove(repo, store, &key).await;
            return Err(e.into());
        }
        Ok(())
    }

    /// The SHA-256 of what was written so far.
    pub(super) fn digest(&self) -> [u8; 32] {
        self.hasher.clone().finalize().into()
    }

    /// Makes the bytes durable: the segment of `length` bytes starting at `offset`. Its
    /// in-progress marker stays until the segment is recorded.
    pub(super) async fn finish(self, offset: i64) -> Result<Segment, ResumableError> {
        let Self {
            repo,
            store,
            key,
            writer,
            hasher,
            length,
        } = self;
        if let Err(e) = writer.finish().await {
            let gone = matches!(repo.touch_upload(&key).await, Ok(false));
            let _ = store.delete(&key).await;
            let _ = repo.end_upload(&key).await;
            return Err(if gone {
                ResumableError::Abandoned
            } else {
                e.into()
            });
        }
        Ok(Segment {
            offset,
            length,
            hash: hex_digest(hasher),
            storage_key: key,
        })
    }

    /// Drops the unfinished bytes and the marker.
    pub(super) async fn discard(self) {
        let Self {
            repo,
            store,
            key,
            writer,
            ..
        } = self;
        drop(writer);
        remove(repo, store, &key).await;
    }
}

async fn remove(repo: &dyn Repo, store: &dyn Store, key: &str) {
    if let Err(e) = store.delete(key).await {
        tracing::warn!(key, error = %e, "could not remove unfinished segment bytes; the sweep will");
        return;
    }
    if let Err(e) = repo.end_upload(key).await {
        tracing::warn!(key, error = %e, "could not forget an unfinished segment; the sweep will");
    }
}

/// Streams `segments` (contiguous, from offset 0, `length` bytes in all) into one new
/// object, hashing the whole on the way.
pub(super) async fn assemble(
    repo: &dyn Repo,
    store: &dyn Store,
    user: UserId,
    length: i64,
    segments: &[Segment],
) -> Result<Segment, ResumableError> {
    let mut expected = 0;
    for segment in segments {
        if segment.offset != expected {
            return Err(ResumableError::Store(crate::store::StoreError::io(
                "assembling an upload",
                std::io::Error::other(format!(
                    "segment at {} where {expected} was expected",
                    segment.offset
                )),
            )));
        }
        expected += segment.length;
    }
    if expected != length {
        return Err(ResumableError::Store(crate::store::StoreError::io(
            "assembling an upload",
            std::io::Error::other(format!("segments hold {expected} of {length} bytes")),
        )));
    }
    let mut merged = SegmentWriter::start(repo, store, user).await?;
    for segment in segments {
        let mut bytes = match store.read(&segment.storage_key, 0, None).await {
            Ok(bytes) => bytes,
            Err(e) => {
                merged.discard().await;
                return Err(e.into());
            }
        };
        while let Some(chunk) = bytes.next().await {
            match chunk {
                Ok(chunk) => merged.write(chunk).await?,
                Err(e) => {
                    merged.discard().await;
                    return Err(crate::store::StoreError::io(
                        format!("reading segment {}", segment.storage_key),
                        e,
                    )
                    .into());
                }
            }
        }
        if let Err(e) = repo.touch_upload(merged.key()).await {
            merged.discard().await;
            return Err(e.into());
        }
    }
    if merged.length != length {
        merged.discard().await;
        return Err(ResumableError::Store(crate::store::StoreError::io(
            "assembling an upload",
            std::io::Error::other("stored segments are shorter than recorded"),
        )));
    }
    merged.finish(0).await
}
