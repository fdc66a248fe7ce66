//! Renderings of evaluations: findings JSON, a grouped text table, SARIF
//! 2.1.0 and JUnit XML.

use std::fmt::Write as _;

use serde::Serialize;
use wharf_types::Severity;

use crate::evaluate::{Decision, Evaluation};
use crate::finding::{Finding, FindingKind, Status};
use crate::policy::builtin_rule;

/// Version of the findings JSON document; bump on incompatible change.
pub const FINDINGS_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct FindingsDoc<'a> {
    schema_version: u32,
    evaluations: &'a [Evaluation],
}

/// The findings JSON document (`docs/findings-json.md`), pretty-printed.
pub fn to_json(evaluations: &[Evaluation]) -> String {
    serde_json::to_string_pretty(&FindingsDoc {
        schema_version: FINDINGS_SCHEMA_VERSION,
        evaluations,
    })
    .unwrap_or_default()
}

/// Findings of several evaluations (the platforms or tags of one
/// repository, a whole registry) with the same fingerprint combined into
/// one, listing every image it was seen in; the first evaluation's copy
/// is kept otherwise (its status included). Order: as first seen.
pub fn combine(evaluations: &[Evaluation]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for e in evaluations {
        for f in &e.findings {
            match index.get(&f.fingerprint) {
                Some(&i) => {
                    for img in &f.images {
                        if !out[i].images.contains(img) {
                            out[i].images.push(img.clone());
                        }
                    }
                }
                None => {
                    index.insert(f.fingerprint.clone(), out.len());
                    out.push(f.clone());
                }
            }
        }
    }
    out
}

fn kind_heading(k: FindingKind) -> &'static str {
    match k {
        FindingKind::Vulnerability => "Vulnerabilities",
        FindingKind::Secret => "Secrets",
        FindingKind::Malware => "Malware",
        FindingKind::Misconfiguration => "Misconfigurations",
        FindingKind::License => "Licences",
        FindingKind::Eol => "End of life",
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn status_cell(f: &Finding) -> String {
    match (&f.status, &f.suppression) {
        (Status::Open, _) => "open".into(),
        (s, Some(sup)) => format!("{} ({})", s.as_str(), sup.by),
        (s, None) => s.as_str().into(),
    }
}

/// A human report: per image, the gate decision and its first reasons,
/// the upgrades grouped per package, then findings grouped by kind (open
/// ones first), with suppressions and notes shown.
pub fn to_table(evaluations: &[Evaluation]) -> String {
    let mut out = String::new();
    for e in evaluations {
        let digest = e
            .image
            .digest
            .as_ref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let _ = writeln!(out, "IMAGE {}{digest}", e.image.source);
        let verdict = match e.gate.decision {
            Decision::Pass => "PASS".to_owned(),
            Decision::Fail => format!("FAIL ({})", e.gate.reasons.len()),
        };
        let fail_on = e
            .gate
            .fail_on
            .map(|s| format!(" [fail-on {s}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "GATE  {verdict}{fail_on}");
        for r in e.gate.reasons.iter().take(10) {
            let _ = writeln!(out, "  - {}", r.message);
        }
        if e.gate.reasons.len() > 10 {
            let _ = writeln!(out, "  … {} more", e.gate.reasons.len() - 10);
        }
        for err in &e.errors {
            let _ = writeln!(out, "ERROR {err}");
        }
        if !e.remediations.is_empty() {
            let _ = writeln!(out, "\nUPGRADES");
            for r in &e.remediations {
                let _ = writeln!(out, "  [{:<8}] {}", r.severity.as_str(), r.summary);
            }
        }
        let mut kinds: Vec<FindingKind> = e.findings.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            let of: Vec<&Finding> = e.findings.iter().filter(|f| f.kind == k).collect();
            let open = of.iter().filter(|f| f.status == Status::Open).count();
            let _ = writeln!(
                out,
                "\n{} ({} open, {} total)",
                kind_heading(k).to_uppercase(),
                open,
                of.len()
            );
            let _ = writeln!(
                out,
                "  {:<9} {:<17} {:<21} {:<8} FINDING",
                "SEVERITY", "RULE", "STATUS", "ACTION"
            );
            for f in of {
                let _ = writeln!(
                    out,
                    "  {:<9} {:<17} {:<21} {:<8} {}",
                    f.severity.as_str(),
                    cut(&f.rule_id, 17),
                    status_cell(f),
                    f.action.as_str(),
                    cut(&f.title, 80)
                );
                if k != FindingKind::Vulnerability || f.status != Status::Open {
                    let _ = writeln!(out, "      {}", cut(&f.message, 160));
                }
                if let Some(s) = &f.suppression {
                    let exp = s
                        .expires
                        .map(|d| format!(", until {d}"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "      {} {}: {}{exp}", s.by, s.source, s.justification);
                }
                for n in &f.notes {
                    let _ = writeln!(out, "      note: {n}");
                }
            }
        }
        let counts = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Unknown,
        ]
        .iter()
        .map(|s| {
            let n = e
                .findings
                .iter()
                .filter(|f| f.status == Status::Open && f.severity == *s)
                .count();
            format!("{n} {s}")
        })
        .collect::<Vec<_>>()
        .join(", ");
        let _ = writeln!(out, "\nOPEN  {counts}\n");
    }
    out
}

/// Which findings go into SARIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SarifScope {
    /// Every finding.
    All,
    /// All but vulnerabilities (the scan's own SARIF has those).
    NonVulnerability,
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A SARIF 2.1.0 log with one run: rules from the findings' rule ids,
/// results for open findings (suppressed ones carry SARIF
/// `suppressions`), locations as artifact URIs inside the image.
pub fn to_sarif(evaluations: &[Evaluation], scope: SarifScope) -> serde_json::Value {
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for e in evaluations {
        for f in &e.findings {
            if scope == SarifScope::NonVulnerability && f.kind == FindingKind::Vulnerability {
                continue;
            }
            let rule_id = if f.kind == FindingKind::Vulnerability {
                f.vulnerability
                    .as_ref()
                    .map_or(f.rule_id.clone(), |v| v.id.clone())
            } else {
                f.rule_id.clone()
            };
            let index = match rule_ids.iter().position(|r| *r == rule_id) {
                Some(i) => i,
                None => {
                    let info = builtin_rule(&f.rule_id);
                    let (name, help) = match (f.kind, info) {
                        (FindingKind::Vulnerability, _) => (f.title.clone(), f.remediation.clone()),
                        (_, Some(i)) => (i.title.to_owned(), i.remediation.to_owned()),
                        (_, None) => (f.title.clone(), f.remediation.clone()),
                    };
                    let mut props = serde_json::json!({ "kind": f.kind.as_str() });
                    if let Some(cis) = info.and_then(|i| i.cis) {
                        props["cis-docker-benchmark"] = serde_json::json!(cis);
                    }
                    rules.push(serde_json::json!({
                        "id": rule_id,
                        "name": name,
                        "shortDescription": { "text": name },
                        "help": { "text": help },
                        "defaultConfiguration": { "level": sarif_level(f.severity) },
                        "properties": props,
                    }));
                    rule_ids.push(rule_id.clone());
                    rule_ids.len() - 1
                }
            };
            let image = &e.image.source;
            let locations: Vec<serde_json::Value> = if f.locations.is_empty() {
                vec![
                    serde_json::json!({ "physicalLocation": { "artifactLocation": { "uri": image } } }),
                ]
            } else {
                f.locations
                    .iter()
                    .map(|l| serde_json::json!({ "physicalLocation": { "artifactLocation": { "uri": l } } }))
                    .collect()
            };
            let mut result = serde_json::json!({
                "ruleId": rule_id,
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                "message": { "text": format!("{} — {}", f.message, f.remediation) },
                "locations": locations,
                "partialFingerprints": { "wharfFingerprint/v1": f.fingerprint },
                "properties": {
                    "image": image,
                    "severity": f.severity.as_str(),
                    "action": f.action.as_str(),
                    "status": f.status.as_str(),
                    "findingId": f.id,
                },
            });
            if let Some(s) = &f.suppression {
                result["suppressions"] = serde_json::json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} ({}): {}", s.by, s.source, s.justification),
                }]);
            }
            results.push(result);
        }
    }
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wharf",
                "informationUri": "https://github.com/wharf-scanner/wharf",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one `<testsuite>` per image, one `<testcase>` per rule
/// evaluated, a `<failure>` on a rule with findings that fail the gate
/// (blocking, or at or above `fail_on`) listing them; rules whose findings
/// are all suppressed or below the threshold pass, with the findings in
/// `<system-out>`.
pub fn to_junit(evaluations: &[Evaluation]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = evaluations.iter().map(|e| e.rules.len()).sum();
    let failures: usize = evaluations
        .iter()
        .map(|e| e.rules.iter().filter(|r| r.failing > 0).count())
        .sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"wharf\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    for e in evaluations {
        let fails = e.rules.iter().filter(|r| r.failing > 0).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"{}\">",
            xml_escape(&e.image.source),
            e.rules.len(),
            e.errors.len()
        );
        if let Some(d) = &e.image.digest {
            let _ = writeln!(
                out,
                "    <properties><property name=\"digest\" value=\"{d}\"/></properties>"
            );
        }
        let failing: std::collections::HashSet<&str> =
            e.gate.reasons.iter().map(|r| r.finding.as_str()).collect();
        for r in &e.rules {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}: {}\"",
                xml_escape(&e.image.source),
                xml_escape(&r.id),
                xml_escape(&r.title)
            );
            let of: Vec<&Finding> = e.findings.iter().filter(|f| f.rule_id == r.id).collect();
            if of.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let failed: Vec<&&Finding> = of
                .iter()
                .filter(|f| failing.contains(f.id.as_str()))
                .collect();
            if !failed.is_empty() {
                let mut body = String::new();
                for f in &failed {
                    let _ = writeln!(
                        body,
                        "[{}] {} ({}): {} — {}",
                        f.severity, f.title, f.id, f.message, f.remediation
                    );
                }
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml_escape(&format!("{} finding(s) fail the gate", failed.len())),
                    xml_escape(&r.id),
                    xml_escape(body.trim_end())
                );
            }
            let others: Vec<&&Finding> = of
                .iter()
                .filter(|f| !failing.contains(f.id.as_str()))
                .collect();
            if !others.is_empty() {
                let mut body = String::new();
                for f in others {
                    let _ = writeln!(
                        body,
                        "[{}] [{}] {} ({})",
                        f.status.as_str(),
                        f.severity,
                        f.title,
                        f.id
                    );
                }
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    xml_escape(body.trim_end())
                );
            }
            out.push_str("    </testcase>\n");
        }
        for err in &e.errors {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"custom rules\"><error message=\"{}\"/></testcase>",
                xml_escape(&e.image.source),
                xml_escape(err)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
