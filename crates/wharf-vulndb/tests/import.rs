//! Imports of real advisory data sets (fixtures, and the full copies in
//! `../shared` when present) and golden-output comparisons.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use wharf_vulndb::{
    Advisory, FixStatus, ImportReport, almalinux, alpine, debian, kev, merge, osv, rustsec,
    updateinfo,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The full shared test data: `../shared` beside the repository root (CI
/// clones and the development machine both have it there).
fn shared() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = repo.join("../shared/testdata/advisories");
    p.is_dir().then_some(p)
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                n += 1;
            }
        }
    }
    n
}

fn reasons(r: &ImportReport) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &r.skipped {
        *m.entry(s.reason.clone()).or_insert(0) += 1;
    }
    m
}

/// Files in = imported + skipped; every skip is either `withdrawn` or a
/// listed non-advisory file; returns (imported, withdrawn).
fn check_no_loss(dir: &Path, r: &ImportReport, non_advisory: usize) -> (usize, usize) {
    let files = count_files(dir);
    assert_eq!(
        files,
        r.imported.len() + r.skipped.len(),
        "{}: files in != imported + skipped",
        dir.display()
    );
    let withdrawn = r.skipped.iter().filter(|s| s.reason == "withdrawn").count();
    assert_eq!(
        r.skipped.len(),
        withdrawn + non_advisory,
        "{}: unexpected skips {:?}",
        dir.display(),
        reasons(r)
    );
    let ids: BTreeSet<&str> = r.imported.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), r.imported.len(), "duplicate ids");
    (r.imported.len(), withdrawn)
}

fn count_withdrawn_markers(dir: &Path, needle: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            if e.file_type().expect("ft").is_dir() {
                stack.push(e.path());
            } else if let Ok(t) = std::fs::read_to_string(e.path())
                && t.lines().any(|l| l.trim_start().starts_with(needle))
            {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn pypa_subset() {
    let dir = fixtures().join("pypa");
    let r = osv::import_path(&dir, "pypa").expect("import");
    let (imported, withdrawn) = check_no_loss(&dir, &r, 0);
    assert_eq!(withdrawn, count_withdrawn_markers(&dir, "withdrawn:"));
    assert!(imported > 150);
    let a = r
        .imported
        .iter()
        .find(|a| !a.affected.is_empty())
        .expect("an advisory with affected");
    assert_eq!(a.affected[0].ecosystem, "PyPI");
    // Every CVSS vector in PyPA scores.
    for a in &r.imported {
        for s in &a.severity {
            assert!(s.score.is_some(), "{}: {:?}", a.id, s);
        }
    }
}

#[test]
fn govulndb_subset() {
    let dir = fixtures().join("govulndb");
    let r = osv::import_path(&dir, "govulndb").expect("import");
    let (_, withdrawn) = check_no_loss(&dir, &r, 0);
    assert_eq!(withdrawn, count_withdrawn_markers(&dir, "\"withdrawn\""));
    assert!(
        r.imported
            .iter()
            .any(|a| a.affected.iter().any(|x| !x.symbols.is_empty()))
    );
    assert!(
        r.imported
            .iter()
            .all(|a| a.affected.iter().all(|x| x.ecosystem == "Go"))
    );
}

#[test]
fn rustsec_subset() {
    let dir = fixtures().join("rustsec");
    let r = rustsec::import_dir(&dir).expect("import");
    let (_, withdrawn) = check_no_loss(&dir, &r, 0);
    assert_eq!(withdrawn, count_withdrawn_markers(&dir, "withdrawn ="));
    for a in &r.imported {
        assert_eq!(a.affected.len(), 1, "{}", a.id);
        assert!(a.affected[0].requirements.is_some());
        for req in a.affected[0]
            .requirements
            .iter()
            .flat_map(|r| r.patched.iter().chain(&r.unaffected))
        {
            assert!(semver::VersionReq::parse(req).is_ok(), "{req}");
        }
    }
}

#[test]
fn kev_full_catalog() {
    let c = kev::import_path(&fixtures().join("cisa-kev/known_exploited_vulnerabilities.json"))
        .expect("kev");
    assert_eq!(c.version, "2025.08.25");
    assert_eq!(c.declared_count, 1404);
    assert_eq!(c.report.imported.len(), 1404);
    assert!(c.report.skipped.is_empty());
    assert_eq!(
        c.report
            .imported
            .iter()
            .filter(|e| e.known_ransomware)
            .count(),
        293
    );
    let git = &c.report.imported[0];
    assert_eq!(
        (
            git.cve.as_str(),
            git.vendor.as_str(),
            git.date_added.as_str(),
            git.due_date.as_str()
        ),
        ("CVE-2025-48384", "Git", "2025-08-25", "2025-09-15")
    );
}

/// `(package, fixed version) → ids` from a secdb document, read
/// independently of the parser (plain serde_json/yaml_serde walk).
fn secdb_triples(doc: &serde_json::Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for p in doc["packages"].as_array().into_iter().flatten() {
        let name = p["pkg"]["name"].as_str().expect("name");
        for (ver, ids) in p["pkg"]["secfixes"].as_object().into_iter().flatten() {
            for id in ids.as_array().into_iter().flatten() {
                // First token shaped like an id (`CVE-????-????? XSA-284` names
                // XSA-284); a line without one is represented by its first token.
                let line = id.as_str().expect("str");
                let is_id = |t: &&str| {
                    t.split_once('-').is_some_and(|(p, r)| {
                        p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                            && p.chars().all(|c| c.is_ascii_alphanumeric())
                            && !r.is_empty()
                            && r.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
                    })
                };
                let first = line
                    .split_whitespace()
                    .find(is_id)
                    .or(line.split_whitespace().next())
                    .expect("id");
                out.insert((name.to_owned(), ver.clone(), first.to_owned()));
            }
        }
    }
    out
}

fn advisory_triples(advs: &[Advisory]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for a in advs {
        for x in &a.affected {
            let ver = match x.status {
                FixStatus::NotAffected => "0".to_owned(),
                FixStatus::Fixed => x.ranges[0].fixed().expect("fixed").to_owned(),
                s => panic!("unexpected status {s:?}"),
            };
            out.insert((x.package.clone(), ver, a.id.clone()));
        }
    }
    out
}

#[test]
fn alpine_secdb_yaml_all_versions() {
    let dir = fixtures().join("alpine-secdb");
    let mut versions = 0;
    let mut skipped = Vec::new();
    for rel in std::fs::read_dir(&dir).expect("dir").flatten() {
        for repo in ["main.yaml", "community.yaml"] {
            let path = rel.path().join(repo);
            if !path.exists() {
                continue;
            }
            versions += 1;
            let r = alpine::import_path(&path).expect("import");
            let doc: serde_json::Value =
                yaml_serde::from_str(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
            // Nothing lost: every (package, version, id) line is imported or skipped.
            let input = secdb_triples(&doc);
            let output = advisory_triples(&r.imported);
            assert!(
                output.is_subset(&input),
                "{}: {:?}",
                path.display(),
                output.difference(&input).collect::<Vec<_>>()
            );
            let missing: Vec<_> = input.difference(&output).collect();
            assert_eq!(
                missing.len(),
                r.skipped.len(),
                "{}: {:?}",
                path.display(),
                r.skipped
            );
            for (pkg, ver, id) in missing {
                assert!(
                    r.skipped
                        .iter()
                        .any(|s| s.what.ends_with(&format!("{pkg} {ver}"))
                            && s.reason.contains(id.as_str())),
                    "{pkg} {ver} {id} lost without a reason: {:?}",
                    r.skipped
                );
                skipped.push(id.clone());
            }
            let release = doc["distroversion"].as_str().expect("release");
            assert!(r.imported.iter().all(|a| {
                a.affected
                    .iter()
                    .all(|x| x.ecosystem == format!("Alpine:{release}"))
            }));
        }
    }
    assert_eq!(versions, 18);
    // The malformed ids in the real data: `CVE_2019-2426` (v3.8 community,
    // openjdk7) and `CVE 2018-16859` (v3.9 main, ansible).
    skipped.sort();
    skipped.dedup();
    assert_eq!(skipped, ["CVE", "CVE_2019-2426"]);
}

#[test]
fn alpine_secdb_json_matches_golden() {
    let dir = fixtures().join("alpine-json");
    for (golden, input) in [
        ("311-apache2.json", "311-main.json"),
        ("312-ansible.json", "312-main.json"),
        ("edge-apk-tools.json", "edge-main.json"),
    ] {
        let g: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("golden").join(golden)).expect("golden"),
        )
        .expect("json");
        let r = alpine::import_path(&dir.join(input)).expect("import");
        assert!(r.skipped.is_empty());
        let name = g["name"].as_str().expect("name");
        let release = g["distroversion"].as_str().expect("distroversion");
        // Rebuild `secfixes` for this package from the normalised records.
        let mut secfixes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for a in &r.imported {
            for x in a.affected.iter().filter(|x| x.package == name) {
                assert_eq!(x.ecosystem, format!("Alpine:{release}"));
                assert_eq!(x.status, FixStatus::Fixed);
                assert_eq!(
                    x.ranges[0].events[0],
                    wharf_vulndb::Event::Introduced("0".into())
                );
                secfixes
                    .entry(x.ranges[0].fixed().expect("fixed").to_owned())
                    .or_default()
                    .insert(a.id.clone());
            }
        }
        let want: BTreeMap<String, BTreeSet<String>> = g["secfixes"]
            .as_object()
            .expect("secfixes")
            .iter()
            .map(|(v, ids)| {
                (
                    v.clone(),
                    ids.as_array()
                        .expect("ids")
                        .iter()
                        .map(|i| i.as_str().expect("id").to_owned())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(secfixes, want, "{golden}");
        assert!(r.imported.iter().all(|a| a.source == "alpine"));
    }
}

/// (id, ecosystem, module stream, package, fixed version, arches) of
/// every affected entry.
type AlmaFix = (String, String, String, String, String, Vec<String>);

fn alma_fixes(r: &ImportReport) -> BTreeSet<AlmaFix> {
    r.imported
        .iter()
        .flat_map(|a| {
            a.affected.iter().map(|x| {
                (
                    a.id.clone(),
                    x.ecosystem.clone(),
                    x.modularity.clone().unwrap_or_default(),
                    x.package.clone(),
                    x.ranges[0].fixed().unwrap_or_default().to_owned(),
                    x.arches.clone(),
                )
            })
        })
        .collect()
}

#[test]
fn almalinux_errata_match_trivy_db() {
    let dir = fixtures().join("almalinux");
    let fix = |id: &str, module: &str, package: &str, fixed: &str| -> AlmaFix {
        (
            id.into(),
            "AlmaLinux:8".into(),
            module.into(),
            package.into(),
            fixed.into(),
            Vec::new(),
        )
    };
    // trivy-db `alma_test.go`, "happy path": one module erratum, two CVEs.
    let r = almalinux::import_path(&dir.join("trivy-db/ALSA-2021-3076.json")).expect("import");
    let go = "1.15.14-1.module_el8.4.0+2519+614b07b8";
    assert_eq!(
        alma_fixes(&r),
        [
            fix("CVE-2021-27918", "go-toolset:rhel8", "go-toolset", go),
            fix("CVE-2021-27918", "go-toolset:rhel8", "golang", go),
            fix("CVE-2021-31525", "go-toolset:rhel8", "go-toolset", go),
            fix("CVE-2021-31525", "go-toolset:rhel8", "golang", go),
        ]
        .into_iter()
        .collect()
    );
    assert!(r.imported.iter().all(|a| a.related == ["ALSA-2021:3076"]));
    // "duplicate advisories": each package listed for two minor releases;
    // the earlier build is the fix.
    let r = almalinux::import_path(&dir.join("trivy-db/ALSA-2021-0551.json")).expect("import");
    assert_eq!(
        alma_fixes(&r),
        [
            fix(
                "CVE-2020-7754",
                "nodejs:14",
                "nodejs-nodemon",
                "2.0.3-1.module_el8.3.0+2022+0cf59502"
            ),
            fix(
                "CVE-2020-7754",
                "nodejs:14",
                "nodejs-packaging",
                "23-3.module_el8.3.0+2022+0cf59502"
            ),
        ]
        .into_iter()
        .collect()
    );
    // The feed document itself: three security errata (one of a module
    // stream), one bug-fix erratum ignored, nothing skipped.
    let r = almalinux::import_path(&dir.join("errata.json")).expect("import");
    assert!(r.skipped.is_empty() && r.warnings.is_empty(), "{r:?}");
    let ids: Vec<&str> = r.imported.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2019-11135", "CVE-2021-31291", "CVE-2021-3246"]);
    let fixes = alma_fixes(&r);
    assert!(fixes.contains(&fix("CVE-2021-3246", "", "libsndfile", "1.0.28-10.el8_4.1")));
    // Listed for el8.4 (x86_64) and el8.3 (x86_64, i686): the el8.3
    // build is the fix, on both architectures.
    assert!(fixes.contains(&fix(
        "CVE-2019-11135",
        "virt:rhel",
        "sgabios",
        "1:0.20170427git-3.module_el8.3.0+2048+e7a0a3ea"
    )));
    assert!(fixes.iter().all(|f| f.5.is_empty()));
    assert!(r.imported.iter().all(|a| a.source == "almalinux"));
    assert!(matches!(
        almalinux::import_path(&dir.join("invalid.json")),
        Err(wharf_vulndb::Error::Format { .. })
    ));
}

/// Per erratum id: its CVEs and (name, `[epoch:]version-release`) of the
/// lowest build per package and architecture.
type ErrataFixes = BTreeMap<String, (Vec<String>, BTreeSet<(String, String)>)>;

/// vuln-list-update's golden outputs for an updateinfo document.
fn updateinfo_golden(dir: &Path) -> ErrataFixes {
    let mut out = BTreeMap::new();
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("golden dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for f in files {
        let g: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).expect("golden")).expect("json");
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let mut cves: Vec<String> = match g["cveids"].as_array() {
            Some(ids) => ids.iter().map(s).collect(),
            None => g["references"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["type"] == "cve")
                .map(|r| s(&r["id"]))
                .collect(),
        };
        cves.sort();
        let mut lowest: BTreeMap<(String, String), String> = BTreeMap::new();
        for p in g["packages"].as_array().expect("packages") {
            let evr = match s(&p["epoch"]).as_str() {
                "" | "0" => format!("{}-{}", s(&p["version"]), s(&p["release"])),
                e => format!("{e}:{}-{}", s(&p["version"]), s(&p["release"])),
            };
            let key = (s(&p["name"]), s(&p["arch"]));
            let keep = lowest.get(&key).is_none_or(|l| {
                wharf_version::compare(wharf_version::Scheme::Rpm, &evr, l).is_ok_and(|o| o.is_lt())
            });
            if keep {
                lowest.insert(key, evr);
            }
        }
        let fixes = lowest.into_iter().map(|((n, _), v)| (n, v)).collect();
        out.insert(s(&g["id"]), (cves, fixes));
    }
    out
}

#[test]
fn updateinfo_matches_vuln_list_golden() {
    let dir = fixtures().join("updateinfo");
    for (input, golden, ecosystem) in [
        ("rocky/updateinfo.xml", "rocky/golden", "Rocky Linux:8"),
        (
            "bottlerocket/updateinfo.xml.gz",
            "bottlerocket/golden",
            "Bottlerocket",
        ),
    ] {
        let r = updateinfo::import_path(&dir.join(input)).expect("import");
        assert!(
            r.skipped.is_empty() && r.warnings.is_empty(),
            "{input}: {r:?}"
        );
        // Rebuild each erratum's CVEs and fixes from the per-CVE advisories.
        let mut got = ErrataFixes::new();
        for a in &r.imported {
            assert_eq!(a.related.len(), 1, "{}", a.id);
            let (cves, fixes) = got.entry(a.related[0].clone()).or_default();
            cves.push(a.id.clone());
            for x in &a.affected {
                assert_eq!(x.ecosystem, ecosystem, "{input}");
                assert_eq!(x.status, FixStatus::Fixed);
                fixes.insert((
                    x.package.clone(),
                    x.ranges[0].fixed().unwrap_or_default().into(),
                ));
            }
        }
        for (cves, _) in got.values_mut() {
            cves.sort();
        }
        assert_eq!(got, updateinfo_golden(&dir.join(golden)), "{input}");
    }
    // The module stream of Rocky's ruby erratum.
    let r = updateinfo::import_path(&dir.join("rocky/updateinfo.xml")).expect("import");
    let ruby = r
        .imported
        .iter()
        .find(|a| a.id == "CVE-2019-8324")
        .expect("ruby CVE");
    assert!(
        ruby.affected
            .iter()
            .all(|x| x.modularity.as_deref() == Some("ruby:2.6"))
    );
    // Broken XML and a non-gzip `.gz` are errors that name the file.
    for bad in [
        "bottlerocket/invalid_xml.gz",
        "bottlerocket/updateinfo_invalid.xml.gz",
    ] {
        let e = updateinfo::import_path(&dir.join(bad)).expect_err(bad);
        assert!(
            e.to_string()
                .contains(bad.rsplit('/').next().unwrap_or(bad)),
            "{e}"
        );
    }
}

#[test]
fn debian_tracker_matches_expected() {
    let dir = fixtures().join("debian");
    let r = debian::import_path(&dir.join("tracker.json")).expect("import");
    let mut got: Vec<serde_json::Value> = r
        .imported
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.affected.sort_by(|x, y| x.ecosystem.cmp(&y.ecosystem));
            serde_json::to_value(&a).expect("to json")
        })
        .collect();
    got.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut want: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected"),
    )
    .expect("json");
    for w in &mut want {
        if let Some(aff) = w["affected"].as_array_mut() {
            aff.sort_by(|x, y| x["ecosystem"].as_str().cmp(&y["ecosystem"].as_str()));
        }
    }
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "\n got: {g:#}\nwant: {w:#}");
    }
    let skipped: BTreeSet<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.what.as_str(), s.reason.as_str()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = [
        ("broken package name", "invalid source package name"),
        (
            "CVE-2020-8631/cloud-init/potato2",
            "unknown Debian codename",
        ),
        ("not an id/cloud-init", "invalid issue id"),
        ("CVE-2099-0001/cloud-init", "no `releases`"),
        ("CVE-2099-0002/cloud-init", "issue entry is not an object"),
    ]
    .into_iter()
    .collect();
    assert_eq!(skipped, expected);
}

#[test]
fn osv_dev_samples_and_alias_groups() {
    let r = osv::import_path(&fixtures().join("osv-website"), "osv").expect("import");
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_eq!(r.imported.len(), 26);
    let groups = merge::group(&r.imported);
    let find = |id: &str| {
        groups
            .iter()
            .find(|g| g.ids.iter().any(|i| i == id))
            .expect(id)
    };
    // The upstream cycle is one vulnerability.
    let cycle = find("CYCLE-ROOT-1");
    assert_eq!(cycle.ids, ["CYCLE-ROOT-1", "CYCLE-ROOT-2", "CYCLE-ROOT-3"]);
    assert_eq!(cycle.members.len(), 3);
    // Single-upstream distro records join their CVE; bulletins do not merge CVEs.
    let g = find("UBUNTU-CVE-2023-21400");
    assert_eq!(g.primary, "CVE-2023-21400");
    assert!(!g.ids.iter().any(|i| i == "CVE-2023-4004"));
    let usn = find("USN-6315-1");
    assert_eq!(usn.ids, ["USN-6315-1"]);
    assert!(usn.bulletin_of.iter().any(|i| i == "CVE-2023-21400"));
    // Aliases merge and the CVE is primary.
    let alias = find("ALIAS-CVE-1");
    assert_eq!(alias.primary, "CVE-1");
    assert!(alias.ids.iter().any(|i| i == "ALIAS"));
    // Every id appears in exactly one group.
    let mut seen = BTreeSet::new();
    for g in &groups {
        for id in &g.ids {
            assert!(seen.insert(id.clone()), "{id} in two groups");
        }
    }

    let w = osv::import_path(&fixtures().join("osv-worker"), "osv").expect("import");
    assert_eq!(
        w.imported.len() + w.skipped.len(),
        count_files(&fixtures().join("osv-worker"))
    );
    let la = w
        .imported
        .iter()
        .find(|a| a.id == "OSV-TEST-last-affected-01")
        .expect("last affected");
    assert!(
        la.affected[0]
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .any(|e| matches!(e, wharf_vulndb::Event::LastAffected(_)))
    );
}

/// The full data sets, only when `../shared` is present.
#[test]
#[allow(clippy::print_stderr)]
fn full_shared_datasets() {
    let Some(s) = shared() else {
        eprintln!("../shared not present; skipping the full-data-set import");
        return;
    };
    // PyPA: 2,662 files = 2,661 OSV YAML + `.id-allocator`.
    let dir = s.join("pypa-advisory-database");
    let r = osv::import_path(&dir, "pypa").expect("pypa");
    let (imported, withdrawn) = check_no_loss(&dir, &r, 1);
    assert_eq!(count_files(&dir), 2662);
    assert_eq!((imported, withdrawn), (2651, 10));
    assert!(r.skipped.iter().any(|s| s.what.ends_with(".id-allocator")));

    let dir = s.join("golang-vulndb");
    let r = osv::import_path(&dir, "govulndb").expect("go");
    assert_eq!(count_files(&dir), 4291);
    assert_eq!(check_no_loss(&dir, &r, 0), (4274, 17));

    let dir = s.join("rustsec-advisory-db");
    let r = rustsec::import_dir(&dir).expect("rustsec");
    assert_eq!(count_files(&dir), 1225);
    assert_eq!(check_no_loss(&dir, &r, 0), (1212, 13));

    let c =
        kev::import_path(&s.join("cisa-kev/known_exploited_vulnerabilities.json")).expect("kev");
    assert_eq!(c.report.imported.len(), c.declared_count);

    let mut n = 0;
    for rel in std::fs::read_dir(s.join("alpine-secdb"))
        .expect("alpine")
        .flatten()
    {
        for repo in ["main.yaml", "community.yaml"] {
            let p = rel.path().join(repo);
            if p.exists() {
                let r = alpine::import_path(&p).expect("alpine");
                assert!(
                    r.skipped.iter().all(|s| s.reason.contains("CVE_2019-2426")
                        || s.reason.contains("CVE 2018-16859")),
                    "{:?}",
                    r.skipped
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 18);
}
