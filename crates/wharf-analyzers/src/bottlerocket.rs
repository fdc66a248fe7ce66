//! Bottlerocket: the application inventory
//! (`/usr/share/bottlerocket/application-inventory.json`).
//!
//! Bottlerocket has no package database in the image; its build writes an
//! inventory of the rpm packages it installed:
//! `{"Content": [{"Name", "Version", "Release", "Epoch", "Architecture",
//! …}]}`. Each entry becomes an [`Ecosystem::Rpm`] package with version
//! `Version-Release` and the epoch when not `0`, which is how Bottlerocket's
//! advisories (`updateinfo.xml`) name fixed versions.

use serde::Deserialize;
use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Where the inventory lives, without the leading slash.
pub const PATH: &str = "usr/share/bottlerocket/application-inventory.json";
/// Largest inventory accepted.
const MAX_INVENTORY_BYTES: usize = 16 << 20;

#[derive(Deserialize)]
struct Inventory {
    #[serde(rename = "Content", default)]
    content: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Version")]
    version: String,
    #[serde(rename = "Release", default)]
    release: String,
    #[serde(rename = "Epoch", default)]
    epoch: String,
    #[serde(rename = "Architecture", default)]
    architecture: String,
}

/// Parses the inventory at `path` into packages, in file order.
///
/// Invalid JSON, an entry without a name or version, a non-numeric epoch
/// or an inventory over the size cap is a [`ParseError`].
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    crate::error::within(path, "application inventory", content, MAX_INVENTORY_BYTES)?;
    let inv: Inventory = serde_json::from_slice(content)
        .map_err(|e| ParseError::new(path, format!("invalid application inventory: {e}")))?;
    inv.content
        .into_iter()
        .map(|e| {
            if e.name.is_empty() || e.version.is_empty() {
                return Err(ParseError::new(path, "an entry without Name or Version"));
            }
            let epoch = match e.epoch.as_str() {
                "" | "0" => None,
                n => Some(n.parse::<u32>().map_err(|_| {
                    ParseError::new(path, format!("{}: invalid Epoch {n:?}", e.name))
                })?),
            };
            let version = if e.release.is_empty() {
                e.version
            } else {
                format!("{}-{}", e.version, e.release)
            };
            let mut p = Package::new(Ecosystem::Rpm, e.name, version, path);
            p.epoch = epoch;
            p.arch = (!e.architecture.is_empty()).then_some(e.architecture);
            Ok(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_inventories_are_errors() {
        assert!(parse(PATH, b"{").is_err());
        assert!(parse(PATH, br#"{"Content":[{"Name":"a","Version":""}]}"#).is_err());
        assert!(
            parse(
                PATH,
                br#"{"Content":[{"Name":"a","Version":"1","Epoch":"x"}]}"#
            )
            .is_err()
        );
        let p = parse(PATH, br#"{"Content":[{"Name":"a","Version":"1"}]}"#).expect("parse");
        assert_eq!((p[0].version.as_str(), p[0].epoch), ("1", None));
    }
}
