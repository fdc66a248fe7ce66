//! The service end to end, on SQLite and on PostgreSQL: a connector to a
//! real Distribution registry (htpasswd auth) holding three images under
//! four tags (one digest under two tags) is discovered and scanned — the
//! shared digest once; findings are listed through the API. Then the
//! registry is stopped, an advisory affecting another image is imported,
//! a re-evaluation is triggered: the new finding appears with its delta,
//! and the stopped registry proves no request was needed. Along the way:
//! 401 without a token, 403 for a viewer creating a connector, and the
//! registry password in no API response and not in the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::json;

async fn story(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let vulndb = work.path().join("db");
    let feed = work.path().join("feed");
    let urllib3 = urllib3_advisory();
    import(&vulndb, &feed, std::slice::from_ref(&urllib3)).await;
    let mut images = registry_with_images().await;
    let Some(server) = Server::start(backend, &vulndb).await else {
        return;
    };
    let mut responses = String::new();

    // --- authentication and roles -------------------------------------
    let (status, body) = server
        .call(Method::GET, "/api/v1/connectors", None, None)
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["status"], 401);
    let (status, _) = server
        .call(Method::GET, "/api/v1/connectors", Some("wharf_wrong"), None)
        .await;
    assert_eq!(status, 401);
    let (status, viewer) = server
        .post(
            "/api/v1/tokens",
            json!({ "name": "dash", "role": "viewer" }),
        )
        .await;
    assert_eq!(status, 201, "{viewer}");
    let viewer = viewer["value"].as_str().unwrap().to_owned();
    let body = connector("local", &images.registry, json!({ "kind": "all" }));
    let (status, denied) = server
        .call(
            Method::POST,
            "/api/v1/connectors",
            Some(&viewer),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 403, "{denied}");
    assert!(
        denied["detail"].as_str().unwrap().contains("admin"),
        "{denied}"
    );
    let (status, _) = server
        .call(Method::GET, "/api/v1/connectors", Some(&viewer), None)
        .await;
    assert_eq!(status, 200);

    // --- a connector: discovery, scans, findings ----------------------
    let (status, created) = server.post("/api/v1/connectors", body).await;
    assert_eq!(status, 201, "{created}");
    responses.push_str(&created.to_string());
    assert_eq!(created["secret"], "password");
    server.drain(180).await;
    let mut expected = vec![images.a.clone(), images.b.clone(), images.c.clone()];
    expected.sort();
    assert_eq!(scanned(&server).await, expected);

    // The digest under two tags was scanned once.
    let scans = server.get("/api/v1/scans?limit=1000").await;
    responses.push_str(&scans.to_string());
    let jobs_for = |d: &str| {
        scans["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["key"] == format!("scan:{d}"))
            .count()
    };
    assert_eq!(jobs_for(&images.a), 1, "{scans}");
    assert_eq!(scans["progress"]["done"], 3, "{scans}");
    // A second connector to the same registry (a mirror, another team's
    // view) finds the same digests: nothing is scanned again.
    let (status, mirror) = server
        .post(
            "/api/v1/connectors",
            connector("mirror", &images.registry, json!({ "kind": "all" })),
        )
        .await;
    assert_eq!(status, 201, "{mirror}");
    server.drain(120).await;
    let again = server.get("/api/v1/scans?limit=1000").await;
    assert_eq!(again["progress"]["done"], 3, "{again}");
    assert_eq!(again["items"].as_array().unwrap().len(), 3, "{again}");
    let a = server.get(&format!("/api/v1/images/{}", images.a)).await;
    assert_eq!(
        a["image"]["references"],
        json!(["team/app:1.0", "team/app:latest"])
    );
    assert_eq!(a["inventories"].as_array().unwrap().len(), 1, "{a}");

    let vulns = server.get("/api/v1/findings?kind=vulnerability").await;
    let items = vulns["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{vulns}");
    assert_eq!(items[0]["image_digest"], images.b);
    assert!(
        items[0].to_string().contains("CVE-2099-0001"),
        "{}",
        items[0]
    );
    assert_eq!(items[0]["severity"], "high");
    let first_snapshot = items[0]["snapshot_id"].clone();
    // Other kinds were evaluated too (no healthcheck: CIS 4.6).
    let all = server.get("/api/v1/findings?limit=1000").await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "misconfiguration"),
        "{all}"
    );
    let by_repo = server
        .get("/api/v1/findings?repository=team/tools&kind=vulnerability")
        .await;
    assert!(by_repo["items"].as_array().unwrap().is_empty());

    // --- the registry goes away; the intelligence changes -------------
    let log_lines = images.registry.log_contents().lines().count();
    images.registry.stop();
    assert!(!images.registry.is_running());
    let requests = osv(
        "GHSA-test-0002",
        "CVE-2099-0002",
        "requests",
        "2.20.0",
        "CRITICAL",
    );
    import(&vulndb, &feed, &[urllib3, requests]).await;
    let last_run = server.get("/api/v1/reevaluations").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .max()
        .unwrap_or(0);
    // The scheduler notices the new snapshot and re-evaluates only the
    // inventories holding a package the update changed (requests: A).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let targeted = loop {
        let runs = server.get("/api/v1/reevaluations").await;
        let found = runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"].as_i64().unwrap() > last_run && r["state"] == "done")
            .cloned();
        if let Some(r) = found {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no re-evaluation after the update: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(targeted["cause"], "db_update", "{targeted}");
    assert_eq!(targeted["inventories"], 1, "{targeted}");
    assert_eq!(
        (
            targeted["new_findings"].as_i64(),
            targeted["resolved_findings"].as_i64()
        ),
        (Some(1), Some(0)),
        "{targeted}"
    );
    assert_ne!(targeted["snapshot_id"], first_snapshot, "{targeted}");
    let detail = server
        .get(&format!("/api/v1/reevaluations/{}", targeted["id"]))
        .await;
    let deltas = detail["deltas"].as_array().unwrap();
    assert_eq!(deltas.len(), 1, "{detail}");
    assert_eq!(deltas[0]["change"], "new");
    let f = server
        .get(&format!("/api/v1/findings/{}", deltas[0]["finding_id"]))
        .await;
    assert_eq!(f["image_digest"], images.a);
    assert!(f.to_string().contains("CVE-2099-0002"), "{f}");
    assert_eq!(f["severity"], "critical");

    // A full run on demand: every inventory, nothing new.
    let (status, trig) = server.post("/api/v1/reevaluations", json!({})).await;
    assert_eq!(status, 202, "{trig}");
    server.drain(120).await;
    let runs = server.get("/api/v1/reevaluations").await;
    let full = &runs["items"][0];
    assert_eq!(
        (full["cause"].as_str(), full["state"].as_str()),
        (Some("api"), Some("done")),
        "{runs}"
    );
    assert_eq!(full["inventories"], 3, "{full}");
    assert_eq!(full["new_findings"], 0, "{full}");
    let critical = server
        .get("/api/v1/findings?severity=critical&kind=vulnerability")
        .await;
    assert_eq!(critical["items"].as_array().unwrap().len(), 1, "{critical}");
    // Nothing asked the registry: it is down, its log did not grow and no
    // registry error was counted.
    assert_eq!(images.registry.log_contents().lines().count(), log_lines);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("wharf_registry_errors_total 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("wharf_findings{kind=\"vulnerability\",severity=\"critical\"} 1"),
        "{metrics}"
    );

    // --- the password is nowhere ---------------------------------------
    for path in [
        "/api/v1/connectors",
        "/api/v1/connectors/local",
        "/api/v1/audit",
        "/api/v1/status",
    ] {
        responses.push_str(&server.get(path).await.to_string());
    }
    assert!(
        !responses.contains(REGISTRY_PASSWORD),
        "a response carries the password"
    );
    let stored = database_text(&server, backend);
    assert!(stored.len() > 1000, "database dump is suspiciously small");
    assert!(
        !stored.contains(REGISTRY_PASSWORD),
        "the database holds the password in clear"
    );
    server.stop().await;
}

/// Everything the database holds, as text (SQLite: the files' bytes;
/// PostgreSQL: a dump of every table).
fn database_text(server: &Server, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let mut all = Vec::new();
            for e in std::fs::read_dir(server.data.path()).unwrap().flatten() {
                if e.file_name().to_string_lossy().starts_with("wharf.db") {
                    all.extend(std::fs::read(e.path()).unwrap());
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        Backend::Postgres => {
            let url = server.app.config.database_url();
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", &url])
                .output()
                .expect("pg_dump");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_on_postgres() {
    story(Backend::Postgres).await;
}

/// Initial scan scopes on tags with known creation times (A 3 days, B 400
/// days, C 10 days old), each on a fresh server; a tag pushed after the
/// first discovery is scanned whatever the scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn initial_scan_scopes() {
    let work = tempfile::tempdir().unwrap();
    let vulndb = urllib3_db(&work).await;
    let images = registry_with_images().await;
    let cases = [
        (
            json!({ "kind": "all" }),
            vec![&images.a, &images.b, &images.c],
        ),
        (json!({ "kind": "latest_tag" }), vec![&images.a, &images.c]),
        (
            json!({ "kind": "modified_days", "days": 30 }),
            vec![&images.a, &images.c],
        ),
        (
            json!({ "kind": "modified_days", "days": 5 }),
            vec![&images.a],
        ),
        (json!({ "kind": "modified_days", "days": 0 }), vec![]),
    ];
    for (scope, want) in cases {
        let server = Server::start(Backend::Sqlite, &vulndb).await.unwrap();
        let (status, body) = server
            .post(
                "/api/v1/connectors",
                connector("r", &images.registry, scope.clone()),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        server.drain(120).await;
        let mut want: Vec<String> = want.into_iter().cloned().collect();
        want.sort();
        assert_eq!(scanned(&server).await, want, "scope {scope}");
        // Out of scope: discovered, not scanned.
        let discovered = server.get("/api/v1/images?state=discovered").await;
        assert_eq!(
            discovered["items"].as_array().unwrap().len(),
            3 - want.len(),
            "scope {scope}: {discovered}"
        );
        server.stop().await;
    }

    // Include/exclude globs: team/tools excluded, tag `old` excluded.
    let server = Server::start(Backend::Sqlite, &vulndb).await.unwrap();
    let mut body = connector("r", &images.registry, json!({ "kind": "all" }));
    body["repositories"] = json!({ "include": ["team/*"], "exclude": ["team/tools"] });
    body["tags"] = json!({ "exclude": ["ol?"] });
    let (status, _) = server.post("/api/v1/connectors", body).await;
    assert_eq!(status, 201);
    server.drain(120).await;
    assert_eq!(scanned(&server).await, vec![images.a.clone()]);
    let tags = server.get("/api/v1/tags").await;
    let names: Vec<&str> = tags["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["1.0", "latest"], "{tags}");
    server.stop().await;

    // After the first discovery, a new push is scanned even out of scope.
    let server = Server::start(Backend::Sqlite, &vulndb).await.unwrap();
    let (_, c) = server
        .post(
            "/api/v1/connectors",
            connector(
                "r",
                &images.registry,
                json!({ "kind": "modified_days", "days": 0 }),
            ),
        )
        .await;
    server.drain(120).await;
    assert!(scanned(&server).await.is_empty());
    let old = image(&[("idna", "2.5")], &days_ago(900), "d");
    let pushed = images
        .registry
        .pusher(wharf_testkit::PushAuth::Basic {
            user: REGISTRY_USER.into(),
            pass: REGISTRY_PASSWORD.into(),
        })
        .unwrap()
        .push_image("team/app", "hotfix", &old)
        .await
        .unwrap();
    // A Distribution notification triggers the rediscovery.
    let event = json!({ "events": [{ "action": "push", "target": { "repository": "team/app", "digest": pushed, "tag": "hotfix" } }] });
    let (status, body) = server
        .post(&format!("/api/v1/connectors/{}/events", c["id"]), event)
        .await;
    assert_eq!(status, 202, "{body}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.drain(120).await;
    assert_eq!(scanned(&server).await, vec![pushed]);
    server.stop().await;
}
