//! Rule and allowlist definitions (the source form, serialisable so the
//! effective rule set can be digested) and their compiled form.

pub(crate) mod builtin;

use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use wharf_types::Severity;

use crate::error::RuleError;

/// What an allowlist regex is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegexTarget {
    /// The secret (capture group) itself.
    #[default]
    Secret,
    /// The whole regex match.
    Match,
    /// The line of the match.
    Line,
}

/// How the conditions of an allowlist combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Condition {
    /// Any condition allows the finding.
    #[default]
    Or,
    /// All given conditions must hold.
    And,
}

/// An allowlist: findings it matches are not reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllowlistSpec {
    /// Stable id (built-in path rules: `tests`, `markdown`, …), may be empty.
    pub id: String,
    /// Human description.
    pub description: String,
    /// How conditions combine.
    pub condition: Condition,
    /// Path regexes.
    pub paths: Vec<String>,
    /// Content regexes.
    pub regexes: Vec<String>,
    /// What `regexes` are matched against.
    pub regex_target: RegexTarget,
    /// Words that, contained in the secret (case-insensitively), allow it.
    pub stopwords: Vec<String>,
    /// For global allowlists: only these rules (empty: all rules).
    pub target_rules: Vec<String>,
}

/// A rule in source form: built-in, or loaded from a gitleaks TOML file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Stable kebab-case id.
    pub id: String,
    /// Provider or family (`AWS`, `GitHub`, `Generic`).
    pub category: String,
    /// Human title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Case-insensitive keywords; the regex only runs near one of them.
    /// Empty: the regex runs on every text file.
    pub keywords: Vec<String>,
    /// The regex (`None` for path-only rules).
    pub regex: Option<String>,
    /// Capture group holding the secret (`None`: the group named `secret`,
    /// else the first group that participated, else the whole match).
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    pub entropy: Option<f64>,
    /// Only files whose path matches this regex.
    pub path: Option<String>,
    /// Rule allowlists.
    pub allowlists: Vec<AllowlistSpec>,
    /// What to do about a finding.
    pub remediation: String,
    /// Generic keyword-context rule (stricter in minified JS, off in source
    /// maps).
    pub generic: bool,
    /// Whether a built-in rule.
    pub builtin: bool,
}

/// Public description of a rule, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable id.
    pub id: String,
    /// Provider or family.
    pub category: String,
    /// Human title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Remediation advice.
    pub remediation: String,
    /// Whether a built-in rule.
    pub builtin: bool,
}

/// Compile a regex in ASCII/bytes mode (smaller and faster automata), or
/// with Unicode when the pattern needs it.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    let build = |unicode: bool| {
        RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
    };
    match build(false) {
        Ok(r) => Ok(r),
        Err(ascii_err) => match build(true) {
            Ok(r) => Ok(r),
            Err(_) => Err(ascii_err.to_string()),
        },
    }
}

/// A compiled allowlist.
#[derive(Debug)]
pub(crate) struct Allowlist {
    pub condition: Condition,
    pub paths: Vec<Regex>,
    pub regexes: Vec<Regex>,
    pub regex_target: RegexTarget,
    /// Lowercased.
    pub stopwords: Vec<String>,
    pub target_rules: Vec<String>,
}

/// What a finding candidate offers to allowlists.
pub(crate) struct Candidate<'a> {
    pub path: &'a str,
    pub secret: &'a [u8],
    pub matched: &'a [u8],
    pub line: &'a [u8],
}

impl Allowlist {
    pub(crate) fn compile(spec: &AllowlistSpec, owner: &str) -> Result<Self, RuleError> {
        let err = |m: String| RuleError {
            rule_id: owner.to_owned(),
            source_file: None,
            message: m,
        };
        let many = |v: &[String], what: &str| -> Result<Vec<Regex>, RuleError> {
            v.iter()
                .map(|p| compile_regex(p).map_err(|e| err(format!("allowlist {what} regex: {e}"))))
                .collect()
        };
        Ok(Self {
            condition: spec.condition,
            paths: many(&spec.paths, "path")?,
            regexes: many(&spec.regexes, "content")?,
            regex_target: spec.regex_target,
            stopwords: spec.stopwords.iter().map(|s| s.to_lowercase()).collect(),
            target_rules: spec.target_rules.clone(),
        })
    }

    /// Whether only path conditions are set (decidable before reading).
    pub(crate) fn path_only(&self) -> bool {
        !self.paths.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
            && self.target_rules.is_empty()
    }

    pub(crate) fn path_allows(&self, path: &str) -> bool {
        self.paths.iter().any(|r| r.is_match(path.as_bytes()))
    }

    pub(crate) fn applies_to(&self, rule_id: &str) -> bool {
        self.target_rules.is_empty() || self.target_rules.iter().any(|t| t == rule_id)
    }

    pub(crate) fn allows(&self, c: &Candidate<'_>) -> bool {
        let target = match self.regex_target {
            RegexTarget::Secret => c.secret,
            RegexTarget::Match => c.matched,
            RegexTarget::Line => c.line,
        };
        let path = (!self.paths.is_empty()).then(|| self.path_allows(c.path));
        let regex =
            (!self.regexes.is_empty()).then(|| self.regexes.iter().any(|r| r.is_match(target)));
        let stop = (!self.stopwords.is_empty()).then(|| {
            let lower = String::from_utf8_lossy(c.secret).to_lowercase();
            self.stopwords.iter().any(|w| lower.contains(w.as_str()))
        });
        let set = [path, regex, stop];
        let mut given = set.iter().flatten().peekable();
        if given.peek().is_none() {
            return false;
        }
        match self.condition {
            Condition::Or => set.iter().flatten().any(|&b| b),
            Condition::And => set.iter().flatten().all(|&b| b),
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub info: RuleInfo,
    pub keywords: Vec<String>,
    pub regex: Option<Regex>,
    /// Resolved secret group (0 = whole match; `usize::MAX` = first group
    /// that participated).
    pub group: usize,
    pub entropy: Option<f64>,
    pub path: Option<Regex>,
    pub allowlists: Vec<Allowlist>,
    /// The regex may span lines (PEM blocks): its window runs past the line.
    pub multiline: bool,
    pub generic: bool,
}

/// First group that participated.
pub(crate) const FIRST_GROUP: usize = usize::MAX;

impl Rule {
    pub(crate) fn compile(spec: &RuleSpec) -> Result<Self, RuleError> {
        let err = |m: String| RuleError {
            rule_id: spec.id.clone(),
            source_file: None,
            message: m,
        };
        if spec.id.trim().is_empty() {
            return Err(err("rule without an id".into()));
        }
        if spec.regex.is_none() && spec.path.is_none() {
            return Err(err("rule has neither a regex nor a path".into()));
        }
        let regex = match &spec.regex {
            Some(p) => Some(compile_regex(p).map_err(err)?),
            None => None,
        };
        let group = match (&regex, spec.secret_group) {
            (Some(r), Some(g)) => {
                if g >= r.captures_len() {
                    return Err(err(format!(
                        "secretGroup {g} but the regex has {} groups",
                        r.captures_len() - 1
                    )));
                }
                g
            }
            (Some(r), None) => {
                if let Some(i) = r.capture_names().position(|n| n == Some("secret")) {
                    i
                } else if r.captures_len() > 1 {
                    FIRST_GROUP
                } else {
                    0
                }
            }
            (None, _) => 0,
        };
        let path = match &spec.path {
            Some(p) => Some(compile_regex(p).map_err(|e| err(format!("path regex: {e}")))?),
            None => None,
        };
        let allowlists = spec
            .allowlists
            .iter()
            .map(|a| Allowlist::compile(a, &spec.id))
            .collect::<Result<_, _>>()?;
        let multiline = spec.regex.as_deref().is_some_and(|r| {
            r.contains("PRIVATE KEY") || r.contains("(?s") || r.contains("[\\s\\S]")
        });
        Ok(Self {
            info: RuleInfo {
                id: spec.id.clone(),
                category: spec.category.clone(),
                title: spec.title.clone(),
                severity: spec.severity,
                remediation: spec.remediation.clone(),
                builtin: spec.builtin,
            },
            keywords: spec
                .keywords
                .iter()
                .filter(|k| !k.is_empty())
                .map(|k| k.to_ascii_lowercase())
                .collect(),
            regex,
            group,
            entropy: spec.entropy,
            path,
            allowlists,
            multiline,
            generic: spec.generic,
        })
    }
}
