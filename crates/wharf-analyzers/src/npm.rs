//! JavaScript packages: installed `node_modules/**/package.json` files and
//! the npm, Yarn and pnpm lockfiles.
//!
//! | file | parser |
//! |---|---|
//! | `node_modules/<name>/package.json`, `node_modules/@scope/<name>/package.json` | [`parse_package_json`] |
//! | `package-lock.json`, `npm-shrinkwrap.json` (lockfile v1, v2, v3) | [`parse_package_lock`] |
//! | `yarn.lock` (Yarn classic v1 and Yarn berry v2+) | [`parse_yarn_lock`] |
//! | `pnpm-lock.yaml` (lockfile v5, v6, v9) | [`parse_pnpm_lock`] |
//!
//! All produce [`Ecosystem::Npm`] packages named as npm names them
//! (`@scope/name`), with the version the lockfile records. npm aliases
//! (`"x": "npm:real@1.2.3"`) are reported under the real package name.
//! A package that appears several times in one file (nested copies, several
//! peer-dependency variants) is reported once; it is `dev` only if every
//! copy is.
//!
//! What is reported: packages from the registry and from remote sources
//! (git, tarball URLs) for which the lockfile records a concrete version.
//! What is skipped, so that the project's own code is not taken for a
//! third-party package:
//! - the root project and workspace members (`workspace:` protocol,
//!   package-lock entries outside `node_modules/`);
//! - links and local sources (`link:`, `portal:`, `file:` directories and
//!   tarballs, package-lock `link: true`);
//! - Yarn `patch:` and `exec:` resolutions (the patched package is listed
//!   under its own `npm:` resolution as well);
//! - entries whose "version" is really a URL or a path (npm v1 git
//!   dependencies) or is missing.
//!
//! Dev flags: package-lock `dev: true`, pnpm v5/v6 `dev: true`, and for pnpm
//! v9 a walk of the dependency graph from the importers' `dependencies` /
//! `optionalDependencies` (production) and `devDependencies`. Yarn lockfiles
//! carry no dev information (that needs the project's package.json), so
//! Yarn packages are never `dev`. Licences come from package.json files and
//! from package-lock v2+ `license` fields.
//!
//! Inputs are capped (file size, number of packages, name and version
//! length) and YAML is parsed with `yaml_serde`, which limits nesting and
//! alias expansion.

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::Value as Json;
use wharf_types::{Ecosystem, Package};
use yaml_serde::Value as Yaml;

use crate::ParseError;

/// Largest package.json accepted (old npm versions embedded the README).
const MAX_PACKAGE_JSON_SIZE: usize = 8 * 1024 * 1024;
/// Largest JSON lockfile or yarn.lock accepted.
const MAX_LOCK_SIZE: usize = 128 * 1024 * 1024;
/// Largest pnpm-lock.yaml accepted (YAML values are held in memory).
const MAX_YAML_SIZE: usize = 64 * 1024 * 1024;
/// Most distinct packages one file may yield.
const MAX_PACKAGES: usize = 500_000;
/// Longest package name accepted (npm's own limit is 214).
const MAX_NAME_LEN: usize = 256;
/// Longest version accepted.
const MAX_VERSION_LEN: usize = 256;
/// Most licences kept for one package, and the longest licence string.
const MAX_LICENSES: usize = 32;
/// Longest licence string kept.
const MAX_LICENSE_LEN: usize = 512;
/// Most YAML documents examined in a pnpm lockfile.
const MAX_YAML_DOCUMENTS: usize = 16;

/// Whether the npm analyzer wants this file (path inside the image, without
/// a leading slash).
///
/// - `package.json` only when it is a package's own manifest directly inside
///   a `node_modules` root: `…/node_modules/<name>/package.json` or
///   `…/node_modules/@scope/<name>/package.json` (this includes the pnpm
///   store `node_modules/.pnpm/<id>/node_modules/<name>/` and Yarn
///   `.yarn/unplugged/<id>/node_modules/<name>/`). Sub-path helpers
///   (`node_modules/rxjs/ajax/package.json`), test fixtures and the project's
///   own package.json are not wanted.
/// - `package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock` and
///   `pnpm-lock.yaml`, except inside `node_modules/` or `.yarn/` (lockfiles
///   shipped inside installed packages describe their authors' development
///   setup, not the image).
pub fn wants(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let Some((&file, dirs)) = parts.split_last() else {
        return false;
    };
    match file {
        "package.json" => {
            let Some(root) = dirs.iter().rposition(|d| *d == "node_modules") else {
                return false;
            };
            match &dirs[root + 1..] {
                [name] => is_package_dir(name) && !name.starts_with('@'),
                [scope, name] => {
                    scope.len() > 1
                        && scope.starts_with('@')
                        && is_package_dir(name)
                        && !name.starts_with('@')
                }
                _ => false,
            }
        }
        "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml" => {
            !dirs.iter().any(|d| *d == "node_modules" || *d == ".yarn")
        }
        _ => false,
    }
}

/// Whether a directory name can be a package directory (`.bin`, `.pnpm`
/// and empty names cannot).
fn is_package_dir(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.')
}

/// Parses any file [`wants`] accepts, choosing the parser from the file
/// name.
///
/// # Errors
///
/// Those of the chosen parser, or a [`ParseError`] for a file name that is
/// not an npm manifest or lockfile.
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    match path.rsplit('/').next().unwrap_or_default() {
        "package.json" => parse_package_json(path, content),
        "package-lock.json" | "npm-shrinkwrap.json" => parse_package_lock(path, content),
        "yarn.lock" => parse_yarn_lock(path, content),
        "pnpm-lock.yaml" => parse_pnpm_lock(path, content),
        _ => Err(ParseError::new(path, "not an npm manifest or lockfile")),
    }
}

// ---------------------------------------------------------------------------
// package.json

/// Parses an installed package's `package.json` into that package.
///
/// Returns no package when `name` or `version` is missing or empty, when the
/// version is not a concrete version, and for manifests that are not npm
/// packages (VS Code extensions: a `contributes` field, or `publisher` with
/// `engines.vscode`; Unity packages: a `unity` field). Licences come from `license` (a string, a
/// `{"type": …}` object or an array of either) or else from the legacy
/// `licenses` array; they are kept as written.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, is not a JSON object, or
/// has a `name` that is not a valid npm package name.
pub fn parse_package_json(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    check_size(path, content, MAX_PACKAGE_JSON_SIZE)?;
    let value: Json = serde_json::from_slice(strip_bom(content))
        .map_err(|e| ParseError::new(path, format!("invalid JSON: {e}")))?;
    let Json::Object(obj) = value else {
        return Err(ParseError::new(path, "package.json is not a JSON object"));
    };
    let name = obj.get("name").and_then(Json::as_str).unwrap_or("").trim();
    let version = obj
        .get("version")
        .and_then(Json::as_str)
        .unwrap_or("")
        .trim();
    if name.is_empty() || version.is_empty() {
        return Ok(Vec::new());
    }
    if !is_valid_package_json_name(name) {
        return Err(ParseError::new(
            path,
            format!("invalid package name {:?}", truncate(name, 100)),
        ));
    }
    let is_vscode_extension = obj.contains_key("contributes")
        || (obj.contains_key("publisher")
            && obj
                .get("engines")
                .and_then(Json::as_object)
                .is_some_and(|e| e.contains_key("vscode")));
    if is_vscode_extension || obj.contains_key("unity") || !is_plain_version(version) {
        return Ok(Vec::new());
    }
    let mut package = Package::new(Ecosystem::Npm, name, version, path);
    package.licenses = json_licenses(obj.get("license"), obj.get("licenses"));
    Ok(vec![package])
}

/// Whether `name` is a valid npm package name as package.json allows it:
/// `[@scope/]name`, each part of `A-Za-z0-9-._~` not starting with `.` or
/// `_`.
fn is_valid_package_json_name(name: &str) -> bool {
    fn part_ok(part: &str) -> bool {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '~' => {}
            _ => return false,
        }
        chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    }
    if name.len() > MAX_NAME_LEN {
        return false;
    }
    match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) => part_ok(scope) && part_ok(rest),
            None => false,
        },
        None => part_ok(name),
    }
}

/// Licences from a package.json / package-lock `license` value, falling
/// back to the legacy `licenses` value.
fn json_licenses(license: Option<&Json>, legacy: Option<&Json>) -> Vec<String> {
    let mut out = Vec::new();
    collect_json_license(license, &mut out);
    if out.is_empty() {
        collect_json_license(legacy, &mut out);
    }
    out
}

/// Adds the licences of one `license` / `licenses` value.
fn collect_json_license(value: Option<&Json>, out: &mut Vec<String>) {
    fn type_of(o: &serde_json::Map<String, Json>) -> Option<&str> {
        o.get("type").and_then(Json::as_str)
    }
    match value {
        Some(Json::String(s)) => push_license(s, out),
        Some(Json::Object(o)) => {
            if let Some(t) = type_of(o) {
                push_license(t, out);
            }
        }
        Some(Json::Array(items)) => {
            for item in items.iter().take(MAX_LICENSES) {
                match item {
                    Json::String(s) => push_license(s, out),
                    Json::Object(o) => {
                        if let Some(t) = type_of(o) {
                            push_license(t, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Adds one licence string (trimmed, non-empty, bounded, not a duplicate).
fn push_license(license: &str, out: &mut Vec<String>) {
    let license = license.trim();
    if license.is_empty()
        || license.len() > MAX_LICENSE_LEN
        || license.chars().any(char::is_control)
        || out.len() >= MAX_LICENSES
        || out.iter().any(|l| l == license)
    {
        return;
    }
    out.push(license.to_owned());
}

// ---------------------------------------------------------------------------
// package-lock.json / npm-shrinkwrap.json

/// The parts of a package-lock.json this parser reads.
#[derive(Debug, Deserialize)]
struct PackageLock {
    /// Lockfile v2/v3: install paths → packages.
    #[serde(default)]
    packages: Option<BTreeMap<String, LockPackage>>,
    /// Lockfile v1 (also kept in v2): name → nested dependency tree.
    #[serde(default)]
    dependencies: Option<BTreeMap<String, LockDependency>>,
}

/// A lockfile v2/v3 `packages` entry. Values are loosely typed so that an
/// unusual field does not reject the whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LockPackage {
    name: Option<Json>,
    version: Option<Json>,
    resolved: Option<Json>,
    link: Option<Json>,
    dev: Option<Json>,
    license: Option<Json>,
    licenses: Option<Json>,
}

/// A lockfile v1 `dependencies` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LockDependency {
    version: Option<Json>,
    dev: Option<Json>,
    dependencies: Option<BTreeMap<String, LockDependency>>,
}

/// Parses a `package-lock.json` or `npm-shrinkwrap.json`, lockfile version
/// 1, 2 or 3.
///
/// v2/v3: every `packages` entry under a `node_modules/` path, named after
/// the last `node_modules/` segment of its key or after its `name` field
/// (aliases); the root entry `""`, workspace directories (keys outside
/// `node_modules/`), `link: true` entries and `file:` tarballs are skipped.
/// v1 (no `packages`): the nested `dependencies` tree, with `npm:` alias
/// versions resolved to the real name. `dev: true` sets [`Package::dev`].
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, is not JSON, is not a
/// lockfile-shaped object (`null`, an array) or lists too many packages.
pub fn parse_package_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    check_size(path, content, MAX_LOCK_SIZE)?;
    let content = strip_bom(content);
    if !content.trim_ascii_start().starts_with(b"{") {
        return Err(ParseError::new(path, "package-lock is not a JSON object"));
    }
    let lock: PackageLock = serde_json::from_slice(content)
        .map_err(|e| ParseError::new(path, format!("invalid package-lock JSON: {e}")))?;
    let mut out = Collector::new(path);
    if let Some(packages) = &lock.packages {
        for (key, entry) in packages {
            let Some((_, key_name)) = key.rsplit_once("node_modules/") else {
                continue; // the root project ("") or a workspace directory
            };
            if json_bool(entry.link.as_ref()) {
                continue;
            }
            if json_str(entry.resolved.as_ref()).is_some_and(|r| r.starts_with("file:")) {
                continue;
            }
            let name = json_str(entry.name.as_ref()).unwrap_or(key_name);
            let Some(version) = json_str(entry.version.as_ref()) else {
                continue;
            };
            let licenses = json_licenses(entry.license.as_ref(), entry.licenses.as_ref());
            out.add(name, version, json_bool(entry.dev.as_ref()), licenses)?;
        }
    } else if let Some(dependencies) = &lock.dependencies {
        let mut stack = vec![dependencies];
        while let Some(level) = stack.pop() {
            for (key, dep) in level {
                if let Some(nested) = &dep.dependencies {
                    stack.push(nested);
                }
                let Some(version) = json_str(dep.version.as_ref()) else {
                    continue;
                };
                let dev = json_bool(dep.dev.as_ref());
                match version.strip_prefix("npm:").map(split_name_at) {
                    Some((real, real_version)) => out.add(real, real_version, dev, Vec::new())?,
                    None => out.add(key, version, dev, Vec::new())?,
                }
            }
        }
    }
    Ok(out.finish())
}

/// The string in an optional JSON value.
fn json_str(value: Option<&Json>) -> Option<&str> {
    value.and_then(Json::as_str)
}

/// Whether an optional JSON value is `true`.
fn json_bool(value: Option<&Json>) -> bool {
    value.and_then(Json::as_bool).unwrap_or(false)
}

// ---------------------------------------------------------------------------
// yarn.lock

/// Parses a `yarn.lock`: Yarn classic (v1, its own indentation format) or
/// Yarn berry (v2+, YAML with a `__metadata` entry).
///
/// v1 entries without a `resolved` field (local directories, `link:`,
/// unknown protocols) or resolved to a `file:` tarball are skipped. Berry
/// entries are named after their `resolution` (which resolves aliases) and
/// skipped for the `workspace:`, `link:`, `portal:`, `file:`, `patch:` and
/// `exec:` protocols. Yarn records no dev flags.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, a berry lockfile is not
/// valid YAML or not a mapping, or there are too many packages.
pub fn parse_yarn_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    check_size(path, content, MAX_LOCK_SIZE)?;
    let text = String::from_utf8_lossy(strip_bom(content));
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        parse_yarn_berry(path, &text)
    } else {
        parse_yarn_classic(path, &text)
    }
}

/// One Yarn classic entry being read.
#[derive(Debug, Default)]
struct YarnEntry {
    descriptors: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
}

/// Parses the Yarn classic format: unindented `descriptor, descriptor:`
/// headers, then two-space-indented `key value` fields.
fn parse_yarn_classic(path: &str, text: &str) -> Result<Vec<Package>, ParseError> {
    let mut out = Collector::new(path);
    let mut entry: Option<YarnEntry> = None;
    for raw in text.lines() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == 0 {
            if let Some(done) = entry.take() {
                add_yarn_classic(&mut out, done)?;
            }
            if let Some(header) = trimmed.strip_suffix(':') {
                entry = Some(YarnEntry {
                    descriptors: split_descriptors(header),
                    ..YarnEntry::default()
                });
            }
        } else if indent == 2
            && let Some(current) = entry.as_mut()
            && let Some((key, value)) = split_yarn_field(trimmed)
        {
            match key.as_str() {
                "version" => current.version = Some(value),
                "resolved" => current.resolved = Some(value),
                _ => {}
            }
        }
    }
    if let Some(done) = entry.take() {
        add_yarn_classic(&mut out, done)?;
    }
    Ok(out.finish())
}

/// Adds a finished Yarn classic entry, unless it is a local or unresolved
/// one.
fn add_yarn_classic(out: &mut Collector<'_>, entry: YarnEntry) -> Result<(), ParseError> {
    let (Some(version), Some(resolved)) = (entry.version, entry.resolved) else {
        return Ok(());
    };
    if resolved.starts_with("file:") {
        return Ok(());
    }
    let Some(first) = entry.descriptors.first() else {
        return Ok(());
    };
    let (name, range) = split_name_at(first);
    if is_local_protocol(protocol_of(range)) {
        return Ok(());
    }
    // `alias@npm:real@range` and `alias@npm:real` name the real package; the
    // registry URL it was resolved from names it too (`npm:^1.0.0` is only
    // a range).
    let name = match range.strip_prefix("npm:") {
        Some(aliased) => {
            registry_tarball_name(&resolved).unwrap_or_else(|| match split_name_at(aliased) {
                (real, r) if !r.is_empty() => real,
                (real, _) if real.starts_with('@') => real,
                _ => name,
            })
        }
        None => name,
    };
    out.add(name, &version, false, Vec::new())
}

/// The package name in a registry tarball URL
/// (`https://registry.yarnpkg.com/@types/uuid/-/uuid-9.0.7.tgz` →
/// `@types/uuid`), or `None` when the URL does not have that shape (or
/// encodes the scope as `@scope%2fname`).
fn registry_tarball_name(url: &str) -> Option<&str> {
    let (before, _) = url.split_once("/-/")?;
    let (rest, last) = before.rsplit_once('/')?;
    if let Some((_, scope)) = rest.rsplit_once('/')
        && scope.starts_with('@')
        && scope.len() > 1
    {
        return before.get(before.len() - scope.len() - 1 - last.len()..);
    }
    let decoded_scope = last.starts_with('@') && (last.contains("%2f") || last.contains("%2F"));
    (!last.is_empty() && !decoded_scope).then_some(last)
}

/// Splits an entry header into its descriptors (comma-separated, each
/// possibly double-quoted).
fn split_descriptors(header: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut current).trim().to_owned());
            }
            _ => current.push(c),
        }
    }
    out.push(current.trim().to_owned());
    out.retain(|d| !d.is_empty());
    out
}

/// Splits a Yarn classic field line (`version "1.2.3"`, `"version" "1.2.3"`,
/// `resolved https://…`) into key and unquoted value. Nested block headers
/// (`dependencies:`) give an empty value.
fn split_yarn_field(line: &str) -> Option<(String, String)> {
    let (key, rest) = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted.find('"')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        match line.find([' ', '\t']) {
            Some(i) => (&line[..i], &line[i..]),
            None => (line, ""),
        }
    };
    let key = key.strip_suffix(':').unwrap_or(key);
    Some((key.to_owned(), unquote(rest.trim()).to_owned()))
}

/// `s` without surrounding double quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parses a Yarn berry lockfile (YAML).
fn parse_yarn_berry(path: &str, text: &str) -> Result<Vec<Package>, ParseError> {
    let doc: Yaml = yaml_serde::from_str(text)
        .map_err(|e| ParseError::new(path, format!("invalid yarn.lock YAML: {e}")))?;
    let Yaml::Mapping(entries) = doc else {
        return Err(ParseError::new(path, "yarn.lock is not a YAML mapping"));
    };
    let mut out = Collector::new(path);
    for (key, value) in &entries {
        let Some(key) = key.as_str() else { continue };
        if key == "__metadata" {
            continue;
        }
        let descriptor = value
            .get("resolution")
            .and_then(Yaml::as_str)
            .map(str::to_owned)
            .or_else(|| split_descriptors(key).into_iter().next());
        let Some(descriptor) = descriptor else {
            continue;
        };
        let (name, reference) = split_name_at(&descriptor);
        let protocol = protocol_of(reference);
        if is_local_protocol(protocol) || matches!(protocol, "patch" | "exec") {
            continue;
        }
        let version = match value.get("version") {
            Some(Yaml::String(v)) => Cow::Borrowed(v.as_str()),
            _ if protocol == "npm" => Cow::Borrowed(reference.trim_start_matches("npm:")),
            _ => continue,
        };
        out.add(name, &version, false, Vec::new())?;
    }
    Ok(out.finish())
}

// ---------------------------------------------------------------------------
// pnpm-lock.yaml

/// Parses a `pnpm-lock.yaml`, lockfile version 5.x, 6.x or 9.x.
///
/// Package keys of every generation are understood: `/name/1.0.0`,
/// `/@scope/name/1.0.0_peer@2`, `registry.example/name/1.0.0` (v5),
/// `/name@1.0.0(peer@2)` (v6), `name@1.0.0(peer@2)` (v9); `name` and
/// `version` fields of an entry (git and tarball packages) take precedence
/// over the key. Peer suffixes are dropped. Local packages (`file:` and
/// `link:` keys or versions, `directory` or `file:` tarball resolutions) are
/// skipped, as are keys without a version. A file with several YAML
/// documents (pnpm's package-manager lock before the project's) is read
/// from its last document.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, is not valid YAML, is not a
/// mapping, or lists too many packages.
pub fn parse_pnpm_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    check_size(path, content, MAX_YAML_SIZE)?;
    let text = String::from_utf8_lossy(strip_bom(content));
    let mut doc = Yaml::Null;
    for (n, document) in yaml_serde::Deserializer::from_str(&text).enumerate() {
        if n >= MAX_YAML_DOCUMENTS {
            return Err(ParseError::new(path, "too many YAML documents"));
        }
        let value = Yaml::deserialize(document)
            .map_err(|e| ParseError::new(path, format!("invalid pnpm-lock YAML: {e}")))?;
        if !value.is_null() {
            doc = value;
        }
    }
    let lock = match doc {
        Yaml::Null => return Ok(Vec::new()),
        Yaml::Mapping(m) => m,
        _ => {
            return Err(ParseError::new(
                path,
                "pnpm-lock.yaml is not a YAML mapping",
            ));
        }
    };
    let major = lock
        .get("lockfileVersion")
        .and_then(|v| match v {
            Yaml::Number(n) => n.as_f64(),
            Yaml::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        })
        .unwrap_or(5.0);
    let Some(Yaml::Mapping(packages)) = lock.get("packages") else {
        return Ok(Vec::new());
    };
    let dev_only = if major >= 7.0 {
        pnpm_dev_only(&lock)
    } else {
        HashSet::new()
    };

    let mut out = Collector::new(path);
    for (key, entry) in packages {
        let Some(key) = key.as_str() else { continue };
        let Some((key_name, key_version)) = parse_pnpm_key(key, major) else {
            continue;
        };
        let field = |name: &str| entry.get(name).and_then(Yaml::as_str);
        if is_pnpm_local(key, key_version, entry) {
            continue;
        }
        let name = field("name").unwrap_or(key_name);
        let Some(version) = field("version").or(key_version) else {
            continue;
        };
        let dev = if major >= 7.0 {
            dev_only.contains(strip_peers(key))
        } else {
            entry.get("dev").and_then(Yaml::as_bool).unwrap_or(false)
        };
        out.add(name, version, dev, Vec::new())?;
    }
    Ok(out.finish())
}

/// Name and version (when the key has one) of a pnpm `packages` key.
fn parse_pnpm_key(key: &str, major: f64) -> Option<(&str, Option<&str>)> {
    let had_slash = key.starts_with('/');
    let key = key.strip_prefix('/').unwrap_or(key);
    if major < 6.0 {
        // `[host]/name/version[_peers]`, `[host]/@scope/name/version[_peers]`.
        let (head, last) = key.rsplit_once('/')?;
        let version = last.split('_').next().unwrap_or(last);
        let (before, name) = head.rsplit_once('/').unwrap_or(("", head));
        let scope = before.rsplit('/').next().unwrap_or("");
        let name = if scope.starts_with('@') {
            // `head` ends with `@scope/name`.
            head.get(head.len() - scope.len() - 1 - name.len()..)?
        } else {
            name
        };
        return Some((name, Some(version)));
    }
    // v6: `[host]/name@version(peers)`; v9: `name@version(peers)`.
    let mut key = strip_peers(key);
    if major < 7.0 && !had_slash && !key.starts_with('@') {
        // A registry host prefix: `registry.npmjs.org/lodash@4.17.10`.
        if let Some((host, rest)) = key.split_once('/')
            && host.contains('.')
        {
            key = rest;
        }
    }
    let (name, version) = split_name_at(key);
    if name.is_empty() {
        return None;
    }
    Some((name, (!version.is_empty()).then_some(version)))
}

/// A pnpm key or version without its peer-dependency suffix `(…)`.
fn strip_peers(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

/// Whether a pnpm package entry is a local package (directory, link or
/// local tarball).
fn is_pnpm_local(key: &str, key_version: Option<&str>, entry: &Yaml) -> bool {
    let key = key.strip_prefix('/').unwrap_or(key);
    let resolution = entry.get("resolution");
    is_local_protocol(protocol_of(key))
        || key_version.is_some_and(|v| is_local_protocol(protocol_of(v)))
        || resolution.and_then(|r| r.get("directory")).is_some()
        || resolution
            .and_then(|r| r.get("tarball"))
            .and_then(Yaml::as_str)
            .is_some_and(|t| t.starts_with("file:"))
}

/// For lockfile v9: the package keys (without peer suffixes) reachable from
/// the importers' `devDependencies` but not from their `dependencies` or
/// `optionalDependencies`.
fn pnpm_dev_only(lock: &yaml_serde::Mapping) -> HashSet<String> {
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    if let Some(Yaml::Mapping(importers)) = lock.get("importers") {
        for importer in importers.values() {
            for (section, is_dev) in [
                ("dependencies", false),
                ("optionalDependencies", false),
                ("devDependencies", true),
            ] {
                let Some(Yaml::Mapping(deps)) = importer.get(section) else {
                    continue;
                };
                for (name, spec) in deps {
                    let version = spec.get("version").and_then(Yaml::as_str).or(spec.as_str());
                    if let (Some(name), Some(version)) = (name.as_str(), version) {
                        let roots = if is_dev {
                            &mut dev_roots
                        } else {
                            &mut prod_roots
                        };
                        roots.push(pnpm_dep_key(name, version));
                    }
                }
            }
        }
    }
    let snapshots = match lock.get("snapshots") {
        Some(Yaml::Mapping(s)) => Some(s),
        _ => None,
    };
    let prod = pnpm_reachable(snapshots, prod_roots);
    pnpm_reachable(snapshots, dev_roots)
        .into_iter()
        .filter(|k| !prod.contains(k))
        .collect()
}

/// The snapshot key a dependency `name: version` refers to: `version` itself
/// when it is an alias target (`real@1.0.0`), else `name@version`.
fn pnpm_dep_key(name: &str, version: &str) -> String {
    let is_alias = {
        let bare = strip_peers(version);
        let body = bare.strip_prefix('@').unwrap_or(bare);
        body.split_once('@')
            .is_some_and(|(before, _)| !before.is_empty() && !before.contains(':'))
    };
    if is_alias {
        version.to_owned()
    } else {
        format!("{name}@{version}")
    }
}

/// Package keys (without peer suffixes) reachable from `roots` through the
/// v9 `snapshots` dependency graph.
fn pnpm_reachable(snapshots: Option<&yaml_serde::Mapping>, roots: Vec<String>) -> HashSet<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut packages: HashSet<String> = HashSet::new();
    let mut queue = roots;
    while let Some(key) = queue.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        packages.insert(strip_peers(&key).to_owned());
        let Some(snapshot) = snapshots.and_then(|s| s.get(key.as_str())) else {
            continue;
        };
        for section in ["dependencies", "optionalDependencies"] {
            if let Some(Yaml::Mapping(deps)) = snapshot.get(section) {
                for (name, version) in deps {
                    if let (Some(name), Some(version)) = (name.as_str(), version.as_str()) {
                        let next = pnpm_dep_key(name, version);
                        if !seen.contains(&next) {
                            queue.push(next);
                        }
                    }
                }
            }
        }
    }
    packages
}

// ---------------------------------------------------------------------------
// shared helpers

/// Packages found in one file, merged by name and version.
#[derive(Debug)]
struct Collector<'a> {
    path: &'a str,
    found: BTreeMap<(String, String), Found>,
}

/// What is known of one name@version.
#[derive(Debug)]
struct Found {
    dev: bool,
    licenses: Vec<String>,
}

impl<'a> Collector<'a> {
    fn new(path: &'a str) -> Self {
        Self {
            path,
            found: BTreeMap::new(),
        }
    }

    /// Records a package; names and versions that cannot be real are
    /// skipped.
    fn add(
        &mut self,
        name: &str,
        version: &str,
        dev: bool,
        licenses: Vec<String>,
    ) -> Result<(), ParseError> {
        let (name, version) = (name.trim(), version.trim());
        if !is_lock_name(name) || !is_plain_version(version) {
            tracing::debug!(
                path = self.path,
                name = truncate(name, 100),
                version = truncate(version, 100),
                "skipping npm entry without a usable name and version"
            );
            return Ok(());
        }
        let count = self.found.len();
        match self.found.entry((name.to_owned(), version.to_owned())) {
            Entry::Occupied(mut e) => {
                let f = e.get_mut();
                f.dev &= dev;
                if f.licenses.is_empty() {
                    f.licenses = licenses;
                }
            }
            Entry::Vacant(e) => {
                if count >= MAX_PACKAGES {
                    return Err(ParseError::new(
                        self.path,
                        format!("more than {MAX_PACKAGES} packages"),
                    ));
                }
                e.insert(Found { dev, licenses });
            }
        }
        Ok(())
    }

    /// The packages, sorted by name and version.
    fn finish(self) -> Vec<Package> {
        let path = self.path;
        self.found
            .into_iter()
            .map(|((name, version), found)| {
                let mut p = Package::new(Ecosystem::Npm, name, version, path);
                p.dev = found.dev;
                p.licenses = found.licenses;
                p
            })
            .collect()
    }
}

/// Whether a name taken from a lockfile can be an npm package name
/// (lenient: legacy names with capitals or odd characters are kept).
fn is_lock_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
        && !name.ends_with('/')
        && match name.strip_prefix('@') {
            Some(scoped) => scoped
                .split_once('/')
                .is_some_and(|(s, n)| !s.is_empty() && !n.is_empty() && !n.contains('/')),
            None => !name.contains('/') && !name.contains('@'),
        }
}

/// Whether `version` is a concrete version (`1.2.3`, `2.0.0-rc.1+build`),
/// not a range, URL, path or tag.
fn is_plain_version(version: &str) -> bool {
    let body = version.strip_prefix('v').unwrap_or(version);
    !body.is_empty()
        && version.len() <= MAX_VERSION_LEN
        && body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_' | '~'))
}

/// Splits `name@rest` (the name may be scoped: `@scope/name@rest`). Without
/// a separating `@`, the whole string is the name.
fn split_name_at(s: &str) -> (&str, &str) {
    let search_from = usize::from(s.starts_with('@'));
    match s.get(search_from..).and_then(|t| t.find('@')) {
        Some(i) => (&s[..search_from + i], &s[search_from + i + 1..]),
        None => (s, ""),
    }
}

/// The protocol of a Yarn/pnpm reference (`npm`, `workspace`, `git+ssh`…),
/// or `""` when it has none (a plain range or version).
fn protocol_of(reference: &str) -> &str {
    match reference.split_once(':') {
        Some((p, _))
            if !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            p
        }
        _ => "",
    }
}

/// Whether a protocol designates the project's own or local code.
fn is_local_protocol(protocol: &str) -> bool {
    matches!(protocol, "workspace" | "link" | "portal" | "file")
}

/// Rejects oversized input.
fn check_size(path: &str, content: &[u8], max: usize) -> Result<(), ParseError> {
    if content.len() > max {
        return Err(ParseError::new(
            path,
            format!("file larger than {max} bytes"),
        ));
    }
    Ok(())
}

/// `content` without a UTF-8 byte-order mark.
fn strip_bom(content: &[u8]) -> &[u8] {
    content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content)
}

/// `s` cut to at most `max` bytes on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pkgs: &[Package]) -> Vec<(String, String, bool)> {
        pkgs.iter()
            .map(|p| (p.name.clone(), p.version.clone(), p.dev))
            .collect()
    }

    fn nv(list: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
        list.iter()
            .map(|(n, v, d)| ((*n).to_owned(), (*v).to_owned(), *d))
            .collect()
    }

    #[test]
    fn wanted_paths() {
        for p in [
            "app/node_modules/ms/package.json",
            "node_modules/@babel/parser/package.json",
            "node_modules/rxjs/node_modules/foo/package.json",
            "node_modules/.pnpm/rxjs@6.6.7/node_modules/rxjs/package.json",
            "node_modules/.pnpm/@angular+core@13.0.0/node_modules/@angular/core/package.json",
            ".yarn/unplugged/zeromq-virtual-abc/node_modules/zeromq/package.json",
            "package-lock.json",
            "srv/app/npm-shrinkwrap.json",
            "srv/app/yarn.lock",
            "srv/app/pnpm-lock.yaml",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in [
            "package.json",
            "packages/foo/package.json",
            "node_modules/rxjs/ajax/package.json",
            "node_modules/@angular/core/testing/package.json",
            "node_modules/foo/a/b/c/package.json",
            "node_modules/foo/test/fixtures/package.json",
            "node_modules/.bin/package.json",
            "node_modules/package.json",
            "node_modules/@scope/package.json",
            "node_modules/rxjs/index.js",
            "node_modules/html2canvas/package-lock.json",
            "somedir/.yarn/unplugged/uri-js/yarn.lock",
            "path/to/my/package-lock.json/file",
            "path/to/my/package-lock.json.file",
            "path.to.my.package.lock.json",
            "",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn package_json_licenses_and_skips() {
        let parse = |s: &str| parse_package_json("node_modules/x/package.json", s.as_bytes());
        let p = parse(r#"{"name":"x","version":"1.0.0","license":{"type":"ISC"}}"#).expect("ok");
        assert_eq!(p[0].licenses, ["ISC"]);
        let p = parse(r#"{"name":"x","version":"1.0.0","licenses":[{"type":"MIT"},"BSD"]}"#)
            .expect("ok");
        assert_eq!(p[0].licenses, ["MIT", "BSD"]);
        let p =
            parse(r#"{"name":"x","version":"1.0.0","license":42,"licenses":"GPL"}"#).expect("ok");
        assert_eq!(p[0].licenses, ["GPL"]);
        assert!(parse(r#"{"name":"x"}"#).expect("ok").is_empty());
        assert!(parse(r#"{"version":"1.0.0"}"#).expect("ok").is_empty());
        assert!(
            parse(r#"{"name":"x","version":"file:../x"}"#)
                .expect("ok")
                .is_empty()
        );
        assert!(
            parse(r#"{"name":"x","version":"1.0.0","unity":"2020.3"}"#)
                .expect("ok")
                .is_empty()
        );
        assert!(parse("null").is_err());
        assert!(parse(r#"{"name":"@a/b/","version":"1.0.0"}"#).is_err());
        assert!(parse("\u{feff}{\"name\":\"x\",\"version\":\"1.0.0\"}").is_ok());
    }

    #[test]
    fn valid_names() {
        for (name, ok) in [
            ("test_package", true),
            ("test.package", true),
            ("test-package", true),
            ("@test/package", true),
            ("JSONStream", true),
            ("test@package", false),
            ("test?package", false),
            ("test/package", false),
            ("package/", false),
            ("_private", false),
            (".hidden", false),
        ] {
            assert_eq!(is_valid_package_json_name(name), ok, "{name}");
        }
    }

    #[test]
    fn package_lock_v1_alias_git_and_nesting() {
        let lock = r#"{"lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","dev":true,"dependencies":{"b":{"version":"2.0.0"}}},
            "b":{"version":"2.0.0","dev":true},
            "c-cjs":{"version":"npm:@s/c@3.0.0"},
            "g":{"version":"git+ssh://git@github.com/x/g.git#abc"},
            "f":{"version":"file:deps/f"}}}"#;
        let pkgs = parse_package_lock("package-lock.json", lock.as_bytes()).expect("ok");
        assert_eq!(
            names(&pkgs),
            nv(&[
                ("@s/c", "3.0.0", false),
                ("a", "1.0.0", true),
                ("b", "2.0.0", false)
            ])
        );
    }

    #[test]
    fn package_lock_v3_skips_and_aliases() {
        let lock = r#"{"lockfileVersion":3,"packages":{
            "":{"name":"root","version":"1.0.0"},
            "packages/ws":{"name":"ws","version":"1.0.0"},
            "node_modules/ws":{"resolved":"packages/ws","link":true},
            "node_modules/x-cjs":{"name":"x","version":"4.2.0","license":"MIT"},
            "node_modules/local":{"version":"0.0.1","resolved":"file:vendor/local.tgz"},
            "packages/ws/node_modules/@s/y":{"version":"1.0.0","dev":true}}}"#;
        let pkgs = parse_package_lock("package-lock.json", lock.as_bytes()).expect("ok");
        assert_eq!(
            names(&pkgs),
            nv(&[("@s/y", "1.0.0", true), ("x", "4.2.0", false)])
        );
        assert_eq!(pkgs[1].licenses, ["MIT"]);
        assert!(parse_package_lock("p", b"null").is_err());
        assert!(parse_package_lock("p", b"[]").is_err());
        assert!(parse_package_lock("p", b"{}").expect("ok").is_empty());
    }

    #[test]
    fn yarn_classic() {
        let lock = "# yarn lockfile v1\n\n\
            \"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://r/x.tgz\"\n  dependencies:\n    x \"^1\"\n\n\
            alias-cjs@npm:string-width@^4:\n  version \"4.2.3\"\n  resolved \"https://r/y.tgz\"\n\n\
            \"local@file:./local\":\n  version \"1.0.0\"\n\n\
            \"linked@link:./l\":\n  version \"1.0.0\"\n  resolved \"x\"\n\n\
            git-dep@github:u/r#main:\n  version \"2.0.0\"\n  resolved \"https://codeload.github.com/u/r/tar.gz/abc\"\n";
        let pkgs = parse_yarn_lock("yarn.lock", lock.as_bytes()).expect("ok");
        assert_eq!(
            names(&pkgs),
            nv(&[
                ("@babel/code-frame", "7.12.13", false),
                ("git-dep", "2.0.0", false),
                ("string-width", "4.2.3", false),
            ])
        );
    }

    #[test]
    fn yarn_berry() {
        let lock = "__metadata:\n  version: 8\n\n\
            \"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n\n\
            \"cjs@npm:ansi-regex@^5\":\n  version: 5.0.1\n  resolution: \"ansi-regex@npm:5.0.1\"\n\n\
            \"resolve@patch:resolve@npm%3A^1#~builtin<compat/resolve>\":\n  version: 1.22.1\n  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1\"\n\n\
            \"g@https://github.com/u/g.git#commit=abc\":\n  version: 0.2.2\n  resolution: \"g@https://github.com/u/g.git#commit=abc\"\n";
        let pkgs = parse_yarn_lock("yarn.lock", lock.as_bytes()).expect("ok");
        assert_eq!(
            names(&pkgs),
            nv(&[("ansi-regex", "5.0.1", false), ("g", "0.2.2", false)])
        );
        assert!(parse_yarn_lock("yarn.lock", b"__metadata: [").is_err());
    }

    #[test]
    fn pnpm_keys() {
        for (key, major, want) in [
            ("/lodash/4.17.10", 5.0, ("lodash", "4.17.10")),
            (
                "registry.npmjs.org/lodash/4.17.10",
                5.0,
                ("lodash", "4.17.10"),
            ),
            (
                "/@babel/generator/7.21.9",
                5.0,
                ("@babel/generator", "7.21.9"),
            ),
            (
                "registry.npmjs.org/@babel/generator/7.21.9",
                5.0,
                ("@babel/generator", "7.21.9"),
            ),
            (
                "/@babel/h/7.21.5_@babel+core@7.21.8",
                5.4,
                ("@babel/h", "7.21.5"),
            ),
            (
                "/lodash._baseclone/4.5.7_@babel+core@7.21.8",
                5.4,
                ("lodash._baseclone", "4.5.7"),
            ),
            (
                "/update-browserslist-db@1.0.11",
                6.0,
                ("update-browserslist-db", "1.0.11"),
            ),
            (
                "registry.npmjs.org/lodash@4.17.10",
                6.0,
                ("lodash", "4.17.10"),
            ),
            (
                "private.npmjs.org/lodash@4.17.10",
                6.0,
                ("lodash", "4.17.10"),
            ),
            (
                "/@babel/h@7.21.5(@babel/core@7.20.7)",
                6.0,
                ("@babel/h", "7.21.5"),
            ),
            (
                "registry.npmjs.org/@babel/h@7.21.5(@babel/core@7.20.7)",
                6.0,
                ("@babel/h", "7.21.5"),
            ),
            (
                "@babel/h@7.21.5(@babel/core@7.20.7)",
                9.0,
                ("@babel/h", "7.21.5"),
            ),
            (
                "lodash@file:foo/bar/lodash.tgz",
                9.0,
                ("lodash", "file:foo/bar/lodash.tgz"),
            ),
        ] {
            let got = parse_pnpm_key(key, major);
            assert_eq!(got, Some((want.0, Some(want.1))), "{key}");
        }
    }

    #[test]
    fn pnpm_v9_dev_walk() {
        let lock = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0(p@1.0.0)\n    devDependencies:\n      d:\n        specifier: ^1\n        version: 1.0.0\n      al:\n        specifier: npm:s@1\n        version: s@1.0.0\n\
            packages:\n  a@1.0.0: {}\n  b@1.0.0: {}\n  d@1.0.0: {}\n  e@1.0.0: {}\n  p@1.0.0: {}\n  s@1.0.0: {}\n  l@file:l: {resolution: {directory: l}}\n\
            snapshots:\n  a@1.0.0(p@1.0.0):\n    dependencies:\n      b: 1.0.0\n  b@1.0.0: {}\n  d@1.0.0:\n    dependencies:\n      b: 1.0.0\n      e: 1.0.0\n  e@1.0.0: {}\n  s@1.0.0: {}\n";
        let pkgs = parse_pnpm_lock("pnpm-lock.yaml", lock.as_bytes()).expect("ok");
        assert_eq!(
            names(&pkgs),
            nv(&[
                ("a", "1.0.0", false),
                ("b", "1.0.0", false),
                ("d", "1.0.0", true),
                ("e", "1.0.0", true),
                ("p", "1.0.0", false),
                ("s", "1.0.0", true),
            ])
        );
    }

    #[test]
    fn pnpm_errors_and_empty() {
        assert!(parse_pnpm_lock("p", b"this is not valid yaml!").is_err());
        assert!(
            parse_pnpm_lock("p", b"# only a comment\n")
                .expect("ok")
                .is_empty()
        );
        assert!(
            parse_pnpm_lock("p", b"lockfileVersion: '6.0'\n")
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(split_name_at("@s/n@^1"), ("@s/n", "^1"));
        assert_eq!(split_name_at("n@npm:x@1"), ("n", "npm:x@1"));
        assert_eq!(split_name_at("n"), ("n", ""));
        assert_eq!(split_name_at("@"), ("@", ""));
        assert_eq!(protocol_of("npm:1.0.0"), "npm");
        assert_eq!(protocol_of("git+ssh://x"), "git+ssh");
        assert_eq!(protocol_of("^1.0.0"), "");
        assert!(is_plain_version("2.1.6+git") && is_plain_version("1.0.0-alpha.37"));
        assert!(!is_plain_version("github:a/b") && !is_plain_version("latest"));
        assert!(!is_plain_version("^1.0.0") && !is_plain_version(""));
        assert!(is_lock_name("@s/n") && !is_lock_name("@s") && !is_lock_name("a/b"));
    }
}
