//! One expectation through every source form — registry, OCI layout,
//! docker-archive, root directory — and across split layers with whiteouts;
//! the layer cache; tampered blobs; multi-platform selection.
//!
//! A small test analyzer (`pkgs.txt`: one `name version` per line) keeps
//! these tests about the machinery, not about package formats.

use std::collections::BTreeSet;
use std::sync::Arc;

use wharf_analyzers::{Analyzer, AnalyzerSet, File, Output, ParseError};
use wharf_image::{ImageError, ScanOptions, Source, scan};
use wharf_inventory::Inventory;
use wharf_testkit::{
    BuiltImage, ImageBuilder, IndexBuilder, LayerBuilder, ManifestFormat, Platform, PushAuth,
    RegistryOptions, TestRegistry, write_docker_archive, write_oci_layout,
};
use wharf_types::{Ecosystem, Package};

struct Lines;

impl Analyzer for Lines {
    fn name(&self) -> &'static str {
        "lines"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/pkgs.txt", "etc/os-release"]
    }
    fn analyze(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
        let text = String::from_utf8_lossy(file.bytes).into_owned();
        if file.path == "etc/os-release" {
            return Ok(Some(Output::OsFile { content: text }));
        }
        let packages = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, v)| Package::new(Ecosystem::Npm, n, v, file.path))
            .collect();
        Ok(Some(Output::Packages { packages }))
    }
}

fn options(cache: Option<&std::path::Path>) -> ScanOptions {
    ScanOptions {
        platform: None,
        client: wharf_registry::ClientConfig::default(),
        limits: wharf_layer::Limits::default(),
        cache_root: cache.map(std::path::Path::to_path_buf),
        analyzers: Arc::new(AnalyzerSet::new(vec![Box::new(Lines)]).expect("analyzer set")),
        layer_concurrency: 2,
    }
}

/// Three layers: base packages; an upgrade plus a whiteout; an opaque
/// directory that hides a lower directory and adds one file.
fn split_image(platform: &Platform, marker: &str) -> BuiltImage {
    let l1 = LayerBuilder::new()
        .file(
            "etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            0o644,
        )
        .file("app/pkgs.txt", "left-pad 1.0.0\nlodash 4.17.20\n", 0o644)
        .file("old/pkgs.txt", "gone 1.0\n", 0o644)
        .file("hidden/x/pkgs.txt", "hidden 1.0\n", 0o644)
        .file("usr/bin/su", "x", 0o4755)
        .file("var/lib/apt/lists/deb_Packages", "index", 0o644)
        .build()
        .expect("layer 1");
    let l2 = LayerBuilder::new()
        .file(
            "app/pkgs.txt",
            format!("left-pad 1.0.0\nlodash 4.17.21\n{marker} 1\n"),
            0o644,
        )
        .file("old/.wh.pkgs.txt", "", 0o644)
        .file("var/lib/apt/lists/.wh.deb_Packages", "", 0o644)
        .file("var/cache/apt/archives/curl.deb", "12345", 0o644)
        .build()
        .expect("layer 2");
    let l3 = LayerBuilder::new()
        .file("hidden/.wh..wh..opq", "", 0o644)
        .file("hidden/y/pkgs.txt", "visible 2.0\n", 0o644)
        .build()
        .expect("layer 3");
    ImageBuilder::new()
        .layer(l1)
        .layer(l2)
        .layer(l3)
        .platform(platform)
        .created("2026-01-01T00:00:00Z")
        .build()
        .expect("image")
}

/// What every form must yield: (name, version, 1-based layer number).
fn summary(inv: &Inventory) -> Vec<(String, String, Option<usize>)> {
    inv.packages
        .iter()
        .map(|p| {
            let layer = p
                .layer
                .as_ref()
                .and_then(|d| {
                    inv.image
                        .layers
                        .iter()
                        .position(|l| l.digest.as_ref() == Some(d))
                })
                .map(|i| i + 1);
            (p.name.clone(), p.version.clone(), layer)
        })
        .collect()
}

fn expected(marker: &str) -> Vec<(String, String, Option<usize>)> {
    let mut v = vec![
        ("left-pad".to_owned(), "1.0.0".to_owned(), Some(1)),
        ("lodash".to_owned(), "4.17.21".to_owned(), Some(2)),
        (marker.to_owned(), "1".to_owned(), Some(2)),
        ("visible".to_owned(), "2.0".to_owned(), Some(3)),
    ];
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_form_gives_the_same_inventory() {
    let image = split_image(&Platform::new("linux", "amd64"), "marker");
    let work = tempfile::tempdir().expect("tmp");

    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    registry
        .pusher(PushAuth::None)
        .expect("pusher")
        .push_image("team/app", "v1", &image)
        .await
        .expect("push");
    let layout = work.path().join("layout");
    write_oci_layout(&layout, &image, "v1").expect("layout");
    let archive = work.path().join("image.tar");
    write_docker_archive(&archive, &image, "team/app:v1").expect("archive");

    let sources = [
        format!("{}/team/app:v1", registry.host()),
        format!("oci:{}:v1", layout.display()),
        format!("docker-archive:{}", archive.display()),
    ];
    for s in &sources {
        let source: Source = s.parse().expect("source");
        let inv = scan(&source, &options(None))
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(inv.len(), 1, "{s}");
        let mut got = summary(&inv[0]);
        got.sort();
        assert_eq!(got, expected("marker"), "{s}");
        let os = inv[0].os.as_ref().expect("os identified");
        assert_eq!(
            (os.family.as_str(), os.version.as_str()),
            ("debian", "12"),
            "{s}"
        );
        assert_eq!(inv[0].image.layers.len(), 3);
        assert_eq!(inv[0].image.platform.as_deref(), Some("linux/amd64"));
        // File facts, through whiteouts, with the layer that added them.
        let layers = &inv[0].image.layers;
        let special: Vec<(&str, u32, Option<usize>)> = inv[0]
            .files
            .special
            .iter()
            .map(|f| {
                let n = layers
                    .iter()
                    .position(|l| l.digest == f.layer)
                    .map(|i| i + 1);
                (f.path.as_str(), f.mode, n)
            })
            .collect();
        assert_eq!(special, [("usr/bin/su", 0o4755, Some(1))], "{s}");
        let caches: Vec<(&str, u64, u64)> = inv[0]
            .files
            .package_caches
            .iter()
            .map(|c| (c.path.as_str(), c.files, c.bytes))
            .collect();
        assert_eq!(
            caches,
            [("var/cache/apt/archives", 1, 5)],
            "apt lists whited out: {s}"
        );
        let config = inv[0].image.config.as_ref().expect("runtime config");
        assert!(
            !config.redacted && config.env.iter().all(|e| e.value.is_none()),
            "{s}"
        );
    }

    // The same files as a root filesystem directory (no layers).
    let root = work.path().join("rootfs");
    for (path, content) in [
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        ("app/pkgs.txt", "left-pad 1.0.0\nlodash 4.17.21\nmarker 1\n"),
        ("hidden/y/pkgs.txt", "visible 2.0\n"),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    let inv = scan(
        &format!("dir:{}", root.display()).parse().expect("dir"),
        &options(None),
    )
    .await
    .expect("dir scan");
    let names: BTreeSet<(String, String)> = inv[0]
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = expected("marker")
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    assert_eq!(names, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_layers_are_not_read_again() {
    let work = tempfile::tempdir().expect("tmp");
    let cache = work.path().join("cache");
    let a = split_image(&Platform::new("linux", "amd64"), "first");
    let layout = work.path().join("layout");
    write_oci_layout(&layout, &a, "a").expect("layout");
    let source: Source = format!("oci:{}:a", layout.display())
        .parse()
        .expect("source");
    let cold = scan(&source, &options(Some(&cache))).await.expect("cold");
    assert!(cold[0].image.layers.iter().all(|l| !l.cached));
    // Remove the layer blobs: a warm scan must not need them.
    for l in &a.layers {
        std::fs::remove_file(layout.join("blobs/sha256").join(l.hex())).expect("remove blob");
    }
    let warm = scan(&source, &options(Some(&cache)))
        .await
        .expect("warm scan from cache");
    assert!(warm[0].image.layers.iter().all(|l| l.cached));
    assert_eq!(warm[0].packages, cold[0].packages);
    // Without the cache the missing blobs are an error naming the layer.
    let err = scan(&source, &options(None))
        .await
        .expect_err("blobs are gone");
    assert!(err.to_string().contains("sha256:"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_layer_fails_and_is_not_cached() {
    let work = tempfile::tempdir().expect("tmp");
    let cache = work.path().join("cache");
    let image = split_image(&Platform::new("linux", "amd64"), "x");
    let layout = work.path().join("layout");
    write_oci_layout(&layout, &image, "v1").expect("layout");
    // Flip a byte of the gzip trailer: the layer no longer matches its digest.
    let blob = layout.join("blobs/sha256").join(image.layers[1].hex());
    let mut bytes = std::fs::read(&blob).expect("blob");
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    std::fs::write(&blob, &bytes).expect("tamper");
    let source: Source = format!("oci:{}:v1", layout.display())
        .parse()
        .expect("source");
    let err = scan(&source, &options(Some(&cache)))
        .await
        .expect_err("tampered");
    assert!(matches!(err, ImageError::Layer { .. }), "{err}");
    assert!(err.to_string().contains(&image.layers[1].digest), "{err}");
    // Nothing was cached for the tampered layer.
    let fresh = scan(&source, &options(Some(&cache)))
        .await
        .expect_err("still tampered");
    assert!(matches!(fresh, ImageError::Layer { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_by_default_or_the_one_asked_for() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let index = IndexBuilder::new(ManifestFormat::Oci)
        .image(split_image(&Platform::new("linux", "amd64"), "amd"))
        .image(split_image(
            &Platform::new("linux", "arm64").with_variant("v8"),
            "arm",
        ))
        .with_attestations(true)
        .build()
        .expect("index");
    registry
        .pusher(PushAuth::None)
        .expect("pusher")
        .push_index("multi/app", "1", &index)
        .await
        .expect("push");
    let source: Source = format!("{}/multi/app:1", registry.host())
        .parse()
        .expect("source");
    let all = scan(&source, &options(None)).await.expect("all platforms");
    let platforms: Vec<&str> = all
        .iter()
        .filter_map(|i| i.image.platform.as_deref())
        .collect();
    assert_eq!(
        platforms,
        ["linux/amd64", "linux/arm64/v8"],
        "attestations skipped"
    );
    assert!(all[0].packages.iter().any(|p| p.name == "amd"));
    assert!(all[1].packages.iter().any(|p| p.name == "arm"));
    let mut opts = options(None);
    opts.platform = Some("linux/arm64".parse().expect("platform"));
    let one = scan(&source, &opts).await.expect("one platform");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].image.platform.as_deref(), Some("linux/arm64/v8"));
    opts.platform = Some("windows/amd64".parse().expect("platform"));
    let err = scan(&source, &opts).await.expect_err("no such platform");
    assert!(err.to_string().contains("windows/amd64"), "{err}");
}
