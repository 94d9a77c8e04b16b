//! Validation of user-chosen names: stored file names, usernames and e-mail addresses.

/// Longest stored file name, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The stored name for a client-supplied file name, or `None` when it is not acceptable.
///
/// Only the last path component is kept (`/` and `\` both separate components), so no path
/// ever comes from a file name. Browsers send `"`, CR and LF in multipart file names as `%22`,
/// `%0D` and `%0A`; those three escapes are decoded first, so `a%22b.txt` from a browser is
/// stored as `a"b.txt` and an encoded line break is refused like a raw one.
/// Empty, `.`, `..`, longer than 255 bytes, or containing control characters: refused.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let decoded = raw
        .replace("%22", "\"")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n");
    let last = decoded.rsplit(['/', '\\']).next().unwrap_or_default();
    let acceptable = !last.is_empty()
        && last != "."
        && last != ".."
        && last.len() <= MAX_FILE_NAME_BYTES
        && !last.trim().is_empty()
        && !last.chars().any(|c| c.is_control() || is_bidi_control(c));
    acceptable.then(|| last.to_owned())
}

/// Bidirectional embedding, override and isolate marks: they make a name display in another
/// order than it is stored (`invoice\u{202E}fdp.exe` shows as `invoiceexe.pdf`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why a username is refused, as the text after `Invalid username: `.
pub fn username_problem(username: &str) -> Option<&'static str> {
    if username.is_empty() {
        return Some("must not be empty");
    }
    if username.chars().count() > 64 {
        return Some("must be at most 64 characters");
    }
    if username == "." || username == ".." {
        return Some("must not be . or ..");
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Some("only letters, digits, '.', '_' and '-' are allowed");
    }
    None
}

/// Whether `email` looks like an address: one `@` with text on both sides, a dot in the
/// domain, and no spaces or control characters.
pub fn email_looks_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let table: [(&str, Option<&str>); 18] = [
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("C:\\Users\\bob\\notes.txt", Some("notes.txt")),
            ("dir/", None),
            ("", None),
            (".", None),
            ("..", None),
            ("a/..", None),
            ("bad\u{0}name", None),
            ("line\nbreak", None),
            ("tab\there", None),
            ("quote%22d.txt", Some("quote\"d.txt")),
            ("cr%0Dlf.txt", None),
            ("ünïcødé €.txt", Some("ünïcødé €.txt")),
            ("   ", None),
            ("dir/ ", None),
            ("invoice\u{202E}fdp.exe", None),
            ("a\u{2067}b.txt", None),
        ];
        for (raw, want) in table {
            assert_eq!(sanitize_file_name(raw).as_deref(), want, "name {raw:?}");
        }
        assert!(sanitize_file_name(&"a".repeat(255)).is_some());
        assert!(sanitize_file_name(&"a".repeat(256)).is_none());
        // 128 two-byte letters are 256 bytes.
        assert!(sanitize_file_name(&"é".repeat(128)).is_none());
    }

    #[test]
    fn usernames() {
        for ok in ["alice", "a", "A.b_c-9", &"x".repeat(64)] {
            assert_eq!(username_problem(ok), None, "{ok}");
        }
        for bad in ["", ".", "..", "with space", "ünï", "a/b", &"x".repeat(65)] {
            assert!(username_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(email_looks_valid("alice@example.com"));
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "a@b",
            "a b@c.d",
            "a@@b.c",
            "a@.b",
        ] {
            assert!(!email_looks_valid(bad), "{bad}");
        }
    }
}
