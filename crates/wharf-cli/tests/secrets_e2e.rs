//! `wharf scan --scanners secret` end to end: an image built by the test
//! with credentials planted in several layers (one file deleted by a later
//! whiteout), in the environment and in a build step, plus decoys
//! (documented example keys, placeholders), pushed to a real Distribution
//! registry. Every planted secret is found with its layer and line, no
//! decoy is reported, and no planted value appears in clear in any output
//! format, in the logs or in the layer cache.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{args, text, wharf};
use serde_json::Value;
use wharf_testkit::{ImageBuilder, LayerBuilder};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random characters of `alphabet` (fresh per run: the grep below is
/// only meaningful for values that exist nowhere else).
fn random(rng: &mut fastrand::Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.usize(..alphabet.len())] as char)
        .collect()
}

/// One planted secret: its clear value and where it must be reported.
struct Planted {
    value: String,
    /// `file path:line`, `env:NAME` or `history#N`.
    location: String,
    /// Index of the layer that added it (None for config findings).
    layer: Option<usize>,
    deleted: bool,
    /// A word the rule id must contain (provider).
    rule_hint: &'static str,
}

struct Fixture {
    image: wharf_testkit::BuiltImage,
    planted: Vec<Planted>,
}

fn fixture() -> Fixture {
    let mut rng = fastrand::Rng::new();
    let upper_digits = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let aws_id = format!("AKIA{}", random(&mut rng, upper_digits, 16));
    let aws_secret = random(&mut rng, ALNUM, 40);
    let github = format!("ghp_{}", random(&mut rng, ALNUM, 36));
    let stripe = format!("sk_live_{}", random(&mut rng, ALNUM, 32));
    let db_password = format!("Pw{}", random(&mut rng, ALNUM, 18));
    let npm = format!("npm_{}", random(&mut rng, ALNUM, 36));
    let slack = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        random(&mut rng, upper_digits, 10),
        random(&mut rng, upper_digits, 10),
        random(&mut rng, ALNUM, 24)
    );
    let sendgrid = format!(
        "SG.{}.{}",
        random(&mut rng, ALNUM, 22),
        random(&mut rng, ALNUM, 43)
    );
    let build_npm = format!("npm_{}", random(&mut rng, ALNUM, 36));
    let gitlab = format!("glpat-{}", random(&mut rng, ALNUM, 20));

    let base = LayerBuilder::new()
        .file(
            "etc/app/config.yaml",
            format!(
                "# service configuration\nregion: eu-west-1\naws_access_key_id: {aws_id}\naws_secret_access_key: {aws_secret}\n"
            ),
            0o644,
        )
        .file(
            "srv/old/.env",
            format!("APP_ENV=production\nGITHUB_TOKEN={github}\n"),
            0o600,
        )
        .build()
        .expect("layer 0");
    let app = LayerBuilder::new()
        .file(
            "srv/app/settings.py",
            format!(
                "import os\n\nDEBUG = False\n\nSTRIPE_API_KEY = \"{stripe}\"\nDATABASE_URL = \"postgresql://admin:{db_password}@db.internal:5432/app\"\n"
            ),
            0o644,
        )
        .file(
            "home/app/.npmrc",
            format!("//registry.npmjs.org/:_authToken={npm}\n"),
            0o600,
        )
        // Decoys: documented examples and placeholders.
        .file(
            "srv/app/docs/example.py",
            "AWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\n\
             AWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n\
             GITHUB_TOKEN = \"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n\
             password = \"changeme\"\n\
             api_key = \"<your-api-key>\"\n\
             token = \"${GITHUB_TOKEN}\"\n\
             SLACK = \"https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX\"\n",
            0o644,
        )
        .build()
        .expect("layer 1");
    let top = LayerBuilder::new()
        .file("srv/old/.wh..env", Vec::new(), 0o644)
        .file(
            "opt/tool/notify.conf",
            format!("[notify]\nchannel = ops\nwebhook = {slack}\n"),
            0o644,
        )
        .file(
            "opt/tool/ci.sh",
            format!("#!/bin/sh\nexport GITLAB_TOKEN={gitlab}\nexec tool \"$@\"\n"),
            0o755,
        )
        .build()
        .expect("layer 2");
    let image = ImageBuilder::new()
        .created("2024-01-01T00:00:00Z")
        .env("PATH=/usr/local/bin:/usr/bin:/bin")
        .env(format!("SENDGRID_API_KEY={sendgrid}"))
        .layer(base)
        .step(format!("|1 NPM_TOKEN={build_npm} /bin/sh -c npm ci"))
        .layer(app)
        .layer(top)
        .build()
        .expect("image");
    let planted = vec![
        Planted {
            value: aws_id,
            location: "etc/app/config.yaml:3".into(),
            layer: Some(0),
            deleted: false,
            rule_hint: "aws",
        },
        Planted {
            value: aws_secret,
            location: "etc/app/config.yaml:4".into(),
            layer: Some(0),
            deleted: false,
            rule_hint: "aws",
        },
        Planted {
            value: github,
            location: "srv/old/.env:2".into(),
            layer: Some(0),
            deleted: true,
            rule_hint: "github",
        },
        Planted {
            value: stripe,
            location: "srv/app/settings.py:5".into(),
            layer: Some(1),
            deleted: false,
            rule_hint: "stripe",
        },
        Planted {
            value: db_password,
            location: "srv/app/settings.py:6".into(),
            layer: Some(1),
            deleted: false,
            rule_hint: "",
        },
        Planted {
            value: npm,
            location: "home/app/.npmrc:1".into(),
            layer: Some(1),
            deleted: false,
            rule_hint: "npm",
        },
        Planted {
            value: slack,
            location: "opt/tool/notify.conf:3".into(),
            layer: Some(2),
            deleted: false,
            rule_hint: "slack",
        },
        Planted {
            value: gitlab,
            location: "opt/tool/ci.sh:2".into(),
            layer: Some(2),
            deleted: false,
            rule_hint: "gitlab",
        },
        Planted {
            value: sendgrid,
            location: "env:SENDGRID_API_KEY".into(),
            layer: None,
            deleted: false,
            rule_hint: "sendgrid",
        },
        Planted {
            value: build_npm,
            location: "history#1".into(),
            layer: None,
            deleted: false,
            rule_hint: "npm",
        },
    ];
    Fixture { image, planted }
}

fn location_of(f: &Value) -> String {
    let loc = &f["location"];
    match loc["kind"].as_str().unwrap_or_default() {
        "file" => match loc["line"].as_u64() {
            Some(line) => format!("{}:{line}", loc["path"].as_str().unwrap_or_default()),
            None => loc["path"].as_str().unwrap_or_default().to_owned(),
        },
        "env" => format!("env:{}", loc["name"].as_str().unwrap_or_default()),
        "label" => format!("label:{}", loc["key"].as_str().unwrap_or_default()),
        "history" => format!("history#{}", loc["step"]),
        other => panic!("unknown location kind {other}"),
    }
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p.display().to_string(), bytes));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_are_found_and_never_shown() {
    let fx = fixture();
    let (_registry, reference) = common::registry_with(&fx.image, "secrets/app").await;
    let work = tempfile::tempdir().expect("tmp");
    let cache = work.path().join("cache");
    let cache_arg = cache.display().to_string();
    let key = work.path().join("state/secret-fingerprint.key");
    let key_arg = key.display().to_string();
    let run = |format: &'static str| {
        let a = args(&[
            "scan",
            &reference,
            "--scanners",
            "secret",
            "--cache-dir",
            &cache_arg,
            "--fingerprint-key",
            &key_arg,
            "--format",
            format,
        ]);
        async move { wharf(a, vec![], None).await }
    };

    let out = run("json").await;
    // Secrets block the default policy: exit 1, the reason first.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("policy gate failed"),
        "{}",
        text(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let image = &doc["images"][0];
    assert!(image.get("vulnerabilities").is_none() && image.get("malware").is_none());
    let findings = image["secrets"].as_array().expect("secrets");
    let layers: Vec<&str> = fx.image.layers.iter().map(|l| l.digest.as_str()).collect();

    for p in &fx.planted {
        let found: Vec<&Value> = findings
            .iter()
            .filter(|f| location_of(f) == p.location)
            .collect();
        assert!(
            !found.is_empty(),
            "nothing reported at {} (rule hint {:?}); findings: {:#?}",
            p.location,
            p.rule_hint,
            findings
                .iter()
                .map(|f| (location_of(f), f["rule_id"].clone()))
                .collect::<Vec<_>>()
        );
        let f = found[0];
        assert!(
            f["rule_id"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains(p.rule_hint)
                || f["category"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .contains(p.rule_hint),
            "{}: rule {} / {} does not name {:?}",
            p.location,
            f["rule_id"],
            f["category"],
            p.rule_hint
        );
        assert_eq!(
            f["layer"].as_str(),
            p.layer.map(|i| layers[i]),
            "layer of {}",
            p.location
        );
        assert_eq!(
            f["deleted"].as_bool().unwrap_or(false),
            p.deleted,
            "deleted flag of {}",
            p.location
        );
        assert!(
            f["fingerprint"]
                .as_str()
                .unwrap_or_default()
                .starts_with("hmac-sha256:"),
            "{f}"
        );
    }
    // No decoy, and nothing else: every finding is at a planted location.
    let planted: std::collections::BTreeSet<&str> =
        fx.planted.iter().map(|p| p.location.as_str()).collect();
    let unexpected: Vec<(String, Value)> = findings
        .iter()
        .map(|f| (location_of(f), f["rule_id"].clone()))
        .filter(|(l, _)| !planted.contains(l.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected findings: {unexpected:#?}"
    );

    // The same secret value has the same fingerprint wherever it is, and a
    // second scan (from the layer cache) reports the same.
    let again = run("json").await;
    let doc2: Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(doc2["images"][0]["secrets"], image["secrets"]);

    // Not a single clear value anywhere: every output format, the logs of
    // every run and the layer cache.
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        ("json stdout".into(), out.stdout.clone()),
        ("json stderr".into(), out.stderr.clone()),
        ("cached json stdout".into(), again.stdout.clone()),
        ("cached json stderr".into(), again.stderr.clone()),
    ];
    for format in ["table", "sarif", "junit"] {
        let o = run(format).await;
        assert_eq!(o.status.code(), Some(1), "{format}: {}", text(&o.stderr));
        haystacks.push((format!("{format} stdout"), o.stdout));
        haystacks.push((format!("{format} stderr"), o.stderr));
    }
    let log = wharf(
        args(&[
            "--log-format",
            "json",
            "--log-level",
            "trace",
            "scan",
            &reference,
            "--scanners",
            "secret",
            "--no-cache",
            "--cache-dir",
            &cache_arg,
            "--fingerprint-key",
            &key_arg,
            "--format",
            "json",
        ]),
        vec![],
        None,
    )
    .await;
    assert_eq!(log.status.code(), Some(1), "{}", text(&log.stderr));
    haystacks.push(("debug json log".into(), log.stderr));
    let mut cached = Vec::new();
    files_under(&cache, &mut cached);
    assert!(
        cached.iter().any(|(p, _)| p.contains("layers-v1")),
        "the layer cache was written: {:?}",
        cached.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    haystacks.extend(cached);
    for p in &fx.planted {
        for (name, hay) in &haystacks {
            assert!(
                !hay.windows(p.value.len()).any(|w| w == p.value.as_bytes()),
                "the clear value planted at {} appears in {name}",
                p.location
            );
        }
    }
}
