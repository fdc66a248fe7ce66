//! Flags of the evaluation phase (`wharf scan --policy --exceptions --vex
//! --fail-on`) and their loading.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use wharf_policy::{BUILTIN_RULES, Exceptions, FindingKind, Policy, RuleSettings, Vex};
use wharf_types::Severity;

/// How results become findings and when the scan fails.
#[derive(Args, Debug)]
pub(crate) struct PolicyArgs {
    /// Policy file (TOML, docs/policy.md): thresholds, rules enabled or
    /// disabled, severities and actions, custom Rego rules. Default: the
    /// built-in policy.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Exception file (TOML or YAML): findings accepted by id or rule,
    /// scoped to images or repositories, with a justification and an
    /// expiry. May be repeated.
    #[arg(long, value_name = "FILE")]
    pub(crate) exceptions: Vec<PathBuf>,
    /// VEX document (OpenVEX 0.2.0 or CycloneDX 1.5/1.6): `not_affected`
    /// statements suppress the vulnerability, with the statement shown.
    /// May be repeated.
    #[arg(long, value_name = "FILE")]
    pub(crate) vex: Vec<PathBuf>,
    /// Fail (exit code 1) when an open finding is at or above this
    /// severity (critical, high, medium, low). Rules with the `block`
    /// action fail the scan whatever the threshold.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub(crate) fail_on: Option<Severity>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    match Severity::parse(s) {
        Some(Severity::Unknown) | None => Err(format!(
            "unknown severity {s:?}: use critical, high, medium or low"
        )),
        Some(sev) => Ok(sev),
    }
}

/// What the evaluation needs, loaded once per scan.
pub(crate) struct Loaded {
    pub(crate) policy: Policy,
    pub(crate) exceptions: Exceptions,
    pub(crate) vex: Vec<Vex>,
}

impl PolicyArgs {
    /// Load the policy, exceptions and VEX documents. Without `checks`
    /// (the `config` scanner not selected) the image-check rules
    /// (misconfiguration, licence, end of life) are turned off.
    pub(crate) fn load(&self, checks: bool) -> anyhow::Result<Loaded> {
        let mut policy = match &self.policy {
            Some(path) => Policy::load(path)
                .with_context(|| format!("loading the policy {}", path.display()))?,
            None => Policy::builtin(),
        }
        .with_fail_on(self.fail_on);
        if !checks {
            for rule in BUILTIN_RULES.iter().filter(|r| {
                matches!(
                    r.kind,
                    FindingKind::Misconfiguration | FindingKind::License | FindingKind::Eol
                )
            }) {
                policy.file.rules.insert(
                    rule.id.to_owned(),
                    RuleSettings {
                        enabled: Some(false),
                        ..RuleSettings::default()
                    },
                );
            }
        }
        let mut exceptions = Exceptions::default();
        for path in &self.exceptions {
            exceptions
                .load(path)
                .with_context(|| format!("loading exceptions from {}", path.display()))?;
        }
        let vex = self
            .vex
            .iter()
            .map(|path| {
                Vex::load(path).with_context(|| format!("loading VEX from {}", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Loaded {
            policy,
            exceptions,
            vex,
        })
    }
}
