//! Alpine package database (apk).
//!
//! `/lib/apk/db/installed` (also `/usr/lib/apk/db/installed` on newer
//! Alpine, Wolfi and Chainguard) is a text file of records separated by
//! blank lines. Every line is `<letter>:<value>`: `P` name, `V` version,
//! `A` architecture, `L` licence, `o` origin (the aport the package was
//! built from), `m` maintainer, `c` commit, `D` dependencies, … The file
//! list follows the package fields: an `F:` line names a directory and each
//! `R:` line after it a file in that directory (`a:`/`M:` modes and `Z:`
//! checksums in between are ignored).
//!
//! The origin becomes the source package, with the binary's version (apk
//! builds every subpackage of an aport at the same version). Licences are
//! kept as written (`GPL-2.0-only`, or legacy strings such as `GPL2`).
//! Installed files are returned as absolute paths (`/bin/busybox`) like the
//! other OS analyzers, although the database stores them relative.

use wharf_types::{Ecosystem, Package, SourcePackage};

use crate::ParseError;

/// Paths of the apk installed database inside an image (no leading slash):
/// the classic location, the `/usr`-merged one and `var/lib/apk`, which
/// osv-scalibr also reads.
pub const PATHS: &[&str] = &[
    "lib/apk/db/installed",
    "usr/lib/apk/db/installed",
    "var/lib/apk/db/installed",
];

/// Most packages accepted from one database.
const MAX_PACKAGES: usize = 200_000;
/// Most files recorded for one package.
const MAX_FILES_PER_PACKAGE: usize = 1_000_000;
/// Longest name/version/arch/origin accepted.
const MAX_FIELD: usize = 4096;

/// Parses an apk `installed` database.
///
/// A non-blank line that is not `<letter>:<value>` makes the file invalid.
/// Records without `P` or `V` are skipped.
pub fn parse_installed(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let text = String::from_utf8_lossy(content);
    let mut packages = Vec::new();
    let mut record = Record::default();
    for (number, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            record.finish(path, &mut packages)?;
            continue;
        }
        let bytes = line.as_bytes();
        let (Some(&key), Some(b':')) = (bytes.first(), bytes.get(1).copied()) else {
            return Err(ParseError::new(
                path,
                format!("line {}: expected `<letter>:<value>`", number + 1),
            ));
        };
        if !key.is_ascii_alphanumeric() {
            return Err(ParseError::new(
                path,
                format!("line {}: invalid field letter", number + 1),
            ));
        }
        // The key is ASCII, so byte 2 is a character boundary.
        let value = line.get(2..).unwrap_or_default().trim();
        record.any = true;
        match key {
            b'P' => record.name = Some(value),
            b'V' => record.version = Some(value),
            b'A' => record.arch = Some(value),
            b'L' => record.license = Some(value),
            b'o' => record.origin = Some(value),
            b'F' => record.dir = Some(value.trim_matches('/')),
            b'R' => {
                if record.files.len() >= MAX_FILES_PER_PACKAGE {
                    return Err(ParseError::new(
                        path,
                        format!("more than {MAX_FILES_PER_PACKAGE} files in one package"),
                    ));
                }
                let file = value.trim_start_matches('/');
                if !file.is_empty() {
                    record.files.push(match record.dir {
                        Some(dir) if !dir.is_empty() => format!("/{dir}/{file}"),
                        _ => format!("/{file}"),
                    });
                }
            }
            _ => {}
        }
    }
    record.finish(path, &mut packages)?;
    Ok(packages)
}

#[derive(Default)]
struct Record<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    license: Option<&'a str>,
    origin: Option<&'a str>,
    dir: Option<&'a str>,
    files: Vec<String>,
    any: bool,
}

impl Record<'_> {
    fn finish(&mut self, path: &str, packages: &mut Vec<Package>) -> Result<(), ParseError> {
        let record = std::mem::take(self);
        if !record.any {
            return Ok(());
        }
        let valid = |v: &&str| !v.is_empty() && v.len() <= MAX_FIELD;
        let (Some(name), Some(version)) = (record.name.filter(valid), record.version.filter(valid))
        else {
            tracing::debug!(path, "apk record without P or V skipped");
            return Ok(());
        };
        if packages.len() >= MAX_PACKAGES {
            return Err(ParseError::new(
                path,
                format!("more than {MAX_PACKAGES} packages"),
            ));
        }
        let mut package = Package::new(Ecosystem::Apk, name, version, path);
        package.arch = record.arch.filter(valid).map(str::to_owned);
        package.source = record.origin.filter(valid).map(|origin| SourcePackage {
            name: origin.to_owned(),
            version: Some(version.to_owned()),
        });
        package.licenses = record
            .license
            .filter(|l| !l.is_empty())
            .map(|l| vec![l.to_owned()])
            .unwrap_or_default();
        package.files = record.files;
        packages.push(package);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_files() {
        let db = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\nZ:Q1x=\nR:libc.musl-x86_64.so.1\n\nP:invalidWithoutVersion\n\nP:busybox-binsh\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\no:busybox\nR:rootfile\nF:bin\nR:sh\nF:etc/\nF:etc/securetty.d\nR:x\n\n\n";
        let pkgs = parse_installed("lib/apk/db/installed", db).expect("parse");
        assert_eq!(pkgs.len(), 2);
        let musl = &pkgs[0];
        assert_eq!(musl.ecosystem, Ecosystem::Apk);
        assert_eq!(
            (musl.name.as_str(), musl.version.as_str()),
            ("musl", "1.2.4-r2")
        );
        assert_eq!(musl.arch.as_deref(), Some("x86_64"));
        assert_eq!(musl.licenses, ["MIT"]);
        assert_eq!(
            musl.files,
            ["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"]
        );
        let sh = &pkgs[1];
        assert_eq!(
            sh.source,
            Some(SourcePackage {
                name: "busybox".into(),
                version: Some("1.36.1-r5".into())
            })
        );
        assert_eq!(sh.files, ["/rootfile", "/bin/sh", "/etc/securetty.d/x"]);
        assert_eq!(sh.locations, ["lib/apk/db/installed"]);
    }

    #[test]
    fn no_origin_no_source() {
        let pkgs =
            parse_installed("i", b"P:pkgname\nV:1.2.3\nA:x86_64\nL:GPL-2.0-only\n").expect("parse");
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].source, None);
    }

    #[test]
    fn invalid_lines() {
        let err = parse_installed("i", b"asdf\n\nyolo").expect_err("invalid");
        assert!(err.message.contains("line 1"), "{err}");
        assert!(parse_installed("i", b"P:x\n:y\n").is_err());
        assert!(parse_installed("i", b"P\n").is_err());
        assert_eq!(parse_installed("i", b""), Ok(Vec::new()));
        // A multi-byte first character must not split a code point.
        assert!(parse_installed("i", "é:x\n".as_bytes()).is_err());
    }
}
