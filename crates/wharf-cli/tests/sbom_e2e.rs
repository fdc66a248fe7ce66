//! `wharf sbom` end to end, with real components and no mocks.
//!
//! One image is built per test run from three real installs: a Debian
//! bookworm root filesystem made by `debootstrap --variant=minbase` (layer
//! 1), Python distributions installed by pip (layer 2) and a Node
//! application installed by npm (layer 3). It is pushed to a real
//! Distribution registry, written as an OCI layout and as a `docker save`
//! archive, and scanned by the real `wharf` binary. What wharf reports is
//! compared with independent oracles: `dpkg-query` over the root
//! filesystem's database, the `*.dist-info/METADATA` files pip wrote, the
//! `node_modules` tree and `npm ls`.
//!
//! A missing tool (debootstrap, dpkg-query, pip, npm, the registry) fails
//! the tests with a message saying what to install; `.ci/run` installs them.
//! debootstrap needs root, as CI runs.
#![expect(
    clippy::print_stderr,
    reason = "build and scan times go to the test log"
)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::Value;
use wharf_testkit::{
    BuiltImage, ImageBuilder, Layer, PushAuth, RegistryOptions, TestRegistry, write_docker_archive,
    write_oci_layout,
};

const DEBIAN_MIRROR: &str = "http://deb.debian.org/debian";
const SITE_PACKAGES: &str = "usr/local/lib/python3.11/site-packages";
const APP_DIR: &str = "srv/app";
/// Pure-Python wheels, no dependencies resolved (`--no-deps`).
const PYTHON_REQUIREMENTS: [&str; 3] = ["requests==2.19.1", "urllib3==1.24.1", "Django==2.2.1"];
const NPM_PACKAGES: [&str; 2] = ["lodash@4.17.20", "express@4.17.1"];
const REPOSITORY: &str = "e2e/app";
const TAG: &str = "1";

type Deb = (String, String, String);
type Located = (String, String, String);

/// The image and what the oracles say is in it.
struct Fixture {
    image: BuiltImage,
    /// `(name, version, architecture)` of every package `dpkg-query` lists
    /// with status `ii`.
    deb: BTreeSet<Deb>,
    /// `(name, version, METADATA path in the image)` of every `*.dist-info`.
    pypi: BTreeSet<Located>,
    /// `(name, version, package.json path in the image)` of every package
    /// directory of the `node_modules` tree.
    npm_tree: BTreeSet<Located>,
    /// `(name, version)` of every package `npm ls --all --json` shows.
    npm_ls: BTreeSet<(String, String)>,
}

static FIXTURE: OnceLock<Result<Fixture, String>> = OnceLock::new();

/// The shared fixture, built once per test run by whichever test asks
/// first (the others wait).
async fn fixture() -> &'static Fixture {
    let built = tokio::task::spawn_blocking(|| {
        FIXTURE.get_or_init(|| build_fixture().map_err(|e| format!("{e:#}")))
    })
    .await
    .expect("fixture thread");
    match built {
        Ok(f) => f,
        Err(e) => panic!("building the end-to-end test image failed: {e}"),
    }
}

/// Finds `name` on `PATH` or in the sbin directories (debootstrap lives in
/// /usr/sbin, which a non-login `PATH` may lack).
fn tool(name: &str, package: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "`{name}` is required by this test and was not found on PATH or in /usr/sbin: \
                 install it (`apt-get install {package}`; .ci/run does)"
            )
        })
}

/// Runs `cmd`, failing with its output when it fails.
fn run(cmd: &mut Command) -> Result<Output> {
    let what = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        let tail = |b: &[u8]| {
            let s = String::from_utf8_lossy(b);
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        bail!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            tail(&out.stdout),
            tail(&out.stderr)
        );
    }
    Ok(out)
}

fn build_fixture() -> Result<Fixture> {
    let debootstrap = tool("debootstrap", "debootstrap")?;
    let dpkg_query = tool("dpkg-query", "dpkg")?;
    let python = tool("python3", "python3")?;
    let npm = tool("npm", "npm")?;
    run(Command::new(&python).args(["-m", "pip", "--version"])).context(
        "pip is required by this test: install it (`apt-get install python3-pip`; .ci/run does)",
    )?;
    let uid = run(Command::new("id").arg("-u"))?;
    ensure!(
        String::from_utf8_lossy(&uid.stdout).trim() == "0",
        "debootstrap needs root: run this test as root (CI does)"
    );

    let work = tempfile::Builder::new()
        .prefix("wharf-sbom-e2e-")
        .tempdir()
        .context("creating a temporary directory")?;
    let started = Instant::now();

    // Layer 1: a minimal Debian root filesystem.
    let rootfs = work.path().join("rootfs");
    run(Command::new(&debootstrap)
        .args(["--variant=minbase", "bookworm"])
        .arg(&rootfs)
        .arg(DEBIAN_MIRROR))
    .context("debootstrap (needs deb.debian.org)")?;
    // As Debian's own images do: no downloaded archives or package lists.
    for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        remove_files(&rootfs.join(dir))?;
    }
    let deb = dpkg_oracle(&dpkg_query, &rootfs)?;
    ensure!(
        deb.len() > 50,
        "dpkg-query listed only {} installed packages",
        deb.len()
    );
    let debian_done = started.elapsed();

    // Layer 2: Python distributions installed by pip.
    let python_root = work.path().join("python");
    let site = python_root.join(SITE_PACKAGES);
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--no-deps"])
        .args(["--disable-pip-version-check", "--no-input", "--target"])
        .arg(&site)
        .args(PYTHON_REQUIREMENTS))
    .context("pip install (needs pypi.org)")?;
    let pypi = dist_info_oracle(&site)?;
    ensure!(
        pypi.len() == PYTHON_REQUIREMENTS.len(),
        "pip installed {pypi:?}, expected {} distributions",
        PYTHON_REQUIREMENTS.len()
    );

    // Layer 3: a Node application installed by npm.
    let node_root = work.path().join("node");
    let app = node_root.join(APP_DIR);
    std::fs::create_dir_all(&app).context("creating the app directory")?;
    run(Command::new(&npm)
        .arg("install")
        .arg("--prefix")
        .arg(&app)
        .args(NPM_PACKAGES)
        .args(["--no-audit", "--no-fund", "--no-update-notifier"]))
    .context("npm install (needs registry.npmjs.org)")?;
    let mut npm_tree = BTreeSet::new();
    node_modules_oracle(&app, APP_DIR, &mut npm_tree)?;
    let npm_ls = npm_ls_oracle(&npm, &app)?;
    ensure!(
        npm_tree.len() > 40,
        "only {} packages in node_modules",
        npm_tree.len()
    );

    let layers = [&rootfs, &python_root, &node_root]
        .into_iter()
        .map(|dir| Layer::from_dir(dir))
        .collect::<Result<Vec<_>>>()?;
    let mut builder = ImageBuilder::new().created("2024-01-01T00:00:00Z");
    builder.layers = layers;
    let image = builder.build()?;
    eprintln!(
        "test image built in {:.1}s (debootstrap {:.1}s): layers of {} compressed bytes",
        started.elapsed().as_secs_f64(),
        debian_done.as_secs_f64(),
        image
            .layers
            .iter()
            .map(|l| l.size().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Fixture {
        image,
        deb,
        pypi,
        npm_tree,
        npm_ls,
    })
}

/// Removes the regular files directly in `dir` (not the directory).
fn remove_files(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// `dpkg-query` over the root filesystem's database.
fn dpkg_oracle(dpkg_query: &Path, rootfs: &Path) -> Result<BTreeSet<Deb>> {
    let out = run(Command::new(dpkg_query)
        .arg(format!(
            "--admindir={}",
            rootfs.join("var/lib/dpkg").display()
        ))
        .args([
            "-W",
            "-f",
            "${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n",
        ]))?;
    let text = String::from_utf8(out.stdout).context("dpkg-query output is not UTF-8")?;
    let mut set = BTreeSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["ii", name, version, arch] => {
                set.insert(((*name).into(), (*version).into(), (*arch).into()));
            }
            [_, _, _, _] => {}
            _ => bail!("unexpected dpkg-query line {line:?}"),
        }
    }
    Ok(set)
}

/// Name and version of every `*.dist-info` directory, read from its
/// METADATA header block (`Name:` / `Version:` lines before the first
/// blank line).
fn dist_info_oracle(site: &Path) -> Result<BTreeSet<Located>> {
    let mut set = BTreeSet::new();
    for entry in std::fs::read_dir(site)? {
        let entry = entry?;
        let dir = entry.file_name().to_string_lossy().into_owned();
        if !dir.ends_with(".dist-info") {
            continue;
        }
        let metadata = std::fs::read_to_string(entry.path().join("METADATA"))
            .with_context(|| format!("reading {dir}/METADATA"))?;
        let header = |key: &str| {
            metadata
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let name = header("Name:").with_context(|| format!("{dir}/METADATA has no Name"))?;
        let version =
            header("Version:").with_context(|| format!("{dir}/METADATA has no Version"))?;
        set.insert((name, version, format!("{SITE_PACKAGES}/{dir}/METADATA")));
    }
    Ok(set)
}

/// npm's installed layout: `node_modules/<name>` and
/// `node_modules/@scope/<name>` are packages, each possibly with its own
/// nested `node_modules`. `prefix` is `dir`'s path inside the image.
fn node_modules_oracle(dir: &Path, prefix: &str, out: &mut BTreeSet<Located>) -> Result<()> {
    let modules = dir.join("node_modules");
    if !modules.is_dir() {
        return Ok(());
    }
    let mut package_dirs = Vec::new();
    for entry in std::fs::read_dir(&modules)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.file_type()?.is_dir() {
            continue;
        }
        if name.starts_with('@') {
            for scoped in std::fs::read_dir(entry.path())? {
                let scoped = scoped?;
                let inner = scoped.file_name().to_string_lossy().into_owned();
                package_dirs.push((scoped.path(), format!("{name}/{inner}")));
            }
        } else {
            package_dirs.push((entry.path(), name));
        }
    }
    for (path, name) in package_dirs {
        let image_dir = format!("{prefix}/node_modules/{name}");
        let manifest = path.join("package.json");
        let doc: Value = serde_json::from_slice(
            &std::fs::read(&manifest).with_context(|| format!("reading {}", manifest.display()))?,
        )?;
        let (Some(n), Some(v)) = (doc["name"].as_str(), doc["version"].as_str()) else {
            bail!("{} has no name or version", manifest.display());
        };
        out.insert((
            n.to_owned(),
            v.to_owned(),
            format!("{image_dir}/package.json"),
        ));
        node_modules_oracle(&path, &image_dir, out)?;
    }
    Ok(())
}

/// `npm ls --all --json`, flattened to `(name, version)`.
fn npm_ls_oracle(npm: &Path, app: &Path) -> Result<BTreeSet<(String, String)>> {
    let out = run(Command::new(npm)
        .args(["ls", "--all", "--json", "--prefix"])
        .arg(app))?;
    let tree: Value = serde_json::from_slice(&out.stdout).context("npm ls output")?;
    let mut set = BTreeSet::new();
    let mut stack = vec![&tree];
    while let Some(node) = stack.pop() {
        if let Some(deps) = node["dependencies"].as_object() {
            for (name, dep) in deps {
                if let Some(v) = dep["version"].as_str() {
                    set.insert((name.clone(), v.to_owned()));
                }
                stack.push(dep);
            }
        }
    }
    Ok(set)
}

// ---------------------------------------------------------------------------
// Running wharf

/// Runs `wharf` off the async runtime, with a HOME that does not exist (no
/// default cache, no Docker credentials), in `cwd` when given.
async fn wharf(
    args: Vec<String>,
    env: Vec<(&'static str, PathBuf)>,
    cwd: Option<PathBuf>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(&args)
            .env("HOME", "/nonexistent-wharf-home")
            .env_remove("WHARF_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        cmd.output().expect("spawn wharf")
    })
    .await
    .expect("join")
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// `wharf sbom IMAGE -f json EXTRA…`: the JSON document, after checking
/// that wharf exited 0.
async fn sbom(image: &str, extra: &[&str]) -> Value {
    let mut a = args(&["sbom", image, "-f", "json"]);
    a.extend(args(extra));
    let out = wharf(a, vec![], None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "wharf sbom {image} exited {}: {stderr}",
        out.status
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("wharf sbom {image}: output is not JSON ({e}); {stderr}"))
}

/// The single inventory of a document.
fn single(doc: &Value) -> &Value {
    let images = doc["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "one platform image");
    &images[0]
}

/// Packages with `layer` replaced by the layer's position (1-based), so
/// sources that name layers differently (compressed digest, diff_id)
/// compare equal.
fn packages_by_layer_number(inv: &Value) -> Vec<Value> {
    let layers: Vec<&str> = inv["image"]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("layer digest"))
        .collect();
    inv["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let mut p = p.clone();
            let number = p["layer"]
                .as_str()
                .and_then(|d| layers.iter().position(|l| *l == d))
                .map(|i| i + 1);
            p["layer"] = number.into();
            p
        })
        .collect()
}

fn str_of<'a>(p: &'a Value, key: &str) -> &'a str {
    p[key].as_str().unwrap_or_default()
}

/// Asserts two sets are equal, saying what is missing and what is extra.
fn assert_same<T: Ord + std::fmt::Debug>(actual: &BTreeSet<T>, expected: &BTreeSet<T>, what: &str) {
    let missing: Vec<&T> = expected.difference(actual).collect();
    let unexpected: Vec<&T> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{what}: missing {missing:?}, unexpected {unexpected:?}"
    );
}

/// Asserts one inventory of the test image against the oracles.
fn assert_matches_oracles(fx: &Fixture, inv: &Value) {
    assert_eq!(inv["os"]["family"], "debian", "os: {}", inv["os"]);
    assert_eq!(inv["os"]["version"], "12", "os: {}", inv["os"]);
    assert_eq!(inv["os"]["codename"], "bookworm", "os: {}", inv["os"]);
    assert_eq!(inv["image"]["layers"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        inv["diagnostics"],
        Value::Array(vec![]),
        "nothing in this image should fail to parse"
    );

    let packages = packages_by_layer_number(inv);
    let of =
        |eco: &str| -> Vec<&Value> { packages.iter().filter(|p| p["ecosystem"] == eco).collect() };
    let ecosystems: BTreeSet<&str> = packages.iter().map(|p| str_of(p, "ecosystem")).collect();
    assert_eq!(
        ecosystems,
        BTreeSet::from(["deb", "npm", "pypi"]),
        "no other ecosystem is installed"
    );
    let not_in_layer = |ps: &[&Value], n: u64| -> Vec<String> {
        ps.iter()
            .filter(|p| p["layer"].as_u64() != Some(n))
            .map(|p| format!("{} {} (layer {})", p["name"], p["version"], p["layer"]))
            .collect()
    };

    // Debian: exactly dpkg-query's installed packages, once each, layer 1.
    let deb = of("deb");
    let deb_set: BTreeSet<Deb> = deb
        .iter()
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
                str_of(p, "arch").to_owned(),
            )
        })
        .collect();
    assert_same(&deb_set, &fx.deb, "deb packages vs dpkg-query");
    assert_eq!(deb.len(), fx.deb.len(), "a deb package is reported twice");
    assert_eq!(not_in_layer(&deb, 1), Vec::<String>::new());
    for p in &deb {
        assert_eq!(p["locations"], serde_json::json!(["var/lib/dpkg/status"]));
    }

    // Python: exactly the dist-info directories, at their METADATA, layer 2.
    let pypi = of("pypi");
    let pypi_set: BTreeSet<Located> = pypi
        .iter()
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
                p["locations"][0].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_same(
        &pypi_set,
        &fx.pypi,
        "pypi packages vs dist-info directories",
    );
    assert_eq!(pypi.len(), fx.pypi.len());
    assert_eq!(not_in_layer(&pypi, 2), Vec::<String>::new());

    // npm: every package directory of node_modules at its package.json, and
    // by name and version exactly what npm ls shows; all in layer 3.
    let npm = of("npm");
    let installed: BTreeSet<Located> = npm
        .iter()
        .filter(|p| {
            p["locations"][0]
                .as_str()
                .unwrap_or_default()
                .ends_with("/package.json")
        })
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
                p["locations"][0].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_same(&installed, &fx.npm_tree, "npm packages vs node_modules");
    let names: BTreeSet<(String, String)> = npm
        .iter()
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
            )
        })
        .collect();
    assert_same(&names, &fx.npm_ls, "npm packages vs npm ls --all");
    let from_lock: BTreeSet<(String, String)> = npm
        .iter()
        .filter(|p| p["locations"] == serde_json::json!([format!("{APP_DIR}/package-lock.json")]))
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
            )
        })
        .collect();
    assert_same(
        &from_lock,
        &fx.npm_ls,
        "package-lock.json packages vs npm ls --all",
    );
    assert_eq!(not_in_layer(&npm, 3), Vec::<String>::new());
}

/// A registry with the test image pushed as `e2e/app:1`; returns the
/// registry and the reference to scan.
async fn registry_with(image: &BuiltImage) -> (TestRegistry, String) {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("start a Distribution registry (apt-get install docker-registry)");
    registry
        .pusher(PushAuth::None)
        .expect("pusher")
        .push_image(REPOSITORY, TAG, image)
        .await
        .expect("push the test image");
    let reference = format!("{}/{REPOSITORY}:{TAG}", registry.host());
    (registry, reference)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_image_matches_dpkg_pip_and_npm() {
    let fx = fixture().await;
    let (_registry, reference) = registry_with(&fx.image).await;
    let started = Instant::now();
    let doc = sbom(&reference, &["--no-cache"]).await;
    eprintln!(
        "wharf sbom (registry, cold): {:.2}s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["source"], reference.as_str());
    let inv = single(&doc);
    assert_eq!(inv["image"]["digest"], fx.image.digest());
    let digests: Vec<&str> = inv["image"]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<&str> = fx.image.layers.iter().map(|l| l.digest.as_str()).collect();
    assert_eq!(digests, expected);
    assert!(
        inv["image"]["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .all(|l| l["cached"] == false)
    );
    assert_matches_oracles(fx, inv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oci_layout_and_docker_archive_report_what_the_registry_does() {
    let fx = fixture().await;
    let (_registry, reference) = registry_with(&fx.image).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    write_oci_layout(&layout, &fx.image, "v1").expect("write the OCI layout");
    let archive = dir.path().join("image.tar");
    write_docker_archive(&archive, &fx.image, "e2e/app:1").expect("write the docker archive");

    let from_registry = sbom(&reference, &["--no-cache"]).await;
    let from_layout = sbom(&format!("oci:{}:v1", layout.display()), &["--no-cache"]).await;
    let from_archive = sbom(
        &format!("docker-archive:{}", archive.display()),
        &["--no-cache"],
    )
    .await;

    let reference_packages = packages_by_layer_number(single(&from_registry));
    for (what, doc) in [
        ("OCI layout", &from_layout),
        ("docker archive", &from_archive),
    ] {
        let inv = single(doc);
        assert_matches_oracles(fx, inv);
        let packages = packages_by_layer_number(inv);
        assert_eq!(
            packages.len(),
            reference_packages.len(),
            "{what}: package count differs from the registry scan"
        );
        for (a, b) in packages.iter().zip(&reference_packages) {
            assert_eq!(a, b, "{what}: package differs from the registry scan");
        }
        assert_eq!(inv["os"], single(&from_registry)["os"], "{what}: os");
    }
    // The layout names layers by their compressed digests, the archive by
    // their diff_ids (its layers are uncompressed tars).
    let layer_ids = |doc: &Value| -> Vec<String> {
        single(doc)["image"]["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(|l| l["digest"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let digests: Vec<String> = fx.image.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(layer_ids(&from_layout), digests);
    let config: Value = serde_json::from_slice(&fx.image.config.bytes).expect("config");
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .iter()
        .map(|d| d.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(layer_ids(&from_archive), diff_ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_cache_run_reads_no_layer_and_reports_the_same() {
    let fx = fixture().await;
    let (_registry, reference) = registry_with(&fx.image).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_arg = cache.path().to_string_lossy().into_owned();
    let cached_flags = |doc: &Value| -> Vec<bool> {
        single(doc)["image"]["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(|l| l["cached"].as_bool().expect("cached flag"))
            .collect()
    };

    let started = Instant::now();
    let cold = sbom(&reference, &["--cache-dir", &cache_arg]).await;
    let cold_time = started.elapsed();
    let started = Instant::now();
    let warm = sbom(&reference, &["--cache-dir", &cache_arg]).await;
    eprintln!(
        "wharf sbom cold {:.2}s, warm {:.2}s",
        cold_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(cached_flags(&cold), [false, false, false]);
    assert_eq!(cached_flags(&warm), [true, true, true]);
    assert_matches_oracles(fx, single(&warm));
    for key in ["packages", "diagnostics", "os", "analyzers"] {
        assert_eq!(
            single(&warm)[key],
            single(&cold)[key],
            "{key} differ between the cold and the warm run"
        );
    }
}

// ---------------------------------------------------------------------------
// Hostile input

/// A zip archive with deflated entries.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for (name, data) in entries {
        w.start_file(*name, options).expect("zip entry");
        w.write_all(data).expect("zip data");
    }
    w.finish().expect("finish zip").into_inner()
}

/// A tar entry header whose path is written as is: `tar::Builder` refuses
/// `..`, which is the point here.
fn raw_header(path: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    let name = &mut h.as_old_mut().name;
    assert!(path.len() < name.len(), "raw tar path too long");
    name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(1_000_000_000);
    h.set_cksum();
    h
}

/// Everything under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            out.push(
                p.strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned(),
            );
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_layer_is_reported_not_followed() {
    let nonce = format!(
        "wharf-e2e-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let good = zip(&[(
        "META-INF/maven/com.example/good-lib/pom.properties",
        b"groupId=com.example\nartifactId=good-lib\nversion=1.2.3\n",
    )]);
    // A nested bomb: the jar holds a jar holding 16 MiB of zeros, which
    // deflate to ~16 KiB (1000:1, ten times the limit).
    let zeros = vec![0u8; 16 << 20];
    let inner = zip(&[("lib/deeper.jar", &zeros)]);
    let bomb = zip(&[
        (
            "META-INF/maven/com.example/bomb/pom.properties",
            b"groupId=com.example\nartifactId=bomb\nversion=6.6.6\n",
        ),
        ("BOOT-INF/lib/inner.jar", &inner),
    ]);

    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, kind: tar::EntryType, data: &[u8], link: Option<&str>| {
        let mut h = raw_header(path, kind, data.len() as u64);
        if let Some(target) = link {
            h.set_link_name(target).expect("link name");
            h.set_cksum();
        }
        b.append(&h, data).expect("tar entry");
    };
    use tar::EntryType::{Directory, Link, Regular, Symlink};
    add("opt/", Directory, b"", None);
    add("opt/app/", Directory, b"", None);
    add("opt/app/lib/", Directory, b"", None);
    add("opt/app/lib/good-lib-1.2.3.jar", Regular, &good, None);
    add("opt/app/lib/bomb.jar", Regular, &bomb, None);
    // Links to secrets outside the image: never to be followed.
    add("opt/app/lib/shadow.jar", Symlink, b"", Some("/etc/shadow"));
    add("opt/app/node_modules/", Directory, b"", None);
    add("opt/app/node_modules/shadow/", Directory, b"", None);
    add(
        "opt/app/node_modules/shadow/package.json",
        Symlink,
        b"",
        Some("/etc/shadow"),
    );
    add(
        "opt/app/lib/hard.jar",
        Link,
        b"",
        Some("../../../../../../etc/shadow"),
    );
    // Paths that would land outside an extraction directory.
    let dotdot = format!("../../../../../../../../tmp/{nonce}-dotdot.jar");
    add(&dotdot, Regular, &good, None);
    let inner_dotdot = format!("opt/../../{nonce}-escape");
    add(&inner_dotdot, Regular, b"escaped\n", None);
    // A file below a symlink to /tmp.
    add("opt/app/tmp", Symlink, b"", Some("/tmp"));
    add(
        &format!("opt/app/tmp/{nonce}-via-link.jar"),
        Regular,
        &good,
        None,
    );
    let tar = b.into_inner().expect("tar");
    let layer = Layer::from_tar(&tar).expect("layer");
    let image = ImageBuilder::new().layer(layer).build().expect("image");
    let (_registry, reference) = registry_with(&image).await;

    let sandbox = tempfile::tempdir().expect("tempdir");
    let (tmp, cache, home, cwd) = (
        sandbox.path().join("tmp"),
        sandbox.path().join("cache"),
        sandbox.path().join("home"),
        sandbox.path().join("cwd"),
    );
    for d in [&tmp, &home, &cwd] {
        std::fs::create_dir(d).expect("mkdir");
    }
    let out = wharf(
        args(&[
            "sbom",
            &reference,
            "-f",
            "json",
            "--cache-dir",
            &cache.to_string_lossy(),
        ]),
        vec![("TMPDIR", tmp.clone()), ("HOME", home.clone())],
        Some(cwd.clone()),
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "wharf exited {}: {stderr}",
        out.status
    );
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let inv = single(&doc);
    let diagnostics: Vec<(String, String, String)> = inv["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                str_of(d, "path").to_owned(),
                str_of(d, "analyzer").to_owned(),
                str_of(d, "message").to_owned(),
            )
        })
        .collect();

    // The bomb is a diagnostic naming the jar; the scan went on.
    let bomb_diags: Vec<&(String, String, String)> = diagnostics
        .iter()
        .filter(|(path, _, _)| path == "opt/app/lib/bomb.jar")
        .collect();
    assert_eq!(bomb_diags.len(), 1, "diagnostics: {diagnostics:#?}");
    let (_, analyzer, message) = bomb_diags[0];
    assert_eq!(analyzer, "java-archive");
    assert!(message.contains("zip bomb"), "{message}");
    assert!(
        message.contains("opt/app/lib/bomb.jar/BOOT-INF/lib/inner.jar/lib/deeper.jar"),
        "{message}"
    );

    // Escaping paths are skipped and said so.
    for escaping in [&dotdot, &inner_dotdot] {
        assert!(
            diagnostics
                .iter()
                .any(|(p, a, m)| p == escaping && a == "layer" && m.contains("escapes")),
            "{escaping} not reported: {diagnostics:#?}"
        );
    }
    assert!(
        diagnostics
            .iter()
            .any(|(p, _, m)| p == "opt/app/lib/hard.jar" && m.contains("escapes")),
        "escaping hard link not reported: {diagnostics:#?}"
    );
    // Symlinks are not followed: nothing was read through them.
    assert!(
        !diagnostics.iter().any(|(p, _, _)| p.contains("shadow")),
        "a symlink was followed: {diagnostics:#?}"
    );

    // The good jar, and the one written below the symlink (a path inside the
    // image like any other), are reported; nothing from the bomb is.
    let maven: BTreeSet<(String, String, String)> = inv["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                str_of(p, "name").to_owned(),
                str_of(p, "version").to_owned(),
                p["locations"][0].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let good_at = |path: &str| {
        (
            "com.example:good-lib".to_owned(),
            "1.2.3".to_owned(),
            path.to_owned(),
        )
    };
    assert_eq!(
        maven,
        BTreeSet::from([
            good_at("opt/app/lib/good-lib-1.2.3.jar"),
            good_at(&format!("opt/app/tmp/{nonce}-via-link.jar")),
        ])
    );

    // Nothing was written outside the temporary and cache directories.
    for dir in [
        PathBuf::from("/"),
        PathBuf::from("/tmp"),
        std::env::temp_dir(),
        sandbox.path().to_path_buf(),
    ]
    .iter()
    .chain(sandbox.path().parent().map(Path::to_path_buf).iter())
    {
        let hits: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(&nonce))
            .collect();
        assert!(
            hits.is_empty(),
            "wharf wrote {hits:?} into {}",
            dir.display()
        );
    }
    assert_eq!(
        tree(&tmp),
        Vec::<String>::new(),
        "temporary files left behind"
    );
    assert_eq!(tree(&home), Vec::<String>::new());
    assert_eq!(tree(&cwd), Vec::<String>::new());
    let cached = tree(&cache);
    assert!(
        cached.iter().all(|p| p.starts_with("layers-v1")),
        "unexpected files in the cache: {cached:?}"
    );
    let reports: Vec<&String> = cached.iter().filter(|p| p.ends_with(".json")).collect();
    assert_eq!(reports.len(), 1, "one layer report: {cached:?}");
    assert!(!tree(sandbox.path()).iter().any(|p| p.contains(&nonce)));

    // The content of /etc/shadow appears nowhere (output, logs, cache).
    let report = std::fs::read_to_string(cache.join(reports[0])).expect("cached report");
    if let Ok(shadow) = std::fs::read_to_string("/etc/shadow") {
        for line in shadow.lines().filter(|l| l.len() >= 8) {
            for (what, text) in [("stdout", &stdout), ("stderr", &stderr), ("cache", &report)] {
                assert!(!text.contains(line), "/etc/shadow content in {what}");
            }
        }
    }
}

/// The secret and malware scanners report nothing on the clean Debian
/// base layer (debootstrap minbase); what they report on the pip and npm
/// layers (third-party test data) is printed for the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_debian_base_has_no_secrets_or_malware() {
    let fx = fixture().await;
    let (_registry, reference) = registry_with(&fx.image).await;
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("db").display().to_string();
    let cache = work.path().join("cache").display().to_string();
    let started = Instant::now();
    let out = wharf(
        args(&[
            "scan",
            &reference,
            "--scanners",
            "secret,malware",
            "--db-dir",
            &db,
            "--cache-dir",
            &cache,
            "--format",
            "json",
        ]),
        vec![],
        None,
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    eprintln!(
        "wharf scan --scanners secret,malware (registry, cold): {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let image = &doc["images"][0];
    let base = fx.image.layers[0].digest.as_str();
    for kind in ["secrets", "malware"] {
        let all = image[kind].as_array().expect(kind);
        let in_base: Vec<&Value> = all.iter().filter(|f| f["layer"] == base).collect();
        eprintln!(
            "{kind}: {} in the Debian layer, {} in the pip/npm layers",
            in_base.len(),
            all.len() - in_base.len()
        );
        for f in all {
            eprintln!("  {kind}: {}", f);
        }
        assert!(
            in_base.is_empty(),
            "{kind} reported on a clean debootstrap minbase root filesystem: {in_base:#?}"
        );
    }
}
