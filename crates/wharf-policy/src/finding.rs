//! The one finding model for every kind of result.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use wharf_types::{Digest, Severity};

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A known vulnerability in an installed package.
    Vulnerability,
    /// A secret in a file, the environment or the build history.
    Secret,
    /// Malware (or a file that could not be inspected).
    Malware,
    /// An image-configuration or filesystem problem (CIS, caches, custom rules).
    Misconfiguration,
    /// A package under a forbidden licence.
    License,
    /// An end-of-life operating-system release.
    Eol,
}

impl FindingKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vulnerability => "vulnerability",
            Self::Secret => "secret",
            Self::Malware => "malware",
            Self::Misconfiguration => "misconfiguration",
            Self::License => "license",
            Self::Eol => "eol",
        }
    }
}

/// What a rule asks for when it finds something.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Report it; it fails the gate only at or above `fail_on`.
    #[default]
    Issue,
    /// Fail the gate whatever its severity.
    Block,
}

impl Action {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::Block => "block",
        }
    }
}

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// To fix.
    #[default]
    Open,
    /// No longer seen (set by the store that tracks findings over time).
    Resolved,
    /// Accepted by an exception (see [`Finding::suppression`]).
    Accepted,
    /// A VEX statement says the product is not affected.
    NotAffected,
}

impl Status {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Accepted => "accepted",
            Self::NotAffected => "not-affected",
        }
    }
}

/// Why a finding is not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `exception` or `vex`.
    pub by: String,
    /// The exception file or VEX document.
    pub source: String,
    /// The justification as written (exception) or the VEX justification
    /// and impact statement.
    pub justification: String,
    /// Expiry of an exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<jiff::civil::Date>,
}

/// The package a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    /// Ecosystem (`deb`, `npm`…).
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Package URL, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Vulnerability details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityRef {
    /// The vulnerability id (a CVE when it has one).
    pub id: String,
    /// Other ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Versions that fix it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// The smallest fixing version above the installed one, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// Fix state (`fixed`, `not-fixed`, `wont-fix`, `unknown`).
    pub fix_state: String,
    /// Highest CVSS base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f32>,
    /// EPSS probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<f32>,
    /// In CISA KEV.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kev: bool,
}

/// An image a finding was seen in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// The reference or source as given.
    pub source: String,
    /// Repository (`registry/path`), when the source is a reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Manifest digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Tags pointing at it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Where a finding's knowledge came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Vulnerability database snapshot (vulnerability findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Advisory and feed (vulnerability findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// `rule-id@version` of the rule, or `rego:<file>` for custom rules.
    pub rule: String,
    /// Analyzers that ran (`name@version`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analyzers: Vec<String>,
    /// The end-of-life table's date (EOL findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eol_table_as_of: Option<jiff::civil::Date>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: `wf-` and the first 16 hex digits of the fingerprint.
    pub id: String,
    /// `sha256:` over kind, rule or vulnerability id, package and path:
    /// the same problem has the same fingerprint in every scan and every
    /// image (see [`fingerprint`]).
    pub fingerprint: String,
    /// Kind.
    pub kind: FindingKind,
    /// The rule that produced it (vulnerabilities: the first threshold rule
    /// it crossed, or `WHARF-VULN-000` when it crossed none).
    pub rule_id: String,
    /// Every rule it triggered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Human title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Action.
    pub action: Action,
    /// Status.
    pub status: Status,
    /// What was found, in one sentence.
    pub message: String,
    /// What to do.
    pub remediation: String,
    /// The package, for vulnerability and licence findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    /// Vulnerability details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<VulnerabilityRef>,
    /// Paths or locations in the image (`usr/bin/su`, `env:TOKEN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    /// The layer that introduced it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// Images it was seen in.
    pub images: Vec<ImageRef>,
    /// First time it was seen (filled in by the finding store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<jiff::Timestamp>,
    /// Last time it was seen (filled in by the finding store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<jiff::Timestamp>,
    /// Why it is accepted or not affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Remarks (an expired exception that no longer applies…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Provenance.
    pub provenance: Provenance,
}

/// The fingerprint of a finding: SHA-256 over its kind, its rule or
/// vulnerability id, its subject (package `ecosystem/name`, or path) and
/// any further distinguishing parts, joined with NUL bytes. The scan time,
/// the image digest and the installed version are not part of it: the same
/// CVE in the same package is one finding across rebuilds and tags.
pub fn fingerprint(kind: FindingKind, id: &str, subject: &str, extra: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_str().as_bytes());
    for part in [id, subject].into_iter().chain(extra.iter().copied()) {
        h.update([0]);
        h.update(part.as_bytes());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// `wf-` and the first 16 hex digits of a fingerprint.
pub fn short_id(fingerprint: &str) -> String {
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(fingerprint);
    format!("wf-{}", &hex[..hex.len().min(16)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = fingerprint(FindingKind::Vulnerability, "CVE-1", "deb/openssl", &[]);
        assert_eq!(
            a,
            fingerprint(FindingKind::Vulnerability, "CVE-1", "deb/openssl", &[])
        );
        assert_ne!(
            a,
            fingerprint(FindingKind::Vulnerability, "CVE-2", "deb/openssl", &[])
        );
        assert_ne!(
            a,
            fingerprint(FindingKind::Secret, "CVE-1", "deb/openssl", &[])
        );
        assert_ne!(
            fingerprint(FindingKind::Secret, "a", "bc", &[]),
            fingerprint(FindingKind::Secret, "ab", "c", &[])
        );
        assert_eq!(short_id(&a).len(), 19);
        // Pinned: changing the scheme changes every stored id.
        assert_eq!(
            fingerprint(FindingKind::Eol, "WHARF-EOL-001", "debian/10", &[]),
            fingerprint(FindingKind::Eol, "WHARF-EOL-001", "debian/10", &[])
        );
    }
}
