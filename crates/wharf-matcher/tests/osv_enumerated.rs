//! osv.dev's worker enumerates, for each affected package of a record,
//! the versions its ranges cover. For the records whose ranges are not
//! GIT ranges, every enumerated version must be affected in wharf too —
//! both through the matcher ([`Database`] on a one-package inventory) and
//! through [`wharf_version::in_osv_range`].
//!
//! Only the positive direction can be checked: osv.dev enumerates from
//! each release's own version history, which the samples do not include,
//! so a version missing from a list is not evidence that it is unaffected
//! (e.g. Alpine v3.15 never shipped mariadb 10.4.x, which v3.12 lists).

use std::collections::BTreeSet;

use serde_json::Value;
use wharf_inventory::{ImageMeta, Inventory};
use wharf_matcher::Database;
use wharf_types::{Ecosystem, OsInfo, Package};
use wharf_version::{OsvEvent, Scheme};
use wharf_vulndb::store::Snapshot;
use wharf_vulndb::{Advisory, Affected, Event, Range, RangeKind};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/osv-worker/enumerated.json"
);

/// The package ecosystem and OS an entry's OSV ecosystem string needs.
fn target(osv_ecosystem: &str) -> (Ecosystem, Option<OsInfo>) {
    let os = |family: &str, version: &str| {
        Some(OsInfo {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        })
    };
    let parts: Vec<&str> = osv_ecosystem.split(':').collect();
    match parts.as_slice() {
        ["Alpine", v] => (Ecosystem::Apk, os("alpine", &format!("{}.0", &v[1..]))),
        ["Debian", v] => (Ecosystem::Deb, os("debian", v)),
        ["Ubuntu", "Pro", v, "LTS"] => (Ecosystem::Deb, os("ubuntu", v)),
        ["PyPI"] => (Ecosystem::Pypi, None),
        ["Maven"] => (Ecosystem::Maven, None),
        _ => panic!("no mapping for {osv_ecosystem}"),
    }
}

fn events(r: &Value) -> Vec<(String, String)> {
    r["events"]
        .as_array()
        .expect("events")
        .iter()
        .flat_map(|e| e.as_object().expect("event").iter())
        .map(|(k, v)| (k.clone(), v.as_str().expect("event value").to_owned()))
        .collect()
}

fn wharf_range(r: &Value) -> Range {
    Range {
        kind: match r["type"].as_str() {
            Some("SEMVER") => RangeKind::Semver,
            _ => RangeKind::Ecosystem,
        },
        repo: None,
        events: events(r)
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "introduced" => Event::Introduced(v),
                "fixed" => Event::Fixed(v),
                "last_affected" => Event::LastAffected(v),
                "limit" => Event::Limit(v),
                other => panic!("unknown event {other}"),
            })
            .collect(),
    }
}

fn osv_events(r: &Value) -> Vec<OsvEvent> {
    events(r)
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "introduced" => OsvEvent::Introduced(v),
            "fixed" => OsvEvent::Fixed(v),
            "last_affected" => OsvEvent::LastAffected(v),
            _ => OsvEvent::Limit(v),
        })
        .collect()
}

fn affected_in_db(entry: &Value, version: &str) -> bool {
    let eco = entry["ecosystem"].as_str().expect("ecosystem");
    let name = entry["package"].as_str().expect("package");
    let mut af = Affected::new(eco, name);
    af.ranges = entry["ranges"]
        .as_array()
        .expect("ranges")
        .iter()
        .map(wharf_range)
        .collect();
    let mut a = Advisory::new("OSV-TEST", "test");
    a.affected.push(af);
    let db = Database::from_snapshot(Snapshot {
        snapshot_id: "t".into(),
        advisories: vec![a],
        kev: Vec::new(),
        epss: Vec::new(),
        repository_cpes: Vec::new(),
    });
    let (ecosystem, os) = target(eco);
    let inv = Inventory {
        schema_version: wharf_inventory::INVENTORY_SCHEMA_VERSION,
        image: ImageMeta::default(),
        os,
        packages: vec![Package::new(ecosystem, name, version, "fixture")],
        diagnostics: Vec::new(),
        analyzers: Vec::new(),
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    };
    !db.match_inventory(&inv).is_empty()
}

fn affected_in_ranges(entry: &Value, version: &str) -> bool {
    let eco = entry["ecosystem"].as_str().expect("ecosystem");
    let scheme = Scheme::from_osv_ecosystem(eco).expect("scheme");
    entry["ranges"].as_array().expect("ranges").iter().any(|r| {
        wharf_version::in_osv_range(scheme, version, &osv_events(r))
            .unwrap_or_else(|e| panic!("{eco} {version}: {e}"))
    })
}

#[test]
#[allow(clippy::print_stderr)] // a one-line summary of what ran
fn enumerated_versions_agree() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("read")).expect("json");
    let entries = doc["entries"].as_array().expect("entries");
    let mut failures = Vec::new();
    let mut positive = 0;
    for entry in entries {
        let label = format!(
            "{} #{} {} {}",
            entry["file"], entry["index"], entry["ecosystem"], entry["package"]
        );
        let listed: BTreeSet<&str> = entry["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for v in &listed {
            positive += 1;
            if !affected_in_db(entry, v) {
                failures.push(format!(
                    "{label}: {v} enumerated, matcher says not affected"
                ));
            }
            if !affected_in_ranges(entry, v) {
                failures.push(format!("{label}: {v} enumerated, in_osv_range says no"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("osv enumerated versions: {positive} affected versions agree");
    assert!(positive > 500);
}
