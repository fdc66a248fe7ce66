//! Comparison throughput on parsed versions, per scheme.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf_version::{Range, Scheme, Version};

const SAMPLES: &[(Scheme, &[&str])] = &[
    (
        Scheme::Dpkg,
        &[
            "1:2.36-9+deb12u4",
            "2.36-9",
            "1:2.36-9+deb12u10",
            "2.36~rc1-1",
            "7.88.1-10+deb12u5",
            "7.88.1-10+deb12u12",
        ],
    ),
    (
        Scheme::Rpm,
        &[
            "2.28-236.el9_4.2",
            "1:2.28-236.el9",
            "2.28-225.el9",
            "1.0~rc1^git2-1",
            "3.0.7-27.el9",
            "3.0.7-28.el9_4",
        ],
    ),
    (
        Scheme::Apk,
        &[
            "1.36.1-r29",
            "1.36.1-r30",
            "3.1.4_p1-r0",
            "3.1.4_rc2-r1",
            "20240226-r0",
            "2.12.6-r0",
        ],
    ),
    (
        Scheme::Semver,
        &[
            "1.2.3",
            "1.2.4-beta.1",
            "1.2.4",
            "10.0.0-rc.12",
            "0.0.1",
            "1.2.3-alpha.10",
        ],
    ),
    (
        Scheme::Go,
        &[
            "v1.2.3",
            "v0.0.0-20190101000000-abcdef123456",
            "v2.0.0+incompatible",
            "v1.2.4-0.20230101-abc",
            "v0.17.0",
            "v1.20.1",
        ],
    ),
    (
        Scheme::Pep440,
        &["1.0", "1.0.post1", "2.0rc1", "1!0.5", "1.0.dev3", "2.31.0"],
    ),
    (
        Scheme::Maven,
        &[
            "1.0",
            "1.0-SNAPSHOT",
            "2.17.1",
            "1.0-alpha-2",
            "5.3.27.RELEASE",
            "2.0-rc1",
        ],
    ),
    (
        Scheme::RubyGems,
        &["1.0", "1.0.a", "7.1.3.2", "2.0.0.rc1", "1.13.10", "3.2"],
    ),
    (
        Scheme::NuGet,
        &[
            "1.0.0",
            "1.0.0-beta.1",
            "13.0.3",
            "6.0.0.1",
            "4.7.0-preview1",
            "2.2",
        ],
    ),
    (
        Scheme::Composer,
        &[
            "1.0.0",
            "v2.1.3",
            "1.0.0-beta2",
            "5.4.x-dev",
            "2.0.0-RC1",
            "3.1",
        ],
    ),
    (
        Scheme::Generic,
        &["1.0", "1.0rc1", "2.31", "1.2.3.4", "2023.01.05", "1.0b"],
    ),
];

fn bench(c: &mut Criterion) {
    // Throughput is reported in comparisons per second: each iteration
    // compares every sample with every other (36 comparisons).
    let mut group = c.benchmark_group("cmp_parsed");
    for (scheme, vs) in SAMPLES {
        let parsed: Vec<Version> = vs
            .iter()
            .map(|v| Version::parse(*scheme, v).expect("valid sample"))
            .collect();
        group.throughput(Throughput::Elements((parsed.len() * parsed.len()) as u64));
        group.bench_function(scheme.name(), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for x in &parsed {
                    for y in &parsed {
                        if black_box(x) < black_box(y) {
                            n += 1;
                        }
                    }
                }
                n
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("parse");
    for (scheme, vs) in SAMPLES {
        group.throughput(Throughput::Elements(vs.len() as u64));
        group.bench_function(scheme.name(), |b| {
            b.iter(|| {
                vs.iter()
                    .filter(|v| Version::parse(*scheme, black_box(v)).is_ok())
                    .count()
            })
        });
    }
    group.finish();
    let range = Range::parse(Scheme::Semver, ">=1.2.3 <2.0.0 || ^3.1.0").expect("range");
    let v = Version::parse(Scheme::Semver, "1.5.0").expect("version");
    c.bench_function("range_contains/semver", |b| {
        b.iter(|| black_box(&range).contains(black_box(&v)))
    });
    let pep = Range::parse(Scheme::Pep440, ">=1.2.3,!=1.4.*,<2").expect("range");
    let pv = Version::parse(Scheme::Pep440, "1.5.0").expect("version");
    c.bench_function("range_contains/pep440", |b| {
        b.iter(|| black_box(&pep).contains(black_box(&pv)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
