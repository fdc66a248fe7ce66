//! RustSec advisories (`crates/<name>/RUSTSEC-*.md`: a fenced TOML front
//! matter followed by markdown) → [`Advisory`].
//!
//! RustSec describes affected versions by the SemVer requirements a *safe*
//! version satisfies (`[versions] patched`, `unaffected`). They are kept
//! verbatim in [`Affected::requirements`] (see [`SemverRequirements`]) and
//! validated with `semver::VersionReq` at import time; `ranges` stays
//! empty. Other mappings:
//!
//! * ecosystem `crates.io`, purl `pkg:cargo/<package>`; the advisories of
//!   the `rust/` folder (`std`, `cargo`, `rustdoc`) keep their package name
//!   as given.
//! * title (first `# ` heading) → `summary`; the rest of the markdown →
//!   `details`; `date` → `published`; `url` + `references` → `references`;
//!   `cvss` → a CVSS v3/v4 severity; `informational` →
//!   [`Advisory::informational`]; `[affected] functions` keys →
//!   [`Affected::symbols`].
//! * an advisory with `withdrawn` set is skipped with reason `withdrawn`.

use std::path::Path;

use crate::model::{Advisory, Affected, FixStatus, SemverRequirements, truncate_details};
use crate::{Error, ImportReport, Skipped, limits, sources};

/// Imports every `*.md` advisory below `dir` (recursively). Other files are
/// listed as skipped.
pub fn import_dir(dir: &Path) -> Result<ImportReport, Error> {
    let mut report = ImportReport::default();
    for path in crate::osv::walk(dir)? {
        let name = path.display().to_string();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            report
                .skipped
                .push(Skipped::new(name, "not a RustSec advisory (expects .md)"));
            continue;
        }
        match crate::read_file(&path) {
            Ok(data) => report.extend(parse_bytes(&data, &name)),
            Err(e) => report.skipped.push(Skipped::new(name, e.to_string())),
        }
    }
    Ok(report)
}

/// Parses one advisory file; `origin` names it in skip reasons.
pub fn parse_bytes(data: &[u8], origin: &str) -> ImportReport {
    let mut report = ImportReport::default();
    match parse(data) {
        Ok(Parsed::Advisory(adv, warnings)) => {
            report.warnings.extend(
                warnings
                    .into_iter()
                    .map(|w| Skipped::new(adv.id.clone(), w)),
            );
            report.imported.push(*adv);
        }
        Ok(Parsed::Withdrawn(id)) => report.skipped.push(Skipped::new(id, "withdrawn")),
        Err(reason) => report.skipped.push(Skipped::new(origin, reason)),
    }
    report
}

enum Parsed {
    Advisory(Box<Advisory>, Vec<String>),
    Withdrawn(String),
}

/// Splits the front matter from the markdown body.
fn split(text: &str) -> Result<(&str, &str), String> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let (open, close) = if text.starts_with("```toml") {
        ("```toml", "\n```")
    } else if text.starts_with("---") {
        ("---", "\n---")
    } else {
        return Err("no TOML front matter (expects a ```toml fence)".into());
    };
    let rest = &text[open.len()..];
    let end = rest.find(close).ok_or("unterminated TOML front matter")?;
    Ok((&rest[..end], &rest[end + close.len()..]))
}

fn str_field<'a>(t: &'a toml::Table, key: &str) -> Result<Option<&'a str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(toml::Value::Datetime(_)) => Err(format!("`{key}` must be a quoted string")),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn str_list(t: &toml::Table, key: &str) -> Result<Vec<String>, String> {
    match t.get(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(a)) => {
            if a.len() > limits::MAX_VERSIONS {
                return Err(format!("`{key}` has {} entries", a.len()));
            }
            a.iter()
                .map(|v| match v {
                    toml::Value::String(s) if s.len() <= limits::MAX_VERSION_LEN => Ok(s.clone()),
                    toml::Value::String(_) => Err(format!("`{key}` entry too long")),
                    _ => Err(format!("`{key}` entries must be strings")),
                })
                .collect()
        }
        Some(_) => Err(format!("`{key}` must be an array of strings")),
    }
}

fn requirements(key: &str, reqs: &[String]) -> Result<(), String> {
    for r in reqs {
        semver::VersionReq::parse(r)
            .map_err(|e| format!("invalid `{key}` requirement {r:?}: {e}"))?;
    }
    Ok(())
}

fn parse(data: &[u8]) -> Result<Parsed, String> {
    let text = std::str::from_utf8(data).map_err(|_| "not UTF-8".to_owned())?;
    let (front, body) = split(text)?;
    let doc: toml::Table =
        toml::from_str(front).map_err(|e| format!("malformed TOML front matter: {e}"))?;
    let Some(toml::Value::Table(adv_t)) = doc.get("advisory") else {
        return Err("missing [advisory] table".into());
    };
    let id = str_field(adv_t, "id")?.ok_or("missing advisory.id")?;
    if !crate::looks_like_id(id) {
        return Err(format!(
            "invalid advisory id {:?}",
            id.chars().take(64).collect::<String>()
        ));
    }
    if str_field(adv_t, "withdrawn")?.is_some() {
        return Ok(Parsed::Withdrawn(id.to_owned()));
    }
    let package = str_field(adv_t, "package")?.ok_or("missing advisory.package")?;
    if package.is_empty() || package.len() > limits::MAX_ID_LEN {
        return Err("invalid advisory.package".into());
    }
    let mut warnings = Vec::new();
    let mut adv = Advisory::new(id, sources::RUSTSEC);
    adv.aliases = str_list(adv_t, "aliases")?;
    adv.related = str_list(adv_t, "related")?;
    adv.published = str_field(adv_t, "date")?.map(str::to_owned);
    adv.informational = str_field(adv_t, "informational")?.map(str::to_owned);
    adv.references
        .extend(str_field(adv_t, "url")?.map(str::to_owned));
    adv.references.extend(str_list(adv_t, "references")?);
    if let Some(v) = str_field(adv_t, "cvss")? {
        adv.severity.push(crate::osv::severity(
            if v.starts_with("CVSS:4") {
                "CVSS_V4"
            } else {
                "CVSS_V3"
            },
            v,
            &mut warnings,
        )?);
    }
    // Markdown: first `# ` heading is the title, the rest the description.
    let body = body.trim();
    let (title, details) = match body.strip_prefix("# ") {
        Some(rest) => {
            let (t, d) = rest.split_once('\n').unwrap_or((rest, ""));
            (Some(t.trim()), d.trim())
        }
        None => (None, body),
    };
    adv.summary = title
        .filter(|t| !t.is_empty())
        .map(|t| truncate_details(t.to_owned()));
    adv.details = Some(details)
        .filter(|d| !d.is_empty())
        .map(|d| truncate_details(d.to_owned()));

    let versions = match doc.get("versions") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err("[versions] must be a table".into()),
        None => return Err("missing [versions] table".into()),
    };
    let patched = str_list(versions, "patched")?;
    let unaffected = str_list(versions, "unaffected")?;
    requirements("patched", &patched)?;
    requirements("unaffected", &unaffected)?;

    let mut affected = Affected::new("crates.io", package);
    affected.purl = Some(format!("pkg:cargo/{package}"));
    affected.status = if patched.is_empty() {
        FixStatus::Unfixed
    } else {
        FixStatus::Fixed
    };
    affected.requirements = Some(SemverRequirements {
        patched,
        unaffected,
    });
    if let Some(toml::Value::Table(a)) = doc.get("affected")
        && let Some(toml::Value::Table(funcs)) = a.get("functions")
    {
        affected.symbols = funcs.keys().take(limits::MAX_EVENTS).cloned().collect();
    }
    adv.affected.push(affected);
    Ok(Parsed::Advisory(Box::new(adv), warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\ndate = \"2099-01-01\"\naliases = [\"CVE-2099-1\"]\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\n\n[affected.functions]\n\"demo::f\" = [\"< 1.2.0\"]\n\n[versions]\npatched = [\">= 1.2.0\"]\nunaffected = [\"< 0.5\"]\n```\n\n# Demo is broken\n\nLong text.\n";

    #[test]
    fn parses_sample() {
        let r = parse_bytes(SAMPLE.as_bytes(), "t");
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let a = &r.imported[0];
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        assert_eq!(a.summary.as_deref(), Some("Demo is broken"));
        assert_eq!(a.details.as_deref(), Some("Long text."));
        assert_eq!(a.severity[0].score, Some(9.8));
        let req = a.affected[0].requirements.as_ref().expect("requirements");
        assert_eq!(req.patched, vec![">= 1.2.0"]);
        assert_eq!(req.unaffected, vec!["< 0.5"]);
        assert_eq!(a.affected[0].symbols, vec!["demo::f"]);
    }

    #[test]
    fn bad_requirement_is_skipped() {
        let bad = SAMPLE.replace(">= 1.2.0\"]\nunaffected", ">= one\"]\nunaffected");
        let r = parse_bytes(bad.as_bytes(), "t");
        assert!(r.imported.is_empty());
        assert!(r.skipped[0].reason.contains("patched"), "{:?}", r.skipped);
    }
}
