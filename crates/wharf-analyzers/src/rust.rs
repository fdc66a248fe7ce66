//! Rust: `Cargo.lock` files and binaries built with
//! [cargo-auditable](https://github.com/rust-secure-code/cargo-auditable).
//!
//! [`parse_cargo_lock`] reads every `[[package]]` (`name`, `version`,
//! `source`) of a lockfile of any format version (v1 with its `[metadata]`
//! checksums, v2 with inline checksums, v3 and v4 with a `version = N` line).
//! All packages are reported, including
//! the workspace members and `path` dependencies, which have no `source`:
//! they are part of what the image ships, and Trivy and osv-scalibr report
//! them too. [`Package`] has no field to mark a package as local (not from a
//! registry), so they are indistinguishable from crates.io crates in the
//! output; matchers may see a local crate that shares a crates.io name.
//!
//! [`parse_auditable`] reads the `.dep-v0` section (ELF, PE; `__DATA,.dep-v0`
//! in Mach-O) that cargo-auditable links into a binary: zlib-compressed JSON
//! `{"packages": [{"name", "version", "source", "kind", "dependencies",
//! "root"}]}`. Every package is reported, the root (the binary's own crate)
//! included. A package with `"kind": "build"` is only used at compile time
//! (build scripts, proc-macros and their dependencies) and is not part of the
//! shipped code, so it is reported with `dev = true`: consumers that drop
//! development-only dependencies drop it too, others still see it.
//! cargo-auditable never records dev-dependencies.

use std::io::Read;

use object::{Object, ObjectSection};
use serde::Deserialize;
use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest `Cargo.lock` accepted.
const MAX_LOCKFILE_BYTES: usize = 32 << 20;
/// Most packages accepted from one lockfile or binary.
const MAX_PACKAGES: usize = 100_000;
/// Largest decompressed cargo-auditable JSON accepted.
const MAX_AUDIT_JSON_BYTES: u64 = 8 << 20;
/// Name of the cargo-auditable section (ELF, PE and the Mach-O section name).
const AUDIT_SECTION: &str = ".dep-v0";

/// Whether the layer engine should hand the file at `path` (no leading
/// slash) to [`parse_cargo_lock`]: any file named `Cargo.lock`. Binaries are
/// routed with [`looks_like_binary`] on their first bytes instead.
pub fn wants(path: &str) -> bool {
    path.rsplit('/').next() == Some("Cargo.lock")
}

/// Whether `first_bytes` look like an executable that may carry
/// cargo-auditable data (ELF, Mach-O or PE); the same check as
/// [`crate::golang::looks_like_binary`].
pub fn looks_like_binary(first_bytes: &[u8]) -> bool {
    crate::golang::looks_like_binary(first_bytes)
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
}

/// Parses the `Cargo.lock` at `path` (recorded in the packages' locations)
/// with content `content` into [`Ecosystem::Cargo`] packages, in file order.
///
/// Invalid TOML, a `[[package]]` without a string `name` and `version`, or a
/// file over the size/count caps is a [`ParseError`].
pub fn parse_cargo_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let text = crate::error::text(path, "Cargo.lock", content, MAX_LOCKFILE_BYTES)?;
    let lock: Lockfile = toml::from_str(text)
        .map_err(|e| ParseError::new(path, format!("invalid Cargo.lock: {e}")))?;
    if lock.package.len() > MAX_PACKAGES {
        return Err(ParseError::new(
            path,
            format!("Cargo.lock lists more than {MAX_PACKAGES} packages"),
        ));
    }
    Ok(lock
        .package
        .into_iter()
        .map(|p| Package::new(Ecosystem::Cargo, p.name, p.version, path))
        .collect())
}

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
}

/// Parses the cargo-auditable data of the executable at `path` (recorded in
/// the packages' locations) with content `content` into
/// [`Ecosystem::Cargo`] packages.
///
/// A file that is not a readable executable, or has no `.dep-v0` section, is
/// `Ok(vec![])`. A section that does not decompress (or decompresses past
/// 8 MiB), or does not hold the expected JSON, is a [`ParseError`].
pub fn parse_auditable(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if !looks_like_binary(content) {
        return Ok(Vec::new());
    }
    let file = match object::File::parse(content) {
        Ok(file) => file,
        Err(e) => {
            tracing::debug!(path, error = %e, "executable headers unreadable");
            return Ok(Vec::new());
        }
    };
    let Some(section) = file.sections().find(|s| {
        s.name() == Ok(AUDIT_SECTION) && matches!(s.segment_name(), Ok(None) | Ok(Some("__DATA")))
    }) else {
        return Ok(Vec::new());
    };
    let compressed = section.data().map_err(|e| {
        ParseError::new(path, format!("cargo-auditable section is unreadable: {e}"))
    })?;
    let json = inflate_capped(compressed).map_err(|m| ParseError::new(path, m))?;
    parse_audit_json(path, &json)
}

/// Decompresses zlib data, refusing output past [`MAX_AUDIT_JSON_BYTES`].
fn inflate_capped(compressed: &[u8]) -> Result<Vec<u8>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo-auditable data does not decompress: {e}"))?;
    if json.len() as u64 > MAX_AUDIT_JSON_BYTES {
        return Err(format!(
            "cargo-auditable data decompresses to more than {MAX_AUDIT_JSON_BYTES} bytes"
        ));
    }
    Ok(json)
}

fn parse_audit_json(path: &str, json: &[u8]) -> Result<Vec<Package>, ParseError> {
    let data: AuditData = serde_json::from_slice(json)
        .map_err(|e| ParseError::new(path, format!("invalid cargo-auditable JSON: {e}")))?;
    if data.packages.len() > MAX_PACKAGES {
        return Err(ParseError::new(
            path,
            format!("cargo-auditable data lists more than {MAX_PACKAGES} packages"),
        ));
    }
    Ok(data
        .packages
        .into_iter()
        .filter(|p| !p.name.is_empty() && !p.version.is_empty())
        .map(|p| {
            let mut package = Package::new(Ecosystem::Cargo, p.name, p.version, path);
            package.dev = p.kind.as_deref() == Some("build");
            package
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("write");
        enc.finish().expect("finish")
    }

    #[test]
    fn wants_cargo_lock_only() {
        assert!(wants("Cargo.lock"));
        assert!(wants("path/to/my/Cargo.lock"));
        for p in [
            "",
            "path/to/my/Cargo.lock/file",
            "path/to/my/Cargo.lock.file",
            "path.to.my.Cargo.lock",
            "cargo.lock",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn lockfile_v1_to_v4() {
        let v1 = "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"libc 0.2.54 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n[[package]]\nname = \"libc\"\nversion = \"0.2.54\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]\n\"checksum libc 0.2.54 (registry+https://github.com/rust-lang/crates.io-index)\" = \"c6\"\n";
        let pkgs = parse_cargo_lock("Cargo.lock", v1.as_bytes()).expect("v1");
        assert_eq!(pkgs.len(), 2);
        assert_eq!(
            (pkgs[0].name.as_str(), pkgs[0].version.as_str()),
            ("app", "0.1.0")
        );
        assert_eq!(pkgs[1].ecosystem, Ecosystem::Cargo);
        assert_eq!(pkgs[1].locations, ["Cargo.lock"]);
        let v4 = "version = 4\n\n[[package]]\nname = \"git-dep\"\nversion = \"1.0.0\"\nsource = \"git+https://github.com/x/y?branch=main#abc\"\n";
        assert_eq!(
            parse_cargo_lock("a/Cargo.lock", v4.as_bytes())
                .expect("v4")
                .len(),
            1
        );
        assert!(
            parse_cargo_lock("x", b"version = 3\n")
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn lockfile_errors() {
        assert!(parse_cargo_lock("x", b"this is not valid toml! (I think)").is_err());
        assert!(parse_cargo_lock("x", b"[[package]]\nname = \"a\"\n").is_err());
        assert!(parse_cargo_lock("x", b"[[package]]\nname = 1\nversion = \"1\"\n").is_err());
        assert!(parse_cargo_lock("x", b"\xff\xfe").is_err());
        let e = parse_cargo_lock("dir/Cargo.lock", b"package = 5").expect_err("type");
        assert_eq!(e.path, "dir/Cargo.lock");
    }

    #[test]
    fn audit_json_kinds_and_validation() {
        let json = br#"{"format":1,"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"libc","version":"0.2.150","source":"crates.io"},
            {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
            {"name":"weird","version":"1.0.0","source":{"Other":"x"},"kind":"runtime"},
            {"name":"","version":"1.0.0","source":"crates.io"}
        ]}"#;
        let pkgs = parse_audit_json("bin/app", json).expect("json");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("app", "0.1.0", false),
                ("libc", "0.2.150", false),
                ("cc", "1.0.83", true),
                ("weird", "1.0.0", false),
            ]
        );
        assert!(parse_audit_json("x", b"{}").is_err());
        assert!(parse_audit_json("x", b"{\"packages\":[{\"name\":\"a\"}]}").is_err());
        assert!(parse_audit_json("x", b"[").is_err());
    }

    #[test]
    fn inflate_is_capped() {
        assert_eq!(inflate_capped(&zlib(b"{}")).expect("small"), b"{}");
        let big = vec![b' '; (MAX_AUDIT_JSON_BYTES + 10) as usize];
        let e = inflate_capped(&zlib(&big)).expect_err("bomb");
        assert!(e.contains("more than"), "{e}");
        assert!(inflate_capped(b"not zlib at all").is_err());
    }

    #[test]
    fn non_binaries_have_no_audit_data() {
        assert_eq!(parse_auditable("x", b"hello"), Ok(vec![]));
        assert_eq!(parse_auditable("x", b"\x7fELF garbage"), Ok(vec![]));
    }
}
