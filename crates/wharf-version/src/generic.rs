//! The generic scheme: a **last resort** for ecosystems wharf has no exact
//! rules for (OSV `GIT`-less unknown ecosystems, vendor feeds). It is a
//! heuristic, not any package manager's algorithm.
//!
//! The version is cut into runs of digits and runs of letters; every other
//! character separates runs. Runs are compared in order: numbers
//! numerically, letters case-insensitively (then by bytes), a number after
//! a letter run sorts higher. When one version runs out first, it is
//! *greater* if the other continues with letters (`1.0 > 1.0rc1`, treating
//! the letters as a pre-release tag) and smaller if the other continues
//! with a number (`1.0 < 1.0.1`); trailing zero runs are ignored
//! (`1.0 == 1`). A leading `v` is ignored.

use std::cmp::Ordering;

use crate::num::cmp_digits;

/// A version under the generic heuristic.
#[derive(Debug, Clone)]
pub struct GenericVersion {
    runs: Vec<Run>,
}

#[derive(Debug, Clone)]
enum Run {
    Num(Box<str>),
    Alpha(Box<str>),
}

impl GenericVersion {
    /// Splits a version into runs; fails only on a string without any
    /// letter or digit.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        let s = s
            .strip_prefix(['v', 'V'])
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(s);
        let mut runs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push(Run::Num(s[start..i].into()));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                runs.push(Run::Alpha(s[start..i].into()));
            } else {
                i += 1;
            }
        }
        while matches!(runs.last(), Some(Run::Num(n)) if n.bytes().all(|c| c == b'0'))
            && runs.len() > 1
        {
            runs.pop();
        }
        if runs.is_empty() {
            return Err("no digits or letters in version");
        }
        Ok(Self { runs })
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        for i in 0..self.runs.len().max(o.runs.len()) {
            let c = match (self.runs.get(i), o.runs.get(i)) {
                (Some(Run::Num(a)), Some(Run::Num(b))) => cmp_digits(a.as_bytes(), b.as_bytes()),
                (Some(Run::Alpha(a)), Some(Run::Alpha(b))) => a
                    .to_ascii_lowercase()
                    .cmp(&b.to_ascii_lowercase())
                    .then_with(|| a.cmp(b)),
                (Some(Run::Num(_)), Some(Run::Alpha(_))) => Ordering::Greater,
                (Some(Run::Alpha(_)), Some(Run::Num(_))) => Ordering::Less,
                (None, Some(Run::Alpha(_))) => Ordering::Greater,
                (Some(Run::Alpha(_)), None) => Ordering::Less,
                (None, Some(Run::Num(n))) => {
                    if n.bytes().all(|c| c == b'0') {
                        Ordering::Equal
                    } else {
                        Ordering::Less
                    }
                }
                (Some(Run::Num(n)), None) => {
                    if n.bytes().all(|c| c == b'0') {
                        Ordering::Equal
                    } else {
                        Ordering::Greater
                    }
                }
                (None, None) => Ordering::Equal,
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GenericVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GenericVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> GenericVersion {
        GenericVersion::parse(s).expect("valid")
    }

    #[test]
    fn order() {
        assert!(p("1.0rc1") < p("1.0"));
        assert!(p("1.0") < p("1.0.1"));
        assert_eq!(p("1.0"), p("1"));
        assert!(p("1.9") < p("1.10"));
        assert_eq!(p("v1.2"), p("1.2"));
    }
}
