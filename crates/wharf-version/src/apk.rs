//! Alpine (apk-tools) versions:
//! `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`.
//!
//! The comparison walks both strings token by token exactly as apk-tools'
//! `apk_version_compare` does, including its treatment of *invalid*
//! versions (comparison stops at the first invalid token; two versions that
//! become invalid at the same token position compare equal), so that wharf
//! orders whatever an Alpine database or secdb contains the way `apk` does.
//!
//! * Numbers compare numerically, except that a dotted component with a
//!   leading zero compares as a string (`1.01 < 1.1`, `8.2.0 < 8.2.001`).
//! * Suffixes order `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn <
//!   _git < _hg < _p`.
//! * When one version is a prefix of the other, the longer one is greater,
//!   unless it continues with a pre-release suffix.
//! * Numbers wrap at 2^64 as apk's `uint64_t` parser does.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `NONE` is the pivot between pre- and post-release.
const SUFFIX_NONE: u8 = 5;

fn suffix_rank(s: &[u8]) -> Option<u8> {
    Some(match s {
        b"alpha" => 1,
        b"beta" => 2,
        b"pre" => 3,
        b"rc" => 4,
        b"cvs" => 6,
        b"svn" => 7,
        b"git" => 8,
        b"hg" => 9,
        b"p" => 10,
        _ => return None,
    })
}

#[derive(Clone, Copy)]
struct State<'a> {
    tok: Tok,
    suffix: u8,
    number: u64,
    value: &'a [u8],
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn digits(&mut self, st: &mut State<'a>) {
        let n = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &b in &self.rest[..n] {
            v = v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        }
        st.number = v;
        st.value = &self.rest[..n];
        self.rest = &self.rest[n..];
        if n == 0 {
            st.tok = Tok::Invalid;
        }
    }

    fn first(&mut self) -> State<'a> {
        let mut st = State {
            tok: Tok::InitialDigit,
            suffix: 0,
            number: 0,
            value: &[],
        };
        self.digits(&mut st);
        st
    }

    fn next(&mut self, st: &mut State<'a>) {
        let Some(&c) = self.rest.first() else {
            st.tok = Tok::End;
            return;
        };
        match c {
            b'a'..=b'z' => {
                if st.tok > Tok::Digit {
                    st.tok = Tok::Invalid;
                    return;
                }
                st.value = &self.rest[..1];
                st.tok = Tok::Letter;
                self.rest = &self.rest[1..];
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if st.tok > Tok::Digit {
                        st.tok = Tok::Invalid;
                        return;
                    }
                    self.rest = &self.rest[1..];
                }
                st.tok = match st.tok {
                    Tok::InitialDigit | Tok::Digit => Tok::Digit,
                    Tok::Suffix => Tok::SuffixNo,
                    _ => {
                        st.tok = Tok::Invalid;
                        return;
                    }
                };
                self.digits(st);
            }
            b'_' => {
                if st.tok > Tok::SuffixNo {
                    st.tok = Tok::Invalid;
                    return;
                }
                self.rest = &self.rest[1..];
                let n = self
                    .rest
                    .iter()
                    .take_while(|b| b.is_ascii_lowercase())
                    .count();
                st.value = &self.rest[..n];
                self.rest = &self.rest[n..];
                match suffix_rank(st.value) {
                    Some(r) => {
                        st.suffix = r;
                        st.tok = Tok::Suffix;
                    }
                    None => st.tok = Tok::Invalid,
                }
            }
            b'~' => {
                if st.tok >= Tok::CommitHash {
                    st.tok = Tok::Invalid;
                    return;
                }
                self.rest = &self.rest[1..];
                let n = self
                    .rest
                    .iter()
                    .take_while(|b| b.is_ascii_hexdigit())
                    .count();
                st.value = &self.rest[..n];
                self.rest = &self.rest[n..];
                st.tok = if n == 0 {
                    Tok::Invalid
                } else {
                    Tok::CommitHash
                };
            }
            b'-' => {
                if st.tok >= Tok::RevisionNo || !self.rest.starts_with(b"-r") {
                    st.tok = Tok::Invalid;
                    return;
                }
                self.rest = &self.rest[2..];
                st.tok = Tok::RevisionNo;
                self.digits(st);
            }
            _ => st.tok = Tok::Invalid,
        }
    }
}

fn token_cmp(a: &State<'_>, b: &State<'_>) -> Ordering {
    match a.tok {
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => a.number.cmp(&b.number),
        Tok::Letter => a.value.first().cmp(&b.value.first()),
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Whether apk-tools considers the version valid (`apk_version_validate`).
pub fn is_valid(v: &str) -> bool {
    let mut c = Cursor { rest: v.as_bytes() };
    let mut st = c.first();
    while st.tok < Tok::End {
        c.next(&mut st);
    }
    st.tok == Tok::End
}

/// apk-tools' comparison. With `fuzzy`, `a` also compares equal when `b`
/// is a prefix of it (the `~` dependency operator: `3.6.9 ~ 3.6`).
pub fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering {
    // apk treats an empty (null) blob specially: equal to another empty one,
    // otherwise "any relation". wharf never stores empty apk versions, so
    // order the empty string first to keep the order total.
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    let mut ca = Cursor { rest: a.as_bytes() };
    let mut cb = Cursor { rest: b.as_bytes() };
    let mut ta = ca.first();
    let mut tb = cb.first();
    while ta.tok == tb.tok && ta.tok < Tok::End {
        match token_cmp(&ta, &tb) {
            Ordering::Equal => {}
            o => return o,
        }
        ca.next(&mut ta);
        cb.next(&mut tb);
    }
    if ta.tok == tb.tok || (tb.tok == Tok::End && fuzzy) {
        return Ordering::Equal;
    }
    if ta.tok == Tok::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.tok == Tok::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    // The version that ended (or turned invalid) earlier in the token order
    // is the greater one.
    tb.tok.cmp(&ta.tok)
}

/// apk-tools' version comparison.
pub fn compare(a: &str, b: &str) -> Ordering {
    compare_fuzzy(a, b, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(compare("1.0_alpha", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0"), Ordering::Greater);
        assert_eq!(compare("8.2.0", "8.2.001"), Ordering::Less);
        assert!(is_valid("0.1_pre2~1234abcd"));
        assert!(!is_valid("0.1_foobar"));
        assert_eq!(compare_fuzzy("3.6.9", "3.6", true), Ordering::Equal);
    }
}
