//! The bundled end-of-life table of operating-system releases
//! (`data/eol.toml`, dated by its `as_of`).

use serde::{Deserialize, Serialize};
use wharf_types::OsInfo;

const TABLE: &str = include_str!("../data/eol.toml");

/// The end-of-life table.
#[derive(Debug, Clone, Deserialize)]
pub struct EolTable {
    /// The day the table was last checked against its sources.
    pub as_of: jiff::civil::Date,
    /// Where the dates come from.
    pub sources: Vec<String>,
    /// Releases.
    pub releases: Vec<EolRelease>,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EolRelease {
    /// OS family as wharf names it (`debian`, `ubuntu`, `rhel`…).
    pub family: String,
    /// Release version (`12`, `22.04`, `3.19`, `15.5` for SLES 15 SP5).
    pub version: String,
    /// Codename, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The day security updates stop (see the table's header).
    pub eol: jiff::civil::Date,
    /// End of paid extended support (Ubuntu ESM, RHEL ELS…), when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended: Option<jiff::civil::Date>,
}

/// An image's OS release checked against the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EolStatus {
    /// The release row.
    pub release: EolRelease,
    /// Whether the release's support ended on or before the evaluation
    /// day: `eol`, or `extended` when the image has extended support
    /// enabled.
    pub end_of_life: bool,
    /// Whether the end is the extended one (the image enables extended
    /// support, Ubuntu ESM, and the table has its date).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extended_support: bool,
    /// The table's `as_of` date.
    pub table_as_of: jiff::civil::Date,
}

impl EolTable {
    /// The bundled table.
    pub fn bundled() -> &'static EolTable {
        static T: std::sync::OnceLock<EolTable> = std::sync::OnceLock::new();
        T.get_or_init(|| match toml::from_str(TABLE) {
            Ok(t) => t,
            // Checked by the tests; an empty table finds nothing.
            Err(_) => EolTable {
                as_of: jiff::civil::date(1970, 1, 1),
                sources: Vec::new(),
                releases: Vec::new(),
            },
        })
    }

    /// The release row of `os`: same family, and the OS version equal to
    /// the row's or starting with it and a dot (`3.19.1` → `3.19`, `9.3` →
    /// `9`), the longest such row.
    pub fn lookup(&self, os: &OsInfo) -> Option<&EolRelease> {
        let family = match os.family.as_str() {
            "almalinux" => "alma",
            "rocky-linux" => "rocky",
            "amzn" => "amazon",
            "opensuse" => "opensuse-leap",
            f => f,
        };
        self.releases
            .iter()
            .filter(|r| r.family == family)
            .filter(|r| {
                os.version == r.version
                    || os
                        .version
                        .strip_prefix(r.version.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|r| r.version.len())
    }

    /// `os` checked on `today`. A release with extended support enabled
    /// in the image (Ubuntu ESM) ends at its `extended` date, when the
    /// table has one.
    pub fn status(&self, os: &OsInfo, today: jiff::civil::Date) -> Option<EolStatus> {
        self.lookup(os).map(|r| {
            let (end, extended_support) = match r.extended {
                Some(extended) if os.extended_support => (extended, true),
                _ => (r.eol, false),
            };
            EolStatus {
                release: r.clone(),
                end_of_life: end <= today,
                extended_support,
                table_as_of: self.as_of,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: &str, version: &str) -> OsInfo {
        OsInfo {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    #[test]
    fn bundled_table_parses_and_covers_the_distributions() {
        let t = EolTable::bundled();
        assert!(t.releases.len() > 60, "{}", t.releases.len());
        assert!(!t.sources.is_empty());
        for family in [
            "debian",
            "ubuntu",
            "alpine",
            "rhel",
            "rocky",
            "alma",
            "centos",
            "oracle",
            "amazon",
            "sles",
            "opensuse-leap",
            "fedora",
        ] {
            assert!(
                t.releases.iter().any(|r| r.family == family),
                "{family} missing"
            );
        }
    }

    #[test]
    fn lookup_by_prefix_and_dates() {
        let t = EolTable::bundled();
        let day = jiff::civil::date(2026, 11, 27);
        let s = t.status(&os("debian", "10"), day).expect("buster");
        assert!(s.end_of_life);
        assert_eq!(s.release.name.as_deref(), Some("buster"));
        assert!(!t.status(&os("debian", "12"), day).expect("12").end_of_life);
        assert!(
            t.status(&os("alpine", "3.19.1"), day)
                .expect("3.19")
                .end_of_life
        );
        assert!(
            !t.status(&os("alpine", "3.22.0"), day)
                .expect("3.22")
                .end_of_life
        );
        assert!(
            t.status(&os("centos", "7.9.2009"), day)
                .expect("c7")
                .end_of_life
        );
        assert!(
            !t.status(&os("rhel", "9.3"), day)
                .expect("rhel9")
                .end_of_life
        );
        assert!(t.status(&os("sles", "15.4"), day).expect("sp4").end_of_life);
        // Ubuntu with ESM enabled ends at the extended date (the days of
        // trivy's `IsSupportedVersion` ESM cases; Go's April 31 is May 1).
        let esm = |version: &str| OsInfo {
            extended_support: true,
            ..os("ubuntu", version)
        };
        let eol = |o: &OsInfo, y, m, d| {
            t.status(o, jiff::civil::date(y, m, d))
                .expect("ubuntu")
                .end_of_life
        };
        assert!(eol(&esm("18.04"), 2030, 5, 1));
        assert!(!eol(&esm("18.04"), 2027, 5, 1));
        assert!(eol(&os("ubuntu", "18.04"), 2027, 5, 1));
        assert!(!eol(&esm("20.04"), 2022, 5, 1));
        assert!(!eol(&esm("20.04"), 2030, 5, 1));
        assert!(eol(&os("ubuntu", "20.04"), 2030, 5, 1));
        // No extended date in the table: the standard one.
        assert!(eol(&esm("23.04"), 2025, 1, 1));
        assert_eq!(t.lookup(&os("alpine", "3.1")), None, "3.1 is not 3.12");
        assert_eq!(t.lookup(&os("plan9", "4")), None);
    }
}
