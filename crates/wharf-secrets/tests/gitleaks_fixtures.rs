//! gitleaks compatibility: its default configuration (222 rules) and the
//! test configurations and data files of gitleaks/gitleaks `testdata/`.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};
use wharf_types::Location;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gitleaks")
}

fn key() -> FingerprintKey {
    FingerprintKey::from_bytes([3; 32])
}

fn default_config() -> SecretConfig {
    SecretConfig::load(&fixtures().join("gitleaks.toml")).unwrap()
}

fn lines(findings: &[wharf_types::SecretFinding]) -> Vec<(String, u32)> {
    findings
        .iter()
        .map(|f| match &f.location {
            Location::File { line, .. } => (f.rule_id.clone(), *line),
            _ => (f.rule_id.clone(), 0),
        })
        .collect()
}

#[test]
fn default_config_loads_nearly_every_rule() {
    let cfg = default_config();
    let compiled = cfg.rules.len();
    let rejected = cfg.rejected.len();
    eprintln!("gitleaks default config: {compiled} rules compiled, {rejected} rejected");
    for r in &cfg.rejected {
        eprintln!("  rejected: {r}");
    }
    assert_eq!(compiled + rejected, 222);
    assert!(compiled >= 215, "only {compiled} of 222 rules compiled");
    // A rejected rule names its id and file.
    for r in &cfg.rejected {
        assert!(!r.rule_id.is_empty() && r.source_file.is_some());
    }
    let scanner = SecretScanner::new(cfg, key()).unwrap();
    // The content rules plus the image-config rule.
    assert_eq!(scanner.rule_count(), compiled + 1);
    // gitleaks replaces the built-in rules (no [extend]).
    assert!(scanner.rule("aws-access-key-id").is_none());
    assert!(scanner.rule("aws-access-token").is_some());
}

#[test]
fn default_config_finds_gitleaks_testdata_secrets() {
    let scanner = SecretScanner::new(default_config(), key()).unwrap();
    let builtin = SecretScanner::new(SecretConfig::builtin(), key()).unwrap();
    let data = fixtures().join("testdata");

    // repos/nogit/.env.prod: gitleaks' no-git test expects generic-api-key
    // on line 4 (DB_PASSWORD=…).
    let env = std::fs::read(data.join("repos/nogit/.env.prod")).unwrap();
    assert_eq!(
        lines(&scanner.scan_bytes(".env.prod", &env)),
        vec![("generic-api-key".into(), 4)]
    );
    // Built-ins: the same secret, by wharf's generic rule (category Generic).
    let b = builtin.scan_bytes(".env.prod", &env);
    assert_eq!(lines(&b), vec![("generic-env-secret".into(), 4)]);
    assert_eq!(b[0].category, "Generic");

    // repos/symlinks/source_file/id_ed25519: private-key. gitleaks' rule
    // has no secret group, so its match starts on the BEGIN line (1);
    // wharf's built-in rule reports the key body's first line (2), as
    // Trivy does.
    let k = std::fs::read(data.join("repos/symlinks/source_file/id_ed25519")).unwrap();
    assert_eq!(
        lines(&scanner.scan_bytes("id_ed25519", &k)),
        vec![("private-key".into(), 1)]
    );
    assert_eq!(
        lines(&builtin.scan_bytes("id_ed25519", &k)),
        vec![("private-key".into(), 2)]
    );

    // expected/git/small.txt (gitleaks' git-log fixture): every line with
    // the AWS key of the test repository is found, and nothing else.
    let small = std::fs::read(data.join("expected/git/small.txt")).unwrap();
    let want: Vec<u32> = String::from_utf8_lossy(&small)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("AKIALALEMEL33243OLIA"))
        .map(|(i, _)| u32::try_from(i + 1).unwrap())
        .collect();
    assert!(!want.is_empty());
    let got = lines(&scanner.scan_bytes("small.txt", &small));
    let aws: Vec<u32> = got
        .iter()
        .filter(|(r, _)| r == "aws-access-token")
        .map(|(_, l)| *l)
        .collect();
    assert_eq!(aws, want, "gitleaks rules: {got:?}");
    let got_b = lines(&builtin.scan_bytes("small.txt", &small));
    let aws_b: Vec<u32> = got_b
        .iter()
        .filter(|(r, _)| r == "aws-access-key-id")
        .map(|(_, l)| *l)
        .collect();
    assert_eq!(aws_b, want, "built-in rules: {got_b:?}");
    eprintln!(
        "gitleaks testdata: .env.prod 1/1, id_ed25519 1/1, small.txt {}/{} (gitleaks rules), {}/{} (built-in); extra findings: {} / {}",
        aws.len(),
        want.len(),
        aws_b.len(),
        want.len(),
        got.len() - aws.len(),
        got_b.len() - aws_b.len()
    );

    // READMEs hold nothing.
    for readme in ["repos/small/README.md", "repos/staged/README.md"] {
        let bytes = std::fs::read(data.join(readme)).unwrap();
        assert!(scanner.scan_bytes("README.txt", &bytes).is_empty());
        assert!(builtin.scan_bytes("README.txt", &bytes).is_empty());
    }
}

#[test]
fn gitleaks_valid_configs_load() {
    let dir = fixtures().join("testdata/config/valid");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("extend_base_")
        {
            // Bases of extend.toml's chain: the chain is cut below depth 2
            // (as in gitleaks), so loaded on their own they reach a base
            // that does not exist.
            continue;
        }
        let cfg = SecretConfig::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // gitleaks accepts an extending file's rule that is in no base and
        // has neither regex nor path (it can never match); wharf loads the
        // file and lists that rule as rejected.
        assert!(
            cfg.rejected
                .iter()
                .all(|r| r.message.contains("neither a regex nor a path")),
            "{}: {:?}",
            p.display(),
            cfg.rejected
        );
        SecretScanner::new(cfg, key()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        n += 1;
    }
    for name in [
        "simple.toml",
        "generic.toml",
        "generic_with_py_path.toml",
        "composite.toml",
        "archives.toml",
        "encoded.toml",
    ] {
        let p = fixtures().join("testdata/config").join(name);
        let cfg = SecretConfig::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} rules, {} rejected",
            cfg.rules.len(),
            cfg.rejected.len()
        );
        SecretScanner::new(cfg, key()).unwrap();
        n += 1;
    }
    assert!(n >= 27, "{n}");
}

#[test]
fn gitleaks_invalid_configs_are_rejected() {
    let dir = fixtures().join("testdata/config/invalid");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        match SecretConfig::load(&p) {
            Err(e) => eprintln!("{name}: error: {e}"),
            Ok(cfg) => {
                assert!(!cfg.rejected.is_empty(), "{name} loaded without complaint");
                eprintln!("{name}: rejected: {}", cfg.rejected[0]);
            }
        }
    }
}

#[test]
fn extend_semantics() {
    let dir = fixtures().join("testdata/config/valid");
    // extend.toml -> extend_base_1 -> extend_base_2 (-> base_3 is the
    // third level): rules of the chain are merged.
    let cfg = SecretConfig::load(&dir.join("extend.toml")).unwrap();
    let ids: Vec<&str> = cfg.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.contains(&"aws-secret-key") && ids.contains(&"aws-access-key"),
        "{ids:?}"
    );
    // extend useDefault keeps the built-ins and adds the file's rules.
    let cfg = SecretConfig::from_toml(
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"mine\"\nregex = '''mine_([a-z]{10})'''\nkeywords = [\"mine_\"]\n",
        Path::new("x.toml"),
    )
    .unwrap();
    assert!(cfg.rules.len() > 100 && cfg.rules.iter().any(|r| r.id == "mine"));
    // Same id overrides a built-in field by field; disabledRules removes.
    let cfg = SecretConfig::from_toml(
        "[extend]\nuseDefault = true\ndisabledRules = [\"jwt-token\"]\n[[rules]]\nid = \"github-pat\"\ndescription = \"Mine\"\nentropy = 5.9\n",
        Path::new("x.toml"),
    )
    .unwrap();
    assert!(!cfg.rules.iter().any(|r| r.id == "jwt-token"));
    let pat = cfg.rules.iter().find(|r| r.id == "github-pat").unwrap();
    assert_eq!(pat.title, "Mine");
    assert_eq!(pat.entropy, Some(5.9));
    assert!(pat.regex.as_deref().unwrap().contains("ghp_"));
    let s = SecretScanner::new(cfg, key()).unwrap();
    // Entropy 5.9 is unreachable for a 40-char token: nothing found.
    assert!(
        s.scan_bytes("a.env", b"T=ghp_012345678901234567890123456789abcdef\n")
            .is_empty()
    );
}

#[test]
fn user_rule_that_cannot_compile_names_rule_and_file() {
    let cfg = SecretConfig::from_toml(
        "[[rules]]\nid = \"lookahead\"\nregex = '''foo(?=bar)'''\n",
        Path::new("/etc/wharf/rules.toml"),
    )
    .unwrap();
    assert_eq!(cfg.rejected.len(), 1);
    let msg = cfg.rejected[0].to_string();
    assert!(
        msg.contains("lookahead") && msg.contains("/etc/wharf/rules.toml"),
        "{msg}"
    );
}
