//! Scan reports in interchange formats: matches rendered for other tools.
//!
//! - [`to_sarif`]: a SARIF 2.1.0 log — one run, one rule per vulnerability
//!   id, one result per match — for code-scanning dashboards.
//! - [`to_cyclonedx_vex`]: the image's CycloneDX 1.6 SBOM with a
//!   `vulnerabilities` array whose `affects` point at the SBOM's components.
//!
//! Both are deterministic: the same inventories, matches and options give
//! the same document.

mod cyclonedx;
mod sarif;

pub use cyclonedx::to_cyclonedx_vex;
pub use sarif::{SARIF_SCHEMA, to_sarif};

use wharf_inventory::Inventory;

use crate::{FixState, Match};

/// The web page of a vulnerability id on osv.dev.
fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

/// The index in `inv.packages` of the package a match was made on: the
/// same ecosystem, name and locations (the matcher copies all three from
/// the package); failing that, the same ecosystem and name.
fn package_index(inv: &Inventory, m: &Match) -> Option<usize> {
    inv.packages
        .iter()
        .position(|p| {
            p.ecosystem == m.ecosystem && p.name == m.package && p.locations == m.locations
        })
        .or_else(|| {
            inv.packages
                .iter()
                .position(|p| p.ecosystem == m.ecosystem && p.name == m.package)
        })
}

/// A fix-state word as in the scan JSON (`fixed`, `unfixed`, `wont-fix`).
fn state_name(s: FixState) -> &'static str {
    match s {
        FixState::Fixed => "fixed",
        FixState::Unfixed => "unfixed",
        FixState::WontFix => "wont-fix",
    }
}

/// One line saying what is affected and whether a fix exists:
/// `requests 2.19.1 is affected by CVE-2018-18074; fixed in 2.20.0`.
fn fix_message(m: &Match) -> String {
    let fix = match m.state {
        FixState::Fixed if !m.fixed_versions.is_empty() => {
            format!("fixed in {}", m.fixed_versions.join(", "))
        }
        FixState::WontFix => "no fix available (the distribution will not fix it)".to_owned(),
        _ => "no fix available".to_owned(),
    };
    format!(
        "{} {} is affected by {}; {fix}",
        m.package, m.installed_version, m.id
    )
}
