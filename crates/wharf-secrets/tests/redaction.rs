//! Redaction, fingerprints and configuration scanning: the clear secret
//! never reaches an excerpt, `Debug` or `Serialize` output, or the image
//! configuration texts.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use wharf_analyzers::{ConfigText, ContentScanner, Output};
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};
use wharf_types::Location;

fn scanner() -> SecretScanner {
    SecretScanner::new(SecretConfig::builtin(), FingerprintKey::from_bytes([9; 32])).unwrap()
}

fn all_output(findings: &[wharf_types::SecretFinding]) -> String {
    format!("{findings:?}\n{}", serde_json::to_string(findings).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn token_never_leaks(body in "[A-Za-z0-9]{36}", prefix in "[ -~]{0,200}", suffix in "[ -~]{0,200}") {
        let s = scanner();
        let text = format!("{prefix}\nGH=ghp_{body} {suffix}\n");
        let found = s.scan_bytes("app/x.conf", text.as_bytes());
        prop_assert!(found.iter().any(|f| f.rule_id == "github-pat"));
        let out = all_output(&found);
        prop_assert!(!out.contains(&body), "{}", out);
        for f in &found {
            prop_assert!(f.excerpt.chars().count() <= 120);
        }
    }

    #[test]
    fn generic_secret_never_leaks(secret in "[A-Za-z0-9!#%&*+,.:;=?@^_|~-]{12,60}") {
        let s = scanner();
        let text = format!("db:\n  password: \"{secret}\"\n");
        let found = s.scan_bytes("app/config.yaml", text.as_bytes());
        let out = all_output(&found);
        // At most the first 4 characters are shown.
        prop_assert!(!out.contains(&secret[4..]), "{}", out);
    }

    #[test]
    fn env_and_history_are_redacted_in_place(secret in "[A-Za-z0-9]{16,40}") {
        let s = scanner();
        let mut cfg = ConfigText {
            env: vec![format!("DB_PASSWORD={secret}"), "PATH=/usr/bin".into()],
            labels: BTreeMap::from([("app.api-key".to_owned(), secret.clone())]),
            history: vec![format!("|1 NPM_TOKEN={secret} /bin/sh -c npm ci")],
        };
        let out = s.scan_config(&mut cfg);
        let Some(Output::Secrets { findings }) = out else { panic!("no findings") };
        prop_assert_eq!(findings.len(), 3);
        let text = format!("{cfg:?}\n{}", all_output(&findings));
        prop_assert!(!text.contains(&secret[4..]), "{}", text);
        prop_assert_eq!(&cfg.env[1], "PATH=/usr/bin");
    }
}

#[test]
fn redacted_forms() {
    let s = scanner();
    // >= 12 characters: first 4 then *****.
    let f = s.scan_bytes("a.conf", b"GH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n");
    assert_eq!(f[0].excerpt, "GH=ghp_*****");
    // < 12 characters: nothing shown.
    let f = s.scan_bytes(".pgpass", b"db:5432:app:app:Xy7#kLm2q\n");
    assert_eq!(f[0].excerpt, "db:5432:app:app:*****");
    // Two secrets on one line: each excerpt hides both.
    let f = s.scan_bytes(
        "a.conf",
        b"A=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A B=npm_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n",
    );
    assert_eq!(f.len(), 2);
    for x in &f {
        assert_eq!(x.excerpt, "A=ghp_***** B=npm_*****");
    }
    // Long lines are trimmed around the hit.
    let mut long = "x".repeat(500);
    long.push_str(" GH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A ");
    long.push_str(&"y".repeat(500));
    let f = s.scan_bytes("a.conf", long.as_bytes());
    assert!(f[0].excerpt.chars().count() <= 120);
    assert!(f[0].excerpt.contains("GH=ghp_*****"));
}

#[test]
fn fingerprints_are_keyed_and_stable() {
    let a = scanner();
    let b =
        SecretScanner::new(SecretConfig::builtin(), FingerprintKey::from_bytes([8; 32])).unwrap();
    let t1 = b"GH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n";
    let t2 = b"# other file\n\ntoken: ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n";
    let f1 = &a.scan_bytes("x", t1)[0].fingerprint;
    let f2 = &a.scan_bytes("y", t2)[0].fingerprint;
    let f3 = &b.scan_bytes("x", t1)[0].fingerprint;
    assert_eq!(f1, f2, "same secret, same key");
    assert_ne!(f1, f3, "another key");
    assert!(f1.starts_with("hmac-sha256:") && f1.len() == 12 + 64);
    // Known answer: HMAC-SHA-256 with key [9; 32] over the token.
    let key = FingerprintKey::from_bytes([9; 32]);
    assert_eq!(
        &key.fingerprint(b"ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"),
        f1
    );
    assert_eq!(key.id().len(), 8);
    assert_eq!(format!("{key:?}"), format!("FingerprintKey({})", key.id()));
}

#[test]
fn key_file_is_created_once_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/secret-fingerprint.key");
    let k1 = FingerprintKey::load_or_create(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 32);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let k2 = FingerprintKey::load_or_create(&path).unwrap();
    assert_eq!(k1, k2);
    assert_ne!(k1, FingerprintKey::from_bytes([0; 32]));
    std::fs::write(dir.path().join("bad.key"), b"short").unwrap();
    assert!(FingerprintKey::load_or_create(&dir.path().join("bad.key")).is_err());
}

#[test]
fn version_changes_with_rules_and_key() {
    let a = scanner();
    let v = a.version();
    assert!(v.contains(&FingerprintKey::from_bytes([9; 32]).id()), "{v}");
    let b =
        SecretScanner::new(SecretConfig::builtin(), FingerprintKey::from_bytes([8; 32])).unwrap();
    assert_ne!(v, b.version());
    let mut cfg = SecretConfig::builtin();
    cfg.disabled_rules.push("jwt-token".into());
    let c = SecretScanner::new(cfg, FingerprintKey::from_bytes([9; 32])).unwrap();
    assert_ne!(v, c.version());
    assert_eq!(v, scanner().version(), "deterministic");
    assert_eq!(a.name(), "secret");
}

#[test]
fn config_env_labels_history() {
    let s = scanner();
    let gh = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";
    let npm = "npm_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA9";
    let mut cfg = ConfigText {
        env: vec![
            "PATH=/usr/local/bin:/usr/bin".into(),
            format!("NPM_CONFIG_TOKEN={npm}"),
            "DB_PASSWORD=Tr0ub4dor&3horse".into(),
            "PASSWORD_FILE=/run/secrets/db".into(),
            "API_KEY=changeme".into(),
            "SECRET_KEY=${SECRET_KEY}".into(),
            format!("GITHUB={gh}"),
            "JAVA_VERSION=21.0.4".into(),
            // Official python images: a public key fingerprint, not a secret.
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D".into(),
            "PYTHON_SHA256=8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a".into(),
        ],
        labels: BTreeMap::from([
            (
                "org.opencontainers.image.source".to_owned(),
                "https://github.com/acme/app".to_owned(),
            ),
            ("deploy.token".to_owned(), gh.to_owned()),
        ]),
        history: vec![
            "/bin/sh -c #(nop) ADD file:4b1e in / ".into(),
            format!("|2 NPM_TOKEN={npm} VERSION=1.2.3 /bin/sh -c npm ci"),
            "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYq".into(),
            format!("ARG GITHUB_TOKEN={gh}"),
            "/bin/sh -c #(nop)  ENV SERVICE_PASSWORD hunter2hunter2".into(),
            "RUN /bin/sh -c apt-get update # buildkit".into(),
        ],
    };
    let Some(Output::Secrets { findings }) = s.scan_config(&mut cfg) else {
        panic!("nothing found")
    };
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.location.display(), f.rule_id.clone()))
        .collect();
    let want: Vec<(String, String)> = [
        ("env:NPM_CONFIG_TOKEN", "npm-access-token"),
        ("env:DB_PASSWORD", "sensitive-variable"),
        ("env:GITHUB", "github-pat"),
        ("label:deploy.token", "github-pat"),
        ("history#1", "npm-access-token"),
        ("history#2", "aws-secret-access-key"),
        ("history#3", "github-pat"),
        ("history#4", "sensitive-variable"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(got, want);
    assert!(
        findings
            .iter()
            .all(|f| f.placement == wharf_types::LayerPlacement::default())
    );
    assert!(matches!(findings[0].location, Location::Env { .. }));
    // Redacted in place; the rest untouched.
    assert_eq!(cfg.env[0], "PATH=/usr/local/bin:/usr/bin");
    assert_eq!(cfg.env[1], "NPM_CONFIG_TOKEN=npm_*****");
    assert_eq!(cfg.env[2], "DB_PASSWORD=Tr0u*****");
    assert_eq!(cfg.env[3], "PASSWORD_FILE=/run/secrets/db");
    assert_eq!(cfg.env[4], "API_KEY=changeme");
    assert_eq!(cfg.labels["deploy.token"], "ghp_*****");
    assert_eq!(
        cfg.labels["org.opencontainers.image.source"],
        "https://github.com/acme/app"
    );
    assert_eq!(
        cfg.history[1],
        "|2 NPM_TOKEN=npm_***** VERSION=1.2.3 /bin/sh -c npm ci"
    );
    assert_eq!(cfg.history[3], "ARG GITHUB_TOKEN=ghp_*****");
    assert_eq!(
        cfg.history[4],
        "/bin/sh -c #(nop)  ENV SERVICE_PASSWORD hunt*****"
    );
    let all = format!("{cfg:?}{}", all_output(&findings));
    for secret in [
        gh,
        npm,
        "Tr0ub4dor&3horse",
        "hunter2hunter2",
        "wJalrXUtnFEMI",
    ] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
    // Nothing to report: None, config unchanged.
    let mut clean = ConfigText {
        env: vec!["HOME=/root".into()],
        ..ConfigText::default()
    };
    assert!(s.scan_config(&mut clean).is_none());
    assert_eq!(clean.env, vec!["HOME=/root".to_owned()]);
}

#[test]
fn allowlists_from_rule_files() {
    let key = || FingerprintKey::from_bytes([9; 32]);
    let rule = "[[rules]]\nid = \"tok\"\nregex = '''tok_([a-z0-9]{12})'''\nkeywords = [\"tok_\"]\n";
    let scan = |toml: &str, path: &str, text: &str| {
        let cfg = SecretConfig::from_toml(toml, Path::new("r.toml")).unwrap();
        assert!(cfg.rejected.is_empty(), "{:?}", cfg.rejected);
        SecretScanner::new(cfg, key())
            .unwrap()
            .scan_bytes(path, text.as_bytes())
            .len()
    };
    let text = "a = tok_abc123def456\n";
    assert_eq!(scan(rule, "x.txt", text), 1);
    // Stopwords (case-insensitive, contained in the secret).
    assert_eq!(
        scan(
            &format!("{rule}[[rules.allowlists]]\nstopwords = [\"ABC123\"]\n"),
            "x.txt",
            text
        ),
        0
    );
    // AND: path and regex must both hold.
    let and = format!(
        "{rule}[[rules.allowlists]]\ncondition = \"AND\"\npaths = ['''\\.txt$''']\nregexes = ['''^abc''']\n"
    );
    assert_eq!(scan(&and, "x.txt", text), 0);
    assert_eq!(scan(&and, "x.cfg", text), 1);
    // regexTarget = line.
    let line =
        format!("{rule}[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''^a = ''']\n");
    assert_eq!(scan(&line, "x.txt", text), 0);
    assert_eq!(scan(&line, "x.txt", "b = tok_abc123def456\n"), 1);
    // Legacy [rules.allowlist].
    assert_eq!(
        scan(
            &format!("{rule}[rules.allowlist]\nregexes = ['''def456$''']\n"),
            "x.txt",
            text
        ),
        0
    );
    // Global allowlists, with targetRules.
    assert_eq!(
        scan(
            &format!("{rule}[allowlist]\npaths = ['''^x\\.txt$''']\n"),
            "x.txt",
            text
        ),
        0
    );
    let other =
        "[[rules]]\nid = \"other\"\nregex = '''oth_([a-z0-9]{12})'''\nkeywords = [\"oth_\"]\n";
    let targeted =
        format!("{rule}{other}[[allowlists]]\ntargetRules = [\"other\"]\nregexes = ['''.*''']\n");
    assert_eq!(
        scan(&targeted, "x.txt", "tok_abc123def456 oth_abc123def456\n"),
        1
    );
    // Path-only rule: the file itself is the finding.
    let path_rule = "[[rules]]\nid = \"pkcs12\"\npath = '''\\.p12$'''\n";
    assert_eq!(scan(path_rule, "etc/cert.p12", "anything at all"), 1);
    assert_eq!(scan(path_rule, "etc/cert.pem", "anything at all"), 0);
}
