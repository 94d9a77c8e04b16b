//! The rules of sending a file: single byte ranges (RFC 9110), conditional requests by ETag,
//! and `Content-Disposition` with an ASCII fallback and a UTF-8 name (RFC 6266 / 5987).

/// What to send for a request on a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// 200 with the whole file.
    Full,
    /// 206 with bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
    /// 304: the client's copy is current.
    NotModified,
}

/// The request headers that shape the answer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Conditions<'a> {
    pub range: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

/// The plan for a file of `size` bytes whose ETag is `etag` (quoted) and whose
/// `Last-Modified` is `last_modified` (HTTP date).
pub fn plan(size: u64, etag: &str, last_modified: &str, conditions: Conditions<'_>) -> Plan {
    if conditions
        .if_none_match
        .is_some_and(|inm| etag_list_matches(inm, etag))
    {
        return Plan::NotModified;
    }
    let Some(range) = conditions.range else {
        return Plan::Full;
    };
    if let Some(if_range) = conditions.if_range {
        let if_range = if_range.trim();
        let current = if if_range.starts_with('"') || if_range.starts_with("W/") {
            if_range == etag
        } else {
            if_range == last_modified
        };
        if !current {
            return Plan::Full;
        }
    }
    match parse_range(range, size) {
        RangeSpec::Ignore => Plan::Full,
        RangeSpec::Unsatisfiable => Plan::Unsatisfiable,
        RangeSpec::Bytes(start, end) => Plan::Partial { start, end },
    }
}

enum RangeSpec {
    /// Not a range we serve (malformed, another unit, or several ranges): send it all.
    Ignore,
    Unsatisfiable,
    Bytes(u64, u64),
}

fn parse_range(header: &str, size: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    match (first.is_empty(), last.is_empty()) {
        // `-N`: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeSpec::Unsatisfiable,
            Some(_) if size == 0 => RangeSpec::Unsatisfiable,
            Some(n) => RangeSpec::Bytes(size.saturating_sub(n), size - 1),
            None => RangeSpec::Ignore,
        },
        // `N-`: from N to the end.
        (false, true) => match number(first) {
            Some(start) if start < size => RangeSpec::Bytes(start, size - 1),
            Some(_) => RangeSpec::Unsatisfiable,
            None => RangeSpec::Ignore,
        },
        // `N-M`.
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= size {
                    RangeSpec::Unsatisfiable
                } else {
                    RangeSpec::Bytes(start, end.min(size - 1))
                }
            }
            _ => RangeSpec::Ignore,
        },
        (true, true) => RangeSpec::Ignore,
    }
}

/// Whether an `If-None-Match` list names `etag` (weak comparison) or is `*`.
fn etag_list_matches(list: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    list.split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded name>`.
///
/// The fallback keeps printable ASCII, escapes `"` and `\`, and turns every other
/// character into `_`; control characters are dropped from both forms.
pub fn content_disposition(name: &str) -> String {
    let mut fallback = String::with_capacity(name.len());
    let mut encoded = String::with_capacity(name.len() * 3);
    for c in name.chars().filter(|c| !c.is_control()) {
        match c {
            '"' | '\\' => {
                fallback.push('\\');
                fallback.push(c);
            }
            ' '..='~' => fallback.push(c),
            _ => fallback.push('_'),
        }
        let mut buf = [0u8; 4];
        for byte in c.encode_utf8(&mut buf).bytes() {
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                encoded.push(byte as char);
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"abc\"";
    const DATE: &str = "Thu, 03 Dec 2026 15:31:36 GMT";

    fn range(header: &str, size: u64) -> Plan {
        plan(
            size,
            ETAG,
            DATE,
            Conditions {
                range: Some(header),
                ..Default::default()
            },
        )
    }

    #[test]
    fn ranges() {
        let n = 100;
        assert_eq!(range("bytes=0-0", n), Plan::Partial { start: 0, end: 0 });
        assert_eq!(range("bytes=-1", n), Plan::Partial { start: 99, end: 99 });
        assert_eq!(range("bytes=99-", n), Plan::Partial { start: 99, end: 99 });
        assert_eq!(range("bytes=0-199", n), Plan::Partial { start: 0, end: 99 });
        assert_eq!(range("bytes=-500", n), Plan::Partial { start: 0, end: 99 });
        assert_eq!(range("bytes=100-", n), Plan::Unsatisfiable);
        assert_eq!(range("bytes=100-200", n), Plan::Unsatisfiable);
        assert_eq!(range("bytes=-0", n), Plan::Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), Plan::Unsatisfiable);
        assert_eq!(range("bytes=-5", 0), Plan::Unsatisfiable);
        for ignored in [
            "bytes=5-2",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=-",
            "0-1",
        ] {
            assert_eq!(range(ignored, n), Plan::Full, "{ignored}");
        }
    }

    #[test]
    fn conditional_requests() {
        let inm = |v| {
            plan(
                10,
                ETAG,
                DATE,
                Conditions {
                    if_none_match: Some(v),
                    ..Default::default()
                },
            )
        };
        assert_eq!(inm("\"abc\""), Plan::NotModified);
        assert_eq!(inm("W/\"abc\", \"x\""), Plan::NotModified);
        assert_eq!(inm("*"), Plan::NotModified);
        assert_eq!(inm("\"other\""), Plan::Full);
        let if_range = |v| {
            plan(
                10,
                ETAG,
                DATE,
                Conditions {
                    range: Some("bytes=0-1"),
                    if_range: Some(v),
                    ..Default::default()
                },
            )
        };
        assert_eq!(if_range("\"abc\""), Plan::Partial { start: 0, end: 1 });
        assert_eq!(if_range("\"stale\""), Plan::Full);
        assert_eq!(if_range(DATE), Plan::Partial { start: 0, end: 1 });
        assert_eq!(if_range("Wed, 02 Dec 2026 00:00:00 GMT"), Plan::Full);
    }

    #[test]
    fn disposition() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("a \"q\"\\;\r\nb.txt"),
            "attachment; filename=\"a \\\"q\\\"\\\\;b.txt\"; filename*=UTF-8''a%20%22q%22%5C%3Bb.txt"
        );
        assert_eq!(
            content_disposition("ünï €.txt"),
            "attachment; filename=\"_n_ _.txt\"; filename*=UTF-8''%C3%BCn%C3%AF%20%E2%82%AC.txt"
        );
    }
}
