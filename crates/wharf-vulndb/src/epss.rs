//! FIRST EPSS scores (`epss_scores-YYYY-MM-DD.csv[.gz]`) → [`EpssScore`].
//!
//! The file starts with a comment line
//! `#model_version:v2023.03.01,score_date:2023-06-22T00:00:00+0000`, then the
//! header `cve,epss,percentile`, then one row per CVE. gzip input is
//! detected by its magic bytes. The score date comes from the comment
//! line (empty when absent). A malformed row is skipped with a reason; a
//! file with neither the comment nor the header is an [`Error::Format`].

use std::path::Path;

use crate::model::EpssScore;
use crate::{Error, ImportReport, Skipped};

/// Parsed EPSS file.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssFile {
    /// `model_version` from the comment line.
    pub model_version: Option<String>,
    /// `score_date` from the comment line.
    pub score_date: Option<String>,
    /// Scores and skipped rows.
    pub report: ImportReport<EpssScore>,
}

/// Imports an EPSS CSV file (plain or gzip-compressed).
pub fn import_path(path: &Path) -> Result<EpssFile, Error> {
    let name = path.display().to_string();
    parse_bytes(&crate::read_file(path)?, &name)
}

/// Parses an EPSS CSV document (plain or gzip-compressed).
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<EpssFile, Error> {
    let fmt_err = |reason: &str| Error::Format {
        path: origin.into(),
        format: "EPSS CSV",
        reason: reason.into(),
    };
    let data = crate::maybe_gunzip(data, origin)?;
    let text = std::str::from_utf8(&data).map_err(|_| fmt_err("not UTF-8"))?;
    let mut model_version = None;
    let mut score_date = None;
    let mut seen_header = false;
    let mut report = ImportReport::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for kv in comment.split(',') {
                match kv.split_once(':') {
                    Some(("model_version", v)) => model_version = Some(v.trim().to_owned()),
                    Some(("score_date", v)) => score_date = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
            continue;
        }
        if !seen_header {
            if line.eq_ignore_ascii_case("cve,epss,percentile") {
                seen_header = true;
                continue;
            }
            return Err(fmt_err("missing `cve,epss,percentile` header"));
        }
        let what = || format!("{origin}:{}", n + 1);
        let mut cols = line.split(',');
        let (Some(cve), Some(epss), Some(pct), None) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            report
                .skipped
                .push(Skipped::new(what(), "expected 3 columns"));
            continue;
        };
        let cve = cve.trim();
        if !crate::kev::valid_cve(cve) {
            report
                .skipped
                .push(Skipped::new(what(), "first column is not a CVE id"));
            continue;
        }
        let prob = |s: &str| {
            s.trim()
                .parse::<f32>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
        };
        let (Some(epss), Some(percentile)) = (prob(epss), prob(pct)) else {
            report
                .skipped
                .push(Skipped::new(cve, "epss/percentile not a number in 0..=1"));
            continue;
        };
        report.imported.push(EpssScore {
            cve: cve.to_owned(),
            epss,
            percentile,
            date: score_date.clone().unwrap_or_default(),
        });
    }
    if !seen_header {
        return Err(fmt_err("missing `cve,epss,percentile` header"));
    }
    Ok(EpssFile {
        model_version,
        score_date,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_gzip() {
        let csv = "#model_version:v2023.03.01,score_date:2023-06-22T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nCVE-1999-0001,0.01,0.5\nbad,row\n";
        let f = parse_bytes(csv.as_bytes(), "t").expect("parse");
        assert_eq!(f.model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(f.report.imported.len(), 2);
        assert_eq!(f.report.imported[0].date, "2023-06-22T00:00:00+0000");
        assert!((f.report.imported[0].epss - 0.97565).abs() < 1e-6);
        assert_eq!(f.report.skipped.len(), 1);

        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(csv.as_bytes()).expect("write");
        let f2 = parse_bytes(&gz.finish().expect("finish"), "t").expect("parse gz");
        assert_eq!(f2, f);
    }

    #[test]
    fn no_header_is_error() {
        assert!(parse_bytes(b"CVE-2021-1,0.1,0.2\n", "t").is_err());
    }
}
