//! RubyGems versions (`Gem::Version`) and requirements (`Gem::Requirement`).
//!
//! * A version is `N(.X)*` with optional `-pre` parts (`-` means `.pre.`);
//!   it splits into numeric and alphabetic segments; a version containing a
//!   letter is a pre-release and sorts before its release (`1.0.a < 1.0`);
//!   trailing zeros of the numeric part and of the string part are ignored
//!   (`1.0 == 1`); letters compare case-sensitively by bytes.
//! * Requirements: `=`, `!=`, `>`, `<`, `>=`, `<=`, `~>` (pessimistic:
//!   `~> 2.2` is `>= 2.2, < 3`; `~> 2.2.0` is `>= 2.2.0, < 2.3`); a version
//!   alone means `=`; a comma-separated list must all hold.

use std::cmp::Ordering;

use crate::num::Dec;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(Dec),
    Str(Box<str>),
}

/// A parsed `Gem::Version`.
#[derive(Debug, Clone)]
pub struct GemVersion {
    /// Segments as written (numbers and letter runs).
    segments: Vec<Seg>,
    /// Canonical segments (trailing zeros of both parts removed).
    canonical: Vec<Seg>,
    prerelease: bool,
}

fn valid(s: &str) -> bool {
    // [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
    let b = s.as_bytes();
    let mut i = 0;
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    i += digits;
    while i < b.len() && b[i] == b'.' {
        let n = b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if i < b.len() && b[i] == b'-' {
        let mut first = true;
        while i < b.len() && (b[i] == b'.' || (first && b[i] == b'-')) {
            first = false;
            let n = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
                .count();
            if n == 0 {
                return false;
            }
            i += 1 + n;
        }
    }
    i == b.len()
}

/// Trims what Ruby's `\s` matches (`[ \t\r\n\f\v]`).
fn ruby_strip(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n', '\x0c', '\x0b'])
}

impl GemVersion {
    /// Parses a version as `Gem::Version.new` does (blank means `0`).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = ruby_strip(input);
        let s = if s.is_empty() { "0" } else { s };
        if !valid(s) {
            return Err("malformed version number string");
        }
        let norm = s.replace('-', ".pre.");
        let mut segments = Vec::new();
        let b = norm.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                segments.push(Seg::Num(Dec::parse(&norm[start..i])));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segments.push(Seg::Str(norm[start..i].into()));
            } else {
                i += 1;
            }
        }
        let prerelease = norm.bytes().any(|c| c.is_ascii_alphabetic());
        let split = segments
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segments.len());
        let trim = |part: &[Seg]| -> Vec<Seg> {
            let mut v = part.to_vec();
            while matches!(v.last(), Some(Seg::Num(n)) if n.is_zero()) {
                v.pop();
            }
            v
        };
        let mut canonical = trim(&segments[..split]);
        canonical.extend(trim(&segments[split..]));
        Ok(Self {
            segments,
            canonical,
            prerelease,
        })
    }

    /// Whether the version contains a letter.
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }

    fn from_numbers(nums: Vec<Dec>) -> Self {
        let segments: Vec<Seg> = nums.into_iter().map(Seg::Num).collect();
        let mut canonical = segments.clone();
        while matches!(canonical.last(), Some(Seg::Num(n)) if n.is_zero()) {
            canonical.pop();
        }
        Self {
            segments,
            canonical,
            prerelease: false,
        }
    }

    /// The leading numeric segments (what `release` and `bump` keep).
    fn numeric_prefix(&self) -> Vec<Dec> {
        let mut segs = self.segments.clone();
        while segs.iter().any(|s| matches!(s, Seg::Str(_))) {
            segs.pop();
        }
        segs.into_iter()
            .filter_map(|s| match s {
                Seg::Num(n) => Some(n),
                Seg::Str(_) => None,
            })
            .collect()
    }

    /// `Gem::Version#release`.
    fn release(&self) -> Self {
        if self.prerelease {
            Self::from_numbers(self.numeric_prefix())
        } else {
            self.clone()
        }
    }

    /// `Gem::Version#bump`.
    fn bump(&self) -> Self {
        let mut n = self.numeric_prefix();
        if n.len() > 1 {
            n.pop();
        }
        if let Some(last) = n.last_mut() {
            *last = last.inc();
        }
        Self::from_numbers(n)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        let (l, r) = (&self.canonical, &o.canonical);
        let zero = Seg::Num(Dec::Small(0));
        for i in 0..l.len().max(r.len()) {
            let a = l.get(i).unwrap_or(&zero);
            let b = r.get(i).unwrap_or(&zero);
            let c = match (a, b) {
                (Seg::Num(x), Seg::Num(y)) => x.cmp(y),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(x), Seg::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GemOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Pessimistic,
}

/// A parsed `Gem::Requirement` (comma-separated requirements, all must hold).
#[derive(Debug, Clone)]
pub struct GemRequirement {
    reqs: Vec<(GemOp, GemVersion)>,
}

impl GemRequirement {
    /// Parses `">= 1.0, < 2"`, `"~> 1.2"`, `"1.0"`…
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let mut reqs = Vec::new();
        for part in input.split(',') {
            let p = ruby_strip(part);
            let (op, rest) = [
                ("~>", GemOp::Pessimistic),
                (">=", GemOp::Ge),
                ("<=", GemOp::Le),
                ("!=", GemOp::Ne),
                ("=", GemOp::Eq),
                (">", GemOp::Gt),
                ("<", GemOp::Lt),
            ]
            .iter()
            .find_map(|(t, op)| p.strip_prefix(t).map(|r| (*op, r)))
            .unwrap_or((GemOp::Eq, p));
            let v = ruby_strip(rest);
            if v.is_empty() {
                return Err("illformed requirement");
            }
            reqs.push((
                op,
                GemVersion::parse(v).map_err(|_| "illformed requirement")?,
            ));
        }
        Ok(Self { reqs })
    }

    /// `Gem::Requirement#satisfied_by?`.
    pub fn satisfied_by(&self, v: &GemVersion) -> bool {
        self.reqs.iter().all(|(op, r)| {
            let o = v.cmp(r);
            match op {
                GemOp::Eq => o == Ordering::Equal,
                GemOp::Ne => o != Ordering::Equal,
                GemOp::Gt => o == Ordering::Greater,
                GemOp::Lt => o == Ordering::Less,
                GemOp::Ge => o != Ordering::Less,
                GemOp::Le => o != Ordering::Greater,
                GemOp::Pessimistic => o != Ordering::Less && v.release() < r.bump(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> GemVersion {
        GemVersion::parse(s).expect("valid")
    }

    fn sat(req: &str, v: &str) -> bool {
        GemRequirement::parse(req).expect("req").satisfied_by(&p(v))
    }

    #[test]
    fn order() {
        assert!(p("1.0.a") < p("1.0"));
        assert!(p("1.0.a") < p("1.0.b"));
        assert_eq!(p("1.0"), p("1"));
        assert!(p("1.0.0.rc1") < p("1.0.0"));
        assert!(p("1.9.25-x86-mingw32") < p("1.9.25"));
        assert!(GemVersion::parse("1.2..4").is_err());
    }

    #[test]
    fn requirements() {
        assert!(sat("~> 2.2", "2.9"));
        assert!(!sat("~> 2.2", "3.0"));
        assert!(sat("~> 2.2.0", "2.2.9"));
        assert!(!sat("~> 2.2.0", "2.3"));
        assert!(sat(">= 1.0, < 2", "1.5"));
        assert!(sat("1.0", "1.0.0"));
    }
}
