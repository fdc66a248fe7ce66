//! Shared by the service tests: an in-process server over SQLite or
//! PostgreSQL, a small API client, a registry with test images, and OSV
//! advisories written to a local database.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wharf_server::{App, Config};
use wharf_testkit::{ImageBuilder, LayerBuilder, PushAuth, RegistryOptions, TestRegistry};

pub const ADMIN: &str = "wharf_test_admin_token_0123456789";
pub const REGISTRY_USER: &str = "robot";
pub const REGISTRY_PASSWORD: &str = "Registry-Pa55word-never-logged";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A scratch PostgreSQL database URL (dropped by [`Server`]'s drop), or
/// `None` (skip) when no server runs outside CI.
pub async fn postgres_url() -> Option<(String, String)> {
    let admin = std::env::var("WHARF_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    sqlx_admin(&admin, |name| format!("CREATE DATABASE {name}"))
        .await
        .map(|name| {
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |x| x.0)
                .to_owned();
            (name.clone(), format!("{base}/{name}"))
        })
}

async fn sqlx_admin(admin: &str, sql: impl Fn(&str) -> String) -> Option<String> {
    // Through the store crate's own driver: wharf_store::Store::open would
    // migrate; a bare connection is all that is needed here.
    let name = format!("wharf_story_{}", fastrand::u64(..));
    let out = std::process::Command::new("psql")
        .args([admin, "-v", "ON_ERROR_STOP=1", "-c", &sql(&name)])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(name),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL required in CI: {other:?}"
            );
            eprintln!("skipping PostgreSQL: {other:?}");
            None
        }
    }
}

/// Settings for a test server: quick ticks, leases and retries; no
/// malware rules (compiling them is slow and they are tested elsewhere).
pub fn test_config(data: &Path, vulndb: &Path) -> Config {
    Config {
        data_dir: data.to_path_buf(),
        vulndb_dir: Some(vulndb.to_path_buf()),
        admin_token: Some(ADMIN.into()),
        tick_secs: 1,
        lease_secs: 5,
        retry_base_secs: 1,
        malware: false,
        ..Config::default()
    }
}

/// A running in-process server.
pub struct Server {
    pub app: Arc<App>,
    pub base: String,
    pub http: reqwest::Client,
    pub data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pg_db: Option<String>,
}

impl Server {
    /// The Prometheus text of `/metrics`, read with the admin token.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Start on `backend` with a fresh data directory and `vulndb`.
    pub async fn start(backend: Backend, vulndb: &Path) -> Option<Self> {
        let data = tempfile::tempdir().unwrap();
        let (url, pg_db) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let (name, url) = postgres_url().await?;
                (Some(url), Some(name))
            }
        };
        let config = Config {
            database_url: url,
            ..test_config(data.path(), vulndb)
        };
        Some(Self::run(config, data, pg_db).await)
    }

    /// Start with `config` (its data dir inside `data`).
    pub async fn run(config: Config, data: tempfile::TempDir, pg_db: Option<String>) -> Self {
        let app = App::open(config).await.expect("open the app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn({
            let app = app.clone();
            async move {
                wharf_server::serve(app, listener, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            }
        });
        Self {
            app,
            base,
            http: reqwest::Client::new(),
            data,
            stop: Some(tx),
            task: Some(task),
            pg_db,
        }
    }

    /// Stop and wait.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        if let Some(db) = self.pg_db.take() {
            drop_pg(&db);
        }
    }

    /// `METHOD path` with `token`; (status, JSON body or Null).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .call(reqwest::Method::GET, path, Some(ADMIN), None)
            .await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(ADMIN), Some(body))
            .await
    }

    /// Poll until the queue has no queued or running job (or panic after
    /// `secs`).
    pub async fn drain(&self, secs: u64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let status = self.get("/api/v1/status").await;
            let busy: i64 = status["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["state"] == "queued" || j["state"] == "running")
                .map(|j| j["count"].as_i64().unwrap_or(0))
                .sum();
            let discovered = self.get("/api/v1/connectors").await["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| {
                    !c["last_discovery_at"].is_null() || !c["enabled"].as_bool().unwrap_or(true)
                });
            if busy == 0 && discovered {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "queue not drained in {secs}s: {status}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

fn drop_pg(name: &str) {
    let admin = std::env::var("WHARF_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let _ = std::process::Command::new("psql")
        .args([
            &admin,
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .output();
}

/// A Python package's metadata file in an image layer.
pub fn python_package(name: &str, version: &str) -> (String, String) {
    (
        format!("usr/lib/python3/site-packages/{name}-{version}.dist-info/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
    )
}

/// An image holding the given Python packages, created at `created`.
pub fn image(packages: &[(&str, &str)], created: &str, label: &str) -> wharf_testkit::BuiltImage {
    let mut layer = LayerBuilder::new();
    for (n, v) in packages {
        let (path, text) = python_package(n, v);
        layer = layer.file(path, text, 0o644);
    }
    ImageBuilder::new()
        .created(created)
        .label("test.image", label)
        .user("1000")
        .layer(layer.build().unwrap())
        .build()
        .unwrap()
}

/// RFC 3339 time `days` ago.
pub fn days_ago(days: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A registry (htpasswd auth, access log on) holding:
/// `team/app:1.0` and `team/app:latest` → A (requests 2.19.1, 3 days old),
/// `team/app:old` → B (urllib3 1.24.1, 400 days old),
/// `team/tools:2` → C (jinja2 2.10, 10 days old).
pub struct Images {
    pub registry: TestRegistry,
    pub a: String,
    pub b: String,
    pub c: String,
}

pub async fn registry_with_images() -> Images {
    let registry = TestRegistry::start(RegistryOptions {
        htpasswd: vec![(REGISTRY_USER.into(), REGISTRY_PASSWORD.into())],
        access_log: true,
        log_level: "info".into(),
        ..RegistryOptions::default()
    })
    .await
    .expect("start a Distribution registry (apt-get install docker-registry)");
    let push = registry
        .pusher(PushAuth::Basic {
            user: REGISTRY_USER.into(),
            pass: REGISTRY_PASSWORD.into(),
        })
        .unwrap();
    let a = image(&[("requests", "2.19.1")], &days_ago(3), "a");
    let b = image(&[("urllib3", "1.24.1")], &days_ago(400), "b");
    let c = image(&[("jinja2", "2.10")], &days_ago(10), "c");
    let da = push.push_image("team/app", "1.0", &a).await.unwrap();
    push.push_image("team/app", "latest", &a).await.unwrap();
    let db = push.push_image("team/app", "old", &b).await.unwrap();
    let dc = push.push_image("team/tools", "2", &c).await.unwrap();
    Images {
        registry,
        a: da,
        b: db,
        c: dc,
    }
}

/// An OSV record for a PyPI package fixed in `fixed`, rated `severity`
/// (`critical`: CVSS 9.8, `high`: 7.5).
pub fn osv(id: &str, cve: &str, package: &str, fixed: &str, severity: &str) -> Value {
    let vector = match severity {
        "CRITICAL" => "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        _ => "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    };
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "aliases": [cve],
        "summary": format!("{package} before {fixed} is vulnerable"),
        "affected": [{
            "package": { "ecosystem": "PyPI", "name": package },
            "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }]
        }],
        "severity": [{ "type": "CVSS_V3", "score": vector }],
        "database_specific": { "severity": severity }
    })
}

/// Write `records` as an OSV directory and import it into the database
/// in `db_dir` (as `wharf db update --source osv:DIR` does).
pub async fn import(db_dir: &Path, feed_dir: &Path, records: &[Value]) {
    std::fs::create_dir_all(feed_dir).unwrap();
    for r in records {
        let id = r["id"].as_str().unwrap();
        std::fs::write(feed_dir.join(format!("{id}.json")), r.to_string()).unwrap();
    }
    let spec: wharf_vulndb::store::SourceSpec =
        format!("osv:{}", feed_dir.display()).parse().unwrap();
    let report = wharf_vulndb::store::update(db_dir, &[spec], &reqwest::Client::new())
        .await
        .expect("db update");
    assert!(report.changed || !report.unchanged.is_empty(), "{report:?}");
}

/// The advisory the tests import first: urllib3 before 1.24.2
/// (CVE-2099-0001, high), which affects image B of
/// [`registry_with_images`].
pub fn urllib3_advisory() -> serde_json::Value {
    osv(
        "GHSA-test-0001",
        "CVE-2099-0001",
        "urllib3",
        "1.24.2",
        "HIGH",
    )
}

/// A database in `work/db` holding [`urllib3_advisory`] alone.
pub async fn urllib3_db(work: &tempfile::TempDir) -> PathBuf {
    let db = work.path().join("db");
    import(&db, &work.path().join("feed"), &[urllib3_advisory()]).await;
    db
}

/// The connector body for `images`' registry.
pub fn connector(name: &str, registry: &TestRegistry, scope: Value) -> Value {
    json!({
        "name": name,
        "url": registry.url(),
        "username": REGISTRY_USER,
        "password": REGISTRY_PASSWORD,
        "scope": scope,
        "discovery_interval_secs": 3600,
    })
}

/// Scanned image digests.
pub async fn scanned(server: &Server) -> Vec<String> {
    let mut v: Vec<String> = server.get("/api/v1/images?state=scanned").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["digest"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

pub fn tmp_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
