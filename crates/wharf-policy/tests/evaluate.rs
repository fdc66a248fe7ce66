//! End-to-end evaluation: built-in rules, Rego, exceptions, VEX, grouped
//! remediation and every rendering.

use std::path::{Path, PathBuf};

use wharf_inventory::{
    EnvVar, FileFacts, HistoryStep, INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory, PackageCache,
    RuntimeConfig, SpecialFile,
};
use wharf_matcher::{FixState, Match};
use wharf_policy::{
    Action, Context, Decision, Evaluation, Exceptions, Finding, FindingKind, Policy, PolicyError,
    SarifScope, Status, Vex, combine, evaluate_with, to_json, to_junit, to_sarif, to_table,
};
use wharf_types::{
    Digest, Ecosystem, LayerPlacement, Location, MalwareEngine, MalwareFinding, OsInfo, Package,
    SecretFinding, Severity,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn ctx() -> Context {
    Context {
        now: "2026-11-27T12:00:00Z".parse().expect("time"),
        tags: vec!["latest".into()],
    }
}

fn layer(n: u8) -> Digest {
    Digest::sha256_of(&[n])
}

fn os(family: &str, version: &str) -> OsInfo {
    OsInfo {
        family: family.into(),
        version: version.into(),
        ..Default::default()
    }
}

/// A well-behaved image: non-root, health check, no special files.
fn clean() -> Inventory {
    Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta {
            source: "registry.example.com/team/api:v1".into(),
            digest: Some(Digest::sha256_of(b"manifest")),
            created: Some("2026-11-20T10:00:00Z".into()),
            labels: [("owner".to_owned(), "team-a".to_owned())].into(),
            config: Some(RuntimeConfig {
                user: Some("app".into()),
                healthcheck: Some(vec!["CMD".into(), "/health".into()]),
                exposed_ports: vec!["8080/tcp".into()],
                env: vec![EnvVar {
                    name: "PATH".into(),
                    value: None,
                }],
                history: vec![
                    HistoryStep {
                        created_by: Some("/bin/sh -c #(nop) ADD file:0123 in / ".into()),
                        ..HistoryStep::default()
                    },
                    HistoryStep {
                        created_by: Some("ADD rootfs.tar.xz / # buildkit".into()),
                        ..HistoryStep::default()
                    },
                    HistoryStep {
                        created_by: Some("COPY app /app # buildkit".into()),
                        ..HistoryStep::default()
                    },
                ],
                ..RuntimeConfig::default()
            }),
            ..ImageMeta::default()
        },
        os: Some(os("debian", "12")),
        analyzers: vec!["dpkg@1".into(), "layer-report@2".into()],
        ..Inventory::default()
    }
}

/// Everything wrong at once.
fn messy() -> Inventory {
    let mut inv = clean();
    inv.image.labels.clear();
    let cfg = inv.image.config.as_mut().expect("config");
    cfg.user = None;
    cfg.env.push(EnvVar {
        name: "DB_PASSWORD".into(),
        value: None,
    });
    cfg.env.push(EnvVar {
        name: "AWS_ACCESS_KEY_ID".into(),
        value: None,
    });
    cfg.healthcheck = None;
    cfg.history.push(HistoryStep {
        created_by: Some("ADD https://example.com/tool.tgz /opt/ # buildkit".into()),
        ..HistoryStep::default()
    });
    cfg.history.push(HistoryStep {
        created_by: Some("ADD --chown=app app.tar.gz /srv/app # buildkit".into()),
        ..HistoryStep::default()
    });
    inv.os = Some(os("debian", "10"));
    inv.files = FileFacts {
        special: vec![
            SpecialFile {
                path: "srv/drop".into(),
                mode: 0o777,
                dir: true,
                layer: Some(layer(2)),
            },
            SpecialFile {
                path: "usr/bin/passwd".into(),
                mode: 0o4755,
                dir: false,
                layer: Some(layer(1)),
            },
        ],
        package_caches: vec![PackageCache {
            path: "var/lib/apt/lists".into(),
            manager: "apt-lists".into(),
            files: 9,
            bytes: 18_345_210,
            layers: vec![layer(2)],
        }],
    };
    let mut agpl = Package::new(Ecosystem::Npm, "evil-lib", "1.0.0", "app/package-lock.json");
    agpl.licenses = vec!["AGPL-3.0-only".into()];
    let mut dual = Package::new(Ecosystem::Npm, "dual-lib", "2.0.0", "app/package-lock.json");
    dual.licenses = vec!["MIT OR GPL-3.0-only".into()];
    let mut zlib = Package::new(
        Ecosystem::Deb,
        "zlib1g",
        "1:1.2.13.dfsg-1",
        "var/lib/dpkg/status",
    );
    zlib.purl = Some("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-10".into());
    inv.packages = vec![agpl, dual, zlib];
    inv.secrets = vec![
        SecretFinding {
            rule_id: "aws-access-key-id".into(),
            category: "AWS".into(),
            title: "AWS access key ID".into(),
            severity: Severity::High,
            location: Location::Env {
                name: "AWS_ACCESS_KEY_ID".into(),
            },
            excerpt: "AWS_ACCESS_KEY_ID=AKIA*****".into(),
            fingerprint: "hmac-sha256:00ff".into(),
            placement: LayerPlacement::default(),
        },
        SecretFinding {
            rule_id: "private-key".into(),
            category: "Generic".into(),
            title: "Private key".into(),
            severity: Severity::High,
            location: Location::File {
                path: "root/.ssh/id_rsa".into(),
                line: 1,
            },
            excerpt: "-----BEGIN RSA PRIVATE KEY-----*****".into(),
            fingerprint: "hmac-sha256:abcd".into(),
            placement: LayerPlacement {
                layer: Some(layer(2)),
                deleted: true,
            },
        },
    ];
    inv.malware = vec![MalwareFinding {
        rule: "test:eicar".into(),
        engine: MalwareEngine::Yara,
        severity: Severity::Critical,
        description: "EICAR test file".into(),
        location: Location::File {
            path: "tmp/eicar.com".into(),
            line: 0,
        },
        sha256: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f".into(),
        placement: LayerPlacement {
            layer: Some(layer(2)),
            deleted: false,
        },
    }];
    inv
}

#[allow(clippy::too_many_arguments)]
fn vuln(
    id: &str,
    package: &str,
    installed: &str,
    fixed: &[&str],
    severity: &str,
    kev: bool,
    epss: Option<f32>,
) -> Match {
    Match {
        id: id.into(),
        aliases: Vec::new(),
        advisory: format!("DSA-{id}"),
        source: "debian-tracker:test".into(),
        summary: None,
        ecosystem: Ecosystem::Deb,
        package: package.into(),
        matched_on: format!("Debian:12/{package}"),
        installed_version: installed.into(),
        fixed_versions: fixed.iter().map(|s| (*s).to_owned()).collect(),
        state: if fixed.is_empty() {
            FixState::Unfixed
        } else {
            FixState::Fixed
        },
        severity: severity.into(),
        severity_source: "distro".into(),
        cvss_score: None,
        epss,
        epss_percentile: None,
        kev,
        layer: Some(layer(1)),
        locations: vec!["var/lib/dpkg/status".into()],
        snapshot_id: "snap-2026-11-27".into(),
    }
}

fn openssl_matches() -> Vec<Match> {
    const V: &str = "3.0.11-1~deb12u1";
    vec![
        vuln(
            "CVE-2024-0001",
            "openssl",
            V,
            &["3.0.13-1~deb12u1"],
            "high",
            false,
            None,
        ),
        vuln(
            "CVE-2024-0002",
            "openssl",
            V,
            &["3.0.12-1", "3.0.9-1"],
            "medium",
            false,
            None,
        ),
        vuln(
            "CVE-2024-0003",
            "openssl",
            V,
            &["3.0.11-1~deb12u2"],
            "high",
            false,
            None,
        ),
        vuln(
            "CVE-2024-0006",
            "openssl",
            V,
            &["3.0.12-2"],
            "low",
            false,
            None,
        ),
        vuln("CVE-2024-0007", "openssl", V, &[], "low", false, None),
        vuln(
            "CVE-2024-0004",
            "curl",
            "7.88.1-10",
            &["7.88.1-10+deb12u5"],
            "critical",
            false,
            None,
        ),
        vuln(
            "CVE-2024-0005",
            "zlib1g",
            "1:1.2.13.dfsg-1",
            &[],
            "medium",
            true,
            None,
        ),
        vuln(
            "CVE-2024-0008",
            "libxml2",
            "2.9.14",
            &["2.9.14+dfsg-1.3~deb12u1"],
            "medium",
            false,
            Some(0.9),
        ),
    ]
}

fn find<'a>(e: &'a Evaluation, rule: &str) -> Vec<&'a Finding> {
    e.findings.iter().filter(|f| f.rule_id == rule).collect()
}

fn eval(inv: &Inventory, matches: &[Match], policy: &Policy) -> Evaluation {
    evaluate_with(inv, matches, policy, &Exceptions::default(), &[], &ctx())
}

#[test]
fn clean_image_passes_every_builtin_rule() {
    let e = eval(&clean(), &[], &Policy::builtin());
    assert!(e.findings.is_empty(), "{:#?}", e.findings);
    assert_eq!(e.gate.decision, Decision::Pass);
    assert!(e.facts.healthcheck && !e.facts.runs_as_root);
    assert!(
        e.facts.local_adds.is_empty() && e.facts.remote_adds.is_empty(),
        "base ADD file: is not flagged"
    );
    assert_eq!(e.facts.eol.as_ref().map(|s| s.end_of_life), Some(false));
}

#[test]
fn each_builtin_rule_fires_on_the_messy_image() {
    let mut policy = Policy::builtin();
    policy.file.licenses.forbidden = vec!["AGPL-3.0-only".into(), "GPL-3.0-only".into()];
    policy.file.image.max_age_days = Some(3);
    let e = eval(&messy(), &[], &policy);
    let one = |rule: &str| {
        let f = find(&e, rule);
        assert_eq!(f.len(), 1, "{rule}: {f:#?}");
        f[0].clone()
    };
    let root = one("CIS-4.1");
    assert_eq!(
        (root.kind, root.severity, root.action),
        (
            FindingKind::Misconfiguration,
            Severity::Medium,
            Action::Issue
        )
    );
    assert!(root.message.contains("no USER"));
    assert!(one("CIS-4.6").message.contains("HEALTHCHECK"));
    assert_eq!(one("CIS-4.8").locations, ["usr/bin/passwd"]);
    let adds = find(&e, "CIS-4.9");
    assert_eq!(adds.len(), 2, "{adds:#?}");
    let remote = adds
        .iter()
        .find(|f| f.severity == Severity::Medium)
        .expect("remote");
    assert!(remote.message.contains("https://example.com/tool.tgz"));
    let local = adds
        .iter()
        .find(|f| f.severity == Severity::Low)
        .expect("local");
    assert!(local.message.contains("app.tar.gz"), "{}", local.message);
    let cis410 = find(&e, "CIS-4.10");
    assert_eq!(cis410.len(), 2, "{cis410:#?}");
    let guess = cis410
        .iter()
        .find(|f| f.severity == Severity::Medium)
        .expect("name heuristic");
    assert_eq!(
        (guess.action, guess.locations.as_slice()),
        (Action::Issue, ["env:DB_PASSWORD".to_owned()].as_slice())
    );
    let env_secret = cis410
        .iter()
        .find(|f| f.severity == Severity::Critical)
        .copied()
        .cloned()
        .expect("scanner finding");
    assert_eq!(
        (env_secret.kind, env_secret.severity, env_secret.action),
        (FindingKind::Secret, Severity::Critical, Action::Block)
    );
    assert_eq!(env_secret.locations, ["env:AWS_ACCESS_KEY_ID"]);
    let file_secret = one("WHARF-SECRET-001");
    assert!(file_secret.message.contains("deleted by a later layer"));
    assert_eq!(file_secret.layer, Some(layer(2)));
    assert_eq!(one("WHARF-MALWARE-001").severity, Severity::Critical);
    assert_eq!(one("WHARF-FILE-001").locations, ["srv/drop"]);
    let cache = one("WHARF-CACHE-001");
    assert!(
        cache
            .message
            .contains("apt-lists cache left in /var/lib/apt/lists: 9 files"),
        "{}",
        cache.message
    );
    let eol = one("WHARF-EOL-001");
    assert!(
        eol.message
            .contains("debian 10 (buster) reached end of life on 2024-06-30"),
        "{}",
        eol.message
    );
    assert!(eol.provenance.eol_table_as_of.is_some());
    let lic = one("WHARF-LICENSE-001");
    assert_eq!(
        lic.package.as_ref().map(|p| p.name.as_str()),
        Some("evil-lib"),
        "MIT OR GPL leaves a choice"
    );
    assert!(one("WHARF-AGE-001").message.contains("7 days ago"));
    assert_eq!(e.gate.decision, Decision::Fail);
    // The most serious first: critical blocking findings.
    assert_eq!(e.gate.reasons[0].severity, Severity::Critical);

    // Disabled rules and defaults: no licence list, no age limit.
    let mut off = Policy::builtin();
    for id in ["CIS-4.1", "CIS-4.6"] {
        off.file.rules.insert(
            id.into(),
            wharf_policy::RuleSettings {
                enabled: Some(false),
                ..Default::default()
            },
        );
    }
    let e = eval(&messy(), &[], &off);
    for rule in ["CIS-4.1", "CIS-4.6", "WHARF-LICENSE-001", "WHARF-AGE-001"] {
        assert!(find(&e, rule).is_empty(), "{rule}");
    }
    // A secret in the environment still counts when CIS-4.10 is off: as a plain secret.
    let mut no410 = Policy::builtin();
    no410.file.rules.insert(
        "CIS-4.10".into(),
        wharf_policy::RuleSettings {
            enabled: Some(false),
            ..Default::default()
        },
    );
    assert_eq!(
        find(&eval(&messy(), &[], &no410), "WHARF-SECRET-001").len(),
        2
    );
}

/// Ubuntu with ESM enabled is end of life only after its extended date,
/// and the finding then says which support ended.
#[test]
fn ubuntu_esm_extends_end_of_life() {
    let mut inv = clean();
    let policy = Policy::builtin();
    inv.os = Some(os("ubuntu", "16.04"));
    let e = eval(&inv, &[], &policy);
    let eol = find(&e, "WHARF-EOL-001");
    assert_eq!(eol.len(), 1, "16.04 standard support ended in 2021");
    assert!(
        eol[0]
            .message
            .contains("reached end of life on 2021-04-30; paid extended support until 2026-04-30"),
        "{}",
        eol[0].message
    );
    // ESM enabled: supported until 2026-04-30, which is before ctx().now.
    inv.os = Some(OsInfo {
        extended_support: true,
        ..os("ubuntu", "16.04")
    });
    let e = eval(&inv, &[], &policy);
    let eol = find(&e, "WHARF-EOL-001");
    assert!(
        eol[0]
            .message
            .contains("reached the end of the extended support enabled in the image on 2026-04-30"),
        "{}",
        eol[0].message
    );
    // 20.04 with ESM (until 2030) is not end of life; without it, it is.
    inv.os = Some(OsInfo {
        extended_support: true,
        ..os("ubuntu", "20.04")
    });
    assert!(find(&eval(&inv, &[], &policy), "WHARF-EOL-001").is_empty());
    inv.os = Some(os("ubuntu", "20.04"));
    assert_eq!(find(&eval(&inv, &[], &policy), "WHARF-EOL-001").len(), 1);
}

#[test]
fn dir_sources_skip_configuration_rules() {
    let mut inv = messy();
    inv.image.config = None;
    let e = eval(&inv, &[], &Policy::builtin());
    for rule in ["CIS-4.1", "CIS-4.6", "CIS-4.9"] {
        assert!(find(&e, rule).is_empty(), "{rule}");
    }
    assert_eq!(find(&e, "CIS-4.8").len(), 1);
}

#[test]
fn vulnerability_thresholds() {
    let inv = clean();
    let policy = Policy::load(&fixtures().join("policy.toml")).expect("policy");
    let e = eval(&inv, &openssl_matches(), &policy);
    let by_id = |id: &str| {
        e.findings
            .iter()
            .find(|f| f.vulnerability.as_ref().is_some_and(|v| v.id == id))
            .unwrap_or_else(|| panic!("{id}"))
    };
    // KEV: always blocks, fixable or not.
    let kev = by_id("CVE-2024-0005");
    assert_eq!(
        (kev.rule_id.as_str(), kev.action),
        ("WHARF-VULN-002", Action::Block)
    );
    // Severity at/above high and fixable.
    assert_eq!(by_id("CVE-2024-0001").rule_id, "WHARF-VULN-001");
    assert_eq!(by_id("CVE-2024-0004").rule_id, "WHARF-VULN-001");
    // Below the threshold.
    let low = by_id("CVE-2024-0006");
    assert_eq!(
        (low.rule_id.as_str(), low.action),
        ("WHARF-VULN-000", Action::Issue)
    );
    // EPSS above 0.5.
    assert_eq!(by_id("CVE-2024-0008").rule_id, "WHARF-VULN-003");
    // fixable_only: an unfixed high would not count; the unfixed low is below anyway.
    let mut unfixed_high = vuln("CVE-2024-0009", "bash", "5.2", &[], "high", false, None);
    unfixed_high.epss = Some(0.99);
    let e2 = eval(&inv, &[unfixed_high], &policy);
    assert_eq!(e2.findings[0].rule_id, "WHARF-VULN-000");
    assert_eq!(e2.findings[0].severity, Severity::High);
    // ...but fail_on = high still fails the gate on it.
    assert_eq!(e2.gate.decision, Decision::Fail);
    assert_eq!(e2.gate.fail_on, Some(Severity::High));
    // Fingerprints do not depend on the threshold crossed or the time.
    let mut later = ctx();
    later.now = "2027-01-01T00:00:00Z".parse().expect("time");
    let e3 = evaluate_with(
        &inv,
        &openssl_matches(),
        &Policy::builtin(),
        &Exceptions::default(),
        &[],
        &later,
    );
    let ids = |e: &Evaluation| {
        let mut v: Vec<String> = e.findings.iter().map(|f| f.fingerprint.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&e), ids(&e3));
}

#[test]
fn grouped_remediation_takes_the_smallest_version_that_fixes_all() {
    let e = eval(&clean(), &openssl_matches(), &Policy::builtin());
    let openssl = e
        .remediations
        .iter()
        .find(|r| r.package == "openssl")
        .expect("openssl");
    assert_eq!(openssl.upgrade_to.as_deref(), Some("3.0.13-1~deb12u1"));
    assert_eq!(
        openssl.fixes,
        [
            "CVE-2024-0001",
            "CVE-2024-0002",
            "CVE-2024-0003",
            "CVE-2024-0006"
        ]
    );
    assert_eq!(openssl.unfixed, ["CVE-2024-0007"]);
    assert_eq!(
        openssl.summary,
        "upgrade openssl 3.0.11-1~deb12u1 → 3.0.13-1~deb12u1 fixes 4 CVEs (1 CVE not fixed yet)"
    );
    // CVE-2024-0002 lists 3.0.9-1 (below the installed version) and 3.0.12-1: 3.0.12-1 is its fix.
    let f = e
        .findings
        .iter()
        .find(|f| {
            f.vulnerability
                .as_ref()
                .is_some_and(|v| v.id == "CVE-2024-0002")
        })
        .expect("0002");
    assert_eq!(
        f.vulnerability.as_ref().and_then(|v| v.fixed_in.as_deref()),
        Some("3.0.12-1")
    );
    assert_eq!(f.remediation, "upgrade openssl 3.0.11-1~deb12u1 → 3.0.12-1");
    let zlib = e
        .remediations
        .iter()
        .find(|r| r.package == "zlib1g")
        .expect("zlib");
    assert_eq!(zlib.summary, "zlib1g 1:1.2.13.dfsg-1: no fix yet for 1 CVE");
    // The most severe group first.
    assert_eq!(e.remediations[0].package, "curl");
}

#[test]
fn rego_rule_from_a_policy_file() {
    let policy = Policy::load(&fixtures().join("policy.toml")).expect("policy");
    assert_eq!(policy.custom.files().len(), 1);
    let with_owner = eval(&clean(), &[], &policy);
    assert!(find(&with_owner, "ORG-LABEL-OWNER").is_empty());
    let e = eval(&messy(), &[], &policy);
    let f = find(&e, "ORG-LABEL-OWNER");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(
        f[0].message,
        "registry.example.com/team/api:v1 has no `owner` label"
    );
    assert_eq!(
        (f[0].action, f[0].severity),
        (Action::Block, Severity::Medium)
    );
    assert_eq!(f[0].provenance.rule, "rego:data.wharf.custom.labels");
    assert!(
        e.gate
            .reasons
            .iter()
            .any(|r| r.rule_id == "ORG-LABEL-OWNER")
    );
    assert!(
        e.rules
            .iter()
            .any(|r| r.id == "ORG-LABEL-OWNER" && r.failing == 1)
    );
}

#[test]
fn broken_rego_reports_file_and_line() {
    let err = Policy::load(&fixtures().join("broken-policy.toml")).expect_err("broken");
    let PolicyError::Rego {
        file,
        line,
        message,
    } = &err
    else {
        panic!("{err}")
    };
    assert!(file.ends_with("broken.rego"), "{file}");
    assert_eq!(*line, 4, "{message}");
    let text = err.to_string();
    assert!(text.contains("broken.rego:4"), "{text}");
}

fn with_suppressions() -> Evaluation {
    let inv = messy();
    let mut exceptions = Exceptions::default();
    // Named relatively so that snapshots do not depend on the checkout.
    for name in ["exceptions.toml", "exceptions.yaml"] {
        let text = std::fs::read_to_string(fixtures().join(name)).expect("read");
        exceptions.parse(name, &text).expect(name);
    }
    let mut loaded = Exceptions::default();
    loaded
        .load(&fixtures().join("exceptions.yaml"))
        .expect("load");
    assert_eq!(loaded.entries.len(), 1);
    let digest = inv.image.digest.as_ref().expect("digest").to_string();
    let hex = digest.split_once(':').map(|(_, h)| h).expect("hex");
    let openvex = std::fs::read_to_string(fixtures().join("openvex.json"))
        .expect("read")
        .replace("IMAGEHEX", hex);
    let vex = vec![
        Vex::parse("openvex.json", &openvex).expect("openvex"),
        Vex::parse(
            "cyclonedx-vex.json",
            &std::fs::read_to_string(fixtures().join("cyclonedx-vex.json")).expect("read"),
        )
        .expect("cdx"),
    ];
    let mut policy = Policy::builtin();
    policy.file.fail_on = Some(Severity::High);
    evaluate_with(&inv, &openssl_matches(), &policy, &exceptions, &vex, &ctx())
}

#[test]
fn exceptions_and_vex() {
    let e = with_suppressions();
    let vuln = |id: &str| {
        e.findings
            .iter()
            .find(|f| f.vulnerability.as_ref().is_some_and(|v| v.id == id))
            .unwrap_or_else(|| panic!("{id}"))
    };
    // Applies.
    let accepted = vuln("CVE-2024-0002");
    assert_eq!(accepted.status, Status::Accepted);
    let s = accepted.suppression.as_ref().expect("suppression");
    assert_eq!(s.by, "exception");
    assert!(s.justification.contains("admin port"));
    assert_eq!(
        s.expires.map(|d| d.to_string()).as_deref(),
        Some("2099-12-31")
    );
    // Expired: open again, and says so.
    let expired = vuln("CVE-2024-0003");
    assert_eq!(expired.status, Status::Open);
    assert!(
        expired
            .notes
            .iter()
            .any(|n| n.contains("expired on 2026-01-31: no longer applies")),
        "{:?}",
        expired.notes
    );
    // Scoped to another repository: no effect.
    let hc = find(&e, "CIS-4.6");
    assert_eq!(hc[0].status, Status::Open);
    assert!(hc[0].suppression.is_none() && hc[0].notes.is_empty());
    // YAML exception by rule.
    assert_eq!(find(&e, "WHARF-CACHE-001")[0].status, Status::Accepted);
    // OpenVEX not_affected through the image digest + subcomponent.
    let curl = vuln("CVE-2024-0004");
    assert_eq!(curl.status, Status::NotAffected);
    let s = curl.suppression.as_ref().expect("vex");
    assert_eq!(s.by, "vex");
    assert_eq!(
        s.justification,
        "vulnerable_code_not_in_execute_path: curl is only used at build time"
    );
    // CycloneDX not_affected wins over the OpenVEX under_investigation (noted).
    let zlib = vuln("CVE-2024-0005");
    assert_eq!(zlib.status, Status::NotAffected, "{zlib:#?}");
    assert!(zlib.notes.iter().any(|n| n.contains("under_investigation")));
    // Suppressed findings never fail the gate.
    for r in &e.gate.reasons {
        let f = e
            .findings
            .iter()
            .find(|f| f.id == r.finding)
            .expect("finding");
        assert_eq!(f.status, Status::Open);
    }
    // Every suppression is visible in the table.
    let table = to_table(std::slice::from_ref(&e));
    assert!(table.contains("accepted (exception)"));
    assert!(table.contains("not-affected (vex)"));
    assert!(table.contains("note: exception in"));
}

#[test]
fn exception_files_are_checked() {
    let mut x = Exceptions::default();
    let err = x
        .parse("x.toml", "[[exception]]\njustification = \"j\"\n")
        .expect_err("no id");
    assert!(err.to_string().contains("needs `id` or `rule`"), "{err}");
    let err = x
        .parse(
            "x.toml",
            "[[exception]]\nid = \"CVE-1\"\njustification = \" \"\n",
        )
        .expect_err("empty");
    assert!(err.to_string().contains("justification"), "{err}");
    let err = x
        .parse(
            "x.toml",
            "[[exception]]\nid = \"CVE-1\"\njustification = \"j\"\nexpires = \"soon\"\n",
        )
        .expect_err("date");
    assert!(err.to_string().contains("x.toml"), "{err}");
    assert!(Vex::parse("v.json", "{\"hello\": 1}").is_err());
}

#[test]
fn snapshot_table() {
    insta::assert_snapshot!("table", to_table(&[with_suppressions()]));
}

#[test]
fn snapshot_json_and_schema() {
    let json = to_json(&[with_suppressions()]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    insta::assert_json_snapshot!("findings", value);
    validate(&json, "findings-v1.schema.json");
}

fn validate(json: &str, schema: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let doc = dir.path().join("doc.json");
    std::fs::write(&doc, json).expect("write");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schemas")
        .join(schema);
    let out = std::process::Command::new("python3")
        .args(["-c", "import json,sys,jsonschema; jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1])))"])
        .arg(&doc)
        .arg(&schema)
        .output()
        .expect("python3 with the jsonschema module");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_results() {
    let e = with_suppressions();
    let sarif = to_sarif(std::slice::from_ref(&e), SarifScope::NonVulnerability);
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|r| !r["ruleId"].as_str().unwrap_or_default().starts_with("CVE-"))
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for r in results {
        let i = r["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    assert!(
        rules
            .iter()
            .any(|r| r["properties"]["cis-docker-benchmark"] == "4.1")
    );
    assert!(
        results.iter().any(|r| r["suppressions"].is_array()),
        "accepted cache finding"
    );
    let all = to_sarif(std::slice::from_ref(&e), SarifScope::All);
    assert_eq!(
        all["runs"][0]["results"].as_array().map(Vec::len),
        Some(e.findings.len())
    );
}

#[test]
fn junit_parses_back() {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let clean_eval = eval(&clean(), &[], &Policy::builtin());
    let messy_eval = with_suppressions();
    let xml = to_junit(&[clean_eval.clone(), messy_eval.clone()]);
    let mut reader = Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), 0usize, 0usize);
    let mut in_suite_failures = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testsuite" => {
                let attr = |k: &str| {
                    e.attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| a.value.to_string())
                };
                suites.push(attr("name").unwrap_or_default());
                in_suite_failures.push(
                    attr("failures")
                        .unwrap_or_default()
                        .parse::<usize>()
                        .expect("n"),
                );
                depth += 1;
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testcase" => cases += 1,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "failure" => failures += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 2);
    assert_eq!(
        suites,
        [
            "registry.example.com/team/api:v1",
            "registry.example.com/team/api:v1"
        ]
    );
    assert_eq!(cases, clean_eval.rules.len() + messy_eval.rules.len());
    assert_eq!(in_suite_failures[0], 0, "the clean image fails nothing");
    assert_eq!(failures, in_suite_failures[1]);
    assert_eq!(
        failures,
        messy_eval.rules.iter().filter(|r| r.failing > 0).count()
    );
    assert!(failures > 0);
    // Suppressed rule (cache) passes.
    let cache = messy_eval
        .rules
        .iter()
        .find(|r| r.id == "WHARF-CACHE-001")
        .expect("cache");
    assert_eq!((cache.failing, cache.suppressed), (0, 1));
}

#[test]
fn same_finding_in_two_images_is_one_finding_with_both() {
    let a = clean();
    let mut b = clean();
    b.image.source = "registry.example.com/team/api:v2".into();
    b.image.digest = Some(Digest::sha256_of(b"manifest v2"));
    let m = openssl_matches();
    let ea = eval(&a, &m, &Policy::builtin());
    let eb = eval(&b, &m, &Policy::builtin());
    let all = combine(&[ea.clone(), eb]);
    assert_eq!(all.len(), ea.findings.len());
    assert!(all.iter().all(|f| f.images.len() == 2));
    let tags: Vec<&[String]> = all[0].images.iter().map(|i| i.tags.as_slice()).collect();
    assert_eq!(
        tags,
        [
            ["latest".to_owned(), "v1".to_owned()],
            ["latest".to_owned(), "v2".to_owned()]
        ]
    );
}

#[test]
fn rego_sees_the_documented_input() {
    let inv = messy();
    let matches = openssl_matches();
    let facts = wharf_policy::ImageFacts::of(&inv, ctx().now);
    let image = wharf_policy::ImageRef {
        source: inv.image.source.clone(),
        repository: wharf_policy::repository_of(&inv.image.source),
        digest: inv.image.digest.clone(),
        tags: vec!["v1".into()],
    };
    let input = wharf_policy::policy_input(&inv, &matches, &facts, &image);
    for key in [
        "schema_version",
        "image",
        "facts",
        "os",
        "packages",
        "vulnerabilities",
        "secrets",
        "malware",
        "files",
    ] {
        assert!(input.get(key).is_some(), "{key}");
    }
    assert_eq!(input["schema_version"], wharf_policy::POLICY_INPUT_VERSION);
    assert_eq!(
        input["image"]["repository"],
        "registry.example.com/team/api"
    );
    let mut rules = wharf_policy::CustomRules::default();
    rules
        .add_source(
            "org.rego",
            r#"package wharf.custom.org
deny contains sprintf("%s is known exploited", [v.id]) if {
    some v in input.vulnerabilities
    v.kev
}
deny contains {"id": "ORG-ROOT", "message": "runs as root"} if { input.facts.runs_as_root }
deny contains {"id": "ORG-SUID", "message": f.path} if {
    some f in input.facts.setuid_files
}
deny contains {"id": "ORG-SECRET", "message": s.location.name} if {
    some s in input.secrets
    s.location.kind == "env"
}
"#,
        )
        .expect("compile");
    let denials = rules.evaluate(&input).expect("evaluate");
    let got: Vec<(&str, &str)> = denials
        .iter()
        .map(|d| (d.id.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("CUSTOM-org", "CVE-2024-0005 is known exploited"),
            ("ORG-ROOT", "runs as root"),
            ("ORG-SECRET", "AWS_ACCESS_KEY_ID"),
            ("ORG-SUID", "usr/bin/passwd"),
        ]
    );
}
