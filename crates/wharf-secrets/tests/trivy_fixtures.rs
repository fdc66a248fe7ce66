//! Trivy's secret-scanner test cases (`fixtures/trivy.expected.json`,
//! transcribed from aquasecurity/trivy `pkg/fanal/secret/scanner_test.go`)
//! and analyzer cases (`fixtures/trivy-analyzer.expected.json`).
//!
//! Trivy's YAML configurations are translated into the gitleaks TOML that
//! wharf reads (see `config_for`); cases that depend on Trivy-only
//! features are skipped with a reason each, and the totals are printed.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_analyzers::ContentScanner as _;
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn key() -> FingerprintKey {
    FingerprintKey::from_bytes([7; 32])
}

/// Trivy rule ids that wharf names differently (none so far: wharf keeps
/// Trivy's ids for the rules both have, so reports line up).
const RULE_MAP: &[(&str, &str)] = &[];

fn map_rule(trivy: &str) -> String {
    RULE_MAP
        .iter()
        .find(|(t, _)| *t == trivy)
        .map_or_else(|| trivy.to_owned(), |(_, w)| (*w).to_owned())
}

const RULE1: &str = r#"
[[rules]]
id = "rule1"
description = "Generic Rule"
category = "general"
severity = "HIGH"
regex = '''(?i)(?P<key>(secret))(=|:).{0,5}['"](?P<secret>[0-9a-zA-Z\-_=]{8,64})['"]'''
"#;

const RULE1_SOMEVALUE: &str = r#"
[[rules]]
id = "rule1"
description = "Generic Rule"
category = "general"
severity = "SEVERITY"
regex = '''(?i)(?P<key>(secret))(=|:).{0,5}['"](?P<secret>somevalue)['"]'''
"#;

const EXTEND: &str = "[extend]\nuseDefault = true\n";

/// Trivy-only configurations, with the reason.
const SKIPPED_CONFIGS: &[(&str, &str)] = &[
    (
        "exclude-block.yaml",
        "Trivy-only `exclude-block` (regions of a file excluded by a regex spanning lines); gitleaks' format has no equivalent",
    ),
    (
        "global-exclude-block.yaml",
        "Trivy-only global `exclude-block`; gitleaks' format has no equivalent",
    ),
    (
        "multiple-secret-groups.yaml",
        "Trivy-only: two capture groups with the same name `secret` (rejected by the regex crate and by Go RE2 in gitleaks; gitleaks has one secretGroup)",
    ),
];

/// Cases skipped with the reason.
const SKIPPED_CASES: &[(&str, &str)] = &[
    (
        "long obfuscated js code with secrets",
        "input file obfuscated.js is not part of the transcribed fixtures",
    ),
    (
        "multi-line secret exceeding overlap size (known limitation)",
        "Trivy streaming limitation (expects a miss); wharf scans whole files and finds it",
    ),
];

/// Build the wharf configuration equivalent to a Trivy config file.
fn config_for(trivy_config: &str) -> Option<SecretConfig> {
    let toml = |t: String| {
        SecretConfig::from_toml(&t, Path::new(trivy_config)).expect("translated config loads")
    };
    let mut cfg = match trivy_config {
        "" => SecretConfig::builtin(),
        "skip-test.yaml"
        | "config-disable-ghp.yaml"
        | "config-enable-ghp.yaml"
        | "skip-tests-config.yaml" => SecretConfig::builtin(),
        "config.yaml" | "config-disable-allow-rule-md.yaml" | "config-disable-rule1.yaml" => {
            toml(format!("{EXTEND}{RULE1}"))
        }
        "config-happy-keywords.yaml" => toml(format!("{EXTEND}{RULE1}keywords = [\"secret\"]\n")),
        "config-sad-keywords.yaml" => toml(format!("{EXTEND}{RULE1}keywords = [\"bla\"]\n")),
        "allow-path.yaml" => toml(format!(
            "{EXTEND}{RULE1}[[rules.allowlists]]\npaths = ['''.*\\.txt''']\n"
        )),
        "allow-regex.yaml" => toml(format!(
            "{EXTEND}{RULE1}[[rules.allowlists]]\nregexes = ['''other''']\n"
        )),
        "allow-regex-outside-group.yaml" => toml(format!(
            "{EXTEND}{}[[rules.allowlists]]\nregexTarget = \"match\"\nregexes = ['''line''']\n",
            RULE1.replace("(?P<key>(secret))(=|:)", "line secret(=|:)")
        )),
        "global-allow-path.yaml" => toml(format!(
            "{EXTEND}{RULE1}[[allowlists]]\npaths = ['''.*\\.txt''']\n"
        )),
        "global-allow-regex.yaml" => toml(format!(
            "{EXTEND}{RULE1}[[allowlists]]\nregexes = ['''other''']\n"
        )),
        "config-without-severity.yaml" => toml(format!(
            "{EXTEND}{}",
            RULE1_SOMEVALUE.replace("severity = \"SEVERITY\"\n", "")
        )),
        "config-with-incorrect-severity.yaml" => toml(format!(
            "{EXTEND}{}",
            RULE1_SOMEVALUE.replace("SEVERITY", "bad")
        )),
        "config-with-non-uppercase-severity.yaml" => toml(format!(
            "{EXTEND}{}",
            RULE1_SOMEVALUE.replace("SEVERITY", "uNknown")
        )),
        "multi-line-on.yaml" => toml(format!(
            "{EXTEND}[[rules]]\nid = \"multi-line-secret\"\nregex = '''(?m)^multi-line: \\d+$'''\n"
        )),
        "multi-line-off.yaml" => toml(format!(
            "{EXTEND}[[rules]]\nid = \"multi-line-sect\"\nregex = '''^multi-line: \\d+$'''\n"
        )),
        _ => return None,
    };
    // Trivy's fixtures live under testdata/, so every case disables its
    // `tests` allow rule; wharf's paths here are bare file names anyway.
    cfg.disabled_allow_rules.push("tests".into());
    match trivy_config {
        "config-disable-allow-rule-md.yaml" => cfg.disabled_allow_rules.push("markdown".into()),
        "config-disable-rule1.yaml" => cfg.disabled_rules.push("rule1".into()),
        "config-disable-ghp.yaml" => cfg.disabled_rules.push("github-pat".into()),
        "config-enable-ghp.yaml" => cfg.rules.retain(|r| r.id == "github-pat"),
        _ => {}
    }
    Some(cfg)
}

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    skipped: Vec<String>,
    expected: usize,
    found: usize,
    failures: Vec<String>,
}

fn expected_findings(want: Option<&Value>) -> Option<Vec<(String, u32)>> {
    let Some(findings) = want
        .and_then(|w| w.get("Findings"))
        .and_then(Value::as_array)
    else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    for f in findings {
        if f.is_null() {
            // Transcription lost the finding (OpenAI cases): Trivy's test
            // expects one finding of the case's rule on line 1.
            return None;
        }
        out.push((
            map_rule(f["RuleID"].as_str().unwrap_or_default()),
            u32::try_from(f["StartLine"].as_u64().unwrap_or(0)).unwrap_or(0),
        ));
    }
    Some(out)
}

#[test]
fn trivy_scanner_cases() {
    let dir = fixtures().join("trivy");
    let doc: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("trivy.expected.json")).unwrap())
            .unwrap();
    let mut t = Tally::default();
    let mut scanners: BTreeMap<String, SecretScanner> = BTreeMap::new();
    for case in doc["cases"].as_array().unwrap() {
        let go_test = case["go_test"].as_str().unwrap_or_default();
        if !matches!(
            go_test,
            "TestSecretScanner" | "TestSecretScannerWithStreaming"
        ) {
            continue; // TestParseConfig / TestIsSkippedSlashConversion: Trivy's YAML parser
        }
        let name = case["name"].as_str().unwrap_or_default().to_owned();
        let config = case["configPath"].as_str().unwrap_or_default().to_owned();
        if let Some((_, why)) = SKIPPED_CASES.iter().find(|(n, _)| *n == name) {
            t.skipped.push(format!("{name}: {why}"));
            continue;
        }
        if let Some((_, why)) = SKIPPED_CONFIGS.iter().find(|(c, _)| *c == config) {
            t.skipped.push(format!("{name}: {why}"));
            continue;
        }
        let (path, bytes) = match case["inputFilePath"].as_str() {
            Some(p) => match std::fs::read(dir.join(p)) {
                Ok(b) => (p.to_owned(), b),
                Err(_) => {
                    t.skipped
                        .push(format!("{name}: input {p} missing from the fixtures"));
                    continue;
                }
            },
            None => (
                "input.txt".to_owned(),
                case["input"]
                    .as_str()
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec(),
            ),
        };
        let want = match expected_findings(case.get("want")) {
            Some(w) => w,
            None => {
                let rule = name
                    .trim_start_matches("find ")
                    .to_lowercase()
                    .replace(' ', "-");
                let rule = match rule.as_str() {
                    "openai-legacy-user-api-key" => "openai-legacy-api-key".to_owned(),
                    r => r.to_owned(),
                };
                vec![(rule, 1)]
            }
        };
        let max_line = want.iter().map(|w| w.1).max().unwrap_or(0) as usize;
        if case.get("input").is_some()
            && bytes.iter().filter(|&&b| b == b'\n').count() + 1 < max_line
        {
            t.skipped.push(format!(
                "{name}: streaming input truncated in the transcription (the Go test builds it with strings.Repeat; only the prefix was kept)"
            ));
            continue;
        }
        let scanner = scanners.entry(config.clone()).or_insert_with(|| {
            let cfg = config_for(&config).unwrap_or_else(|| panic!("no translation for {config}"));
            SecretScanner::new(cfg, key()).expect("scanner")
        });
        t.cases += 1;
        let mut got: Vec<(String, u32)> = scanner
            .scan_bytes(&path, &bytes)
            .into_iter()
            .map(|f| match f.location {
                wharf_types::Location::File { line, .. } => (f.rule_id, line),
                _ => (f.rule_id, 0),
            })
            .collect();
        got.sort();
        let mut want = want;
        want.sort();
        t.expected += want.len();
        t.found += want.iter().filter(|w| got.contains(w)).count();
        if got != want {
            t.failures.push(format!(
                "{name} [{config} {path}]: want {want:?}, got {got:?}"
            ));
        }
    }
    eprintln!(
        "trivy scanner cases: {} run, {}/{} expected findings, {} skipped",
        t.cases,
        t.found,
        t.expected,
        t.skipped.len()
    );
    for s in &t.skipped {
        eprintln!("  skipped: {s}");
    }
    assert!(
        t.failures.is_empty(),
        "failures:\n{}",
        t.failures.join("\n")
    );
    assert!(t.cases >= 60, "ran {} cases", t.cases);
}

#[test]
fn trivy_analyzer_cases() {
    let dir = fixtures().join("trivy-analyzer");
    let doc: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("trivy-analyzer.expected.json")).unwrap(),
    )
    .unwrap();
    let scanner = SecretScanner::new(
        {
            let mut c =
                SecretConfig::from_toml(&format!("{EXTEND}{RULE1}"), Path::new("config.toml"))
                    .unwrap();
            c.disabled_allow_rules.push("tests".into());
            c
        },
        key(),
    )
    .unwrap();
    let mut run = 0;
    let mut skipped = Vec::new();
    for case in doc["cases"].as_array().unwrap() {
        let go_test = case["go_test"].as_str().unwrap_or_default();
        let name = case["name"].as_str().unwrap_or_default();
        let file = case["filePath"].as_str().unwrap_or_default();
        let config = case["configPath"].as_str().unwrap_or_default();
        match go_test {
            "TestSecretAnalyzer" => {
                if file.ends_with(".pyc") {
                    skipped.push(format!("{name}: the .pyc input is not in the fixtures, and wharf skips binary files by design"));
                    continue;
                }
                if config == "image-config.yaml" && file == "secret.txt" {
                    skipped.push(format!(
                        "{name}: Trivy-only absolute path `/testdata/secret.txt` in a rule's path"
                    ));
                    continue;
                }
                let bytes = std::fs::read(dir.join(file)).unwrap();
                let expect_rule1 = config == "config.yaml";
                let got = if config.is_empty() {
                    // No config: built-in rules only.
                    SecretScanner::new(SecretConfig::builtin(), key())
                        .unwrap()
                        .scan_bytes(file, &bytes)
                } else {
                    scanner.scan_bytes(file, &bytes)
                };
                let lines: Vec<(String, u32)> = got
                    .iter()
                    .map(|f| match &f.location {
                        wharf_types::Location::File { line, .. } => (f.rule_id.clone(), *line),
                        _ => (f.rule_id.clone(), 0),
                    })
                    .collect();
                if expect_rule1 {
                    assert_eq!(
                        lines,
                        vec![("rule1".into(), 2), ("rule1".into(), 4)],
                        "{name}"
                    );
                } else {
                    assert!(lines.is_empty(), "{name}: {lines:?}");
                }
                run += 1;
            }
            "TestSecretRequire" => {
                let want = case["want"].as_bool().unwrap();
                if name.starts_with("skip config file") || name.starts_with("over-skip") {
                    skipped.push(format!("{name}: Trivy skips its own config file; wharf's rule file is not in the image"));
                    continue;
                }
                let size = case["size"].as_u64().unwrap_or_else(|| {
                    std::fs::metadata(dir.join(file)).map_or(100, |m| m.len().max(100))
                });
                let default = SecretScanner::new(SecretConfig::builtin(), key()).unwrap();
                assert_eq!(default.wants(file, 0o644, size), want, "{name} ({file})");
                run += 1;
            }
            _ => skipped.push(format!(
                "{name}: Trivy-only skip-dirs/skip-files configuration ({go_test})"
            )),
        }
    }
    eprintln!("trivy analyzer cases: {run} run, {} skipped", skipped.len());
    for s in &skipped {
        eprintln!("  skipped: {s}");
    }
    assert!(run >= 7);
}
