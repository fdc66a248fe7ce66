//! Debian security tracker JSON
//! (`https://security-tracker.debian.org/tracker/data/json`) → [`Advisory`].
//!
//! The document is `{source_pkg: {issue_id: {description, scope, debianbug,
//! releases: {codename: {status, fixed_version, urgency, nodsa,
//! nodsa_reason, repositories}}}}}`. One [`Advisory`] is produced per
//! issue × source package (id = the issue id: `CVE-…`, `TEMP-…`), with one
//! [`Affected`] per release:
//!
//! | tracker | [`FixStatus`] | range |
//! |---|---|---|
//! | `resolved`, `fixed_version` `0` | `NotAffected` | none |
//! | `resolved`, `fixed_version` v | `Fixed` | `introduced 0, fixed v` |
//! | `open`, `nodsa_reason` `ignored` or `postponed` | `WontFix` | none |
//! | `open` otherwise (incl. plain `<no-dsa>`, which may still be fixed in a point release) | `Unfixed` | none |
//! | `undetermined`, anything else | `Unknown` | none |
//!
//! Ecosystem: `Debian:<major>` from the codename ([`RELEASES`]). `sid` has
//! no OSV ecosystem and is not a release images ship with a fixed version
//! set, so it is skipped silently; an unknown codename is skipped with a
//! reason. `urgency` (with the tracker's `*` "unconfirmed" marks removed;
//! `not yet assigned` dropped) becomes [`Affected::distro_severity`].
//! `description` becomes `summary` (the tracker's text is a one-line
//! excerpt).

use std::path::Path;

use serde_json::{Map, Value};

use crate::model::{Advisory, Affected, FixStatus, Range};
use crate::{Error, ImportReport, Skipped, limits, sources};

/// Debian codenames and their major versions (OSV `Debian:<major>`).
pub const RELEASES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// The OSV ecosystem for a codename (`bookworm` → `Debian:12`).
pub fn ecosystem_for(codename: &str) -> Option<String> {
    RELEASES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, v)| format!("Debian:{v}"))
}

/// Imports the tracker JSON from a file (plain or gzip-compressed).
pub fn import_path(path: &Path) -> Result<ImportReport, Error> {
    let (data, name) = crate::read_feed(path)?;
    parse_bytes(&data, &name)
}

/// Parses the tracker JSON. A document that is not a JSON object is an
/// [`Error::Format`]; a malformed package, issue or release entry is
/// skipped with a reason.
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<ImportReport, Error> {
    let doc: Map<String, Value> = serde_json::from_slice(data).map_err(|e| Error::Format {
        path: origin.into(),
        format: "Debian security tracker JSON",
        reason: e.to_string(),
    })?;
    let mut report = ImportReport::default();
    for (package, issues) in &doc {
        if package.is_empty()
            || package.len() > limits::MAX_ID_LEN
            || package.contains(char::is_whitespace)
        {
            report.skipped.push(Skipped::new(
                package.chars().take(80).collect::<String>(),
                "invalid source package name",
            ));
            continue;
        }
        let Some(issues) = issues.as_object() else {
            report.skipped.push(Skipped::new(
                package.as_str(),
                "package entry is not an object",
            ));
            continue;
        };
        for (id, issue) in issues {
            let what = format!("{id}/{package}");
            match convert(package, id, issue, &mut report) {
                Ok(adv) => report.imported.push(adv),
                Err(reason) => report.skipped.push(Skipped::new(what, reason)),
            }
        }
    }
    Ok(report)
}

fn convert(
    package: &str,
    id: &str,
    issue: &Value,
    report: &mut ImportReport,
) -> Result<Advisory, String> {
    if !crate::looks_like_id(id) {
        return Err("invalid issue id".into());
    }
    let issue = issue.as_object().ok_or("issue entry is not an object")?;
    let mut adv = Advisory::new(id, sources::DEBIAN);
    adv.summary = issue
        .get("description")
        .and_then(Value::as_str)
        .map(|d| crate::model::truncate_details(d.trim().to_owned()))
        .filter(|d| !d.is_empty());
    if let Some(bug) = issue.get("debianbug").and_then(Value::as_u64) {
        adv.references
            .push(format!("https://bugs.debian.org/{bug}"));
    }
    adv.references
        .push(format!("https://security-tracker.debian.org/tracker/{id}"));
    let releases = match issue.get("releases") {
        Some(Value::Object(r)) => r,
        Some(_) => return Err("`releases` is not an object".into()),
        None => return Err("no `releases`".into()),
    };
    for (codename, rel) in releases {
        if codename == "sid" {
            continue;
        }
        let Some(ecosystem) = ecosystem_for(codename) else {
            report.skipped.push(Skipped::new(
                format!(
                    "{id}/{package}/{}",
                    codename.chars().take(32).collect::<String>()
                ),
                "unknown Debian codename",
            ));
            continue;
        };
        let rel = rel
            .as_object()
            .ok_or_else(|| format!("release {codename} is not an object"))?;
        let get = |k: &str| rel.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let mut affected = Affected::new(ecosystem, package);
        affected.distro_severity = get("urgency")
            .map(|u| u.trim_end_matches('*'))
            .filter(|u| !u.is_empty() && *u != "not yet assigned")
            .map(str::to_owned);
        match get("status") {
            Some("resolved") => match get("fixed_version") {
                Some("0") => affected.status = FixStatus::NotAffected,
                Some(v) => {
                    if v.len() > limits::MAX_VERSION_LEN || v.contains(char::is_whitespace) {
                        return Err(format!("invalid fixed_version in {codename}"));
                    }
                    affected.status = FixStatus::Fixed;
                    affected.ranges.push(Range::fixed_in(v));
                }
                None => affected.status = FixStatus::Unknown,
            },
            Some("open") => {
                affected.status = match get("nodsa_reason") {
                    Some("ignored" | "postponed") => FixStatus::WontFix,
                    _ => FixStatus::Unfixed,
                };
            }
            _ => affected.status = FixStatus::Unknown,
        }
        adv.affected.push(affected);
    }
    Ok(adv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let doc = br#"{"pkg":{"CVE-2024-1":{"description":"d","scope":"remote","releases":{
            "bookworm":{"status":"resolved","fixed_version":"1.2-1","urgency":"low**"},
            "bullseye":{"status":"open","urgency":"unimportant","nodsa":"Minor issue","nodsa_reason":""},
            "buster":{"status":"open","urgency":"low","nodsa":"x","nodsa_reason":"ignored"},
            "stretch":{"status":"resolved","fixed_version":"0","urgency":"not yet assigned"},
            "trixie":{"status":"undetermined"},
            "sid":{"status":"resolved","fixed_version":"1.2-1"},
            "nocodename":{"status":"open"}}}}}"#;
        let r = parse_bytes(doc, "t").expect("parse");
        let a = &r.imported[0];
        let st = |eco: &str| {
            a.affected
                .iter()
                .find(|x| x.ecosystem == eco)
                .map(|x| x.status)
        };
        assert_eq!(st("Debian:12"), Some(FixStatus::Fixed));
        assert_eq!(st("Debian:11"), Some(FixStatus::Unfixed));
        assert_eq!(st("Debian:10"), Some(FixStatus::WontFix));
        assert_eq!(st("Debian:9"), Some(FixStatus::NotAffected));
        assert_eq!(st("Debian:13"), Some(FixStatus::Unknown));
        assert_eq!(a.affected.len(), 5);
        let b = a
            .affected
            .iter()
            .find(|x| x.ecosystem == "Debian:12")
            .expect("bookworm");
        assert_eq!(b.distro_severity.as_deref(), Some("low"));
        assert_eq!(r.skipped.len(), 1);
    }
}
