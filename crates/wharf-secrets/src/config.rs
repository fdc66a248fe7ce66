//! Secrets in the image configuration: `Env`, labels and the build
//! history (`created_by`, where build arguments leak as
//! `|2 NPM_TOKEN=… /bin/sh -c …` and `ARG`/`ENV` steps).
//!
//! Each text is scanned with the file rules (value formats such as
//! `ghp_…`) and with a name rule: a variable whose name says it holds a
//! secret (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `API_KEY`, …) and whose
//! value is not a placeholder. Every secret found is replaced in place by
//! its redacted form, so the clear value never reaches stored metadata.

use regex::Regex;
use wharf_analyzers::ConfigText;
use wharf_types::{Location, SecretFinding, Severity};

use crate::rules::RuleInfo;
use crate::scanner::SecretScanner;
use crate::text;

/// The id of the sensitive-variable-name rule.
pub const SENSITIVE_VARIABLE_RULE: &str = "sensitive-variable";

/// The description of [`SENSITIVE_VARIABLE_RULE`], for reports.
pub(crate) fn sensitive_variable_info() -> RuleInfo {
    RuleInfo {
        id: SENSITIVE_VARIABLE_RULE.into(),
        category: "Generic".into(),
        title: "Secret in a sensitive variable (image Env, label or build argument)".into(),
        severity: Severity::High,
        remediation: "Rotate the value. Do not pass secrets with ENV or ARG: both are stored in the image configuration and history; use build secrets (`RUN --mount=type=secret`) and inject the value at run time.".into(),
        builtin: true,
    }
}

/// Compiled helpers of configuration scanning.
pub(crate) struct ConfigRules {
    sensitive_name: Regex,
    assignment: Regex,
    env_space: Regex,
}

impl ConfigRules {
    pub(crate) fn new() -> Self {
        // These patterns are constants checked by the tests.
        let re = |p: &str| match Regex::new(p) {
            Ok(r) => r,
            Err(e) => unreachable!("constant regex: {e}"),
        };
        Self {
            sensitive_name: re(
                r"(?i)(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD|SECRET|SECRET_KEY|TOKEN|AUTH_TOKEN|ACCESS_TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CLIENT_SECRET|CREDENTIALS?|AUTH)$",
            ),
            assignment: re(
                r#"(?:^|[\s|;&(])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|)]+)"#,
            ),
            env_space: re(r"(?:^|\s)(?:ENV|ARG)\s+([A-Za-z_][A-Za-z0-9_]*)\s+([^\s=][^\s]*)"),
        }
    }

    /// Whether a variable name says it holds a secret (names ending in
    /// `_FILE`, `_PATH`, `_URL`, … do not).
    pub(crate) fn is_sensitive_name(&self, name: &str) -> bool {
        self.sensitive_name.is_match(name)
    }
}

/// Whether a value given to a sensitive name is worth reporting.
fn is_real_value(v: &str) -> bool {
    let v = v.trim();
    v.len() >= 6
        && !text::is_placeholder(v.as_bytes())
        && !v.starts_with('/')
        && !v.starts_with("file:")
        && !v.bytes().all(|b| b.is_ascii_digit())
}

fn strip_quotes(v: &str, start: usize) -> (usize, usize) {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        (start + 1, start + v.len() - 1)
    } else {
        (start, start + v.len())
    }
}

/// Scan one text; returns its findings (location set by the caller) and
/// rewrites it with every secret redacted.
fn scan_one(
    scanner: &SecretScanner,
    text_in: &mut String,
    names: &[(usize, usize, String)],
    location: &Location,
) -> Vec<SecretFinding> {
    let mut found: Vec<(usize, usize, SecretFinding)> = scanner.scan_text(text_in);
    // A sensitive name says more than a generic file rule on the same value.
    found.retain(|(fs, fe, f)| {
        !(f.rule_id.starts_with("generic-") && names.iter().any(|(s, e, _)| fs < e && fe > s))
    });
    for (s, e, name) in names {
        let value = &text_in[*s..*e];
        if !is_real_value(value) || found.iter().any(|(fs, fe, _)| fs < e && fe > s) {
            continue;
        }
        found.push((
            *s,
            *e,
            SecretFinding {
                rule_id: SENSITIVE_VARIABLE_RULE.into(),
                category: "Generic".into(),
                title: format!("Secret in variable {name}"),
                severity: Severity::High,
                location: location.clone(),
                excerpt: String::new(),
                fingerprint: scanner.key().fingerprint(value.as_bytes()),
                placement: Default::default(),
            },
        ));
    }
    if found.is_empty() {
        return Vec::new();
    }
    let ranges: Vec<(usize, usize)> = found.iter().map(|(s, e, _)| (*s, *e)).collect();
    let bytes = text_in.as_bytes().to_vec();
    let mut out = Vec::new();
    for (s, _, mut f) in found {
        f.location = location.clone();
        f.excerpt = text::excerpt(&bytes, (0, bytes.len()), &ranges, s);
        out.push(f);
    }
    // Redact in place, last range first so offsets stay valid.
    let mut sorted = ranges;
    sorted.sort_unstable();
    sorted.dedup();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in sorted {
        match merged.last_mut() {
            Some(last) if s < last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut redacted = String::with_capacity(text_in.len());
    let mut pos = 0;
    for (s, e) in merged {
        redacted.push_str(&String::from_utf8_lossy(&bytes[pos..s]));
        redacted.push_str(&text::redact(&bytes[s..e]));
        pos = e;
    }
    redacted.push_str(&String::from_utf8_lossy(&bytes[pos..]));
    *text_in = redacted;
    out
}

/// Value ranges of `NAME=value` assignments (and `ENV NAME value`) whose
/// name is sensitive.
fn sensitive_assignments(rules: &ConfigRules, s: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for c in rules
        .assignment
        .captures_iter(s)
        .chain(rules.env_space.captures_iter(s))
    {
        if let (Some(n), Some(v)) = (c.get(1), c.get(2))
            && rules.is_sensitive_name(n.as_str())
        {
            let (vs, ve) = strip_quotes(v.as_str(), v.start());
            out.push((vs, ve, n.as_str().to_owned()));
        }
    }
    out
}

pub(crate) fn scan_config(scanner: &SecretScanner, config: &mut ConfigText) -> Vec<SecretFinding> {
    let rules = &scanner.config;
    let mut out = Vec::new();
    for entry in &mut config.env {
        let (name, offset) = match entry.find('=') {
            Some(i) => (entry[..i].to_owned(), i + 1),
            None => (entry.clone(), entry.len()),
        };
        let names = if rules.is_sensitive_name(&name) && offset < entry.len() {
            vec![(offset, entry.len(), name.clone())]
        } else {
            Vec::new()
        };
        out.extend(scan_one(scanner, entry, &names, &Location::Env { name }));
    }
    let keys: Vec<String> = config.labels.keys().cloned().collect();
    for key in keys {
        if let Some(value) = config.labels.get_mut(&key) {
            let mut line = format!("{key}={value}");
            let offset = key.len() + 1;
            let names = if rules.is_sensitive_name(&key.replace(['.', '-'], "_")) {
                vec![(offset, line.len(), key.clone())]
            } else {
                Vec::new()
            };
            let found = scan_one(
                scanner,
                &mut line,
                &names,
                &Location::Label { key: key.clone() },
            );
            if !found.is_empty() {
                *value = line[offset.min(line.len())..].to_owned();
                out.extend(found);
            }
        }
    }
    for (step, created_by) in config.history.iter_mut().enumerate() {
        let names = sensitive_assignments(rules, created_by);
        let step = u32::try_from(step).unwrap_or(u32::MAX);
        out.extend(scan_one(
            scanner,
            created_by,
            &names,
            &Location::History { step },
        ));
    }
    out
}
