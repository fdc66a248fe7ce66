//! Throughput of `SecretScanner::scan_bytes`.
//!
//! (a) typical text without secrets: the Perl and Python libraries of this
//!     machine concatenated (up to 16 MiB; generated text when absent);
//! (b) text dense with keyword hits (`password`, `token`, `secret`,
//!     `aws`, URLs…), where regexes run often.
//!
//! Each is scanned with the default line windows, with whole-file windows,
//! and without the keyword prefilter (every rule's regex over the whole
//! file), next to a `memchr` line count as the speed of light and the
//! keyword automaton alone.

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner, WindowMode};

const CAP: usize = 16 << 20;

fn collect(dir: &Path, out: &mut Vec<u8>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        if out.len() >= CAP {
            return;
        }
        let p = e.path();
        let Ok(meta) = p.symlink_metadata() else {
            continue;
        };
        if meta.is_dir() {
            collect(&p, out);
        } else if meta.is_file()
            && matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pm" | "pl" | "py" | "pod" | "txt")
            )
            && let Ok(b) = std::fs::read(&p)
            && !b.contains(&0)
        {
            out.extend_from_slice(&b);
            out.push(b'\n');
        }
    }
}

fn typical_text() -> (Vec<u8>, &'static str) {
    let mut out = Vec::new();
    collect(Path::new("/usr/share/perl5"), &mut out);
    if let Ok(rd) = std::fs::read_dir("/usr/lib") {
        let mut pys: Vec<_> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path())
            .collect();
        pys.sort();
        for p in pys {
            collect(&p, &mut out);
        }
    }
    if out.len() >= 1 << 20 {
        out.truncate(CAP);
        return (out, "system perl5/python3 sources");
    }
    let words = [
        "the", "function", "return", "value", "if", "else", "for", "while", "self", "data",
        "config", "path", "name", "list",
    ];
    let mut i = 0usize;
    while out.len() < 8 << 20 {
        for _ in 0..12 {
            out.extend_from_slice(words[i % words.len()].as_bytes());
            out.push(b' ');
            i = i.wrapping_mul(31).wrapping_add(7);
        }
        out.push(b'\n');
    }
    (out, "generated text")
}

fn keyword_dense() -> Vec<u8> {
    let lines = [
        "password = get_password(user)  # token refresh",
        "if secret is None: raise KeyError('api_key missing')",
        "aws_region = 'eu-west-1'; session = boto3.Session()",
        "see https://example.org/docs and http://localhost:8080/",
        "token: ${TOKEN}",
        "client_secret: \"<client-secret>\"",
        "export DB_PASSWORD=$DB_PASSWORD",
        "-----BEGIN CERTIFICATE-----",
        "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sig",
        "key = os.environ['STRIPE_KEY']  # sk_live_ not here",
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < 4 << 20 {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        out.push(b'\n');
        i += 1;
    }
    out
}

fn scanner(window: WindowMode, prefilter: bool) -> SecretScanner {
    let mut cfg = SecretConfig::builtin();
    cfg.window = window;
    cfg.max_file_size = 64 << 20;
    if !prefilter {
        for r in &mut cfg.rules {
            r.keywords.clear();
        }
    }
    SecretScanner::new(cfg, FingerprintKey::from_bytes([5; 32])).unwrap()
}

fn bench(c: &mut Criterion) {
    let (typical, source) = typical_text();
    let dense = keyword_dense();
    eprintln!(
        "typical text: {} bytes ({source}); keyword-dense: {} bytes",
        typical.len(),
        dense.len()
    );
    let lines = scanner(WindowMode::Lines, true);
    let whole = scanner(WindowMode::WholeFile, true);
    let none = scanner(WindowMode::WholeFile, false);
    let mut kws: Vec<String> = SecretConfig::builtin()
        .rules
        .iter()
        .flat_map(|r| r.keywords.clone())
        .map(|k| k.to_ascii_lowercase())
        .collect();
    kws.sort();
    kws.dedup();
    eprintln!("{} distinct keywords", kws.len());
    // The scanner's automaton alone (same keywords, same kind).
    let ac_overlapping = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&kws)
        .unwrap();
    for (name, data) in [("typical", &typical), ("keyword-dense", &dense)] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(10);
        g.measurement_time(std::time::Duration::from_secs(4));
        g.bench_function("memchr-newlines", |b| {
            b.iter(|| memchr::memchr_iter(b'\n', black_box(data)).count())
        });
        g.bench_function("keywords-overlapping", |b| {
            b.iter(|| {
                ac_overlapping
                    .find_overlapping_iter(black_box(data.as_slice()))
                    .count()
            })
        });
        g.bench_function("scan-lines", |b| {
            b.iter(|| lines.scan_bytes("app/data.txt", black_box(data)))
        });
        g.bench_function("scan-whole-file", |b| {
            b.iter(|| whole.scan_bytes("app/data.txt", black_box(data)))
        });
        if name == "typical" {
            // Without the prefilter every regex runs over everything: slow,
            // so measured on the first MiB only (throughput is per byte).
            let head = &data[..data.len().min(1 << 20)];
            g.throughput(Throughput::Bytes(head.len() as u64));
            g.bench_function("scan-no-prefilter-1MiB", |b| {
                b.iter(|| none.scan_bytes("app/data.txt", black_box(head)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
