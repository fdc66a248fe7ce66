//! `wharf db update` semantics: sources over loopback HTTP and local paths,
//! fingerprints that skip unchanged sources, a snapshot per change, and an
//! existing database left untouched by a failed update.

use std::io::Write as _;
use std::path::Path;

use wharf_vulndb::store::{SourceSpec, StoreError, advisories_for, status, update};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn osv_zip(records: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in records {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        w.write_all(body.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

fn record(id: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-{n}"],
            "affected":[{{"package":{{"ecosystem":"PyPI","name":"requests"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#,
        n = id.len() * 1000 + fixed.len()
    )
}

fn spec(s: &str) -> SourceSpec {
    s.parse().expect("source spec")
}

#[tokio::test]
async fn update_skips_unchanged_sources_and_snapshots_changes() {
    let server = MockServer::start().await;
    let zip_v1 = osv_zip(&[
        ("GHSA-aaaa.json", &record("GHSA-aaaa", "2.20.0")),
        ("PYSEC-1.json", &record("PYSEC-1", "2.31.0")),
    ]);
    Mock::given(path("/PyPI/all.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(zip_v1))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let http = reqwest::Client::new();
    let sources = vec![
        spec(&format!("osv:{}/PyPI/all.zip", server.uri())),
        spec(&format!(
            "kev:{FIXTURES}/cisa-kev/known_exploited_vulnerabilities.json"
        )),
        spec(&format!("osv:{FIXTURES}/pypa")),
        spec(&format!("almalinux:{FIXTURES}/almalinux/errata.json")),
        spec(&format!(
            "redhat-cpe:{FIXTURES}/redhat/repository-to-cpe.json"
        )),
    ];
    let first = update(dir.path(), &sources, &http)
        .await
        .expect("first update");
    assert!(first.changed);
    assert_eq!(first.imported.len(), 5);
    let s = status(dir.path()).expect("status");
    assert_eq!(s.snapshot_id, first.snapshot_id);
    assert_eq!(s.kev, 1404, "every KEV entry");
    assert!(s.advisories > 200, "{}", s.advisories);
    assert!(s.sources.iter().all(|x| x.snapshot_id == first.snapshot_id));
    let req = advisories_for(dir.path(), "PyPI", "requests").expect("lookup");
    assert!(
        req.iter().any(|a| a.id == "GHSA-aaaa"),
        "{:?}",
        req.iter().map(|a| &a.id).collect::<Vec<_>>()
    );
    let alma = advisories_for(dir.path(), "AlmaLinux:8", "libsndfile").expect("lookup");
    let alma: Vec<(&str, &[String])> = alma
        .iter()
        .map(|a| (a.id.as_str(), a.related.as_slice()))
        .collect();
    assert_eq!(
        alma,
        [("CVE-2021-3246", &["ALSA-2021:3253".to_owned()][..])]
    );

    // Same content again: nothing re-imported, no new snapshot.
    let second = update(dir.path(), &sources, &http)
        .await
        .expect("second update");
    assert!(!second.changed);
    assert_eq!(second.snapshot_id, first.snapshot_id);
    assert_eq!(second.unchanged.len(), 5);

    // One source changes: only it is re-imported, under a new snapshot.
    let zip_v2 = osv_zip(&[
        ("GHSA-aaaa.json", &record("GHSA-aaaa", "2.20.0")),
        ("GHSA-bbbb.json", &record("GHSA-bbbb", "2.32.0")),
    ]);
    server.reset().await;
    Mock::given(path("/PyPI/all.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(zip_v2))
        .mount(&server)
        .await;
    let third = update(dir.path(), &sources, &http)
        .await
        .expect("third update");
    assert!(third.changed);
    assert_ne!(third.snapshot_id, first.snapshot_id);
    assert_eq!(third.imported.len(), 1);
    assert_eq!(third.unchanged.len(), 4);
    let ids: Vec<String> = advisories_for(dir.path(), "PyPI", "requests")
        .expect("lookup")
        .into_iter()
        .filter(|a| a.source.starts_with("osv:http"))
        .map(|a| a.id)
        .collect();
    assert_eq!(
        ids,
        ["GHSA-aaaa", "GHSA-bbbb"],
        "PYSEC-1 is gone with the old dump"
    );
    let s = status(dir.path()).expect("status");
    let kev = s
        .sources
        .iter()
        .find(|x| x.name.starts_with("kev:"))
        .expect("kev source");
    assert_eq!(
        kev.snapshot_id, first.snapshot_id,
        "unchanged source keeps its snapshot"
    );
}

#[tokio::test]
async fn a_failed_source_leaves_its_data_untouched() {
    let server = MockServer::start().await;
    let good = osv_zip(&[("GHSA-aaaa.json", &record("GHSA-aaaa", "2.20.0"))]);
    Mock::given(path("/good.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(good.clone()))
        .mount(&server)
        .await;
    Mock::given(path("/truncated.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(good[..good.len() / 2].to_vec()))
        .mount(&server)
        .await;
    Mock::given(path("/gone.zip"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let http = reqwest::Client::new();
    let first = update(
        dir.path(),
        &[spec(&format!("osv:{}/good.zip", server.uri()))],
        &http,
    )
    .await
    .expect("first");
    let db = dir.path().join("vulndb.sqlite");
    let before = std::fs::read(&db).expect("db");

    for bad in ["truncated.zip", "gone.zip"] {
        // Only a bad source: the update fails and changes nothing.
        let err = update(
            dir.path(),
            &[spec(&format!("osv:{}/{bad}", server.uri()))],
            &http,
        )
        .await
        .expect_err("bad source");
        assert!(
            matches!(err, StoreError::Parse { .. } | StoreError::Fetch { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(bad), "{err}");
        // Beside a good source: the bad one is reported, the good one
        // (unchanged here) goes on, and the database is not touched.
        let sources = [
            spec(&format!("osv:{}/good.zip", server.uri())),
            spec(&format!("osv:{}/{bad}", server.uri())),
        ];
        let report = update(dir.path(), &sources, &http)
            .await
            .expect("partial update");
        assert!(!report.changed);
        let failed: Vec<&String> = report.failed.keys().collect();
        assert_eq!(failed, [&sources[1].name()]);
        assert!(report.failed[&sources[1].name()].contains(bad));
        assert_eq!(
            std::fs::read(&db).expect("db"),
            before,
            "{bad}: database changed"
        );
        assert_eq!(
            status(dir.path()).expect("status").snapshot_id,
            first.snapshot_id
        );
    }
    // A failed source keeps its previous rows while another source changes.
    let fresh = osv_zip(&[("GHSA-cccc.json", &record("GHSA-cccc", "3.0.0"))]);
    Mock::given(path("/fresh.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fresh))
        .mount(&server)
        .await;
    let report = update(
        dir.path(),
        &[
            spec(&format!("osv:{}/gone.zip", server.uri())),
            spec(&format!("osv:{}/fresh.zip", server.uri())),
        ],
        &http,
    )
    .await
    .expect("partial update");
    assert!(report.changed && report.failed.len() == 1);
    let ids: Vec<String> = advisories_for(dir.path(), "PyPI", "requests")
        .expect("lookup")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["GHSA-aaaa", "GHSA-cccc"], "good.zip's rows are kept");
    // No temporary files or lock left behind.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "vulndb.sqlite")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A second update while one holds the lock is refused.
    std::fs::write(dir.path().join("update.lock"), "1").expect("lock");
    let err = update(
        dir.path(),
        &[spec(&format!("osv:{}/good.zip", server.uri()))],
        &http,
    )
    .await
    .expect_err("locked");
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
}

#[test]
fn source_specs_and_missing_database() {
    assert!("osv:/tmp/x".parse::<SourceSpec>().is_ok());
    assert!("nvd:/tmp/x".parse::<SourceSpec>().is_err());
    assert_eq!(
        spec("almalinux:https://errata.almalinux.org/9/errata.json").name(),
        "almalinux:https://errata.almalinux.org/9/errata.json"
    );
    assert!("osv:".parse::<SourceSpec>().is_err());
    assert_eq!(
        spec("kev:https://example/kev.json").name(),
        "kev:https://example/kev.json"
    );
    assert!(matches!(
        status(Path::new("/nonexistent-wharf-db")),
        Err(StoreError::Missing(_))
    ));
    assert!(
        wharf_vulndb::store::default_sources()
            .iter()
            .all(|s| s.location.starts_with("https://"))
    );
}
