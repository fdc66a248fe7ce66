//! Arbitrary-size non-negative decimal integers (version components are
//! unbounded in most ecosystems).

use std::cmp::Ordering;

/// A non-negative integer of any size: inline when it fits a `u64`, else
/// its decimal digits without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Dec {
    Small(u64),
    Big(Box<str>),
}

impl Dec {
    /// Parses ASCII digits (the caller guarantees they are digits).
    pub(crate) fn parse(digits: &str) -> Self {
        let t = digits.trim_start_matches('0');
        if t.len() <= 19 {
            if let Ok(v) = t.parse::<u64>() {
                return Self::Small(v);
            }
            if t.is_empty() {
                return Self::Small(0);
            }
        }
        match t.parse::<u64>() {
            Ok(v) => Self::Small(v),
            Err(_) => Self::Big(t.into()),
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Self::Small(0))
    }

    /// `self + 1`.
    pub(crate) fn inc(&self) -> Self {
        match self {
            Self::Small(v) if *v < u64::MAX => Self::Small(v + 1),
            Self::Small(v) => Self::Big(((u128::from(*v)) + 1).to_string().into()),
            Self::Big(s) => {
                let mut d: Vec<u8> = s.bytes().collect();
                let mut i = d.len();
                loop {
                    if i == 0 {
                        d.insert(0, b'1');
                        break;
                    }
                    i -= 1;
                    if d[i] == b'9' {
                        d[i] = b'0';
                    } else {
                        d[i] += 1;
                        break;
                    }
                }
                Self::Big(String::from_utf8_lossy(&d).into())
            }
        }
    }
}

impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Small(v) => write!(f, "{v}"),
            Self::Big(s) => f.write_str(s),
        }
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Small(a), Self::Small(b)) => a.cmp(b),
            (Self::Small(_), Self::Big(_)) => Ordering::Less,
            (Self::Big(_), Self::Small(_)) => Ordering::Greater,
            (Self::Big(a), Self::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two runs of ASCII digits numerically, whatever their length.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|&&c| c == b'0').count()..];
    let b = &b[b.iter().take_while(|&&c| c == b'0').count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec() {
        assert!(Dec::parse("99999999999999999999999") > Dec::parse("18446744073709551615"));
        assert_eq!(Dec::parse("0007"), Dec::Small(7));
        assert_eq!(Dec::parse("000"), Dec::Small(0));
        assert_eq!(Dec::parse("999").inc(), Dec::Small(1000));
        assert_eq!(
            Dec::parse("99999999999999999999").inc().to_string(),
            "100000000000000000000"
        );
        assert_eq!(cmp_digits(b"010", b"9"), Ordering::Greater);
    }
}
