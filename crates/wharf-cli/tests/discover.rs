//! `wharf discover` end to end: the real binary against real registries.

mod common;

use std::os::unix::fs::PermissionsExt as _;

use common::{args, text, validate_against_schema, wharf};

use wharf_testkit::{PushAuth, RegistryOptions, TestRegistry, push_sample_images};

const USER: &str = "ci-bot";
const PASSWORD: &str = "cli-Wh4rf-S3cret-pw";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_is_complete() {
    let out = wharf(args(&["--help"]), vec![], None).await;
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("discover"));
    let out = wharf(args(&["discover", "--help"]), vec![], None).await;
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--repo",
        "--tag",
        "--username",
        "--password-stdin",
        "--ca-cert",
        "--insecure",
        "--format",
        "--docker-config",
    ] {
        assert!(help.contains(flag), "discover --help lacks {flag}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_matches_the_published_schema() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let sample = push_sample_images(&registry.pusher(PushAuth::None).expect("pusher"))
        .await
        .expect("push");
    let out = wharf(
        args(&["discover", &registry.url(), "--format", "json"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    validate_against_schema(&json, "discovery-v1.schema.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["summary"]["unique_digests"], 6);
    assert_eq!(v["repository_source"]["kind"], "catalog");
    let multi = v["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .find(|r| r["name"] == "team/multi")
        .expect("team/multi");
    assert_eq!(multi["images"][0]["digest"], sample.multi_index.as_str());
    assert_eq!(
        multi["images"][0]["platforms"].as_array().map(Vec::len),
        Some(2)
    );
    // Logs go to stderr, never into the JSON on stdout.
    assert!(text(&out.stderr).contains("discovery finished"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_output_snapshot() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    push_sample_images(&registry.pusher(PushAuth::None).expect("pusher"))
        .await
        .expect("push");
    let out = wharf(args(&["discover", &registry.url(), "-q"]), vec![], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout).replace(&registry.url(), "http://127.0.0.1:PORT");
    // Timing and request counts vary; everything else is deterministic
    // (the sample images have fixed contents and creation times).
    let table = regex_lite_replace(&table);
    insta::assert_snapshot!("discover_table", table);
}

/// Replace "(… N requests in X.Ys)" with a stable placeholder.
fn regex_lite_replace(s: &str) -> String {
    s.lines()
        .map(|l| match l.find("; ") {
            Some(i) if l.contains(" requests in ") => format!("{}; <requests and time>)", &l[..i]),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// TLS + htpasswd, credentials from a Docker config whose `credHelpers`
/// names a real helper program, `--ca-cert`; then `--password-stdin`. The
/// password appears nowhere in the output, even at trace level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_docker_credential_helper_and_stdin() {
    let registry = TestRegistry::start(RegistryOptions {
        tls: true,
        htpasswd: vec![(USER.into(), PASSWORD.into())],
        ..RegistryOptions::default()
    })
    .await
    .expect("registry");
    let pusher = registry
        .pusher(PushAuth::Basic {
            user: USER.into(),
            pass: PASSWORD.into(),
        })
        .expect("pusher");
    push_sample_images(&pusher).await.expect("push");
    let ca = registry.ca_path().expect("ca").display().to_string();
    let host = registry.host();

    let dir = tempfile::tempdir().expect("tempdir");
    let helper = dir.path().join("docker-credential-wharftest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n[ \"$server\" = \"{host}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n"
        ),
    )
    .expect("helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        format!(r#"{{"credHelpers": {{"{host}": "wharftest"}}}}"#),
    )
    .expect("config");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let out = wharf(
        args(&[
            "discover",
            &host,
            "--ca-cert",
            &ca,
            "--docker-config",
            &config.display().to_string(),
            "--log-level",
            "trace",
            "--format",
            "json",
        ]),
        vec![("PATH".into(), path.clone())],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["repositories"], 4);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("Basic(ci-bot, ***)"),
        "the trace log shows which credentials, redacted"
    );
    assert!(!all.contains(PASSWORD), "password leaked");

    let out = wharf(
        args(&[
            "discover",
            &host,
            "--ca-cert",
            &ca,
            "--username",
            USER,
            "--password-stdin",
            "--no-docker-config",
            "--log-level",
            "trace",
        ]),
        vec![],
        Some(format!("{PASSWORD}\n")),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("team/multi"));
    assert!(!format!("{}{}", text(&out.stdout), text(&out.stderr)).contains(PASSWORD));

    // Wrong password from the environment: exit 2 and a clear message.
    let out = wharf(
        args(&["discover", &host, "--ca-cert", &ca, "--no-docker-config"]),
        vec![
            ("WHARF_USERNAME".into(), USER.into()),
            ("WHARF_PASSWORD".into(), "wrong-pw-xyz".into()),
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains("wrong-pw-xyz"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_for_errors_and_partial_results() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    push_sample_images(&registry.pusher(PushAuth::None).expect("pusher"))
        .await
        .expect("push");

    // Partial: one named repository does not exist.
    let out = wharf(
        args(&[
            "discover",
            &registry.url(),
            "--repo",
            "team/api",
            "--repo",
            "no/such-repo",
        ]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("error: no/such-repo"),
        "{}",
        text(&out.stdout)
    );

    // Plain HTTP to a non-loopback host without --insecure.
    let out = wharf(
        args(&["discover", "http://registry.example.com"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--insecure"),
        "{}",
        text(&out.stderr)
    );

    // Nothing listening.
    let out = wharf(
        args(&["discover", "http://127.0.0.1:9", "--retries", "0"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("127.0.0.1:9"),
        "{}",
        text(&out.stderr)
    );

    // --output writes the document to a file and nothing to stdout.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("registry.json");
    let out = wharf(
        args(&[
            "discover",
            &registry.url(),
            "-f",
            "json",
            "-o",
            &file.display().to_string(),
        ]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("output file")).expect("json");
    assert_eq!(v["summary"]["repositories"], 4);

    // Structured logs: one JSON object per stderr line.
    let out = wharf(
        args(&[
            "discover",
            &registry.url(),
            "--log-format",
            "json",
            "--format",
            "json",
        ]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success());
    for line in text(&out.stderr).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
}
