//! The same behaviour on both backends: every test here runs on a fresh
//! SQLite file and on a fresh PostgreSQL database (`WHARF_TEST_POSTGRES`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; CI requires it,
//! elsewhere a missing server skips the PostgreSQL half with a message).

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::future::Future;

use wharf_store::*;
use wharf_types::SecretString;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A scratch PostgreSQL database, dropped afterwards.
async fn postgres_db() -> Option<(String, String)> {
    let admin = std::env::var("WHARF_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    sqlx::any::install_default_drivers();
    let conn = sqlx::AnyPool::connect(&admin).await;
    let pool = match conn {
        Ok(p) => p,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL required in CI ({admin}): {e}"
            );
            eprintln!("skipping PostgreSQL: {e}");
            return None;
        }
    };
    let name = format!("wharf_test_{}", fastrand::u64(..));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .ok()?;
    pool.close().await;
    let (base, _) = admin.rsplit_once('/')?;
    Some((format!("{admin}#{name}"), format!("{base}/{name}")))
}

async fn drop_postgres(admin_and_name: &str) {
    let Some((admin, name)) = admin_and_name.split_once('#') else {
        return;
    };
    if let Ok(pool) = sqlx::AnyPool::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&pool)
        .await;
        pool.close().await;
    }
}

/// Run `test` on SQLite, then on PostgreSQL.
async fn on_both<F, Fut>(test: F) -> TestResult
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let dir = tempfile::tempdir()?;
    let sqlite = Store::open_sqlite(&dir.path().join("wharf.db")).await?;
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    test(sqlite.clone())
        .await
        .map_err(|e| format!("sqlite: {e}"))?;
    sqlite.close().await;
    if let Some((admin, url)) = postgres_db().await {
        let pg = Store::open(&url).await?;
        assert_eq!(pg.backend(), Backend::Postgres);
        let result = test(pg.clone()).await;
        pg.close().await;
        drop_postgres(&admin).await;
        result.map_err(|e| format!("postgres: {e}"))?;
    }
    Ok(())
}

fn keys() -> SecretBox {
    SecretBox::from_bytes(&[42u8; KEY_LEN]).unwrap()
}

fn spec(url: &str) -> ConnectorSpec {
    ConnectorSpec {
        url: url.into(),
        username: Some("robot".into()),
        ca_cert: None,
        insecure: true,
        mode: ScanMode::Direct,
        repositories: Filters::default(),
        tags: Filters {
            include: vec![],
            exclude: vec!["*-rc*".into()],
        },
        scope: InitialScope::ModifiedDays { days: 30 },
        enabled: true,
        discovery_interval_secs: 600,
    }
}

#[tokio::test]
async fn connectors_keep_secrets_sealed() -> TestResult {
    on_both(|store| async move {
        let k = keys();
        let secret = ConnectorSecret {
            kind: SecretKind::Password,
            value: SecretString::new("s3cret-Passw0rd-XYZ"),
        };
        let c = store
            .create_connector("local", &spec("http://127.0.0.1:5000"), Some(&secret), &k)
            .await?;
        assert_eq!(c.secret, Some(SecretKind::Password));
        assert!(matches!(
            store
                .create_connector("local", &spec("http://x"), None, &k)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let listed = store.connectors().await?;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].spec, spec("http://127.0.0.1:5000"));
        // The listing's JSON never carries the value.
        let json = serde_json::to_string(&listed)?;
        assert!(!json.contains("s3cret"), "{json}");
        let opened = store.connector_secret(c.id, &k).await?.unwrap();
        assert_eq!(opened.value.expose(), "s3cret-Passw0rd-XYZ");
        // A wrong key cannot open it.
        let other = SecretBox::from_bytes(&[1u8; KEY_LEN])?;
        assert!(store.connector_secret(c.id, &other).await.is_err());
        // Update without touching the secret, then clear it.
        let mut s2 = spec("http://127.0.0.1:5001");
        s2.enabled = false;
        let c2 = store.update_connector(c.id, &s2, None, &k).await?;
        assert_eq!(c2.spec.url, "http://127.0.0.1:5001");
        assert_eq!(c2.secret, Some(SecretKind::Password));
        assert!(
            store.due_connectors(now() + 10).await?.is_empty(),
            "disabled"
        );
        let c3 = store
            .update_connector(c.id, &spec("http://a"), Some(None), &k)
            .await?;
        assert_eq!(c3.secret, None);
        assert_eq!(store.due_connectors(now() + 10).await?.len(), 1);
        store
            .finish_discovery(c.id, Some("boom"), now() + 600)
            .await?;
        assert!(store.due_connectors(now()).await?.is_empty());
        assert_eq!(
            store.connector("local").await?.last_error.as_deref(),
            Some("boom")
        );
        store.remove_connector(c.id).await?;
        assert!(store.connector("local").await.unwrap_err().is_not_found());
        Ok(())
    })
    .await
}

fn tag(repo: &str, tag: &str, digest: &str) -> DiscoveredTag {
    DiscoveredTag {
        repository: repo.into(),
        tag: tag.into(),
        digest: digest.into(),
        image_created: Some(1_700_000_000),
    }
}

fn image(digest: &str) -> DiscoveredImage {
    DiscoveredImage {
        digest: digest.into(),
        media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        kind: Some("image".into()),
        platforms: vec![ImagePlatform {
            platform: "linux/amd64".into(),
            digest: digest.into(),
            created: None,
        }],
    }
}

#[tokio::test]
async fn discovery_tracks_new_moved_and_deleted_tags() -> TestResult {
    on_both(|store| async move {
        let c = store
            .create_connector("r", &spec("http://r"), None, &keys())
            .await?;
        assert!(!store.has_discovered(c.id).await?);
        let repos = vec!["app".to_owned()];
        let changes = store
            .record_discovery(
                c.id,
                &repos,
                &[
                    tag("app", "1.0", "sha256:aa"),
                    tag("app", "latest", "sha256:aa"),
                    tag("app", "old", "sha256:bb"),
                ],
                &[image("sha256:aa"), image("sha256:bb")],
            )
            .await?;
        assert_eq!(changes, vec![TagChange::New; 3]);
        assert!(store.has_discovered(c.id).await?);
        let img = store.image("sha256:aa").await?;
        assert_eq!(img.references, vec!["app:1.0", "app:latest"]);
        assert_eq!(img.scan_state, ScanState::Discovered);
        // Second discovery: latest moved, old deleted.
        let changes = store
            .record_discovery(
                c.id,
                &repos,
                &[
                    tag("app", "1.0", "sha256:aa"),
                    tag("app", "latest", "sha256:cc"),
                ],
                &[image("sha256:aa"), image("sha256:cc")],
            )
            .await?;
        assert_eq!(changes, vec![TagChange::Unchanged, TagChange::Moved]);
        let tags = store.connector_tags(c.id).await?;
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["1.0", "latest"]);
        // bb lost its only tag: the image is gone with it.
        assert!(store.image("sha256:bb").await.unwrap_err().is_not_found());
        let repos_listed = store.repositories(Some(c.id)).await?;
        assert_eq!(repos_listed.len(), 1);
        assert_eq!(
            store.repository_of(c.id, "sha256:cc").await?.as_deref(),
            Some("app")
        );
        store
            .set_scan_state("sha256:aa", ScanState::Scanned, Some("wharf 0.1"), None)
            .await?;
        let scanned = store.images(Some(ScanState::Scanned)).await?;
        assert_eq!(scanned.len(), 1);
        assert!(scanned[0].scanned_at.is_some());
        Ok(())
    })
    .await
}

fn finding(fp: &str, severity: &str, rank: i64, kev: bool) -> NewFinding {
    NewFinding {
        fingerprint: fp.into(),
        kind: "vulnerability".into(),
        rule_id: "WHARF-VULN-001".into(),
        severity: severity.into(),
        severity_rank: rank,
        status: "open".into(),
        title: format!("CVE-{fp}"),
        vulnerability: Some(format!("CVE-{fp}")),
        package: Some("openssl@3.0.1".into()),
        kev,
        data: format!("{{\"id\":\"{fp}\",\"severity\":\"{severity}\"}}"),
    }
}

#[tokio::test]
async fn inventories_findings_and_deltas() -> TestResult {
    on_both(|store| async move {
        let c = store
            .create_connector("r", &spec("http://r"), None, &keys())
            .await?;
        store
            .record_discovery(
                c.id,
                &[],
                &[tag("app", "1", "sha256:aa")],
                &[image("sha256:aa")],
            )
            .await?;
        let pkgs = vec![
            ("Debian".to_owned(), "openssl".to_owned()),
            ("npm".to_owned(), "lodash".to_owned()),
        ];
        let inv = store
            .put_inventory(
                "sha256:aa",
                "linux/amd64",
                "sha256:aa",
                br#"{"packages":[]}"#,
                &pkgs,
            )
            .await?;
        // Replacing keeps the row id.
        assert_eq!(
            store
                .put_inventory(
                    "sha256:aa",
                    "linux/amd64",
                    "sha256:aa",
                    br#"{"packages":[1]}"#,
                    &pkgs
                )
                .await?,
            inv
        );
        let stored = store.inventories_of("sha256:aa").await?;
        assert_eq!(stored[0].json, br#"{"packages":[1]}"#);
        assert_eq!(
            store
                .inventories_with_packages(&[("npm".into(), "lodash".into())])
                .await?,
            vec![inv]
        );
        assert!(
            store
                .inventories_with_packages(&[("npm".into(), "react".into())])
                .await?
                .is_empty()
        );
        assert_eq!(store.inventories_by_id(&[inv]).await?.len(), 1);

        let run = store.start_reevaluation("api", Some("snap-1")).await?;
        let first = vec![
            finding("1", "high", 3, false),
            finding("2", "low", 1, false),
        ];
        let out = store
            .sync_findings(inv, "sha256:aa", Some("snap-1"), &first)
            .await?;
        assert_eq!(out.changes.len(), 2);
        let mut counts = RunCounts::default();
        counts.add(&out);
        store.record_deltas(run, &out).await?;
        // The same evaluation again changes nothing.
        let again = store
            .sync_findings(inv, "sha256:aa", Some("snap-1"), &first)
            .await?;
        assert!(again.changes.is_empty(), "{again:?}");
        // Next: 1 becomes critical, 2 is gone, 3 is new.
        let second = vec![
            finding("1", "critical", 4, true),
            finding("3", "medium", 2, false),
        ];
        let out = store
            .sync_findings(inv, "sha256:aa", Some("snap-2"), &second)
            .await?;
        let mut kinds: Vec<DeltaChange> = out.changes.iter().map(|c| c.1).collect();
        kinds.sort_by_key(|k| format!("{k:?}"));
        assert_eq!(
            kinds,
            vec![
                DeltaChange::New,
                DeltaChange::Resolved,
                DeltaChange::SeverityChanged
            ]
        );
        counts.add(&out);
        store.record_deltas(run, &out).await?;
        store.finish_reevaluation(run, &counts, None).await?;
        let r = store.reevaluation(run).await?;
        assert_eq!(
            (
                r.state.as_str(),
                r.inventories,
                r.new_findings,
                r.resolved_findings,
                r.changed_findings
            ),
            ("done", 2, 3, 1, 1)
        );
        assert_eq!(store.deltas(run).await?.len(), 5);

        // Listing: open only by default, most severe first.
        let page = store
            .findings(&FindingFilter {
                limit: 10,
                ..Default::default()
            })
            .await?;
        let sev: Vec<&str> = page.items.iter().map(|f| f.severity.as_str()).collect();
        assert_eq!(sev, vec!["critical", "medium"]);
        assert_eq!(page.items[0].snapshot_id.as_deref(), Some("snap-2"));
        assert_eq!(page.items[0].detail["severity"], "critical");
        let kev = store
            .findings(&FindingFilter {
                limit: 10,
                kev: Some(true),
                ..Default::default()
            })
            .await?;
        assert_eq!(kev.items.len(), 1);
        let medium = store
            .findings(&FindingFilter {
                limit: 10,
                severities: vec!["medium".into()],
                ..Default::default()
            })
            .await?;
        assert_eq!(medium.items.len(), 1);
        assert_eq!(medium.items[0].severity, "medium");
        let resolved = store
            .findings(&FindingFilter {
                limit: 10,
                statuses: vec!["resolved".into()],
                ..Default::default()
            })
            .await?;
        assert_eq!(resolved.items.len(), 1);
        assert!(resolved.items[0].resolved_at.is_some());
        let by_conn = store
            .findings(&FindingFilter {
                limit: 10,
                connector_id: Some(c.id),
                ..Default::default()
            })
            .await?;
        assert_eq!(by_conn.items.len(), 2);
        let other = store
            .findings(&FindingFilter {
                limit: 10,
                repository: Some("nope".into()),
                ..Default::default()
            })
            .await?;
        assert!(other.items.is_empty());
        // Paging one at a time visits each exactly once.
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let p = store
                .findings(&FindingFilter {
                    limit: 1,
                    cursor: cursor.clone(),
                    statuses: vec!["open".into(), "resolved".into()],
                    ..Default::default()
                })
                .await?;
            seen.extend(p.items.iter().map(|f| f.id));
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 3);
        let counts = store.finding_counts().await?;
        assert_eq!(counts.iter().map(|c| c.2).sum::<i64>(), 2);
        Ok(())
    })
    .await
}

fn job(key: &str, lane: &str, priority: i64) -> NewJob {
    NewJob {
        kind: "scan".into(),
        key: key.into(),
        lane: lane.into(),
        payload: serde_json::json!({"digest": key}),
        priority,
        max_attempts: 2,
        run_after: 0,
    }
}

#[tokio::test]
async fn queue_dedupes_leases_and_retries() -> TestResult {
    on_both(|store| async move {
        let a = store.enqueue(&job("a", "reg1", 0)).await?.unwrap();
        assert_eq!(
            store.enqueue(&job("a", "reg1", 5)).await?,
            None,
            "duplicate key"
        );
        store.enqueue(&job("b", "reg1", 1)).await?.unwrap();
        store.enqueue(&job("c", "reg2", 0)).await?.unwrap();
        // a was raised to priority 5, so it comes first.
        let j1 = store.claim("w1", &["scan"], 30, 1).await?.unwrap();
        assert_eq!((j1.id, j1.attempts), (a, 1));
        // reg1 is at its limit of 1: next is c on reg2.
        let j2 = store.claim("w1", &["scan"], 30, 1).await?.unwrap();
        assert_eq!(j2.key, "c");
        assert!(store.claim("w1", &["scan"], 30, 1).await?.is_none());
        assert!(store.claim("w1", &["discover"], 30, 1).await?.is_none());
        // Running, a key cannot be enqueued again either.
        assert_eq!(store.enqueue(&job("a", "reg1", 0)).await?, None);
        assert!(store.heartbeat(j1.id, "w1", 30).await?);
        assert!(!store.heartbeat(j1.id, "w2", 30).await?);
        // A failed attempt is retried, then gives up.
        assert_eq!(store.fail(j1.id, "pull failed", 0).await?, JobState::Queued);
        let again = store.claim("w1", &["scan"], 30, 5).await?.unwrap();
        let again = if again.id == j1.id {
            again
        } else {
            store.claim("w1", &["scan"], 30, 5).await?.unwrap()
        };
        assert_eq!((again.id, again.attempts), (j1.id, 2));
        assert_eq!(store.fail(j1.id, "pull failed", 0).await?, JobState::Failed);
        assert_eq!(
            store.job(j1.id).await?.last_error.as_deref(),
            Some("pull failed")
        );
        // A dead worker's lease runs out and its job comes back.
        store.complete(j2.id).await?;
        let b = loop {
            match store.claim("w9", &["scan"], -1, 5).await? {
                Some(j) if j.key == "b" => break j,
                Some(_) => continue,
                None => panic!("b not claimable"),
            }
        };
        assert_eq!(store.requeue_expired().await?, 1);
        let b2 = store.claim("w2", &["scan"], 30, 5).await?.unwrap();
        assert_eq!(b2.id, b.id);
        store.complete(b2.id).await?;
        let counts = store.job_counts().await?;
        assert!(
            counts.contains(&("scan".into(), "done".into(), 2)),
            "{counts:?}"
        );
        assert_eq!(store.jobs(Some("failed"), None, 10).await?.len(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn tokens_audit_exceptions_webhooks_settings() -> TestResult {
    on_both(|store| async move {
        let t = store.create_token("ci", Role::Viewer, "tok-abc").await?;
        assert_eq!(
            store.authenticate("tok-abc").await?.unwrap().role,
            Role::Viewer
        );
        assert!(store.authenticate("tok-abd").await?.is_none());
        store.revoke_token(t.id).await?;
        assert!(store.authenticate("tok-abc").await?.is_none());
        store
            .audit(
                "admin",
                "connector.create",
                "local",
                &serde_json::json!({"url": "http://r"}),
            )
            .await?;
        let log = store.audit_log(10).await?;
        assert_eq!(log[0].action, "connector.create");
        let e = store
            .create_exception(
                &serde_json::json!({"id": "CVE-1", "justification": "x"}),
                "admin",
                Some(now() + 86_400),
            )
            .await?;
        assert_eq!(store.exceptions().await?[0].id, e);
        store.delete_exception(e).await?;
        assert!(store.exceptions().await?.is_empty());
        let k = keys();
        let w = store
            .create_webhook("http://127.0.0.1:9/hook", "hmac-key", "high", &k)
            .await?;
        let hooks = store.webhooks(&k).await?;
        assert_eq!((hooks[0].0.id, hooks[0].1.as_str()), (w.id, "hmac-key"));
        store.delete_webhook(w.id).await?;
        store.set_setting("policy", "a").await?;
        store.set_setting("policy", "b").await?;
        assert_eq!(store.setting("policy").await?.as_deref(), Some("b"));
        store.ping().await?;
        Ok(())
    })
    .await
}
