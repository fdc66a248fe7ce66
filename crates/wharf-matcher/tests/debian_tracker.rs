//! The Debian security tracker's open issues, imported by wharf-vulndb and
//! matched: an issue still open in a release affects every version there
//! (unfixed, or won't-fix when the tracker says `ignored`/`postponed`).

use wharf_inventory::{INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory};
use wharf_matcher::{Database, FixState};
use wharf_types::{Ecosystem, OsInfo, Package, SourcePackage};
use wharf_vulndb::store::Snapshot;

const TRACKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wharf-vulndb/tests/fixtures/debian/tracker.json"
);

fn states(
    db: &Database,
    release: &str,
    binary: &str,
    source: &str,
    version: &str,
) -> Vec<(String, FixState)> {
    let mut p = Package::new(Ecosystem::Deb, binary, version, "var/lib/dpkg/status");
    p.source = Some(SourcePackage {
        name: source.into(),
        version: Some(version.into()),
    });
    let inv = Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta::default(),
        os: Some(OsInfo {
            family: "debian".into(),
            version: release.into(),
            ..OsInfo::default()
        }),
        packages: vec![p],
        diagnostics: vec![],
        analyzers: vec![],
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    };
    db.match_inventory(&inv)
        .into_iter()
        .map(|m| (m.id, m.state))
        .collect()
}

#[test]
fn open_issues_affect_the_release() {
    let report = wharf_vulndb::debian::import_path(std::path::Path::new(TRACKER)).expect("import");
    let db = Database::from_snapshot(Snapshot {
        advisories: report.imported,
        ..Snapshot::default()
    });
    let open = |state: FixState| vec![("CVE-2021-29629".to_owned(), state)];
    // bookworm: open, no reason given.
    assert_eq!(
        states(&db, "12.5", "libdacs1", "dacs", "1.4.40-2"),
        open(FixState::Unfixed)
    );
    // buster: open and `ignored`.
    assert_eq!(
        states(&db, "10", "libdacs1", "dacs", "1.4.40-1"),
        open(FixState::WontFix)
    );
    // bullseye: gnutls28 `postponed`.
    assert!(
        states(&db, "11", "libgnutls30", "gnutls28", "3.7.1-5+deb11u4")
            .contains(&("CVE-2023-5981".to_owned(), FixState::WontFix))
    );
}
