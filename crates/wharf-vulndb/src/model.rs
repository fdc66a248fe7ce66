//! The normalised advisory model every feed parser produces.
//!
//! The model follows the [OSV schema](https://ossf.github.io/osv-schema/)
//! where OSV has a concept (ids, aliases, upstream, ranges and events,
//! ecosystem names) and extends it where distribution feeds carry more
//! (fix status, distro urgency, RPM modularity, RustSec semver
//! requirements). The store and the matcher consume only this model, never
//! the raw feed formats.
//!
//! Conventions:
//!
//! * `Affected::ecosystem` is the OSV ecosystem string: `"PyPI"`, `"Go"`,
//!   `"crates.io"`, `"Debian:12"`, `"Alpine:v3.19"`, …
//! * `Affected::package` is the name as the feed uses it: for Debian the
//!   *source* package, for Alpine the apk *origin*, for RPM feeds the rpm
//!   name; the matcher therefore maps installed binary packages to their
//!   source before lookup.
//! * Timestamps are kept as the RFC 3339 strings the feed supplied; feeds
//!   that only have a date (RustSec, KEV) keep the date.

use serde::{Deserialize, Serialize};

/// Longest `details` text kept, in bytes. Longer texts are cut at a char
/// boundary and end with [`TRUNCATION_MARK`].
pub const MAX_DETAILS_BYTES: usize = 16 * 1024;

/// Appended to a `details` text that was cut to [`MAX_DETAILS_BYTES`].
pub const TRUNCATION_MARK: &str = " […]";

/// One advisory (vulnerability record) from one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The feed's identifier (`CVE-2024-1234`, `GHSA-…`, `PYSEC-…`,
    /// `GO-…`, `RUSTSEC-…`, `DSA-…`).
    pub id: String,
    /// Other identifiers of the *same* vulnerability (OSV `aliases`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Identifiers this record was derived from (OSV `upstream`), e.g. a
    /// distro record pointing at the CVE, or a USN/DLA listing many CVEs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    /// Related but distinct vulnerabilities (OSV `related`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// One-line summary or title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description (may be truncated to [`MAX_DETAILS_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Publication time (RFC 3339, or a date when the feed only has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Last modification time (RFC 3339, or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Withdrawal time. Parsers skip withdrawn records, so stored advisories
    /// normally have `None`; the field exists for round-tripping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Severity scores and labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityScore>,
    /// Affected packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    /// Reference URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// CWE identifiers (`CWE-79`), when the feed has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// For informational advisories (RustSec `informational`:
    /// `unmaintained`, `unsound`, `notice`): the kind. `None` for ordinary
    /// vulnerabilities. The matcher reports these separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    /// Feed identifier (see [`crate::sources`]).
    pub source: String,
}

impl Advisory {
    /// An empty advisory with only `id` and `source` set.
    pub fn new(id: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            aliases: Vec::new(),
            upstream: Vec::new(),
            related: Vec::new(),
            summary: None,
            details: None,
            published: None,
            modified: None,
            withdrawn: None,
            severity: Vec::new(),
            affected: Vec::new(),
            references: Vec::new(),
            cwes: Vec::new(),
            informational: None,
            source: source.into(),
        }
    }

    /// Every identifier of this record: `id` first, then `aliases`.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// The kind of a [`SeverityScore`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityKind {
    /// CVSS v2 base vector.
    CvssV2,
    /// CVSS v3.0 or v3.1 base vector.
    CvssV3,
    /// CVSS v4.0 vector.
    CvssV4,
    /// Ubuntu priority label (`negligible` … `critical`).
    Ubuntu,
    /// A distribution's own severity/urgency label; the value names the
    /// distribution (`debian`, `alpine`, `redhat`).
    Distro(String),
    /// Any other scheme, named as the feed names it.
    Other(String),
}

/// A severity: a CVSS vector with its computed base score, or a label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityScore {
    /// Scheme.
    pub kind: SeverityKind,
    /// The CVSS vector string or the label, as the feed gave it.
    pub value: String,
    /// Base score computed from the vector (CVSS kinds), when it parses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// The kind of an affected-version [`Range`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// Versions compared with the ecosystem's own ordering (dpkg, apk,
    /// rpm, PEP 440, …).
    Ecosystem,
    /// Versions compared as SemVer 2.0 (OSV `SEMVER`).
    Semver,
    /// Commit hashes in the repository named by [`Range::repo`].
    Git,
}

/// One event of a range, in OSV semantics: a version is affected when the
/// latest event at or below it is `Introduced` (and, for `LastAffected`,
/// up to and including that version). `Limit` bounds the search (git).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// First affected version (`"0"` = from the beginning).
    Introduced(String),
    /// First fixed version (exclusive upper bound).
    Fixed(String),
    /// Last affected version (inclusive upper bound).
    LastAffected(String),
    /// Upper limit of the range (git ranges).
    Limit(String),
}

impl Event {
    /// The version or commit this event names.
    pub fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

/// An affected-version range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How versions are compared.
    pub kind: RangeKind,
    /// Repository URL (git ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Events, in the feed's order.
    pub events: Vec<Event>,
}

impl Range {
    /// `introduced 0, fixed <fixed>` with ecosystem ordering — the shape
    /// distribution feeds produce.
    pub fn fixed_in(fixed: impl Into<String>) -> Self {
        Self {
            kind: RangeKind::Ecosystem,
            repo: None,
            events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
        }
    }

    /// The first `Fixed` version, if any.
    pub fn fixed(&self) -> Option<&str> {
        self.events.iter().find_map(|e| match e {
            Event::Fixed(v) => Some(v.as_str()),
            _ => None,
        })
    }
}

/// RustSec-style affected versions, as SemVer requirement strings.
///
/// RustSec does not publish ranges; it lists the requirements a version
/// must satisfy to be *safe*. A crate version is affected when it
/// matches **none** of `patched` and **none** of `unaffected`. The strings
/// are validated with the `semver` crate at import time, so the matcher
/// can parse them with `semver::VersionReq` without failing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SemverRequirements {
    /// Requirements satisfied by fixed versions (`>= 1.2.3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patched: Vec<String>,
    /// Requirements satisfied by versions that were never affected
    /// (`< 0.2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaffected: Vec<String>,
}

/// Fix status of a package in a given ecosystem/release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// A fixed version exists (in `ranges`).
    Fixed,
    /// Affected, no fix yet.
    Unfixed,
    /// Affected, and the distribution decided not to fix it (Debian
    /// `<ignored>`, `<postponed>`).
    WontFix,
    /// The package in this release was never affected (Debian/Alpine fixed
    /// version `0`).
    NotAffected,
    /// Unknown / undetermined; also the status of OSV records, whose
    /// ranges are authoritative.
    #[default]
    Unknown,
}

/// One affected package in one ecosystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// OSV ecosystem string (`"Debian:12"`, `"Alpine:v3.19"`, `"PyPI"`).
    pub ecosystem: String,
    /// Package name as the feed names it (Debian source package, apk origin,
    /// rpm name, Go module path, crate name…).
    pub package: String,
    /// Package URL, when the feed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Affected ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// SemVer requirements (RustSec); see [`SemverRequirements`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<SemverRequirements>,
    /// Fix status (distribution feeds); [`FixStatus::Unknown`] for OSV.
    #[serde(default)]
    pub status: FixStatus,
    /// The distribution's own severity/urgency for this package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro_severity: Option<String>,
    /// RPM modularity stream (`nodejs:18`), for modular RPM feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity: Option<String>,
    /// Architectures the entry applies to (`x86_64`, `aarch64`, `noarch`),
    /// for distribution errata that fix a package at different versions
    /// per architecture (Rocky, AlmaLinux, Oracle Linux). Empty: every
    /// architecture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<String>,
    /// Affected symbols or import paths (Go `ecosystem_specific.imports`
    /// paths and symbols, RustSec `affected.functions`), for reachability
    /// filtering later. Informational only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
}

impl Affected {
    /// An affected entry with no ranges and [`FixStatus::Unknown`].
    pub fn new(ecosystem: impl Into<String>, package: impl Into<String>) -> Self {
        Self {
            ecosystem: ecosystem.into(),
            package: package.into(),
            purl: None,
            ranges: Vec::new(),
            versions: Vec::new(),
            requirements: None,
            status: FixStatus::Unknown,
            distro_severity: None,
            modularity: None,
            arches: Vec::new(),
            symbols: Vec::new(),
        }
    }
}

/// One entry of the CISA Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// CVE id.
    pub cve: String,
    /// Vendor or project.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Date added to the catalog (`YYYY-MM-DD`).
    pub date_added: String,
    /// Remediation due date for US federal agencies (`YYYY-MM-DD`).
    pub due_date: String,
    /// Whether use in ransomware campaigns is known.
    pub known_ransomware: bool,
    /// Free-text notes (often reference URLs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// One FIRST EPSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// CVE id.
    pub cve: String,
    /// Probability of exploitation in the next 30 days (0–1).
    pub epss: f32,
    /// Percentile of this score among all scored CVEs (0–1).
    pub percentile: f32,
    /// Score date (from the file's `score_date` comment, `YYYY-MM-DD…`).
    pub date: String,
}

/// Cuts `details` to [`MAX_DETAILS_BYTES`] (at a char boundary), appending
/// [`TRUNCATION_MARK`] when it had to cut.
pub(crate) fn truncate_details(mut s: String) -> String {
    if s.len() <= MAX_DETAILS_BYTES {
        return s;
    }
    let mut end = MAX_DETAILS_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str(TRUNCATION_MARK);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "é".repeat(MAX_DETAILS_BYTES);
        let t = truncate_details(s);
        assert!(t.ends_with(TRUNCATION_MARK));
        assert!(t.len() <= MAX_DETAILS_BYTES + TRUNCATION_MARK.len());
        assert_eq!(truncate_details("short".into()), "short");
    }

    #[test]
    fn events_serialise_as_osv() {
        let r = Range::fixed_in("1.2.3-r0");
        let j = serde_json::to_value(&r).expect("serialise");
        assert_eq!(
            j,
            serde_json::json!({"kind": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3-r0"}]})
        );
        let back: Range = serde_json::from_value(j).expect("deserialise");
        assert_eq!(back, r);
    }
}
