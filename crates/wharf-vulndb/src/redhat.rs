//! Red Hat's repository-to-CPE map
//! (`https://security.access.redhat.com/data/metrics/repository-to-cpe.json`).
//!
//! Red Hat files a fix under the product stream (CPE) it ships in:
//! `cpe:/o:redhat:enterprise_linux:8::baseos`,
//! `cpe:/a:redhat:enterprise_linux:8::appstream`, an EUS or SAP stream….
//! An image says which repositories ("content sets") its packages came
//! from (`/root/buildinfo/content_manifests/*.json`), and this map turns
//! them into the CPEs whose advisories apply, so an advisory for another
//! stream of the same release does not match.
//!
//! Red Hat publishes `{"data": {"<repository>": {"cpes": ["cpe:/…", …],
//! …}}}`; vuln-list's mirror flattens it to `{"<repository>": ["cpe:/…"]}`.
//! Both are read. A repository whose entry is malformed is skipped with
//! the reason.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, ImportReport, Skipped, limits};

/// The CPEs of one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryCpes {
    /// The repository (content set) id, `rhel-8-for-x86_64-baseos-rpms`.
    pub repository: String,
    /// Its product streams, as CPE URIs.
    pub cpes: Vec<String>,
}

/// Imports a repository-to-CPE document from a file.
pub fn import_path(path: &Path) -> Result<ImportReport<RepositoryCpes>, Error> {
    let (data, name) = crate::read_feed(path)?;
    parse_bytes(&data, &name)
}

/// Parses a repository-to-CPE document; anything but a JSON object of
/// repositories is an [`Error::Format`].
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<ImportReport<RepositoryCpes>, Error> {
    let fmt_err = |reason: String| Error::Format {
        path: origin.into(),
        format: "Red Hat repository-to-CPE map",
        reason,
    };
    let doc: Value = serde_json::from_slice(data).map_err(|e| fmt_err(e.to_string()))?;
    let map = match doc.get("data") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(fmt_err("`data` is not an object".into())),
        None => doc
            .as_object()
            .ok_or_else(|| fmt_err("not a JSON object".into()))?,
    };
    let mut report = ImportReport::default();
    for (repository, entry) in map {
        let list = match entry {
            Value::Array(a) => Some(a),
            Value::Object(o) => o.get("cpes").and_then(Value::as_array),
            _ => None,
        };
        let cpes: Option<Vec<String>> = list.and_then(|l| {
            l.iter()
                .map(|c| {
                    c.as_str()
                        .filter(|c| c.starts_with("cpe:/") && c.len() <= limits::MAX_ID_LEN)
                        .map(str::to_owned)
                })
                .collect()
        });
        match cpes {
            Some(cpes) if !repository.is_empty() && repository.len() <= limits::MAX_ID_LEN => {
                report.imported.push(RepositoryCpes {
                    repository: repository.clone(),
                    cpes,
                });
            }
            _ => report.skipped.push(Skipped::new(
                repository.chars().take(128).collect::<String>(),
                "not a list of CPE URIs",
            )),
        }
    }
    Ok(report)
}

/// A Red Hat product stream in the form both CPEs and OSV ecosystem
/// strings reduce to: `cpe:/o:redhat:enterprise_linux:8::baseos` and
/// `Red Hat:enterprise_linux:8::baseos` → `enterprise_linux:8::baseos`.
/// `None` for anything else (a plain `Red Hat:8` names no stream).
pub fn product_stream(s: &str) -> Option<&str> {
    let rest = s
        .strip_prefix("cpe:/o:redhat:")
        .or_else(|| s.strip_prefix("cpe:/a:redhat:"))
        .or_else(|| s.strip_prefix("Red Hat:"))?;
    // At least `product:version`; `8` alone is a release, not a stream.
    rest.contains(':').then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_and_bad_entries() {
        let flat = br#"{"rhel-8-for-x86_64-baseos-rpms":["cpe:/o:redhat:enterprise_linux:8::baseos"],"bad":[3]}"#;
        let r = parse_bytes(flat, "t").expect("flat");
        assert_eq!(r.imported.len(), 1);
        assert_eq!(r.skipped.len(), 1);
        let full = br#"{"data":{"rhel-7-server-rpms":{"cpes":["cpe:/o:redhat:enterprise_linux:7::server"],"repo_relative_urls":["x"]}}}"#;
        let r = parse_bytes(full, "t").expect("full");
        assert_eq!(
            r.imported[0].cpes,
            ["cpe:/o:redhat:enterprise_linux:7::server"]
        );
        assert!(parse_bytes(b"[1]", "t").is_err());
        assert!(parse_bytes(br#"{"data":[]}"#, "t").is_err());
    }

    #[test]
    fn product_streams() {
        assert_eq!(
            product_stream("cpe:/a:redhat:enterprise_linux:8::appstream"),
            Some("enterprise_linux:8::appstream")
        );
        assert_eq!(
            product_stream("Red Hat:enterprise_linux:8::appstream"),
            Some("enterprise_linux:8::appstream")
        );
        assert_eq!(product_stream("Red Hat:8"), None);
        assert_eq!(product_stream("Rocky Linux:8"), None);
    }
}
