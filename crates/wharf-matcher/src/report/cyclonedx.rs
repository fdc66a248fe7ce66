//! CycloneDX 1.6 with vulnerabilities.
//!
//! The image's SBOM, exactly as `wharf sbom --format cyclonedx` writes it,
//! plus a `vulnerabilities` array with one entry per vulnerability id:
//! its osv.dev page as the source, a rating (the severity, with the CVSS
//! score and method when the severity came from CVSS), the aliases as
//! references, the summary as description, and in `affects` the `bom-ref`
//! of every affected component with its installed version (`affected`)
//! and fixed versions (`unaffected`). A vulnerability the distribution
//! will not fix for every affected package gets
//! `analysis: {state: exploitable, response: [will_not_fix]}`. Fixed
//! versions, fix state, KEV and EPSS are also `wharf:vulnerability:*`
//! properties.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use wharf_inventory::{Inventory, SbomOptions, cyclonedx_package_refs, to_cyclonedx};

use super::{osv_url, package_index, state_name};
use crate::{FixState, Match};

/// The CycloneDX 1.6 BOM of `inv` with `matches` as its `vulnerabilities`.
///
/// `options` are those of [`to_cyclonedx`] (serial, timestamp, tool
/// version); the same inventory, matches and options give the same
/// document.
pub fn to_cyclonedx_vex(inv: &Inventory, matches: &[Match], options: &SbomOptions) -> Value {
    let mut bom = to_cyclonedx(inv, options);
    let refs = cyclonedx_package_refs(inv);
    let mut by_id: BTreeMap<&str, Vec<&Match>> = BTreeMap::new();
    for m in matches {
        by_id.entry(m.id.as_str()).or_default().push(m);
    }
    let vulnerabilities: Vec<Value> = by_id
        .values()
        .map(|ms| vulnerability(inv, &refs, ms))
        .collect();
    if let Some(o) = bom.as_object_mut() {
        o.insert("vulnerabilities".into(), Value::Array(vulnerabilities));
    }
    bom
}

/// A `{"name": …, "value": …}` property.
fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// CycloneDX severity of a wharf severity (`negligible` is `info`).
fn severity(s: &str) -> &'static str {
    match s {
        "critical" => "critical",
        "high" => "high",
        "medium" => "medium",
        "low" => "low",
        "negligible" => "info",
        _ => "unknown",
    }
}

/// The feed kind of a `KIND:LOCATION` source (`osv`, `debian`…).
fn feed_kind(source: &str) -> &str {
    source.split(':').next().unwrap_or(source)
}

fn vulnerability(inv: &Inventory, refs: &[String], ms: &[&Match]) -> Value {
    let m = ms[0];
    let mut v = Map::new();
    v.insert("id".into(), json!(m.id));
    v.insert(
        "source".into(),
        json!({ "name": feed_kind(&m.source), "url": osv_url(&m.id) }),
    );
    if !m.aliases.is_empty() {
        let refs: Vec<Value> = m
            .aliases
            .iter()
            .map(|a| json!({ "id": a, "source": { "name": "OSV", "url": osv_url(a) } }))
            .collect();
        v.insert("references".into(), json!(refs));
    }
    v.insert("ratings".into(), json!([rating(m)]));
    if let Some(s) = &m.summary {
        v.insert("description".into(), json!(s));
    }
    v.insert(
        "advisories".into(),
        json!([{ "title": m.advisory, "url": osv_url(&m.advisory) }]),
    );

    // One `affects` entry per component; a component matched twice (two
    // advisories' worth of the same id cannot happen, but two locations
    // of one package can) keeps its first entry.
    let mut affects = Vec::new();
    let mut seen = BTreeSet::new();
    for m in ms {
        let Some(i) = package_index(inv, m) else {
            continue;
        };
        if !seen.insert(i) {
            continue;
        }
        let mut versions = vec![json!({ "version": m.installed_version, "status": "affected" })];
        versions.extend(
            m.fixed_versions
                .iter()
                .map(|f| json!({ "version": f, "status": "unaffected" })),
        );
        affects.push(json!({ "ref": refs[i], "versions": versions }));
    }
    v.insert("affects".into(), json!(affects));
    if ms.iter().all(|m| m.state == FixState::WontFix) {
        v.insert(
            "analysis".into(),
            json!({ "state": "exploitable", "response": ["will_not_fix"] }),
        );
    }

    let fixed: BTreeSet<&str> = ms
        .iter()
        .flat_map(|m| m.fixed_versions.iter().map(String::as_str))
        .collect();
    let states: BTreeSet<&str> = ms.iter().map(|m| state_name(m.state)).collect();
    let mut props = Vec::new();
    if !fixed.is_empty() {
        props.push(property(
            "wharf:vulnerability:fixed-versions",
            fixed.into_iter().collect::<Vec<_>>().join(", "),
        ));
    }
    props.push(property(
        "wharf:vulnerability:state",
        states.into_iter().collect::<Vec<_>>().join(", "),
    ));
    props.push(property(
        "wharf:vulnerability:kev",
        if ms.iter().any(|m| m.kev) {
            "true"
        } else {
            "false"
        },
    ));
    if let Some(e) = m.epss {
        props.push(property("wharf:vulnerability:epss", e.to_string()));
    }
    if let Some(e) = m.epss_percentile {
        props.push(property(
            "wharf:vulnerability:epss-percentile",
            e.to_string(),
        ));
    }
    props.push(property(
        "wharf:vulnerability:snapshot",
        m.snapshot_id.clone(),
    ));
    v.insert("properties".into(), json!(props));
    Value::Object(v)
}

/// The rating of a match: its severity, with the CVSS score and method
/// when the severity came from CVSS (a distro severity is rated by its
/// feed, without a score).
fn rating(m: &Match) -> Value {
    let method = match m.severity_source.as_str() {
        "cvss-v4" => Some("CVSSv4"),
        "cvss-v3" => Some("CVSSv3"),
        "cvss-v2" => Some("CVSSv2"),
        _ => None,
    };
    let mut r = Map::new();
    match (method, m.cvss_score) {
        (Some(method), Some(score)) => {
            r.insert(
                "score".into(),
                json!((f64::from(score) * 10.0).round() / 10.0),
            );
            r.insert("severity".into(), json!(severity(&m.severity)));
            r.insert("method".into(), json!(method));
        }
        _ => {
            r.insert("source".into(), json!({ "name": feed_kind(&m.source) }));
            r.insert("severity".into(), json!(severity(&m.severity)));
        }
    }
    Value::Object(r)
}
