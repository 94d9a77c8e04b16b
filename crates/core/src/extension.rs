//! The file-type rule behind `GET /api/files/stats`: which extension a file name has.

/// The label of files that have no extension.
pub const NO_EXTENSION: &str = "no_extension";

/// The extension of `name`: the part after its last `.`, lowercased.
///
/// A name without a dot, whose only dots are leading (a dotfile such as `.bashrc`), or with
/// nothing after the last dot (`file.`) has [`NO_EXTENSION`].
pub fn extension_of(name: &str) -> String {
    let without_leading_dots = name.trim_start_matches('.');
    match without_leading_dots.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() => ext.to_lowercase(),
        _ => NO_EXTENSION.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_table() {
        let table = [
            ("archive.zip", "zip"),
            ("Report.PDF", "pdf"),
            ("backup.tar.gz", "gz"),
            (".bashrc", "no_extension"),
            (".config.json", "json"),
            ("README", "no_extension"),
            ("file.", "no_extension"),
            ("ünïcødé.TXT", "txt"),
            ("..", "no_extension"),
            ("...hidden", "no_extension"),
            ("a..b", "b"),
            ("photo.JPÉG", "jpég"),
        ];
        for (name, want) in table {
            assert_eq!(extension_of(name), want, "extension of {name:?}");
        }
    }
}
