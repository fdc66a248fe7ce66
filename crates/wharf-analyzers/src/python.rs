//! Python packages installed in an image, from their core-metadata files.
//!
//! pip, setuptools and friends record every installed distribution with a
//! metadata file in the RFC 822 "email header" format of the
//! [core metadata specification]:
//!
//! - wheels: `<site-packages>/<name>-<version>.dist-info/METADATA`;
//! - setuptools / `setup.py install`: `<name>-<version>.egg-info/PKG-INFO`,
//!   or a single file `<name>-<version>.egg-info`;
//! - unpacked eggs: `<name>-<version>.egg/EGG-INFO/PKG-INFO`.
//!
//! [`parse_metadata`] reads the header block (everything up to the first
//! blank line) and returns one [`Ecosystem::Pypi`] package. The name is kept
//! as written (`pyOpenSSL`, `backports.ssl_match_hostname`); matching code
//! normalises it (PEP 503) when it needs to.
//!
//! Licences, in order of preference:
//! 1. `License-Expression` (metadata 2.4), an SPDX expression kept whole;
//! 2. `License`, when it is a short single-line name: `UNKNOWN`, an empty
//!    value and a full licence text spread over continuation lines are
//!    ignored (Trivy keeps `UNKNOWN`; it tells the user nothing);
//! 3. the `License :: … :: <name>` trove classifiers, last segment each
//!    (`License :: OSI Approved :: MIT License` → `MIT License`).
//!
//! `License-File` only names a file next to the metadata; reading and
//! classifying that file is not a parser's job, so it is not reported.
//! Zipped `.egg` / `.whl` archives and lockfiles (requirements.txt, poetry,
//! Pipfile.lock, uv…) are not handled by this module.
//!
//! [core metadata specification]: https://packaging.python.org/en/latest/specifications/core-metadata/

use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest metadata file accepted (the description body can be long).
const MAX_FILE_SIZE: usize = 32 * 1024 * 1024;
/// Most header lines examined before the header block is cut short.
const MAX_HEADER_LINES: usize = 100_000;
/// Longest name or version accepted.
const MAX_FIELD_LEN: usize = 512;
/// Longest `License` value taken as a licence name rather than licence text.
const MAX_LICENSE_NAME_LEN: usize = 200;
/// Most licences kept for one package.
const MAX_LICENSES: usize = 64;

/// Whether the Python analyzer wants this file (path inside the image,
/// without a leading slash): `**/*.dist-info/METADATA`,
/// `**/*.egg-info/PKG-INFO`, `**/*.egg-info/METADATA`, `**/EGG-INFO/PKG-INFO`
/// and `**/*.egg-info` files.
pub fn wants(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let dir = parts.next().unwrap_or_default();
    let dir_has_stem = |suffix: &str| dir.len() > suffix.len() && dir.ends_with(suffix);
    match file {
        "METADATA" => dir_has_stem(".dist-info") || dir_has_stem(".egg-info"),
        "PKG-INFO" => dir_has_stem(".egg-info") || dir == "EGG-INFO",
        _ => file.len() > ".egg-info".len() && file.ends_with(".egg-info"),
    }
}

/// Parses any file [`wants`] accepts. Every such file is a core-metadata
/// file, so this is [`parse_metadata`]; it exists so that all language
/// modules route the same way (`wants` + `parse`).
///
/// # Errors
///
/// Those of [`parse_metadata`].
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    parse_metadata(path, content)
}

/// Parses a core-metadata file (`METADATA`, `PKG-INFO` or an `.egg-info`
/// file) into its package.
///
/// Header names are matched case-insensitively; a repeated `Name` or
/// `Version` keeps its first value. Lines that are neither a header nor an
/// indented continuation (seen in hand-edited files) are treated as
/// continuations.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large or has no `Name` or
/// `Version` header (an empty file, JSON, a binary).
pub fn parse_metadata(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if content.len() > MAX_FILE_SIZE {
        return Err(ParseError::new(
            path,
            format!("metadata file larger than {MAX_FILE_SIZE} bytes"),
        ));
    }
    let text = String::from_utf8_lossy(content);
    let headers = parse_headers(&text);

    let name = headers
        .first("name")
        .map(|h| h.value.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ParseError::new(path, "no Name header in the metadata"))?;
    let version = headers
        .first("version")
        .map(|h| h.value.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ParseError::new(path, "no Version header in the metadata"))?;
    check_field(path, "name", name)?;
    check_field(path, "version", version)?;

    let mut package = Package::new(Ecosystem::Pypi, name, version, path);
    package.licenses = licenses(&headers);
    Ok(vec![package])
}

/// Rejects names and versions that cannot be real (control characters,
/// inner whitespace in a version, absurd length).
fn check_field(path: &str, what: &str, value: &str) -> Result<(), ParseError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(ParseError::new(
            path,
            format!("{what} longer than {MAX_FIELD_LEN} bytes"),
        ));
    }
    if value.chars().any(char::is_control) || (what == "version" && value.contains(' ')) {
        return Err(ParseError::new(path, format!("invalid {what} {value:?}")));
    }
    Ok(())
}

/// One header of the block: its name in ASCII lowercase, its value and
/// whether the value went on over continuation lines.
#[derive(Debug)]
struct Header<'a> {
    name: String,
    value: &'a str,
    continued: bool,
}

/// The header block of a metadata file.
#[derive(Debug, Default)]
struct Headers<'a> {
    list: Vec<Header<'a>>,
}

impl<'a> Headers<'a> {
    /// The first header called `name` (lowercase).
    fn first(&self, name: &str) -> Option<&Header<'a>> {
        self.list.iter().find(|h| h.name == name)
    }

    /// The values of every header called `name` (lowercase).
    fn all(&self, name: &'a str) -> impl Iterator<Item = &'a str> + '_ {
        self.list
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| h.value)
    }
}

/// Splits the header block (up to the first blank line) into headers.
fn parse_headers(text: &str) -> Headers<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut headers = Headers::default();
    for (n, raw) in text.split('\n').enumerate() {
        if n >= MAX_HEADER_LINES {
            break;
        }
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            break;
        }
        let is_continuation = line.starts_with([' ', '\t']);
        match line.split_once(':') {
            Some((name, value)) if !is_continuation && !name.trim().is_empty() => {
                headers.list.push(Header {
                    name: name.trim().to_ascii_lowercase(),
                    value: value.trim(),
                    continued: false,
                });
            }
            _ => {
                if let Some(last) = headers.list.last_mut() {
                    last.continued = true;
                }
            }
        }
    }
    headers
}

/// The package's licences (see the module documentation for the order).
fn licenses(headers: &Headers<'_>) -> Vec<String> {
    if let Some(expr) = headers.first("license-expression") {
        let expr = expr.value.trim();
        if !expr.is_empty() && !expr.chars().any(char::is_control) {
            return vec![truncate(expr, MAX_FIELD_LEN)];
        }
    }
    if let Some(license) = headers.first("license") {
        let value = license.value.trim();
        if !license.continued
            && !value.is_empty()
            && !value.eq_ignore_ascii_case("UNKNOWN")
            && value.len() <= MAX_LICENSE_NAME_LEN
            && !value.chars().any(char::is_control)
        {
            return vec![value.to_owned()];
        }
    }
    let mut out: Vec<String> = Vec::new();
    for classifier in headers.all("classifier") {
        if let Some(name) = classifier_license(classifier)
            && !out.iter().any(|l| l == name)
            && out.len() < MAX_LICENSES
        {
            out.push(truncate(name, MAX_LICENSE_NAME_LEN));
        }
    }
    out
}

/// The licence named by a `License :: …` trove classifier, if it names one
/// (`License :: OSI Approved` alone is only a category).
fn classifier_license(classifier: &str) -> Option<&str> {
    let mut segments = classifier.split("::").map(str::trim);
    if segments.next() != Some("License") {
        return None;
    }
    let last = segments.last()?;
    if last.is_empty() || last == "OSI Approved" || last == "DFSG approved" {
        return None;
    }
    Some(last)
}

/// `s` cut to at most `max` bytes on a character boundary.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Package, ParseError> {
        let mut pkgs = parse_metadata("x.dist-info/METADATA", text.as_bytes())?;
        assert_eq!(pkgs.len(), 1);
        Ok(pkgs.remove(0))
    }

    #[test]
    fn basic_headers() {
        let p = parse(
            "Metadata-Version: 2.1\nName: Foo.Bar \nVersion: 1.0\nLicense: MIT\n\nName: body\n",
        )
        .expect("parse");
        assert_eq!(
            (p.ecosystem, p.name.as_str(), p.version.as_str()),
            (Ecosystem::Pypi, "Foo.Bar", "1.0")
        );
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(p.locations, ["x.dist-info/METADATA"]);
    }

    #[test]
    fn crlf_bom_and_case_insensitive_keys() {
        let p = parse("\u{feff}Metadata-Version: 2.1\r\nNAME: a\r\nversion: 2\r\n").expect("parse");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("a", "2"));
    }

    #[test]
    fn license_preference() {
        let text = "Name: a\nVersion: 1\nLicense: Apache 2\nLicense-Expression: MIT OR Apache-2.0\n\
                    Classifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(parse(text).expect("parse").licenses, ["MIT OR Apache-2.0"]);

        let text = "Name: a\nVersion: 1\nLicense: UNKNOWN\n\
                    Classifier: License :: OSI Approved\n\
                    Classifier: License :: OSI Approved :: MIT License\n\
                    Classifier: License :: Public Domain\n\
                    Classifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(
            parse(text).expect("parse").licenses,
            ["MIT License", "Public Domain"]
        );

        // A licence text spread over continuation lines is not a name.
        let text = "Name: a\nVersion: 1\nLicense: Copyright (c) 2020 Someone\n        \
                    Permission is hereby granted\n";
        assert!(parse(text).expect("parse").licenses.is_empty());
    }

    #[test]
    fn missing_fields_are_errors() {
        assert!(parse("").is_err());
        assert!(parse("{}").is_err());
        assert!(parse("Name: a\n").is_err());
        assert!(parse("Version: 1\n").is_err());
        assert!(parse("Name: a\n\nVersion: 1\n").is_err());
        assert!(parse("Name: a\nVersion: 1 2\n").is_err());
    }

    #[test]
    fn first_value_wins_and_garbage_lines_are_continuations() {
        let p = parse("Name: a\nVersion: 1\nVersion: 2\nKeywords: x\ny z\nLicense: BSD\n")
            .expect("parse");
        assert_eq!(
            (p.version.as_str(), p.licenses.as_slice()),
            ("1", &["BSD".to_owned()][..])
        );
    }

    #[test]
    fn wanted_paths() {
        for p in [
            "usr/lib/python3/dist-packages/pip-22.2.2.dist-info/METADATA",
            "pip-22.2.2.dist-info/METADATA",
            "site-packages/wrapt-1.12.1.egg-info/PKG-INFO",
            "Amazon/AWSCLIV2/cryptography-3.3.2-py3.8.egg-info/METADATA",
            "site-packages/pycups-2.0.1.egg-info",
            "python2.7/site-packages/cssutils-1.0-py2.7.egg/EGG-INFO/PKG-INFO",
            "EGG-INFO/PKG-INFO",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in [
            "random/PKG-INFO",
            "pip-22.2.2.dist-info/TEST",
            "pip-22.2.2.dist-info/LICENSE",
            ".dist-info/METADATA",
            "METADATA",
            "site-packages/monotonic-1.6-py3.10.egg",
            "site-packages/x.egg-info/SOURCES.txt",
            ".egg-info",
        ] {
            assert!(!wants(p), "{p}");
        }
    }
}
