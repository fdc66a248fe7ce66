//! Path normalisation for tar entries.

/// Prefix of a whiteout file: `dir/.wh.name` deletes `dir/name` from lower layers.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker: `dir/.wh..wh..opq` hides everything
/// lower layers put in `dir`.
pub const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";

/// Normalise a tar path to a relative path without `.`/empty components and
/// without a trailing slash (`./usr//lib/` → `usr/lib`, `/etc/x` → `etc/x`).
///
/// Returns `None` for paths that escape the root through `..`, contain a NUL
/// byte, or are empty after normalisation (the root itself).
pub fn normalize(raw: &str) -> Option<String> {
    if raw.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                // `a/../b` is fine; `../b` escapes.
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(normalize("./usr//lib/").as_deref(), Some("usr/lib"));
        assert_eq!(
            normalize("/etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(normalize("a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("../etc/passwd"), None);
        assert_eq!(normalize("a/../../etc"), None);
        assert_eq!(normalize("./"), None);
        assert_eq!(normalize("a\0b"), None);
    }
}
