//! Quota arithmetic: what a user may still store, and the refusals when a file does not fit.

use crate::model::User;

/// Why an upload does not fit the owner's quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    #[error("File limit exceeded")]
    FileLimit { current_files: i64, max_files: i64 },
    #[error("Storage limit exceeded")]
    StorageLimit {
        current_storage: i64,
        max_storage: i64,
        file_size: i64,
    },
}

/// A user's limits next to their usage (`GET /api/user/limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_files: i64,
    pub max_storage: i64,
    pub current_files: i64,
    pub current_storage: i64,
}

impl Limits {
    pub fn of(user: &User) -> Self {
        Self {
            max_files: user.max_files,
            max_storage: user.max_storage,
            current_files: user.used_files,
            current_storage: user.used_storage,
        }
    }

    /// The limits a new file must fit: usage plus what resumable uploads in progress have
    /// reserved, so the two ways of uploading together never overshoot.
    pub fn for_new_file(user: &User) -> Self {
        Self {
            max_files: user.max_files,
            max_storage: user.max_storage,
            current_files: user.used_files.saturating_add(user.reserved_files),
            current_storage: user.used_storage.saturating_add(user.reserved_storage),
        }
    }

    /// Negative after an admin lowered a limit below the usage.
    pub fn remaining_files(&self) -> i64 {
        self.max_files - self.current_files
    }

    /// Negative after an admin lowered a limit below the usage.
    pub fn remaining_storage(&self) -> i64 {
        self.max_storage - self.current_storage
    }

    /// Refuses a new file when the user already has `max_files` files.
    pub fn check_file_count(&self) -> Result<(), QuotaError> {
        if self.current_files >= self.max_files {
            return Err(QuotaError::FileLimit {
                current_files: self.current_files,
                max_files: self.max_files,
            });
        }
        Ok(())
    }

    /// Refuses a file of `file_size` bytes when it would take usage past `max_storage`
    /// (reaching it exactly is allowed).
    pub fn check_storage(&self, file_size: i64) -> Result<(), QuotaError> {
        if file_size > self.remaining_storage() {
            return Err(QuotaError::StorageLimit {
                current_storage: self.current_storage,
                max_storage: self.max_storage,
                file_size,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(current_files: i64, current_storage: i64) -> Limits {
        Limits {
            max_files: 5,
            max_storage: 100,
            current_files,
            current_storage,
        }
    }

    #[test]
    fn exactly_at_quota_is_allowed() {
        assert_eq!(limits(0, 40).check_storage(60), Ok(()));
        assert!(matches!(
            limits(0, 40).check_storage(61),
            Err(QuotaError::StorageLimit { file_size: 61, .. })
        ));
    }

    #[test]
    fn file_count() {
        assert_eq!(limits(4, 0).check_file_count(), Ok(()));
        assert!(limits(5, 0).check_file_count().is_err());
        assert_eq!(limits(7, 0).remaining_files(), -2);
    }
}
