//! Matching: an inventory against a vulnerability-database snapshot.
//!
//! The [`Database`] indexes every affected entry by the key its feed uses
//! — the OSV ecosystem string (`Debian:12`, `Alpine:v3.19`, `PyPI`…) and the
//! package name normalised for that ecosystem (PEP 503 for PyPI, lowercase
//! for NuGet) — and parses every range boundary once, when it loads. A
//! package is then looked up by its own key (Debian and Ubuntu by *source*
//! package and source version, apk by origin, language packages by name)
//! and compared with already-parsed versions, which keeps re-matching a
//! whole registry's stored inventories cheap.
//!
//! Every [`Match`] says what produced it: the advisory id and its aliases,
//! the feed, the database snapshot, and the installed and fixed versions.

mod database;
mod keys;
pub mod report;

pub use database::{Database, LoadError};
pub use keys::{canonical_ecosystem, normalize_name, package_keys};

use serde::{Deserialize, Serialize};
use wharf_types::{Digest, Ecosystem};

/// Whether and how a vulnerability is fixed for the matched package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists.
    Fixed,
    /// Affected and no fix is available yet.
    Unfixed,
    /// The distribution decided not to fix it (minor issue, EOL, …).
    WontFix,
}

/// One vulnerability affecting one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The vulnerability's primary id (a CVE when the advisory has one).
    pub id: String,
    /// Every other id of the same vulnerability.
    pub aliases: Vec<String>,
    /// Advisory id in the feed that produced the match.
    pub advisory: String,
    /// The feed (`KIND:LOCATION`) the advisory came from.
    pub source: String,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Package ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name as installed.
    pub package: String,
    /// The key the feed used (`Debian:12` / source package…).
    pub matched_on: String,
    /// Installed version.
    pub installed_version: String,
    /// Versions that fix it (may be empty).
    pub fixed_versions: Vec<String>,
    /// Fix state.
    pub state: FixState,
    /// Severity: `critical`, `high`, `medium`, `low`, `negligible` or `unknown`.
    pub severity: String,
    /// Where the severity came from: `distro`, `cvss-v4`, `cvss-v3`, `cvss-v2`, `none`.
    pub severity_source: String,
    /// Highest CVSS base score found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f32>,
    /// EPSS probability, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<f32>,
    /// EPSS percentile, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss_percentile: Option<f32>,
    /// In CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    /// The layer that introduced the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// Where the package was found.
    pub locations: Vec<String>,
    /// Database snapshot the match was computed against.
    pub snapshot_id: String,
}
