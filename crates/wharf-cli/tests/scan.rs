//! `wharf scan` on a root filesystem with old PyPI packages, against a
//! database imported from the PyPA records.

mod common;

use std::path::Path;

use common::{args, text, validate_with_schema_dir, wharf};

const PYPA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-matcher/tests/fixtures/pypa"
);

/// A temporary root filesystem with old `requests`, `urllib3` and `Django`
/// installs; returns the directory, the `dir:` image and the database
/// directory (not created).
fn rootfs() -> (tempfile::TempDir, String, String) {
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
    (work, image, db)
}

/// Import the PyPA fixture records into `db`.
async fn import_pypa(db: &str) {
    let out = wharf(
        args(&[
            "db",
            "update",
            "--db-dir",
            db,
            "--source",
            &format!("osv:{PYPA}"),
        ]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_finds_known_vulnerabilities_and_filters() {
    let (_work, image, db) = rootfs();

    // No database yet: a clear error before any work.
    let out = wharf(args(&["scan", &image, "--db-dir", &db]), vec![], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("wharf db update"),
        "{}",
        text(&out.stderr)
    );

    import_pypa(&db).await;

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

    // --fail-on: a finding at or above the threshold fails the gate (exit
    // 1); the reason comes first, on standard error and atop the table.
    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "--fail-on", "medium"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("policy gate failed: WHARF-VULN-") && stderr.contains("]: CVE-"),
        "{stderr}"
    );
    let table = text(&out.stdout);
    let gate = table.find("GATE  FAIL").expect("gate line");
    let first_finding = table.find("VULNERABILITIES").expect("findings");
    assert!(gate < first_finding, "{table}");
    assert!(
        table.contains("UPGRADES") && table.contains("upgrade Django 2.2.1 →"),
        "{table}"
    );
    // Unknown scanners are refused, not silently skipped.
    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "--scanners", "vuln,sbom"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
}

/// SARIF 2.1.0 and CycloneDX 1.6 (SBOM + vulnerabilities) from `wharf
/// scan`, valid against the official schemas vendored with the tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_sarif_and_cyclonedx_are_valid() {
    let (_work, image, db) = rootfs();
    import_pypa(&db).await;
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));

    // SARIF.
    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "-q", "-f", "sarif"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    validate_with_schema_dir(
        &out.stdout,
        &manifest.join("tests/fixtures/schemas"),
        "sarif-schema-2.1.0.json",
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "wharf");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule = rules
        .iter()
        .find(|r| r["id"] == "CVE-2018-18074")
        .expect("rule CVE-2018-18074");
    let results = run["results"].as_array().expect("results");
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2018-18074")
        .expect("result CVE-2018-18074");
    assert_eq!(result["level"], rule["defaultConfiguration"]["level"]);
    assert!(
        ["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or_default()),
        "{result}"
    );
    assert_eq!(
        result["message"]["text"],
        "requests 2.19.1 is affected by CVE-2018-18074; fixed in 2.20.0"
    );
    assert_eq!(result["properties"]["fixedVersions"][0], "2.20.0");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/lib/python3/site-packages/requests-2.19.1.dist-info/METADATA"
    );
    assert_eq!(
        rules[result["ruleIndex"].as_u64().expect("ruleIndex") as usize]["id"],
        "CVE-2018-18074"
    );
    // Fingerprints are unique per result and stable across runs.
    let prints: std::collections::BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["partialFingerprints"]["wharfVulnerability/v1"].as_str())
        .collect();
    assert_eq!(prints.len(), results.len());
    let again = wharf(
        args(&["scan", &image, "--db-dir", &db, "-q", "-f", "sarif"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(
        text(&again.stdout),
        text(&out.stdout),
        "SARIF is deterministic"
    );
    insta::assert_json_snapshot!("scan_sarif", sarif, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
        ".runs[].results[].properties.snapshotId" => "[snapshot]",
        ".runs[].results[].properties.image" => "[image]",
        ".runs[].results[].properties.feed" => "[feed]",
        ".runs[].results[].locations[].logicalLocations[].fullyQualifiedName" => "[image-package]",
    });

    // CycloneDX with vulnerabilities.
    let out = wharf(
        args(&["scan", &image, "--db-dir", &db, "-q", "-f", "cyclonedx"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    validate_with_schema_dir(
        &out.stdout,
        &manifest.join("../wharf-inventory/tests/fixtures/schemas"),
        "bom-1.6.SNAPSHOT.schema.json",
    );
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(bom["specVersion"], "1.6");
    let refs: std::collections::BTreeSet<&str> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().expect("vulnerabilities");
    assert!(vulns.len() > 20, "{}", vulns.len());
    for v in vulns {
        let affects = v["affects"].as_array().expect("affects");
        assert!(!affects.is_empty(), "{v}");
        for a in affects {
            let r = a["ref"].as_str().expect("ref");
            assert!(refs.contains(r), "{r} is not a component");
        }
    }
    let cve = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2018-18074")
        .expect("CVE-2018-18074");
    assert_eq!(cve["affects"][0]["ref"], "pkg:pypi/requests@2.19.1");
    assert_eq!(
        cve["affects"][0]["versions"],
        serde_json::json!([
            { "version": "2.19.1", "status": "affected" },
            { "version": "2.20.0", "status": "unaffected" },
        ])
    );
    assert!(cve["ratings"][0]["severity"].is_string(), "{cve}");
    assert!(cve.get("analysis").is_none(), "{cve}");
    assert!(
        cve["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .any(|p| p["name"] == "wharf:vulnerability:fixed-versions" && p["value"] == "2.20.0"),
        "{cve}"
    );
}
