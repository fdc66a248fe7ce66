//! `wharf scan` on a root filesystem with old PyPI packages, against a
//! database imported from the PyPA records.

mod common;

use common::{args, text, wharf};

const PYPA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-matcher/tests/fixtures/pypa"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_finds_known_vulnerabilities_and_filters() {
    let work = tempfile::tempdir().expect("tmp");
    let root = work.path().join("rootfs");
    for (name, version) in [
        ("requests", "2.19.1"),
        ("urllib3", "1.24.1"),
        ("Django", "2.2.1"),
    ] {
        let dir = root.join(format!(
            "usr/lib/python3/site-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .expect("write");
    }
    let db = work.path().join("db").display().to_string();
    let image = format!("dir:{}", root.display());

    // No database yet: a clear error before any work.
    let out = wharf(args(&["scan", &image, "--db-dir", &db]), vec![], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("wharf db update"),
        "{}",
        text(&out.stderr)
    );

    let out = wharf(
        args(&[
            "db",
            "update",
            "--db-dir",
            &db,
            "--source",
            &format!("osv:{PYPA}"),
        ]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "--offline", "-f", "json"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    let vulns = v["images"][0]["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities");
    let cve = vulns
        .iter()
        .find(|m| m["id"] == "CVE-2018-18074")
        .expect("requests CVE-2018-18074");
    assert_eq!(cve["package"], "requests");
    assert_eq!(cve["installed_version"], "2.19.1");
    assert_eq!(cve["fixed_versions"][0], "2.20.0");
    assert_eq!(cve["snapshot_id"], v["snapshot_id"]);
    let all = vulns.len();
    assert!(all > 20, "{all}");
    let packages: std::collections::BTreeSet<&str> =
        vulns.iter().filter_map(|m| m["package"].as_str()).collect();
    assert_eq!(
        packages.into_iter().collect::<Vec<_>>(),
        ["Django", "requests", "urllib3"]
    );

    // Filters narrow the result.
    let out = wharf(
        args(&[
            "scan",
            &image,
            "--db-dir",
            &db,
            "-f",
            "json",
            "--severity",
            "critical",
        ]),
        vec![],
        None,
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let critical = v["images"][0]["vulnerabilities"].as_array().expect("list");
    assert!(critical.len() < all && critical.iter().all(|m| m["severity"] == "critical"));

    // The table names the snapshot and counts by severity.
    let out = wharf(args(&["scan", &image, "--db-dir", &db, "-q"]), vec![], None).await;
    assert!(out.status.success());
    let table = text(&out.stdout);
    assert!(
        table.contains("CVE-2018-18074") && table.contains("database snapshot"),
        "{table}"
    );

    // Scanners that do not exist yet are refused, not silently skipped.
    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "--scanners", "vuln,secret"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not available yet"),
        "{}",
        text(&out.stderr)
    );
}
