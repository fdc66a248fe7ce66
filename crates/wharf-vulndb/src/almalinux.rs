//! AlmaLinux errata (`https://errata.almalinux.org/<major>/errata.json`)
//! → [`Advisory`].
//!
//! The document is a JSON array of updateinfo records (`updateinfo_id`
//! `ALSA-2021:3253`, `type`, `severity`, `references`, and a `pkglist`
//! holding the fixed binary packages per architecture and, for module
//! streams, the `module` they belong to). Unlike the OSV export of the
//! same data, it keeps the architecture of every package, which is what
//! this importer is for.
//!
//! * Only `type: security` records are vulnerabilities; bug-fix and
//!   enhancement errata are ignored (not reported as skipped).
//! * One [`Advisory`] per CVE the record references (the errata id goes to
//!   [`Advisory::related`]), merged across every erratum that fixes that
//!   CVE, as the distribution's tracker reports per CVE; a security erratum
//!   without a CVE reference becomes an advisory of its own id.
//! * Each fixed package becomes an [`Affected`] with ecosystem
//!   `AlmaLinux:<major>` (the major release from the package's `elN`
//!   release tag), the binary package name, range `introduced 0, fixed
//!   [epoch:]version-release`, [`FixStatus::Fixed`], the erratum's severity
//!   as [`Affected::distro_severity`], and the module stream (`virt:rhel`)
//!   as [`Affected::modularity`].
//! * Architectures: a package fixed at the **same** version on every
//!   architecture the erratum lists is recorded for all architectures (the
//!   feed may not list every architecture the release ships, and a fix
//!   is a fix). Only when one erratum fixes a package at different
//!   versions on different architectures does each version carry its
//!   [`Affected::arches`].
//! * A package listed twice for one architecture (rebuilt for two minor
//!   releases, `module_el8.3.0` and `module_el8.4.0`) is fixed by the
//!   lower build: the higher one would flag the fixed lower build.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::model::{Advisory, Affected, FixStatus, Range};
use crate::{Error, ImportReport, Skipped, limits, looks_like_id, sources};

/// Imports an errata document from a file.
pub fn import_path(path: &Path) -> Result<ImportReport, Error> {
    let data = crate::read_file(path)?;
    let name = path.display().to_string();
    let data = crate::maybe_gunzip(&data, &name)?;
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
                    merge_into(&mut by_id, a);
                }
            }
            Err(reason) => report.skipped.push(Skipped::new(what, reason)),
        }
    }
    report.imported = by_id.into_values().collect();
    Ok(report)
}

/// Folds an advisory into the one of the same id, if any.
fn merge_into(by_id: &mut BTreeMap<String, Advisory>, a: Advisory) {
    let Some(existing) = by_id.get_mut(&a.id) else {
        by_id.insert(a.id.clone(), a);
        return;
    };
    for r in a.related {
        if !existing.related.contains(&r) {
            existing.related.push(r);
        }
    }
    existing.related.sort();
    for af in a.affected {
        if !existing.affected.contains(&af) {
            existing.affected.push(af);
        }
    }
    for r in a.references {
        if !existing.references.contains(&r) {
            existing.references.push(r);
        }
    }
}

/// The advisories one erratum yields: `None` for an erratum that is not a
/// security erratum (ignored), an error for a malformed record.
fn erratum_advisories(
    r: &Value,
    warnings: &mut Vec<Skipped>,
) -> Result<Option<Vec<Advisory>>, String> {
    let r = r.as_object().ok_or("record is not an object")?;
    let id = r
        .get("updateinfo_id")
        .and_then(Value::as_str)
        .filter(|id| id.len() <= limits::MAX_ID_LEN && looks_like_id(id))
        .ok_or("missing or invalid updateinfo_id")?;
    if r.get("type").and_then(Value::as_str) != Some("security") {
        return Ok(None);
    }
    let severity = r
        .get("severity")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= limits::MAX_ID_LEN)
        .map(str::to_owned);
    let pkglist = r.get("pkglist").ok_or("no pkglist")?;
    let module = match pkglist.get("module") {
        Some(Value::Object(m)) => {
            let part = |k: &str| m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            match (part("name"), part("stream")) {
                (Some(n), Some(s)) => Some(format!("{n}:{s}")),
                _ => return Err("module without name or stream".into()),
            }
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err("`pkglist.module` is not an object".into()),
    };
    let packages = pkglist
        .get("packages")
        .and_then(Value::as_array)
        .ok_or("`pkglist.packages` is not a list")?;
    // (ecosystem, name) -> architecture -> the lowest fixed version listed
    // for it (an erratum may list a package twice, rebuilt for two minor
    // releases: the earlier build is the fix).
    let mut fixes: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        match fixed_package(p) {
            Ok((eco, name, evr, arch)) => {
                let lowest = fixes
                    .entry((eco, name))
                    .or_default()
                    .entry(arch)
                    .or_default();
                if lowest.is_empty() || rpm_less(&evr, lowest) {
                    *lowest = evr;
                }
            }
            Err(reason) => warnings.push(Skipped::new(format!("{id}: packages[{i}]"), reason)),
        }
    }
    if fixes.is_empty() {
        return Err("no usable fixed package".into());
    }
    let mut affected = Vec::new();
    for ((eco, name), by_arch) in fixes {
        // fixed version -> architectures (sorted: the map's order).
        let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (arch, evr) in by_arch {
            versions.entry(evr).or_default().push(arch);
        }
        let per_arch = versions.len() > 1;
        for (evr, arches) in versions {
            let mut af = Affected::new(eco.clone(), name.clone());
            af.ranges.push(Range::fixed_in(evr));
            af.status = FixStatus::Fixed;
            af.distro_severity.clone_from(&severity);
            af.modularity.clone_from(&module);
            if per_arch {
                af.arches = arches;
            }
            affected.push(af);
        }
    }
    let mut cves: Vec<&str> = r
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| x.get("type").and_then(Value::as_str) == Some("cve"))
        .filter_map(|x| x.get("id").and_then(Value::as_str))
        .filter(|c| c.starts_with("CVE-") && c.len() <= limits::MAX_ID_LEN && looks_like_id(c))
        .collect();
    cves.sort_unstable();
    cves.dedup();
    let title = r
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let reference = format!(
        "https://errata.almalinux.org/{}/{}.html",
        affected
            .first()
            .and_then(|a| a.ecosystem.strip_prefix("AlmaLinux:"))
            .unwrap_or_default(),
        id.replace(':', "-")
    );
    let advisory = |adv_id: &str| {
        let mut a = Advisory::new(adv_id, sources::ALMALINUX);
        a.summary.clone_from(&title);
        a.affected.clone_from(&affected);
        a.references.push(reference.clone());
        if adv_id != id {
            a.related.push(id.to_owned());
        }
        a
    };
    Ok(Some(if cves.is_empty() {
        vec![advisory(id)]
    } else {
        cves.into_iter().map(advisory).collect()
    }))
}

/// Whether rpm version `a` sorts before `b` (unparsable versions compare
/// as text, so the choice stays deterministic).
fn rpm_less(a: &str, b: &str) -> bool {
    wharf_version::compare(wharf_version::Scheme::Rpm, a, b)
        .map_or(a < b, |o| o == std::cmp::Ordering::Less)
}

/// (ecosystem, name, `[epoch:]version-release`, arch) of one listed package.
fn fixed_package(p: &Value) -> Result<(String, String, String, String), &'static str> {
    let s = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= limits::MAX_VERSION_LEN)
            .filter(|s| !s.contains(char::is_whitespace))
    };
    let name = s("name").ok_or("missing or invalid name")?;
    let version = s("version").ok_or("missing or invalid version")?;
    let release = s("release").ok_or("missing or invalid release")?;
    let arch = s("arch").ok_or("missing or invalid arch")?;
    let major = el_major(release).ok_or("no elN release tag in the package release")?;
    let evr = match s("epoch") {
        None | Some("0") => format!("{version}-{release}"),
        Some(e) if e.bytes().all(|b| b.is_ascii_digit()) && e.len() <= 10 => {
            format!("{e}:{version}-{release}")
        }
        Some(_) => return Err("invalid epoch"),
    };
    Ok((
        format!("AlmaLinux:{major}"),
        name.to_owned(),
        evr,
        arch.to_owned(),
    ))
}

/// The major release of an Enterprise Linux release tag: `10.el8_4.1`,
/// `8.module_el8.4.0+2523+3300d70f` and `2.module+el8.4.0+543` → `8`.
fn el_major(release: &str) -> Option<&str> {
    let bytes = release.as_bytes();
    let mut from = 0;
    while let Some(pos) = release[from..].find("el") {
        let at = from + pos;
        let boundary = at == 0 || matches!(bytes[at - 1], b'.' | b'_' | b'+');
        let digits = release[at + 2..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if boundary && digits > 0 {
            return Some(&release[at + 2..at + 2 + digits]);
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn el_majors() {
        assert_eq!(el_major("10.el8_4.1"), Some("8"));
        assert_eq!(el_major("8.module_el8.4.0+2523+3300d70f"), Some("8"));
        assert_eq!(el_major("2.module+el8.4.0+543+efbf198b.1"), Some("8"));
        assert_eq!(el_major("1.el9"), Some("9"));
        assert_eq!(el_major("1.fc40"), None);
        assert_eq!(el_major("1.del8"), None);
        assert_eq!(el_major("1.el"), None);
    }

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
