//! PHP packages managed by Composer.
//!
//! - `vendor/composer/installed.json` lists what `composer install` put in
//!   `vendor/`: a JSON array (Composer 1) or an object with `packages`,
//!   `dev` and `dev-package-names` (Composer 2). → [`parse_installed_json`]
//! - `composer.lock` lists the resolved `packages` and `packages-dev`.
//!   → [`parse_composer_lock`]
//!
//! Packages are [`Ecosystem::Composer`], named `vendor/package` as Composer
//! writes them. **Versions are kept as written**: Composer records tags
//! verbatim, so a package tagged `v1.0.2` has version `v1.0.2`, and branch
//! installs are `dev-main` / `1.x-dev`. Stripping the `v` is left to the
//! version comparator, which must treat `v1.0.2` and `1.0.2` alike anyway
//! (Packagist advisories use both spellings). Licences are the `license`
//! array (or string) as written, usually SPDX identifiers.
//!
//! `packages-dev` (lock) and `dev-package-names` (installed.json, Composer 2)
//! set [`Package::dev`]. A name@version listed more than once is reported
//! once, `dev` only if every listing is.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::Value as Json;
use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest file accepted.
const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;
/// Most distinct packages one file may yield.
const MAX_PACKAGES: usize = 200_000;
/// Longest name or version accepted.
const MAX_FIELD_LEN: usize = 256;
/// Most licences kept for one package.
const MAX_LICENSES: usize = 32;

/// Whether the Composer analyzer wants this file (path inside the image,
/// without a leading slash): `**/vendor/composer/installed.json` and
/// `**/composer.lock`, except lockfiles inside a `vendor/` directory (those
/// ship with installed packages and describe their authors' development
/// setup).
pub fn wants(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [.., "vendor", "composer", "installed.json"] => true,
        [dirs @ .., "composer.lock"] => !dirs.contains(&"vendor"),
        _ => false,
    }
}

/// Parses any file [`wants`] accepts, choosing the parser from the file
/// name.
///
/// # Errors
///
/// Those of the chosen parser, or a [`ParseError`] for another file name.
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    match path.rsplit('/').next().unwrap_or_default() {
        "installed.json" => parse_installed_json(path, content),
        "composer.lock" => parse_composer_lock(path, content),
        _ => Err(ParseError::new(
            path,
            "not a Composer lockfile or installed.json",
        )),
    }
}

/// One package of a lockfile or installed.json (loosely typed fields, so an
/// odd value skips the package rather than failing the file).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ComposerPackage {
    name: Option<Json>,
    version: Option<Json>,
    license: Option<Json>,
}

/// Composer 2 `installed.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InstalledV2 {
    packages: Vec<ComposerPackage>,
    #[serde(rename = "dev-package-names")]
    dev_package_names: Vec<Json>,
}

/// `composer.lock`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ComposerLock {
    packages: Option<Vec<ComposerPackage>>,
    #[serde(rename = "packages-dev")]
    packages_dev: Option<Vec<ComposerPackage>>,
}

/// Parses `vendor/composer/installed.json`, Composer 1 (a JSON array of
/// packages) or Composer 2 (`{"packages": […], "dev-package-names": […]}`).
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, is not JSON, is neither an
/// array nor an object, or lists too many packages.
pub fn parse_installed_json(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let content = check_input(path, content)?;
    let decode_err = |e: serde_json::Error| ParseError::new(path, format!("invalid JSON: {e}"));
    let (packages, dev_names) = match content.trim_ascii_start().first() {
        Some(b'[') => (
            serde_json::from_slice::<Vec<ComposerPackage>>(content).map_err(decode_err)?,
            HashSet::new(),
        ),
        Some(b'{') => {
            let v2: InstalledV2 = serde_json::from_slice(content).map_err(decode_err)?;
            let dev: HashSet<String> = v2
                .dev_package_names
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect();
            (v2.packages, dev)
        }
        _ => {
            return Err(ParseError::new(
                path,
                "installed.json is neither a JSON array nor an object",
            ));
        }
    };
    let mut out = Collector::new(path);
    for package in &packages {
        let dev = package
            .name
            .as_ref()
            .and_then(Json::as_str)
            .is_some_and(|n| dev_names.contains(n));
        out.add(package, dev)?;
    }
    Ok(out.finish())
}

/// Parses a `composer.lock`: `packages`, and `packages-dev` as dev.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, is not JSON, is not a JSON
/// object (`null` included), or lists too many packages.
pub fn parse_composer_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let content = check_input(path, content)?;
    if !content.trim_ascii_start().starts_with(b"{") {
        return Err(ParseError::new(path, "composer.lock is not a JSON object"));
    }
    let lock: ComposerLock = serde_json::from_slice(content)
        .map_err(|e| ParseError::new(path, format!("invalid composer.lock JSON: {e}")))?;
    let mut out = Collector::new(path);
    for package in lock.packages.iter().flatten() {
        out.add(package, false)?;
    }
    for package in lock.packages_dev.iter().flatten() {
        out.add(package, true)?;
    }
    Ok(out.finish())
}

/// Checks the size and strips a UTF-8 byte-order mark.
fn check_input<'c>(path: &str, content: &'c [u8]) -> Result<&'c [u8], ParseError> {
    if content.len() > MAX_FILE_SIZE {
        return Err(ParseError::new(
            path,
            format!("file larger than {MAX_FILE_SIZE} bytes"),
        ));
    }
    Ok(content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content))
}

/// Packages of one file, merged by name and version.
#[derive(Debug)]
struct Collector<'a> {
    path: &'a str,
    found: BTreeMap<(String, String), (bool, Vec<String>)>,
}

impl<'a> Collector<'a> {
    fn new(path: &'a str) -> Self {
        Self {
            path,
            found: BTreeMap::new(),
        }
    }

    /// Records a package; entries without a usable name and version are
    /// skipped.
    fn add(&mut self, package: &ComposerPackage, dev: bool) -> Result<(), ParseError> {
        fn field(v: Option<&Json>) -> Option<&str> {
            v.and_then(Json::as_str).map(str::trim)
        }
        let (Some(name), Some(version)) = (
            field(package.name.as_ref()),
            field(package.version.as_ref()),
        ) else {
            return Ok(());
        };
        if !is_usable(name) || !is_usable(version) {
            tracing::debug!(
                path = self.path,
                "skipping Composer entry with an unusable name or version"
            );
            return Ok(());
        }
        let count = self.found.len();
        match self.found.entry((name.to_owned(), version.to_owned())) {
            Entry::Occupied(mut e) => e.get_mut().0 &= dev,
            Entry::Vacant(e) => {
                if count >= MAX_PACKAGES {
                    return Err(ParseError::new(
                        self.path,
                        format!("more than {MAX_PACKAGES} packages"),
                    ));
                }
                e.insert((dev, licenses(package.license.as_ref())));
            }
        }
        Ok(())
    }

    /// The packages, sorted by name and version.
    fn finish(self) -> Vec<Package> {
        let path = self.path;
        self.found
            .into_iter()
            .map(|((name, version), (dev, licenses))| {
                let mut p = Package::new(Ecosystem::Composer, name, version, path);
                p.dev = dev;
                p.licenses = licenses;
                p
            })
            .collect()
    }
}

/// Whether a name or version is non-empty, bounded and free of whitespace
/// and control characters.
fn is_usable(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_FIELD_LEN
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Licences from a `license` value: an array of strings or a string.
fn licenses(value: Option<&Json>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim();
        if !s.is_empty()
            && s.len() <= MAX_FIELD_LEN
            && !s.chars().any(char::is_control)
            && out.len() < MAX_LICENSES
            && !out.iter().any(|l| l == s)
        {
            out.push(s.to_owned());
        }
    };
    match value {
        Some(Json::String(s)) => push(s),
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).for_each(push),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_paths() {
        assert!(wants("app/vendor/composer/installed.json"));
        assert!(wants("vendor/composer/installed.json"));
        assert!(wants("composer.lock"));
        assert!(wants("var/www/html/composer.lock"));
        assert!(!wants("composer.json"));
        assert!(!wants("app/composer/installed.json"));
        assert!(!wants("app/vendor/foo/bar/composer.lock"));
        assert!(!wants("path/to/my/composer.lock/file"));
        assert!(!wants("path/to/my/composer.lock.file"));
        assert!(!wants("path.to.my.composer.lock"));
        assert!(!wants(""));
    }

    #[test]
    fn installed_json_v1_and_v2() {
        let v1 = br#"[{"name":"a/b","version":"v1.0.2","license":["MIT"]},{"name":"c/d"}]"#;
        let p = parse_installed_json("vendor/composer/installed.json", v1).expect("ok");
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("a/b", "v1.0.2")
        );
        assert_eq!(p[0].licenses, ["MIT"]);
        assert_eq!(p[0].ecosystem, Ecosystem::Composer);

        let v2 = br#"{"packages":[{"name":"a/b","version":"1.0.0"},{"name":"c/d","version":"dev-main","license":"BSD-3-Clause"}],
                      "dev":true,"dev-package-names":["c/d"]}"#;
        let p = parse_installed_json("vendor/composer/installed.json", v2).expect("ok");
        assert_eq!(
            p.iter()
                .map(|p| (p.name.as_str(), p.dev))
                .collect::<Vec<_>>(),
            [("a/b", false), ("c/d", true)]
        );
        assert_eq!(p[1].licenses, ["BSD-3-Clause"]);
        assert!(parse_installed_json("x", b"null").is_err());
        assert!(parse_installed_json("x", b"{").is_err());
    }

    #[test]
    fn lock_dev_and_duplicates() {
        let lock = br#"{"packages":[{"name":"a/b","version":"1.0.0"},{"name":"a/b","version":"1.0.0"}],
                        "packages-dev":[{"name":"a/b","version":"1.0.0"},{"name":"t/t","version":"2.0.0"}]}"#;
        let p = parse_composer_lock("composer.lock", lock).expect("ok");
        assert_eq!(
            p.iter()
                .map(|p| (p.name.as_str(), p.dev))
                .collect::<Vec<_>>(),
            [("a/b", false), ("t/t", true)]
        );
        assert!(parse_composer_lock("composer.lock", b"null").is_err());
        assert!(
            parse_composer_lock("composer.lock", b"{}")
                .expect("ok")
                .is_empty()
        );
        assert!(
            parse_composer_lock("composer.lock", br#"{"packages":null}"#)
                .expect("ok")
                .is_empty()
        );
    }
}
