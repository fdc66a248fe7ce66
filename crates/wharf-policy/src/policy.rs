//! Policies: the built-in rule set, its settings, and custom Rego rules,
//! loaded from a TOML policy file (`docs/policy.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wharf_types::Severity;

use crate::error::PolicyError;
use crate::finding::{Action, FindingKind};
use crate::rego::CustomRules;

/// A built-in rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable id (`CIS-4.1`, `WHARF-VULN-002`).
    pub id: &'static str,
    /// Version of the rule's logic (goes into provenance).
    pub version: u32,
    /// The kind of finding it makes.
    pub kind: FindingKind,
    /// Title.
    pub title: &'static str,
    /// Default severity (vulnerability and content rules use the finding's own).
    pub severity: Severity,
    /// Default action.
    pub action: Action,
    /// What to do about it.
    pub remediation: &'static str,
    /// The CIS Docker Benchmark recommendation it implements, if any.
    pub cis: Option<&'static str>,
    /// Enabled unless the policy file disables it.
    pub enabled_by_default: bool,
}

macro_rules! rule {
    ($id:expr, $kind:ident, $title:expr, $sev:ident, $action:ident, $cis:expr, $on:expr, $rem:expr) => {
        RuleInfo {
            id: $id,
            version: 1,
            kind: FindingKind::$kind,
            title: $title,
            severity: Severity::$sev,
            action: Action::$action,
            remediation: $rem,
            cis: $cis,
            enabled_by_default: $on,
        }
    };
}

/// Every built-in rule, in report order.
pub const BUILTIN_RULES: &[RuleInfo] = &[
    rule!(
        "WHARF-VULN-000",
        Vulnerability,
        "Vulnerability below every threshold",
        Unknown,
        Issue,
        None,
        true,
        "Upgrade the package to a fixed version when one is available."
    ),
    rule!(
        "WHARF-VULN-001",
        Vulnerability,
        "Vulnerability at or above the severity threshold",
        High,
        Block,
        None,
        true,
        "Upgrade the package to the fixed version; rebuild on an updated base image."
    ),
    rule!(
        "WHARF-VULN-002",
        Vulnerability,
        "Known exploited vulnerability (CISA KEV)",
        Critical,
        Block,
        None,
        true,
        "Exploited in the wild: upgrade the package now, or remove it."
    ),
    rule!(
        "WHARF-VULN-003",
        Vulnerability,
        "Vulnerability likely to be exploited (EPSS above threshold)",
        High,
        Block,
        None,
        false,
        "Upgrade the package to the fixed version with priority."
    ),
    rule!(
        "WHARF-SECRET-001",
        Secret,
        "Secret in the image",
        High,
        Block,
        None,
        true,
        "Remove the secret from the image (every layer: deleting it in a later layer does not), revoke and rotate it, and pass secrets at run time or with build secrets."
    ),
    rule!(
        "WHARF-MALWARE-001",
        Malware,
        "Malware in the image",
        Critical,
        Block,
        None,
        true,
        "Remove the file, find out how it got into the build and rebuild from trusted sources."
    ),
    rule!(
        "CIS-4.1",
        Misconfiguration,
        "Image runs as root (CIS Docker 4.1)",
        Medium,
        Issue,
        Some("4.1"),
        true,
        "Create an unprivileged user and add `USER <name>` (or a numeric UID) to the Dockerfile."
    ),
    rule!(
        "CIS-4.6",
        Misconfiguration,
        "No HEALTHCHECK instruction (CIS Docker 4.6)",
        Low,
        Issue,
        Some("4.6"),
        true,
        "Add a `HEALTHCHECK` instruction that checks the service."
    ),
    rule!(
        "CIS-4.8",
        Misconfiguration,
        "Setuid or setgid files (CIS Docker 4.8)",
        Low,
        Issue,
        Some("4.8"),
        true,
        "Remove the setuid/setgid bits the application does not need: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`."
    ),
    rule!(
        "CIS-4.9",
        Misconfiguration,
        "ADD of a remote URL instead of COPY (CIS Docker 4.9)",
        Medium,
        Issue,
        Some("4.9"),
        true,
        "Download with a verified checksum in a `RUN` step (or `ADD --checksum=`), and use `COPY` for local files."
    ),
    rule!(
        "CIS-4.10",
        Secret,
        "Secret in the environment or build history (CIS Docker 4.10)",
        Critical,
        Block,
        Some("4.10"),
        true,
        "Do not put secrets in `ENV`, `ARG` or `RUN` lines: they stay in the image configuration. Use build secrets (`RUN --mount=type=secret`) and rotate the exposed secret."
    ),
    rule!(
        "WHARF-FILE-001",
        Misconfiguration,
        "World-writable files or directories",
        Medium,
        Issue,
        None,
        true,
        "Remove write permission for others (`chmod o-w`), or set the sticky bit on shared directories."
    ),
    rule!(
        "WHARF-CACHE-001",
        Misconfiguration,
        "Package-manager cache left in the image",
        Low,
        Issue,
        None,
        true,
        "Clean the cache in the same `RUN` step that fills it (`rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `pip install --no-cache-dir`, `dnf clean all`), or use a cache mount."
    ),
    rule!(
        "WHARF-EOL-001",
        Eol,
        "End-of-life operating system",
        High,
        Issue,
        None,
        true,
        "Rebuild on a supported release of the distribution."
    ),
    rule!(
        "WHARF-LICENSE-001",
        License,
        "Package under a forbidden licence",
        High,
        Block,
        None,
        true,
        "Remove the package or replace it with one under an allowed licence."
    ),
    rule!(
        "WHARF-AGE-001",
        Misconfiguration,
        "Image older than the maximum age",
        Low,
        Issue,
        None,
        false,
        "Rebuild the image regularly so that it picks up base-image fixes."
    ),
];

/// A built-in rule by id.
pub fn builtin_rule(id: &str) -> Option<&'static RuleInfo> {
    BUILTIN_RULES.iter().find(|r| r.id == id)
}

/// Per-rule settings from the policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Enable or disable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Severity override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Action override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// Vulnerability thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VulnSettings {
    /// `WHARF-VULN-001` fires at or above this severity.
    pub severity: Severity,
    /// Only fixable vulnerabilities count for `WHARF-VULN-001` and `-003`.
    pub fixable_only: bool,
    /// `WHARF-VULN-003` fires above this EPSS probability (it is enabled
    /// when this is set).
    pub epss_above: Option<f32>,
}

impl Default for VulnSettings {
    fn default() -> Self {
        Self {
            severity: Severity::Critical,
            fixable_only: false,
            epss_above: None,
        }
    }
}

/// Licence settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LicenseSettings {
    /// Forbidden SPDX identifiers.
    pub forbidden: Vec<String>,
}

/// Image settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageSettings {
    /// `WHARF-AGE-001` fires for images older than this (enabled when set).
    pub max_age_days: Option<i64>,
}

/// A custom rule file entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFile {
    /// Path of a `.rego` file, relative to the policy file.
    pub path: PathBuf,
}

/// The policy file as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Format version: 1.
    #[serde(default = "one")]
    pub version: u32,
    /// Fail the gate on open findings at or above this severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Vulnerability thresholds.
    #[serde(default)]
    pub vulnerabilities: VulnSettings,
    /// Licences.
    #[serde(default)]
    pub licenses: LicenseSettings,
    /// Image settings.
    #[serde(default)]
    pub image: ImageSettings,
    /// Per-rule settings by rule id.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSettings>,
    /// Custom Rego rule files.
    #[serde(default)]
    pub custom: Vec<CustomFile>,
}

fn one() -> u32 {
    1
}

/// A loaded policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The settings.
    pub file: PolicyFile,
    /// Custom rules, compiled.
    pub custom: CustomRules,
}

/// A rule as the policy configures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRule {
    /// The built-in rule.
    pub info: &'static RuleInfo,
    /// Enabled.
    pub enabled: bool,
    /// Severity (override, or the default).
    pub severity: Severity,
    /// Action.
    pub action: Action,
}

impl Policy {
    /// The built-in policy with default settings and no custom rules.
    pub fn builtin() -> Policy {
        Policy::default()
    }

    /// Parse a policy file's text; custom rule paths are relative to
    /// `origin`'s directory (and errors name `origin`).
    pub fn from_toml(text: &str, origin: &Path) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| PolicyError::Parse {
            file: origin.display().to_string(),
            message: e.to_string(),
        })?;
        if file.version != 1 {
            return Err(PolicyError::Parse {
                file: origin.display().to_string(),
                message: format!("unsupported policy version {}", file.version),
            });
        }
        for id in file.rules.keys() {
            if builtin_rule(id).is_none() {
                return Err(PolicyError::Parse {
                    file: origin.display().to_string(),
                    message: format!("unknown rule id `{id}`"),
                });
            }
        }
        let base = origin.parent().unwrap_or(Path::new("."));
        let mut custom = CustomRules::default();
        for c in &file.custom {
            custom.add_file(&base.join(&c.path))?;
        }
        Ok(Policy { file, custom })
    }

    /// Load a policy file and its custom rule files.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            file: path.display().to_string(),
            source: e,
        })?;
        Policy::from_toml(&text, path)
    }

    /// Set the gate threshold (the CLI's `--fail-on` overrides the file).
    #[must_use]
    pub fn with_fail_on(mut self, fail_on: Option<Severity>) -> Self {
        if fail_on.is_some() {
            self.file.fail_on = fail_on;
        }
        self
    }

    /// The rule `id` as configured.
    pub fn rule(&self, id: &str) -> Option<EffectiveRule> {
        let info = builtin_rule(id)?;
        let s = self.file.rules.get(id).cloned().unwrap_or_default();
        let implied = match id {
            "WHARF-VULN-003" => self.file.vulnerabilities.epss_above.is_some(),
            "WHARF-AGE-001" => self.file.image.max_age_days.is_some(),
            _ => info.enabled_by_default,
        };
        Some(EffectiveRule {
            info,
            enabled: s.enabled.unwrap_or(implied),
            severity: s.severity.unwrap_or(info.severity),
            action: s.action.unwrap_or(info.action),
        })
    }

    /// Every built-in rule as configured, in report order.
    pub fn rules(&self) -> Vec<EffectiveRule> {
        BUILTIN_RULES
            .iter()
            .filter_map(|r| self.rule(r.id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let mut ids: Vec<&str> = BUILTIN_RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN_RULES.len());
        let doc = include_str!("../../../docs/policy.md");
        for id in ids {
            assert!(doc.contains(id), "{id} is not in docs/policy.md");
        }
    }

    #[test]
    fn settings_override_defaults() {
        let p = Policy::from_toml(
            r#"
version = 1
fail_on = "high"
[vulnerabilities]
severity = "high"
epss_above = 0.2
[rules."CIS-4.6"]
enabled = false
[rules."CIS-4.1"]
severity = "high"
action = "block"
"#,
            Path::new("policy.toml"),
        )
        .expect("policy");
        assert_eq!(p.file.fail_on, Some(Severity::High));
        assert!(!p.rule("CIS-4.6").expect("rule").enabled);
        let r = p.rule("CIS-4.1").expect("rule");
        assert_eq!((r.severity, r.action), (Severity::High, Action::Block));
        assert!(p.rule("WHARF-VULN-003").expect("rule").enabled);
        assert!(!p.rule("WHARF-AGE-001").expect("rule").enabled);
        let err = Policy::from_toml(
            "[rules.\"CIS-9.9\"]\nenabled = false\n",
            Path::new("p.toml"),
        )
        .expect_err("unknown rule");
        assert!(err.to_string().contains("CIS-9.9"), "{err}");
        let err = Policy::from_toml("fail_on = 3\n", Path::new("p.toml")).expect_err("type");
        assert!(err.to_string().contains("p.toml"), "{err}");
    }
}
