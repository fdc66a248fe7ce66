//! Scan a directory tree with the built-in rules (or a gitleaks rule file
//! given as the second argument) and print the redacted findings:
//! `cargo run -p wharf-secrets --example scan_path -- /etc [rules.toml]`.
//!
//! Paths are taken relative to the given root, as in an image layer, so
//! the built-in path allow rules apply as they would to an image.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use wharf_analyzers::ContentScanner as _;
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        match p.symlink_metadata() {
            Ok(m) if m.is_dir() => walk(&p, out),
            Ok(m) if m.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let config = match args.next() {
        Some(rules) => SecretConfig::load(Path::new(&rules))?,
        None => SecretConfig::builtin(),
    };
    for r in &config.rejected {
        eprintln!("warning: {r}");
    }
    let scanner = SecretScanner::new(config, FingerprintKey::from_bytes([0; 32]))?;
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let (mut scanned, mut bytes, mut found) = (0usize, 0u64, 0usize);
    let start = std::time::Instant::now();
    for f in files {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        if !scanner.wants(&rel, 0o644, size) {
            continue;
        }
        let Ok(content) = std::fs::read(&f) else {
            continue;
        };
        scanned += 1;
        bytes += size;
        for finding in scanner.scan_bytes(&rel, &content) {
            found += 1;
            println!(
                "{:<9} {:<32} {}  {}",
                finding.severity.as_str(),
                finding.rule_id,
                finding.location.display(),
                finding.excerpt
            );
        }
    }
    eprintln!(
        "{scanned} files, {:.1} MiB, {found} findings in {:.2?}",
        bytes as f64 / (1 << 20) as f64,
        start.elapsed()
    );
    Ok(())
}
