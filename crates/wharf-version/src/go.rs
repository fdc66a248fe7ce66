//! Go module versions, ordered as `golang.org/x/mod/semver.Compare` orders
//! them: `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`, numbers of any
//! size without leading zeros, `v1` and `v1.2` as shorthands for `v1.0.0`
//! and `v1.2.0`, build metadata (and so `+incompatible`) ignored.
//! Pseudo-versions (`v0.0.0-20190101000000-abcdef123456`,
//! `v1.2.4-0.20190101000000-abcdef123456`) are ordinary pre-releases and
//! sort where the go command puts them.
//!
//! The `v` prefix is optional here because OSV's `Go` ecosystem writes
//! versions without it.

use std::cmp::Ordering;

use crate::num::cmp_digits;

/// A parsed Go module version.
#[derive(Debug, Clone)]
pub struct GoVersion {
    major: Box<str>,
    minor: Box<str>,
    patch: Box<str>,
    pre: Vec<Box<str>>,
    build: Option<Box<str>>,
}

fn num(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && s.starts_with('0')) {
        return None;
    }
    Some((&s[..n], &s[n..]))
}

/// `input` with leading zeros dropped from its major, minor and patch
/// numbers (`19.03.0` → `19.3.0`); `None` when there are none to drop.
pub(crate) fn strip_leading_zeros(input: &str) -> Option<String> {
    let (prefix, s) = match input.strip_prefix('v') {
        Some(rest) => ("v", rest),
        None => ("", input),
    };
    let end = s.find(['-', '+']).unwrap_or(s.len());
    let (core, tail) = s.split_at(end);
    let fixed: Vec<&str> = core
        .split('.')
        .map(|n| {
            let t = n.trim_start_matches('0');
            if t.is_empty() && !n.is_empty() {
                "0"
            } else {
                t
            }
        })
        .collect();
    let fixed = format!("{prefix}{}{tail}", fixed.join("."));
    (fixed != input).then_some(fixed)
}

fn ident_ok(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl GoVersion {
    /// Parses a Go version (`v` prefix optional).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        const BAD: &str = "invalid Go module version";
        let s = input.strip_prefix('v').unwrap_or(input);
        let (major, rest) = num(s).ok_or(BAD)?;
        let mut v = Self {
            major: major.into(),
            minor: "0".into(),
            patch: "0".into(),
            pre: Vec::new(),
            build: None,
        };
        if rest.is_empty() {
            return Ok(v);
        }
        let rest = rest.strip_prefix('.').ok_or(BAD)?;
        let (minor, rest) = num(rest).ok_or(BAD)?;
        v.minor = minor.into();
        if rest.is_empty() {
            return Ok(v);
        }
        let rest = rest.strip_prefix('.').ok_or(BAD)?;
        let (patch, mut rest) = num(rest).ok_or(BAD)?;
        v.patch = patch.into();
        if let Some(r) = rest.strip_prefix('-') {
            let end = r.find('+').unwrap_or(r.len());
            for id in r[..end].split('.') {
                if !ident_ok(id) {
                    return Err(BAD);
                }
                if id.bytes().all(|b| b.is_ascii_digit()) && id.len() > 1 && id.starts_with('0') {
                    return Err(BAD);
                }
                v.pre.push(id.into());
            }
            rest = &r[end..];
        }
        if let Some(b) = rest.strip_prefix('+') {
            if !b.split('.').all(ident_ok) {
                return Err(BAD);
            }
            v.build = Some(b.into());
            rest = "";
        }
        if !rest.is_empty() {
            return Err(BAD);
        }
        Ok(v)
    }

    /// Whether the version is a pre-release (pseudo-versions included).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The build metadata (`incompatible` for `+incompatible`).
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }
}

fn is_num(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

impl Ord for GoVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_digits(self.major.as_bytes(), o.major.as_bytes())
            .then_with(|| cmp_digits(self.minor.as_bytes(), o.minor.as_bytes()))
            .then_with(|| cmp_digits(self.patch.as_bytes(), o.patch.as_bytes()))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&o.pre) {
                        let c = match (is_num(a), is_num(b)) {
                            (true, true) => cmp_digits(a.as_bytes(), b.as_bytes()),
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            (false, false) => a.cmp(b),
                        };
                        if c != Ordering::Equal {
                            return c;
                        }
                    }
                    self.pre.len().cmp(&o.pre.len())
                }
            })
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zeros_are_dropped_only_when_present() {
        assert_eq!(strip_leading_zeros("19.03.0").as_deref(), Some("19.3.0"));
        assert_eq!(
            strip_leading_zeros("v1.00.007-rc.1+meta").as_deref(),
            Some("v1.0.7-rc.1+meta")
        );
        assert_eq!(strip_leading_zeros("1.2.3"), None);
        assert!(GoVersion::parse("19.03.0").is_err());
        let lenient =
            crate::Version::parse_boundary(crate::Scheme::Go, "19.03.0").expect("lenient");
        let v = |s| crate::Version::parse(crate::Scheme::Go, s).expect("go");
        assert!(v("19.3.1") > lenient && v("19.2.9") < lenient);
        assert!(crate::Version::parse_boundary(crate::Scheme::Go, "19.x").is_err());
    }

    fn p(s: &str) -> GoVersion {
        GoVersion::parse(s).expect("valid")
    }

    #[test]
    fn order() {
        assert!(p("v0.0.0-20190101000000-abcdef123456") < p("v0.0.1"));
        assert!(p("v1.2.4-0.20190101000000-abcdef123456") > p("v1.2.3"));
        assert!(p("v1.2.4-0.20190101000000-abcdef123456") < p("v1.2.4"));
        assert_eq!(p("v2.0.0+incompatible"), p("v2.0.0"));
        assert_eq!(p("v1"), p("v1.0.0"));
        assert_eq!(p("1.2.3"), p("v1.2.3"));
        assert!(GoVersion::parse("v1.02.3").is_err());
        assert!(GoVersion::parse("v1.2-pre").is_err());
    }
}
