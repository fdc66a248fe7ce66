//! `evaluate`: inventory + matches + policy + exceptions + VEX → findings,
//! grouped remediation and the gate decision.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use wharf_inventory::Inventory;
use wharf_matcher::Match;
use wharf_types::{Location, MalwareEngine, Severity};
use wharf_version::Scheme;

use crate::exceptions::{ExceptionOutcome, Exceptions, Subject, Vex};
use crate::facts::ImageFacts;
use crate::finding::{
    Action, Finding, FindingKind, ImageRef, PackageRef, Provenance, Status, Suppression,
    VulnerabilityRef, fingerprint, short_id,
};
use crate::license::is_forbidden;
use crate::policy::{EffectiveRule, Policy};

/// Version of the policy input document handed to Rego rules.
pub const POLICY_INPUT_VERSION: u32 = 1;

/// What an evaluation needs besides its inputs.
#[derive(Debug, Clone)]
pub struct Context {
    /// The evaluation time (exception expiry, image age, end of life).
    pub now: jiff::Timestamp,
    /// Tags pointing at the image (besides the one in its source).
    pub tags: Vec<String>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            now: jiff::Timestamp::now(),
            tags: Vec::new(),
        }
    }
}

/// The gate's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Nothing blocks.
    Pass,
    /// At least one reason.
    Fail,
}

/// Why the gate fails: one open finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateReason {
    /// The finding's id.
    pub finding: String,
    /// Its rule.
    pub rule_id: String,
    /// Its severity.
    pub severity: Severity,
    /// Its action.
    pub action: Action,
    /// One line.
    pub message: String,
}

/// The gate result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Pass or fail.
    pub decision: Decision,
    /// The threshold used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Reasons, the most serious first: blocking findings and findings at
    /// or above `fail_on`, by severity (highest first), blocking before
    /// issue, then rule id and finding id.
    pub reasons: Vec<GateReason>,
}

impl Gate {
    /// Whether the gate passed.
    pub fn passed(&self) -> bool {
        self.decision == Decision::Pass
    }
}

/// One package upgrade that fixes a group of vulnerabilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// Ecosystem.
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// The smallest version that fixes every fixable one (`None` when none
    /// is fixable yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_to: Option<String>,
    /// Vulnerabilities the upgrade fixes.
    pub fixes: Vec<String>,
    /// Vulnerabilities with no fix yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfixed: Vec<String>,
    /// Highest severity among them.
    pub severity: Severity,
    /// `upgrade openssl 3.0.11-1~deb12u1 → 3.0.13-1~deb12u1 fixes 4 CVEs`.
    pub summary: String,
}

/// The result of evaluating one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The image.
    pub image: ImageRef,
    /// Evaluation time.
    pub evaluated_at: jiff::Timestamp,
    /// The image facts the rules saw.
    pub facts: ImageFacts,
    /// Findings: open first, then by severity (highest first), kind, rule, id.
    pub findings: Vec<Finding>,
    /// Upgrades, grouped per package, the most severe first.
    pub remediations: Vec<Remediation>,
    /// Rules evaluated (enabled built-ins, then custom rule ids found) and
    /// how many open findings each produced.
    pub rules: Vec<RuleOutcome>,
    /// The gate decision.
    pub gate: Gate,
    /// Problems evaluating custom rules (they fail the gate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// A rule's outcome for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Open findings.
    pub open: usize,
    /// Open findings that fail the gate.
    pub failing: usize,
    /// Findings suppressed by exceptions or VEX.
    pub suppressed: usize,
}

/// The repository of an image source (`registry/path` without tag or
/// digest), `None` for `oci:`, `docker-archive:` and `dir:` sources.
pub fn repository_of(source: &str) -> Option<String> {
    if ["oci:", "docker-archive:", "dir:"]
        .iter()
        .any(|p| source.starts_with(p))
    {
        return None;
    }
    let no_digest = source.split('@').next().unwrap_or(source);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    Some(match no_digest[last_slash..].rfind(':') {
        Some(i) => no_digest[..last_slash + i].to_owned(),
        None => no_digest.to_owned(),
    })
}

fn tag_of(source: &str) -> Option<String> {
    if source.contains('@') || repository_of(source).is_none() {
        return None;
    }
    let last_slash = source.rfind('/').map_or(0, |i| i + 1);
    source[last_slash..]
        .rsplit_once(':')
        .map(|(_, t)| t.to_owned())
}

/// The versioned input document custom rules see (`docs/policy-input.md`).
pub fn policy_input(
    inv: &Inventory,
    matches: &[Match],
    facts: &ImageFacts,
    image: &ImageRef,
) -> serde_json::Value {
    let mut img = serde_json::to_value(&inv.image).unwrap_or_default();
    if let Some(o) = img.as_object_mut() {
        o.insert("repository".into(), serde_json::json!(image.repository));
        o.insert("tags".into(), serde_json::json!(image.tags));
    }
    serde_json::json!({
        "schema_version": POLICY_INPUT_VERSION,
        "image": img,
        "facts": facts,
        "os": inv.os,
        "packages": inv.packages,
        "vulnerabilities": matches,
        "secrets": inv.secrets,
        "malware": inv.malware,
        "files": inv.files,
    })
}

/// The smallest of `fixed` above `installed` in `scheme`. A version that
/// does not compare (malformed) is taken when none above is found; when
/// every version compares and none is above, `None`.
fn smallest_fix(scheme: Scheme, installed: &str, fixed: &[String]) -> Option<String> {
    let above: Vec<&String> = fixed
        .iter()
        .filter(|f| {
            wharf_version::compare(scheme, f, installed).is_ok_and(|o| o == Ordering::Greater)
        })
        .collect();
    above
        .into_iter()
        .min_by(|a, b| wharf_version::compare(scheme, a, b).unwrap_or(Ordering::Equal))
        .cloned()
        .or_else(|| {
            fixed
                .iter()
                .find(|f| wharf_version::compare(scheme, f, installed).is_err())
                .cloned()
        })
}

struct Builder<'a> {
    policy: &'a Policy,
    image: ImageRef,
    analyzers: Vec<String>,
    findings: Vec<Finding>,
}

impl Builder<'_> {
    fn rule(&self, id: &str) -> Option<EffectiveRule> {
        self.policy.rule(id).filter(|r| r.enabled)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: &EffectiveRule,
        kind: FindingKind,
        subject: &str,
        extra: &[&str],
        title: String,
        severity: Severity,
        message: String,
        locations: Vec<String>,
        layer: Option<wharf_types::Digest>,
    ) -> &mut Finding {
        let fp = fingerprint(kind, rule.info.id, subject, extra);
        self.findings.push(Finding {
            id: short_id(&fp),
            fingerprint: fp,
            kind,
            rule_id: rule.info.id.to_owned(),
            rules: vec![rule.info.id.to_owned()],
            title,
            severity,
            action: rule.action,
            status: Status::Open,
            message,
            remediation: rule.info.remediation.to_owned(),
            package: None,
            vulnerability: None,
            locations,
            layer,
            images: vec![self.image.clone()],
            first_seen: None,
            last_seen: None,
            suppression: None,
            notes: Vec::new(),
            provenance: Provenance {
                rule: format!("{}@{}", rule.info.id, rule.info.version),
                analyzers: self.analyzers.clone(),
                ..Provenance::default()
            },
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// An ecosystem's serialized name (`deb`, `npm`…).
fn eco_name(e: wharf_types::Ecosystem) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn eco_parse(s: &str) -> Option<wharf_types::Ecosystem> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Evaluate one image now.
pub fn evaluate(
    inventory: &Inventory,
    matches: &[Match],
    policy: &Policy,
    exceptions: &Exceptions,
    vex: &[Vex],
) -> Evaluation {
    evaluate_with(
        inventory,
        matches,
        policy,
        exceptions,
        vex,
        &Context::default(),
    )
}

/// Evaluate one image in `ctx` (a fixed time, known tags).
pub fn evaluate_with(
    inventory: &Inventory,
    matches: &[Match],
    policy: &Policy,
    exceptions: &Exceptions,
    vex: &[Vex],
    ctx: &Context,
) -> Evaluation {
    let source = inventory.image.source.clone();
    let mut tags: Vec<String> = tag_of(&source)
        .into_iter()
        .chain(ctx.tags.iter().cloned())
        .collect();
    tags.sort();
    tags.dedup();
    let image = ImageRef {
        repository: repository_of(&source),
        source,
        digest: inventory.image.digest.clone(),
        tags,
    };
    let facts = ImageFacts::of(inventory, ctx.now);
    let mut b = Builder {
        policy,
        image: image.clone(),
        analyzers: inventory.analyzers.clone(),
        findings: Vec::new(),
    };
    vulnerabilities(&mut b, matches, inventory);
    content(&mut b, inventory);
    misconfigurations(&mut b, &facts);
    licenses(&mut b, inventory);
    let mut errors = Vec::new();
    if !policy.custom.is_empty() {
        let input = policy_input(inventory, matches, &facts, &image);
        match policy.custom.evaluate(&input) {
            Ok(denials) => {
                for d in denials {
                    let fp = fingerprint(FindingKind::Misconfiguration, &d.id, &d.message, &[]);
                    b.findings.push(Finding {
                        id: short_id(&fp),
                        fingerprint: fp,
                        kind: FindingKind::Misconfiguration,
                        rule_id: d.id.clone(),
                        rules: vec![d.id.clone()],
                        title: d.title,
                        severity: d.severity,
                        action: d.action,
                        status: Status::Open,
                        message: d.message,
                        remediation: d.remediation,
                        package: None,
                        vulnerability: None,
                        locations: Vec::new(),
                        layer: None,
                        images: vec![image.clone()],
                        first_seen: None,
                        last_seen: None,
                        suppression: None,
                        notes: Vec::new(),
                        provenance: Provenance {
                            rule: format!("rego:data.{}", d.package),
                            analyzers: inventory.analyzers.clone(),
                            ..Provenance::default()
                        },
                    });
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let mut findings = b.findings;
    let today = ctx.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    for f in &mut findings {
        suppress(f, &image, exceptions, vex, today);
    }
    findings.sort_by(|a, b| {
        (
            a.status != Status::Open,
            std::cmp::Reverse(a.severity),
            a.kind,
            &a.rule_id,
            &a.title,
            &a.id,
        )
            .cmp(&(
                b.status != Status::Open,
                std::cmp::Reverse(b.severity),
                b.kind,
                &b.rule_id,
                &b.title,
                &b.id,
            ))
    });
    let remediations = remediations(&findings);
    let gate = gate(&findings, policy.file.fail_on, &errors);
    let rules = rule_outcomes(policy, &findings, &gate);
    Evaluation {
        image,
        evaluated_at: ctx.now,
        facts,
        findings,
        remediations,
        rules,
        gate,
        errors,
    }
}

fn vulnerabilities(b: &mut Builder<'_>, matches: &[Match], inv: &Inventory) {
    let settings = b.policy.file.vulnerabilities.clone();
    let (none, sev, kev, epss) = (
        b.policy.rule("WHARF-VULN-000"),
        b.rule("WHARF-VULN-001"),
        b.rule("WHARF-VULN-002"),
        b.rule("WHARF-VULN-003"),
    );
    let Some(none) = none else { return };
    for m in matches {
        let severity = Severity::parse(&m.severity).unwrap_or_default();
        let fixable = !m.fixed_versions.is_empty();
        let counts = fixable || !settings.fixable_only;
        let mut triggered: Vec<&EffectiveRule> = Vec::new();
        if let Some(r) = &kev
            && m.kev
        {
            triggered.push(r);
        }
        if let Some(r) = &sev
            && counts
            && severity >= settings.severity
            && severity != Severity::Unknown
        {
            triggered.push(r);
        }
        if let (Some(r), Some(t)) = (&epss, settings.epss_above)
            && counts
            && m.epss.is_some_and(|e| e > t)
        {
            triggered.push(r);
        }
        let primary = triggered.first().copied().unwrap_or(&none);
        let scheme = Scheme::for_ecosystem(m.ecosystem);
        let fixed_in = smallest_fix(scheme, &m.installed_version, &m.fixed_versions);
        let subject = format!("{}/{}", eco_name(m.ecosystem), m.package);
        let locations = m.locations.join(",");
        let title = format!("{} in {} {}", m.id, m.package, m.installed_version);
        let mut message = match &m.summary {
            Some(s) => format!("{}: {s}", m.id),
            None => format!("{} affects {} {}", m.id, m.package, m.installed_version),
        };
        if m.kev {
            message.push_str(" (known exploited)");
        }
        let f = b.push(
            primary,
            FindingKind::Vulnerability,
            &subject,
            &[&m.id, &locations],
            title,
            severity,
            message,
            m.locations.clone(),
            m.layer.clone(),
        );
        // The fingerprint names the vulnerability, not the rule it crossed
        // (thresholds change; the finding stays the same).
        let fp = fingerprint(FindingKind::Vulnerability, &m.id, &subject, &[&locations]);
        f.id = short_id(&fp);
        f.fingerprint = fp;
        f.rules = triggered.iter().map(|r| r.info.id.to_owned()).collect();
        f.action = triggered
            .iter()
            .map(|r| r.action)
            .max()
            .unwrap_or(none.action);
        f.remediation = match &fixed_in {
            Some(v) => format!("upgrade {} {} → {v}", m.package, m.installed_version),
            None if !m.fixed_versions.is_empty() => format!(
                "fixed in {} (none above the installed {}): check which release stream {} follows",
                m.fixed_versions.join(", "),
                m.installed_version,
                m.package
            ),
            None => format!(
                "no fixed version yet ({}); consider removing {}",
                m.state_name(),
                m.package
            ),
        };
        f.package = Some(PackageRef {
            ecosystem: eco_name(m.ecosystem),
            name: m.package.clone(),
            version: m.installed_version.clone(),
            // The installed package's purl, for VEX statements naming it.
            purl: inv
                .packages
                .iter()
                .find(|p| {
                    p.ecosystem == m.ecosystem
                        && p.name == m.package
                        && (p.version == m.installed_version
                            || p.full_version() == m.installed_version)
                })
                .and_then(|p| p.purl.clone()),
        });
        f.vulnerability = Some(VulnerabilityRef {
            id: m.id.clone(),
            aliases: m.aliases.clone(),
            fixed_versions: m.fixed_versions.clone(),
            fixed_in,
            fix_state: m.state_name(),
            cvss: m.cvss_score,
            epss: m.epss,
            kev: m.kev,
        });
        f.provenance.snapshot = Some(m.snapshot_id.clone());
        f.provenance.advisory = Some(format!("{} ({})", m.advisory, m.source));
    }
}

/// The fix state's name, as the matcher serializes it.
trait StateName {
    fn state_name(&self) -> String;
}

impl StateName for Match {
    fn state_name(&self) -> String {
        serde_json::to_value(self.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into())
    }
}

fn content(b: &mut Builder<'_>, inv: &Inventory) {
    let secret_rule = b.rule("WHARF-SECRET-001");
    let config_rule = b.rule("CIS-4.10");
    for s in &inv.secrets {
        let in_config = matches!(s.location, Location::Env { .. } | Location::History { .. });
        let Some(rule) = (if in_config {
            config_rule.clone().or(secret_rule.clone())
        } else {
            secret_rule.clone()
        }) else {
            continue;
        };
        let loc = s.location.display();
        let mut message = format!("{} ({}) at {loc}: {}", s.title, s.rule_id, s.excerpt);
        if s.placement.deleted {
            message.push_str(" — deleted by a later layer, still in the image's layers");
        }
        let title = if in_config {
            format!("{} in {loc}", s.title)
        } else {
            s.title.clone()
        };
        let severity = if in_config {
            rule.severity.max(s.severity)
        } else {
            s.severity
        };
        let f = b.push(
            &rule,
            FindingKind::Secret,
            &loc,
            &[&s.rule_id, &s.fingerprint],
            title,
            severity,
            message,
            vec![loc.clone()],
            s.placement.layer.clone(),
        );
        f.provenance.rule = format!(
            "{}@{} + secret:{}",
            rule.info.id, rule.info.version, s.rule_id
        );
    }
    if let Some(rule) = b.rule("WHARF-MALWARE-001") {
        for m in &inv.malware {
            let loc = m.location.display();
            let limit = m.engine == MalwareEngine::Limit;
            let (title, severity) = if limit {
                (
                    format!("Not fully inspected: {}", m.description),
                    Severity::Low,
                )
            } else {
                (format!("{} ({})", m.rule, m.description), m.severity)
            };
            let message = format!("{title} at {loc} (sha256 {})", m.sha256);
            let f = b.push(
                &rule,
                FindingKind::Malware,
                &loc,
                &[&m.rule, &m.sha256],
                title,
                severity,
                message,
                vec![loc.clone()],
                m.placement.layer.clone(),
            );
            if limit {
                f.action = Action::Issue;
            }
        }
    }
}

fn misconfigurations(b: &mut Builder<'_>, facts: &ImageFacts) {
    if facts.config_known {
        if let Some(r) = b.rule("CIS-4.1")
            && facts.runs_as_root
        {
            let user = facts.user.as_deref().unwrap_or("");
            let msg = if user.is_empty() {
                "The image sets no USER: containers run as root".to_owned()
            } else {
                format!("The image runs as `{user}` (root)")
            };
            b.push(
                &r,
                FindingKind::Misconfiguration,
                "user",
                &[],
                r.info.title.to_owned(),
                r.severity,
                msg,
                Vec::new(),
                None,
            );
        }
        if let Some(r) = b.rule("CIS-4.6")
            && !facts.healthcheck
        {
            b.push(
                &r,
                FindingKind::Misconfiguration,
                "healthcheck",
                &[],
                r.info.title.to_owned(),
                r.severity,
                "The image declares no HEALTHCHECK (or disables it)".to_owned(),
                Vec::new(),
                None,
            );
        }
        if let Some(r) = b.rule("CIS-4.9") {
            for a in &facts.remote_adds {
                b.push(
                    &r,
                    FindingKind::Misconfiguration,
                    &a.created_by,
                    &[],
                    r.info.title.to_owned(),
                    r.severity,
                    format!("Build step #{} adds a remote URL: {}", a.step, a.created_by),
                    vec![format!("history#{}", a.step)],
                    None,
                );
            }
            // A local ADD: COPY says what it does (no archive extraction).
            for a in &facts.local_adds {
                b.push(
                    &r,
                    FindingKind::Misconfiguration,
                    &a.created_by,
                    &[],
                    "ADD instead of COPY (CIS Docker 4.9)".to_owned(),
                    Severity::Low,
                    format!(
                        "Build step #{} uses ADD for local files: {}",
                        a.step, a.created_by
                    ),
                    vec![format!("history#{}", a.step)],
                    None,
                );
            }
        }
        if let Some(r) = b.rule("CIS-4.10") {
            // A heuristic on names: an issue to check, not a proven secret.
            for name in &facts.secret_like_env {
                let loc = format!("env:{name}");
                let f = b.push(
                    &r,
                    FindingKind::Secret,
                    &loc,
                    &["name"],
                    format!("Environment variable {name} may hold a secret"),
                    Severity::Medium,
                    format!(
                        "`{name}` is set in the image configuration; its name suggests a secret"
                    ),
                    vec![loc.clone()],
                    None,
                );
                f.action = Action::Issue;
            }
        }
        if let Some(r) = b.rule("WHARF-AGE-001")
            && let (Some(max), Some(age)) = (b.policy.file.image.max_age_days, facts.age_days)
            && age > max
        {
            b.push(
                &r,
                FindingKind::Misconfiguration,
                "age",
                &[],
                r.info.title.to_owned(),
                r.severity,
                format!("The image was built {age} days ago (maximum {max})"),
                Vec::new(),
                None,
            );
        }
    }
    if let Some(r) = b.rule("CIS-4.8")
        && !facts.setuid_files.is_empty()
    {
        let paths: Vec<String> = facts.setuid_files.iter().map(|f| f.path.clone()).collect();
        let msg = format!(
            "{} with setuid/setgid bits: {}",
            plural(paths.len(), "file", "files"),
            paths.join(", ")
        );
        b.push(
            &r,
            FindingKind::Misconfiguration,
            "setuid",
            &[],
            r.info.title.to_owned(),
            r.severity,
            msg,
            paths,
            None,
        );
    }
    if let Some(r) = b.rule("WHARF-FILE-001")
        && !facts.world_writable.is_empty()
    {
        let paths: Vec<String> = facts
            .world_writable
            .iter()
            .map(|f| f.path.clone())
            .collect();
        let msg = format!(
            "{} writable by everyone: {}",
            plural(paths.len(), "path", "paths"),
            paths.join(", ")
        );
        b.push(
            &r,
            FindingKind::Misconfiguration,
            "world-writable",
            &[],
            r.info.title.to_owned(),
            r.severity,
            msg,
            paths,
            None,
        );
    }
    if let Some(r) = b.rule("WHARF-CACHE-001") {
        for c in &facts.package_caches {
            let msg = format!(
                "{} cache left in /{}: {}, {} bytes",
                c.manager,
                c.path,
                plural(c.files as usize, "file", "files"),
                c.bytes
            );
            b.push(
                &r,
                FindingKind::Misconfiguration,
                &c.path,
                &[],
                format!("{} ({})", r.info.title, c.manager),
                r.severity,
                msg,
                vec![c.path.clone()],
                c.layers.last().cloned(),
            );
        }
    }
    if let Some(r) = b.rule("WHARF-EOL-001")
        && let Some(eol) = &facts.eol
        && eol.end_of_life
    {
        let rel = &eol.release;
        let name = rel
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let msg = match rel.extended {
            Some(x) if eol.extended_support => format!(
                "{} {}{name} reached the end of the extended support enabled in the image on {x} (standard support ended on {})",
                rel.family, rel.version, rel.eol
            ),
            Some(x) => format!(
                "{} {}{name} reached end of life on {}; paid extended support until {x}",
                rel.family, rel.version, rel.eol
            ),
            None => format!(
                "{} {}{name} reached end of life on {}",
                rel.family, rel.version, rel.eol
            ),
        };
        let f = b.push(
            &r,
            FindingKind::Eol,
            &format!("{}/{}", rel.family, rel.version),
            &[],
            format!("End-of-life OS: {} {}", rel.family, rel.version),
            r.severity,
            msg,
            Vec::new(),
            None,
        );
        f.provenance.eol_table_as_of = Some(eol.table_as_of);
    }
}

fn licenses(b: &mut Builder<'_>, inv: &Inventory) {
    let forbidden = b.policy.file.licenses.forbidden.clone();
    if forbidden.is_empty() {
        return;
    }
    let Some(r) = b.rule("WHARF-LICENSE-001") else {
        return;
    };
    for p in &inv.packages {
        let mut hit: Vec<String> = Vec::new();
        for l in &p.licenses {
            if let Some(ids) = is_forbidden(l, &forbidden) {
                hit.extend(ids);
            }
        }
        if hit.is_empty() {
            continue;
        }
        hit.sort();
        hit.dedup();
        let subject = format!("{}/{}", eco_name(p.ecosystem), p.name);
        let msg = format!(
            "{} {} is licensed {} (forbidden: {})",
            p.name,
            p.version,
            p.licenses.join(" / "),
            hit.join(", ")
        );
        let f = b.push(
            &r,
            FindingKind::License,
            &subject,
            &[&p.locations.join(",")],
            format!("Forbidden licence in {}", p.name),
            r.severity,
            msg,
            p.locations.clone(),
            p.layer.clone(),
        );
        f.package = Some(PackageRef {
            ecosystem: eco_name(p.ecosystem),
            name: p.name.clone(),
            version: p.full_version(),
            purl: p.purl.clone(),
        });
    }
}

fn suppress(
    f: &mut Finding,
    image: &ImageRef,
    exceptions: &Exceptions,
    vex: &[Vex],
    today: jiff::civil::Date,
) {
    let mut ids: Vec<&str> = vec![f.id.as_str(), f.fingerprint.as_str()];
    if let Some(v) = &f.vulnerability {
        ids.push(&v.id);
        ids.extend(v.aliases.iter().map(String::as_str));
    }
    let digest = image.digest.as_ref().map(ToString::to_string);
    let subject = Subject {
        ids,
        rule: &f.rule_id,
        package: f.package.as_ref().map(|p| p.name.as_str()),
        purl: f.package.as_ref().and_then(|p| p.purl.as_deref()),
        repository: image.repository.as_deref(),
        source: &image.source,
        digest: digest.as_deref(),
    };
    let mut suppression = None;
    let mut status = Status::Open;
    let mut notes = Vec::new();
    if f.kind == FindingKind::Vulnerability {
        for doc in vex {
            if let Some(st) = doc.lookup(&subject) {
                if st.status == "not_affected" {
                    status = Status::NotAffected;
                    suppression = Some(Suppression {
                        by: "vex".into(),
                        source: doc.source.clone(),
                        justification: st.justification.clone(),
                        expires: None,
                    });
                } else {
                    let why = if st.justification.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", st.justification)
                    };
                    notes.push(format!("VEX {} says {}{why}", doc.source, st.status));
                }
            }
        }
    }
    if status == Status::Open {
        match exceptions.lookup(&subject, today) {
            Some(ExceptionOutcome::Applies(file, e)) => {
                status = Status::Accepted;
                suppression = Some(Suppression {
                    by: "exception".into(),
                    source: file.to_owned(),
                    justification: e.justification.clone(),
                    expires: e.expires,
                });
            }
            Some(ExceptionOutcome::Expired(file, e)) => notes.push(format!(
                "exception in {file} expired on {}: no longer applies (was: {})",
                e.expires.map(|d| d.to_string()).unwrap_or_default(),
                e.justification
            )),
            None => {}
        }
    }
    f.status = status;
    f.suppression = suppression;
    f.notes.extend(notes);
}

fn remediations(findings: &[Finding]) -> Vec<Remediation> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(String, String, String), Vec<&Finding>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.status == Status::Open && f.kind == FindingKind::Vulnerability)
    {
        if let Some(p) = &f.package {
            groups
                .entry((p.ecosystem.clone(), p.name.clone(), p.version.clone()))
                .or_default()
                .push(f);
        }
    }
    let mut out = Vec::new();
    for ((ecosystem, package, installed), fs) in groups {
        let scheme = eco_parse(&ecosystem)
            .map(Scheme::for_ecosystem)
            .unwrap_or(Scheme::Generic);
        let mut upgrade_to: Option<String> = None;
        let (mut fixes, mut unfixed) = (Vec::new(), Vec::new());
        for f in &fs {
            let Some(v) = &f.vulnerability else { continue };
            match &v.fixed_in {
                Some(fix) => {
                    fixes.push(v.id.clone());
                    let higher = upgrade_to.as_ref().is_none_or(|cur| {
                        wharf_version::compare(scheme, fix, cur)
                            .is_ok_and(|o| o == Ordering::Greater)
                    });
                    if higher {
                        upgrade_to = Some(fix.clone());
                    }
                }
                None => unfixed.push(v.id.clone()),
            }
        }
        fixes.sort();
        fixes.dedup();
        unfixed.sort();
        unfixed.dedup();
        let severity = fs.iter().map(|f| f.severity).max().unwrap_or_default();
        let what = |ids: &[String]| {
            if ids.iter().all(|i| i.starts_with("CVE-")) {
                plural(ids.len(), "CVE", "CVEs")
            } else {
                plural(ids.len(), "vulnerability", "vulnerabilities")
            }
        };
        let summary = match &upgrade_to {
            Some(v) => {
                let mut s = format!("upgrade {package} {installed} → {v} fixes {}", what(&fixes));
                if !unfixed.is_empty() {
                    s.push_str(&format!(" ({} not fixed yet)", what(&unfixed)));
                }
                s
            }
            None => format!("{package} {installed}: no fix yet for {}", what(&unfixed)),
        };
        out.push(Remediation {
            ecosystem,
            package,
            installed,
            upgrade_to,
            fixes,
            unfixed,
            severity,
            summary,
        });
    }
    out.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity),
            std::cmp::Reverse(a.fixes.len()),
            &a.package,
        )
            .cmp(&(
                std::cmp::Reverse(b.severity),
                std::cmp::Reverse(b.fixes.len()),
                &b.package,
            ))
    });
    out
}

fn gate(findings: &[Finding], fail_on: Option<Severity>, errors: &[String]) -> Gate {
    let mut reasons: Vec<GateReason> = findings
        .iter()
        .filter(|f| f.status == Status::Open)
        .filter(|f| {
            f.action == Action::Block
                || fail_on.is_some_and(|t| f.severity >= t && f.severity != Severity::Unknown)
        })
        .map(|f| GateReason {
            finding: f.id.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            action: f.action,
            message: format!("{} [{}]: {}", f.rule_id, f.severity, f.title),
        })
        .collect();
    reasons.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity),
            std::cmp::Reverse(a.action),
            &a.rule_id,
            &a.finding,
        )
            .cmp(&(
                std::cmp::Reverse(b.severity),
                std::cmp::Reverse(b.action),
                &b.rule_id,
                &b.finding,
            ))
    });
    for e in errors {
        reasons.push(GateReason {
            finding: String::new(),
            rule_id: "CUSTOM".into(),
            severity: Severity::Unknown,
            action: Action::Block,
            message: format!("custom rules could not be evaluated: {e}"),
        });
    }
    Gate {
        decision: if reasons.is_empty() {
            Decision::Pass
        } else {
            Decision::Fail
        },
        fail_on,
        reasons,
    }
}

fn rule_outcomes(policy: &Policy, findings: &[Finding], gate: &Gate) -> Vec<RuleOutcome> {
    let failing: std::collections::HashSet<&str> =
        gate.reasons.iter().map(|r| r.finding.as_str()).collect();
    let mut ids: Vec<(String, String)> = policy
        .rules()
        .into_iter()
        .filter(|r| r.enabled)
        .map(|r| (r.info.id.to_owned(), r.info.title.to_owned()))
        .collect();
    for f in findings {
        if !ids.iter().any(|(id, _)| *id == f.rule_id) {
            ids.push((f.rule_id.clone(), f.title.clone()));
        }
    }
    ids.into_iter()
        .map(|(id, title)| {
            let of: Vec<&Finding> = findings.iter().filter(|f| f.rule_id == id).collect();
            RuleOutcome {
                open: of.iter().filter(|f| f.status == Status::Open).count(),
                failing: of
                    .iter()
                    .filter(|f| failing.contains(f.id.as_str()))
                    .count(),
                suppressed: of
                    .iter()
                    .filter(|f| matches!(f.status, Status::Accepted | Status::NotAffected))
                    .count(),
                id,
                title,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_tags() {
        assert_eq!(
            repository_of("registry.example.com:5000/team/api:v1").as_deref(),
            Some("registry.example.com:5000/team/api")
        );
        assert_eq!(
            repository_of("registry.example.com:5000/team/api").as_deref(),
            Some("registry.example.com:5000/team/api")
        );
        assert_eq!(
            repository_of("ghcr.io/a/b@sha256:00").as_deref(),
            Some("ghcr.io/a/b")
        );
        assert_eq!(repository_of("oci:./layout:v1"), None);
        assert_eq!(
            tag_of("registry.example.com:5000/team/api:v1").as_deref(),
            Some("v1")
        );
        assert_eq!(tag_of("registry.example.com:5000/team/api"), None);
    }

    #[test]
    fn smallest_fix_above_installed() {
        let fixed = vec![
            "3.0.9-1".to_owned(),
            "3.0.13-1~deb12u1".to_owned(),
            "3.0.12-1".to_owned(),
        ];
        assert_eq!(
            smallest_fix(Scheme::Dpkg, "3.0.11-1~deb12u1", &fixed).as_deref(),
            Some("3.0.12-1")
        );
        assert_eq!(smallest_fix(Scheme::Dpkg, "3.0.11-1", &[]), None);
        assert_eq!(
            smallest_fix(Scheme::Dpkg, "3.0.11-1", &["3.0.9-1".to_owned()]),
            None,
            "never a downgrade"
        );
    }
}
