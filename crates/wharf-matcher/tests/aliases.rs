//! One vulnerability reached through two feeds' advisories is reported
//! once per package, with every id and every fix the advisories carry.

use wharf_inventory::{INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory};
use wharf_matcher::{Database, FixState};
use wharf_types::{Ecosystem, Package};
use wharf_vulndb::Advisory;
use wharf_vulndb::store::Snapshot;

fn advisory(id: &str, source: &str, fixed: &str) -> Advisory {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "aliases": ["CVE-2024-0001"],
        "source": source,
        "affected": [{
            "ecosystem": "PyPI",
            "package": "demo",
            "ranges": [{"kind": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
    }))
    .expect("advisory")
}

#[test]
fn duplicates_across_feeds_are_merged() {
    let db = Database::from_snapshot(Snapshot {
        snapshot_id: "s1".into(),
        advisories: vec![
            advisory("PYSEC-2024-1", "osv:pypa", "1.5"),
            advisory("GHSA-aaaa-bbbb-cccc", "osv:ghsa", "1.4.2"),
        ],
        kev: vec![],
        epss: vec![],
        repository_cpes: Vec::new(),
    });
    let inv = Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta::default(),
        os: None,
        packages: vec![Package::new(
            Ecosystem::Pypi,
            "demo",
            "1.0",
            "site-packages/demo-1.0.dist-info/METADATA",
        )],
        diagnostics: vec![],
        analyzers: vec![],
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    };
    let matches = db.match_inventory(&inv);
    assert_eq!(matches.len(), 1, "{matches:#?}");
    let m = &matches[0];
    assert_eq!(m.id, "CVE-2024-0001");
    assert_eq!(m.aliases, ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]);
    assert_eq!(m.fixed_versions, ["1.4.2", "1.5"]);
    assert_eq!(m.state, FixState::Fixed);
}
