//! Matching throughput on a synthetic database the size of a real one.
//!
//! 300,000 advisories (45% PyPI, 35% npm, 15% Debian 12, 5% Go/Maven/
//! crates.io), each with one `ECOSYSTEM` range `introduced`/`fixed`, spread
//! over 20,000 package names per ecosystem (so a package has ~5–7
//! candidate entries). Inventories have 300 packages (120 PyPI, 120 npm,
//! 60 Debian) drawn from the same names. Throughput is reported in
//! packages matched per second; `from_snapshot` is measured too.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use wharf_inventory::{ImageMeta, Inventory};
use wharf_matcher::Database;
use wharf_types::{Ecosystem, OsInfo, Package, SourcePackage};
use wharf_vulndb::store::Snapshot;
use wharf_vulndb::{Advisory, Affected, Event, Range, RangeKind};

const ADVISORIES: usize = 300_000;
const NAMES: u64 = 20_000;
const INVENTORY: usize = 300;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// (OSV ecosystem, package name, introduced, fixed) for one advisory.
fn entry(rng: &mut Rng) -> (&'static str, String, String, String) {
    let pick = rng.below(100);
    let n = rng.below(NAMES);
    let (a, b) = (rng.below(10), rng.below(20));
    match pick {
        0..=44 => (
            "PyPI",
            format!("py-package-{n}"),
            format!("{a}.{b}.0"),
            format!("{a}.{}.{}", b + 1 + rng.below(3), rng.below(5)),
        ),
        45..=79 => (
            "npm",
            format!("js-package-{n}"),
            format!("{a}.{b}.0"),
            format!("{a}.{}.{}", b + 1 + rng.below(3), rng.below(5)),
        ),
        80..=94 => (
            "Debian:12",
            format!("deb-src-{n}"),
            "0".to_owned(),
            format!(
                "{a}.{b}.{}-{}+deb12u{}",
                rng.below(9),
                1 + rng.below(3),
                rng.below(4)
            ),
        ),
        95..=96 => (
            "Go",
            format!("example.com/mod{n}"),
            "0".to_owned(),
            format!("{a}.{b}.1"),
        ),
        97..=98 => (
            "Maven",
            format!("org.example:artifact-{n}"),
            format!("{a}.0"),
            format!("{a}.{b}.1"),
        ),
        _ => (
            "crates.io",
            format!("crate-{n}"),
            "0".to_owned(),
            format!("{a}.{b}.1"),
        ),
    }
}

fn snapshot() -> Snapshot {
    let mut rng = Rng(7);
    let advisories = (0..ADVISORIES)
        .map(|i| {
            let (eco, name, introduced, fixed) = entry(&mut rng);
            let mut a = Advisory::new(format!("CVE-2024-{i:06}"), "bench");
            let mut af = Affected::new(eco, name);
            af.ranges.push(Range {
                kind: RangeKind::Ecosystem,
                repo: None,
                events: vec![Event::Introduced(introduced), Event::Fixed(fixed)],
            });
            a.affected.push(af);
            a
        })
        .collect();
    Snapshot {
        snapshot_id: "bench".into(),
        advisories,
        kev: Vec::new(),
        epss: Vec::new(),
        repository_cpes: Vec::new(),
    }
}

fn inventory(seed: u64) -> Inventory {
    let mut rng = Rng(seed);
    let mut packages = Vec::with_capacity(INVENTORY);
    for i in 0..INVENTORY {
        let n = rng.below(NAMES);
        let (a, b, c) = (rng.below(10), rng.below(25), rng.below(6));
        let p = match i % 5 {
            0 | 1 => Package::new(
                Ecosystem::Pypi,
                format!("Py_Package.{n}"),
                format!("{a}.{b}.{c}"),
                "requirements.txt",
            ),
            2 | 3 => Package::new(
                Ecosystem::Npm,
                format!("js-package-{n}"),
                format!("{a}.{b}.{c}"),
                "package-lock.json",
            ),
            _ => {
                let v = format!("{a}.{b}.{c}-1+deb12u1");
                let mut p = Package::new(Ecosystem::Deb, format!("libdeb{n}"), v.clone(), "dpkg");
                p.source = Some(SourcePackage {
                    name: format!("deb-src-{n}"),
                    version: Some(v),
                });
                p
            }
        };
        packages.push(p);
    }
    Inventory {
        schema_version: wharf_inventory::INVENTORY_SCHEMA_VERSION,
        image: ImageMeta::default(),
        os: Some(OsInfo {
            family: "debian".into(),
            version: "12.5".into(),
            ..Default::default()
        }),
        packages,
        diagnostics: Vec::new(),
        analyzers: Vec::new(),
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    }
}

#[allow(clippy::print_stderr)] // a one-line summary of what ran
fn bench(c: &mut Criterion) {
    let snap = snapshot();
    let db = Database::from_snapshot(snap.clone());
    let inventories: Vec<Inventory> = (1..=8).map(inventory).collect();
    let matches: usize = inventories
        .iter()
        .map(|i| db.match_inventory(i).len())
        .sum();
    eprintln!(
        "database: {} affected entries; {} matches over {} inventories of {INVENTORY} packages",
        db.len(),
        matches,
        inventories.len()
    );

    let mut g = c.benchmark_group("match_inventory");
    g.throughput(Throughput::Elements(INVENTORY as u64));
    let mut k = 0;
    g.bench_function("300_packages_vs_300k_advisories", |b| {
        b.iter(|| {
            k = (k + 1) % inventories.len();
            black_box(db.match_inventory(black_box(&inventories[k])))
        });
    });
    g.finish();

    let mut g = c.benchmark_group("from_snapshot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ADVISORIES as u64));
    g.bench_function("300k_advisories", |b| {
        b.iter_batched(
            || snap.clone(),
            |s| black_box(Database::from_snapshot(s)),
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
