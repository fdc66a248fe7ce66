//! `wharf connector` and `wharf token` end to end: the real binary as a
//! REST client of a real `wharf serve` process, with a connector pointing
//! at a real Distribution registry (htpasswd-protected, so the stored
//! password is really used by `test`).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{args, text, wharf};
use wharf_testkit::{ImageBuilder, LayerBuilder, PushAuth, RegistryOptions, TestRegistry};

const USER: &str = "connector-bot";
/// The registry password: it must never show in any output, log line or
/// database byte.
const PASSWORD: &str = "Cn3ct0r-S3cret-pw-4d1f9e";

/// A `wharf serve` process, killed when dropped.
struct Server {
    child: Child,
    url: String,
    stderr_log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(data_dir: &Path, admin_token: &str) -> Self {
        // A free port: bind, read it, release it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind 127.0.0.1:0")
            .local_addr()
            .expect("local addr")
            .port();
        let stderr_log = data_dir.join("server-stderr.log");
        let stderr = std::fs::File::create(&stderr_log).expect("server log file");
        let child = Command::new(env!("CARGO_BIN_EXE_wharf"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", "/nonexistent-wharf-home")
            .env("WHARF_ADMIN_TOKEN", admin_token)
            .env("WHARF_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn wharf serve");
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            stderr_log,
        };
        let health = format!("{}/healthz", server.url);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(&health).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("wharf serve exited with {status}: {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "wharf serve did not answer /healthz in 60s: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

/// `wharf` as an API client of `server`: no ambient WHARF_TOKEN or
/// WHARF_SERVER leaks in from the environment.
async fn cli(server: &Server, token: Option<&str>, a: &[&str], stdin: Option<&str>) -> Output {
    let mut env = vec![
        ("WHARF_SERVER".to_owned(), server.url.clone()),
        ("WHARF_TOKEN".to_owned(), token.unwrap_or("").to_owned()),
    ];
    env.push(("WHARF_LOG".to_owned(), "debug".to_owned()));
    wharf(args(a), env, stdin.map(str::to_owned)).await
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// Every output seen, to check that the password is in none of them.
#[derive(Default)]
struct Outputs(Vec<String>);

impl Outputs {
    fn keep(&mut self, out: Output) -> Output {
        self.0.push(text(&out.stdout));
        self.0.push(text(&out.stderr));
        out
    }
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn random_token() -> String {
    let mut s = String::from("wharf_test_");
    for _ in 0..32 {
        s.push(fastrand::alphanumeric());
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_and_tokens_through_the_api() {
    let registry = TestRegistry::start(RegistryOptions {
        htpasswd: vec![(USER.to_owned(), PASSWORD.to_owned())],
        ..RegistryOptions::default()
    })
    .await
    .expect("start a Distribution registry (apt-get install docker-registry)");
    let layer = LayerBuilder::new()
        .file("etc/motd", b"hello\n".to_vec(), 0o644)
        .build()
        .expect("layer");
    let image = ImageBuilder::new()
        .created("2024-01-01T00:00:00Z")
        .layer(layer)
        .build()
        .expect("image");
    registry
        .pusher(PushAuth::Basic {
            user: USER.to_owned(),
            pass: PASSWORD.to_owned(),
        })
        .expect("pusher")
        .push_image("team/app", "1", &image)
        .await
        .expect("push the test image");

    let data = tempfile::tempdir().expect("tmp");
    let admin = random_token();
    let server = Server::start(data.path(), &admin).await;
    let mut seen = Outputs::default();

    // add, with the password on standard input.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &[
                "connector",
                "add",
                "local",
                "--url",
                &registry.url(),
                "--username",
                USER,
                "--password-stdin",
                "--include-repo",
                "team/*",
                "--format",
                "json",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "add: {}", text(&out.stderr));
    let added = json(&out);
    assert_eq!(added["name"], "local");
    assert_eq!(added["secret"], "password");
    assert_eq!(added["repositories"]["include"][0], "team/*");

    // list --format json shows it, with the kind of secret only.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["connector", "list", "--format", "json"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "list: {}", text(&out.stderr));
    let items = json(&out)["items"].as_array().cloned().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "local");
    assert_eq!(items[0]["url"], registry.url());
    assert_eq!(items[0]["username"], USER);
    assert_eq!(items[0]["secret"], "password");
    let out = seen.keep(cli(&server, Some(&admin), &["connector", "list"], None).await);
    assert_eq!(code(&out), Some(0));
    assert!(text(&out.stdout).contains("local"), "{}", text(&out.stdout));

    // test NAME: the live registry with the stored password.
    let out = seen.keep(cli(&server, Some(&admin), &["connector", "test", "local"], None).await);
    assert_eq!(
        code(&out),
        Some(0),
        "test: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("✓ reachability and authentication"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ catalog"), "{stdout}");
    assert!(!stdout.contains('✗'), "{stdout}");

    // test --url for unsaved settings: nothing listens on port 1.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &[
                "connector",
                "test",
                "--url",
                "http://127.0.0.1:1",
                "--format",
                "json",
            ],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(1), "test --url: {}", text(&out.stderr));
    let v = json(&out);
    assert_eq!(v["ok"], false);
    let steps = v["steps"].as_array().cloned().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "reachability" && s["ok"] == false),
        "{v}"
    );
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["connector", "test", "--url", "http://127.0.0.1:1"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(1));
    assert!(
        text(&out.stdout).contains("✗ reachability"),
        "{}",
        text(&out.stdout)
    );

    // update: only the scope changes; show reflects it.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &[
                "connector",
                "update",
                "local",
                "--scope",
                "modified-days",
                "--days",
                "7",
            ],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "update: {}", text(&out.stderr));
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["connector", "show", "local", "--format", "json"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "show: {}", text(&out.stderr));
    let shown = json(&out);
    let c = &shown["connector"];
    assert_eq!(c["scope"]["kind"], "modified_days");
    assert_eq!(c["scope"]["days"], 7);
    // Everything else is as it was, the secret included.
    assert_eq!(c["secret"], "password");
    assert_eq!(c["username"], USER);
    assert_eq!(c["repositories"]["include"][0], "team/*");
    let out = seen.keep(cli(&server, Some(&admin), &["connector", "show", "local"], None).await);
    assert_eq!(code(&out), Some(0));
    assert!(
        text(&out.stdout).contains("modified in 7 days"),
        "{}",
        text(&out.stdout)
    );

    // --days out of range is refused before any request.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &[
                "connector",
                "update",
                "local",
                "--scope",
                "modified-days",
                "--days",
                "91",
            ],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out.stderr).contains("0..=90"),
        "{}",
        text(&out.stderr)
    );

    // A viewer token reads but cannot change.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["token", "create", "v", "--role", "viewer"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "token create: {}", text(&out.stderr));
    let viewer = text(&out.stdout);
    assert_eq!(
        viewer.lines().count(),
        1,
        "only the token on stdout: {viewer}"
    );
    let viewer = viewer.trim().to_owned();
    assert!(viewer.starts_with("wharf_"), "{viewer}");
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["token", "list", "--format", "json"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0));
    let tokens = json(&out);
    assert!(
        tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "v" && t["role"] == "viewer"),
        "{tokens}"
    );
    assert!(!text(&out.stdout).contains(&viewer));

    let out = seen.keep(
        cli(
            &server,
            Some(&viewer),
            &["connector", "list", "--format", "json"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "viewer list: {}", text(&out.stderr));
    assert_eq!(json(&out)["items"].as_array().map(Vec::len), Some(1));
    let out = seen.keep(
        cli(
            &server,
            Some(&viewer),
            &["connector", "add", "other", "--url", &registry.url()],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("has role viewer"), "{stderr}");
    assert!(
        !stderr.contains(&viewer),
        "the token is never printed: {stderr}"
    );

    // No token: 401 with the server's explanation.
    let out = seen.keep(cli(&server, None, &["connector", "list"], None).await);
    assert_eq!(code(&out), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(stderr.contains("an API token is required"), "{stderr}");

    // remove, then show: not found.
    let out = seen.keep(
        cli(
            &server,
            Some(&admin),
            &["connector", "remove", "local"],
            None,
        )
        .await,
    );
    assert_eq!(code(&out), Some(0), "remove: {}", text(&out.stderr));
    let out = seen.keep(cli(&server, Some(&admin), &["connector", "show", "local"], None).await);
    assert_eq!(code(&out), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("404"), "{stderr}");
    assert!(stderr.contains("local"), "{stderr}");

    // Revoked tokens stop working.
    let id = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "v")
        .and_then(|t| t["id"].as_i64())
        .unwrap()
        .to_string();
    let out = seen.keep(cli(&server, Some(&admin), &["token", "revoke", &id], None).await);
    assert_eq!(code(&out), Some(0), "revoke: {}", text(&out.stderr));
    let out = seen.keep(cli(&server, Some(&viewer), &["connector", "list"], None).await);
    assert_eq!(code(&out), Some(2));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));

    // The password is in no output, no server log line and no database
    // byte; the admin token is in no output and no log line either.
    let log = server.log();
    drop(server);
    assert!(
        log.contains("connector"),
        "the server log was captured: {log}"
    );
    for (i, o) in seen.0.iter().enumerate() {
        assert!(!o.contains(PASSWORD), "output #{i} shows the password: {o}");
        assert!(
            !o.contains(&admin),
            "output #{i} shows the admin token: {o}"
        );
    }
    assert!(!log.contains(PASSWORD), "the server log shows the password");
    assert!(
        !log.contains(&admin),
        "the server log shows the admin token"
    );
    let mut db_files = 0;
    for entry in std::fs::read_dir(data.path()).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("wharf.db") {
            db_files += 1;
            let bytes = std::fs::read(&path).expect("read db file");
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "{name} holds the password in clear"
            );
        }
    }
    assert!(db_files > 0, "no wharf.db* in the data dir");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_and_argument_errors() {
    // Nothing listens on port 1.
    let env = vec![
        ("WHARF_SERVER".to_owned(), "http://127.0.0.1:1".to_owned()),
        ("WHARF_TOKEN".to_owned(), "wharf_unused".to_owned()),
    ];
    let out = wharf(args(&["connector", "list"]), env.clone(), None).await;
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out.stderr).contains("cannot reach the wharf server"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("wharf_unused"));

    // A secret is never an argument value.
    let out = wharf(
        args(&[
            "connector",
            "add",
            "x",
            "--url",
            "http://127.0.0.1:5000",
            "--password",
            "hunter2",
        ]),
        env.clone(),
        None,
    )
    .await;
    assert_eq!(code(&out), Some(2));

    // One secret source at most.
    let out = wharf(
        args(&[
            "connector",
            "add",
            "x",
            "--url",
            "http://127.0.0.1:5000",
            "--password-stdin",
            "--token-env",
            "T",
        ]),
        env.clone(),
        None,
    )
    .await;
    assert_eq!(code(&out), Some(2));

    // modified-days needs --days.
    let out = wharf(
        args(&[
            "connector",
            "add",
            "x",
            "--url",
            "http://127.0.0.1:5000",
            "--scope",
            "modified-days",
        ]),
        env.clone(),
        None,
    )
    .await;
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out.stderr).contains("--days"),
        "{}",
        text(&out.stderr)
    );

    // --help documents the flags, and never the token's value.
    let out = wharf(args(&["connector", "add", "--help"]), env.clone(), None).await;
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--url",
        "--username",
        "--password-stdin",
        "--token-stdin",
        "--password-env",
        "--token-env",
        "--ca-cert",
        "--insecure",
        "--mode",
        "--include-repo",
        "--exclude-repo",
        "--include-tag",
        "--exclude-tag",
        "--scope",
        "--days",
        "--disabled",
        "--interval",
        "--server",
        "--token",
        "--format",
    ] {
        assert!(help.contains(flag), "connector add --help lacks {flag}");
    }
    assert!(!help.contains("wharf_unused"), "{help}");
}
