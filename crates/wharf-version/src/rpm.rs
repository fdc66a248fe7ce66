//! RPM versions: `rpmvercmp()` on version strings and `[epoch:]version[-release]`
//! (EVR) strings ordered like `rpm.labelCompare`.
//!
//! * The EVR string is split as rpm's `parseEVR()` splits it: an epoch only
//!   when the string starts with decimal digits followed by `:`, the release
//!   after the *last* hyphen.
//! * Epochs are compared with `rpmvercmp` (a missing epoch is `0`), then the
//!   versions, then the releases. A missing release sorts before any release
//!   (this is `labelCompare`; it keeps the order total, unlike the
//!   dependency rule where a missing release matches every release).
//! * `rpmvercmp` handles `~` (sorts before everything, even the end) and `^`
//!   (sorts after the end but before any further segment); other
//!   non-alphanumeric ASCII and all non-ASCII bytes are separators.

use std::cmp::Ordering;

/// A parsed RPM EVR.
#[derive(Debug, Clone)]
pub struct Evr {
    epoch: Option<Box<str>>,
    version: Box<str>,
    release: Option<Box<str>>,
}

impl Evr {
    /// Splits an EVR string as rpm does. Every string is accepted (rpm has no
    /// invalid versions) except the empty string.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        if input.is_empty() {
            return Err("empty version");
        }
        let digits = input.bytes().take_while(u8::is_ascii_digit).count();
        let tail = &input[digits..];
        let (epoch, rest) = match tail.strip_prefix(':') {
            Some(rest) => {
                let e = &input[..digits];
                (Some(if e.is_empty() { "0" } else { e }), rest)
            }
            None => (None, input),
        };
        // rpm looks for the last hyphen after the epoch digits.
        let (version, release) = if epoch.is_some() {
            match rest.rfind('-') {
                Some(h) => (&rest[..h], Some(&rest[h + 1..])),
                None => (rest, None),
            }
        } else {
            match tail.rfind('-') {
                Some(h) => (&input[..digits + h], Some(&input[digits + h + 1..])),
                None => (input, None),
            }
        };
        Ok(Self {
            epoch: epoch.map(Into::into),
            version: version.into(),
            release: release.map(Into::into),
        })
    }

    /// Builds an EVR from its parts.
    pub fn from_parts(epoch: Option<&str>, version: &str, release: Option<&str>) -> Self {
        Self {
            epoch: epoch.map(Into::into),
            version: version.into(),
            release: release.map(Into::into),
        }
    }

    /// The epoch, when the string had one.
    pub fn epoch(&self) -> Option<&str> {
        self.epoch.as_deref()
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release, when the string had one.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

fn cmp_opt(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (Some(a), Some(b)) => rpmvercmp(a.as_bytes(), b.as_bytes()),
    }
}

impl Ord for Evr {
    fn cmp(&self, other: &Self) -> Ordering {
        let ea = self.epoch.as_deref().unwrap_or("0");
        let eb = other.epoch.as_deref().unwrap_or("0");
        rpmvercmp(ea.as_bytes(), eb.as_bytes())
            .then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes()))
            .then_with(|| cmp_opt(self.release.as_deref(), other.release.as_deref()))
    }
}

impl PartialOrd for Evr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Evr {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Evr {}

#[inline]
fn is_sep(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's `rpmvercmp()` on two version (or release) strings.
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        if i >= a.len() && j >= b.len() {
            break;
        }
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let (si, sj) = (i, j);
        let isnum = ca.is_ascii_digit();
        if isnum {
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        } else {
            while i < a.len() && a[i].is_ascii_alphabetic() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_alphabetic() {
                j += 1;
            }
        }
        if sj == j {
            // Segments of different kinds: a number beats letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
        if isnum {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    let (ea, eb) = (i >= a.len(), j >= b.len());
    match (ea, eb) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evr_split() {
        let e = Evr::parse("1:2.0-3.el9").expect("parse");
        assert_eq!(
            (e.epoch(), e.version(), e.release()),
            (Some("1"), "2.0", Some("3.el9"))
        );
        let e = Evr::parse("abc:2.0-1-2").expect("parse");
        assert_eq!(
            (e.epoch(), e.version(), e.release()),
            (None, "abc:2.0-1", Some("2"))
        );
        let e = Evr::parse(":1.0").expect("parse");
        assert_eq!((e.epoch(), e.version()), (Some("0"), "1.0"));
    }

    #[test]
    fn vercmp() {
        assert_eq!(rpmvercmp(b"1.0~rc1", b"1.0"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0^git1", b"1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"1.0^git1", b"1.01"), Ordering::Less);
        assert_eq!(rpmvercmp(b"xyz.4", b"8"), Ordering::Less);
    }
}
