//! `wharf sbom` end to end on images built from real fixtures: table
//! snapshot, JSON against the published schema, cache, errors.

mod common;

use std::path::Path;

use common::{args, text, validate_against_schema, wharf};
use wharf_testkit::{ImageBuilder, LayerBuilder, write_oci_layout};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-analyzers/tests/fixtures"
);

fn fixture(p: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A two-layer Debian-like image: dpkg database and os-release in layer 1,
/// a Python package and an npm lockfile in layer 2.
fn layout(dir: &Path) {
    let base = LayerBuilder::new()
        .file(
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            0o644,
        )
        .file("var/lib/dpkg/status", fixture("os/dpkg/osv-scalibr/dpkg/single"), 0o644)
        .build()
        .expect("base layer");
    let app = LayerBuilder::new()
        .file(
            "usr/local/lib/python3.11/site-packages/distlib-0.3.1.dist-info/METADATA",
            fixture("lang/python/trivy-analyzer/python-packaging/happy-dist/distlib-0.3.1.dist-info/METADATA"),
            0o644,
        )
        .file("srv/web/package-lock.json", fixture("lang/npm/trivy-analyzer/nodejs-npm/happy/package-lock.json"), 0o644)
        .build()
        .expect("app layer");
    let image = ImageBuilder::new()
        .layer(base)
        .layer(app)
        .created("2026-05-01T00:00:00Z")
        .label("owner", "team-a")
        .build()
        .expect("image");
    write_oci_layout(dir, &image, "v1").expect("layout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_json_and_cache() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("layout");
    layout(&dir);
    let source = format!("oci:{}:v1", dir.display());
    let cache = work.path().join("cache").display().to_string();

    let out = wharf(
        args(&["sbom", &source, "--cache-dir", &cache, "-q"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout).replace(&dir.display().to_string(), "<layout>");
    insta::assert_snapshot!("sbom_table", table);

    let out = wharf(
        args(&["sbom", &source, "--cache-dir", &cache, "--format", "json"]),
        vec![],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    validate_against_schema(&json, "sbom-v1.schema.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let image = &v["images"][0];
    assert_eq!(image["os"]["family"], "debian");
    assert_eq!(image["image"]["labels"]["owner"], "team-a");
    // The second run read nothing: every layer came from the cache.
    let layers = image["image"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    assert!(layers.iter().all(|l| l["cached"] == true), "{layers:?}");
    let ecosystems: std::collections::BTreeSet<&str> = image["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["ecosystem"].as_str())
        .collect();
    assert_eq!(
        ecosystems.into_iter().collect::<Vec<_>>(),
        ["deb", "npm", "pypi"]
    );
}

/// CycloneDX 1.6 and SPDX 2.3 from the CLI, valid against the official
/// schemas vendored with wharf-inventory's tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyclonedx_and_spdx_are_valid() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("layout");
    layout(&dir);
    let source = format!("oci:{}:v1", dir.display());
    let schemas =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../wharf-inventory/tests/fixtures/schemas");
    for (format, schema) in [
        ("cyclonedx", "bom-1.6.SNAPSHOT.schema.json"),
        ("spdx", "spdx-2.3.schema.json"),
    ] {
        let out = wharf(
            args(&["sbom", &source, "--no-cache", "-q", "--format", format]),
            vec![],
            None,
        )
        .await;
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        let doc = work.path().join(format!("{format}.json"));
        std::fs::write(&doc, &out.stdout).expect("write");
        let check = std::process::Command::new("python3")
            .current_dir(&schemas)
            .args([
                "-c",
                "import json,sys,pathlib,jsonschema\n\
                 from referencing import Registry, Resource\n\
                 store=[(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in pathlib.Path('.').glob('*.json')]\n\
                 reg=Registry().with_resources(store + [('http://cyclonedx.org/schema/'+n, r) for n, r in store])\n\
                 schema=json.load(open(sys.argv[2]))\n\
                 jsonschema.validators.validator_for(schema)(schema, registry=reg).validate(json.load(open(sys.argv[1])))",
            ])
            .arg(&doc)
            .arg(schema)
            .output()
            .expect("python3 with jsonschema");
        assert!(
            check.status.success(),
            "{format} invalid: {}",
            text(&check.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let text = v.to_string();
        assert!(
            text.contains("pkg:deb/debian/acl@2.3.1-3"),
            "{format}: deb purl missing"
        );
        assert!(
            text.contains("pkg:pypi/distlib@0.3.1"),
            "{format}: pypi purl missing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_exit_2_with_a_clear_message() {
    let out = wharf(args(&["sbom", "oci:/nonexistent/layout:v1"]), vec![], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/layout/index.json"),
        "{}",
        text(&out.stderr)
    );
    let out = wharf(
        args(&["sbom", "dir:/tmp", "--platform", "linux"]),
        vec![],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2");
    assert!(
        text(&out.stderr).contains("os/arch"),
        "{}",
        text(&out.stderr)
    );
    let out = wharf(args(&["sbom", "Not/A/Valid/Ref"]), vec![], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lowercase"),
        "{}",
        text(&out.stderr)
    );
    let out = wharf(args(&["sbom", "--help"]), vec![], None).await;
    assert!(out.status.success());
    for flag in [
        "--platform",
        "--format",
        "--cache-dir",
        "--no-cache",
        "--ca-cert",
        "--username",
    ] {
        assert!(text(&out.stdout).contains(flag), "sbom --help lacks {flag}");
    }
}
