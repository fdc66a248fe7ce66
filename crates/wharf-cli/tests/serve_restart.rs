//! Restart safety of `wharf serve`: the server process is killed with
//! SIGKILL while it scans (the registry sits behind a latency proxy so a
//! scan takes seconds); restarted on the same data directory, it puts the
//! dead worker's job back once its lease runs out, and the queue
//! completes: every image scanned once, one inventory each, findings
//! complete and not duplicated. The registry password never appears in
//! either run's log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wharf_testkit::latency::LatencyProxy;
use wharf_testkit::{ImageBuilder, LayerBuilder, PushAuth, RegistryOptions, TestRegistry};

const TOKEN: &str = "wharf_restart_test_admin_token";
const PASSWORD: &str = "Restart-Registry-Pa55word";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &Path, db: &Path, log: &Path) -> Server {
    let port = free_port();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data)
        .arg("--db-dir")
        .arg(db)
        .env("WHARF_ADMIN_TOKEN", TOKEN)
        .env("WHARF_LEASE_SECS", "3")
        .env("WHARF_TICK_SECS", "1")
        .env("WHARF_WORKERS", "2")
        .env("WHARF_LOG", "info")
        .env("HOME", "/nonexistent-wharf-home")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn wharf serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("{}/readyz", server.base)).await
            && r.status().is_success()
        {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "wharf serve did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get(server: &Server, path: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
    resp.json().await.unwrap()
}

fn count(scans: &Value, state: &str) -> i64 {
    scans["progress"][state].as_i64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_scan_the_queue_completes_without_duplicates() {
    // Three images with a vulnerable Python package each.
    let registry = TestRegistry::start(RegistryOptions {
        htpasswd: vec![("robot".into(), PASSWORD.into())],
        ..RegistryOptions::default()
    })
    .await
    .expect("start a Distribution registry (apt-get install docker-registry)");
    let push = registry
        .pusher(PushAuth::Basic {
            user: "robot".into(),
            pass: PASSWORD.into(),
        })
        .unwrap();
    let mut digests = Vec::new();
    for (i, repo) in ["one", "two", "three"].iter().enumerate() {
        let layer = LayerBuilder::new()
            .file(
                "usr/lib/python3/site-packages/urllib3-1.24.1.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n",
                0o644,
            )
            .file(format!("srv/{repo}.txt"), vec![b'x'; 1000 + i], 0o644)
            .build()
            .unwrap();
        let image = ImageBuilder::new()
            .created("2026-01-01T00:00:00Z")
            .layer(layer)
            .build()
            .unwrap();
        digests.push(
            push.push_image(&format!("team/{repo}"), "1", &image)
                .await
                .unwrap(),
        );
    }
    // Every request to the registry pays 400 ms: a scan takes seconds.
    let upstream: std::net::SocketAddr = registry.host().parse().unwrap();
    let proxy = LatencyProxy::start(upstream, Duration::from_millis(400))
        .await
        .unwrap();

    let work = tempfile::tempdir().unwrap();
    let (data, db, feed) = (
        work.path().join("data"),
        work.path().join("db"),
        work.path().join("feed"),
    );
    std::fs::create_dir_all(&feed).unwrap();
    std::fs::write(
        feed.join("GHSA-test-0001.json"),
        json!({
            "id": "GHSA-test-0001", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
            "affected": [{ "package": { "ecosystem": "PyPI", "name": "urllib3" },
                "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "1.24.2" }] }] }],
            "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }]
        })
        .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["db", "update", "--source"])
        .arg(format!("osv:{}", feed.display()))
        .arg("--db-dir")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let log = work.path().join("server.log");
    let server = start(&data, &db, &log).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/connectors", server.base))
        .bearer_auth(TOKEN)
        .json(&json!({
            "name": "slow", "url": proxy.url(), "username": "robot", "password": PASSWORD,
            "scope": { "kind": "all" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);

    // Wait for a scan to be running, then SIGKILL the server.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let scans = get(&server, "/api/v1/scans").await;
        if count(&scans, "running") > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no scan started: {scans}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL: no shutdown path runs
    server.child.wait().unwrap();
    drop(server);

    // Restart on the same data; the queue completes.
    let server = start(&data, &db, &log).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let scans = loop {
        let scans = get(&server, "/api/v1/scans").await;
        if count(&scans, "done") == 3 && count(&scans, "queued") + count(&scans, "running") == 0 {
            break scans;
        }
        assert!(Instant::now() < deadline, "queue did not complete: {scans}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(count(&scans, "failed"), 0, "{scans}");
    // One job per digest; the one that was killed ran again (attempt 2).
    let items = scans["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{scans}");
    assert!(
        items.iter().any(|j| j["attempts"].as_i64() >= Some(2)),
        "{scans}"
    );
    for d in &digests {
        let image = get(&server, &format!("/api/v1/images/{d}")).await;
        assert_eq!(image["image"]["scan_state"], "scanned", "{image}");
        assert_eq!(image["inventories"].as_array().unwrap().len(), 1, "{image}");
    }
    // Findings: exactly one vulnerability per image, no duplicates.
    let findings = get(&server, "/api/v1/findings?kind=vulnerability&limit=1000").await;
    let mut per_image: Vec<String> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["image_digest"].as_str().unwrap().to_owned())
        .collect();
    per_image.sort();
    let mut want = digests.clone();
    want.sort();
    assert_eq!(per_image, want, "{findings}");
    let all = get(&server, "/api/v1/findings?limit=1000").await;
    let mut keys: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}/{}", f["image_digest"], f["fingerprint"]))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicate findings");
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("jobs of a stopped worker put back in the queue"),
        "{text}"
    );
    assert!(
        !text.contains(PASSWORD),
        "the server log holds the registry password"
    );
    // Structured logs: every line is a JSON object.
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}
