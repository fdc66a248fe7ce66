//! Malware hash lists as `wharf db update` sources: ClamAV `.hdb`/`.hsb`
//! detected by extension, plain lists through `hashes:`, per-line errors
//! reported without aborting, re-import replacing a source's rows, and
//! the loader used by the malware scanner.

use std::path::Path;

use wharf_vulndb::hashes::{HashAlgorithm, HashSignature};
use wharf_vulndb::store::{SourceKind, SourceSpec, load_malware_hashes, status, update};

const MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
const SHA1: &str = "3395856ce81f2b7382dee72602f798b642f14140";
const SHA256: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write list");
    p.display().to_string()
}

#[test]
fn source_specs_for_hash_lists() {
    let s: SourceSpec = "/db/custom.hdb".parse().expect("bare .hdb");
    assert_eq!(s.kind, SourceKind::Hashes);
    assert_eq!(s.name(), "hashes:/db/custom.hdb");
    let s: SourceSpec = "https://example.test/sigs/main.hsb.gz"
        .parse()
        .expect("bare URL");
    assert_eq!(s.kind, SourceKind::Hashes);
    assert_eq!(s.location, "https://example.test/sigs/main.hsb.gz");
    let s: SourceSpec = "hashes:/lists/iocs.txt".parse().expect("explicit");
    assert_eq!(s.kind, SourceKind::Hashes);
    assert_eq!(s.location, "/lists/iocs.txt");
    // An explicit kind wins over the extension.
    let s: SourceSpec = "osv:/x/odd.hdb".parse().expect("explicit kind");
    assert_eq!(s.kind, SourceKind::Osv);
    assert!("/lists/iocs.txt".parse::<SourceSpec>().is_err());
    let err = "nope:/x".parse::<SourceSpec>().expect_err("unknown kind");
    assert!(err.to_string().contains("hashes"), "{err}");
}

#[tokio::test]
async fn hash_lists_import_and_load() {
    let lists = tempfile::tempdir().expect("tmp");
    let hdb = write(
        lists.path(),
        "custom.hdb",
        &format!("# test\n{MD5}:68:Test.Eicar.MD5\nbroken line\n"),
    );
    let hsb = write(
        lists.path(),
        "custom.hsb",
        &format!("{SHA1}:68:Test.Eicar.SHA1\n{SHA256}:*:Test.Eicar.SHA256:73\n"),
    );
    let plain = write(
        lists.path(),
        "iocs.txt",
        &format!("{SHA256}  eicar.com\n{MD5}\n"),
    );
    let db = tempfile::tempdir().expect("db");
    let http = reqwest::Client::new();
    let sources: Vec<SourceSpec> = [hdb.clone(), hsb.clone(), format!("hashes:{plain}")]
        .iter()
        .map(|s| s.parse().expect("spec"))
        .collect();
    let report = update(db.path(), &sources, &http).await.expect("update");
    assert!(report.changed);
    let skipped = &report.skipped[&format!("hashes:{hdb}")];
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].what, format!("{hdb}:3"));
    let st = status(db.path()).expect("status");
    let counts: Vec<(u64, u64)> = st.sources.iter().map(|s| (s.records, s.skipped)).collect();
    assert_eq!(counts, [(1, 1), (2, 0), (2, 0)]);

    let loaded = load_malware_hashes(db.path()).expect("load");
    let sig = |algorithm, hash: &str, size, name: &str| HashSignature {
        algorithm,
        hash: hash.into(),
        size,
        name: name.into(),
    };
    assert_eq!(
        loaded,
        [
            sig(HashAlgorithm::Md5, MD5, None, "iocs.txt"),
            sig(HashAlgorithm::Md5, MD5, Some(68), "Test.Eicar.MD5"),
            sig(HashAlgorithm::Sha1, SHA1, Some(68), "Test.Eicar.SHA1"),
            sig(HashAlgorithm::Sha256, SHA256, None, "Test.Eicar.SHA256"),
            sig(HashAlgorithm::Sha256, SHA256, None, "eicar.com"),
        ]
    );

    // A changed list replaces that source's rows, and only them.
    write(lists.path(), "custom.hdb", &format!("{MD5}:68:Renamed\n"));
    let again = update(db.path(), &sources, &http).await.expect("update 2");
    assert_eq!(again.imported.len(), 1);
    assert_eq!(again.unchanged.len(), 2);
    let loaded = load_malware_hashes(db.path()).expect("load 2");
    assert_eq!(loaded.len(), 5);
    assert!(loaded.iter().any(|s| s.name == "Renamed"));
    assert!(!loaded.iter().any(|s| s.name == "Test.Eicar.MD5"));
}

#[tokio::test]
async fn a_database_without_hash_lists_has_none() {
    let lists = tempfile::tempdir().expect("tmp");
    let kev = write(
        lists.path(),
        "kev.json",
        r#"{"title":"t","catalogVersion":"1","dateReleased":"2024-01-01T00:00:00.000Z","count":0,"vulnerabilities":[]}"#,
    );
    let db = tempfile::tempdir().expect("db");
    let spec: SourceSpec = format!("kev:{kev}").parse().expect("spec");
    update(db.path(), &[spec], &reqwest::Client::new())
        .await
        .expect("update");
    assert!(load_malware_hashes(db.path()).expect("load").is_empty());
    // A version-1 file (no table at all) reads as empty too.
    let conn = rusqlite::Connection::open(db.path().join("vulndb.sqlite")).expect("open");
    conn.execute_batch("DROP TABLE malware_hashes")
        .expect("drop");
    drop(conn);
    assert!(load_malware_hashes(db.path()).expect("load v1").is_empty());
    assert!(load_malware_hashes(Path::new("/nonexistent-wharf-db")).is_err());
}
