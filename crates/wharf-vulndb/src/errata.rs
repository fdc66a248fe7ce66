//! What every rpm distribution's errata have in common, whatever the
//! document they come in ([`crate::almalinux`] JSON, [`crate::updateinfo`]
//! XML): an erratum id (`ALSA-2021:3253`, `RLSA-…`, `BRSA-…`), the CVEs it
//! fixes, and the fixed binary packages per architecture, perhaps of one
//! module stream.
//!
//! An erratum becomes one [`Advisory`] per CVE it references (the erratum
//! id goes to [`Advisory::related`]), merged across every erratum of the
//! document that fixes the CVE, as distributions' trackers report per CVE.
//! A security erratum without a CVE becomes an advisory of its own id.
//! Each fixed package becomes an [`Affected`]: range `introduced 0, fixed
//! [epoch:]version-release`, [`FixStatus::Fixed`], the erratum's severity
//! as [`Affected::distro_severity`] and its module stream as
//! [`Affected::modularity`].
//!
//! * A package fixed at the **same** version on every architecture listed
//!   applies to all architectures (a feed need not list every architecture
//!   the release ships, and a fix is a fix). Only when one erratum fixes a
//!   package at different versions on different architectures does each
//!   version carry its [`Affected::arches`].
//! * A package listed twice for one architecture (rebuilt for two minor
//!   releases, `module_el8.3.0` and `module_el8.4.0`) is fixed by the lower
//!   build: the higher one would flag the fixed lower build.

use std::collections::BTreeMap;

use crate::model::{Advisory, Affected, FixStatus, Range, truncate_details};
use crate::{Skipped, limits, looks_like_id};

/// One fixed binary package as an erratum lists it.
#[derive(Debug, Default)]
pub(crate) struct ListedPackage<'a> {
    pub(crate) name: &'a str,
    pub(crate) epoch: Option<&'a str>,
    pub(crate) version: &'a str,
    pub(crate) release: &'a str,
    pub(crate) arch: &'a str,
}

/// One security erratum, as read from its document.
#[derive(Debug, Default)]
pub(crate) struct Erratum<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: Option<String>,
    pub(crate) severity: Option<String>,
    /// `name:stream` of the module stream the packages belong to.
    pub(crate) module: Option<String>,
    /// Referenced ids, of any kind (only `CVE-…` ones are used).
    pub(crate) cves: Vec<&'a str>,
    pub(crate) packages: Vec<ListedPackage<'a>>,
    /// A link to the erratum.
    pub(crate) reference: Option<String>,
}

/// The advisories of one erratum. `ecosystem` names the feed ecosystem of
/// a package (`AlmaLinux:8` from its `el8` release tag…) or says why it
/// has none; such packages are warnings, and an erratum left without any
/// usable package is an error.
pub(crate) fn advisories(
    e: &Erratum<'_>,
    source: &str,
    ecosystem: impl Fn(&ListedPackage<'_>) -> Result<String, &'static str>,
    warnings: &mut Vec<Skipped>,
) -> Result<Vec<Advisory>, String> {
    if e.id.len() > limits::MAX_ID_LEN || !looks_like_id(e.id) {
        return Err("missing or invalid erratum id".into());
    }
    let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > limits::MAX_ID_LEN);
    if too_long(&e.module) || too_long(&e.severity) {
        return Err("module stream or severity longer than an identifier may be".into());
    }
    // (ecosystem, name) -> architecture -> the lowest fixed version.
    let mut fixes: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for (i, p) in e.packages.iter().enumerate() {
        let fixed = valid(p).and_then(|evr| Ok((ecosystem(p)?, evr)));
        match fixed {
            Ok((eco, evr)) => {
                let lowest = fixes
                    .entry((eco, p.name.to_owned()))
                    .or_default()
                    .entry(p.arch.to_owned())
                    .or_default();
                if lowest.is_empty() || rpm_less(&evr, lowest) {
                    *lowest = evr;
                }
            }
            Err(reason) => warnings.push(Skipped::new(format!("{}: packages[{i}]", e.id), reason)),
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
            af.distro_severity.clone_from(&e.severity);
            af.modularity.clone_from(&e.module);
            if per_arch {
                af.arches = arches;
            }
            affected.push(af);
        }
    }
    let mut cves: Vec<&str> = e
        .cves
        .iter()
        .copied()
        .filter(|c| c.starts_with("CVE-") && c.len() <= limits::MAX_ID_LEN && looks_like_id(c))
        .collect();
    cves.sort_unstable();
    cves.dedup();
    if cves.is_empty() {
        cves.push(e.id);
    }
    Ok(cves
        .into_iter()
        .map(|id| {
            let mut a = Advisory::new(id, source);
            a.summary = e.title.clone().map(truncate_details);
            a.affected.clone_from(&affected);
            a.references.extend(e.reference.iter().cloned());
            if id != e.id {
                a.related.push(e.id.to_owned());
            }
            a
        })
        .collect())
}

/// Folds an advisory into the one of the same id, if any.
pub(crate) fn merge_into(by_id: &mut BTreeMap<String, Advisory>, a: Advisory) {
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

/// `[epoch:]version-release` of a listed package, or why it is unusable.
fn valid(p: &ListedPackage<'_>) -> Result<String, &'static str> {
    let ok = |s: &str| {
        !s.is_empty() && s.len() <= limits::MAX_VERSION_LEN && !s.contains(char::is_whitespace)
    };
    if !ok(p.name) {
        return Err("missing or invalid name");
    }
    if !ok(p.version) || !ok(p.release) {
        return Err("missing or invalid version or release");
    }
    if !ok(p.arch) {
        return Err("missing or invalid arch");
    }
    Ok(match p.epoch {
        None | Some("" | "0") => format!("{}-{}", p.version, p.release),
        Some(e) if e.bytes().all(|b| b.is_ascii_digit()) && e.len() <= 10 => {
            format!("{e}:{}-{}", p.version, p.release)
        }
        Some(_) => return Err("invalid epoch"),
    })
}

/// Whether rpm version `a` sorts before `b` (unparsable versions compare
/// as text, so the choice stays deterministic).
fn rpm_less(a: &str, b: &str) -> bool {
    wharf_version::compare(wharf_version::Scheme::Rpm, a, b)
        .map_or(a < b, |o| o == std::cmp::Ordering::Less)
}

/// The major release of an Enterprise Linux release tag: `10.el8_4.1`,
/// `8.module_el8.4.0+2523+3300d70f` and `2.module+el8.4.0+543` → `8`.
pub(crate) fn el_major(release: &str) -> Option<&str> {
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

/// `<prefix>:<N>` for a package whose release names Enterprise Linux `N`.
pub(crate) fn el_ecosystem(prefix: &str, p: &ListedPackage<'_>) -> Result<String, &'static str> {
    el_major(p.release)
        .map(|major| format!("{prefix}:{major}"))
        .ok_or("no elN release tag in the package release")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_fields_are_refused_or_cut() {
        let package = ListedPackage {
            name: "a",
            epoch: None,
            version: "1",
            release: "1.el9",
            arch: "x86_64",
        };
        let long = "x".repeat(limits::MAX_ID_LEN + 1);
        let mut e = Erratum {
            id: "RLSA-2024:1",
            title: Some("t".repeat(1 << 20)),
            cves: vec!["CVE-2024-1"],
            packages: vec![package],
            ..Erratum::default()
        };
        let el = |p: &ListedPackage<'_>| el_ecosystem("Rocky Linux", p);
        let mut warnings = Vec::new();
        let a = advisories(&e, "t", el, &mut warnings).expect("advisory");
        assert!(a[0].summary.as_ref().is_some_and(|s| s.len() < 1 << 20));
        e.module = Some(long.clone());
        assert!(advisories(&e, "t", el, &mut warnings).is_err());
        e.module = None;
        e.packages[0].name = "a b";
        assert!(
            advisories(&e, "t", el, &mut warnings).is_err(),
            "no usable package"
        );
        assert_eq!(warnings.len(), 1);
    }

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
}
