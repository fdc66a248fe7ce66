//! Hostile and malformed input: reported per record, never a panic, never
//! an aborted import.

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use wharf_vulndb::{Error, alpine, cvss, debian, epss, kev, osv, rustsec};

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

const GOOD: &[u8] = br#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#;

#[test]
fn zip_with_bad_entries_imports_the_rest() {
    let events: String = (0..10_000)
        .map(|i| format!(r#"{{"introduced":"{i}"}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let absurd = format!(
        r#"{{"id":"OSV-ABSURD","affected":[{{"package":{{"ecosystem":"PyPI","name":"x"}},"ranges":[{{"type":"ECOSYSTEM","events":[{events}]}}]}}]}}"#
    );
    let huge = format!(
        r#"{{"id":"OSV-HUGE","affected":[{{"package":{{"ecosystem":"PyPI","name":"{}"}}}}]}}"#,
        "n".repeat(100_000)
    );
    let data = zip_of(&[
        ("GHSA-aaaa-bbbb-cccc.json", GOOD),
        ("bad.json", b"{not json"),
        ("unknown-eco.json", br#"{"id":"OSV-UNK","affected":[{"package":{"ecosystem":"NoSuchEco","name":"x"}},{"package":{"ecosystem":"PyPI","name":"y"}}]}"#),
        ("withdrawn.json", br#"{"id":"OSV-W","withdrawn":"2024-01-01T00:00:00Z"}"#),
        ("absurd.json", absurd.as_bytes()),
        ("huge.json", huge.as_bytes()),
        ("README.txt", b"hello"),
    ]);
    let r = osv::import_zip(&data, Path::new("all.zip"), "osv").expect("zip");
    let ids: Vec<&str> = r.imported.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-aaaa-bbbb-cccc", "OSV-UNK"]);
    assert_eq!(
        r.imported[1].affected.len(),
        1,
        "unknown-ecosystem entry dropped"
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.what == "OSV-UNK" && w.reason.contains("unknown ecosystem"))
    );
    let reason = |what: &str| {
        r.skipped
            .iter()
            .find(|s| s.what.contains(what))
            .map(|s| s.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason("bad.json").contains("malformed"));
    assert_eq!(reason("OSV-W"), "withdrawn");
    assert!(reason("OSV-ABSURD").contains("10000 events"));
    assert!(reason("OSV-HUGE").contains("package name"));
    assert!(reason("README.txt").contains("not an OSV file"));
    assert_eq!(r.skipped.len(), 5);
}

#[test]
fn truncated_zip_is_an_error_naming_the_file() {
    let data = zip_of(&[("a.json", GOOD), ("b.json", GOOD)]);
    let cut = &data[..data.len() / 2];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("all.zip");
    std::fs::write(&path, cut).expect("write");
    let err = osv::import_path(&path, "osv").expect_err("truncated");
    assert!(matches!(err, Error::Zip { .. }));
    assert!(err.to_string().contains("all.zip"), "{err}");
}

/// A zip dump is read from its file entry by entry, recognised by its
/// magic bytes too (not only by a `.zip` name).
#[test]
fn zip_file_is_read_from_disk_whatever_its_name() {
    let data = zip_of(&[("a.json", GOOD), ("notes.txt", b"x")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dump.bin");
    std::fs::write(&path, &data).expect("write");
    let r = osv::import_path(&path, "osv").expect("zip");
    assert_eq!(r.imported.len(), 1);
    assert_eq!(r.skipped.len(), 1);
}

#[test]
fn osv_array_with_a_bad_element() {
    let doc = format!(
        "[{}, 42, {{\"id\": 5}}]",
        std::str::from_utf8(GOOD).expect("utf8")
    );
    let r = osv::parse_bytes(doc.as_bytes(), "arr.json", "osv");
    assert_eq!(r.imported.len(), 1);
    assert_eq!(r.skipped.len(), 2);
}

#[test]
fn feed_documents_that_are_not_json_are_errors() {
    assert!(matches!(
        debian::parse_bytes(b"[1,2]", "x"),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        kev::parse_bytes(b"{}", "x"),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        alpine::parse_bytes(b"- a\n- b\n", "x"),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        epss::parse_bytes(b"\x1f\x8b\x08garbage", "x"),
        Err(Error::Io { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = osv::parse_bytes(&data, "p", "osv");
        let _ = osv::import_zip(&data, Path::new("p.zip"), "osv");
        let _ = rustsec::parse_bytes(&data, "p");
        let _ = alpine::parse_bytes(&data, "p");
        let _ = debian::parse_bytes(&data, "p");
        let _ = kev::parse_bytes(&data, "p");
        let _ = epss::parse_bytes(&data, "p");
        let _ = cvss::parse(&String::from_utf8_lossy(&data));
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,512}") {
        let b = s.as_bytes();
        let _ = osv::parse_bytes(b, "p", "osv");
        let _ = rustsec::parse_bytes(format!("```toml\n{s}\n```\n# t\n").as_bytes(), "p");
        let _ = alpine::parse_bytes(b, "p");
        let _ = epss::parse_bytes(format!("cve,epss,percentile\n{s}").as_bytes(), "p");
        let _ = cvss::parse(&s);
    }

    #[test]
    fn structured_osv_never_panics(
        id in "[A-Z]{1,5}-[0-9a-z]{1,10}",
        eco in prop_oneof![Just("PyPI".to_owned()), Just("Debian:12".to_owned()), "[a-zA-Z:]{0,12}"],
        kind in prop_oneof![Just("ECOSYSTEM"), Just("SEMVER"), Just("GIT"), Just("BOGUS")],
        events in proptest::collection::vec(("(introduced|fixed|last_affected|limit|other)", "[0-9.a-z-]{0,12}"), 0..20),
    ) {
        let ev: Vec<String> = events.iter().map(|(k, v)| format!(r#"{{"{k}":"{v}"}}"#)).collect();
        let doc = format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"{eco}","name":"p"}},"ranges":[{{"type":"{kind}","repo":"https://x","events":[{}]}}]}}]}}"#,
            ev.join(",")
        );
        let r = osv::parse_bytes(doc.as_bytes(), "p", "osv");
        prop_assert_eq!(r.imported.len() + r.skipped.len(), 1);
    }
}
