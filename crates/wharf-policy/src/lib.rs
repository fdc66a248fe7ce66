//! Evaluation: from scan results to compliance findings that say what to
//! fix.
//!
//! ```text
//! Inventory + [Match] ──► ImageFacts ──► built-in rules ─┐
//!                    └──► policy input v1 ──► Rego rules ─┼─► findings ─► exceptions / VEX ─► gate
//!                                                         │                                   └─► grouped upgrades
//! ```
//!
//! * [`Policy::load`] reads a TOML policy file (`docs/policy.md`) and its
//!   custom Rego rules (`docs/policy-input.md`); [`Policy::builtin`] is the
//!   default set.
//! * [`Exceptions::load`] reads exception files (TOML or YAML), [`Vex::load`]
//!   OpenVEX 0.2.0 and CycloneDX 1.5/1.6 VEX documents.
//! * [`evaluate`] (or [`evaluate_with`] for a fixed time and known tags)
//!   returns an [`Evaluation`]: findings of every kind with stable
//!   fingerprints, upgrades grouped per package, and the [`Gate`].
//! * [`to_json`], [`to_table`], [`to_sarif`] and [`to_junit`] render
//!   evaluations (`docs/findings-json.md`).
//!
//! Findings live here rather than in a crate of their own: the model is
//! small, every producer of findings is in this crate, and the finding
//! store to come depends on this crate either way.

mod eol;
mod error;
mod evaluate;
mod exceptions;
mod facts;
mod finding;
mod license;
mod policy;
mod rego;
mod render;

pub use eol::{EolRelease, EolStatus, EolTable};
pub use error::PolicyError;
pub use evaluate::{
    Context, Decision, Evaluation, Gate, GateReason, POLICY_INPUT_VERSION, Remediation,
    RuleOutcome, evaluate, evaluate_with, policy_input, repository_of,
};
pub use exceptions::{Exception, Exceptions, Vex, VexStatement};
pub use facts::{HistoryRef, ImageFacts, is_root, secret_like};
pub use finding::{
    Action, Finding, FindingKind, ImageRef, PackageRef, Provenance, Status, Suppression,
    VulnerabilityRef, fingerprint, short_id,
};
pub use license::{Expr, ExprError, is_forbidden};
pub use policy::{
    BUILTIN_RULES, CustomFile, EffectiveRule, ImageSettings, LicenseSettings, Policy, PolicyFile,
    RuleInfo, RuleSettings, VulnSettings, builtin_rule,
};
pub use rego::{CustomRules, Denial, EVAL_TIME_LIMIT};
pub use render::{
    FINDINGS_SCHEMA_VERSION, SarifScope, combine, to_json, to_junit, to_sarif, to_table,
};
