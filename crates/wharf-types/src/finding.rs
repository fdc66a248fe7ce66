//! What the content scanners report: secrets and malware found in files,
//! in the image configuration or in the build history.
//!
//! A finding names where it was found ([`Location`]), the layer that added
//! the file and whether a later layer deleted or replaced it (a deleted
//! secret is still in the image's layers). A secret finding never carries
//! the secret itself: only a redacted excerpt and a keyed fingerprint.

use serde::{Deserialize, Serialize};

use crate::Digest;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not rated.
    #[default]
    Unknown,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lowercase name (`critical`, `high`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parse a name case-insensitively (`CRITICAL`, `High`, `moderate` →
    /// medium, `info`/`informational` → low).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "none" => Self::Unknown,
            "low" | "info" | "informational" | "negligible" => Self::Low,
            "medium" | "moderate" => Self::Medium,
            "high" | "important" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a secret or malware finding was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Location {
    /// A file of a layer. `path` may name a member inside an archive as
    /// `outer.jar!inner/file`.
    File {
        /// Path inside the image, no leading slash.
        path: String,
        /// 1-based line of the match (0 when not line-oriented, e.g. binary).
        #[serde(default, skip_serializing_if = "is_zero")]
        line: u32,
    },
    /// An `Env` entry of the image configuration.
    Env {
        /// The variable's name.
        name: String,
    },
    /// A label of the image configuration.
    Label {
        /// The label's key.
        key: String,
    },
    /// A build history step (`created_by`), 0-based over all history entries.
    History {
        /// Index in the configuration's `history`.
        step: u32,
    },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Location {
    /// A short human form: `etc/app.conf:12`, `env:API_KEY`, `label:k`, `history#3`.
    pub fn display(&self) -> String {
        match self {
            Self::File { path, line: 0 } => path.clone(),
            Self::File { path, line } => format!("{path}:{line}"),
            Self::Env { name } => format!("env:{name}"),
            Self::Label { key } => format!("label:{key}"),
            Self::History { step } => format!("history#{step}"),
        }
    }

    /// The file path, for file locations.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::File { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Where a finding's file sits in the layer stack. Filled in when layer
/// reports are merged; empty for configuration and history findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPlacement {
    /// The layer that added the file (`None` for `dir:` sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// A later layer deleted (whiteout) or replaced the file: it is not in
    /// the final filesystem but is still in the image's layers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A secret found by a rule.
///
/// Never holds the clear secret: `excerpt` shows at most a few leading
/// characters of it followed by `*****`, and `fingerprint` is a keyed hash
/// (HMAC-SHA-256 with the installation's fingerprint key) that identifies
/// the same secret across files and images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFinding {
    /// The rule's stable id, e.g. `aws-access-key-id`.
    pub rule_id: String,
    /// Provider or family, e.g. `AWS`.
    pub category: String,
    /// Human title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Where.
    pub location: Location,
    /// The matched line with the secret redacted (bounded length).
    pub excerpt: String,
    /// `hmac-sha256:<hex>` of the secret value.
    pub fingerprint: String,
    /// Layer and deletion state.
    #[serde(flatten)]
    pub placement: LayerPlacement,
}

/// How a malware finding was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MalwareEngine {
    /// A YARA rule matched.
    Yara,
    /// The file's hash is in a hash-intelligence list.
    Hash,
    /// Not a detection: the file could not be fully inspected (timeout,
    /// archive bomb) and says so.
    Limit,
}

/// Malware found in a file (or a file that could not be inspected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalwareFinding {
    /// YARA rule (`namespace:rule`) or signature name.
    pub rule: String,
    /// What made the finding.
    pub engine: MalwareEngine,
    /// Severity.
    pub severity: Severity,
    /// Rule description or signature source.
    pub description: String,
    /// Where (archive members as `outer.zip!inner`).
    pub location: Location,
    /// SHA-256 of the matched file (the archive member for members).
    pub sha256: String,
    /// Layer and deletion state.
    #[serde(flatten)]
    pub placement: LayerPlacement,
}
