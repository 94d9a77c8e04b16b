//! Password hashing: Argon2id for new hashes; bcrypt hashes imported from a DefDrive-Go
//! database still verify and are flagged for rehashing. Hashing runs on blocking threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but stored in an older scheme (bcrypt): store a new Argon2id hash.
    YesRehash,
}

/// Hashes `password` with Argon2id (PHC string form), off the async threads.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| PasswordError(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Checks `password` against `stored`; with `None` (unknown user) it spends the same time
/// on a dummy hash and answers [`Verified::No`].
pub async fn verify(password: String, stored: Option<String>) -> Verified {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_now(&password, &stored),
        None => {
            let _ = verify_now(&password, dummy_hash());
            Verified::No
        }
    })
    .await
    .unwrap_or(Verified::No)
}

fn verify_now(password: &str, stored: &str) -> Verified {
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verified::YesRehash,
            _ => Verified::No,
        };
    }
    match PasswordHash::new(stored) {
        Ok(parsed)
            if Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok() =>
        {
            Verified::Yes
        }
        _ => Verified::No,
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("defdrive dummy password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert_eq!(
            verify("correct horse".into(), Some(stored.clone())).await,
            Verified::Yes
        );
        assert_eq!(
            verify("wrong horse".into(), Some(stored)).await,
            Verified::No
        );
        assert_eq!(verify("anything".into(), None).await, Verified::No);
    }

    #[tokio::test]
    async fn bcrypt_from_defdrive_go_verifies_and_asks_for_rehash() {
        let stored = bcrypt::hash("s3cret-pass", 4).unwrap();
        assert_eq!(
            verify("s3cret-pass".into(), Some(stored.clone())).await,
            Verified::YesRehash
        );
        assert_eq!(verify("other".into(), Some(stored)).await, Verified::No);
    }
}
