//! Maven versions (`org.apache.maven.artifact.versioning.ComparableVersion`,
//! Maven 4 semantics) and Maven version ranges (`VersionRange`).
//!
//! A version is split into a tree of items at `.` (same list), `-` (new
//! sub-list) and digit/letter transitions; numbers compare numerically,
//! qualifiers order `alpha < beta < milestone < rc = cr < snapshot < "" =
//! ga = final = release < sp < (unknown qualifiers, lexically)`, `a1`/`b1`/
//! `m1` mean `alpha-1`/`beta-1`/`milestone-1`, trailing zeros and null
//! qualifiers are dropped (`1.0.0 == 1`, `1-ga == 1`), comparison is case
//! insensitive. Versions longer than 256 characters are rejected, as Maven 4
//! rejects them.
//!
//! Known simplifications: only ASCII digits are treated as digits (Java's
//! `Character.isDigit` also accepts other Unicode decimal digits), and
//! unknown qualifiers compare by UTF-8 bytes rather than UTF-16 units (the
//! order differs only between characters above U+FFFF and U+E000–U+FFFF).

use std::cmp::Ordering;

use crate::num::Dec;

/// Maximum accepted length (Maven 4's `MAX_VERSION_LENGTH`).
const MAX_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Qual {
    /// The qualifier's comparable key (`comparableQualifier`).
    key: Box<str>,
    empty: bool,
}

/// Key of the empty (release) qualifier.
const RELEASE_KEY: &str = "5";

impl Qual {
    fn new(value: &str, followed_by_digit: bool) -> Self {
        let value = match (followed_by_digit, value) {
            (true, "a") => "alpha",
            (true, "b") => "beta",
            (true, "m") => "milestone",
            (_, "cr") => "rc",
            (_, v) => v,
        };
        let key: Box<str> = match value {
            "ga" | "final" | "release" | "" => RELEASE_KEY.into(),
            "alpha" => "0".into(),
            "beta" => "1".into(),
            "milestone" => "2".into(),
            "rc" => "3".into(),
            "snapshot" => "4".into(),
            "sp" => "6".into(),
            other => format!("7-{other}").into(),
        };
        Self {
            key,
            empty: value.is_empty(),
        }
    }

    fn cmp_null(&self) -> Ordering {
        (*self.key).cmp(RELEASE_KEY)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Num(Dec),
    Str(Qual),
    Comb(Qual, Dec),
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(n) => n.is_zero(),
            Item::Str(q) => q.empty,
            Item::Comb(..) => false,
            Item::List(l) => l.is_empty(),
        }
    }

    /// `compareTo(null)`.
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Num(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(q) => q.cmp_null(),
            Item::Comb(q, d) => match q.cmp_null() {
                Ordering::Equal => Item::Num(d.clone()).cmp_null(),
                o => o,
            },
            Item::List(l) => l
                .iter()
                .map(Item::cmp_null)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        use Item::*;
        match (self, other) {
            (Num(a), Num(b)) => a.cmp(b),
            (Num(_), _) => Ordering::Greater,
            (Str(_) | Comb(..), Num(_)) => Ordering::Less,
            (Str(a), Str(b)) => a.key.cmp(&b.key),
            (Str(a), Comb(bq, bd)) => match a.key.cmp(&bq.key) {
                Ordering::Equal => {
                    if a.cmp_null() == Ordering::Equal {
                        Num(bd.clone()).cmp_null().reverse()
                    } else {
                        Ordering::Less
                    }
                }
                o => o,
            },
            (Comb(aq, ad), Str(b)) => match aq.key.cmp(&b.key) {
                Ordering::Equal => {
                    if aq.cmp_null() == Ordering::Equal {
                        Num(ad.clone()).cmp_null()
                    } else {
                        Ordering::Greater
                    }
                }
                o => o,
            },
            (Comb(aq, ad), Comb(bq, bd)) => aq.key.cmp(&bq.key).then_with(|| ad.cmp(bd)),
            (Str(_) | Comb(..), List(_)) => other.cmp_item(self).reverse(),
            (List(_), Num(_)) => Ordering::Less,
            (List(l), Str(_) | Comb(..)) => {
                let mut r = match l.first() {
                    None => other.cmp_null().reverse(),
                    Some(first) => first.cmp_item(other),
                };
                let mut i = 1;
                while r == Ordering::Equal && i < l.len() {
                    r = l[i].cmp_null();
                    i += 1;
                }
                r
            }
            (List(a), List(b)) => {
                let n = a.len().max(b.len());
                for i in 0..n {
                    let r = match (a.get(i), b.get(i)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(r)) => r.cmp_null().reverse(),
                        (Some(l), None) => l.cmp_null(),
                        (Some(l), Some(r)) => l.cmp_item(r),
                    };
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

fn parse_item(is_combination: bool, is_digit: bool, buf: &str) -> Item {
    if is_combination {
        let buf: String = buf.chars().filter(|&c| c != '-').collect();
        let index = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let digits: String = buf[index..].chars().filter(char::is_ascii_digit).collect();
        Item::Comb(Qual::new(&buf[..index], true), Dec::parse(&digits))
    } else if is_digit {
        Item::Num(Dec::parse(buf))
    } else {
        Item::Str(Qual::new(buf, false))
    }
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            let remove = match list.get(i + 1) {
                None | Some(Item::Str(_)) => true,
                Some(Item::List(next)) => {
                    matches!(next.first(), Some(Item::Comb(..) | Item::Str(_)))
                }
                _ => false,
            };
            if remove {
                list.remove(i);
            }
        }
    }
    if list.len() == 1
        && matches!(list[0], Item::List(_))
        && let Some(Item::List(inner)) = list.pop()
    {
        *list = inner;
    }
}

/// Builds the nested lists from the parser's flat events: each list is a
/// vector in `stack`; a new sub-list is attached to its parent when the
/// parent is closed.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn top(&mut self) -> &mut Vec<Item> {
        if self.stack.is_empty() {
            self.stack.push(Vec::new());
        }
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    fn add(&mut self, item: Item) {
        self.top().push(item);
    }

    fn open(&mut self) {
        self.stack.push(Vec::new());
    }

    fn finish(mut self) -> Vec<Item> {
        // Sub-lists are always the last element of their parent: close them
        // innermost first, normalising each.
        let mut done: Option<Vec<Item>> = None;
        while let Some(mut list) = self.stack.pop() {
            if let Some(child) = done.take() {
                list.push(Item::List(child));
            }
            normalize(&mut list);
            done = Some(list);
        }
        done.unwrap_or_default()
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

impl MavenVersion {
    /// Parses a version (every string of at most 256 characters is a
    /// version).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        if input.encode_utf16().count() > MAX_LEN {
            return Err("Maven version longer than 256 characters");
        }
        let v: Vec<char> = input.to_lowercase().chars().collect();
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let mut is_digit = false;
        let mut is_combination = false;
        let mut start = 0usize;
        let text = |s: usize, e: usize| -> String { v[s..e].iter().collect() };
        let mut i = 0usize;
        while i < v.len() {
            let c = v[i];
            if c == '.' {
                if i == start {
                    b.add(Item::Num(Dec::Small(0)));
                } else {
                    b.add(parse_item(is_combination, is_digit, &text(start, i)));
                }
                is_combination = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    b.add(Item::Num(Dec::Small(0)));
                } else {
                    if !is_digit && i != v.len() - 1 && v[i + 1].is_ascii_digit() {
                        is_combination = true;
                        i += 1;
                        continue;
                    }
                    b.add(parse_item(is_combination, is_digit, &text(start, i)));
                }
                start = i + 1;
                if !b.top().is_empty() {
                    b.open();
                }
                is_combination = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_combination = true;
                    if !b.top().is_empty() {
                        b.open();
                    }
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    b.add(parse_item(is_combination, true, &text(start, i)));
                    start = i;
                    b.open();
                    is_combination = false;
                }
                is_digit = false;
            }
            i += 1;
        }
        if v.len() > start {
            if !is_digit && !b.top().is_empty() {
                b.open();
            }
            b.add(parse_item(is_combination, is_digit, &text(start, v.len())));
        }
        Ok(Self { items: b.finish() })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // The root lists compare like any two lists.
        let n = self.items.len().max(other.items.len());
        for i in 0..n {
            let r = match (self.items.get(i), other.items.get(i)) {
                (None, None) => Ordering::Equal,
                (None, Some(r)) => r.cmp_null().reverse(),
                (Some(l), None) => l.cmp_null(),
                (Some(l), Some(r)) => l.cmp_item(r),
            };
            if r != Ordering::Equal {
                return r;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

#[derive(Debug, Clone)]
struct Restriction {
    lower: Option<MavenVersion>,
    lower_inclusive: bool,
    upper: Option<MavenVersion>,
    upper_inclusive: bool,
}

impl Restriction {
    fn contains(&self, v: &MavenVersion) -> bool {
        if let Some(l) = &self.lower {
            match l.cmp(v) {
                Ordering::Greater => return false,
                Ordering::Equal if !self.lower_inclusive => return false,
                _ => {}
            }
        }
        if let Some(u) = &self.upper {
            match u.cmp(v) {
                Ordering::Less => return false,
                Ordering::Equal if !self.upper_inclusive => return false,
                _ => {}
            }
        }
        true
    }
}

/// A Maven version range (`VersionRange.createFromVersionSpec`):
/// `[1.0,2.0)`, `(,1.0]`, `[1.2]`, unions `(,1.0],[1.2,)`. A bare version
/// is Maven's *soft* requirement and matches every version.
#[derive(Debug, Clone)]
pub struct MavenRange {
    restrictions: Vec<Restriction>,
}

fn parse_restriction(spec: &str) -> Result<Restriction, &'static str> {
    let lower_inclusive = spec.starts_with('[');
    let upper_inclusive = spec.ends_with(']');
    let inner = spec
        .get(1..spec.len().saturating_sub(1))
        .unwrap_or("")
        .trim();
    match inner.find(',') {
        None => {
            if !lower_inclusive || !upper_inclusive {
                return Err("single version must be surrounded by []");
            }
            let v = MavenVersion::parse(inner)?;
            Ok(Restriction {
                lower: Some(v.clone()),
                lower_inclusive: true,
                upper: Some(v),
                upper_inclusive: true,
            })
        }
        Some(idx) => {
            let lo = inner[..idx].trim();
            let hi = inner[idx + 1..].trim();
            if hi.contains(',') {
                return Err("invalid range");
            }
            let lower = if lo.is_empty() {
                None
            } else {
                Some(MavenVersion::parse(lo)?)
            };
            let upper = if hi.is_empty() {
                None
            } else {
                Some(MavenVersion::parse(hi)?)
            };
            if let (Some(l), Some(u)) = (&lower, &upper) {
                let r = u.cmp(l);
                if r == Ordering::Less
                    || (r == Ordering::Equal && (!lower_inclusive || !upper_inclusive))
                {
                    return Err("range defies version ordering");
                }
            }
            Ok(Restriction {
                lower,
                lower_inclusive,
                upper,
                upper_inclusive,
            })
        }
    }
}

impl MavenRange {
    /// Parses a Maven range specification.
    pub fn parse(spec: &str) -> Result<Self, &'static str> {
        let mut process = spec.trim();
        let mut restrictions: Vec<Restriction> = Vec::new();
        while process.starts_with('[') || process.starts_with('(') {
            let i1 = process.find(')');
            let i2 = process.find(']');
            let index = match (i1, i2) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => return Err("unbounded range"),
            };
            let r = parse_restriction(&process[..=index])?;
            if let (Some(prev), Some(lo)) = (restrictions.last(), &r.lower) {
                if let Some(pu) = &prev.upper {
                    if lo < pu {
                        return Err("ranges overlap");
                    }
                } else {
                    return Err("ranges overlap");
                }
            }
            restrictions.push(r);
            process = process[index + 1..].trim();
            if let Some(rest) = process.strip_prefix(',') {
                process = rest.trim();
            }
        }
        if !process.is_empty() {
            if !restrictions.is_empty() {
                return Err("only fully-qualified sets allowed in multiple set scenario");
            }
            MavenVersion::parse(process)?;
            restrictions.push(Restriction {
                lower: None,
                lower_inclusive: false,
                upper: None,
                upper_inclusive: false,
            });
        }
        Ok(Self { restrictions })
    }

    /// Whether a version lies in the range.
    pub fn contains(&self, v: &MavenVersion) -> bool {
        self.restrictions.iter().any(|r| r.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> MavenVersion {
        MavenVersion::parse(s).expect("valid")
    }

    #[test]
    fn order() {
        assert!(p("1.0-alpha-1") < p("1.0"));
        assert!(p("1.0-SNAPSHOT") < p("1.0"));
        assert_eq!(p("1.0.0"), p("1"));
        assert_eq!(p("1-ga"), p("1"));
        assert!(p("1.0") < p("1.0-sp"));
        assert!(p("1.0-sp") < p("1.0-abc"));
    }

    #[test]
    fn ranges() {
        let r = MavenRange::parse("[1.0,2.0)").expect("range");
        assert!(r.contains(&p("1.5")) && !r.contains(&p("2.0")));
        let r = MavenRange::parse("(,1.0],[1.2,)").expect("range");
        assert!(r.contains(&p("1.0")) && !r.contains(&p("1.1")) && r.contains(&p("3")));
        assert!(MavenRange::parse("[2.0,1.0]").is_err());
    }
}
