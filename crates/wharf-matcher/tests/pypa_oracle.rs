//! An image with old PyPI packages (requests 2.19.1, urllib3 1.24.1,
//! Django 2.2.1) is matched against the PyPA advisory records, and the
//! result must equal what an independent evaluation of the same records
//! gives: a Python script using pypa/packaging (the reference PEP 440
//! implementation) and PyYAML, installed from PyPI into a temp directory.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use wharf_image::{ScanOptions, Source, scan};
use wharf_matcher::Database;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pypa");
const PACKAGES: [(&str, &str); 3] = [
    ("requests", "2.19.1"),
    ("urllib3", "1.24.1"),
    ("Django", "2.2.1"),
];

const ORACLE: &str = r#"
import sys, json, pathlib, yaml
from packaging.version import Version, InvalidVersion
from packaging.utils import canonicalize_name

installed = {canonicalize_name(n): Version(v) for n, v in json.loads(sys.argv[2])}
hits = set()

def affected(v, events):
    # The OSV reference algorithm: sort events, walk them.
    evs = []
    for e in events:
        (kind, ver), = e.items()
        if kind == "limit":
            continue
        key = (0, None) if (kind == "introduced" and ver == "0") else (1, Version(ver))
        evs.append((key, {"introduced": 0, "fixed": 1, "last_affected": 2}[kind]))
    evs.sort(key=lambda x: (x[0][0], x[0][1] or Version("0"), x[1]))
    hit = False
    for (_, ver), kind in evs:
        if kind == 0 and (ver is None or v >= ver):
            hit = True
        elif kind == 1 and v >= ver:
            hit = False
        elif kind == 2 and v > ver:
            hit = False
    return hit

for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml")):
    rec = yaml.safe_load(path.read_text())
    if rec.get("withdrawn"):
        continue
    for a in rec.get("affected", []):
        pkg = a.get("package", {})
        if pkg.get("ecosystem") != "PyPI":
            continue
        name = canonicalize_name(pkg.get("name", ""))
        if name not in installed:
            continue
        v = installed[name]
        listed = False
        for s in a.get("versions", []) or []:
            try:
                listed = listed or Version(s) == v
            except InvalidVersion:
                pass
        ranged = any(affected(v, r.get("events", [])) for r in a.get("ranges", []) or [] if r.get("type") == "ECOSYSTEM")
        if listed or ranged:
            hits.add((rec["id"], name))
print(json.dumps(sorted(hits)))
"#;

fn oracle(work: &Path) -> BTreeSet<(String, String)> {
    let site = work.join("pylib");
    let install = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
        ])
        .arg(&site)
        .args(["packaging==24.1", "PyYAML==6.0.2"])
        .output()
        .expect("python3 with pip");
    assert!(
        install.status.success(),
        "pip install failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let installed = serde_json::to_string(&PACKAGES).expect("json");
    let out = Command::new("python3")
        .env("PYTHONPATH", &site)
        .args(["-c", ORACLE, FIXTURES, &installed])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pairs: Vec<(String, String)> = serde_json::from_slice(&out.stdout).expect("oracle output");
    pairs.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_pypi_packages_match_exactly_what_the_reference_evaluation_finds() {
    let work = tempfile::tempdir().expect("tmp");
    // An image root with the packages' dist-info metadata, as pip installs them.
    let root = work.path().join("rootfs");
    for (name, version) in PACKAGES {
        let dir = root.join(format!(
            "usr/local/lib/python3.11/site-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"),
        )
        .expect("write");
    }
    let options = ScanOptions {
        platform: None,
        client: wharf_registry::ClientConfig::default(),
        limits: wharf_layer::Limits::default(),
        cache_root: None,
        analyzers: Arc::new(wharf_analyzers::builtin()),
        layer_concurrency: 1,
    };
    let source: Source = format!("dir:{}", root.display()).parse().expect("source");
    let inventory = scan(&source, &options).await.expect("scan").remove(0);
    assert_eq!(inventory.packages.len(), 3);

    let db_dir = work.path().join("db");
    let spec = format!("osv:{FIXTURES}").parse().expect("spec");
    wharf_vulndb::store::update(&db_dir, &[spec], &reqwest::Client::new())
        .await
        .expect("import");
    let db = Database::load(&db_dir).expect("load");
    let matches = db.match_inventory(&inventory);

    let got: BTreeSet<(String, String)> = matches
        .iter()
        .map(|m| {
            (
                m.advisory.clone(),
                wharf_matcher::normalize_name("PyPI", &m.package),
            )
        })
        .collect();
    let want = oracle(work.path());
    assert!(
        want.len() > 20,
        "the reference finds {} — fixtures incomplete?",
        want.len()
    );
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );

    // Provenance on every match.
    for m in &matches {
        assert_eq!(m.snapshot_id, db.snapshot_id());
        assert!(m.source.starts_with("osv:"), "{}", m.source);
        assert_eq!(m.locations.len(), 1);
        assert!(m.locations[0].ends_with("/METADATA"));
        assert!(!m.fixed_versions.is_empty() || m.state != wharf_matcher::FixState::Fixed);
    }
    // One known case checked by hand: CVE-2018-18074 (requests < 2.20.0).
    let cve = matches
        .iter()
        .find(|m| m.id == "CVE-2018-18074" || m.aliases.iter().any(|a| a == "CVE-2018-18074"));
    let cve = cve.expect("CVE-2018-18074 matched");
    assert_eq!(cve.package, "requests");
    assert_eq!(cve.fixed_versions, ["2.20.0"]);
}
