//! Parsers for the tus request headers that carry client data: `Upload-Metadata`
//! (comma-separated `key base64value` pairs) and `Upload-Checksum` (`sha256 <base64>`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The longest `Upload-Metadata` header accepted (it is stored and echoed back).
pub const MAX_METADATA_BYTES: usize = 4096;

/// The checksum algorithms `Upload-Checksum` may name.
pub const CHECKSUM_ALGORITHMS: &str = "sha256";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("Invalid Upload-Metadata")]
    Metadata,
    #[error("Upload-Metadata must carry a filename")]
    NoFilename,
    #[error("Unsupported checksum algorithm (supported: sha256)")]
    UnsupportedAlgorithm,
    #[error("Invalid Upload-Checksum")]
    Checksum,
}

/// The decoded pairs of an `Upload-Metadata` header (a key without a value maps to empty).
pub fn parse_metadata(header: &str) -> Result<Vec<(String, Vec<u8>)>, HeaderError> {
    if header.len() > MAX_METADATA_BYTES {
        return Err(HeaderError::Metadata);
    }
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    for pair in header.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let mut parts = pair.split(' ').filter(|p| !p.is_empty());
        let key = parts.next().ok_or(HeaderError::Metadata)?;
        let value = match parts.next() {
            Some(encoded) => STANDARD
                .decode(encoded)
                .map_err(|_| HeaderError::Metadata)?,
            None => Vec::new(),
        };
        if parts.next().is_some()
            || !key.bytes().all(|b| b.is_ascii_graphic())
            || pairs.iter().any(|(k, _)| k == key)
        {
            return Err(HeaderError::Metadata);
        }
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

/// The file name an `Upload-Metadata` header gives: its `filename` (or, as Uppy also sends,
/// `name`) value, as UTF-8. Not yet sanitised.
pub fn metadata_filename(header: &str) -> Result<String, HeaderError> {
    let pairs = parse_metadata(header)?;
    let value = ["filename", "name"]
        .iter()
        .find_map(|wanted| pairs.iter().find(|(k, _)| k == wanted))
        .map(|(_, v)| v.clone())
        .ok_or(HeaderError::NoFilename)?;
    String::from_utf8(value).map_err(|_| HeaderError::Metadata)
}

/// The SHA-256 digest an `Upload-Checksum` header announces.
pub fn parse_checksum(header: &str) -> Result<[u8; 32], HeaderError> {
    let (algorithm, encoded) = header.trim().split_once(' ').ok_or(HeaderError::Checksum)?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(HeaderError::UnsupportedAlgorithm);
    }
    let digest = STANDARD
        .decode(encoded.trim())
        .map_err(|_| HeaderError::Checksum)?;
    digest.try_into().map_err(|_| HeaderError::Checksum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn metadata_pairs() {
        let header = format!(
            "filename {},is_confidential, filetype {}",
            b64("a b.txt"),
            b64("text/plain")
        );
        let pairs = parse_metadata(&header).unwrap();
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[1], ("is_confidential".to_owned(), Vec::new()));
        assert_eq!(metadata_filename(&header).unwrap(), "a b.txt");
        assert_eq!(
            metadata_filename(&format!("name {}", b64("n.bin"))).unwrap(),
            "n.bin"
        );
        assert_eq!(parse_metadata("").unwrap(), vec![]);
    }

    #[test]
    fn bad_metadata() {
        for header in [
            "filename not*base64",
            "filename YQ== extra",
            "a YQ==,a YQ==",
            &"k".repeat(MAX_METADATA_BYTES + 1),
        ] {
            assert_eq!(
                parse_metadata(header),
                Err(HeaderError::Metadata),
                "{header}"
            );
        }
        assert_eq!(
            metadata_filename("filetype YQ=="),
            Err(HeaderError::NoFilename)
        );
        assert_eq!(
            metadata_filename("filename /w=="),
            Err(HeaderError::Metadata)
        );
    }

    #[test]
    fn checksums() {
        let digest = [7u8; 32];
        let header = format!("sha256 {}", STANDARD.encode(digest));
        assert_eq!(parse_checksum(&header), Ok(digest));
        assert_eq!(
            parse_checksum("md5 AAAA"),
            Err(HeaderError::UnsupportedAlgorithm)
        );
        assert_eq!(parse_checksum("sha256 AAAA"), Err(HeaderError::Checksum));
        assert_eq!(parse_checksum("sha256"), Err(HeaderError::Checksum));
        assert_eq!(parse_checksum("sha256 ***"), Err(HeaderError::Checksum));
    }
}
