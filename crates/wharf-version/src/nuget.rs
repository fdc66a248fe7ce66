//! NuGet versions (`NuGetVersion`) and version ranges (`VersionRange`).
//!
//! * Versions: 1 to 4 numeric parts (`1`, `1.0`, `1.0.0`, `1.0.0.0`, missing
//!   parts are 0, leading zeros allowed), an optional SemVer 2 release label
//!   (`-beta.1`) and metadata (`+abc`, ignored). Labels compare like SemVer 2
//!   (numeric identifiers numerically and before alphanumeric ones) but
//!   case-insensitively.
//! * Ranges: `1.0` (minimum, inclusive), `[1.0]` (exact), `(1.0,)`,
//!   `[1.0,2.0)`, `(,1.0]`… Floating ranges (`1.*`) are not supported.

use std::cmp::Ordering;

use crate::num::Dec;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    parts: [Dec; 4],
    label: Vec<Box<str>>,
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl NuGetVersion {
    /// Parses a NuGet version.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        const BAD: &str = "invalid NuGet version";
        let s = input.trim();
        let (s, meta) = match s.find('+') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        if let Some(m) = meta
            && !m.split('.').all(ident_ok)
        {
            return Err(BAD);
        }
        let (core, label) = match s.find('-') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 4 {
            return Err(BAD);
        }
        let mut parts = [Dec::Small(0), Dec::Small(0), Dec::Small(0), Dec::Small(0)];
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BAD);
            }
            let d = Dec::parse(n);
            if d > Dec::Small(i32::MAX as u64) {
                return Err(BAD);
            }
            parts[i] = d;
        }
        let label = match label {
            None => Vec::new(),
            Some(l) => {
                let ids: Vec<Box<str>> = l.split('.').map(Into::into).collect();
                if !ids.iter().all(|i| ident_ok(i)) {
                    return Err(BAD);
                }
                ids
            }
        };
        Ok(Self { parts, label })
    }

    /// Whether the version has a release label.
    pub fn is_prerelease(&self) -> bool {
        !self.label.is_empty()
    }
}

fn is_num(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn cmp_label_part(a: &str, b: &str) -> Ordering {
    match (is_num(a), is_num(b)) {
        (true, true) => Dec::parse(a).cmp(&Dec::parse(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        self.parts
            .cmp(&o.parts)
            .then_with(|| match (self.label.is_empty(), o.label.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.label.iter().zip(&o.label) {
                        let c = cmp_label_part(a, b);
                        if c != Ordering::Equal {
                            return c;
                        }
                    }
                    self.label.len().cmp(&o.label.len())
                }
            })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

/// A NuGet version range.
#[derive(Debug, Clone)]
pub struct NuGetRange {
    min: Option<(NuGetVersion, bool)>,
    max: Option<(NuGetVersion, bool)>,
}

impl NuGetRange {
    /// Parses a NuGet range.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        const BAD: &str = "invalid NuGet version range";
        let s = input.trim();
        if s.is_empty() {
            return Err(BAD);
        }
        let first = s.as_bytes()[0];
        if first != b'[' && first != b'(' {
            return Ok(Self {
                min: Some((NuGetVersion::parse(s)?, true)),
                max: None,
            });
        }
        let last = s.as_bytes()[s.len() - 1];
        if s.len() < 3 || (last != b']' && last != b')') {
            return Err(BAD);
        }
        let (lo_inc, hi_inc) = (first == b'[', last == b']');
        let inner = &s[1..s.len() - 1];
        let pieces: Vec<&str> = inner.split(',').collect();
        match pieces.as_slice() {
            [one] => {
                if !lo_inc || !hi_inc {
                    return Err(BAD);
                }
                let v = NuGetVersion::parse(one)?;
                Ok(Self {
                    min: Some((v.clone(), true)),
                    max: Some((v, true)),
                })
            }
            [lo, hi] => {
                let (lo, hi) = (lo.trim(), hi.trim());
                if lo.is_empty() && hi.is_empty() {
                    return Err(BAD);
                }
                let min = if lo.is_empty() {
                    None
                } else {
                    Some((NuGetVersion::parse(lo)?, lo_inc))
                };
                let max = if hi.is_empty() {
                    None
                } else {
                    Some((NuGetVersion::parse(hi)?, hi_inc))
                };
                if let (Some((a, ai)), Some((b, bi))) = (&min, &max) {
                    match a.cmp(b) {
                        Ordering::Greater => return Err(BAD),
                        Ordering::Equal if !(*ai && *bi) => return Err(BAD),
                        _ => {}
                    }
                }
                Ok(Self { min, max })
            }
            _ => Err(BAD),
        }
    }

    /// Whether a version lies in the range.
    pub fn contains(&self, v: &NuGetVersion) -> bool {
        if let Some((m, inc)) = &self.min {
            match v.cmp(m) {
                Ordering::Less => return false,
                Ordering::Equal if !inc => return false,
                _ => {}
            }
        }
        if let Some((m, inc)) = &self.max {
            match v.cmp(m) {
                Ordering::Greater => return false,
                Ordering::Equal if !inc => return false,
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).expect("valid")
    }

    #[test]
    fn order_and_ranges() {
        assert_eq!(p("1.0"), p("1.0.0.0"));
        assert_eq!(p("1.0.0-BETA"), p("1.0.0-beta"));
        assert!(p("1.0.0-beta") < p("1.0.0"));
        assert!(p("1.0.0") < p("1.0.0.1-alpha"));
        let r = NuGetRange::parse("[1.0,2.0)").expect("range");
        assert!(r.contains(&p("1.5")) && !r.contains(&p("2.0")));
        assert!(NuGetRange::parse("1.0").expect("min").contains(&p("3.0")));
    }
}
