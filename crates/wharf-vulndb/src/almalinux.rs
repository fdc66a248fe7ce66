//! AlmaLinux errata (`https://errata.almalinux.org/<major>/errata.json`)
//! → [`Advisory`].
//!
//! The document is a JSON array of updateinfo records (`updateinfo_id`
//! `ALSA-2021:3253`, `type`, `severity`, `references`, and a `pkglist`
//! holding the fixed binary packages per architecture and, for module
//! streams, the `module` they belong to). Unlike the OSV export of the
//! same data, it keeps the architecture of every package, which is what
//! this importer is for. Only `type: security` records are
//! vulnerabilities; bug-fix and enhancement errata are ignored (not
//! reported as skipped). Records become advisories as [`crate::errata`]
//! describes, with ecosystem `AlmaLinux:<major>` from each package's `elN`
//! release tag.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::model::Advisory;
use crate::{Error, ImportReport, Skipped, errata, sources};

/// Imports an errata document from a file.
pub fn import_path(path: &Path) -> Result<ImportReport, Error> {
    let (data, name) = crate::read_feed(path)?;
    parse_bytes(&data, &name)
}

/// Parses an errata document: the feed's array of errata, or one erratum
/// (vuln-list's one-file-per-erratum mirror). Any other document is an
/// [`Error::Format`]; a bad record or package is skipped with the reason.
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<ImportReport, Error> {
    let doc: Value = serde_json::from_slice(data).map_err(|e| Error::Format {
        path: origin.into(),
        format: "AlmaLinux errata",
        reason: e.to_string(),
    })?;
    let records = match doc {
        Value::Array(records) => records,
        // One erratum per file, as vuln-list mirrors the feed.
        Value::Object(ref o) if o.contains_key("updateinfo_id") => vec![doc],
        _ => {
            return Err(Error::Format {
                path: origin.into(),
                format: "AlmaLinux errata",
                reason: "neither a JSON array of errata nor one erratum".into(),
            });
        }
    };
    let mut report = ImportReport::default();
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        let erratum = r.get("updateinfo_id").and_then(Value::as_str);
        let what = erratum.map_or_else(|| format!("{origin}: [{i}]"), str::to_owned);
        match erratum_advisories(r, &mut report.warnings) {
            Ok(advisories) => {
                for a in advisories.into_iter().flatten() {
                    errata::merge_into(&mut by_id, a);
                }
            }
            Err(reason) => report.skipped.push(Skipped::new(what, reason)),
        }
    }
    report.imported = by_id.into_values().collect();
    Ok(report)
}

/// The string a JSON value holds, if any.
fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

/// The advisories one record yields: `None` for an erratum that is not a
/// security erratum (ignored), an error for a malformed record.
fn erratum_advisories(
    r: &Value,
    warnings: &mut Vec<Skipped>,
) -> Result<Option<Vec<Advisory>>, String> {
    let r = r.as_object().ok_or("record is not an object")?;
    let id = str_of(r.get("updateinfo_id")).ok_or("missing or invalid updateinfo_id")?;
    if str_of(r.get("type")) != Some("security") {
        return Ok(None);
    }
    let pkglist = r.get("pkglist").ok_or("no pkglist")?;
    let module = match pkglist.get("module") {
        Some(Value::Object(m)) => {
            let part = |k: &str| str_of(m.get(k)).filter(|s| !s.is_empty());
            match (part("name"), part("stream")) {
                (Some(n), Some(s)) => Some(format!("{n}:{s}")),
                _ => return Err("module without name or stream".into()),
            }
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err("`pkglist.module` is not an object".into()),
    };
    let packages: Vec<errata::ListedPackage<'_>> = pkglist
        .get("packages")
        .and_then(Value::as_array)
        .ok_or("`pkglist.packages` is not a list")?
        .iter()
        .map(|p| {
            let f = |k: &str| str_of(p.get(k)).unwrap_or_default();
            errata::ListedPackage {
                name: f("name"),
                epoch: str_of(p.get("epoch")),
                version: f("version"),
                release: f("release"),
                arch: f("arch"),
            }
        })
        .collect();
    let reference = packages.first().map(|p: &errata::ListedPackage<'_>| {
        format!(
            "https://errata.almalinux.org/{}/{}.html",
            errata::el_major(p.release).unwrap_or_default(),
            id.replace(':', "-")
        )
    });
    let erratum = errata::Erratum {
        id,
        title: str_of(r.get("title"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        severity: str_of(r.get("severity"))
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        module,
        cves: r
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|x| str_of(x.get("type")) == Some("cve"))
            .filter_map(|x| str_of(x.get("id")))
            .collect(),
        packages,
        reference,
    };
    errata::advisories(
        &erratum,
        sources::ALMALINUX,
        |p| errata::el_ecosystem("AlmaLinux", p),
        warnings,
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_architecture_versions_only_when_they_differ() {
        let doc = br#"[{"updateinfo_id":"ALSA-2024:1","type":"security","severity":"Important",
            "references":[{"type":"cve","id":"CVE-2024-2"},{"type":"cve","id":"CVE-2024-1"},{"type":"self","id":"ALSA-2024:1"}],
            "pkglist":{"packages":[
              {"name":"bpftool","epoch":"0","version":"4.18.0","release":"348.2.1.el8_5","arch":"x86_64"},
              {"name":"bpftool","epoch":"0","version":"5.18.0","release":"348.2.1.el8_5","arch":"aarch64"},
              {"name":"lz4","epoch":"1","version":"1.8.3","release":"3.el8_4","arch":"x86_64"},
              {"name":"lz4","epoch":"1","version":"1.8.3","release":"3.el8_4","arch":"aarch64"},
              {"name":"bad","epoch":"0","version":"1","release":"1.fc40","arch":"x86_64"}]}},
            {"updateinfo_id":"ALBA-2024:2","type":"bugfix","pkglist":{"packages":[]}},
            {"updateinfo_id":"ALSA-2024:3","type":"security","references":[{"type":"cve","id":"CVE-2024-1"}],
             "pkglist":{"module":{"name":"virt","stream":"rhel"},"packages":[
              {"name":"libiscsi","epoch":"0","version":"1.18.0","release":"8.module_el8.4.0+2523","arch":"x86_64"}]}},
            {"type":"security"}]"#;
        let r = parse_bytes(doc, "t").expect("parse");
        let ids: Vec<&str> = r.imported.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2024-1", "CVE-2024-2"]);
        let one = &r.imported[0];
        assert_eq!(one.related, ["ALSA-2024:1", "ALSA-2024:3"]);
        let summary: Vec<String> = one
            .affected
            .iter()
            .map(|a| {
                format!(
                    "{} {} {:?} {}",
                    a.package,
                    a.ranges[0].fixed().unwrap_or_default(),
                    a.arches,
                    a.modularity.as_deref().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                r#"bpftool 4.18.0-348.2.1.el8_5 ["x86_64"] -"#,
                r#"bpftool 5.18.0-348.2.1.el8_5 ["aarch64"] -"#,
                "lz4 1:1.8.3-3.el8_4 [] -",
                "libiscsi 1.18.0-8.module_el8.4.0+2523 [] virt:rhel",
            ]
        );
        assert!(one.affected.iter().all(|a| a.ecosystem == "AlmaLinux:8"));
        assert_eq!(
            one.affected[0].distro_severity.as_deref(),
            Some("Important")
        );
        // The package without an elN tag is a warning; the record without
        // an id is skipped; the bug-fix erratum is ignored.
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.skipped.len(), 1);
    }

    #[test]
    fn not_an_array_is_a_format_error() {
        assert!(matches!(parse_bytes(b"{}", "x"), Err(Error::Format { .. })));
        assert!(matches!(parse_bytes(b"[", "x"), Err(Error::Format { .. })));
    }
}
