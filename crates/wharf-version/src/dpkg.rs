//! Debian package versions (`[epoch:]upstream[-revision]`), ordered as
//! dpkg orders them (`dpkg --compare-versions`, `lib/dpkg/version.c`).
//!
//! Parsing follows dpkg's `parseversion()`: surrounding whitespace is
//! ignored, the epoch is a non-negative decimal that fits a C `int`, the
//! revision is what follows the *last* hyphen, the upstream part must start
//! with a digit and both parts are limited to dpkg's character sets.

use std::cmp::Ordering;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    epoch: u32,
    upstream: Box<str>,
    revision: Box<str>,
}

impl DpkgVersion {
    /// Parses a version as dpkg's `parseversion()` does, rejecting what dpkg
    /// rejects (errors and warnings alike).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        // dpkg skips leading blanks (space, tab), then takes everything up to
        // the first white-space character; only white space may follow.
        let is_space = |c: char| c.is_ascii_whitespace() || c == '\x0b';
        let s = input.trim_start_matches([' ', '\t']);
        if s.is_empty() {
            return Err("version string is empty");
        }
        let end = s.find(is_space).unwrap_or(s.len());
        if !s[end..].chars().all(is_space) {
            return Err("version string has embedded spaces");
        }
        let s = &s[..end];
        let (epoch, rest) = match s.find(':') {
            Some(colon) => {
                let e = &s[..colon];
                if e.is_empty() {
                    return Err("epoch in version is empty");
                }
                let (negative, digits) = match e.as_bytes()[0] {
                    b'-' => (true, &e[1..]),
                    b'+' => (false, &e[1..]),
                    _ => (false, e),
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("epoch in version is not number");
                }
                let value = digits.trim_start_matches('0').parse::<u64>().unwrap_or(
                    if digits.trim_start_matches('0').is_empty() {
                        0
                    } else {
                        u64::MAX
                    },
                );
                if value > i32::MAX as u64 {
                    return Err("epoch in version is too big");
                }
                if negative && value > 0 {
                    return Err("epoch in version is negative");
                }
                let rest = &s[colon + 1..];
                if rest.is_empty() {
                    return Err("nothing after colon in version number");
                }
                (value as u32, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(h) => {
                let rev = &rest[h + 1..];
                if rev.is_empty() {
                    return Err("revision number is empty");
                }
                (&rest[..h], rev)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty");
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err("version number does not start with digit");
        }
        if !upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+~:".contains(&b))
        {
            return Err("invalid character in version number");
        }
        if !revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
        {
            return Err("invalid character in revision number");
        }
        Ok(Self {
            epoch,
            upstream: upstream.into(),
            revision: revision.into(),
        })
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision (empty when absent).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

/// Weight of a byte in a non-digit run: `~` sorts before everything (even
/// the end of the string), the end and digits weigh nothing, letters sort
/// before every other character.
#[inline]
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of one upstream or revision part: alternating
/// non-digit runs (compared by [`weight`]) and digit runs (compared
/// numerically, any length).
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (wa, wb) = (weight(a.get(i).copied()), weight(b.get(j).copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && j < b.len() && a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse(a)
            .expect("a")
            .cmp(&DpkgVersion::parse(b).expect("b"))
    }

    #[test]
    fn basics() {
        assert_eq!(c("1.0~rc1-1", "1.0-1"), Ordering::Less);
        assert_eq!(c("1:0", "2"), Ordering::Greater);
        assert_eq!(c("1.09", "1.9"), Ordering::Equal);
        assert_eq!(c("1.0-0", "1.0"), Ordering::Equal);
        assert!(DpkgVersion::parse("-0").is_err());
        assert!(DpkgVersion::parse("+1:0").is_ok());
    }
}
