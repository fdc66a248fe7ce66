//! Re-evaluation and findings-listing benchmark (`bench/reeval.sh` runs it).
//!
//! Opens the store at `--database-url` (SQLite or PostgreSQL) through
//! [`wharf_server::App::open`], stores N synthetic but realistic image
//! inventories (Debian 12 OS packages plus npm, PyPI, Go and Maven
//! packages, names and versions drawn from the same name space as
//! `bench/gen_osv_zip.py`'s advisories so a realistic share matches)
//! through `Store::put_inventory`, with a discovery recording their tags,
//! then times:
//!
//! (a) loading the vulnerability-database snapshot (`Snapshot::load`),
//! (b) a full re-evaluation through `wharf_server::jobs::reevaluate`, first
//!     with every finding new, then again with nothing changed,
//! (c) findings listing with at least `--min-findings` findings stored
//!     (topped up with synthetic findings through `Store::sync_findings`
//!     when the re-evaluation produced fewer): `--queries` random queries
//!     mixing filters, sort orders and deep keyset cursors, once through
//!     `Store::findings` and once through `GET /api/v1/findings`.
//!
//! The last line of output is `SUMMARY {json}`.
//!
//! Usage: `reeval_bench --database-url URL --vulndb-dir DIR [--osv-zip
//! ALL.zip] [--inventories 10000] [--packages 300] [--seed 42]
//! [--vulnerable-share 0.25] [--min-findings 1000000] [--queries 1000]
//! [--data-dir DIR]`. When `--vulndb-dir` holds no database yet,
//! `--osv-zip` is imported into it first (as `wharf db update --source
//! osv:ALL.zip` does).

// A benchmark reports on the terminal: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use wharf_inventory::{INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory, LayerMeta};
use wharf_server::jobs::{ReevaluateJob, reevaluate};
use wharf_server::{App, Config};
use wharf_store::{
    ConnectorSpec, DiscoveredImage, DiscoveredTag, FindingFilter, FindingSort, ImagePlatform,
    NewFinding, Role,
};
use wharf_types::{Digest, Ecosystem, OsInfo, Package, SourcePackage};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command-line settings.
#[derive(Debug, Clone)]
struct Args {
    database_url: String,
    vulndb_dir: PathBuf,
    osv_zip: Option<PathBuf>,
    inventories: usize,
    packages: usize,
    seed: u64,
    vulnerable_share: f64,
    min_findings: usize,
    queries: usize,
    data_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut a = Args {
        database_url: String::new(),
        vulndb_dir: PathBuf::new(),
        osv_zip: None,
        inventories: 10_000,
        packages: 300,
        seed: 42,
        vulnerable_share: 0.25,
        min_findings: 1_000_000,
        queries: 1_000,
        data_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => a.database_url = value()?,
            "--vulndb-dir" => a.vulndb_dir = value()?.into(),
            "--osv-zip" => a.osv_zip = Some(value()?.into()),
            "--inventories" => a.inventories = value()?.parse()?,
            "--packages" => a.packages = value()?.parse()?,
            "--seed" => a.seed = value()?.parse()?,
            "--vulnerable-share" => a.vulnerable_share = value()?.parse()?,
            "--min-findings" => a.min_findings = value()?.parse()?,
            "--queries" => a.queries = value()?.parse()?,
            "--data-dir" => a.data_dir = Some(value()?.into()),
            other => {
                return Err(format!("unknown argument {other:?} (see the file's header)").into());
            }
        }
    }
    if a.database_url.is_empty() || a.vulndb_dir.as_os_str().is_empty() {
        return Err("--database-url and --vulndb-dir are required".into());
    }
    Ok(a)
}

// --- the synthetic population --------------------------------------------

/// FNV-1a: a stable hash for deriving per-name versions.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Real Debian 12 base-image package names (a base layer most images
/// share), each with its source package.
const DEBIAN_BASE: &[(&str, &str)] = &[
    ("adduser", "adduser"),
    ("apt", "apt"),
    ("base-files", "base-files"),
    ("base-passwd", "base-passwd"),
    ("bash", "bash"),
    ("bsdutils", "util-linux"),
    ("ca-certificates", "ca-certificates"),
    ("coreutils", "coreutils"),
    ("curl", "curl"),
    ("dash", "dash"),
    ("debconf", "debconf"),
    ("debian-archive-keyring", "debian-archive-keyring"),
    ("debianutils", "debianutils"),
    ("diffutils", "diffutils"),
    ("dpkg", "dpkg"),
    ("e2fsprogs", "e2fsprogs"),
    ("findutils", "findutils"),
    ("gcc-12-base", "gcc-12"),
    ("gpgv", "gnupg2"),
    ("grep", "grep"),
    ("gzip", "gzip"),
    ("hostname", "hostname"),
    ("init-system-helpers", "init-system-helpers"),
    ("libacl1", "acl"),
    ("libapt-pkg6.0", "apt"),
    ("libattr1", "attr"),
    ("libaudit1", "audit"),
    ("libblkid1", "util-linux"),
    ("libbz2-1.0", "bzip2"),
    ("libc-bin", "glibc"),
    ("libc6", "glibc"),
    ("libcap-ng0", "libcap-ng"),
    ("libcap2", "libcap2"),
    ("libcom-err2", "e2fsprogs"),
    ("libcrypt1", "libxcrypt"),
    ("libcurl4", "curl"),
    ("libdb5.3", "db5.3"),
    ("libdebconfclient0", "cdebconf"),
    ("libext2fs2", "e2fsprogs"),
    ("libffi8", "libffi"),
    ("libgcc-s1", "gcc-12"),
    ("libgcrypt20", "libgcrypt20"),
    ("libgmp10", "gmp"),
    ("libgnutls30", "gnutls28"),
    ("libgpg-error0", "libgpg-error"),
    ("libgssapi-krb5-2", "krb5"),
    ("libhogweed6", "nettle"),
    ("libidn2-0", "libidn2"),
    ("libk5crypto3", "krb5"),
    ("libkeyutils1", "keyutils"),
    ("libkrb5-3", "krb5"),
    ("libkrb5support0", "krb5"),
    ("libldap-2.5-0", "openldap"),
    ("liblz4-1", "lz4"),
    ("liblzma5", "xz-utils"),
    ("libmd0", "libmd"),
    ("libmount1", "util-linux"),
    ("libncursesw6", "ncurses"),
    ("libnettle8", "nettle"),
    ("libnghttp2-14", "nghttp2"),
    ("libp11-kit0", "p11-kit"),
    ("libpam-modules", "pam"),
    ("libpam-runtime", "pam"),
    ("libpam0g", "pam"),
    ("libpcre2-8-0", "pcre2"),
    ("libpsl5", "libpsl"),
    ("librtmp1", "rtmpdump"),
    ("libsasl2-2", "cyrus-sasl2"),
    ("libseccomp2", "libseccomp"),
    ("libselinux1", "libselinux"),
    ("libsemanage2", "libsemanage"),
    ("libsepol2", "libsepol"),
    ("libsmartcols1", "util-linux"),
    ("libsqlite3-0", "sqlite3"),
    ("libss2", "e2fsprogs"),
    ("libssh2-1", "libssh2"),
    ("libssl3", "openssl"),
    ("libstdc++6", "gcc-12"),
    ("libsystemd0", "systemd"),
    ("libtasn1-6", "libtasn1-6"),
    ("libtinfo6", "ncurses"),
    ("libudev1", "systemd"),
    ("libunistring2", "libunistring"),
    ("libuuid1", "util-linux"),
    ("libxxhash0", "xxhash"),
    ("libzstd1", "libzstd"),
    ("login", "shadow"),
    ("logsave", "e2fsprogs"),
    ("mawk", "mawk"),
    ("mount", "util-linux"),
    ("ncurses-base", "ncurses"),
    ("ncurses-bin", "ncurses"),
    ("openssl", "openssl"),
    ("passwd", "shadow"),
    ("perl-base", "perl"),
    ("sed", "sed"),
    ("sysvinit-utils", "sysvinit"),
    ("tar", "tar"),
    ("tzdata", "tzdata"),
    ("usrmerge", "usrmerge"),
    ("util-linux", "util-linux"),
    ("zlib1g", "zlib"),
];

/// A Debian-style version derived from `name` and a revision index.
fn deb_version(name: &str, rev: u64) -> String {
    let h = fnv(&[name.as_bytes(), &rev.to_le_bytes()]);
    let epoch = if h.is_multiple_of(11) { "1:" } else { "" };
    format!(
        "{epoch}{}.{}.{}-{}+deb12u{}",
        h % 5,
        (h >> 8) % 40,
        (h >> 16) % 10,
        1 + (h >> 24) % 9,
        1 + rev
    )
}

/// A semver-ish version as gen_osv_zip.py's `version()` draws them, the
/// `k`th of the few a name is found with.
fn lang_version(name: &str, k: u64) -> String {
    let h = fnv(&[name.as_bytes(), &k.to_le_bytes()]);
    format!("{}.{}.{}", h % 10, (h >> 8) % 30, (h >> 16) % 10)
}

/// One generated image.
struct GenImage {
    digest: String,
    inventory: Inventory,
}

fn image_digest(seed: u64, kind: &str, i: usize) -> String {
    let mut h = sha2::Sha256::new();
    h.update(format!("{kind}-{seed}-{i}").as_bytes());
    format!("sha256:{}", hex_lower(&h.finalize()))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Index `0..n` skewed towards small values: popular packages recur
/// across images, as in real fleets.
fn skewed(rng: &mut fastrand::Rng, n: usize) -> usize {
    let u = rng.f64();
    ((u * u * n as f64) as usize).min(n.saturating_sub(1))
}

fn repository_of(i: usize) -> (usize, String) {
    let repo = i / 20;
    (repo % 2, format!("team-{}/service-{repo}", repo % 37))
}

/// The `i`th synthetic image (deterministic in `seed` and `i`).
fn gen_image(args: &Args, i: usize) -> GenImage {
    let mut rng =
        fastrand::Rng::with_seed(args.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (_, repository) = repository_of(i);
    let tag = format!("build-{i}");
    let digest = image_digest(args.seed, "image", i);
    let total = (args.packages as f64 * (0.9 + 0.2 * rng.f64())) as usize;
    // ~37 % OS packages, then npm, PyPI, Go, Maven.
    let n_deb = total * 37 / 100;
    let n_npm = total * 30 / 100;
    let n_pypi = total * 20 / 100;
    let n_go = total * 8 / 100;
    let n_maven = total.saturating_sub(n_deb + n_npm + n_pypi + n_go);
    let mut keys: BTreeMap<(Ecosystem, String), Package> = BTreeMap::new();
    // Two revisions of the Debian base layer are in use across the fleet.
    let base_rev = rng.u64(0..2);
    for (name, source) in DEBIAN_BASE.iter().take(n_deb) {
        let version = deb_version(source, base_rev);
        keys.insert(
            (Ecosystem::Deb, (*name).to_owned()),
            deb_package(name, source, &version),
        );
    }
    while keys.len() < n_deb {
        let n = skewed(&mut rng, 3000);
        let name = format!("libdeb-extra{n}");
        let source = format!("deb-src-{}", n / 3);
        let version = deb_version(&source, rng.u64(0..3));
        keys.insert(
            (Ecosystem::Deb, name.clone()),
            deb_package(&name, &source, &version),
        );
    }
    let mut add = |rng: &mut fastrand::Rng, eco: Ecosystem, count: usize| {
        let start = keys.len();
        while keys.len() < start + count {
            let vulnerable = rng.f64() < args.vulnerable_share;
            let idx = skewed(rng, 20_000);
            let (name, location) = match (eco, vulnerable) {
                (Ecosystem::Npm, true) => {
                    let n = format!("js-package-{idx}");
                    let l = format!("app/node_modules/{n}/package.json");
                    (n, l)
                }
                (Ecosystem::Npm, false) => {
                    let n = format!("js-lib-{idx}");
                    let l = format!("app/node_modules/{n}/package.json");
                    (n, l)
                }
                (Ecosystem::Pypi, true) => {
                    let n = format!("py-package-{idx}");
                    let l =
                        format!("usr/local/lib/python3.11/site-packages/{n}.dist-info/METADATA");
                    (n, l)
                }
                (Ecosystem::Pypi, false) => {
                    let n = format!("py-lib-{idx}");
                    let l =
                        format!("usr/local/lib/python3.11/site-packages/{n}.dist-info/METADATA");
                    (n, l)
                }
                (Ecosystem::Golang, _) => (
                    format!("github.com/example-org/module-{idx}"),
                    "usr/local/bin/server".to_owned(),
                ),
                (_, _) => {
                    let n = format!("org.example.group{}:artifact-{idx}", idx % 50);
                    let l = format!("app/lib/artifact-{idx}.jar");
                    (n, l)
                }
            };
            if keys.contains_key(&(eco, name.clone())) {
                continue;
            }
            let mut version = lang_version(&name, rng.u64(0..4));
            if eco == Ecosystem::Golang {
                version = format!("v{version}");
            }
            let mut p = Package::new(eco, name.clone(), version.clone(), location);
            p.purl = Some(match eco {
                Ecosystem::Maven => {
                    let (g, a) = name.split_once(':').unwrap_or(("", name.as_str()));
                    format!("pkg:maven/{g}/{a}@{version}")
                }
                _ => format!("pkg:{}/{name}@{version}", eco.purl_type()),
            });
            p.licenses = vec!["MIT".into()];
            keys.insert((eco, name), p);
        }
    };
    add(&mut rng, Ecosystem::Npm, n_npm);
    add(&mut rng, Ecosystem::Pypi, n_pypi);
    add(&mut rng, Ecosystem::Golang, n_go);
    add(&mut rng, Ecosystem::Maven, n_maven);
    let mut packages: Vec<Package> = keys.into_values().collect();
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.locations).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.locations,
        ))
    });
    let layer = |k: &str| image_digest(args.seed, k, i).parse::<Digest>().ok();
    let inventory = Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta {
            source: format!("registry.bench.example/{repository}:{tag}"),
            digest: digest.parse().ok(),
            config_digest: layer("config"),
            platform: Some("linux/amd64".into()),
            created: Some("2026-11-01T12:00:00Z".into()),
            labels: BTreeMap::new(),
            layers: ["base", "deps", "app"]
                .iter()
                .map(|k| LayerMeta {
                    digest: layer(k),
                    diff_id: None,
                    size: 10_000_000,
                    created_by: Some(format!("RUN step {k}")),
                    cached: false,
                })
                .collect(),
            config: None,
        },
        os: Some(OsInfo {
            family: "debian".into(),
            version: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ..Default::default()
        }),
        packages,
        diagnostics: Vec::new(),
        analyzers: ["dpkg@1", "npm@1", "python@1", "gobinary@1", "java@1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    };
    GenImage { digest, inventory }
}

fn deb_package(name: &str, source: &str, version: &str) -> Package {
    let mut p = Package::new(Ecosystem::Deb, name, version, "var/lib/dpkg/status");
    p.arch = Some("amd64".into());
    if source != name {
        p.source = Some(SourcePackage {
            name: source.to_owned(),
            version: None,
        });
    }
    p.purl = Some(format!(
        "pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12"
    ));
    p
}

// --- measurement helpers ---------------------------------------------------

#[derive(Debug, Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort();
        if v.is_empty() {
            return 0.0;
        }
        let idx = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[idx].as_secs_f64() * 1000.0
    }

    fn summary(&self) -> Value {
        let r = |x: f64| (x * 100.0).round() / 100.0;
        json!({
            "n": self.0.len(),
            "p50_ms": r(self.pct(0.50)),
            "p95_ms": r(self.pct(0.95)),
            "p99_ms": r(self.pct(0.99)),
            "max_ms": r(self.pct(1.0)),
        })
    }
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024)
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

async fn open_findings(app: &App) -> Result<i64, BoxError> {
    Ok(app
        .store
        .finding_counts()
        .await?
        .iter()
        .map(|(_, _, n)| n)
        .sum())
}

// --- the benchmark -----------------------------------------------------------

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("reeval_bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), BoxError> {
    let args = parse_args()?;
    let temp = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());

    // The vulnerability database, imported once and reused.
    if wharf_vulndb::store::status(&args.vulndb_dir).is_err() {
        let zip = args
            .osv_zip
            .as_ref()
            .ok_or("no database in --vulndb-dir and no --osv-zip to import")?;
        let t = Instant::now();
        let spec: wharf_vulndb::store::SourceSpec = format!("osv:{}", zip.display()).parse()?;
        wharf_vulndb::store::update(&args.vulndb_dir, &[spec], &reqwest::Client::new()).await?;
        println!(
            "vulndb: imported {} in {:.1}s",
            zip.display(),
            t.elapsed().as_secs_f64()
        );
    }

    let config = Config {
        data_dir: data_dir.clone(),
        database_url: Some(args.database_url.clone()),
        vulndb_dir: Some(args.vulndb_dir.clone()),
        secrets: false,
        malware: false,
        ..Config::default()
    };
    let app = App::open(config).await?;
    let backend = format!("{:?}", app.store.backend()).to_lowercase();
    println!("backend: {backend}");

    // Connectors and the discovery that tags every image.
    let mut connectors = Vec::new();
    for name in ["bench-a", "bench-b"] {
        let spec: ConnectorSpec = serde_json::from_value(json!({
            "url": format!("https://{name}.registry.bench.example"),
            "enabled": false,
        }))?;
        let c = match app.store.connector(name).await {
            Ok(c) => c,
            Err(_) => {
                app.store
                    .create_connector(name, &spec, None, &app.keys)
                    .await?
            }
        };
        connectors.push(c.id);
    }
    let existing = app.store.inventory_ids().await?.len();
    let t_setup = Instant::now();
    if existing == 0 {
        store_population(&app, &args, &connectors).await?;
    } else {
        println!("store already holds {existing} inventories: population kept");
    }
    let setup_s = t_setup.elapsed().as_secs_f64();
    let stored = app.store.inventory_ids().await?.len();
    println!("population: {stored} inventories stored in {setup_s:.1}s");

    // (a) Loading the snapshot.
    let t = Instant::now();
    app.refresh_snapshot().await?;
    let load_s = t.elapsed().as_secs_f64();
    let snapshot = app
        .engine
        .snapshot()
        .ok_or("no vulnerability database snapshot")?;
    let entries = snapshot.db.len();
    let advisory_packages = snapshot.packages.len();
    drop(snapshot);
    println!(
        "(a) snapshot load: {load_s:.2}s ({entries} affected entries, {advisory_packages} packages)"
    );

    // (b) Re-evaluation: all new, then unchanged.
    let mut runs = Vec::new();
    for label in ["first (all new)", "second (unchanged)"] {
        let t = Instant::now();
        let run = reevaluate(
            &app,
            &ReevaluateJob {
                cause: "bench".into(),
                ..Default::default()
            },
        )
        .await?;
        let s = t.elapsed().as_secs_f64();
        let r = app.store.reevaluation(run).await?;
        println!(
            "(b) re-evaluation {label}: {s:.2}s, {} inventories, {} new, {} resolved, {} changed ({:.2} of the 60 s target)",
            r.inventories,
            r.new_findings,
            r.resolved_findings,
            r.changed_findings,
            s / 60.0
        );
        runs.push(json!({
            "seconds": secs(Duration::from_secs_f64(s)),
            "inventories": r.inventories,
            "new": r.new_findings,
            "resolved": r.resolved_findings,
            "changed": r.changed_findings,
            "state": r.state,
            "vs_target": (s / 60.0 * 1000.0).round() / 1000.0,
        }));
    }
    let from_reeval = open_findings(&app).await?;
    println!("findings after re-evaluation: {from_reeval}");

    // (c) Top up to --min-findings, then list.
    let t = Instant::now();
    let topped = top_up(&app, &args, &connectors, from_reeval).await?;
    let topup_s = t.elapsed().as_secs_f64();
    let total = open_findings(&app).await?;
    if topped > 0 {
        println!(
            "top-up: {topped} synthetic findings in {topup_s:.1}s ({:.0}/s); {total} open findings",
            topped as f64 / topup_s.max(0.001)
        );
    }
    let (store_lat, http_lat, deepest) = if args.queries > 0 {
        listing(&app, &args, &connectors).await?
    } else {
        (Latencies::default(), Latencies::default(), 0)
    };
    println!("(c) listing via Store::findings: {}", store_lat.summary());
    println!(
        "(c) listing via GET /api/v1/findings: {}",
        http_lat.summary()
    );

    let summary = json!({
        "backend": backend,
        "inventories": stored,
        "packages_per_inventory": args.packages,
        "seed": args.seed,
        "vulnerable_share": args.vulnerable_share,
        "affected_entries": entries,
        "setup_seconds": secs(Duration::from_secs_f64(setup_s)),
        "snapshot_load_seconds": secs(Duration::from_secs_f64(load_s)),
        "reevaluation": runs,
        "findings_from_reevaluation": from_reeval,
        "findings_topped_up": topped,
        "topup_seconds": secs(Duration::from_secs_f64(topup_s)),
        "findings_open": total,
        "deepest_cursor_rows": deepest,
        "listing_store": store_lat.summary(),
        "listing_http": http_lat.summary(),
        "peak_rss_mib": peak_rss_mib(),
    });
    println!("SUMMARY {summary}");
    app.store.close().await;
    Ok(())
}

/// Generate and store the inventories, with the discovery tagging them.
async fn store_population(app: &Arc<App>, args: &Args, connectors: &[i64]) -> Result<(), BoxError> {
    // Tags first: a discovery removes images no tag points at.
    for (c, &connector_id) in connectors.iter().enumerate() {
        let mut tags = Vec::new();
        let mut images = Vec::new();
        for i in 0..args.inventories {
            let (conn, repository) = repository_of(i);
            if conn != c {
                continue;
            }
            let digest = image_digest(args.seed, "image", i);
            tags.push(DiscoveredTag {
                repository: repository.clone(),
                tag: format!("build-{i}"),
                digest: digest.clone(),
                image_created: Some(1_760_000_000 + i as i64),
            });
            if i % 20 == 19 {
                tags.push(DiscoveredTag {
                    repository,
                    tag: "latest".into(),
                    digest: digest.clone(),
                    image_created: Some(1_760_000_000 + i as i64),
                });
            }
            images.push(amd64_image(digest, Some("2026-11-01T12:00:00Z")));
        }
        app.store
            .record_discovery(connector_id, &[], &tags, &images)
            .await?;
    }
    let started = Instant::now();
    let mut packages = 0usize;
    let mut bytes = 0usize;
    let mut stream = futures::stream::iter(0..args.inventories)
        .map(|i| {
            let (app, args) = (app.clone(), args.clone());
            async move {
                let (img, json, index) = tokio::task::spawn_blocking(move || {
                    let img = gen_image(&args, i);
                    let json = serde_json::to_vec(&img.inventory).unwrap_or_default();
                    let index = wharf_server::engine::package_index(&img.inventory);
                    (img, json, index)
                })
                .await?;
                app.store
                    .put_inventory(&img.digest, "linux/amd64", &img.digest, &json, &index)
                    .await?;
                Ok::<_, BoxError>((img.inventory.packages.len(), json.len()))
            }
        })
        .buffer_unordered(4);
    let mut done = 0usize;
    while let Some(r) = stream.next().await {
        let (p, b) = r?;
        packages += p;
        bytes += b;
        done += 1;
        if done.is_multiple_of(1000) {
            eprintln!(
                "  stored {done} inventories ({:.0}s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "population: {} packages per inventory on average, {:.1} KiB of inventory JSON each",
        packages / args.inventories.max(1),
        bytes as f64 / args.inventories.max(1) as f64 / 1024.0
    );
    Ok(())
}

/// Add synthetic findings (on extra, tagged, package-less inventories)
/// until `--min-findings` are open. Returns how many were added.
async fn top_up(
    app: &Arc<App>,
    args: &Args,
    connectors: &[i64],
    have: i64,
) -> Result<usize, BoxError> {
    let want = usize::try_from(args.min_findings as i64 - have).unwrap_or(0);
    if want == 0 {
        return Ok(0);
    }
    // A real finding's JSON as the template, so rows are the usual size.
    let template: Value = app
        .store
        .findings(&FindingFilter {
            limit: 1,
            ..Default::default()
        })
        .await?
        .items
        .first()
        .map(|f| f.detail.clone())
        .unwrap_or_else(|| json!({"title": "synthetic"}));
    const PER: usize = 250;
    let fillers = want.div_ceil(PER);
    for (c, &connector_id) in connectors.iter().enumerate() {
        let mut tags = Vec::new();
        let mut images = Vec::new();
        for k in (0..fillers).filter(|k| k % 2 == c) {
            let digest = image_digest(args.seed, "filler", k);
            tags.push(DiscoveredTag {
                repository: format!("team-{}/filler-{}", k % 37, k / 20),
                tag: format!("build-{k}"),
                digest: digest.clone(),
                image_created: Some(1_760_000_000),
            });
            images.push(amd64_image(digest, None));
        }
        app.store
            .record_discovery(connector_id, &[], &tags, &images)
            .await?;
    }
    let severities = ["critical", "high", "medium", "low", "unknown"];
    let mut added = 0usize;
    let mut rng = fastrand::Rng::with_seed(args.seed.wrapping_add(7));
    let empty = serde_json::to_vec(&Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        ..Default::default()
    })?;
    for k in 0..fillers {
        let digest = image_digest(args.seed, "filler", k);
        let id = app
            .store
            .put_inventory(&digest, "linux/amd64", &digest, &empty, &[])
            .await?;
        let n = PER.min(want - added);
        let findings: Vec<NewFinding> = (0..n)
            .map(|j| {
                let sev = rng.usize(0..severities.len());
                let vuln = format!(
                    "CVE-20{}-{}",
                    15 + rng.u32(0..11),
                    10_000 + rng.u32(0..300_000)
                );
                let fingerprint = format!(
                    "{:016x}{:016x}",
                    fnv(&[digest.as_bytes(), &j.to_le_bytes()]),
                    j
                );
                let mut data = template.clone();
                if let Some(o) = data.as_object_mut() {
                    o.insert("fingerprint".into(), json!(fingerprint));
                    o.insert("title".into(), json!(format!("{vuln} in js-package-{j}")));
                }
                NewFinding {
                    fingerprint,
                    kind: "vulnerability".into(),
                    rule_id: "vulnerability".into(),
                    severity: severities[sev].into(),
                    severity_rank: 4 - sev as i64,
                    status: "open".into(),
                    title: format!("{vuln} in js-package-{j}"),
                    vulnerability: Some(vuln),
                    package: Some(format!("js-package-{j}@1.2.3")),
                    kev: rng.u32(0..100) == 0,
                    data: data.to_string(),
                }
            })
            .collect();
        app.store
            .sync_findings(id, &digest, None, &findings)
            .await?;
        added += n;
    }
    Ok(added)
}

/// One listing query: the filter and the same as API query parameters.
fn random_query(
    rng: &mut fastrand::Rng,
    connectors: &[i64],
    cursors: &BTreeMap<&'static str, Vec<String>>,
    vulns: &[String],
    images: &[String],
    args: &Args,
) -> (FindingFilter, Vec<(String, String)>) {
    let mut f = FindingFilter::default();
    let mut q: Vec<(String, String)> = Vec::new();
    let sort = match rng.u32(0..20) {
        0..10 => "severity",
        10..15 => "first_seen",
        _ => "id",
    };
    f.sort = FindingSort::parse(sort).unwrap_or_default();
    q.push(("sort".into(), sort.into()));
    if rng.u32(0..10) < 3 {
        let all = ["critical", "high", "medium", "low"];
        let mut s = vec![all[rng.usize(0..4)].to_owned()];
        if rng.bool() {
            s.push(all[rng.usize(0..4)].to_owned());
            s.dedup();
        }
        q.push(("severity".into(), s.join(",")));
        f.severities = s;
    }
    if rng.u32(0..10) < 2 {
        f.kinds = vec!["vulnerability".into()];
        q.push(("kind".into(), "vulnerability".into()));
    }
    if rng.u32(0..10) == 0 {
        let k = rng.bool();
        f.kev = Some(k);
        q.push(("kev".into(), k.to_string()));
    }
    if rng.u32(0..10) < 2 {
        let c = connectors[rng.usize(0..connectors.len())];
        f.connector_id = Some(c);
        q.push(("connector".into(), c.to_string()));
    }
    if rng.u32(0..100) < 15 {
        let (_, r) = repository_of(rng.usize(0..args.inventories.max(1)));
        q.push(("repository".into(), r.clone()));
        f.repository = Some(r);
    }
    if rng.u32(0..100) < 5 && !images.is_empty() {
        let d = images[rng.usize(0..images.len())].clone();
        q.push(("image".into(), d.clone()));
        f.image = Some(d);
    }
    if rng.u32(0..100) < 5 && !vulns.is_empty() {
        let v = vulns[rng.usize(0..vulns.len())].clone();
        q.push(("vulnerability".into(), v.clone()));
        f.vulnerability = Some(v);
    }
    f.limit = match rng.u32(0..10) {
        0 => 20,
        1 => 500,
        _ => 100,
    };
    q.push(("limit".into(), f.limit.to_string()));
    if rng.u32(0..10) < 4
        && let Some(list) = cursors.get(sort)
        && !list.is_empty()
    {
        let c = list[rng.usize(0..list.len())].clone();
        q.push(("cursor".into(), c.clone()));
        f.cursor = Some(c);
    }
    (f, q)
}

/// Collect deep cursors by paging, then time random queries through the
/// store and through the HTTP API. Returns the latencies and the depth
/// (rows) of the deepest cursor.
async fn listing(
    app: &Arc<App>,
    args: &Args,
    connectors: &[i64],
) -> Result<(Latencies, Latencies, usize), BoxError> {
    let t = Instant::now();
    let mut cursors: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut deepest = 0usize;
    let mut vulns = Vec::new();
    let mut images = Vec::new();
    for sort in ["severity", "first_seen", "id"] {
        let mut filter = FindingFilter {
            sort: FindingSort::parse(sort).unwrap_or_default(),
            limit: 1000,
            ..Default::default()
        };
        let mut list = Vec::new();
        for page in 0..200usize {
            let p = app.store.findings(&filter).await?;
            if page.is_multiple_of(20)
                && let Some(f) = p.items.first()
            {
                images.push(f.image_digest.clone());
                vulns.extend(f.vulnerability.clone());
            }
            let Some(next) = p.next_cursor else { break };
            list.push(next.clone());
            deepest = deepest.max((page + 1) * 1000);
            filter.cursor = Some(next);
        }
        cursors.insert(sort, list);
    }
    println!(
        "listing: {} cursors collected by paging in {:.1}s (deepest {deepest} rows)",
        cursors.values().map(Vec::len).sum::<usize>(),
        t.elapsed().as_secs_f64()
    );

    let mut rng = fastrand::Rng::with_seed(args.seed.wrapping_add(99));
    let queries: Vec<_> = (0..args.queries)
        .map(|_| random_query(&mut rng, connectors, &cursors, &vulns, &images, args))
        .collect();

    let mut store_lat = Latencies::default();
    let mut slowest = (Duration::ZERO, String::new());
    for (f, q) in &queries {
        let t = Instant::now();
        let page = app.store.findings(f).await?;
        let d = t.elapsed();
        std::hint::black_box(page.items.len());
        if d > slowest.0 {
            slowest = (d, format!("{q:?}"));
        }
        store_lat.0.push(d);
    }
    println!(
        "slowest store query: {:.1} ms {}",
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1
    );

    // The same queries through the API on a loopback listener.
    let token = format!("wharf_bench_{}", args.seed);
    if app.store.authenticate(&token).await?.is_none() {
        app.store
            .create_token("bench", Role::Viewer, &token)
            .await?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = wharf_server::api::router(app.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let mut http_lat = Latencies::default();
    for (_, q) in &queries {
        let t = Instant::now();
        let mut url = url::Url::parse(&format!("http://{addr}/api/v1/findings"))?;
        url.query_pairs_mut().extend_pairs(q);
        let resp = client.get(url).bearer_auth(&token).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        let d = t.elapsed();
        if !status.is_success() {
            return Err(format!(
                "GET /api/v1/findings {q:?}: {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        http_lat.0.push(d);
    }
    server.abort();
    Ok((store_lat, http_lat, deepest))
}

/// A single-platform (linux/amd64) OCI image as discovery reports it.
fn amd64_image(digest: String, created: Option<&str>) -> DiscoveredImage {
    DiscoveredImage {
        digest: digest.clone(),
        media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        kind: Some("image".into()),
        platforms: vec![ImagePlatform {
            platform: "linux/amd64".into(),
            digest,
            created: created.map(str::to_owned),
        }],
    }
}
