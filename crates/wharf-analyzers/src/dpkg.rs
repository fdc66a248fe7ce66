//! Debian package database (dpkg).
//!
//! `/var/lib/dpkg/status` is a sequence of RFC-822 style paragraphs
//! separated by blank lines, one per package. Each line is `Field: value`;
//! a line starting with a space or tab continues the previous field
//! (`Description`, `Conffiles`). Field names are case-insensitive. The
//! `Status` field is `want flag state` (`install ok installed`); only
//! packages whose *state* is `installed` have their files on disk
//! (`deinstall ok installed` is a package selected for removal but still
//! installed; `config-files`, `half-installed`, `unpacked`, `not-installed`
//! are not).
//!
//! Google's distroless images have no `status` file but one file per
//! package under `/var/lib/dpkg/status.d/`, in the same format and usually
//! without `Status`. The files a package installed are listed one per line
//! in `/var/lib/dpkg/info/<pkg>[:<arch>].list` (absolute paths) and, with
//! their MD5 digests, in `<pkg>.md5sums` (relative paths). Licences come
//! from `/usr/share/doc/<pkg>/copyright`.
//!
//! Versions are kept exactly as written (`1:2.36-9+deb12u4`, epoch inline).
//! `Source: name (version)` gives the source package and its version; a
//! bare `Source: name` means the source has the binary's version, and no
//! `Source` at all means the source package has the binary's name.
//! Installed files are returned as absolute paths (`/usr/bin/tar`).

use std::borrow::Cow;

use wharf_types::{Ecosystem, Package, SourcePackage};

use crate::ParseError;

/// Most packages accepted from one status file.
const MAX_PACKAGES: usize = 200_000;
/// Most paths returned from one `.list` / `.md5sums` file.
const MAX_FILES: usize = 1_000_000;
/// Most licences returned from one copyright file.
const MAX_LICENSES: usize = 64;
/// Longest field value kept (name, version, architecture, source).
const MAX_FIELD: usize = 4096;

/// Parses `/var/lib/dpkg/status`: every installed package.
///
/// A line that is neither `Field: value` nor a continuation makes the whole
/// file invalid. Paragraphs without `Package` or `Version`, or whose
/// `Status` state is not `installed` (or that have no `Status`), are
/// skipped.
pub fn parse_status(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    parse(path, content, StatusRule::Required)
}

/// Parses one file of distroless `/var/lib/dpkg/status.d/`. A missing
/// `Status` field means installed; a present one is honoured as in
/// [`parse_status`]. `*.md5sums` files that sit in the same directory are
/// not package records and yield no packages.
pub fn parse_status_d(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if path.ends_with(".md5sums") {
        return Ok(Vec::new());
    }
    parse(path, content, StatusRule::Optional)
}

/// Parses `/var/lib/dpkg/info/<pkg>.list`: the absolute paths of the files
/// and directories the package installed (the `/.` entry is dropped).
pub fn parse_file_list(content: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(content);
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with('/') && *l != "/.")
        .take(MAX_FILES)
        .map(str::to_owned)
        .collect()
}

/// Parses `/var/lib/dpkg/info/<pkg>.md5sums` (or distroless
/// `status.d/<pkg>.md5sums`): `<md5>  <relative path>` lines, returned as
/// absolute paths.
pub fn parse_md5sums(content: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(content);
    text.lines()
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            let (digest, rest) = line.split_once(' ')?;
            if digest.is_empty() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            // Two spaces (text mode) or " *" (binary mode) separate the digest.
            let path = rest.strip_prefix([' ', '*']).unwrap_or(rest);
            let path = path.trim_start_matches("./").trim_start_matches('/');
            (!path.is_empty()).then(|| format!("/{path}"))
        })
        .take(MAX_FILES)
        .collect()
}

/// Extracts the licences named in `/usr/share/doc/<pkg>/copyright`:
/// `License:` fields (machine-readable DEP-5 format; `A or B, and C` gives
/// `A`, `B`, `C`) and references to `/usr/share/common-licenses/<name>`.
/// Well-known Debian short names are mapped to SPDX identifiers
/// (`GPL-2+` → `GPL-2.0-or-later`, `common-licenses/GPL-2` →
/// `GPL-2.0-only`); others are kept as written. Duplicates are removed,
/// document order is kept.
pub fn parse_copyright(content: &[u8]) -> Vec<String> {
    const COMMON: &str = "/usr/share/common-licenses/";
    let text = String::from_utf8_lossy(content);
    let mut out: Vec<String> = Vec::new();
    fn push(name: &str, out: &mut Vec<String>) {
        let name = name.trim().trim_end_matches([',', '.', ';']).trim();
        if name.is_empty() || name.len() > 128 || out.len() >= MAX_LICENSES {
            return;
        }
        let spdx = to_spdx(name);
        if !out.contains(&spdx) {
            out.push(spdx);
        }
    }
    for line in text.lines() {
        if let Some(value) = strip_field(line, "License") {
            for name in split_license_expression(value) {
                push(name, &mut out);
            }
        }
        let mut rest = line;
        while let Some(pos) = rest.find(COMMON) {
            let after = rest.get(pos + COMMON.len()..).unwrap_or_default();
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '_')))
                .unwrap_or(after.len());
            let name = after.get(..end).unwrap_or_default();
            push(name, &mut out);
            rest = after.get(end..).unwrap_or_default();
        }
    }
    out
}

/// `License: value` at the start of a line (field name case-insensitive).
fn strip_field<'a>(line: &'a str, field: &str) -> Option<&'a str> {
    let (name, value) = line.split_once(':')?;
    name.eq_ignore_ascii_case(field).then_some(value.trim())
}

/// Splits a DEP-5 licence expression (`GPL-1+ or Artistic, and BSD`) into
/// its licence names. `with … exception` stays attached to its licence.
fn split_license_expression(value: &str) -> Vec<&str> {
    let mut parts = vec![value];
    for sep in [",", " or ", " and ", " | ", " & "] {
        parts = parts
            .into_iter()
            .flat_map(|p| p.split(sep))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
    }
    parts
        .into_iter()
        .map(|p| {
            p.strip_prefix("and ")
                .or_else(|| p.strip_prefix("or "))
                .unwrap_or(p)
                .trim()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// Maps a Debian licence short name to its SPDX identifier when the
/// correspondence is unambiguous; anything else is returned unchanged.
fn to_spdx(name: &str) -> String {
    let (base, plus) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, false),
    };
    let normalized: String = base
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    // GNU family: GPL-2, GPLv2, GPL2, GPL-2.0, LGPL-2.1, AGPL-3 …
    for family in ["AGPL", "LGPL", "GFDL", "GPL"] {
        if let Some(rest) = normalized.strip_prefix(family) {
            let version = rest.trim_start_matches(['-', 'V']);
            let version = match (family, version) {
                ("GFDL", "1.1" | "1.2" | "1.3") => version,
                ("GFDL", _) => return name.to_owned(),
                ("GPL", "1" | "1.0") => "1.0",
                ("GPL" | "LGPL", "2" | "2.0") => "2.0",
                ("LGPL", "2.1") => "2.1",
                (_, "3" | "3.0") => "3.0",
                _ => return name.to_owned(),
            };
            let suffix = if plus { "or-later" } else { "only" };
            return format!("{family}-{version}-{suffix}");
        }
    }
    if plus {
        return name.to_owned();
    }
    let spdx = match normalized.as_str() {
        "APACHE-2" | "APACHE-2.0" => "Apache-2.0",
        "MIT" | "EXPAT" => "MIT",
        "ZLIB" => "Zlib",
        "ISC" => "ISC",
        "BSD-2-CLAUSE" => "BSD-2-Clause",
        "BSD-3-CLAUSE" => "BSD-3-Clause",
        "BSD-4-CLAUSE" => "BSD-4-Clause",
        "MPL-1.1" => "MPL-1.1",
        "MPL-2.0" | "MPL-2" => "MPL-2.0",
        "CC0-1.0" | "CC0" => "CC0-1.0",
        "ARTISTIC-2.0" => "Artistic-2.0",
        "PSF-2" => "PSF-2.0",
        _ => return name.to_owned(),
    };
    spdx.to_owned()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StatusRule {
    /// `var/lib/dpkg/status`: no Status, not installed.
    Required,
    /// `status.d/*`: no Status means installed.
    Optional,
}

/// One paragraph's fields of interest.
#[derive(Default)]
struct Paragraph<'a> {
    package: Option<&'a str>,
    version: Option<&'a str>,
    architecture: Option<&'a str>,
    source: Option<&'a str>,
    status: Option<&'a str>,
    /// Whether the paragraph had any field at all.
    any: bool,
}

fn parse(path: &str, content: &[u8], rule: StatusRule) -> Result<Vec<Package>, ParseError> {
    let text: Cow<'_, str> = String::from_utf8_lossy(content);
    let mut packages = Vec::new();
    let mut current = Paragraph::default();
    for (number, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            finish(path, &mut current, rule, &mut packages)?;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if !current.any {
                return Err(ParseError::new(
                    path,
                    format!("line {}: continuation line outside a field", number + 1),
                ));
            }
            continue;
        }
        if line.starts_with('#') {
            // deb822 allows comment lines; dpkg never writes them.
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                path,
                format!("line {}: expected `Field: value`", number + 1),
            ));
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ParseError::new(
                path,
                format!("line {}: invalid field name", number + 1),
            ));
        }
        current.any = true;
        let value = value.trim();
        let slot = match name.to_ascii_lowercase().as_str() {
            "package" => &mut current.package,
            "version" => &mut current.version,
            "architecture" => &mut current.architecture,
            "source" => &mut current.source,
            "status" => &mut current.status,
            _ => continue,
        };
        *slot = Some(value);
    }
    finish(path, &mut current, rule, &mut packages)?;
    Ok(packages)
}

fn finish(
    path: &str,
    paragraph: &mut Paragraph<'_>,
    rule: StatusRule,
    packages: &mut Vec<Package>,
) -> Result<(), ParseError> {
    let p = std::mem::take(paragraph);
    if !p.any {
        return Ok(());
    }
    let installed = match p.status {
        Some(status) => status.split_whitespace().nth(2) == Some("installed"),
        None => rule == StatusRule::Optional,
    };
    if !installed {
        return Ok(());
    }
    let (Some(name), Some(version)) = (
        p.package.filter(|n| valid_value(n)),
        p.version.filter(|v| valid_value(v)),
    ) else {
        tracing::debug!(path, "dpkg paragraph without Package or Version skipped");
        return Ok(());
    };
    if packages.len() >= MAX_PACKAGES {
        return Err(ParseError::new(
            path,
            format!("more than {MAX_PACKAGES} packages"),
        ));
    }
    let mut package = Package::new(Ecosystem::Deb, name, version, path);
    package.arch = p.architecture.filter(|a| valid_value(a)).map(str::to_owned);
    package.source = Some(source_package(p.source, name, version));
    packages.push(package);
    Ok(())
}

fn valid_value(v: &str) -> bool {
    !v.is_empty() && v.len() <= MAX_FIELD && !v.contains(char::is_whitespace)
}

/// `Source: gcc-5 (5.1.1-12ubuntu1)` → (`gcc-5`, `5.1.1-12ubuntu1`);
/// `Source: pam` → (`pam`, binary version); no `Source` → binary name.
fn source_package(source: Option<&str>, name: &str, version: &str) -> SourcePackage {
    let mut source_name = name;
    let mut source_version = version;
    if let Some(source) = source.filter(|s| !s.is_empty() && s.len() <= MAX_FIELD) {
        let mut parts = source.splitn(2, char::is_whitespace);
        if let Some(n) = parts.next().filter(|n| !n.is_empty()) {
            source_name = n;
        }
        if let Some(v) = parts
            .next()
            .map(str::trim)
            .and_then(|rest| rest.strip_prefix('('))
            .and_then(|rest| rest.strip_suffix(')'))
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            source_version = v;
        }
    }
    SourcePackage {
        name: source_name.to_owned(),
        version: Some(source_version.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libgcc1
Status: install ok installed
Architecture: amd64
Source: gcc-5 (5.1.1-12ubuntu1)
Version: 1:5.1.1-12ubuntu1
Description: GCC support library
 Shared version of the support library.
 .
 More text: with a colon.

Package: libpam-runtime
status: install ok installed
architecture: all
source: pam
version: 1.1.8-3.1ubuntu3

Package: removed
Status: deinstall ok config-files
Version: 1.0

Package: held-for-removal
Status: deinstall ok installed
Version: 2.0

Package: half
Status: install reinstreq half-installed
Version: 3.0

Package: unpacked
Status: install ok unpacked
Version: 3.0

Package: nostatus
Version: 1.0

Package: noversion
Status: install ok installed
";

    #[test]
    fn status_file() {
        let pkgs = parse_status("var/lib/dpkg/status", STATUS.as_bytes()).expect("parse");
        let names: Vec<_> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libgcc1", "libpam-runtime", "held-for-removal"]);
        let gcc = &pkgs[0];
        assert_eq!(gcc.ecosystem, Ecosystem::Deb);
        assert_eq!(gcc.version, "1:5.1.1-12ubuntu1");
        assert_eq!(gcc.epoch, None);
        assert_eq!(gcc.arch.as_deref(), Some("amd64"));
        assert_eq!(
            gcc.source,
            Some(SourcePackage {
                name: "gcc-5".into(),
                version: Some("5.1.1-12ubuntu1".into())
            })
        );
        assert_eq!(gcc.locations, ["var/lib/dpkg/status"]);
        let pam = &pkgs[1];
        assert_eq!(
            pam.source,
            Some(SourcePackage {
                name: "pam".into(),
                version: Some("1.1.8-3.1ubuntu3".into())
            })
        );
        let held = &pkgs[2];
        assert_eq!(
            held.source.as_ref().map(|s| s.name.as_str()),
            Some("held-for-removal")
        );
    }

    #[test]
    fn status_d_without_status() {
        let content = b"Package: foo\nVersion: 1.2.3\nArchitecture: amd64\n\nPackage: bar\nStatus: deinstall ok config-files\nVersion: 1.0\n";
        let pkgs = parse_status_d("var/lib/dpkg/status.d/foo", content).expect("parse");
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].name, "foo");
        // The same content as a status file: nothing has a Status.
        assert!(
            parse_status("var/lib/dpkg/status", content)
                .expect("parse")
                .is_empty()
        );
        assert_eq!(
            parse_status_d("var/lib/dpkg/status.d/foo.md5sums", b"abc  usr/bin/x\n"),
            Ok(Vec::new())
        );
    }

    #[test]
    fn malformed_lines_are_errors() {
        let err = parse_status("var/lib/dpkg/status", b"asdf\n\nyolo").expect_err("invalid");
        assert_eq!(err.path, "var/lib/dpkg/status");
        assert!(err.message.contains("line 1"), "{err}");
        assert!(parse_status("s", b" leading continuation\n").is_err());
        assert!(parse_status("s", b"Bad Field: x\n").is_err());
        assert_eq!(parse_status("s", b""), Ok(Vec::new()));
        assert_eq!(parse_status("s", b"\n\n\n"), Ok(Vec::new()));
    }

    #[test]
    fn crlf_and_trailing_blank_lines() {
        let pkgs = parse_status(
            "s",
            b"Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n\r\n\r\n",
        )
        .expect("parse");
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].version, "1");
    }

    #[test]
    fn file_lists() {
        assert_eq!(
            parse_file_list(b"/.\n/usr\n/usr/bin/tar\n\nrelative\n"),
            ["/usr", "/usr/bin/tar"]
        );
        assert_eq!(
            parse_md5sums(
                b"0a540d50c157ed0070459b82c358a05a  usr/share/base-files/dot.bashrc\nd68ce7c7d7d2bb7d48aeb2f137b828e4 *./etc/x\nnot a digest line\n"
            ),
            ["/usr/share/base-files/dot.bashrc", "/etc/x"]
        );
    }

    #[test]
    fn copyright_licenses() {
        let dep5 = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: GPL-2+ or LGPL-2.1, and Expat\n\nFiles: x\nLicense: GPL-2+\n\nLicense: GPL-2+\n This program is free software.\n See /usr/share/common-licenses/GPL-2.\n";
        assert_eq!(
            parse_copyright(dep5),
            ["GPL-2.0-or-later", "LGPL-2.1-only", "MIT", "GPL-2.0-only"]
        );
        assert_eq!(
            parse_copyright(b"can be found in `/usr/share/common-licenses/Apache-2.0'.\n"),
            ["Apache-2.0"]
        );
        assert_eq!(parse_copyright(b"public domain\n"), Vec::<String>::new());
        assert_eq!(to_spdx("GPLv3+"), "GPL-3.0-or-later");
        assert_eq!(
            to_spdx("GPL-2+ with OpenSSL exception"),
            "GPL-2+ with OpenSSL exception"
        );
        assert_eq!(to_spdx("LGPL-2+"), "LGPL-2.0-or-later");
        assert_eq!(to_spdx("Artistic"), "Artistic");
        assert_eq!(to_spdx("BSD-3-clause"), "BSD-3-Clause");
        assert_eq!(to_spdx("GPL"), "GPL");
    }

    #[test]
    fn source_variants() {
        assert_eq!(
            source_package(Some("glibc (2.36-9)"), "libc6", "2.36-9+b1"),
            SourcePackage {
                name: "glibc".into(),
                version: Some("2.36-9".into())
            }
        );
        assert_eq!(
            source_package(Some("glibc (broken"), "libc6", "1"),
            SourcePackage {
                name: "glibc".into(),
                version: Some("1".into())
            }
        );
        assert_eq!(
            source_package(None, "tar", "1.34+dfsg-1"),
            SourcePackage {
                name: "tar".into(),
                version: Some("1.34+dfsg-1".into())
            }
        );
    }
}
