//! Cargo version requirements (`Cargo.toml` / RustSec syntax), which differ
//! from npm ranges: a bare `1.2.3` means `^1.2.3`, comparators are
//! comma-separated, and there is no `||` or hyphen range. Evaluated with
//! the `semver` crate (Cargo's own implementation), including Cargo's
//! pre-release rule (a pre-release only matches a comparator naming a
//! pre-release of the same `MAJOR.MINOR.PATCH`).

use crate::npm::SemVer;

/// A parsed Cargo version requirement.
#[derive(Debug, Clone)]
pub struct CargoReq {
    req: semver::VersionReq,
}

impl CargoReq {
    /// Parses a requirement (`>= 1.2, < 2`, `^0.3`, `=1.0.0`, `*`).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        semver::VersionReq::parse(input)
            .map(|req| Self { req })
            .map_err(|_| "invalid Cargo version requirement")
    }

    /// Whether a SemVer version satisfies the requirement.
    pub fn matches(&self, v: &SemVer) -> bool {
        v.to_cargo().is_some_and(|v| self.req.matches(&v))
    }
}
