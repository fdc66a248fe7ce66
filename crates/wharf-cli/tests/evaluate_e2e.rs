//! Evaluation end to end through `wharf scan`: an image built by the test
//! that runs as root, has no healthcheck, carries a planted secret, the
//! EICAR test file and an old vulnerable Python package, pushed to a real
//! Distribution registry and matched against the PyPA advisory records.
//! Each problem yields its finding with remediation text; `--fail-on high`
//! exits 1 with the reason first; a custom Rego rule, exceptions (applied,
//! expired, scoped elsewhere) and a VEX statement show up in the output
//! with their reasons; SARIF validates against the official schema and
//! JUnit parses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{args, text, validate_with_schema_dir, wharf};
use serde_json::Value;
use wharf_testkit::{ImageBuilder, LayerBuilder};

const PYPA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-matcher/tests/fixtures/pypa"
);

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["images"][0]["evaluation"]["findings"]
        .as_array()
        .expect("findings")
}

fn by_rule<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    findings(doc)
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_remediation_gate_exceptions_and_vex() {
    let mut rng = fastrand::Rng::new();
    let token: String = (0..36)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.usize(..36)]))
        .collect();
    let layer = LayerBuilder::new()
        .file(
            "usr/lib/python3/site-packages/requests-2.19.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
            0o644,
        )
        .file(
            "srv/app/deploy.sh",
            format!("#!/bin/sh\nexport GITHUB_TOKEN=ghp_{token}\n"),
            0o755,
        )
        .file("srv/app/eicar.com", common::eicar(), 0o644)
        .build()
        .expect("layer");
    // No USER (root), no HEALTHCHECK, no `owner` label.
    let image = ImageBuilder::new()
        .created("2024-01-01T00:00:00Z")
        .label("org.opencontainers.image.title", "app")
        .layer(layer)
        .build()
        .expect("image");
    let (_registry, reference) = common::registry_with(&image, "team/app").await;

    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path();
    let db = dir.join("db").display().to_string();
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
    let key = dir.join("key").display().to_string();
    let scan = |extra: Vec<String>| {
        let mut a = args(&[
            "scan",
            &reference,
            "--db-dir",
            &db,
            "--no-cache",
            "--fingerprint-key",
            &key,
        ]);
        a.extend(extra);
        async move { wharf(a, vec![], None).await }
    };

    // --- the findings, with remediation, and the gate ---------------------
    let out = scan(args(&["--fail-on", "high", "-f", "json"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("policy gate failed: "), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let eval = &doc["images"][0]["evaluation"];
    assert_eq!(eval["gate"]["decision"], "fail");
    let first = eval["gate"]["reasons"][0]["message"].as_str().unwrap_or("");
    assert!(
        stderr.contains(first),
        "the first reason is printed: {first}"
    );
    let expect = |rule: &str, needle: &str| {
        let fs = by_rule(&doc, rule);
        assert!(
            !fs.is_empty(),
            "no {rule} finding: {:#?}",
            findings(&doc)
                .iter()
                .map(|f| f["rule_id"].clone())
                .collect::<Vec<_>>()
        );
        let f = fs[0];
        assert!(
            f["remediation"].as_str().is_some_and(|r| !r.is_empty()),
            "{rule} has no remediation: {f}"
        );
        assert!(
            f.to_string().contains(needle),
            "{rule} does not mention {needle:?}: {f}"
        );
        f["id"].as_str().unwrap_or_default().to_owned()
    };
    expect("CIS-4.1", "root");
    expect("CIS-4.6", "HEALTHCHECK");
    expect("WHARF-SECRET-001", "srv/app/deploy.sh");
    expect("WHARF-MALWARE-001", "srv/app/eicar.com");
    // The old requests: vulnerability findings, grouped into one upgrade.
    let vulns: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .collect();
    assert!(
        vulns
            .iter()
            .any(|f| f["vulnerability"]["id"] == "CVE-2018-18074"),
        "requests CVE-2018-18074"
    );
    let upgrade = eval["remediations"]
        .as_array()
        .expect("remediations")
        .iter()
        .find(|r| r["package"] == "requests")
        .expect("an upgrade of requests");
    assert!(
        upgrade["summary"]
            .as_str()
            .unwrap_or("")
            .starts_with("upgrade requests 2.19.1 → "),
        "{upgrade}"
    );
    // The secret is never shown in clear, even in findings.
    assert!(!text(&out.stdout).contains(&token) && !stderr.contains(&token));

    // --- custom Rego rule, exceptions, VEX --------------------------------
    write(
        dir,
        "policy/rules/owner.rego",
        r#"package wharf.custom.labels

deny contains {
    "id": "ORG-LABEL-OWNER",
    "title": "Image has no owner label",
    "severity": "medium",
    "action": "block",
    "remediation": "Add LABEL owner=<team> to the Dockerfile.",
    "message": sprintf("%s has no owner label", [input.image.source]),
} if {
    not input.image.labels.owner
}
"#,
    );
    let policy = write(
        dir,
        "policy/policy.toml",
        "version = 1\n[[custom]]\npath = \"rules/owner.rego\"\n",
    );
    let exceptions = write(
        dir,
        "exceptions.toml",
        r#"[[exception]]
rule = "CIS-4.6"
justification = "Health is checked by the orchestrator"

[[exception]]
rule = "CIS-4.1"
justification = "Migration to a non-root user tracked in OPS-1"
expires = "2020-01-31"

[[exception]]
rule = "WHARF-MALWARE-001"
images = ["*/other/repo*"]
justification = "Scoped to another repository"
"#,
    );
    let vex = write(
        dir,
        "vex.json",
        r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "security@example.com",
  "timestamp": "2026-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": { "name": "CVE-2018-18074" },
      "products": [ { "@id": "pkg:pypi/requests@2.19.1" } ],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "the service never follows redirects"
    }
  ]
}"#,
    );
    let out = scan(args(&[
        "--policy",
        &policy,
        "--exceptions",
        &exceptions,
        "--vex",
        &vex,
        "-f",
        "json",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let owner = by_rule(&doc, "ORG-LABEL-OWNER");
    assert_eq!(owner.len(), 1, "custom rule finding");
    assert_eq!(owner[0]["action"], "block");
    let health = by_rule(&doc, "CIS-4.6");
    assert_eq!(health[0]["status"], "accepted", "{}", health[0]);
    assert!(health[0].to_string().contains("orchestrator"));
    let root = by_rule(&doc, "CIS-4.1");
    assert_eq!(root[0]["status"], "open", "expired exception: {}", root[0]);
    assert!(
        root[0]["notes"]
            .to_string()
            .contains("expired on 2020-01-31"),
        "{}",
        root[0]
    );
    let malware = by_rule(&doc, "WHARF-MALWARE-001");
    assert_eq!(malware[0]["status"], "open", "scoped elsewhere");
    let cve = findings(&doc)
        .iter()
        .find(|f| f["vulnerability"]["id"] == "CVE-2018-18074")
        .expect("CVE-2018-18074 finding");
    assert_eq!(cve["status"], "not-affected", "{cve}");
    assert!(cve.to_string().contains("never follows redirects"), "{cve}");

    // CycloneDX carries the decisions as VEX analysis, and validates.
    let out = scan(args(&[
        "--exceptions",
        &exceptions,
        "--vex",
        &vex,
        "-f",
        "cyclonedx",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    validate_with_schema_dir(
        &out.stdout,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../wharf-inventory/tests/fixtures/schemas"),
        "bom-1.6.SNAPSHOT.schema.json",
    );
    let bom: Value = serde_json::from_slice(&out.stdout).expect("cyclonedx");
    let analysed = bom["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .find(|v| v["id"] == "CVE-2018-18074")
        .expect("CVE-2018-18074 in the BOM");
    assert_eq!(analysed["analysis"]["state"], "not_affected", "{analysed}");
    assert!(
        analysed["analysis"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("never follows redirects"))
    );

    // The table shows the same, the gate first.
    let out = scan(args(&[
        "--policy",
        &policy,
        "--exceptions",
        &exceptions,
        "--vex",
        &vex,
    ]))
    .await;
    let table = text(&out.stdout);
    let gate = table.find("GATE  FAIL").expect("gate line");
    let vulns = table
        .find("VULNERABILITIES")
        .expect("vulnerability section");
    assert!(gate < vulns, "{table}");
    for needle in [
        "ORG-LABEL-OWNER",
        "accepted (exception)",
        "not-affected (vex)",
        "expired on 2020-01-31",
    ] {
        assert!(table.contains(needle), "table lacks {needle:?}:\n{table}");
    }

    // A broken custom rule is refused with its file and line.
    write(
        dir,
        "policy/rules/owner.rego",
        "package wharf.custom.labels\n\ndeny contains msg if {\n    msg := \n}\n",
    );
    let out = scan(args(&["--policy", &policy])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("owner.rego:"),
        "{}",
        text(&out.stderr)
    );

    // --- SARIF validates; JUnit parses ------------------------------------
    let out = scan(args(&["-f", "sarif"])).await;
    assert_eq!(out.status.code(), Some(1));
    validate_with_schema_dir(
        &out.stdout,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas"),
        "sarif-schema-2.1.0.json",
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    for rule in [
        "CIS-4.1",
        "CIS-4.6",
        "CVE-2018-18074",
        "WHARF-SECRET-001",
        "WHARF-MALWARE-001",
    ] {
        assert!(rules.contains(&rule), "SARIF lacks {rule}: {rules:?}");
    }
    let out = scan(args(&["-f", "junit", "--fail-on", "high"])).await;
    assert_eq!(out.status.code(), Some(1));
    let junit = dir.join("junit.xml");
    std::fs::write(&junit, &out.stdout).expect("write junit");
    let parsed = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
             s = r if r.tag == 'testsuite' else r.find('testsuite'); \
             print(len(s.findall('testcase')), len(s.findall('testcase/failure')))",
        )
        .arg(&junit)
        .output()
        .expect("python3");
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    let counts = text(&parsed.stdout);
    let (cases, failures) = counts.trim().split_once(' ').expect("counts");
    assert!(cases.parse::<u32>().unwrap_or(0) > 5, "{counts}");
    assert!(failures.parse::<u32>().unwrap_or(0) >= 2, "{counts}");
}
