//! Rule files in the gitleaks TOML format.
//!
//! Supported: `[[rules]]` (`id`, `description`, `regex`, `secretGroup`,
//! `entropy`, `keywords`, `path`, `tags`, plus wharf's optional
//! `severity`, `category`, `remediation`), rule allowlists
//! (`[[rules.allowlists]]` and the legacy `[rules.allowlist]`: `regexes`,
//! `regexTarget`, `paths`, `stopwords`, `condition`; `commits` is ignored:
//! images have no commits), global allowlists (`[allowlist]`,
//! `[[allowlists]]` with `targetRules`) and `[extend]` (`useDefault`,
//! `path`, `disabledRules`). Go RE2 syntax is nearly all accepted by the
//! `regex` crate; what is not (`\Q…\E`, `\z` variants, …) is translated
//! where possible, otherwise the rule is rejected with its id and file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use wharf_types::Severity;

use crate::error::{ConfigError, RuleError};
use crate::rules::{AllowlistSpec, Condition, RegexTarget, RuleSpec, compile_regex};
use crate::scanner::SecretConfig;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(default)]
    extend: Option<Extend>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: Option<String>,
    description: Option<String>,
    regex: Option<String>,
    secret_group: Option<i64>,
    entropy: Option<f64>,
    keywords: Option<Vec<String>>,
    path: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    severity: Option<String>,
    category: Option<String>,
    remediation: Option<String>,
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAllowlist {
    description: Option<String>,
    condition: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// Translate Go RE2 syntax the `regex` crate does not accept.
pub(crate) fn translate_regex(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                // \Q…\E: quote literally.
                Some('Q') => {
                    let mut lit = String::new();
                    while let Some(d) = chars.next() {
                        if d == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        lit.push(d);
                    }
                    out.push_str(&regex::escape(&lit));
                }
                Some('C') => out.push_str("(?s-u:.)"),
                Some(d) => {
                    out.push('\\');
                    out.push(d);
                }
                None => out.push('\\'),
            }
        } else if c == '{' && !starts_repetition(chars.clone()) {
            // RE2 reads a `{` that opens no `{n}`, `{n,}` or `{n,m}` as a
            // literal; the regex crate wants it escaped.
            out.push_str("\\{");
        } else {
            out.push(c);
        }
    }
    out
}

fn starts_repetition(mut rest: std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut digits = 0;
    while rest.peek().is_some_and(char::is_ascii_digit) {
        rest.next();
        digits += 1;
    }
    if digits == 0 {
        return false;
    }
    match rest.next() {
        Some('}') => true,
        Some(',') => {
            while rest.peek().is_some_and(char::is_ascii_digit) {
                rest.next();
            }
            rest.next() == Some('}')
        }
        _ => false,
    }
}

fn allowlist(raw: RawAllowlist, owner: &str, origin: &Path) -> Result<AllowlistSpec, RuleError> {
    let err = |m: &str| RuleError {
        rule_id: owner.to_owned(),
        source_file: Some(origin.to_owned()),
        message: m.to_owned(),
    };
    let regex_target = match raw.regex_target.as_deref() {
        None | Some("" | "secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => return Err(err(&format!("unknown regexTarget {other:?}"))),
    };
    let condition = match raw
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("" | "OR") => Condition::Or,
        Some("AND" | "&&") => Condition::And,
        Some(other) => return Err(err(&format!("unknown condition {other:?}"))),
    };
    if raw.paths.is_empty()
        && raw.regexes.is_empty()
        && raw.stopwords.is_empty()
        && raw.commits.is_empty()
    {
        return Err(err("allowlist has no commits, paths, regexes or stopwords"));
    }
    let spec = AllowlistSpec {
        id: String::new(),
        description: raw.description.unwrap_or_default(),
        condition,
        paths: raw.paths.iter().map(|p| translate_regex(p)).collect(),
        regexes: raw.regexes.iter().map(|p| translate_regex(p)).collect(),
        regex_target,
        stopwords: raw.stopwords,
        target_rules: raw.target_rules,
    };
    for p in spec.paths.iter().chain(&spec.regexes) {
        compile_regex(p).map_err(|e| err(&format!("allowlist regex {p:?}: {e}")))?;
    }
    Ok(spec)
}

fn category_of(id: &str, tags: &[String]) -> String {
    // gitleaks has no category: use the first tag naming a provider, else
    // the id's first word.
    tags.iter()
        .find(|t| {
            !matches!(
                t.as_str(),
                "key" | "secret" | "token" | "client" | "api" | "password"
            )
        })
        .cloned()
        .unwrap_or_else(|| id.split('-').next().unwrap_or(id).to_owned())
}

/// Merge an extending rule into its base (gitleaks semantics: scalar
/// fields override, keywords, tags and allowlists add up).
fn merge(base: &mut RuleSpec, over: RuleSpec, raw_has: (bool, bool, bool)) {
    let (has_regex, has_entropy, has_path) = raw_has;
    if !over.title.is_empty() {
        base.title = over.title;
    }
    if has_regex {
        base.regex = over.regex;
        base.secret_group = over.secret_group;
    } else if over.secret_group.is_some() {
        base.secret_group = over.secret_group;
    }
    if has_entropy {
        base.entropy = over.entropy;
    }
    if has_path {
        base.path = over.path;
    }
    for k in over.keywords {
        if !base.keywords.contains(&k) {
            base.keywords.push(k);
        }
    }
    base.allowlists.extend(over.allowlists);
    if over.severity != Severity::Unknown {
        base.severity = over.severity;
    }
    if !over.remediation.is_empty() && !over.builtin {
        base.remediation = over.remediation;
    }
    base.builtin = false;
}

pub(crate) fn load(path: &Path) -> Result<SecretConfig, ConfigError> {
    load_depth(path, 0)
}

fn load_depth(path: &Path, depth: usize) -> Result<SecretConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    from_toml_depth(&text, path, depth)
}

pub(crate) fn from_toml(text: &str, origin: &Path) -> Result<SecretConfig, ConfigError> {
    from_toml_depth(text, origin, 0)
}

fn resolve_base(origin: &Path, base: &str) -> PathBuf {
    let dir = origin.parent().unwrap_or(Path::new("."));
    let direct = dir.join(base);
    if direct.exists() {
        return direct;
    }
    // gitleaks resolves `extend.path` against its working directory, which
    // wharf does not know: try the path's tails against the extending
    // file's directory and its ancestors.
    let comps: Vec<_> = Path::new(base)
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    for ancestor in dir.ancestors() {
        for skip in 0..comps.len() {
            let mut p = ancestor.to_path_buf();
            p.extend(&comps[skip..]);
            if p.is_file() {
                return p;
            }
        }
    }
    PathBuf::from(base)
}

fn from_toml_depth(text: &str, origin: &Path, depth: usize) -> Result<SecretConfig, ConfigError> {
    let parse_err = |m: String| ConfigError::Parse {
        path: origin.to_owned(),
        message: m,
    };
    let file: File = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
    let mut config = SecretConfig::builtin();
    config.rules.clear();
    let mut disabled = Vec::new();
    if let Some(ext) = &file.extend {
        if ext.url.is_some() {
            return Err(parse_err(
                "extend.url is not supported (use a local path)".into(),
            ));
        }
        if let Some(base) = &ext.path {
            // Like gitleaks, extension stops two levels down (a deeper
            // base is not read).
            if depth < 2 {
                let base_path = resolve_base(origin, base);
                let base_cfg = load_depth(&base_path, depth + 1)?;
                config.rules = base_cfg.rules;
                config.allowlists = base_cfg.allowlists;
                config.rejected = base_cfg.rejected;
            }
        } else if ext.use_default {
            config.rules = crate::rules::builtin::rules();
        }
        disabled.clone_from(&ext.disabled_rules);
    }
    // Global allowlists.
    if file.allowlist.is_some() && !file.allowlists.is_empty() {
        return Err(parse_err(
            "both [allowlist] and [[allowlists]] are set; use [[allowlists]]".into(),
        ));
    }
    for raw in file.allowlist.into_iter().chain(file.allowlists) {
        let a = allowlist(raw, "<global allowlist>", origin)?;
        config.allowlists.push(a);
    }
    let mut by_id: BTreeMap<String, usize> = config
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    for raw in file.rules {
        let id = raw.id.clone().unwrap_or_default();
        let rule_err = |m: String| RuleError {
            rule_id: if id.is_empty() {
                "<rule without id>".into()
            } else {
                id.clone()
            },
            source_file: Some(origin.to_owned()),
            message: m,
        };
        match rule_spec(raw, origin) {
            Ok((spec, has)) => {
                if let Some(&i) = by_id.get(&spec.id) {
                    merge(&mut config.rules[i], spec, has);
                    if let Err(e) = crate::rules::Rule::compile(&config.rules[i]) {
                        config.rejected.push(RuleError {
                            source_file: Some(origin.to_owned()),
                            ..e
                        });
                        config.rules.remove(i);
                        by_id = config
                            .rules
                            .iter()
                            .enumerate()
                            .map(|(i, r)| (r.id.clone(), i))
                            .collect();
                    }
                } else if spec.regex.is_none() && spec.path.is_none() {
                    config
                        .rejected
                        .push(rule_err("rule has neither a regex nor a path".into()));
                } else {
                    match crate::rules::Rule::compile(&spec) {
                        Ok(_) => {
                            by_id.insert(spec.id.clone(), config.rules.len());
                            config.rules.push(spec);
                        }
                        Err(e) => config.rejected.push(RuleError {
                            source_file: Some(origin.to_owned()),
                            ..e
                        }),
                    }
                }
            }
            Err(e) => config.rejected.push(e),
        }
    }
    config.rules.retain(|r| !disabled.contains(&r.id));
    for a in &config.allowlists {
        for t in &a.target_rules {
            if !config.rules.iter().any(|r| &r.id == t) {
                return Err(ConfigError::Rule(RuleError {
                    rule_id: t.clone(),
                    source_file: Some(origin.to_owned()),
                    message: "global allowlist targets a rule that does not exist".into(),
                }));
            }
        }
    }
    Ok(config)
}

/// One raw rule to a spec; the flags say which scalar fields were given
/// (for merging into a base rule).
fn rule_spec(raw: RawRule, origin: &Path) -> Result<(RuleSpec, (bool, bool, bool)), RuleError> {
    let id = raw.id.clone().unwrap_or_default();
    let err = |m: String| RuleError {
        rule_id: if id.is_empty() {
            "<rule without id>".into()
        } else {
            id.clone()
        },
        source_file: Some(origin.to_owned()),
        message: m,
    };
    if id.trim().is_empty() {
        return Err(err("rule without an id".into()));
    }
    if raw.allowlist.is_some() && !raw.allowlists.is_empty() {
        return Err(err(
            "both [rules.allowlist] and [[rules.allowlists]] are set".into(),
        ));
    }
    let mut allowlists = Vec::new();
    for a in raw.allowlist.into_iter().chain(raw.allowlists) {
        allowlists.push(allowlist(a, &id, origin)?);
    }
    let secret_group = match raw.secret_group {
        None => None,
        Some(g) => Some(usize::try_from(g).map_err(|_| err(format!("negative secretGroup {g}")))?),
    };
    let severity = match raw.severity.as_deref() {
        None => Severity::Unknown,
        Some(s) => Severity::parse(s).unwrap_or(Severity::Unknown),
    };
    let has = (
        raw.regex.is_some(),
        raw.entropy.is_some(),
        raw.path.is_some(),
    );
    let description = raw.description.unwrap_or_default();
    let spec = RuleSpec {
        category: raw.category.unwrap_or_else(|| category_of(&id, &raw.tags)),
        title: description,
        severity: if raw.regex.is_some() || raw.path.is_some() { severity } else { Severity::Unknown },
        keywords: raw.keywords.unwrap_or_default(),
        regex: raw.regex.as_deref().map(translate_regex),
        secret_group,
        entropy: raw.entropy,
        path: raw.path.as_deref().map(translate_regex),
        allowlists,
        remediation: raw.remediation.unwrap_or_else(|| {
            "Revoke the credential and issue a new one; remove it from the image and provide it at run time from a secret store.".into()
        }),
        generic: id.starts_with("generic"),
        builtin: false,
        id,
    };
    Ok((spec, has))
}

#[cfg(test)]
mod tests {
    use super::translate_regex;
    use crate::rules::compile_regex;

    #[test]
    fn re2_only_syntax_is_translated() {
        // A `{` that opens no repetition is literal in RE2.
        assert_eq!(translate_regex(r"^\$(?:\d+|{\d+})$"), r"^\$(?:\d+|\{\d+})$");
        assert!(compile_regex(&translate_regex(r"^\$(?:\d+|{\d+})$")).is_ok());
        // Real repetitions are kept.
        assert_eq!(translate_regex(r"a{2}b{3,}c{4,5}"), r"a{2}b{3,}c{4,5}");
        // \Q…\E quotes.
        let q = translate_regex(r"\Qa.b*c\E+");
        let re = compile_regex(&q).map_err(|e| e.to_string());
        assert!(
            re.as_ref()
                .is_ok_and(|r| r.is_match(b"a.b*ca.b*c") && !r.is_match(b"aXbbc")),
            "{q}"
        );
    }

    #[test]
    fn lookaround_is_rejected_not_panicking() {
        assert!(compile_regex(&translate_regex("foo(?=bar)")).is_err());
        assert!(compile_regex(&translate_regex("(?<!x)foo")).is_err());
    }
}
