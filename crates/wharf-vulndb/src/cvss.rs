//! CVSS vector parsing and base scoring (v2.0, v3.0, v3.1, v4.0), on top
//! of the RustSec `cvss` crate.
//!
//! Feeds write vectors in several shapes; [`parse`] accepts the
//! canonical forms plus the common variants: v2 vectors with or without a
//! `CVSS:2.0/` prefix or surrounding parentheses (NVD writes
//! `(AV:N/AC:L/…)`), and surrounding whitespace.

use crate::model::SeverityKind;

/// A parsed CVSS vector with its version and base score.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssScore {
    /// `CvssV2`, `CvssV3` or `CvssV4`.
    pub kind: SeverityKind,
    /// The vector in canonical form.
    pub vector: String,
    /// Base score (0.0–10.0), rounded as the specification says.
    pub score: f32,
}

/// Why a vector could not be scored.
#[derive(Debug, thiserror::Error)]
#[error("invalid CVSS vector {vector:?}: {reason}")]
pub struct CvssError {
    /// The input.
    pub vector: String,
    /// Parser message.
    pub reason: String,
}

/// Parses a CVSS v2/v3.x/v4.0 vector and computes its base score.
pub fn parse(vector: &str) -> Result<CvssScore, CvssError> {
    let err = |reason: String| CvssError {
        vector: vector.chars().take(256).collect(),
        reason,
    };
    let v = vector.trim();
    let v = v
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(v);
    if v.len() > 512 {
        return Err(err("too long".into()));
    }
    let v = v.strip_prefix("CVSS:2.0/").unwrap_or(v);
    let parsed: cvss::Cvss = v.parse().map_err(|e: cvss::Error| err(e.to_string()))?;
    let kind = match parsed {
        cvss::Cvss::CvssV20(_) => SeverityKind::CvssV2,
        cvss::Cvss::CvssV30(_) | cvss::Cvss::CvssV31(_) => SeverityKind::CvssV3,
        cvss::Cvss::CvssV40(_) => SeverityKind::CvssV4,
        _ => return Err(err("unsupported CVSS version".into())),
    };
    let score = parsed.score();
    if !score.is_finite() || !(0.0..=10.0).contains(&score) {
        return Err(err(format!("score {score} out of range")));
    }
    // Scores have one decimal; round away float noise from the f64 → f32 step.
    let score = ((score * 10.0).round() / 10.0) as f32;
    Ok(CvssScore {
        kind,
        vector: parsed.to_string(),
        score,
    })
}

/// The qualitative rating of a base score (CVSS v3/v4 scale; v2 uses the
/// same boundaries in NVD's presentation): `NONE`, `LOW`, `MEDIUM`,
/// `HIGH`, `CRITICAL`.
pub fn rating(score: f32) -> &'static str {
    match score {
        s if s <= 0.0 => "NONE",
        s if s < 4.0 => "LOW",
        s if s < 7.0 => "MEDIUM",
        s if s < 9.0 => "HIGH",
        _ => "CRITICAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(v: &str) -> (SeverityKind, f32) {
        let s = parse(v).unwrap_or_else(|e| panic!("{e}"));
        (s.kind, s.score)
    }

    #[test]
    fn known_vectors() {
        // Expected scores from the FIRST/NVD calculators.
        let cases: &[(&str, SeverityKind, f32)] = &[
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", SeverityKind::CvssV2, 7.5),
            ("(AV:N/AC:M/Au:N/C:N/I:P/A:N)", SeverityKind::CvssV2, 4.3),
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", SeverityKind::CvssV2, 10.0),
            ("AV:L/AC:L/Au:N/C:P/I:N/A:N", SeverityKind::CvssV2, 2.1),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                SeverityKind::CvssV3,
                9.8,
            ),
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                SeverityKind::CvssV3,
                10.0,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                SeverityKind::CvssV3,
                6.1,
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                SeverityKind::CvssV3,
                7.8,
            ),
            (
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
                SeverityKind::CvssV3,
                5.9,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
                SeverityKind::CvssV3,
                0.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                SeverityKind::CvssV4,
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                SeverityKind::CvssV4,
                0.0,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                SeverityKind::CvssV4,
                8.5,
            ),
        ];
        for (v, kind, expected) in cases {
            let (k, s) = score(v);
            assert_eq!(&k, kind, "{v}");
            assert!((s - expected).abs() < 0.05, "{v}: got {s}, want {expected}");
        }
    }

    #[test]
    fn bad_vectors() {
        for v in [
            "",
            "CVSS:3.1/",
            "CVSS:9.9/AV:N",
            "AV:N",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "x".repeat(10_000).as_str(),
        ] {
            assert!(parse(v).is_err(), "{v}");
        }
    }

    #[test]
    fn ratings() {
        assert_eq!(rating(0.0), "NONE");
        assert_eq!(rating(3.9), "LOW");
        assert_eq!(rating(6.9), "MEDIUM");
        assert_eq!(rating(8.9), "HIGH");
        assert_eq!(rating(9.0), "CRITICAL");
    }
}
