//! The analyzer test harness: one root filesystem assembled from real
//! fixtures (dpkg, Python, npm, Cargo, .NET, RubyGems, Composer; see
//! `crates/wharf-analyzers/tests/fixtures/*/SOURCES*.md`) is analysed with
//! the built-in analyzers as a directory, as a tar, a tar.gz, a tar.zst,
//! and split across three layers with a whiteout and an opaque directory —
//! and must give the same inventory every time.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use wharf_analyzers::{AnalyzerSet, LayerReport, builtin};
use wharf_inventory::merge;
use wharf_layer::Limits;
use wharf_types::{Digest, Ecosystem, OsInfo};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-analyzers/tests/fixtures"
);

/// Image path → fixture file.
fn rootfs() -> BTreeMap<&'static str, Vec<u8>> {
    let files = [
        (
            "var/lib/dpkg/status",
            "os/dpkg/trivy/valid/var/lib/dpkg/status",
        ),
        (
            "etc/debian_version",
            "os/os-release/trivy/debian/debian_9/etc/debian_version",
        ),
        (
            "usr/lib/python3/dist-packages/distlib-0.3.1.dist-info/METADATA",
            "lang/python/trivy-analyzer/python-packaging/happy-dist/distlib-0.3.1.dist-info/METADATA",
        ),
        (
            "usr/lib/python3/dist-packages/setuptools-51.3.3.egg-info/PKG-INFO",
            "lang/python/trivy-analyzer/python-packaging/classifier-license-egg/setuptools-51.3.3.egg-info/PKG-INFO",
        ),
        (
            "srv/web/package-lock.json",
            "lang/npm/trivy-analyzer/nodejs-npm/happy/package-lock.json",
        ),
        (
            "srv/tool/Cargo.lock",
            "lang/cargo/osv-scalibr/cargolock/many-packages.lock",
        ),
        (
            "srv/api/datacollector.deps.json",
            "lang/dotnet/trivy-analyzer/dotnet-deps/datacollector.deps.json",
        ),
        (
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            "lang/ruby/wharf-gemspec/specifications/rake-13.0.6.gemspec",
        ),
        (
            "srv/php/vendor/composer/installed.json",
            "lang/php/trivy-analyzer/php-composer/composer-vendor/happy/installed.json",
        ),
    ];
    files
        .into_iter()
        .map(|(to, from)| {
            let bytes = std::fs::read(Path::new(FIXTURES).join(from))
                .unwrap_or_else(|e| panic!("{from}: {e}"));
            (to, bytes)
        })
        .collect()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        b.append_data(&mut h, path, *data).expect("append");
    }
    b.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// (ecosystem, name, version, locations, layer index) of every package, plus the OS.
type Outcome = (
    Vec<(Ecosystem, String, String, Vec<String>)>,
    Option<OsInfo>,
);

fn outcome(set: &AnalyzerSet, layers: &[Vec<u8>]) -> (Outcome, Vec<Option<usize>>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let reports: Vec<LayerReport> = layers
        .iter()
        .map(|l| {
            set.analyze_layer(&l[..], &Limits::default(), tmp.path())
                .expect("layer")
        })
        .collect();
    let digests: Vec<Digest> = layers.iter().map(|l| Digest::sha256_of(l)).collect();
    let input: Vec<(Option<Digest>, &LayerReport)> =
        digests.iter().cloned().map(Some).zip(&reports).collect();
    summarize(&input, &digests)
}

fn summarize(
    input: &[(Option<Digest>, &LayerReport)],
    digests: &[Digest],
) -> (Outcome, Vec<Option<usize>>) {
    let merged = merge(input);
    assert!(
        merged.diagnostics.is_empty(),
        "unexpected diagnostics: {:?}",
        merged.diagnostics
    );
    let os = wharf_analyzers::os_release::identify(&merged.os_files);
    let layers = merged
        .packages
        .iter()
        .map(|p| {
            p.layer
                .as_ref()
                .and_then(|l| digests.iter().position(|d| d == l))
        })
        .collect();
    let pkgs = merged
        .packages
        .into_iter()
        .map(|p| (p.ecosystem, p.full_version(), p.name, p.locations))
        .map(|(e, v, n, l)| (e, n, v, l))
        .collect();
    ((pkgs, os), layers)
}

#[test]
fn one_fixture_through_every_form() {
    let set = builtin();
    let files = rootfs();
    let all: Vec<(&str, &[u8])> = files.iter().map(|(k, v)| (*k, v.as_slice())).collect();

    // Directory.
    let dir = tempfile::tempdir().expect("tmp");
    for (path, data) in &all {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write");
    }
    let report = set.analyze_dir(dir.path()).expect("dir");
    let (reference, _) = summarize(&[(None, &report)], &[]);

    // The reference itself must be right: every ecosystem present, the OS found.
    let ecosystems: std::collections::BTreeSet<Ecosystem> =
        reference.0.iter().map(|p| p.0).collect();
    for e in [
        Ecosystem::Deb,
        Ecosystem::Pypi,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Nuget,
        Ecosystem::Gem,
        Ecosystem::Composer,
    ] {
        assert!(
            ecosystems.contains(&e),
            "no {e} package found: {ecosystems:?}"
        );
    }
    assert_eq!(
        reference
            .1
            .as_ref()
            .map(|o| (o.family.as_str(), o.version.as_str())),
        Some(("debian", "9.8"))
    );
    let debs = reference.0.iter().filter(|p| p.0 == Ecosystem::Deb).count();
    assert!(
        debs > 80,
        "the Trivy 'valid' status file lists about 90 installed packages, got {debs}"
    );

    // One layer: tar, tar.gz, tar.zst.
    let tar = tar_of(&all);
    for (form, layer) in [
        ("tar", tar.clone()),
        ("tar.gz", gzip(&tar)),
        ("tar.zst", zstd::encode_all(&tar[..], 3).expect("zstd")),
    ] {
        let (got, layers) = outcome(&set, &[layer]);
        assert_eq!(got, reference, "{form}");
        assert!(
            layers.iter().all(|l| *l == Some(0)),
            "{form}: every package from the only layer"
        );
    }

    // Split: the OS packages in layer 1 with decoys; languages in layer 2,
    // which deletes one decoy by whiteout; layer 3 hides a decoy directory.
    let (os_files, lang_files): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|(p, _)| p.starts_with("var/") || p.starts_with("etc/"));
    let decoy_lock: &[u8] =
        br#"{"lockfileVersion":3,"packages":{"node_modules/decoy":{"version":"6.6.6"}}}"#;
    let mut l1: Vec<(&str, &[u8])> = os_files.clone();
    l1.push(("opt/old/package-lock.json", decoy_lock));
    l1.push(("opt/hidden/package-lock.json", decoy_lock));
    let mut l2: Vec<(&str, &[u8])> = lang_files.clone();
    l2.push(("opt/old/.wh.package-lock.json", b""));
    let l3: Vec<(&str, &[u8])> = vec![("opt/hidden/.wh..wh..opq", b"")];
    let layers = [
        gzip(&tar_of(&l1)),
        zstd::encode_all(&tar_of(&l2)[..], 3).expect("zstd"),
        tar_of(&l3),
    ];
    let (got, origin) = outcome(&set, &layers);
    assert_eq!(got, reference, "split layers with whiteouts");
    for (p, layer) in got.0.iter().zip(&origin) {
        let want = if p.0 == Ecosystem::Deb {
            Some(0)
        } else {
            Some(1)
        };
        assert_eq!(
            *layer, want,
            "{} {} attributed to the wrong layer",
            p.1, p.2
        );
    }
}
