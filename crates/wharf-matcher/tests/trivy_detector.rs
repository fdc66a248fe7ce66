//! Trivy's detector fixtures, run through wharf's matcher.
//!
//! Each fixture is a vulnerability DB in trivy-db's bucket layout (as
//! YAML): `<os release>` or `<ecosystem>::<source>` → package → advisory
//! id → `{FixedVersion, Status, AffectedVersion, VulnerableVersions,
//! PatchedVersions, …}`. A small converter below turns it into wharf
//! [`Advisory`] records with OSV ecosystem strings, the `*.expected.json`
//! case's packages become an [`Inventory`], and the matches must equal the
//! expected detections (id, package, installed version, fixed versions,
//! fix state).
//!
//! Every case of every copied `*.expected.json` is either run or listed in
//! [`SKIPPED`] with the reason; a listed case that does not exist fails
//! the test, as does a case that is neither run nor listed.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_inventory::{ImageMeta, Inventory};
use wharf_matcher::{Database, FixState};
use wharf_types::{Ecosystem, OsInfo, Package, SourcePackage};
use wharf_vulndb::redhat::RepositoryCpes;
use wharf_vulndb::store::Snapshot;
use wharf_vulndb::{Advisory, Affected, Event, FixStatus, Range, RangeKind, SemverRequirements};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trivy-detector");

/// (expected file, case name, reason) of the cases not run.
const SKIPPED: &[(&str, &str, &str)] = &[
    // Error cases: trivy fails on a bucket whose value does not decode.
    // wharf never sees trivy-db buckets; its feed parsers validate at import.
    ("ospkg/debian.expected.json", "invalid bucket", INVALID_DB),
    ("ospkg/ubuntu.expected.json", "broken bucket", INVALID_DB),
    (
        "ospkg/alpine.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    (
        "ospkg/wolfi.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    (
        "ospkg/chainguard.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    (
        "ospkg/alma.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    (
        "ospkg/rocky.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    ("library.expected.json", "malformed JSON", INVALID_DB),
    (
        "ospkg/amazon.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    ("ospkg/photon.expected.json", "invalid bucket", INVALID_DB),
    ("ospkg/suse.expected.json", "broken bucket", INVALID_DB),
    ("ospkg/oracle.expected.json", "malformed", INVALID_DB),
    ("ospkg/redhat.expected.json", "broken value", INVALID_DB),
    // The fixture's installed Version is `3.10.0-326.36`: rpm forbids `-`
    // in Version and Release, and splits an EVR at the last `-` (wharf
    // does too, checked against librpm's labelCompare); trivy's
    // go-rpm-version splits at the first. The two read this invalid
    // version differently (the other `-`-version case agrees either way).
    (
        "ospkg/redhat.expected.json",
        "happy path: advisories have different arches",
        "invalid rpm version with `-`: rpm and trivy split it differently",
    ),
    ("ospkg/azure.expected.json", "broken advisory", INVALID_DB),
    ("ospkg/echo.expected.json", "sad path - invalid", INVALID_DB),
    (
        "ospkg/minimos.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    (
        "ospkg/bottlerocket.expected.json",
        "Get returns an error",
        INVALID_DB,
    ),
    // trivy looks an ESM release past its standard end of life up in a
    // separate `<release>-ESM` bucket (chosen by the clock against its
    // EOL table; the fixture has none for 19.04, so nothing is found).
    // wharf always looks up both the release's and its Ubuntu Pro (ESM)
    // advisories, so the same data yields the release's findings.
    (
        "ospkg/ubuntu.expected.json",
        "ubuntu 19.04-ESM, 19.04 is outdated",
        "trivy's clock-dependent switch to a separate ESM bucket",
    ),
    // Seal Security: the `seal.yaml` fixture is not in the shared copy
    // of the upstream test data.
    ("library.expected.json", "seal security pip package", SEAL),
    (
        "library.expected.json",
        "seal security rubygems package",
        SEAL,
    ),
    ("library.expected.json", "seal security npm package", SEAL),
    ("library.expected.json", "seal security go package", SEAL),
    ("library.expected.json", "seal security maven package", SEAL),
    (
        "library.expected.json",
        "seal security pip no-prefix package",
        SEAL,
    ),
    (
        "library.expected.json",
        "seal security npm no-prefix package",
        SEAL,
    ),
    (
        "library.expected.json",
        "go package with sp suffix falls back to default bucket",
        SEAL,
    ),
];

const INVALID_DB: &str =
    "malformed trivy-db bucket: a trivy-db decoding error, no wharf equivalent";
const SEAL: &str = "fixtures/seal.yaml is missing from the shared test data";

/// The expected files that were copied, with the wharf ecosystem and OS
/// family of their packages (`None` for the library driver, where the
/// ecosystem comes from the case).
const FILES: &[(&str, Option<(Ecosystem, &str)>)] = &[
    (
        "ospkg/debian.expected.json",
        Some((Ecosystem::Deb, "debian")),
    ),
    (
        "ospkg/ubuntu.expected.json",
        Some((Ecosystem::Deb, "ubuntu")),
    ),
    (
        "ospkg/alpine.expected.json",
        Some((Ecosystem::Apk, "alpine")),
    ),
    ("ospkg/wolfi.expected.json", Some((Ecosystem::Apk, "wolfi"))),
    (
        "ospkg/chainguard.expected.json",
        Some((Ecosystem::Apk, "chainguard")),
    ),
    ("ospkg/alma.expected.json", Some((Ecosystem::Rpm, "alma"))),
    ("ospkg/rocky.expected.json", Some((Ecosystem::Rpm, "rocky"))),
    (
        "ospkg/amazon.expected.json",
        Some((Ecosystem::Rpm, "amazon")),
    ),
    (
        "ospkg/photon.expected.json",
        Some((Ecosystem::Rpm, "photon")),
    ),
    (
        "ospkg/oracle.expected.json",
        Some((Ecosystem::Rpm, "oracle")),
    ),
    // The family depends on the case's distribution (see `family`).
    ("ospkg/suse.expected.json", Some((Ecosystem::Rpm, "suse"))),
    ("ospkg/azure.expected.json", Some((Ecosystem::Rpm, "azure"))),
    ("ospkg/echo.expected.json", Some((Ecosystem::Deb, "echo"))),
    (
        "ospkg/minimos.expected.json",
        Some((Ecosystem::Apk, "minimos")),
    ),
    (
        "ospkg/bottlerocket.expected.json",
        Some((Ecosystem::Rpm, "bottlerocket")),
    ),
    ("ospkg/redhat.expected.json", Some((Ecosystem::Rpm, "rhel"))),
    ("library.expected.json", None),
];

/// The wharf ecosystem of each library case's package.
const LIBRARY_CASES: &[(&str, Ecosystem)] = &[
    ("happy path", Ecosystem::Composer),
    ("case-sensitive go package", Ecosystem::Golang),
    ("non-prefixed buckets", Ecosystem::Composer),
    ("no patched versions in the advisory", Ecosystem::Composer),
    ("no vulnerable versions in the advisory", Ecosystem::Gem),
    ("no vulnerability", Ecosystem::Composer),
    ("duplicated version in advisory", Ecosystem::Pypi),
    ("Custom data for vulnerability", Ecosystem::Golang),
    ("julia package", Ecosystem::Julia),
];

#[derive(Clone, Copy, PartialEq)]
enum OsKind {
    /// Debian, Ubuntu: an empty fixed version is unfixed (or won't-fix).
    Deb,
    /// Alpine: like Debian, with `AffectedVersion` as the introduced version.
    Alpine,
    /// Wolfi, Chainguard, and the feeds that list fixes only (Amazon
    /// Linux, Photon OS, SUSE): trivy ignores entries without a fixed
    /// version.
    FixedOnly,
    /// AlmaLinux, Rocky: `name:stream::package` buckets are module streams;
    /// Rocky's `Entries` carry per-architecture fixes.
    Rpm,
    /// Oracle Linux: each of a value's `Entries` (Ksplice, FIPS and plain
    /// builds, per architecture) is a fix of its own.
    Oracle,
    /// Echo, Azure Linux / CBL-Mariner: a value without a fixed version
    /// (or none at all) is unfixed.
    Unfixed,
}

/// trivy-db OS bucket → OSV ecosystem string.
fn os_ecosystem(bucket: &str) -> Option<(String, OsKind)> {
    let (name, release) = bucket.split_once(' ').unwrap_or((bucket, ""));
    Some(match name {
        "debian" => (format!("Debian:{release}"), OsKind::Deb),
        "ubuntu" => (format!("Ubuntu:{release}"), OsKind::Deb),
        "alpine" => (format!("Alpine:v{release}"), OsKind::Alpine),
        "wolfi" => ("Wolfi".into(), OsKind::FixedOnly),
        "chainguard" => ("Chainguard".into(), OsKind::FixedOnly),
        "alma" => (format!("AlmaLinux:{release}"), OsKind::Rpm),
        "rocky" => (format!("Rocky Linux:{release}"), OsKind::Rpm),
        "echo" => ("Echo".into(), OsKind::Unfixed),
        "minimos" => ("MinimOS".into(), OsKind::FixedOnly),
        "bottlerocket" => ("Bottlerocket".into(), OsKind::FixedOnly),
        "CBL-Mariner" => (format!("CBL-Mariner:{release}"), OsKind::Unfixed),
        _ => {
            // Multi-word names: `amazon linux 2`, `Photon OS 1.0`,
            // `SUSE Linux Enterprise 15.3`, `openSUSE Leap 15.3`, …
            let (name, release) = bucket.rsplit_once(' ').unwrap_or((bucket, ""));
            return Some(match name {
                "amazon linux" => (format!("Amazon Linux:{release}"), OsKind::FixedOnly),
                "Photon OS" => (format!("Photon OS:{release}"), OsKind::FixedOnly),
                "Oracle Linux" => (format!("Oracle Linux:{release}"), OsKind::Oracle),
                "Azure Linux" => (format!("Azure Linux:{release}"), OsKind::Unfixed),
                "SUSE Linux Enterprise" => (
                    format!("SUSE Linux Enterprise Server:{release}"),
                    OsKind::FixedOnly,
                ),
                "SUSE Linux Enterprise Micro" => (
                    format!("SUSE Linux Enterprise Micro:{release}"),
                    OsKind::FixedOnly,
                ),
                "openSUSE Leap" => (format!("openSUSE:Leap {release}"), OsKind::FixedOnly),
                "openSUSE" if release == "Tumbleweed" => {
                    ("openSUSE:Tumbleweed".into(), OsKind::FixedOnly)
                }
                _ => return None,
            });
        }
    })
}

/// The os-release family of a case: the file's, or for SUSE and Azure
/// Linux the one of the case's distribution.
fn family<'a>(file_family: &'a str, case: &Value) -> &'a str {
    if file_family == "azure" {
        return match case["args"]["dist"].as_str() {
            Some("Mariner") => "mariner",
            _ => "azurelinux",
        };
    }
    if file_family != "suse" {
        return file_family;
    }
    match case["distribution"].as_str().unwrap_or_default() {
        "OpenSUSE" => "opensuse-leap",
        "OpenSUSETumbleweed" => "opensuse-tumbleweed",
        "SUSEEnterpriseLinuxMicro" => "sle-micro",
        _ => "sles",
    }
}

/// The OS of a case. trivy writes Ubuntu with ESM enabled as version
/// `20.04-ESM` (wharf: `extended_support`) and passes the apk
/// repositories' release beside the OS version (`repo.Release`).
fn case_os(family: &str, args: &Value) -> OsInfo {
    let version = args["osVer"].as_str().unwrap_or_default();
    let (version, esm) = match version.strip_suffix("-ESM") {
        Some(v) => (v, true),
        None => (version, false),
    };
    let repo = args["repo"]["Release"].as_str().map(str::to_owned);
    OsInfo {
        family: family.to_owned(),
        version: version.to_owned(),
        extended_support: esm,
        // Newer than the OS version in both cases, as wharf's OS
        // detection requires.
        repository_release: repo,
        ..OsInfo::default()
    }
}

/// trivy-db language bucket prefix → OSV ecosystem string.
fn lang_ecosystem(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "composer" => "Packagist",
        "go" => "Go",
        "pip" => "PyPI",
        "rubygems" => "RubyGems",
        "npm" => "npm",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "cargo" => "crates.io",
        "julia" => "Julia",
        _ => return None,
    })
}

/// trivy `types.Status` → wharf fix status (for an empty fixed version).
fn status(code: u64) -> FixStatus {
    match code {
        1 => FixStatus::NotAffected,
        5..=7 => FixStatus::WontFix, // will_not_fix, fix_deferred, end_of_life
        _ => FixStatus::Unfixed,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A trivy/GHSA constraint (`">= 4.2.0, < 4.2.7"`, `"< 4.2.3"`): an AND
/// of comparators, as one OSV range.
fn constraint_range(c: &str) -> Range {
    let mut events = Vec::new();
    for part in c.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (op, v) = [">=", "<=", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim().to_owned())))
            .unwrap_or_else(|| panic!("unsupported constraint {part:?} in {c:?}"));
        events.push(match op {
            ">=" => Event::Introduced(v),
            "<=" | "=" => Event::LastAffected(v),
            _ => Event::Fixed(v),
        });
    }
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        events.insert(0, Event::Introduced("0".into()));
    }
    Range {
        kind: RangeKind::Ecosystem,
        repo: None,
        events,
    }
}

/// Converts trivy-db fixture YAML files into wharf advisories.
fn convert(files: &[PathBuf]) -> Vec<Advisory> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let root: Value =
            yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for top in root.as_array().into_iter().flatten() {
            let bucket = top["bucket"].as_str().unwrap_or_default();
            let (ecosystem, kind) = if let Some((eco, kind)) = os_ecosystem(bucket) {
                (eco, Some(kind))
            } else if let Some(eco) = bucket.split_once("::").and_then(|(p, _)| lang_ecosystem(p)) {
                (eco.to_owned(), None)
            } else {
                // data-source, non-prefixed language buckets (trivy ignores
                // them), ecosystems wharf does not have.
                continue;
            };
            for pkg in top["pairs"].as_array().into_iter().flatten() {
                let pkg_bucket = pkg["bucket"].as_str().expect("package bucket");
                let (package, modularity) = match pkg_bucket.split_once("::") {
                    Some((module, name)) if matches!(kind, Some(OsKind::Rpm | OsKind::Oracle)) => {
                        (name.to_owned(), Some(module.to_owned()))
                    }
                    _ => (pkg_bucket.to_owned(), None),
                };
                for adv in pkg["pairs"].as_array().into_iter().flatten() {
                    let id = adv["key"].as_str().expect("advisory id");
                    let v = &adv["value"];
                    let mut af = Affected::new(ecosystem.clone(), package.clone());
                    af.modularity = modularity.clone();
                    let mut a = Advisory::new(id, format!("trivy-fixture:{bucket}"));
                    // Rocky and Oracle values list their fixes in
                    // `Entries`, each for some architectures (Oracle's
                    // also per Ksplice/FIPS flavour).
                    let entries = v["Entries"].as_array().filter(|e| !e.is_empty());
                    if let (Some(entries), Some(OsKind::Rpm | OsKind::Oracle)) = (entries, kind) {
                        for e in entries {
                            let Some(fixed) = e["FixedVersion"].as_str().filter(|f| !f.is_empty())
                            else {
                                continue;
                            };
                            let mut af = af.clone();
                            af.ranges.push(Range::fixed_in(fixed));
                            af.status = FixStatus::Fixed;
                            af.arches = strings(e.get("Arches"));
                            a.affected.push(af);
                        }
                        out.push(a);
                        continue;
                    }
                    match kind {
                        Some(kind) => {
                            let fixed = match v["FixedVersion"].as_str() {
                                Some(f) => f,
                                None if kind == OsKind::Unfixed => "",
                                None => continue,
                            };
                            let introduced = v["AffectedVersion"].as_str().unwrap_or("0");
                            let mut events = vec![Event::Introduced(introduced.to_owned())];
                            if fixed.is_empty() {
                                if matches!(kind, OsKind::FixedOnly | OsKind::Oracle) {
                                    continue;
                                }
                                af.status = status(v["Status"].as_u64().unwrap_or(0));
                            } else {
                                events.push(Event::Fixed(fixed.to_owned()));
                                af.status = FixStatus::Fixed;
                            }
                            af.ranges.push(Range {
                                kind: RangeKind::Ecosystem,
                                repo: None,
                                events,
                            });
                        }
                        None => {
                            let vulnerable = strings(v.get("VulnerableVersions"));
                            let patched = strings(v.get("PatchedVersions"));
                            if vulnerable.is_empty() {
                                af.requirements = Some(SemverRequirements {
                                    patched,
                                    unaffected: strings(v.get("UnaffectedVersions")),
                                });
                            } else {
                                af.ranges =
                                    vulnerable.iter().map(|c| constraint_range(c)).collect();
                            }
                        }
                    }
                    a.affected.push(af);
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The case's `i`-th package. Each is a package of its own (two arches
/// of one name are two packages), so each gets its own location.
/// Converts trivy-db's Red Hat buckets: `Red Hat` (package → RHSA or CVE
/// → `Entries` of fixed version, affected CPE indices, arches, CVEs,
/// status) and `Red Hat CPE` (CPE index → CPE, repository → indices).
///
/// Each RHSA entry becomes one advisory per CVE it lists (the RHSA in
/// `related`), as Red Hat's OSV records are keyed by product stream and
/// trivy reports per CVE; each affected CPE becomes an entry of ecosystem
/// `Red Hat:<product stream>`, the form OSV uses. A CVE key's entry
/// without a fixed version is that CVE's unfixed (or won't-fix) statement.
/// The `nvr` bucket is not used: wharf falls back to the release's default
/// repositories for images without content manifests.
fn convert_redhat(files: &[PathBuf]) -> (Vec<Advisory>, Vec<RepositoryCpes>) {
    let mut advisories = Vec::new();
    let mut cpes: Vec<(String, String)> = Vec::new();
    let mut repositories: Vec<(String, Vec<String>)> = Vec::new();
    let mut packages = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let root: Value =
            yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for top in root.as_array().into_iter().flatten() {
            for sub in top["pairs"].as_array().into_iter().flatten() {
                let name = sub["bucket"].as_str().unwrap_or_default().to_owned();
                match top["bucket"].as_str() {
                    Some("Red Hat") => packages.push((name, sub["pairs"].clone())),
                    Some("Red Hat CPE") => {
                        for kv in sub["pairs"].as_array().into_iter().flatten() {
                            let key = kv["key"].as_str().unwrap_or_default().to_owned();
                            match name.as_str() {
                                "cpe" => cpes
                                    .push((key, kv["value"].as_str().unwrap_or_default().into())),
                                "repository" => repositories.push((
                                    key,
                                    kv["value"]
                                        .as_array()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(Value::as_u64)
                                        .map(|i| i.to_string())
                                        .collect(),
                                )),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let cpe = |index: &Value| -> Option<String> {
        let i = index.as_u64()?.to_string();
        cpes.iter().find(|(k, _)| *k == i).map(|(_, c)| c.clone())
    };
    for (bucket, pairs) in packages {
        let (package, modularity) = match bucket.split_once("::") {
            Some((module, name)) => (name.to_owned(), Some(module.to_owned())),
            None => (bucket.clone(), None),
        };
        for adv in pairs.as_array().into_iter().flatten() {
            let key = adv["key"].as_str().expect("advisory key");
            for entry in adv["value"]["Entries"].as_array().into_iter().flatten() {
                let fixed = entry["FixedVersion"].as_str().filter(|f| !f.is_empty());
                let mut template = Affected::new(String::new(), package.clone());
                template.modularity.clone_from(&modularity);
                template.arches = strings(entry.get("Arches"));
                match fixed {
                    Some(f) => {
                        template.ranges.push(Range::fixed_in(f));
                        template.status = FixStatus::Fixed;
                    }
                    None => template.status = status(entry["Status"].as_u64().unwrap_or(0)),
                }
                let affected: Vec<Affected> = entry["Affected"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(&cpe)
                    .filter_map(|c| {
                        let stream = wharf_vulndb::redhat::product_stream(&c)?;
                        let mut af = template.clone();
                        af.ecosystem = format!("Red Hat:{stream}");
                        Some(af)
                    })
                    .collect();
                let mut ids: Vec<&str> = entry["Cves"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["ID"].as_str())
                    .collect();
                if key.starts_with("CVE-") || ids.is_empty() {
                    ids = vec![key];
                }
                for id in ids {
                    let mut a = Advisory::new(id, "trivy-fixture:Red Hat");
                    if id != key {
                        a.related.push(key.to_owned());
                    }
                    a.affected.clone_from(&affected);
                    advisories.push(a);
                }
            }
        }
    }
    let repository_cpes = repositories
        .into_iter()
        .map(|(repository, indices)| RepositoryCpes {
            repository,
            cpes: indices
                .iter()
                .filter_map(|i| cpes.iter().find(|(k, _)| k == i).map(|(_, c)| c.clone()))
                .collect(),
        })
        .collect();
    (advisories, repository_cpes)
}

fn os_package(eco: Ecosystem, i: usize, p: &Value) -> Package {
    let s = |k: &str| p.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let name = s("Name").expect("Name");
    // A package without a version (a case of its own) matches nothing.
    let mut version = s("Version").unwrap_or_default().to_owned();
    let mut src_version = s("SrcVersion").map(str::to_owned);
    // trivy splits rpm (and Echo's dpkg) versions at the release.
    if matches!(eco, Ecosystem::Rpm | Ecosystem::Deb) {
        if let Some(r) = s("Release") {
            version = format!("{version}-{r}");
        }
        if let (Some(v), Some(r)) = (&src_version, s("SrcRelease")) {
            src_version = Some(format!("{v}-{r}"));
        }
    }
    let mut pkg = Package::new(eco, name, version, format!("fixture#{i}"));
    pkg.epoch = p
        .get("Epoch")
        .and_then(Value::as_u64)
        .filter(|e| *e > 0)
        .map(|e| u32::try_from(e).expect("epoch"));
    pkg.arch = s("Arch").map(str::to_owned);
    pkg.modularity_label = s("Modularitylabel").map(str::to_owned);
    pkg.source = s("SrcName").map(|n| SourcePackage {
        name: n.to_owned(),
        version: src_version,
    });
    pkg
}

/// (package, id, installed version, fixed versions, state).
type Finding = (String, String, String, BTreeSet<String>, FixState);

fn expected(want: &Value) -> BTreeSet<Finding> {
    want.as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let s = |k: &str| w.get(k).and_then(Value::as_str).unwrap_or_default();
            let fixed: BTreeSet<String> = s("FixedVersion")
                .split(", ")
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            let state = match s("Status") {
                "StatusWillNotFix" | "StatusFixDeferred" | "StatusEndOfLife" => FixState::WontFix,
                _ if fixed.is_empty() => FixState::Unfixed,
                _ => FixState::Fixed,
            };
            (
                s("PkgName").to_owned(),
                s("VulnerabilityID").to_owned(),
                s("InstalledVersion").to_owned(),
                fixed,
                state,
            )
        })
        .collect()
}

fn run_case(file: &str, os: Option<(Ecosystem, &str)>, case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or_default();
    let dir = Path::new(FIXTURES)
        .join(file)
        .parent()
        .expect("dir")
        .to_owned();
    let base = dir.join(
        file.rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".expected.json"),
    );
    let fixtures: Vec<PathBuf> = strings(case.get("fixtures"))
        .iter()
        .map(|f| {
            if file.starts_with("ospkg/") {
                base.join(f)
            } else {
                dir.join("library").join(f)
            }
        })
        .collect();
    let (advisories, repository_cpes) = if file == "ospkg/redhat.expected.json" {
        convert_redhat(&fixtures)
    } else {
        (convert(&fixtures), Vec::new())
    };
    let db = Database::from_snapshot(Snapshot {
        snapshot_id: "trivy-fixture".into(),
        advisories,
        kev: Vec::new(),
        epss: Vec::new(),
        repository_cpes,
    });
    let args = &case["args"];
    let (os_info, packages) = match os {
        Some((eco, file_family)) => (
            Some(OsInfo {
                // The content sets of the case's packages (one each).
                content_sets: args["pkgs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| strings(p["BuildInfo"].get("ContentSets")))
                    .collect(),
                ..case_os(family(file_family, case), args)
            }),
            // Bottlerocket's cases list the packages beside `args`.
            args["pkgs"]
                .as_array()
                .or_else(|| case["pkgs"].as_array())
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| os_package(eco, i, p))
                .collect(),
        ),
        None => {
            let eco = LIBRARY_CASES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, e)| *e)
                .ok_or_else(|| format!("no ecosystem listed for library case {name:?}"))?;
            let p = Package::new(
                eco,
                args["pkgName"].as_str().expect("pkgName"),
                args["pkgVer"].as_str().expect("pkgVer"),
                "fixture",
            );
            (None, vec![p])
        }
    };
    let inv = Inventory {
        schema_version: wharf_inventory::INVENTORY_SCHEMA_VERSION,
        image: ImageMeta::default(),
        os: os_info,
        packages,
        diagnostics: Vec::new(),
        analyzers: Vec::new(),
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    };
    let got: BTreeSet<Finding> = db
        .match_inventory(&inv)
        .into_iter()
        .map(|m| {
            (
                m.package,
                m.id,
                m.installed_version,
                // An explicit zero epoch (`0:9.16.15-1.cm1`, as Azure
                // Linux's data writes it) is no epoch; trivy drops it.
                m.fixed_versions
                    .into_iter()
                    .map(|f| f.strip_prefix("0:").map(str::to_owned).unwrap_or(f))
                    .collect(),
                m.state,
            )
        })
        .collect();
    let want = expected(&case["want"]);
    if got == want {
        Ok(())
    } else {
        Err(format!("{file} / {name}:\n  want {want:?}\n  got  {got:?}"))
    }
}

#[test]
#[allow(clippy::print_stderr)] // a one-line summary of what ran
fn trivy_detector_fixtures() {
    let mut seen_skips = HashSet::new();
    let mut failures = Vec::new();
    let mut passed = 0;
    for (file, os) in FILES {
        let path = Path::new(FIXTURES).join(file);
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read expected"))
                .expect("expected json");
        for case in doc["cases"].as_array().expect("cases") {
            // Only detection cases; `IsSupportedVersion` (EOL dates) is
            // not a matcher concern.
            if case.get("fixtures").is_none() {
                continue;
            }
            let name = case["name"].as_str().unwrap_or_default();
            if let Some(skip) = SKIPPED.iter().find(|(f, n, _)| f == file && *n == name) {
                seen_skips.insert((skip.0, skip.1));
                continue;
            }
            assert!(
                case.get("wantErr").is_none(),
                "{file} / {name}: error case neither run nor listed in SKIPPED"
            );
            match run_case(file, *os, case) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(e),
            }
        }
    }
    let missing: Vec<_> = SKIPPED
        .iter()
        .filter(|(f, n, _)| !seen_skips.contains(&(*f, *n)))
        .collect();
    assert!(
        missing.is_empty(),
        "SKIPPED lists cases that do not exist: {missing:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "trivy detector fixtures: {passed} passed, {} skipped",
        SKIPPED.len()
    );
    // Every copied expectation file is listed in FILES.
    let mut copied: Vec<String> = std::fs::read_dir(Path::new(FIXTURES).join("ospkg"))
        .expect("ospkg")
        .filter_map(Result::ok)
        .map(|e| format!("ospkg/{}", e.file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".expected.json"))
        .chain(["library.expected.json".to_owned()])
        .collect();
    copied.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(f, _)| (*f).to_owned()).collect();
    listed.sort();
    assert_eq!(copied, listed, "expectation files not in FILES");
    // Every case of every copied file is run or skipped with a reason; a
    // file left out of FILES, or a case lost in conversion, changes this.
    assert_eq!(passed, 65, "cases run");
}
