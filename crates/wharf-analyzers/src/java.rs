//! Java archives: `.jar`, `.war`, `.ear`, `.par` and Jenkins plugins
//! (`.hpi`, `.jpi`).
//!
//! [`parse_archive`] opens the zip in memory and identifies Maven artifacts:
//!
//! 1. every `pom.properties` in the archive (normally
//!    `META-INF/maven/<group>/<artifact>/pom.properties`; a shaded or "fat"
//!    jar carries one per bundled artifact) gives `group:artifact` and the
//!    version. Licences come from the `<licenses>` of the embedded
//!    `META-INF/maven/<group>/<artifact>/pom.xml` next to it, when present;
//!    A `pom.properties` identifies the archive itself when its artifact id
//!    and version match the file name, or when it is the only one;
//! 2. when no `pom.properties` identifies the archive itself, the main
//!    section of `META-INF/MANIFEST.MF` (`Implementation-Vendor-Id` /
//!    `Bundle-SymbolicName` / `Implementation-Vendor` / `Specification-Vendor`
//!    for the group, `Implementation-Title` / `Specification-Title` /
//!    `Bundle-Name` for the artifact, `Implementation-Version` /
//!    `Specification-Version` / `Bundle-Version` for the version; all three
//!    are needed, as in Trivy's offline mode);
//!    A manifest that restates one of the `pom.properties` (same group and
//!    version, usually with a human-readable title) adds nothing;
//! 3. failing that, the file name (`name-1.2.3.jar`). Such a package has no
//!    group: its name is the bare artifact id, without `:`, so consumers can
//!    tell a guessed identity from real Maven coordinates.
//!
//! Nested archives (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, ear modules,
//! any entry with one of the archive extensions) are parsed recursively; their
//! packages are located at `outer/path/inner/entry.jar`.
//!
//! Everything is capped by [`ArchiveLimits`]. An archive that would exceed a
//! limit (a zip bomb: declared or actual uncompressed size, compression ratio,
//! entry count, nesting depth, total bytes) fails the whole parse with a
//! [`ParseError`] that names the limit; nothing past a limit is read. A nested
//! archive that is merely corrupt is skipped (logged at debug level) and the
//! rest of the outer archive is still reported; a corrupt top-level archive is
//! an error.

use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read};

use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Extensions (lower case, without the dot) of the archives this module reads.
const ARCHIVE_EXTENSIONS: [&str; 6] = ["jar", "war", "ear", "par", "hpi", "jpi"];

/// Metadata files (`pom.properties`, `MANIFEST.MF`, `pom.xml`) larger than
/// this are not plausible and are ignored (they still count against the
/// bomb limits, which are checked first).
const MAX_METADATA_BYTES: u64 = 4 << 20;

/// The compression-ratio check applies to entries at least this large; tiny
/// highly-compressible files (a manifest of blank lines) are harmless.
const RATIO_MIN_BYTES: u64 = 1 << 20;

/// How deep the embedded `pom.xml` may nest elements before we stop reading it.
const MAX_XML_DEPTH: usize = 64;

/// Licences kept per package.
const MAX_LICENSES: usize = 32;

/// Limits that stop hostile (zip-bomb) archives. Every limit is checked before
/// the bytes it guards are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Deepest nesting followed: the archive itself is depth 0, a jar inside
    /// it depth 1, and so on. A nested archive deeper than this is an error.
    pub max_depth: usize,
    /// Largest uncompressed size of one entry that is read (metadata file or
    /// nested archive), both as declared and as actually decompressed.
    pub max_entry_bytes: u64,
    /// Largest number of bytes decompressed over the whole parse, nested
    /// archives included.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of an entry that is read (checked
    /// for entries of 1 MiB or more).
    pub max_ratio: u64,
    /// Largest number of entries over the archive and all nested archives.
    pub max_entries: usize,
}

impl Default for ArchiveLimits {
    /// Depth 6, 128 MiB per entry, 512 MiB in total, ratio 100, 200 000 entries.
    fn default() -> Self {
        Self {
            max_depth: 6,
            max_entry_bytes: 128 << 20,
            max_total_bytes: 512 << 20,
            max_ratio: 100,
            max_entries: 200_000,
        }
    }
}

/// Whether the layer engine should hand the file at `path` (no leading
/// slash) to [`parse_archive`]: `*.jar`, `*.war`, `*.ear`, `*.par`, `*.hpi`,
/// `*.jpi`, in any letter case.
pub fn wants(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    is_archive_name(name)
}

/// Parses the Java archive at `path` (recorded in the packages' locations)
/// with content `content`, following nested archives within `limits`.
///
/// Returns the Maven packages found (see the module documentation for how they
/// are identified), or a [`ParseError`] when the archive is not a readable zip
/// or any limit is exceeded.
pub fn parse_archive(
    path: &str,
    content: &[u8],
    limits: &ArchiveLimits,
) -> Result<Vec<Package>, ParseError> {
    let mut walker = Walker {
        limits,
        total_bytes: 0,
        total_entries: 0,
    };
    let mut packages = Vec::new();
    walker
        .archive(path, content, 0, &mut packages)
        .map_err(|e| ParseError::new(path, e.message()))?;
    let mut seen = HashSet::new();
    packages.retain(|p| {
        seen.insert((
            p.name.clone(),
            p.version.clone(),
            p.locations.first().cloned().unwrap_or_default(),
        ))
    });
    Ok(packages)
}

/// Why an archive could not be read.
#[derive(Debug)]
enum ArchiveError {
    /// A limit was hit: always fatal for the whole parse.
    Limit(String),
    /// The archive (or one of its entries) is not a readable zip.
    Corrupt(String),
}

impl ArchiveError {
    fn message(self) -> String {
        match self {
            Self::Limit(m) => format!("zip bomb refused: {m}"),
            Self::Corrupt(m) => m,
        }
    }
}

/// Group, artifact and version of one artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Coordinates {
    group: String,
    artifact: String,
    version: String,
}

impl Coordinates {
    fn is_complete(&self) -> bool {
        !self.group.is_empty() && !self.artifact.is_empty() && !self.version.is_empty()
    }

    fn name(&self) -> String {
        format!("{}:{}", self.group, self.artifact)
    }
}

/// What one archive level yields before the packages are assembled.
#[derive(Default)]
struct Level {
    pom_properties: Vec<Coordinates>,
    /// `group:artifact` → licences, from embedded `pom.xml` files.
    pom_licenses: BTreeMap<String, Vec<String>>,
    manifest: Option<Manifest>,
    nested: Vec<usize>,
}

/// State shared by the whole (recursive) parse.
struct Walker<'l> {
    limits: &'l ArchiveLimits,
    total_bytes: u64,
    total_entries: usize,
}

impl Walker<'_> {
    /// Parses one archive (top level or nested) located at `location`.
    fn archive(
        &mut self,
        location: &str,
        content: &[u8],
        depth: usize,
        out: &mut Vec<Package>,
    ) -> Result<(), ArchiveError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(content))
            .map_err(|e| ArchiveError::Corrupt(format!("not a readable zip archive: {e}")))?;
        self.total_entries = self.total_entries.saturating_add(zip.len());
        if self.total_entries > self.limits.max_entries {
            return Err(ArchiveError::Limit(format!(
                "{location}: more than {} zip entries",
                self.limits.max_entries
            )));
        }

        let mut level = Level::default();
        for index in 0..zip.len() {
            let Some(Ok(name)) = zip.name_for_index(index) else {
                continue;
            };
            let name = name.trim_start_matches('/').to_owned();
            if name.is_empty() || name.ends_with('/') {
                continue;
            }
            let base = name.rsplit('/').next().unwrap_or(&name);
            if base == "pom.properties" {
                if let Some(bytes) = self.read_metadata(&mut zip, index, location, &name)? {
                    let props = parse_pom_properties(&bytes);
                    if props.is_complete() {
                        level.pom_properties.push(props);
                    }
                }
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                if let Some(bytes) = self.read_metadata(&mut zip, index, location, &name)? {
                    level.manifest = Some(parse_manifest(&bytes));
                }
            } else if let Some((group, artifact)) = embedded_pom_coordinates(&name) {
                if let Some(bytes) = self.read_metadata(&mut zip, index, location, &name)? {
                    let licenses = pom_licenses(&bytes);
                    if !licenses.is_empty() {
                        level
                            .pom_licenses
                            .insert(format!("{group}:{artifact}"), licenses);
                    }
                }
            } else if is_archive_name(base) {
                level.nested.push(index);
            }
        }

        self.assemble(location, &level, out);

        for index in level.nested {
            let Some(Ok(name)) = zip.name_for_index(index) else {
                continue;
            };
            let inner_location = format!("{location}/{}", name.trim_start_matches('/'));
            if depth + 1 > self.limits.max_depth {
                return Err(ArchiveError::Limit(format!(
                    "{inner_location}: archives nested more than {} deep",
                    self.limits.max_depth
                )));
            }
            let bytes = match self.read_entry(&mut zip, index, &inner_location) {
                Ok(bytes) => bytes,
                Err(ArchiveError::Corrupt(m)) => {
                    tracing::debug!(archive = %inner_location, error = %m, "skipping unreadable nested archive");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut inner = Vec::new();
            match self.archive(&inner_location, &bytes, depth + 1, &mut inner) {
                Ok(()) => out.append(&mut inner),
                Err(ArchiveError::Corrupt(m)) => {
                    tracing::debug!(archive = %inner_location, error = %m, "skipping unreadable nested archive");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Turns what one archive level contained into packages located at
    /// `location`.
    fn assemble(&self, location: &str, level: &Level, out: &mut Vec<Package>) {
        let file_name = location.rsplit('/').next().unwrap_or(location);
        let from_name = coordinates_from_file_name(file_name);
        let manifest_licenses = level
            .manifest
            .as_ref()
            .map(|m| m.licenses.clone())
            .unwrap_or_default();

        let mut own: Option<usize> = None;
        let start = out.len();
        for (i, props) in level.pom_properties.iter().enumerate() {
            let mut package = Package::new(
                Ecosystem::Maven,
                props.name(),
                props.version.clone(),
                location,
            );
            if let Some(licenses) = level.pom_licenses.get(&package.name) {
                package.licenses = licenses.clone();
            }
            out.push(package);
            let matches_file_name = from_name
                .as_ref()
                .is_some_and(|(a, v)| *a == props.artifact && *v == props.version);
            if matches_file_name {
                own = Some(start + i);
            }
        }
        // An archive that holds a single pom.properties is that artifact,
        // whatever its file name says (renamed or unversioned jars).
        if own.is_none() && level.pom_properties.len() == 1 {
            own = Some(start);
        }

        if own.is_none() {
            let from_manifest = level
                .manifest
                .as_ref()
                .map(Manifest::coordinates)
                .filter(Coordinates::is_complete);
            if let Some(coords) = from_manifest {
                // A shaded jar's manifest usually restates one of its
                // pom.properties with a human-readable title: same group and
                // version means the same artifact.
                let restated = level
                    .pom_properties
                    .iter()
                    .position(|p| p.group == coords.group && p.version == coords.version);
                match restated {
                    Some(i) => own = Some(start + i),
                    None => {
                        out.push(Package::new(
                            Ecosystem::Maven,
                            coords.name(),
                            coords.version,
                            location,
                        ));
                        own = Some(out.len() - 1);
                    }
                }
            } else if let Some((artifact, version)) = from_name {
                out.push(Package::new(Ecosystem::Maven, artifact, version, location));
                own = Some(out.len() - 1);
            }
        }

        if let Some(package) = own.and_then(|i| out.get_mut(i))
            && package.licenses.is_empty()
        {
            package.licenses = manifest_licenses;
        }
    }

    /// Reads a small metadata entry; `None` when it is implausibly large (the
    /// bomb limits are still enforced first).
    fn read_metadata(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        index: usize,
        location: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, ArchiveError> {
        let entry_location = format!("{location}/{name}");
        let declared = zip
            .by_index_data(index)
            .map(|e| e.size())
            .map_err(|e| ArchiveError::Corrupt(format!("{entry_location}: {e}")))?;
        if declared > MAX_METADATA_BYTES && declared <= self.limits.max_entry_bytes {
            tracing::debug!(entry = %entry_location, size = declared, "ignoring oversized metadata file");
            return Ok(None);
        }
        self.read_entry(zip, index, &entry_location).map(Some)
    }

    /// Reads one entry in full, enforcing every size limit.
    fn read_entry(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        index: usize,
        entry_location: &str,
    ) -> Result<Vec<u8>, ArchiveError> {
        let limits = self.limits;
        let file = zip
            .by_index(index)
            .map_err(|e| ArchiveError::Corrupt(format!("{entry_location}: {e}")))?;
        let declared = file.size();
        let compressed = file.compressed_size();
        if declared > limits.max_entry_bytes {
            return Err(ArchiveError::Limit(format!(
                "{entry_location}: declares {declared} uncompressed bytes, over the {} byte entry limit",
                limits.max_entry_bytes
            )));
        }
        check_ratio(entry_location, declared, compressed, limits)?;
        let remaining = limits.max_total_bytes.saturating_sub(self.total_bytes);
        if declared > remaining {
            return Err(ArchiveError::Limit(format!(
                "{entry_location}: would decompress more than {} bytes in total",
                limits.max_total_bytes
            )));
        }

        // Read at most one byte more than declared, so an entry that lies
        // about its size is caught without being followed. (The zip reader
        // also stops there, with its own error.)
        let mut bytes = Vec::new();
        let read = file
            .take(declared.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| {
                let message = e.to_string();
                if message.contains("larger than its declared") {
                    ArchiveError::Limit(format!(
                        "{entry_location}: decompresses to more than the {declared} bytes it declares"
                    ))
                } else {
                    ArchiveError::Corrupt(format!("{entry_location}: {message}"))
                }
            })?;
        let actual = read as u64;
        self.total_bytes = self.total_bytes.saturating_add(actual);
        if actual > declared {
            return Err(ArchiveError::Limit(format!(
                "{entry_location}: decompresses to more than the {declared} bytes it declares"
            )));
        }
        check_ratio(entry_location, actual, compressed, limits)?;
        Ok(bytes)
    }
}

fn check_ratio(
    entry_location: &str,
    uncompressed: u64,
    compressed: u64,
    limits: &ArchiveLimits,
) -> Result<(), ArchiveError> {
    if uncompressed >= RATIO_MIN_BYTES && uncompressed > compressed.saturating_mul(limits.max_ratio)
    {
        return Err(ArchiveError::Limit(format!(
            "{entry_location}: compression ratio of {uncompressed}:{compressed} is over {}:1",
            limits.max_ratio
        )));
    }
    Ok(())
}

fn is_archive_name(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ARCHIVE_EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known)),
        _ => false,
    }
}

/// `META-INF/maven/<group>/<artifact>/pom.xml` → (group, artifact).
fn embedded_pom_coordinates(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("META-INF/maven/")?;
    let rest = rest.strip_suffix("/pom.xml")?;
    let (group, artifact) = rest.split_once('/')?;
    if group.is_empty() || artifact.is_empty() || artifact.contains('/') {
        return None;
    }
    Some((group, artifact))
}

/// Artifact id and version from a file name such as
/// `jackson-databind-2.9.10.6.jar` or `spring-core-5.3.4-SNAPSHOT.jar`: the
/// version starts at the last `-` followed by a digit.
fn coordinates_from_file_name(file_name: &str) -> Option<(String, String)> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    if !ARCHIVE_EXTENSIONS
        .iter()
        .any(|k| ext.eq_ignore_ascii_case(k))
    {
        return None;
    }
    let bytes = stem.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    let artifact = stem.get(..split - 1)?;
    let version = stem.get(split..)?;
    let artifact_ok = !artifact.is_empty()
        && !artifact.ends_with('-')
        && artifact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !artifact_ok || version.chars().any(char::is_whitespace) {
        return None;
    }
    Some((artifact.to_owned(), version.to_owned()))
}

/// `groupId`, `artifactId` and `version` from a `pom.properties` file
/// (`key=value` lines, `#` comments).
fn parse_pom_properties(bytes: &[u8]) -> Coordinates {
    let text = String::from_utf8_lossy(bytes);
    let mut coords = Coordinates::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let value = value.trim().to_owned();
        match key.trim() {
            "groupId" => coords.group = value,
            "artifactId" => coords.artifact = value,
            "version" => coords.version = value,
            _ => {}
        }
    }
    coords
}

/// The attributes of a manifest's main section that identify the archive.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Manifest {
    implementation_title: String,
    implementation_version: String,
    implementation_vendor: String,
    implementation_vendor_id: String,
    specification_title: String,
    specification_version: String,
    specification_vendor: String,
    bundle_name: String,
    bundle_version: String,
    bundle_symbolic_name: String,
    /// Jenkins `Plugin-License-Name` / `Plugin-License-Name-N` values.
    licenses: Vec<String>,
}

impl Manifest {
    fn coordinates(&self) -> Coordinates {
        let first = |candidates: &[&String]| {
            candidates
                .iter()
                .find(|v| !v.is_empty())
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let group = if !self.implementation_vendor_id.is_empty() {
            self.implementation_vendor_id.clone()
        } else if !self.bundle_symbolic_name.is_empty() {
            // `com.fasterxml.jackson.core.jackson-databind` → `com.fasterxml.jackson.core`
            let symbolic = self
                .bundle_symbolic_name
                .split(';')
                .next()
                .unwrap_or_default()
                .trim();
            symbolic
                .rsplit_once('.')
                .map_or(symbolic, |(prefix, _)| prefix)
                .to_owned()
        } else {
            first(&[&self.implementation_vendor, &self.specification_vendor])
        };
        Coordinates {
            group,
            artifact: first(&[
                &self.implementation_title,
                &self.specification_title,
                &self.bundle_name,
            ]),
            version: first(&[
                &self.implementation_version,
                &self.specification_version,
                &self.bundle_version,
            ]),
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        // Unresolved localisation variables (`Bundle-Name: %bundleName`).
        if value.is_empty() || value.starts_with('%') {
            return;
        }
        let slot = match key {
            "Implementation-Title" => &mut self.implementation_title,
            "Implementation-Version" => &mut self.implementation_version,
            "Implementation-Vendor" => &mut self.implementation_vendor,
            "Implementation-Vendor-Id" => &mut self.implementation_vendor_id,
            "Specification-Title" => &mut self.specification_title,
            "Specification-Version" => &mut self.specification_version,
            "Specification-Vendor" => &mut self.specification_vendor,
            "Bundle-Name" => &mut self.bundle_name,
            "Bundle-Version" => &mut self.bundle_version,
            "Bundle-SymbolicName" => &mut self.bundle_symbolic_name,
            _ => {
                let is_license = key == "Plugin-License-Name"
                    || key
                        .strip_prefix("Plugin-License-Name-")
                        .is_some_and(|n| !n.is_empty());
                if is_license && self.licenses.len() < MAX_LICENSES {
                    self.licenses.push(value.to_owned());
                }
                return;
            }
        };
        *slot = value.to_owned();
    }
}

/// Parses the main section of a `MANIFEST.MF`: it ends at the first empty
/// line (the sections after it describe entries, not the archive). Lines end
/// with CRLF, LF or a lone CR; a line starting with one space continues the
/// previous one.
fn parse_manifest(bytes: &[u8]) -> Manifest {
    let text = String::from_utf8_lossy(bytes);
    let mut manifest = Manifest::default();
    let mut attribute = String::new();
    let mut rest: &str = &text;
    loop {
        let (line, next) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], Some(&rest[i + skip..]))
            }
            None => (rest, None),
        };
        if line.is_empty() {
            break;
        }
        if let Some(continued) = line.strip_prefix(' ') {
            attribute.push_str(continued);
        } else {
            add_manifest_attribute(&mut manifest, &attribute);
            attribute.clear();
            attribute.push_str(line);
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    add_manifest_attribute(&mut manifest, &attribute);
    manifest
}

fn add_manifest_attribute(manifest: &mut Manifest, attribute: &str) {
    if let Some((key, value)) = attribute.split_once(':') {
        manifest.set(key.trim(), value.trim());
    }
}

/// `project/licenses/license/name` values of an embedded `pom.xml`, trimmed;
/// empty names are skipped. Unreadable XML yields no licences.
fn pom_licenses(bytes: &[u8]) -> Vec<String> {
    use quick_xml::events::Event;

    const PATH: [&str; 4] = ["project", "licenses", "license", "name"];
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut stack: Vec<String> = Vec::new();
    let mut licenses = Vec::new();
    let mut current = String::new();
    let in_name =
        |stack: &[String]| stack.len() == PATH.len() && stack.iter().zip(PATH).all(|(a, b)| a == b);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if stack.len() >= MAX_XML_DEPTH {
                    break;
                }
                stack.push(e.local_name().into_inner().to_owned());
                if in_name(&stack) {
                    current.clear();
                }
            }
            Ok(Event::End(_)) => {
                if in_name(&stack) {
                    let name = current.trim();
                    if !name.is_empty() && licenses.len() < MAX_LICENSES {
                        licenses.push(name.to_owned());
                    }
                }
                stack.pop();
            }
            Ok(Event::Text(t)) if in_name(&stack) => current.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) if in_name(&stack) => {
                current.push_str(&t);
            }
            Ok(Event::GeneralRef(r)) if in_name(&stack) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    current.push(c);
                } else {
                    match &*r.into_inner() {
                        "amp" => current.push('&'),
                        "lt" => current.push('<'),
                        "gt" => current.push('>'),
                        "quot" => current.push('"'),
                        "apos" => current.push('\''),
                        _ => {}
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    licenses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_archive_extensions_in_any_case() {
        for p in [
            "test.jar",
            "test/test.war",
            "a/b/c/d/test.ear",
            "a/b/c/d/test.JAR",
            "x.par",
            "plugins/git.hpi",
            "plugins/git.jpi",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in ["test.zip", "jar", ".jar", "a/jar/", "x.jar.txt", ""] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn file_name_coordinates() {
        let c = |n: &str| coordinates_from_file_name(n);
        let pair = |a: &str, v: &str| Some((a.to_owned(), v.to_owned()));
        assert_eq!(
            c("spring-core-5.3.4-SNAPSHOT.jar"),
            pair("spring-core", "5.3.4-SNAPSHOT")
        );
        assert_eq!(
            c("heuristic-1.0.0-SNAPSHOT.jar"),
            pair("heuristic", "1.0.0-SNAPSHOT")
        );
        assert_eq!(
            c("log4j-1.2-api-2.17.1.jar"),
            pair("log4j-1.2-api", "2.17.1")
        );
        assert_eq!(c("guava-29.0-jre.jar"), pair("guava", "29.0-jre"));
        assert_eq!(c("commons-lang3-3.11.jar"), pair("commons-lang3", "3.11"));
        assert_eq!(c("app-1.0.WAR"), pair("app", "1.0"));
        assert_eq!(c("nested.jar"), None);
        assert_eq!(c("-1.0.jar"), None);
        assert_eq!(c("foo-1.0.zip"), None);
        assert_eq!(c("a b-1.0.jar"), None);
    }

    #[test]
    fn pom_properties() {
        let p = parse_pom_properties(
            b"#Generated by Maven\n#Mon Apr 13\nversion=29.0-jre\r\ngroupId=com.google.guava\nartifactId = guava\n",
        );
        assert_eq!(p.name(), "com.google.guava:guava");
        assert_eq!(p.version, "29.0-jre");
        assert!(!parse_pom_properties(b"groupId=a\nversion=1").is_complete());
    }

    #[test]
    fn manifest_main_section_only_any_line_ending() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = [
                "Manifest-Version: 1.0",
                "Implementation-Title: xercesImpl",
                "Implementation-Version: 2.12.2",
                "Implementation-Vendor-Id: xer",
                " ces",
                "",
                "Name: org/apache/xerces/xni/",
                "Implementation-Version: 1.2",
                "",
            ]
            .join(eol);
            let m = parse_manifest(text.as_bytes());
            let c = m.coordinates();
            assert_eq!(
                (c.group.as_str(), c.artifact.as_str(), c.version.as_str()),
                ("xerces", "xercesImpl", "2.12.2"),
                "{eol:?}"
            );
        }
        let only_individual = "Manifest-Version: 1.0\nAnt-Version: 1.10\n\nName: org/apache/tools/ant/\nImplementation-Title: org.apache.tools.ant\nImplementation-Version: 1.10.15\nImplementation-Vendor: Apache\n";
        assert!(
            !parse_manifest(only_individual.as_bytes())
                .coordinates()
                .is_complete()
        );
    }

    #[test]
    fn manifest_bundle_fallbacks_variables_and_plugin_licenses() {
        let m = parse_manifest(
            b"Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind;singleton:=true\nBundle-Name: %name\nSpecification-Title: jackson\nBundle-Version: 2.9.10\nPlugin-License-Name: Apache License, Version 2.0\nPlugin-License-Name-2:  MIT License  \nPlugin-License-Url: https://x\nPlugin-License-Name: \n",
        );
        let c = m.coordinates();
        assert_eq!(c.name(), "com.fasterxml.jackson.core:jackson");
        assert_eq!(c.version, "2.9.10");
        assert_eq!(m.licenses, ["Apache License, Version 2.0", "MIT License"]);
    }

    #[test]
    fn embedded_pom_paths() {
        assert_eq!(
            embedded_pom_coordinates("META-INF/maven/com.example/demo/pom.xml"),
            Some(("com.example", "demo"))
        );
        assert_eq!(embedded_pom_coordinates("BOOT-INF/classes/pom.xml"), None);
        assert_eq!(
            embedded_pom_coordinates("META-INF/maven/com.example/demo/pom.properties"),
            None
        );
        assert_eq!(
            embedded_pom_coordinates("META-INF/maven/com.example/pom.xml"),
            None
        );
    }

    #[test]
    fn pom_xml_licenses() {
        let l = |x: &str| pom_licenses(x.as_bytes());
        assert_eq!(
            l(
                "<project><licenses><license><name>MIT</name></license><license><name>Apache-2.0</name></license></licenses></project>"
            ),
            ["MIT", "Apache-2.0"]
        );
        assert_eq!(
            l(
                "<project><licenses><license><name>  Apache-2.0\n  </name></license></licenses></project>"
            ),
            ["Apache-2.0"]
        );
        assert_eq!(
            l(
                "<?xml version=\"1.0\"?><project xmlns=\"http://maven.apache.org/POM/4.0.0\"><licenses><license><name>CDDL &amp; GPL</name></license></licenses></project>"
            ),
            ["CDDL & GPL"]
        );
        assert!(
            l("<project><licenses><license><name></name></license></licenses></project>")
                .is_empty()
        );
        assert!(l("<project><dependencies><dependency><licenses><license><name>X</name></license></licenses></dependency></dependencies></project>").is_empty());
        assert!(l("<project><parent><groupId>com.example</groupId></parent></project>").is_empty());
        assert!(l("<<<not xml").is_empty());
    }
}
