//! A `Store` in a local folder, with durable writes.
//!
//! Objects live at `<root>/<first two key chars>/<key>`; unfinished writes at
//! `<root>/.tmp/<key>`. `finish` flushes, `fsync`s the file, renames it into place and
//! `fsync`s the folder, so an acknowledged upload survives a power cut. Keys are checked to
//! be the opaque form the core generates, so nothing is ever written outside `root`.

use async_trait::async_trait;
use bytes::Bytes;
use defdrive_core::store::{
    BlobWriter, ByteStream, Store, StoreError, StoredObject, is_storage_key,
};
use defdrive_core::timestamp::Timestamp;
use futures_util::StreamExt;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

const TMP_DIR: &str = ".tmp";
const WRITE_BUFFER: usize = 1 << 20;
const READ_CHUNK: usize = 1 << 20;

/// File bytes in a folder on the local disk.
#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    /// Uses `root`, creating it (and its folder for unfinished writes) when missing.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        let tmp = root.join(TMP_DIR);
        tokio::fs::create_dir_all(&tmp)
            .await
            .map_err(|e| StoreError::io(format!("creating {}", tmp.display()), e))?;
        Ok(Self { root })
    }

    fn checked(key: &str) -> Result<&str, StoreError> {
        if is_storage_key(key) {
            Ok(key)
        } else {
            Err(StoreError::NotFound(key.to_owned()))
        }
    }

    fn object_path(&self, key: &str) -> PathBuf {
        self.root.join(&key[..2]).join(key)
    }

    fn tmp_path(&self, key: &str) -> PathBuf {
        self.root.join(TMP_DIR).join(key)
    }
}

#[async_trait]
impl Store for FolderStore {
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError> {
        let key = Self::checked(key)?;
        let tmp_path = self.tmp_path(key);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
            .await
            .map_err(|e| StoreError::io(format!("creating {}", tmp_path.display()), e))?;
        Ok(Box::new(FolderWriter {
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            tmp_path,
            final_path: self.object_path(key),
        }))
    }

    async fn read(
        &self,
        key: &str,
        offset: u64,
        len: Option<u64>,
    ) -> Result<ByteStream, StoreError> {
        let key = Self::checked(key)?;
        let path = self.object_path(key);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::NotFound(key.to_owned()));
            }
            Err(e) => return Err(StoreError::io(format!("opening {}", path.display()), e)),
        };
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .await
                .map_err(|e| StoreError::io(format!("seeking in {}", path.display()), e))?;
        }
        let reader = file.take(len.unwrap_or(u64::MAX));
        Ok(ReaderStream::with_capacity(reader, READ_CHUNK).boxed())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = Self::checked(key)?;
        for path in [self.object_path(key), self.tmp_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(format!("removing {}", path.display()), e)),
            }
        }
        Ok(())
    }

    async fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || list_blocking(&root))
            .await
            .map_err(|e| StoreError::io("listing stored objects", std::io::Error::other(e)))?
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        Self::checked(key).ok().map(|key| self.object_path(key))
    }

    async fn check(&self) -> Result<(), StoreError> {
        let tmp = self.root.join(TMP_DIR);
        tokio::fs::metadata(&tmp)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::io(format!("checking {}", tmp.display()), e))
    }
}

fn list_blocking(root: &Path) -> Result<Vec<StoredObject>, StoreError> {
    let read_dir = |dir: &Path| {
        std::fs::read_dir(dir).map_err(|e| StoreError::io(format!("listing {}", dir.display()), e))
    };
    let mut found = Vec::new();
    for shard in read_dir(root)? {
        let shard = shard.map_err(|e| StoreError::io("listing the storage folder", e))?;
        if !shard.path().is_dir() {
            continue;
        }
        for entry in read_dir(&shard.path())? {
            let entry = entry.map_err(|e| StoreError::io("listing a storage shard", e))?;
            let key = entry.file_name().to_string_lossy().into_owned();
            if !is_storage_key(&key) {
                continue;
            }
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .map_err(|e| StoreError::io(format!("reading {}", entry.path().display()), e))?;
            let micros = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            found.push(StoredObject {
                key,
                modified: Timestamp::from_micros(micros),
            });
        }
    }
    Ok(found)
}

struct FolderWriter {
    file: BufWriter<tokio::fs::File>,
    tmp_path: PathBuf,
    final_path: PathBuf,
}

#[async_trait]
impl BlobWriter for FolderWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.file
            .write_all(&chunk)
            .await
            .map_err(|e| StoreError::io(format!("writing {}", self.tmp_path.display()), e))
    }

    async fn finish(mut self: Box<Self>) -> Result<(), StoreError> {
        let tmp = self.tmp_path.display().to_string();
        self.file
            .flush()
            .await
            .map_err(|e| StoreError::io(format!("flushing {tmp}"), e))?;
        self.file
            .get_ref()
            .sync_all()
            .await
            .map_err(|e| StoreError::io(format!("syncing {tmp}"), e))?;
        let dir = self
            .final_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        tokio::fs::rename(&self.tmp_path, &self.final_path)
            .await
            .map_err(|e| StoreError::io(format!("moving {tmp} into place"), e))?;
        let dir_handle = tokio::fs::File::open(&dir)
            .await
            .map_err(|e| StoreError::io(format!("opening {}", dir.display()), e))?;
        dir_handle
            .sync_all()
            .await
            .map_err(|e| StoreError::io(format!("syncing {}", dir.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use defdrive_core::store::new_storage_key;
    use futures_util::TryStreamExt;

    async fn read_all(store: &FolderStore, key: &str, offset: u64, len: Option<u64>) -> Vec<u8> {
        let chunks: Vec<Bytes> = store
            .read(key, offset, len)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn write_read_ranges_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::open(dir.path()).await.unwrap();
        let key = new_storage_key();
        let mut writer = store.create(&key).await.unwrap();
        writer.write(Bytes::from_static(b"hello ")).await.unwrap();
        writer.write(Bytes::from_static(b"world")).await.unwrap();
        assert!(matches!(
            store.read(&key, 0, None).await,
            Err(StoreError::NotFound(_))
        ));
        writer.finish().await.unwrap();
        assert_eq!(read_all(&store, &key, 0, None).await, b"hello world");
        assert_eq!(read_all(&store, &key, 6, Some(3)).await, b"wor");
        assert_eq!(store.list().await.unwrap().len(), 1);
        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn unfinished_writes_are_listed_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::open(dir.path()).await.unwrap();
        let key = new_storage_key();
        let mut writer = store.create(&key).await.unwrap();
        writer.write(Bytes::from_static(b"partial")).await.unwrap();
        drop(writer);
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, key);
        store.delete(&key).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn keys_that_are_not_generated_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::open(dir.path()).await.unwrap();
        assert!(store.create("../escape").await.is_err());
        assert!(store.read("../../etc/passwd", 0, None).await.is_err());
    }
}
