//! SARIF 2.1.0.
//!
//! One run whose driver is wharf. Each vulnerability id is a rule
//! (`reportingDescriptor`): its summary as the short description, its
//! osv.dev page as `helpUri`, its severity as the default level
//! (critical and high → `error`, medium → `warning`, anything else →
//! `note`) and, in its properties, the severity, the CVSS score (also as
//! `security-severity`, the property code-scanning services sort by) and
//! the aliases. Each match is a result: the rule, the level, a one-line
//! message with the fix, the package's path inside the image as the
//! physical location and image + package as the logical one, a stable
//! `partialFingerprints` entry, and the match's details as properties.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wharf_inventory::Inventory;
use wharf_types::Digest;

use super::{fix_message, osv_url, state_name};
use crate::Match;

/// The JSON schema a SARIF 2.1.0 log declares (`$schema`).
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where wharf's documentation lives (`tool.driver.informationUri`).
const INFORMATION_URI: &str = "https://github.com/wharf-scanner/wharf";

/// The key of wharf's entry in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "wharfVulnerability/v1";

/// SARIF `level` of a severity: critical/high → `error`, medium →
/// `warning`, low, negligible and unknown → `note`.
fn level(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

/// The SARIF 2.1.0 log of a scan: every image's matches as results of one
/// run.
///
/// `images` pairs each scanned image's inventory with its matches;
/// `tool_version` is the wharf version recorded as the driver's.
pub fn to_sarif(images: &[(&Inventory, Vec<Match>)], tool_version: &str) -> Value {
    // Rules in id order; a rule's details come from its first match.
    let mut first: BTreeMap<&str, &Match> = BTreeMap::new();
    for (_, matches) in images {
        for m in matches {
            first.entry(m.id.as_str()).or_insert(m);
        }
    }
    let index: BTreeMap<&str, usize> = first.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = first.values().map(|m| rule(m)).collect();
    let results: Vec<Value> = images
        .iter()
        .flat_map(|(inv, matches)| {
            let index = &index;
            matches
                .iter()
                .map(move |m| result(inv, m, index[m.id.as_str()]))
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "wharf",
                    "version": tool_version,
                    "semanticVersion": tool_version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                },
            },
            "results": results,
        }],
    })
}

fn rule(m: &Match) -> Value {
    let mut props = Map::new();
    props.insert("severity".into(), json!(m.severity));
    props.insert("severitySource".into(), json!(m.severity_source));
    if let Some(s) = m.cvss_score {
        props.insert("cvssScore".into(), json!(round1(s)));
        props.insert("security-severity".into(), json!(format!("{:.1}", s)));
    }
    if !m.aliases.is_empty() {
        props.insert("aliases".into(), json!(m.aliases));
    }
    props.insert(
        "tags".into(),
        json!(["security", "vulnerability", m.severity]),
    );
    json!({
        "id": m.id,
        "shortDescription": { "text": m.summary.as_deref().unwrap_or(&m.id) },
        "helpUri": osv_url(&m.id),
        "defaultConfiguration": { "level": level(&m.severity) },
        "properties": props,
    })
}

fn result(inv: &Inventory, m: &Match, rule_index: usize) -> Value {
    let image = if inv.image.source.is_empty() {
        "image"
    } else {
        inv.image.source.as_str()
    };
    let logical = json!({
        "name": m.package,
        "fullyQualifiedName": format!("{image}//{}@{}", m.package, m.installed_version),
        "kind": "package",
    });
    let mut location = Map::new();
    if let Some(path) = m.locations.first() {
        location.insert(
            "physicalLocation".into(),
            json!({ "artifactLocation": { "uri": uri_path(path) } }),
        );
    }
    location.insert("logicalLocations".into(), json!([logical]));

    let mut props = Map::new();
    props.insert("image".into(), json!(image));
    props.insert("ecosystem".into(), json!(m.ecosystem.to_string()));
    props.insert("package".into(), json!(m.package));
    props.insert("installedVersion".into(), json!(m.installed_version));
    props.insert("fixedVersions".into(), json!(m.fixed_versions));
    props.insert("state".into(), json!(state_name(m.state)));
    props.insert("severity".into(), json!(m.severity));
    props.insert("kev".into(), json!(m.kev));
    if let Some(e) = m.epss {
        props.insert("epss".into(), json!(e));
    }
    if let Some(e) = m.epss_percentile {
        props.insert("epssPercentile".into(), json!(e));
    }
    if let Some(l) = &m.layer {
        props.insert("layer".into(), json!(l.to_string()));
    }
    if m.locations.len() > 1 {
        props.insert("locations".into(), json!(m.locations));
    }
    props.insert("advisory".into(), json!(m.advisory));
    props.insert("feed".into(), json!(m.source));
    props.insert("snapshotId".into(), json!(m.snapshot_id));

    json!({
        "ruleId": m.id,
        "ruleIndex": rule_index,
        "level": level(&m.severity),
        "message": { "text": fix_message(m) },
        "locations": [location],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(m) },
        "properties": props,
    })
}

/// A stable fingerprint of a match: SHA-256 of the vulnerability id,
/// ecosystem, package, installed version and first location — the same
/// finding gets the same fingerprint in every scan, whatever the database
/// snapshot or wharf version.
fn fingerprint(m: &Match) -> String {
    let key = [
        m.id.as_str(),
        &m.ecosystem.to_string(),
        &m.package,
        &m.installed_version,
        m.locations.first().map_or("", String::as_str),
    ]
    .join("\n");
    Digest::sha256_of(key.as_bytes()).hex().to_owned()
}

/// A path inside the image as a relative URI reference: no leading `/`,
/// and everything but unreserved characters and `/` percent-encoded (so
/// a `:` in the first segment cannot read as a scheme).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A score to one decimal, as CVSS writes it (f32 → f64 without `7.5000001`).
fn round1(s: f32) -> f64 {
    (f64::from(s) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level("critical"), "error");
        assert_eq!(level("high"), "error");
        assert_eq!(level("medium"), "warning");
        for s in ["low", "negligible", "unknown"] {
            assert_eq!(level(s), "note");
        }
    }

    #[test]
    fn uri_paths() {
        assert_eq!(uri_path("/var/lib/dpkg/status"), "var/lib/dpkg/status");
        assert_eq!(uri_path("a b/c:d@1"), "a%20b/c%3Ad%401");
    }
}
