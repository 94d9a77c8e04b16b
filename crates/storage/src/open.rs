//! `STORAGE_URL`: which store holds the bytes (`file://<folder>` or `s3://<bucket>/<prefix>`),
//! and opening it.

use crate::{FolderStore, S3Store};
use defdrive_core::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

/// Where file bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// A folder on the local disk.
    Folder(PathBuf),
    /// An S3 bucket; objects under `prefix` (no leading or trailing `/`; may be empty).
    S3 { bucket: String, prefix: String },
}

impl StorageUrl {
    /// Parses `file://<folder>` or `s3://<bucket>[/<prefix>]`; the error says what is wrong.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!("expected file://<folder>, got {url:?}"));
            }
            return Ok(Self::Folder(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!(
                "expected file://<folder> or s3://<bucket>/<prefix>, got {url:?}"
            ));
        };
        if rest.contains(['?', '#']) {
            return Err(format!(
                "s3:// URLs take no query or fragment (credentials and endpoint come from the \
                 AWS_* variables), got {url:?}"
            ));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_bucket_name(bucket) {
            return Err(format!(
                "bucket name {bucket:?} must be 3-63 lowercase letters, digits, dots or hyphens, \
                 starting and ending with a letter or digit"
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        for segment in prefix.split('/').filter(|_| !prefix.is_empty()) {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(format!(
                    "prefix {prefix:?} must be /-separated names without empty, . or .. parts"
                ));
            }
            if segment.chars().any(char::is_control) {
                return Err(format!("prefix {prefix:?} contains control characters"));
            }
        }
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

fn is_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

/// Opens the store `url` names (an S3 store reads its settings from the `AWS_*` variables).
pub async fn open(url: &StorageUrl) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match url {
        StorageUrl::Folder(path) => Arc::new(FolderStore::open(path).await?),
        StorageUrl::S3 { bucket, prefix } => Arc::new(S3Store::from_env(bucket, prefix)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_urls() {
        assert_eq!(
            StorageUrl::parse("file:///srv/blobs"),
            Ok(StorageUrl::Folder(PathBuf::from("/srv/blobs")))
        );
        assert_eq!(
            StorageUrl::parse("s3://my-bucket"),
            Ok(StorageUrl::S3 {
                bucket: "my-bucket".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            StorageUrl::parse("s3://files.example.com/defdrive/prod/"),
            Ok(StorageUrl::S3 {
                bucket: "files.example.com".into(),
                prefix: "defdrive/prod".into()
            })
        );
    }

    #[test]
    fn bad_urls() {
        for url in [
            "",
            "file://",
            "ftp://x",
            "/srv/blobs",
            "s3://",
            "s3:///prefix",
            "s3://ab",
            "s3://Upper",
            "s3://under_score",
            "s3://-dash",
            "s3://a..b",
            "s3://bucket//double",
            "s3://bucket/a/../b",
            "s3://bucket/./b",
            "s3://bucket/p?region=x",
            "s3://bucket/p\u{1}",
        ] {
            assert!(StorageUrl::parse(url).is_err(), "{url:?}");
        }
    }
}
