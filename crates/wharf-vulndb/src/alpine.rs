//! Alpine secdb (`secdb.alpinelinux.org/<release>/<repo>.json`, and the
//! older YAML files of the `alpine-secdb` repository) → [`Advisory`].
//!
//! A secdb document lists, per package *origin*, `secfixes: {"<fixed
//! version>": ["<ids>", …]}`. Each secfix line becomes one affected entry
//! of the advisory named by the line's **first** identifier:
//!
//! * ecosystem `Alpine:<distroversion>` (`Alpine:v3.11`, `Alpine:edge`),
//!   package = origin, range `introduced 0, fixed <version>`, status
//!   [`FixStatus::Fixed`];
//! * fixed version `0` is Alpine's way to say the release was never
//!   affected: status [`FixStatus::NotAffected`] and no range;
//! * further identifiers on the same line (`CVE-2017-8904 XSA-214`) go to
//!   [`Advisory::related`], not `aliases`: the second id is typically a
//!   vendor advisory that bundles several CVEs (XSA-224 covers three), so
//!   treating it as an alias would merge distinct CVEs;
//! * placeholders such as `CVE-????-?????` are not identifiers, so
//!   `CVE-????-????? XSA-284` becomes advisory `XSA-284`;
//! * a line without any identifier-looking token is skipped with a reason
//!   (the real data has two: `CVE_2019-2426`, `CVE 2018-16859`);
//! * a version listing nothing (`null`, `[]`, or `{}` as secdb JSON
//!   writes it) yields no record and a warning.
//!
//! Advisories come out sorted by id, one per id per document; the same
//! (package, version, id) twice is kept once.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::model::{Advisory, Affected, FixStatus, Range};
use crate::{Error, ImportReport, Skipped, limits, sources};

/// Imports a secdb file (JSON or YAML, chosen by content).
pub fn import_path(path: &Path) -> Result<ImportReport, Error> {
    let data = crate::read_file(path)?;
    parse_bytes(&data, &path.display().to_string())
}

/// Parses a secdb document. A document that is not JSON/YAML, or lacks a
/// valid `distroversion`, is an [`Error::Format`]; a bad package or line
/// is skipped.
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<ImportReport, Error> {
    let fmt_err = |reason: String| Error::Format {
        path: origin.into(),
        format: "Alpine secdb",
        reason,
    };
    let text = std::str::from_utf8(data).map_err(|_| fmt_err("not UTF-8".into()))?;
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let doc: Value = if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| fmt_err(e.to_string()))?
    } else {
        yaml_serde::from_str(text).map_err(|e| fmt_err(e.to_string()))?
    };
    let release = doc
        .get("distroversion")
        .and_then(Value::as_str)
        .ok_or_else(|| fmt_err("missing distroversion".into()))?;
    if !valid_release(release) {
        return Err(fmt_err(format!(
            "unexpected distroversion {:?}",
            release.chars().take(64).collect::<String>()
        )));
    }
    let ecosystem = format!("Alpine:{release}");
    let packages = match doc.get("packages") {
        Some(Value::Array(p)) => p.as_slice(),
        // secdb serves an empty object for a repository without fixes.
        Some(Value::Null) | None => &[],
        Some(Value::Object(o)) if o.is_empty() => &[],
        Some(_) => return Err(fmt_err("`packages` is not a list".into())),
    };
    let mut report = ImportReport::default();
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        let pkg = p.get("pkg").unwrap_or(p);
        let Some(name) = pkg
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| valid_name(n))
        else {
            report.skipped.push(Skipped::new(
                format!("{origin}: packages[{i}]"),
                "missing or invalid package name",
            ));
            continue;
        };
        let secfixes = match pkg.get("secfixes") {
            Some(Value::Object(m)) => m,
            Some(Value::Null) | None => continue,
            Some(_) => {
                report.skipped.push(Skipped::new(
                    format!("{origin}: {name}"),
                    "`secfixes` is not a map",
                ));
                continue;
            }
        };
        for (version, lines) in secfixes {
            let what = format!("{origin}: {name} {version}");
            if version.is_empty()
                || version.len() > limits::MAX_VERSION_LEN
                || version.contains(char::is_whitespace)
            {
                report
                    .skipped
                    .push(Skipped::new(what, "invalid fixed version"));
                continue;
            }
            let lines: Vec<&Value> = match lines {
                Value::Array(a) if !a.is_empty() => a.iter().collect(),
                // `null`, `[]` and `{}` (secdb JSON) list nothing: no record.
                Value::Array(_) | Value::Null => {
                    report
                        .warnings
                        .push(Skipped::new(what, "no identifiers listed"));
                    continue;
                }
                Value::Object(o) if o.is_empty() => {
                    report
                        .warnings
                        .push(Skipped::new(what, "no identifiers listed"));
                    continue;
                }
                other => vec![other],
            };
            for line in lines {
                let Some(line) = line.as_str() else {
                    report
                        .skipped
                        .push(Skipped::new(what.clone(), "secfix entry is not a string"));
                    continue;
                };
                let mut ids = line.split_whitespace().filter(|t| crate::looks_like_id(t));
                let Some(first) = ids.next() else {
                    report.skipped.push(Skipped::new(
                        what.clone(),
                        format!(
                            "no identifier in {:?}",
                            line.chars().take(80).collect::<String>()
                        ),
                    ));
                    continue;
                };
                let adv = by_id
                    .entry(first.to_owned())
                    .or_insert_with(|| Advisory::new(first, sources::ALPINE));
                for other in ids {
                    if other != first && !adv.related.iter().any(|r| r == other) {
                        adv.related.push(other.to_owned());
                    }
                }
                let mut affected = Affected::new(&ecosystem, name);
                if version == "0" {
                    affected.status = FixStatus::NotAffected;
                } else {
                    affected.status = FixStatus::Fixed;
                    affected.ranges.push(Range::fixed_in(version));
                }
                if !adv.affected.contains(&affected) {
                    adv.affected.push(affected);
                }
            }
        }
    }
    report.imported = by_id.into_values().collect();
    Ok(report)
}

fn valid_release(r: &str) -> bool {
    r == "edge"
        || r.strip_prefix('v').is_some_and(|v| {
            let mut parts = v.split('.');
            matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
                if !a.is_empty() && !b.is_empty() && a.len() < 4 && b.len() < 4
                    && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
        })
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.len() <= limits::MAX_ID_LEN && !n.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_not_affected_and_extra_ids_are_related() {
        let doc = br#"{"distroversion":"v3.19","reponame":"main","packages":[{"pkg":{"name":"xen","secfixes":{"0":["CVE-2020-1"],"4.9.0-r1":["CVE-2017-8904 XSA-214"],"1-r0":["no id here"]}}}]}"#;
        let r = parse_bytes(doc, "t").expect("parse");
        assert_eq!(r.imported.len(), 2);
        let na = r
            .imported
            .iter()
            .find(|a| a.id == "CVE-2020-1")
            .expect("CVE-2020-1");
        assert_eq!(na.affected[0].status, FixStatus::NotAffected);
        assert!(na.affected[0].ranges.is_empty());
        let x = r
            .imported
            .iter()
            .find(|a| a.id == "CVE-2017-8904")
            .expect("CVE-2017-8904");
        assert_eq!(x.related, vec!["XSA-214"]);
        assert_eq!(x.affected[0].ecosystem, "Alpine:v3.19");
        assert_eq!(x.affected[0].ranges[0].fixed(), Some("4.9.0-r1"));
        assert_eq!(r.skipped.len(), 1);
    }

    #[test]
    fn bad_release_is_an_error() {
        assert!(parse_bytes(br#"{"distroversion":"3.19","packages":[]}"#, "t").is_err());
        assert!(parse_bytes(b"{not json", "t").is_err());
    }
}
