//! `wharf db update` / `wharf db status` on local sources.

mod common;

use common::{args, text, wharf};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-vulndb/tests/fixtures"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_then_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().display().to_string();
    let kev = format!("kev:{FIXTURES}/cisa-kev/known_exploited_vulnerabilities.json");
    let pypa = format!("osv:{FIXTURES}/pypa");
    let update = args(&[
        "db", "update", "--db-dir", &db, "--source", &kev, "--source", &pypa, "-f", "json",
    ]);
    let out = wharf(update.clone(), vec![], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["changed"], true);
    let snapshot = report["snapshot_id"].as_str().expect("snapshot").to_owned();

    let out = wharf(update, vec![], None).await;
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(again["changed"], false);
    assert_eq!(again["snapshot_id"], snapshot.as_str());

    let out = wharf(
        args(&["db", "status", "--db-dir", &db, "-f", "json"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["snapshot_id"], snapshot.as_str());
    assert_eq!(status["kev"], 1404);
    assert_eq!(status["sources"].as_array().map(Vec::len), Some(2));
    let out = wharf(args(&["db", "status", "--db-dir", &db]), vec![], None).await;
    assert!(
        text(&out.stdout).contains("known-exploited"),
        "{}",
        text(&out.stdout)
    );

    // A source that cannot be read is reported, the others stay usable,
    // and the exit code says the update was partial.
    let missing = format!("osv:{FIXTURES}/no-such-feed.zip");
    let out = wharf(
        args(&[
            "db", "update", "--db-dir", &db, "--source", &kev, "--source", &missing, "-f", "json",
        ]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let partial: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(partial["failed"][&missing].is_string(), "{partial}");
    assert_eq!(partial["snapshot_id"], snapshot.as_str());
    assert!(text(&out.stderr).contains("previous data was kept"));

    let out = wharf(
        args(&["db", "update", "--db-dir", &db, "--source", "nvd:/x"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("KIND:LOCATION"),
        "{}",
        text(&out.stderr)
    );
    let out = wharf(
        args(&["db", "status", "--db-dir", "/nonexistent-wharf-db"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("wharf db update"),
        "{}",
        text(&out.stderr)
    );
}
