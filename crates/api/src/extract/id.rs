//! Path ids: positive decimal integers, else 400 with the resource's message.

use crate::error::ApiError;

/// Parses a path id; `what` names it in the error (`Invalid file ID`).
pub fn parse_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::bad_request(format!("Invalid {what} ID")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_decimal() {
        assert_eq!(parse_id("42", "file").unwrap(), 42);
        for bad in [
            "0",
            "-1",
            "+1",
            "abc",
            "1.5",
            "",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_id(bad, "file").unwrap_err().body["error"],
                "Invalid file ID"
            );
        }
    }
}
