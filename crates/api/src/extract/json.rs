//! Request bodies as DefDrive clients send them: JSON whatever the `Content-Type` says,
//! object keys matched case-insensitively (an exact-case key wins over another casing),
//! unknown keys ignored, `null` or a missing key meaning the zero value.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::{Map, Value};

/// A JSON body read with the rules above; malformed JSON or a wrong type is 400
/// `Invalid request body`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::invalid_body())?;
        parse(&bytes).map(Body).ok_or_else(ApiError::invalid_body)
    }
}

/// Parses `bytes` into `T` with the tolerant key rules; `None` when it is not acceptable.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let fields = field_names::<T>();
    let mut folded = Map::new();
    let mut exact = Vec::new();
    for (key, value) in input {
        if value.is_null() {
            continue;
        }
        let Some(field) = fields.iter().find(|f| f.eq_ignore_ascii_case(&key)) else {
            continue;
        };
        let is_exact = key == *field;
        if is_exact || !exact.contains(field) {
            folded.insert((*field).to_owned(), value);
        }
        if is_exact {
            exact.push(*field);
        }
    }
    serde_json::from_value(Value::Object(folded)).ok()
}

/// The field names a derived `Deserialize` struct asks for.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserializer that only records the field list of `deserialize_struct`.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Done;

impl std::fmt::Display for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Done {}

impl de::Error for Done {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Done
    }
}

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = Done;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
        Err(Done)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Done> {
        *self.0 = fields;
        Err(Done)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Example {
        name: String,
        #[serde(rename = "oneTimeUse")]
        one_time_use: bool,
        ttl: i64,
    }

    #[test]
    fn keys_match_case_insensitively() {
        let got: Example = parse(br#"{"NAME":"x","OneTimeUse":true,"TTL":3,"other":1}"#).unwrap();
        assert_eq!(
            got,
            Example {
                name: "x".into(),
                one_time_use: true,
                ttl: 3
            }
        );
    }

    #[test]
    fn exact_case_wins_in_either_order() {
        let a: Example = parse(br#"{"name":"exact","Name":"other"}"#).unwrap();
        let b: Example = parse(br#"{"Name":"other","name":"exact"}"#).unwrap();
        assert_eq!(a.name, "exact");
        assert_eq!(b.name, "exact");
    }

    #[test]
    fn null_and_missing_are_zero() {
        let got: Example = parse(br#"{"name":null}"#).unwrap();
        assert_eq!(got, Example::default());
    }

    #[test]
    fn malformed_or_wrong_type_is_refused() {
        assert!(parse::<Example>(b"{not json").is_none());
        assert!(parse::<Example>(br#"{"ttl":"five"}"#).is_none());
        assert!(parse::<Example>(b"[1,2]").is_none());
        assert!(parse::<Example>(b"").is_none());
    }
}
