//! Julia: `Manifest.toml`, the lockfile `Pkg` writes beside a project.
//!
//! Two layouts exist. Format 2.0 (Julia 1.7 and later) has
//! `julia_version`, `manifest_format = "2.0"` and the packages under
//! `[[deps.<Name>]]`; format 1.0 has `[[<Name>]]` at the top level. Each
//! entry is an array, because two packages may share a name (different
//! UUIDs). Every entry with a `uuid` becomes a [`Package`] with the UUID
//! as [`Package::ecosystem_id`]:
//!
//! * a registered package has its `version`;
//! * a standard library (`Dates`, `Printf`…) has none: it ships with Julia,
//!   so its version is the manifest's `julia_version` (as Trivy reports it);
//! * an entry without a version that is a local checkout (`path`) or an
//!   unversioned standard library of a format 1.0 manifest (no
//!   `julia_version`) has no version to match and is left out.
//!
//! Julia also reads `JuliaManifest.toml` and versioned manifests
//! (`Manifest-v1.11.toml`); they are the same format.

use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest manifest accepted.
const MAX_MANIFEST_BYTES: usize = 16 << 20;
/// Most packages accepted from one manifest.
const MAX_PACKAGES: usize = 100_000;

/// Whether the layer engine should hand the file at `path` to [`parse`]:
/// `Manifest.toml`, `JuliaManifest.toml` or `Manifest-v<X.Y>.toml`.
pub fn wants(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "Manifest.toml" | "JuliaManifest.toml")
        || name
            .strip_prefix("Manifest-v")
            .or_else(|| name.strip_prefix("JuliaManifest-v"))
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// Parses the manifest at `path` (recorded in the packages' locations)
/// into [`Ecosystem::Julia`] packages, sorted by name then UUID.
///
/// Invalid TOML, an entry that is not a table of tables, or a file over
/// the size or count caps is a [`ParseError`].
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let text = crate::error::text(path, "Julia manifest", content, MAX_MANIFEST_BYTES)?;
    let doc: toml::Table = toml::from_str(text)
        .map_err(|e| ParseError::new(path, format!("Julia manifest is not valid TOML: {e}")))?;
    let julia_version = doc.get("julia_version").and_then(toml::Value::as_str);
    let v2 = doc.contains_key("manifest_format");
    let deps = if v2 {
        match doc.get("deps") {
            Some(toml::Value::Table(t)) => t,
            None => return Ok(Vec::new()),
            Some(_) => return Err(ParseError::new(path, "`deps` is not a table")),
        }
    } else {
        &doc
    };
    let mut out = Vec::new();
    for (name, entries) in deps {
        let toml::Value::Array(entries) = entries else {
            if v2 {
                return Err(ParseError::new(
                    path,
                    format!("`deps.{name}` is not an array of tables"),
                ));
            }
            // Format 1.0: other top-level keys are not packages.
            continue;
        };
        for entry in entries {
            let entry = entry.as_table().ok_or_else(|| {
                ParseError::new(path, format!("an entry of `{name}` is not a table"))
            })?;
            let Some(uuid) = entry.get("uuid").and_then(toml::Value::as_str) else {
                return Err(ParseError::new(path, format!("`{name}` has no uuid")));
            };
            let version = match entry.get("version").and_then(toml::Value::as_str) {
                Some(v) => v,
                None if entry.contains_key("path") => continue,
                None => match julia_version {
                    Some(v) => v,
                    None => continue,
                },
            };
            if out.len() == MAX_PACKAGES {
                return Err(ParseError::new(
                    path,
                    format!("more than {MAX_PACKAGES} packages"),
                ));
            }
            let mut p = Package::new(Ecosystem::Julia, name.as_str(), version, path);
            p.ecosystem_id = Some(uuid.to_owned());
            out.push(p);
        }
    }
    out.sort_by(|a, b| (&a.name, &a.ecosystem_id).cmp(&(&b.name, &b.ecosystem_id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names() {
        for yes in [
            "Manifest.toml",
            "app/Manifest.toml",
            "JuliaManifest.toml",
            "x/Manifest-v1.11.toml",
        ] {
            assert!(wants(yes), "{yes}");
        }
        for no in [
            "Project.toml",
            "Manifest-v.toml",
            "Manifest-vx.toml",
            "manifest.toml",
        ] {
            assert!(!wants(no), "{no}");
        }
    }

    #[test]
    fn bad_manifests_are_errors() {
        assert!(parse("M", b"[[deps").is_err());
        assert!(parse("M", b"manifest_format = \"2.0\"\ndeps = 3\n").is_err());
        assert!(
            parse(
                "M",
                b"manifest_format = \"2.0\"\n[[deps.A]]\nversion = \"1.0.0\"\n"
            )
            .is_err()
        );
        assert!(parse("M", &[0xff, 0xfe]).is_err());
        assert!(parse("M", b"manifest_format = \"2.0\"\n").is_ok_and(|p| p.is_empty()));
    }
}
