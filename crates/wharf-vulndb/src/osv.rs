//! OSV records (JSON or YAML) → [`Advisory`].
//!
//! Inputs accepted by [`import_path`]: one record, a JSON array of records,
//! a directory (walked recursively; `*.json`, `*.yaml`, `*.yml` are records,
//! every other file is listed as skipped so that *files in = imported +
//! skipped*), or a zip dump such as osv.dev's `all.zip` (`*.json` entries).
//! [`parse_bytes`] handles in-memory documents.
//!
//! Mapping notes:
//!
//! * `affected[].package.ecosystem` must be a known OSV ecosystem
//!   ([`KNOWN_ECOSYSTEMS`], optionally with a `:suffix` such as
//!   `Debian:12`). An affected entry with an unknown ecosystem, or without
//!   a package nor a git range, is dropped with a warning; the rest of the
//!   record is imported. A git-only entry (no `package`, `GIT` ranges, as
//!   in OSS-Fuzz records) becomes ecosystem `GIT` with the repository URL
//!   as the package name, as in OSV's `GIT` ecosystem.
//! * Go `ecosystem_specific.imports` become [`Affected::symbols`]
//!   (`path` when no symbols are listed, else `path.Symbol`).
//! * GHSA `database_specific.cwe_ids` become [`Advisory::cwes`].
//! * CVSS severities are scored with [`crate::cvss`]; an unparsable vector
//!   is kept with `score: None` and a warning.
//! * Status is [`FixStatus::Unknown`]: in OSV the ranges are authoritative.

use std::io::{Read, Seek};
use std::path::Path;

use serde::Deserialize;

use crate::limits::{MAX_EVENTS, MAX_ID_LEN, MAX_VERSION_LEN, MAX_VERSIONS};
use crate::model::{
    Advisory, Affected, Event, FixStatus, Range, RangeKind, SeverityKind, SeverityScore,
    truncate_details,
};
use crate::{Error, ImportReport, Skipped, limits};

/// OSV ecosystem names (the part before any `:`), from the OSV schema's
/// ecosystem list.
pub const KNOWN_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Echo",
    "GHC",
    "GIT",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// Whether `ecosystem` (e.g. `Debian:12`, `PyPI`) is a known OSV ecosystem.
pub fn is_known_ecosystem(ecosystem: &str) -> bool {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    KNOWN_ECOSYSTEMS.contains(&base)
}

/// Imports OSV records from a file (record, array or `.zip`) or a
/// directory. `source` becomes [`Advisory::source`].
pub fn import_path(path: &Path, source: &str) -> Result<ImportReport, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Io {
        path: path.into(),
        source: e,
    })?;
    if meta.is_dir() {
        return import_dir(path, source);
    }
    let io = |source| Error::Io {
        path: path.into(),
        source,
    };
    // A zip dump (osv.dev's all.zip is hundreds of MiB) is read entry by
    // entry from the file, each entry within MAX_FILE_BYTES, not loaded
    // whole: only single documents are capped at MAX_FILE_BYTES.
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(io)?;
    let is_zip =
        has_ext(path, &["zip"]) || (file.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04");
    if is_zip {
        file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
        return import_zip_reader(std::io::BufReader::new(file), path, source);
    }
    drop(file);
    let data = crate::read_file(path)?;
    Ok(parse_bytes(&data, &path.display().to_string(), source))
}

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Walks `dir` recursively (sorted, symlinks not followed).
fn import_dir(dir: &Path, source: &str) -> Result<ImportReport, Error> {
    let mut report = ImportReport::default();
    for path in walk(dir)? {
        let name = path.display().to_string();
        if !has_ext(&path, &["json", "yaml", "yml"]) {
            report.skipped.push(Skipped::new(
                name,
                "not an OSV file (expects .json, .yaml, .yml)",
            ));
            continue;
        }
        match crate::read_file(&path) {
            Ok(data) => report.extend(parse_bytes(&data, &name, source)),
            Err(e) => report.skipped.push(Skipped::new(name, e.to_string())),
        }
    }
    Ok(report)
}

/// Every regular file below `dir`, sorted by path.
pub(crate) fn walk(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| Error::Io {
            path: d.clone(),
            source: e,
        })?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::Io {
                path: d.clone(),
                source: e,
            })?;
            let ft = entry.file_type().map_err(|e| Error::Io {
                path: entry.path(),
                source: e,
            })?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Imports a zip dump held in memory; `path` names it in errors. A zip
/// whose central directory cannot be read (truncated download) is an
/// [`Error::Zip`]; a damaged entry is skipped.
pub fn import_zip(data: &[u8], path: &Path, source: &str) -> Result<ImportReport, Error> {
    import_zip_reader(std::io::Cursor::new(data), path, source)
}

/// [`import_zip`] over any seekable reader (a zip dump read from its file).
fn import_zip_reader<R: Read + Seek>(
    reader: R,
    path: &Path,
    source: &str,
) -> Result<ImportReport, Error> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| Error::Zip {
        path: path.into(),
        source: e,
    })?;
    let mut report = ImportReport::default();
    if zip.len() > limits::MAX_ZIP_ENTRIES {
        return Err(Error::Format {
            path: path.into(),
            format: "OSV zip",
            reason: format!(
                "{} entries; at most {} are read",
                zip.len(),
                limits::MAX_ZIP_ENTRIES
            ),
        });
    }
    // Entries are read raw and inflated with one reused decompressor:
    // opening each entry through the zip crate allocates a fresh inflate
    // state per entry, which on a 300k-entry dump cost gigabytes of heap.
    let mut inflater = flate2::Decompress::new(false);
    let mut raw = Vec::new();
    let mut buf = Vec::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = match zip.by_index_raw(i) {
            Ok(e) => e,
            Err(e) => {
                report.skipped.push(Skipped::new(
                    format!("{}#{i}", path.display()),
                    e.to_string(),
                ));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                report.skipped.push(Skipped::new(
                    format!("{}#{i}", path.display()),
                    format!("bad entry name: {e}"),
                ));
                continue;
            }
        };
        let name = format!("{}!{entry_name}", path.display());
        if !entry_name.to_ascii_lowercase().ends_with(".json") {
            report
                .skipped
                .push(Skipped::new(name, "not an OSV file (expects .json)"));
            continue;
        }
        let (size, crc, method) = (entry.size(), entry.crc32(), entry.compression());
        if size > limits::MAX_FILE_BYTES || entry.compressed_size() > limits::MAX_FILE_BYTES {
            report.skipped.push(Skipped::new(
                name,
                format!("entry larger than {} bytes", limits::MAX_FILE_BYTES),
            ));
            continue;
        }
        total += size;
        if total > limits::MAX_ZIP_BYTES {
            return Err(Error::Format {
                path: path.into(),
                format: "OSV zip",
                reason: format!(
                    "more than {} bytes decompressed; refusing the rest",
                    limits::MAX_ZIP_BYTES
                ),
            });
        }
        raw.clear();
        if let Err(e) = (&mut entry)
            .take(limits::MAX_FILE_BYTES + 1)
            .read_to_end(&mut raw)
        {
            report
                .skipped
                .push(Skipped::new(name, format!("damaged zip entry: {e}")));
            continue;
        }
        drop(entry);
        buf.clear();
        let content = match method {
            zip::CompressionMethod::Stored => &raw,
            zip::CompressionMethod::Deflated => {
                buf.reserve(usize::try_from(size).unwrap_or(0));
                inflater.reset(false);
                match inflater.decompress_vec(&raw, &mut buf, flate2::FlushDecompress::Finish) {
                    Ok(flate2::Status::StreamEnd) if buf.len() as u64 == size => &buf,
                    Ok(_) => {
                        report
                            .skipped
                            .push(Skipped::new(name, "damaged zip entry: size does not match"));
                        continue;
                    }
                    Err(e) => {
                        report
                            .skipped
                            .push(Skipped::new(name, format!("damaged zip entry: {e}")));
                        continue;
                    }
                }
            }
            other => {
                report.skipped.push(Skipped::new(
                    name,
                    format!("unsupported zip compression {other:?}"),
                ));
                continue;
            }
        };
        let mut c = flate2::Crc::new();
        c.update(content);
        if c.sum() != crc {
            report
                .skipped
                .push(Skipped::new(name, "damaged zip entry: CRC mismatch"));
            continue;
        }
        report.extend(parse_bytes(content, &name, source));
    }
    Ok(report)
}

/// Parses one in-memory OSV document: a JSON object, a JSON array of
/// objects, or a YAML document. `origin` names it in skip reasons.
pub fn parse_bytes(data: &[u8], origin: &str, source: &str) -> ImportReport {
    let mut report = ImportReport::default();
    let Ok(text) = std::str::from_utf8(data) else {
        report.skipped.push(Skipped::new(origin, "not UTF-8"));
        return report;
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(trimmed) {
            Ok(values) => {
                for (i, v) in values.into_iter().enumerate() {
                    let what = format!("{origin}[{i}]");
                    let what = id_of(&v).map(str::to_owned).unwrap_or(what);
                    match serde_json::from_value::<RawOsv>(v) {
                        Ok(raw) => convert_into(raw, &what, source, &mut report),
                        Err(e) => report
                            .skipped
                            .push(Skipped::new(what, format!("malformed OSV record: {e}"))),
                    }
                }
            }
            Err(e) => report
                .skipped
                .push(Skipped::new(origin, format!("malformed JSON: {e}"))),
        }
        return report;
    }
    let parsed = if trimmed.starts_with('{') {
        serde_json::from_str::<RawOsv>(trimmed).map_err(|e| format!("malformed OSV JSON: {e}"))
    } else {
        yaml_serde::from_str::<RawOsv>(trimmed).map_err(|e| format!("malformed OSV YAML: {e}"))
    };
    match parsed {
        Ok(raw) => {
            let what = if raw.id.is_empty() {
                origin.to_owned()
            } else {
                raw.id.clone()
            };
            convert_into(raw, &what, source, &mut report);
        }
        Err(reason) => report.skipped.push(Skipped::new(origin, reason)),
    }
    report
}

fn id_of(v: &serde_json::Value) -> Option<&str> {
    v.get("id")
        .and_then(|i| i.as_str())
        .filter(|s| !s.is_empty() && s.len() <= MAX_ID_LEN)
}

fn convert_into(raw: RawOsv, what: &str, source: &str, report: &mut ImportReport) {
    let mut warnings = Vec::new();
    match convert(raw, source, &mut warnings) {
        Ok(Some(adv)) => {
            report.warnings.extend(
                warnings
                    .into_iter()
                    .map(|w| Skipped::new(adv.id.clone(), w)),
            );
            report.imported.push(adv);
        }
        Ok(None) => report.skipped.push(Skipped::new(what, "withdrawn")),
        Err(reason) => report.skipped.push(Skipped::new(what, reason)),
    }
}

// ---- raw serde structs (only the fields we use; unknown fields ignored) ----

#[derive(Deserialize)]
struct RawOsv {
    #[serde(default)]
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
    #[serde(default)]
    references: Option<Vec<RawReference>>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Option<Vec<RawRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

// ---- conversion ----

fn check_len(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        Err(format!("{what} is {} bytes (limit {max})", s.len()))
    } else {
        Ok(())
    }
}

fn ids(field: &str, v: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let v = v.unwrap_or_default();
    if v.len() > MAX_VERSIONS {
        return Err(format!("{field} has {} entries", v.len()));
    }
    for s in &v {
        check_len(field, s, MAX_ID_LEN)?;
    }
    Ok(v)
}

/// Converts one severity entry; unscorable vectors are kept unscored.
pub(crate) fn severity(
    kind: &str,
    value: &str,
    warnings: &mut Vec<String>,
) -> Result<SeverityScore, String> {
    check_len("severity", value, 1024)?;
    let kind = match kind {
        "CVSS_V2" => SeverityKind::CvssV2,
        "CVSS_V3" => SeverityKind::CvssV3,
        "CVSS_V4" => SeverityKind::CvssV4,
        "Ubuntu" => SeverityKind::Ubuntu,
        other => {
            check_len("severity type", other, MAX_ID_LEN)?;
            SeverityKind::Other(other.to_owned())
        }
    };
    let score = match kind {
        SeverityKind::CvssV2 | SeverityKind::CvssV3 | SeverityKind::CvssV4 => {
            match crate::cvss::parse(value) {
                Ok(s) => Some(s.score),
                Err(e) => {
                    warnings.push(format!("unscored severity: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    Ok(SeverityScore {
        kind,
        value: value.to_owned(),
        score,
    })
}

fn convert(
    raw: RawOsv,
    source: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Advisory>, String> {
    if raw.id.trim().is_empty() {
        return Err("record has no id".into());
    }
    check_len("id", &raw.id, MAX_ID_LEN)?;
    if raw.withdrawn.as_deref().is_some_and(|w| !w.is_empty()) {
        return Ok(None);
    }
    let mut adv = Advisory::new(raw.id, source);
    adv.aliases = ids("aliases", raw.aliases)?;
    adv.upstream = ids("upstream", raw.upstream)?;
    adv.related = ids("related", raw.related)?;
    adv.summary = raw
        .summary
        .map(|s| truncate_details(s.trim().to_owned()))
        .filter(|s| !s.is_empty());
    adv.details = raw.details.map(truncate_details).filter(|s| !s.is_empty());
    adv.published = raw.published;
    adv.modified = raw.modified;
    for s in [&adv.published, &adv.modified].into_iter().flatten() {
        check_len("timestamp", s, 64)?;
    }
    for s in raw.severity.unwrap_or_default() {
        adv.severity.push(severity(&s.kind, &s.score, warnings)?);
    }
    adv.references = raw
        .references
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.url)
        .collect();
    if let Some(cwes) = raw
        .database_specific
        .as_ref()
        .and_then(|d| d.get("cwe_ids"))
        .and_then(|c| c.as_array())
    {
        adv.cwes = cwes
            .iter()
            .filter_map(|c| c.as_str())
            .map(str::to_owned)
            .collect();
    }
    for (i, a) in raw.affected.unwrap_or_default().into_iter().enumerate() {
        let pkg = match a.package {
            Some(p) => p,
            None => {
                // Git-only entry: OSV's `GIT` ecosystem, named by the repository.
                let repo = a.ranges.iter().flatten().find_map(|r| r.repo.clone());
                let Some(repo) = repo else {
                    warnings.push(format!(
                        "affected[{i}] has neither package nor git repo (entry dropped)"
                    ));
                    continue;
                };
                RawPackage {
                    ecosystem: "GIT".into(),
                    name: repo,
                    purl: None,
                }
            }
        };
        check_len("ecosystem", &pkg.ecosystem, MAX_ID_LEN)?;
        check_len("package name", &pkg.name, MAX_ID_LEN)?;
        if !is_known_ecosystem(&pkg.ecosystem) {
            warnings.push(format!(
                "affected[{i}]: unknown ecosystem {:?} (entry dropped)",
                pkg.ecosystem
            ));
            continue;
        }
        if pkg.name.is_empty() {
            warnings.push(format!("affected[{i}]: empty package name (entry dropped)"));
            continue;
        }
        let mut out = Affected::new(pkg.ecosystem, pkg.name);
        out.purl = pkg.purl;
        out.status = FixStatus::Unknown;
        for r in a.ranges.unwrap_or_default() {
            out.ranges.push(range(r)?);
        }
        let versions = a.versions.unwrap_or_default();
        if versions.len() > MAX_VERSIONS {
            return Err(format!(
                "affected[{i}] lists {} versions (limit {MAX_VERSIONS})",
                versions.len()
            ));
        }
        for v in &versions {
            check_len("version", v, MAX_VERSION_LEN)?;
        }
        out.versions = versions;
        for s in a.severity.unwrap_or_default() {
            let s = severity(&s.kind, &s.score, warnings)?;
            if !adv.severity.contains(&s) {
                adv.severity.push(s);
            }
        }
        out.symbols = go_symbols(a.ecosystem_specific.as_ref());
        adv.affected.push(out);
    }
    Ok(Some(adv))
}

fn range(r: RawRange) -> Result<Range, String> {
    let kind = match r.kind.as_str() {
        "ECOSYSTEM" => RangeKind::Ecosystem,
        "SEMVER" => RangeKind::Semver,
        "GIT" => RangeKind::Git,
        other => {
            return Err(format!(
                "unknown range type {:?}",
                other.chars().take(64).collect::<String>()
            ));
        }
    };
    if r.events.len() > MAX_EVENTS {
        return Err(format!(
            "range has {} events (limit {MAX_EVENTS})",
            r.events.len()
        ));
    }
    if let Some(repo) = &r.repo {
        check_len("repo", repo, MAX_VERSION_LEN)?;
    }
    let mut events = Vec::with_capacity(r.events.len());
    for e in r.events {
        let mut set = [
            e.introduced.map(Event::Introduced),
            e.fixed.map(Event::Fixed),
            e.last_affected.map(Event::LastAffected),
            e.limit.map(Event::Limit),
        ]
        .into_iter()
        .flatten();
        let (Some(ev), None) = (set.next(), set.next()) else {
            return Err(
                "range event must have exactly one of introduced/fixed/last_affected/limit".into(),
            );
        };
        check_len("version", ev.version(), MAX_VERSION_LEN)?;
        events.push(ev);
    }
    if kind == RangeKind::Git && r.repo.is_none() {
        return Err("GIT range without repo".into());
    }
    Ok(Range {
        kind,
        repo: r.repo,
        events,
    })
}

/// Go vulndb `ecosystem_specific.imports[] {path, symbols}` → `path` or
/// `path.Symbol` strings.
fn go_symbols(es: Option<&serde_json::Value>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(imports) = es.and_then(|e| e.get("imports")).and_then(|i| i.as_array()) else {
        return out;
    };
    for imp in imports.iter().take(MAX_EVENTS) {
        let Some(path) = imp.get("path").and_then(|p| p.as_str()) else {
            continue;
        };
        let symbols: Vec<&str> = imp
            .get("symbols")
            .and_then(|s| s.as_array())
            .map(|s| {
                s.iter()
                    .filter_map(|x| x.as_str())
                    .take(MAX_EVENTS)
                    .collect()
            })
            .unwrap_or_default();
        if symbols.is_empty() {
            out.push(path.to_owned());
        } else {
            out.extend(symbols.into_iter().map(|s| format!("{path}.{s}")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_record() {
        let r = parse_bytes(
            br#"{"id":"OSV-1","modified":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#,
            "t",
            "osv",
        );
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let a = &r.imported[0];
        assert_eq!(a.affected[0].ranges[0].fixed(), Some("1.0"));
        assert_eq!(a.severity[0].score, Some(9.8));
    }

    #[test]
    fn bad_event_is_reported() {
        let r = parse_bytes(
            br#"{"id":"OSV-2","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#,
            "t",
            "osv",
        );
        assert_eq!(r.imported.len(), 0);
        assert_eq!(r.skipped[0].what, "OSV-2");
    }
}

#[cfg(test)]
mod zip_reading {
    use std::io::Write as _;

    use super::*;

    fn record(id: &str) -> String {
        format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"pkg-{id}"}},
               "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.0"}}]}}]}}]}}"#
        )
    }

    /// Stored and deflated entries both import through the reused
    /// decompressor; a corrupted entry is skipped (CRC or inflate error)
    /// and the others still import.
    #[test]
    fn stored_deflated_and_corrupt_entries() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, opts) in [
            ("A-1.json", stored),
            ("B-2.json", deflated),
            ("C-3.json", deflated),
        ] {
            w.start_file(name, opts).expect("entry");
            w.write_all(record(name.trim_end_matches(".json")).as_bytes())
                .expect("write");
        }
        let bytes = w.finish().expect("zip").into_inner();
        let report = import_zip(&bytes, Path::new("t.zip"), "test").expect("import");
        let mut ids: Vec<&str> = report.imported.iter().map(|a| a.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["A-1", "B-2", "C-3"]);

        // Flip a byte inside the stored entry's data (after its local header).
        let mut bad = bytes.clone();
        let needle: &[u8] = b"\"A-1\",\"";
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("stored data")
            + 2;
        bad[at] ^= 0x01;
        let report = import_zip(&bad, Path::new("t.zip"), "test").expect("import");
        let ids: Vec<&str> = report.imported.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(
            report
                .skipped
                .iter()
                .any(|s| s.what.ends_with("A-1.json") && s.reason.contains("CRC")),
            "{:?}",
            report.skipped
        );
    }
}
