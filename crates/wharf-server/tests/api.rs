//! The API beyond the story: exceptions accepted with an expiry and applied
//! by re-evaluation, SBOM downloads, signed webhook deliveries, connector
//! updates and checks, registry push notifications of each kind, problem
//! documents and the operational endpoints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A webhook receiver on loopback that records (headers, body) and fails
/// the first delivery with 500, so the retry path is exercised.
/// Deliveries received: (headers, body).
type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Vec<u8>)>>>;

async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let got = got.clone();
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (got, calls) = (got.clone(), calls.clone());
                async move {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let h = headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    got.lock().unwrap().push((h, body.to_vec()));
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exceptions_sboms_webhooks_and_operations() {
    let work = tempfile::tempdir().unwrap();
    let vulndb = urllib3_db(&work).await;
    let images = registry_with_images().await;
    let server = Server::start(Backend::Sqlite, &vulndb).await.unwrap();
    assert_eq!(server.app.config.retry_base_secs, 1);

    // Operational endpoints.
    let health = server
        .http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = server
        .http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = server
        .http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 401, "metrics need a token");
    let missing = server
        .http
        .get(format!("{}/api/v1/nope", server.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );

    // A webhook for high and above; the receiver fails the first attempt.
    let (hook_url, got) = receiver().await;
    let secret = "webhook-signing-secret-0123";
    let (status, hook) = server
        .post(
            "/api/v1/webhooks",
            json!({ "url": hook_url, "secret": secret, "min_severity": "high" }),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    assert!(!hook.to_string().contains(secret));
    let (status, bad) = server
        .post(
            "/api/v1/webhooks",
            json!({ "url": hook_url, "secret": "short" }),
        )
        .await;
    assert_eq!(status, 400, "{bad}");

    // Connector validation, then the real one.
    for (body, needle) in [
        (
            json!({ "name": "x", "url": "http://r", "scope": { "kind": "modified_days", "days": 91 } }),
            "days",
        ),
        (
            json!({ "name": "x", "url": "http://r", "tags": { "include": ["[unclosed"] } }),
            "pattern",
        ),
        (
            json!({ "name": "x", "url": "http://r", "password": "a", "token": "b" }),
            "not both",
        ),
        (json!({ "url": "http://r" }), "name"),
        (
            json!({ "name": "x".repeat(101), "url": "http://r" }),
            "100 bytes",
        ),
        (json!({ "name": "42", "url": "http://r" }), "digits"),
        (
            json!({ "name": "x", "url": "http://r", "discovery_interval_secs": 5 }),
            "interval",
        ),
    ] {
        let (status, p) = server.post("/api/v1/connectors", body.clone()).await;
        assert_eq!(status, 400, "{body} → {p}");
        assert!(p["detail"].as_str().unwrap().contains(needle), "{p}");
    }
    let (status, c) = server
        .post(
            "/api/v1/connectors",
            connector("reg", &images.registry, json!({ "kind": "all" })),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let (status, dup) = server
        .post(
            "/api/v1/connectors",
            connector("reg", &images.registry, json!({ "kind": "all" })),
        )
        .await;
    assert_eq!(status, 409, "{dup}");
    server.drain(180).await;

    // The check of a live connector and of unsaved, wrong settings.
    let (status, check) = server
        .post(&format!("/api/v1/connectors/{}/test", c["id"]), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(check["ok"], true, "{check}");
    let (_, wrong) = server
        .post(
            "/api/v1/connectors/test",
            json!({ "url": images.registry.url(), "username": REGISTRY_USER, "password": "wrong" }),
        )
        .await;
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert_eq!(wrong["steps"][0]["step"], "authentication", "{wrong}");
    let (_, down) = server
        .post(
            "/api/v1/connectors/test",
            json!({ "url": "http://127.0.0.1:1" }),
        )
        .await;
    assert_eq!(down["steps"][0]["step"], "reachability", "{down}");

    // The high finding was delivered, signed, after one retry.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while got.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no webhook delivery");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (headers, body) = got.lock().unwrap()[0].clone();
    let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    assert_eq!(
        header("x-wharf-signature").unwrap(),
        wharf_server::notify::signature(secret, &body)
    );
    assert!(header("x-wharf-delivery").is_some());
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "findings.new");
    assert_eq!(event["image"], images.b);
    assert!(
        event["findings"].to_string().contains("CVE-2099-0001"),
        "{event}"
    );

    // An exception accepts the finding (until tomorrow) after re-evaluation.
    let tomorrow = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48))
        .strftime("%Y-%m-%d")
        .to_string();
    let (status, e) = server
        .post(
            "/api/v1/exceptions",
            json!({ "id": "CVE-2099-0001", "justification": "not reachable in our build", "expires": tomorrow }),
        )
        .await;
    assert_eq!(status, 201, "{e}");
    assert!(e["expires_at"].as_i64().unwrap() > jiff::Timestamp::now().as_second());
    let (status, bad) = server
        .post("/api/v1/exceptions", json!({ "id": "CVE-1" }))
        .await;
    assert_eq!(status, 400, "{bad}");
    server.drain(120).await;
    let accepted = server.get("/api/v1/findings?status=accepted").await;
    let items = accepted["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{accepted}");
    assert!(items[0].to_string().contains("not reachable in our build"));
    let open = server.get("/api/v1/findings?kind=vulnerability").await;
    assert!(
        open["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] != "open"),
        "{open}"
    );
    let audit = server.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in ["connector.create", "webhook.create", "exception.create"] {
        assert!(actions.contains(&a), "{actions:?}");
    }

    // SBOMs of a stored inventory, both formats.
    let sbom = server
        .http
        .get(format!(
            "{}/api/v1/images/{}/sbom?format=cyclonedx",
            server.base, images.a
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sbom.headers()["content-type"],
        "application/vnd.cyclonedx+json"
    );
    let doc: Value = sbom.json().await.unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert!(
        doc.to_string().contains("pkg:pypi/requests@2.19.1"),
        "{doc}"
    );
    let spdx = server
        .get(&format!("/api/v1/images/{}/sbom?format=spdx", images.a))
        .await;
    assert!(spdx["spdxVersion"].as_str().unwrap().starts_with("SPDX-"));
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/api/v1/images/{}/sbom?format=xml", images.a),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(status, 400);

    // A manual scan pulls again although the image is scanned: the scan
    // count in the metrics goes from 3 to 4.
    let scans_done = |m: &str| {
        m.lines()
            .find_map(|l| l.strip_prefix("wharf_scan_duration_seconds_count "))
            .map(str::to_owned)
    };
    assert_eq!(scans_done(&server.metrics().await).as_deref(), Some("3"));
    let (status, r) = server
        .post(&format!("/api/v1/images/{}/scan", images.a), json!({}))
        .await;
    assert_eq!((status, r["queued"].as_bool()), (202, Some(true)), "{r}");
    server.drain(120).await;
    assert_eq!(scans_done(&server.metrics().await).as_deref(), Some("4"));

    // Connector update: settings change, secret kept; then cleared.
    let (status, updated) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/connectors/{}", c["id"]),
            Some(ADMIN),
            Some(json!({ "scope": { "kind": "latest_tag" }, "tags": { "exclude": ["*-rc*"] } })),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["scope"]["kind"], "latest_tag");
    assert_eq!(updated["secret"], "password");
    assert_eq!(updated["url"], images.registry.url());
    let (_, cleared) = server
        .call(
            Method::PATCH,
            "/api/v1/connectors/reg",
            Some(ADMIN),
            Some(json!({ "clear_secret": true })),
        )
        .await;
    assert!(cleared["secret"].is_null(), "{cleared}");

    // Registry push notifications: Harbor and Docker Hub shapes count as
    // pushes; a pull event does not.
    for (body, pushes) in [
        (
            json!({ "type": "PUSH_ARTIFACT", "event_data": { "resources": [{ "tag": "x" }] } }),
            1,
        ),
        (
            json!({ "push_data": { "tag": "latest" }, "repository": { "repo_name": "a/b" } }),
            1,
        ),
        (json!({ "events": [{ "action": "pull" }] }), 0),
    ] {
        let (_, r) = server
            .post(&format!("/api/v1/connectors/{}/events", c["id"]), body)
            .await;
        assert_eq!(r["pushes"], pushes, "{r}");
    }

    // Docker Hub cannot send headers: the connector's event token in the
    // URL authorises its notifications, and nothing else.
    let detail = server.get(&format!("/api/v1/connectors/{}", c["id"])).await;
    let events_path = detail["events_path"].as_str().unwrap().to_owned();
    let hub = json!({ "push_data": { "tag": "latest" }, "repository": { "repo_name": "a/b" } });
    let (status, r) = server
        .call(Method::POST, &events_path, None, Some(hub.clone()))
        .await;
    assert_eq!((status, r["pushes"].as_i64()), (202, Some(1)), "{r}");
    let forged = format!(
        "/api/v1/connectors/{}/events?token={}",
        c["id"],
        "ab".repeat(32)
    );
    let (status, _) = server
        .call(Method::POST, &forged, None, Some(hub.clone()))
        .await;
    assert_eq!(status, 401);
    let (status, _) = server
        .call(
            Method::POST,
            "/api/v1/connectors/999/events?token=00",
            None,
            Some(hub.clone()),
        )
        .await;
    assert_eq!(status, 401, "unknown connectors look like bad tokens");
    // Malformed JSON is a problem document too.
    let resp = server
        .http
        .post(format!("{}/api/v1/connectors", server.base))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    // PATCH refuses what it cannot apply.
    for (body, needle) in [
        (json!({ "colour": "blue" }), "unknown connector setting"),
        (json!({ "name": "renamed" }), "renamed"),
        (json!({ "password": 5 }), "string"),
    ] {
        let (status, p) = server
            .call(
                Method::PATCH,
                "/api/v1/connectors/reg",
                Some(ADMIN),
                Some(body),
            )
            .await;
        assert_eq!(status, 400, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(needle), "{p}");
    }
    // Filters merge per list: excluding tags keeps the repository includes.
    let (_, merged) = server
        .call(
            Method::PATCH,
            "/api/v1/connectors/reg",
            Some(ADMIN),
            Some(json!({ "repositories": { "include": ["team/*"] } })),
        )
        .await;
    let (_, merged2) = server
        .call(
            Method::PATCH,
            "/api/v1/connectors/reg",
            Some(ADMIN),
            Some(json!({ "repositories": { "exclude": ["team/tools"] } })),
        )
        .await;
    assert_eq!(merged["repositories"]["include"], json!(["team/*"]));
    assert_eq!(
        merged2["repositories"],
        json!({ "include": ["team/*"], "exclude": ["team/tools"] })
    );

    // Removing the connector removes its images and their findings.
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/connectors/reg", Some(ADMIN), None)
        .await;
    assert_eq!(status, 204);
    let all = server
        .get("/api/v1/findings?status=open,accepted,resolved,not-affected")
        .await;
    assert!(all["items"].as_array().unwrap().is_empty(), "{all}");
    server.stop().await;
}

/// Editing the policy file re-evaluates every stored inventory under the
/// new policy, without a pull.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policy_change_reevaluates() {
    let work = tempfile::tempdir().unwrap();
    let vulndb = urllib3_db(&work).await;
    let images = registry_with_images().await;
    let policy = work.path().join("policy.toml");
    std::fs::write(&policy, "[rules.\"CIS-4.6\"]\nenabled = true\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = wharf_server::Config {
        policy_file: Some(policy.clone()),
        ..test_config(data.path(), &vulndb)
    };
    let server = Server::run(config, data, None).await;
    server
        .post(
            "/api/v1/connectors",
            connector("r", &images.registry, json!({ "kind": "all" })),
        )
        .await;
    server.drain(180).await;
    let healthcheck = |doc: &Value| {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "CIS-4.6")
            .count()
    };
    let before = server.get("/api/v1/findings?limit=1000").await;
    assert_eq!(healthcheck(&before), 3, "one per image: {before}");
    std::fs::write(&policy, "[rules.\"CIS-4.6\"]\nenabled = false\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let runs = server.get("/api/v1/reevaluations").await;
        if runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["cause"] == "policy" && r["state"] == "done" && r["inventories"] == 3)
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no policy re-evaluation: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let after = server.get("/api/v1/findings?limit=1000").await;
    assert_eq!(healthcheck(&after), 0, "{after}");
    let resolved = server
        .get("/api/v1/findings?status=resolved&limit=1000")
        .await;
    assert_eq!(healthcheck(&resolved), 3, "{resolved}");
    server.stop().await;
}
