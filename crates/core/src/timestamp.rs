//! Points in time as stored (microseconds since the Unix epoch) and as shown on the wire
//! (RFC 3339 in UTC with six fractional digits, e.g. `2026-12-03T15:31:36.123456Z`).

use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// From microseconds since the Unix epoch (the stored form).
    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the Unix epoch (the stored form).
    pub fn as_micros(self) -> i64 {
        self.0
    }

    /// Seconds since the Unix epoch, rounded down.
    pub fn as_secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    fn from_datetime(dt: OffsetDateTime) -> Self {
        let micros = dt.unix_timestamp_nanos() / 1_000;
        Self(i64::try_from(micros).unwrap_or(i64::MAX))
    }

    fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Parses RFC 3339 with an optional fraction and a required offset.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }

    /// The time `secs` seconds later (saturating).
    pub fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1_000_000)))
    }

    /// The HTTP date form (`Tue, 03 Dec 2026 15:31:36 GMT`), as used by `Last-Modified`.
    pub fn to_http_date(self) -> String {
        let format = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        self.to_datetime()
            .format(&format)
            .unwrap_or_else(|_| String::from("Thu, 01 Jan 1970 00:00:00 GMT"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        match self.to_datetime().format(&format) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_six_fraction_digits_in_utc() {
        let t = Timestamp::parse_rfc3339("2026-12-03T16:31:36.1234567+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-12-03T15:31:36.123456Z");
        assert_eq!(
            Timestamp::from_micros(0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn parse_requires_an_offset() {
        assert!(Timestamp::parse_rfc3339("2026-12-03T15:31:36").is_none());
        assert!(Timestamp::parse_rfc3339("2026-12-03T15:31:36Z").is_some());
        assert!(Timestamp::parse_rfc3339("tomorrow").is_none());
    }

    #[test]
    fn http_date() {
        let t = Timestamp::parse_rfc3339("2026-12-03T15:31:36.5Z").unwrap();
        assert_eq!(t.to_http_date(), "Thu, 03 Dec 2026 15:31:36 GMT");
    }
}
