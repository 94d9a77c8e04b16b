//! Login tokens: JWT signed with HS256 carrying `userID`, `username`, `iat` and `exp`.
//! Only HS256 is accepted, `exp` is required, and the secret is never empty or short.

use crate::model::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// Shortest accepted signing secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The signing secret. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("must be at least {MIN_SECRET_BYTES} bytes long")]
    TooShort,
}

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Result<Self, SecretError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    #[serde(rename = "userID")]
    user_id: UserId,
    username: &'a str,
    iat: i64,
    exp: i64,
}

/// Issues and checks tokens with one secret and lifetime.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// A token that does not authenticate anyone.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid or expired token")]
pub struct InvalidToken;

impl TokenKeys {
    pub fn new(secret: &Secret, lifetime: Duration) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self {
            encoding: EncodingKey::from_secret(&secret.0)?,
            decoding: DecodingKey::from_secret(&secret.0)?,
            lifetime,
        })
    }

    /// A token for `user_id`, valid from `now_secs` for the configured lifetime.
    pub fn issue(
        &self,
        user_id: UserId,
        username: &str,
        now_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            user_id,
            username,
            iat: now_secs,
            exp: now_secs.saturating_add(lifetime),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user id of a valid token: HS256 with our secret, an `exp` in the future and a
    /// numeric `userID`. Whether that user still exists is the caller's check.
    pub fn verify(&self, token: &str) -> Result<UserId, InvalidToken> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding, &validation)
            .map_err(|_| InvalidToken)?;
        user_id_claim(data.claims.get("userID")).ok_or(InvalidToken)
    }
}

/// `userID` as a positive integer; DefDrive-Go wrote it as a JSON number that may be a float.
fn user_id_claim(value: Option<&serde_json::Value>) -> Option<UserId> {
    let number = value?.as_number()?;
    if let Some(id) = number.as_i64() {
        return (id > 0).then_some(id);
    }
    let float = number.as_f64()?;
    (float.fract() == 0.0 && (1.0..9.0e15).contains(&float)).then_some(float as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            &Secret::new(vec![7; 32]).unwrap(),
            Duration::from_secs(3600),
        )
        .unwrap()
    }

    fn now() -> i64 {
        crate::timestamp::Timestamp::now().as_secs()
    }

    #[test]
    fn round_trip() {
        let token = keys().issue(42, "alice", now()).unwrap();
        assert_eq!(keys().verify(&token), Ok(42));
    }

    #[test]
    fn short_secret_refused() {
        assert_eq!(Secret::new(vec![1; 31]).unwrap_err(), SecretError::TooShort);
        assert_eq!(
            format!("{:?}", Secret::new(vec![1; 32]).unwrap()),
            "Secret(<redacted>)"
        );
    }

    #[test]
    fn expired_and_wrong_secret_refused() {
        let expired = keys().issue(42, "alice", now() - 7200).unwrap();
        assert_eq!(keys().verify(&expired), Err(InvalidToken));
        let other =
            TokenKeys::new(&Secret::new(vec![8; 32]).unwrap(), Duration::from_secs(60)).unwrap();
        let token = other.issue(42, "alice", now()).unwrap();
        assert_eq!(keys().verify(&token), Err(InvalidToken));
    }

    #[test]
    fn user_id_forms() {
        use serde_json::json;
        assert_eq!(user_id_claim(Some(&json!(7))), Some(7));
        assert_eq!(user_id_claim(Some(&json!(7.0))), Some(7));
        assert_eq!(user_id_claim(Some(&json!(7.5))), None);
        assert_eq!(user_id_claim(Some(&json!("7"))), None);
        assert_eq!(user_id_claim(Some(&json!(0))), None);
        assert_eq!(user_id_claim(None), None);
    }
}
