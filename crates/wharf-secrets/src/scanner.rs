//! The scanner: configuration, compiled rule set and the file pipeline.

use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use wharf_analyzers::{ConfigText, ContentScanner, File, Output, ParseError};
use wharf_types::{Location, SecretFinding};

use crate::error::{ConfigError, RuleError};
use crate::fingerprint::FingerprintKey;
use crate::rules::{
    Allowlist, AllowlistSpec, Candidate, FIRST_GROUP, Rule, RuleInfo, RuleSpec, builtin,
};
use crate::text;

/// Bumped whenever the scanner's output for the same bytes and rules may
/// change; part of [`ContentScanner::version`].
pub const CODE_VERSION: u32 = 1;

/// Default size cap: larger files are not scanned.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// Smallest file worth reading (no secret fits in fewer bytes).
const MIN_FILE_SIZE: u64 = 8;

/// Where each rule's regex runs once one of its keywords was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowMode {
    /// On the line of each keyword hit (a bounded window on long lines;
    /// up to 64 KiB past the line for multi-line rules such as PEM keys).
    #[default]
    Lines,
    /// On the whole file, once per rule whose keyword was seen.
    WholeFile,
}

/// The effective configuration: rules, allowlists and limits.
#[derive(Debug, Clone, Serialize)]
pub struct SecretConfig {
    /// Files larger than this are skipped (default 10 MiB).
    pub max_file_size: u64,
    /// The rules (built-in and/or loaded), in priority order.
    pub rules: Vec<RuleSpec>,
    /// Global allowlists (from rule files).
    pub allowlists: Vec<AllowlistSpec>,
    /// Whether the built-in path allow rules (tests, examples, markdown,
    /// `usr/share/doc`, lock files…) apply.
    pub builtin_allow_rules: bool,
    /// Built-in allow rules to turn off, by id (`tests`, `markdown`, …).
    pub disabled_allow_rules: Vec<String>,
    /// Rules to turn off, by id.
    pub disabled_rules: Vec<String>,
    /// Whether placeholder and example values are dropped.
    pub placeholder_filter: bool,
    /// Where regexes run after a keyword hit.
    pub window: WindowMode,
    /// Rules of loaded files that could not be compiled (not in `rules`).
    #[serde(skip)]
    pub rejected: Vec<RuleError>,
}

impl SecretConfig {
    /// The built-in rules with the default limits.
    pub fn builtin() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            rules: builtin::rules(),
            allowlists: Vec::new(),
            builtin_allow_rules: true,
            disabled_allow_rules: Vec::new(),
            disabled_rules: Vec::new(),
            placeholder_filter: true,
            window: WindowMode::Lines,
            rejected: Vec::new(),
        }
    }

    /// Load a gitleaks-format TOML rule file. Without `[extend]
    /// useDefault = true` (or a `path` to a base file) its rules replace the
    /// built-in ones; a rule with the id of a base rule overrides it field
    /// by field. Rules that cannot compile are left out and listed in
    /// [`SecretConfig::rejected`].
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        crate::gitleaks::load(path)
    }

    /// Load from TOML text (`origin` names it in errors).
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, ConfigError> {
        crate::gitleaks::from_toml(text, origin)
    }

    /// sha-256 over the effective rule set and options (hex, 16 digits).
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(&Sha256::digest(&json)[..8])
    }
}

impl Default for SecretConfig {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The compiled scanner. Cheap to share (`Arc`), `Send + Sync`.
pub struct SecretScanner {
    rules: Vec<Rule>,
    infos: Vec<RuleInfo>,
    /// One automaton over every rule keyword (ASCII case-insensitive).
    keywords: Option<AhoCorasick>,
    /// Rules of each keyword pattern.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: their regex runs on every file.
    unconditional: Vec<usize>,
    global: Vec<Allowlist>,
    /// Path-only allowlists (built-in allow rules and user ones), as one set.
    path_skip: regex::bytes::RegexSet,
    key: FingerprintKey,
    max_file_size: u64,
    placeholder_filter: bool,
    window: WindowMode,
    version: String,
    pub(crate) config: crate::config::ConfigRules,
}

impl std::fmt::Debug for SecretScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretScanner")
            .field("rules", &self.rules.len())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A candidate secret before it becomes a finding.
struct Hit {
    rule: usize,
    start: usize,
    end: usize,
}

impl SecretScanner {
    /// Compile a configuration. Any rule or allowlist that does not compile
    /// is an error naming it.
    pub fn new(config: SecretConfig, key: FingerprintKey) -> Result<Self, RuleError> {
        let digest = config.digest();
        let mut rules = Vec::new();
        for spec in &config.rules {
            if config.disabled_rules.iter().any(|d| d == &spec.id) {
                continue;
            }
            rules.push(Rule::compile(spec)?);
        }
        let mut global = Vec::new();
        let mut skip_patterns: Vec<String> = Vec::new();
        let mut add_global = |a: &AllowlistSpec, owner: &str| -> Result<(), RuleError> {
            let compiled = Allowlist::compile(a, owner)?;
            if compiled.path_only() && compiled.condition == crate::rules::Condition::Or {
                skip_patterns.extend(a.paths.iter().cloned());
            } else {
                global.push(compiled);
            }
            Ok(())
        };
        if config.builtin_allow_rules {
            for a in builtin::allow_rules() {
                if !config.disabled_allow_rules.iter().any(|d| d == &a.id) {
                    add_global(&a, "<built-in allow rule>")?;
                }
            }
        }
        for a in &config.allowlists {
            add_global(a, "<global allowlist>")?;
        }
        // Path-only allowlists decide before a file is read: one set.
        let build_set = |unicode: bool| {
            regex::bytes::RegexSetBuilder::new(&skip_patterns)
                .unicode(unicode)
                .size_limit(64 << 20)
                .build()
        };
        let path_skip = build_set(false)
            .or_else(|_| build_set(true))
            .map_err(|e| RuleError {
                rule_id: "<path allowlists>".into(),
                source_file: None,
                message: e.to_string(),
            })?;
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unconditional = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.keywords.is_empty() {
                unconditional.push(i);
            }
            for k in &r.keywords {
                match patterns.iter().position(|p| p == k) {
                    Some(p) => {
                        if !keyword_rules[p].contains(&i) {
                            keyword_rules[p].push(i);
                        }
                    }
                    None => {
                        patterns.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let keywords = if patterns.is_empty() {
            None
        } else {
            let build = |kind| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(&patterns)
            };
            Some(
                build(Some(AhoCorasickKind::DFA))
                    .or_else(|_| build(None))
                    .map_err(|e| RuleError {
                        rule_id: "<keywords>".into(),
                        source_file: None,
                        message: e.to_string(),
                    })?,
            )
        };
        let version = format!(
            "{}.{CODE_VERSION}+rules.{digest}+key.{}",
            env!("CARGO_PKG_VERSION"),
            key.id()
        );
        let mut infos: Vec<RuleInfo> = rules.iter().map(|r| r.info.clone()).collect();
        infos.push(crate::config::sensitive_variable_info());
        Ok(Self {
            rules,
            infos,
            keywords,
            keyword_rules,
            unconditional,
            global,
            path_skip,
            key,
            max_file_size: config.max_file_size,
            placeholder_filter: config.placeholder_filter,
            window: config.window,
            version,
            config: crate::config::ConfigRules::new(),
        })
    }

    /// Number of active rules: the content rules plus the image-config rule
    /// [`crate::SENSITIVE_VARIABLE_RULE`].
    pub fn rule_count(&self) -> usize {
        self.infos.len()
    }

    /// The active rules (id, title, severity, remediation), for reports;
    /// the last one is the image-config rule
    /// [`crate::SENSITIVE_VARIABLE_RULE`].
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.infos.iter().find(|r| r.id == id)
    }

    /// The fingerprint key.
    pub fn key(&self) -> &FingerprintKey {
        &self.key
    }

    /// Whether the path is skipped by a path-only allowlist (documentation,
    /// lock files, test trees…), before reading the file.
    pub fn path_skipped(&self, path: &str) -> bool {
        self.path_skip.is_match(path.as_bytes())
    }

    /// Scan one file's content. Binary content, files over the size cap and
    /// skipped paths give nothing.
    pub fn scan_bytes(&self, path: &str, bytes: &[u8]) -> Vec<SecretFinding> {
        if bytes.len() as u64 > self.max_file_size
            || self.path_skipped(path)
            || text::is_binary(bytes)
        {
            return Vec::new();
        }
        let hits = self.find(path, bytes, true);
        self.findings(bytes, &hits, |line| Location::File {
            path: path.to_owned(),
            line,
        })
    }

    /// Candidate secrets of `bytes`, filtered, deduplicated and sorted.
    fn find(&self, path: &str, bytes: &[u8], is_file: bool) -> Vec<Hit> {
        let n = self.rules.len();
        // Path applicability per rule, computed lazily.
        let mut applies: Vec<Option<bool>> = vec![None; n];
        let mut applicable = |i: usize, rules: &[Rule]| -> bool {
            *applies[i].get_or_insert_with(|| match &rules[i].path {
                Some(p) => is_file && p.is_match(path.as_bytes()),
                None => true,
            })
        };
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        let mut last: Vec<Option<usize>> = vec![None; n];
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(bytes) {
                for &ri in &self.keyword_rules[m.pattern().as_usize()] {
                    if let Some(w) = last[ri]
                        && m.start() < windows[w].2
                    {
                        continue;
                    }
                    if !applicable(ri, &self.rules) {
                        continue;
                    }
                    let (s, e) = match self.window {
                        WindowMode::WholeFile => (0, bytes.len()),
                        WindowMode::Lines => {
                            self.window_of(bytes, m.start(), m.end(), self.rules[ri].multiline)
                        }
                    };
                    match last[ri] {
                        Some(w) if s <= windows[w].2 => windows[w].2 = windows[w].2.max(e),
                        _ => {
                            last[ri] = Some(windows.len());
                            windows.push((ri, s, e));
                        }
                    }
                }
            }
        }
        for &ri in &self.unconditional {
            if applicable(ri, &self.rules) {
                windows.push((ri, 0, bytes.len()));
            }
        }
        let sourcemap = is_file && path.ends_with(".map");
        let mappings = if sourcemap {
            text::sourcemap_mappings(bytes)
        } else {
            Vec::new()
        };
        let mut hits: Vec<Hit> = Vec::new();
        for (ri, ws, we) in windows {
            let rule = &self.rules[ri];
            if sourcemap && rule.generic {
                continue;
            }
            let Some(re) = &rule.regex else { continue };
            let slice = &bytes[ws..we];
            for caps in re.captures_iter(slice) {
                let Some(whole) = caps.get(0) else { continue };
                let group = if rule.group == FIRST_GROUP {
                    (1..caps.len()).find_map(|g| caps.get(g)).unwrap_or(whole)
                } else {
                    caps.get(rule.group).unwrap_or(whole)
                };
                let (start, end) = (ws + group.start(), ws + group.end());
                if start == end {
                    continue;
                }
                let secret = &bytes[start..end];
                if mappings.iter().any(|&(s, e)| start >= s && end <= e) {
                    continue;
                }
                let (ls, le, cut) = text::line_bounds(bytes, start);
                let long = cut || le - ls > text::LONG_LINE;
                if let Some(min) = rule.entropy {
                    let min = if rule.generic && long {
                        min.max(4.0)
                    } else {
                        min
                    };
                    if text::shannon_entropy(secret) < min {
                        continue;
                    }
                }
                if rule.generic && !text::has_letter_and_digit(secret) {
                    continue;
                }
                if self.placeholder_filter && text::is_placeholder(secret) {
                    continue;
                }
                let cand = Candidate {
                    path,
                    secret,
                    matched: &bytes[ws + whole.start()..ws + whole.end()],
                    line: &bytes[ls..le],
                };
                if rule.allowlists.iter().any(|a| a.allows(&cand))
                    || self
                        .global
                        .iter()
                        .any(|a| a.applies_to(&rule.info.id) && a.allows(&cand))
                {
                    continue;
                }
                hits.push(Hit {
                    rule: ri,
                    start,
                    end,
                });
            }
        }
        // Path-only rules: the file itself is the finding.
        for (ri, rule) in self.rules.iter().enumerate() {
            if rule.regex.is_none() && is_file && applicable(ri, &self.rules) {
                hits.push(Hit {
                    rule: ri,
                    start: 0,
                    end: 0,
                });
            }
        }
        // One finding per secret: the earliest rule wins.
        hits.sort_by_key(|h| (h.start, h.end, h.rule));
        hits.dedup_by(|b, a| {
            a.start == b.start && a.end == b.end && (a.end > a.start || a.rule == b.rule)
        });
        hits
    }

    /// The window a rule's regex runs on for a keyword hit.
    fn window_of(&self, bytes: &[u8], ks: usize, ke: usize, multiline: bool) -> (usize, usize) {
        let (ls, le, cut) = text::line_bounds(bytes, ks);
        let (mut s, mut e) = (ls, (le + 1).min(bytes.len()));
        if cut {
            s = s.max(ks.saturating_sub(text::LONG_LINE_CONTEXT));
            e = e.min((ke + text::LONG_LINE_CONTEXT).min(bytes.len()));
        }
        if multiline {
            e = (ls + text::MULTILINE_SPAN).min(bytes.len()).max(e);
        }
        (s, e)
    }

    fn findings(
        &self,
        bytes: &[u8],
        hits: &[Hit],
        location: impl Fn(u32) -> Location,
    ) -> Vec<SecretFinding> {
        let ranges: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
        let mut line_no: u32 = 1;
        let mut counted = 0;
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let info = &self.rules[h.rule].info;
            if h.end == h.start {
                out.push(SecretFinding {
                    rule_id: info.id.clone(),
                    category: info.category.clone(),
                    title: info.title.clone(),
                    severity: info.severity,
                    location: location(0),
                    excerpt: String::new(),
                    fingerprint: self.key.fingerprint(bytes),
                    placement: Default::default(),
                });
                continue;
            }
            let n = memchr::memchr_iter(b'\n', &bytes[counted..h.start]).count();
            line_no = line_no.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            counted = h.start;
            let (ls, le, _) = text::line_bounds(bytes, h.start);
            out.push(SecretFinding {
                rule_id: info.id.clone(),
                category: info.category.clone(),
                title: info.title.clone(),
                severity: info.severity,
                location: location(line_no),
                excerpt: text::excerpt(bytes, (ls, le), &ranges, h.start),
                fingerprint: self.key.fingerprint(&bytes[h.start..h.end]),
                placement: Default::default(),
            });
        }
        out
    }

    /// Scan a short text that is not a file (an `Env` value, a label, a
    /// history step): returns the secret ranges with their rule and
    /// finding.
    pub(crate) fn scan_text(&self, text: &str) -> Vec<(usize, usize, SecretFinding)> {
        let bytes = text.as_bytes();
        let hits = self.find("", bytes, false);
        let findings = self.findings(bytes, &hits, |_| Location::Env {
            name: String::new(),
        });
        hits.iter()
            .zip(findings)
            .map(|(h, f)| (h.start, h.end, f))
            .collect()
    }
}

impl ContentScanner for SecretScanner {
    fn name(&self) -> &'static str {
        "secret"
    }

    /// `scan_config` replaces every secret it finds in `Env`, labels and
    /// build steps with its redacted form.
    fn redacts_config(&self) -> bool {
        true
    }

    fn version(&self) -> String {
        self.version.clone()
    }

    fn wants(&self, path: &str, _mode: u32, size: u64) -> bool {
        (MIN_FILE_SIZE..=self.max_file_size).contains(&size) && !self.path_skipped(path)
    }

    fn scan(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
        let findings = self.scan_bytes(file.path, file.bytes);
        Ok((!findings.is_empty()).then_some(Output::Secrets { findings }))
    }

    fn scan_config(&self, config: &mut ConfigText) -> Option<Output> {
        let findings = crate::config::scan_config(self, config);
        (!findings.is_empty()).then_some(Output::Secrets { findings })
    }
}
