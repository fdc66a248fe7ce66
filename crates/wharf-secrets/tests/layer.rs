//! The scanner in the layer pass: `AnalyzerSet::with_scanners` over a tar
//! layer, as the image scan runs it.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use wharf_analyzers::{AnalyzerSet, ContentScanner, Output};
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};
use wharf_types::Location;

fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *content).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn secrets_are_found_in_a_layer_pass() {
    let scanner: Arc<dyn ContentScanner> = Arc::new(
        SecretScanner::new(SecretConfig::builtin(), FingerprintKey::from_bytes([4; 32])).unwrap(),
    );
    let set = AnalyzerSet::new(Vec::new())
        .unwrap()
        .with_scanners(vec![scanner]);
    let token = b"GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n";
    let data = layer(&[
        ("app/.env", token),
        ("usr/share/doc/tool/README", token),
        (
            "app/bin/tool",
            b"\x7fELF\0\0\0\0ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
        ),
        ("app/readme.txt", b"nothing to see here\n"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let report = set
        .analyze_layer(&data[..], &wharf_layer::Limits::default(), tmp.path())
        .unwrap();
    let found: Vec<(String, String, u32)> = report
        .files
        .iter()
        .flat_map(|r| match &r.output {
            Output::Secrets { findings } => findings
                .iter()
                .map(|f| match &f.location {
                    Location::File { path, line } => (r.analyzer.clone(), path.clone(), *line),
                    other => (r.analyzer.clone(), other.display(), 0),
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(found, vec![("secret".to_owned(), "app/.env".to_owned(), 1)]);
    assert!(set.versions().iter().any(|v| v.starts_with("secret@")));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"));
}
