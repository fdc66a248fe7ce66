//! CISA Known Exploited Vulnerabilities catalog
//! (`known_exploited_vulnerabilities.json`) → [`KevEntry`].
//!
//! Each `vulnerabilities[]` entry is validated on its own (the schema's
//! `cveID` pattern `^CVE-[0-9]{4}-[0-9]{4,19}$`, required string fields);
//! an invalid entry is skipped with a reason. `knownRansomwareCampaignUse`
//! is `"Known"` → `true`, anything else (`"Unknown"`) → `false`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::model::KevEntry;
use crate::{Error, ImportReport, Skipped};

/// The catalog header plus the parsed entries.
#[derive(Debug, Clone, PartialEq)]
pub struct KevCatalog {
    /// `catalogVersion` (e.g. `2025.08.25`).
    pub version: String,
    /// `dateReleased` (RFC 3339).
    pub date_released: String,
    /// `count` as the catalog states it.
    pub declared_count: usize,
    /// Entries and skipped entries.
    pub report: ImportReport<KevEntry>,
}

#[derive(Deserialize)]
struct RawCatalog {
    #[serde(rename = "catalogVersion", default)]
    version: String,
    #[serde(rename = "dateReleased", default)]
    date_released: String,
    #[serde(default)]
    count: usize,
    vulnerabilities: Vec<Value>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve: String,
    #[serde(rename = "vendorProject")]
    vendor: String,
    product: String,
    #[serde(rename = "dateAdded")]
    date_added: String,
    #[serde(rename = "dueDate")]
    due_date: String,
    #[serde(rename = "knownRansomwareCampaignUse", default)]
    ransomware: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

/// Imports the catalog from a file (plain or gzip-compressed).
pub fn import_path(path: &Path) -> Result<KevCatalog, Error> {
    let name = path.display().to_string();
    let data = crate::maybe_gunzip(&crate::read_file(path)?, &name)?;
    parse_bytes(&data, &name)
}

/// Whether `s` matches the catalog schema's CVE pattern.
pub fn valid_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!((parts.next(), parts.next(), parts.next()), (Some("CVE"), Some(y), Some(n))
        if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
            && (4..=19).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses the catalog; a document without a `vulnerabilities` array is an
/// [`Error::Format`].
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<KevCatalog, Error> {
    let raw: RawCatalog = serde_json::from_slice(data).map_err(|e| Error::Format {
        path: origin.into(),
        format: "CISA KEV JSON",
        reason: e.to_string(),
    })?;
    let mut report = ImportReport::default();
    for (i, v) in raw.vulnerabilities.into_iter().enumerate() {
        let what = v
            .get("cveID")
            .and_then(Value::as_str)
            .filter(|s| s.len() <= 64)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{origin}: vulnerabilities[{i}]"));
        let e: RawEntry = match serde_json::from_value(v) {
            Ok(e) => e,
            Err(err) => {
                report
                    .skipped
                    .push(Skipped::new(what, format!("malformed entry: {err}")));
                continue;
            }
        };
        if !valid_cve(&e.cve) {
            report
                .skipped
                .push(Skipped::new(what, "cveID does not match CVE-YYYY-NNNN"));
            continue;
        }
        report.imported.push(KevEntry {
            cve: e.cve,
            vendor: e.vendor,
            product: e.product,
            date_added: e.date_added,
            due_date: e.due_date,
            known_ransomware: e.ransomware.as_deref() == Some("Known"),
            notes: e.notes.unwrap_or_default(),
        });
    }
    Ok(KevCatalog {
        version: raw.version,
        date_released: raw.date_released,
        declared_count: raw.count,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_pattern() {
        assert!(valid_cve("CVE-2021-44228"));
        assert!(valid_cve("CVE-2021-1234567"));
        assert!(!valid_cve("CVE-21-44228"));
        assert!(!valid_cve("CVE-2021-123"));
        assert!(!valid_cve("GHSA-2021-1234"));
    }

    #[test]
    fn bad_entry_is_skipped() {
        let doc = br#"{"catalogVersion":"1","dateReleased":"x","count":2,"vulnerabilities":[
            {"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known"},
            {"cveID":"CVE-2021-1","vendorProject":"x"}]}"#;
        let c = parse_bytes(doc, "t").expect("parse");
        assert_eq!(c.report.imported.len(), 1);
        assert!(c.report.imported[0].known_ransomware);
        assert_eq!(c.report.skipped.len(), 1);
    }
}
