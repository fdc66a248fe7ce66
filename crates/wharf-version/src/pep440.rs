//! PEP 440 versions and specifiers, with the semantics of pypa/packaging
//! 26.x (`packaging.version.Version`, `packaging.specifiers.SpecifierSet`).
//!
//! * Versions: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]` with every
//!   spelling PEP 440 normalises (`alpha`, `c`, `pre`, `preview`, `rev`,
//!   `r`, `-N` post releases, separators, implicit numbers, a leading `v`,
//!   surrounding white space, any letter case). Trailing zero release
//!   components are ignored for ordering (`1.0 == 1`).
//! * Specifiers: `~=`, `==`, `!=` (with `.*` prefix matching and `+local`),
//!   `<=`, `>=`, `<`, `>` (with PEP 440's exclusions: `<V` excludes V's
//!   pre-releases, `>V` excludes V's post-releases, `<=`/`==`/`!=` without a
//!   local ignore the candidate's local label), `===` (case-insensitive
//!   string identity), comma-separated lists.
//! * Pre-releases: as `SpecifierSet.contains(v)` does in packaging 26, a
//!   single candidate version is matched on its value alone — a
//!   pre-release is *not* rejected for lack of a pre-release specifier (the
//!   PEP 440 rule that pre-releases are accepted when nothing else
//!   satisfies the specifier applies to one version on its own).

use std::cmp::Ordering;

use crate::num::Dec;

fn py_ws(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(py_ws)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalSeg {
    /// Strings sort before numbers.
    Str(Box<str>),
    Num(Dec),
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    epoch: Dec,
    /// Release with trailing zeros removed.
    release: Vec<Dec>,
    /// Full release as written (for `~=` and `.*` bounds).
    release_full: Vec<Dec>,
    /// `(rank, n)`: a=0, b=1, rc=2.
    pre: Option<(u8, Dec)>,
    post: Option<Dec>,
    dev: Option<Dec>,
    local: Option<Vec<LocalSeg>>,
}

struct Scan<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn digits(&mut self) -> Option<Dec> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start)
            .then(|| Dec::parse(std::str::from_utf8(&self.s[start..self.i]).unwrap_or("0")))
    }

    fn sep(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'_' | b'-')) {
            self.i += 1;
        }
    }

    /// Matches the first of `words` (ASCII, case-insensitive) at the cursor.
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.i..];
        for (k, w) in words.iter().enumerate() {
            if rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes()) {
                self.i += w.len();
                return Some(k);
            }
        }
        None
    }
}

/// What a specifier's version part may contain.
#[derive(Clone, Copy)]
struct Grammar {
    local: bool,
    wildcard: bool,
    min_release: usize,
}

const VERSION_GRAMMAR: Grammar = Grammar {
    local: true,
    wildcard: false,
    min_release: 1,
};

struct Parsed {
    epoch: Option<Dec>,
    release: Vec<Dec>,
    pre: Option<(u8, Dec)>,
    post: Option<Dec>,
    dev: Option<Dec>,
    local: Option<Vec<LocalSeg>>,
    wildcard: bool,
}

/// Scans `v?+ (N!)?+ N(.N)*+ pre?+ post?+ dev?+ (+local)?+` the way
/// packaging's possessive regular expression does; `None` when it does not
/// match the whole input.
fn scan(input: &str, g: Grammar) -> Option<Parsed> {
    let mut sc = Scan {
        s: input.as_bytes(),
        i: 0,
    };
    if matches!(sc.peek(), Some(b'v' | b'V')) {
        sc.i += 1;
    }
    let save = sc.i;
    let mut epoch = None;
    if let Some(d) = sc.digits() {
        if sc.peek() == Some(b'!') {
            epoch = Some(d);
            sc.i += 1;
        } else {
            sc.i = save;
        }
    }
    let mut release = vec![sc.digits()?];
    while sc.peek() == Some(b'.') && sc.s.get(sc.i + 1).is_some_and(u8::is_ascii_digit) {
        sc.i += 1;
        release.push(sc.digits().unwrap_or(Dec::Small(0)));
    }
    if release.len() < g.min_release {
        return None;
    }
    let mut parsed = Parsed {
        epoch,
        release,
        pre: None,
        post: None,
        dev: None,
        local: None,
        wildcard: false,
    };
    if g.wildcard && sc.s[sc.i..].starts_with(b".*") {
        sc.i += 2;
        parsed.wildcard = true;
        return (sc.i == sc.s.len()).then_some(parsed);
    }
    // pre-release
    let save = sc.i;
    sc.sep();
    match sc.word(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
        Some(k) => {
            let rank = match k {
                0 | 1 => 0,
                2 | 3 => 1,
                _ => 2,
            };
            sc.sep();
            let n = sc.digits().unwrap_or(Dec::Small(0));
            parsed.pre = Some((rank, n));
        }
        None => sc.i = save,
    }
    // post-release
    let save = sc.i;
    let mut done = false;
    if sc.peek() == Some(b'-') {
        sc.i += 1;
        if let Some(d) = sc.digits() {
            parsed.post = Some(d);
            done = true;
        } else {
            sc.i = save;
        }
    }
    if !done {
        sc.sep();
        if sc.word(&["post", "rev", "r"]).is_some() {
            sc.sep();
            parsed.post = Some(sc.digits().unwrap_or(Dec::Small(0)));
        } else {
            sc.i = save;
        }
    }
    // dev release
    let save = sc.i;
    sc.sep();
    if sc.word(&["dev"]).is_some() {
        sc.sep();
        parsed.dev = Some(sc.digits().unwrap_or(Dec::Small(0)));
    } else {
        sc.i = save;
    }
    // local version
    if g.local && sc.peek() == Some(b'+') {
        let save = sc.i;
        sc.i += 1;
        let alnum = |sc: &mut Scan<'_>| {
            let start = sc.i;
            while sc.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                sc.i += 1;
            }
            sc.i > start
        };
        if alnum(&mut sc) {
            let start = save + 1;
            loop {
                let it = sc.i;
                if matches!(sc.peek(), Some(b'.' | b'_' | b'-')) {
                    sc.i += 1;
                    if alnum(&mut sc) {
                        continue;
                    }
                }
                sc.i = it;
                break;
            }
            let text = std::str::from_utf8(&sc.s[start..sc.i]).unwrap_or("");
            parsed.local = Some(
                text.split(['.', '_', '-'])
                    .map(|p| {
                        if p.bytes().all(|b| b.is_ascii_digit()) {
                            LocalSeg::Num(Dec::parse(p))
                        } else {
                            LocalSeg::Str(p.to_ascii_lowercase().into())
                        }
                    })
                    .collect(),
            );
        } else {
            sc.i = save;
        }
    }
    (sc.i == sc.s.len()).then_some(parsed)
}

fn trimmed(release: &[Dec]) -> Vec<Dec> {
    let mut end = release.len();
    while end > 0 && release[end - 1].is_zero() {
        end -= 1;
    }
    release[..end].to_vec()
}

impl Pep440Version {
    /// Parses a version as `packaging.version.Version` does.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        if input.bytes().all(|b| b == b'.' || b.is_ascii_digit()) {
            // packaging's fast path: plain dotted numbers.
            let mut release = Vec::new();
            for part in input.split('.') {
                if part.is_empty() {
                    return Err("empty release component");
                }
                release.push(Dec::parse(part));
            }
            return Ok(Self::from_parsed(Parsed {
                epoch: None,
                release,
                pre: None,
                post: None,
                dev: None,
                local: None,
                wildcard: false,
            }));
        }
        let p = scan(py_strip(input), VERSION_GRAMMAR).ok_or("invalid PEP 440 version")?;
        Ok(Self::from_parsed(p))
    }

    fn from_parsed(p: Parsed) -> Self {
        Self {
            epoch: p.epoch.unwrap_or(Dec::Small(0)),
            release: trimmed(&p.release),
            release_full: p.release,
            pre: p.pre,
            post: p.post,
            dev: p.dev,
            local: p.local,
        }
    }

    /// Whether this is a pre-release (has a pre-release or dev segment).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// `(pre_rank, pre_n)` as packaging's sort key encodes it.
    fn pre_key(&self) -> (i8, Dec) {
        match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => (-1, Dec::Small(0)),
            (None, _, _) => (3, Dec::Small(0)),
            (Some((r, n)), _, _) => (*r as i8, n.clone()),
        }
    }

    fn suffix_cmp(&self, o: &Self) -> Ordering {
        let (ar, an) = self.pre_key();
        let (br, bn) = o.pre_key();
        ar.cmp(&br)
            .then_with(|| an.cmp(&bn))
            .then_with(|| self.post.is_some().cmp(&o.post.is_some()))
            .then_with(|| self.post.cmp(&o.post))
            // no dev sorts after dev
            .then_with(|| o.dev.is_some().cmp(&self.dev.is_some()))
            .then_with(|| self.dev.cmp(&o.dev))
    }

    /// Order ignoring local labels.
    fn cmp_public(&self, o: &Self) -> Ordering {
        self.epoch
            .cmp(&o.epoch)
            .then_with(|| self.release.cmp(&o.release))
            .then_with(|| self.suffix_cmp(o))
    }

    fn with(
        &self,
        release: Vec<Dec>,
        pre: Option<(u8, Dec)>,
        post: Option<Dec>,
        dev: Option<Dec>,
    ) -> Self {
        Self {
            epoch: self.epoch.clone(),
            release: trimmed(&release),
            release_full: release,
            pre,
            post,
            dev,
            local: None,
        }
    }

    /// The `.dev0` of the next prefix: `1.2` → `1.3.dev0`.
    fn next_prefix_dev0(&self, prefix: &[Dec]) -> Self {
        let mut r = prefix.to_vec();
        if let Some(last) = r.last_mut() {
            *last = last.inc();
        }
        self.with(r, None, None, Some(Dec::Small(0)))
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, o: &Self) -> Ordering {
        self.cmp_public(o).then_with(|| self.local.cmp(&o.local))
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpecOp {
    Compatible,
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Arbitrary,
}

/// One PEP 440 specifier (`>=1.0`, `==1.2.*`, `===foo`…).
#[derive(Debug, Clone)]
struct Specifier {
    op: SpecOp,
    /// The version text after the operator (for `===`).
    text: Box<str>,
    version: Option<Pep440Version>,
    wildcard: bool,
    has_local: bool,
    /// Bounds derived from the version once, at parse time: `(lower, upper)`
    /// as the operator needs them (see [`Specifier::bounds`]).
    lower: Option<Pep440Version>,
    upper: Option<Pep440Version>,
}

impl Specifier {
    /// The interval bounds packaging derives for the operator:
    /// `>V.devN` → `>= V.dev(N+1)`, `>V.postN` → `>= V.post(N+1).dev0`,
    /// `<V` → `< V.dev0` (V final) or `< V`, `~=V` → `< next-prefix.dev0`,
    /// `==V.*` → `[V.dev0, next.dev0)`.
    fn bounds(
        op: SpecOp,
        v: &Pep440Version,
        wildcard: bool,
    ) -> (Option<Pep440Version>, Option<Pep440Version>) {
        let zero = || Some(Dec::Small(0));
        match op {
            SpecOp::Gt => match (&v.dev, &v.post) {
                (Some(d), _) => (
                    Some(v.with(
                        v.release_full.clone(),
                        v.pre.clone(),
                        v.post.clone(),
                        Some(d.inc()),
                    )),
                    None,
                ),
                (None, Some(p)) => (
                    Some(v.with(v.release_full.clone(), v.pre.clone(), Some(p.inc()), zero())),
                    None,
                ),
                (None, None) => (None, None),
            },
            SpecOp::Lt => {
                let bound = if v.is_prerelease() {
                    v.clone()
                } else {
                    v.with(
                        v.release_full.clone(),
                        v.pre.clone(),
                        v.post.clone(),
                        zero(),
                    )
                };
                (None, Some(bound))
            }
            SpecOp::Compatible => {
                let prefix = &v.release_full[..v.release_full.len().saturating_sub(1)];
                (None, Some(v.next_prefix_dev0(prefix)))
            }
            SpecOp::Eq | SpecOp::Ne if wildcard => (
                Some(v.with(v.release_full.clone(), None, None, zero())),
                Some(v.next_prefix_dev0(&v.release_full)),
            ),
            _ => (None, None),
        }
    }

    fn parse(spec: &str) -> Result<Self, &'static str> {
        let s = py_strip(spec);
        const INVALID: &str = "invalid PEP 440 specifier";
        let (op, rest) = if let Some(r) = s.strip_prefix("===") {
            (SpecOp::Arbitrary, r)
        } else if let Some(r) = s.strip_prefix("~=") {
            (SpecOp::Compatible, r)
        } else if let Some(r) = s.strip_prefix("==") {
            (SpecOp::Eq, r)
        } else if let Some(r) = s.strip_prefix("!=") {
            (SpecOp::Ne, r)
        } else if let Some(r) = s.strip_prefix("<=") {
            (SpecOp::Le, r)
        } else if let Some(r) = s.strip_prefix(">=") {
            (SpecOp::Ge, r)
        } else if let Some(r) = s.strip_prefix('<') {
            (SpecOp::Lt, r)
        } else if let Some(r) = s.strip_prefix('>') {
            (SpecOp::Gt, r)
        } else {
            return Err(INVALID);
        };
        let text = py_strip(rest);
        if op == SpecOp::Arbitrary {
            if text.is_empty() || text.chars().any(|c| py_ws(c) || c == ';' || c == ')') {
                return Err(INVALID);
            }
            return Ok(Self {
                op,
                text: text.into(),
                version: None,
                wildcard: false,
                has_local: false,
                lower: None,
                upper: None,
            });
        }
        let grammar = match op {
            SpecOp::Eq | SpecOp::Ne => Grammar {
                local: true,
                wildcard: true,
                min_release: 1,
            },
            SpecOp::Compatible => Grammar {
                local: false,
                wildcard: false,
                min_release: 2,
            },
            _ => Grammar {
                local: false,
                wildcard: false,
                min_release: 1,
            },
        };
        let parsed = scan(text, grammar).ok_or(INVALID)?;
        let wildcard = parsed.wildcard;
        let version =
            Pep440Version::parse(text.strip_suffix(".*").unwrap_or(text)).map_err(|_| INVALID)?;
        let (lower, upper) = Self::bounds(op, &version, wildcard);
        Ok(Self {
            op,
            text: text.into(),
            version: Some(version),
            wildcard,
            has_local: text.contains('+'),
            lower,
            upper,
        })
    }

    fn matches(&self, raw: &str, x: Option<&Pep440Version>) -> bool {
        if self.op == SpecOp::Arbitrary {
            return raw.to_lowercase() == self.text.to_lowercase();
        }
        let (Some(x), Some(v)) = (x, self.version.as_ref()) else {
            return false;
        };
        let below =
            |b: &Option<Pep440Version>| b.as_ref().is_some_and(|b| x.cmp(b) == Ordering::Less);
        match self.op {
            SpecOp::Ge => x.cmp(v) != Ordering::Less,
            SpecOp::Le => x.cmp_public(v) != Ordering::Greater,
            SpecOp::Gt => match &self.lower {
                Some(_) => !below(&self.lower),
                None => match x
                    .epoch
                    .cmp(&v.epoch)
                    .then_with(|| x.release.cmp(&v.release))
                {
                    Ordering::Equal => x.pre_key() > v.pre_key(),
                    o => o == Ordering::Greater,
                },
            },
            SpecOp::Lt => below(&self.upper),
            SpecOp::Compatible => x.cmp(v) != Ordering::Less && below(&self.upper),
            SpecOp::Eq | SpecOp::Ne => {
                let eq = if self.wildcard {
                    !below(&self.lower) && below(&self.upper)
                } else if self.has_local {
                    x.cmp(v) == Ordering::Equal
                } else {
                    x.cmp_public(v) == Ordering::Equal
                };
                eq == (self.op == SpecOp::Eq)
            }
            SpecOp::Arbitrary => false,
        }
    }
}

/// A parsed PEP 440 specifier set (comma-separated specifiers, all of which
/// must match; the empty set matches everything).
#[derive(Debug, Clone)]
pub struct SpecifierSet {
    specs: Vec<Specifier>,
    has_arbitrary: bool,
}

impl SpecifierSet {
    /// Parses a comma-separated specifier list.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let specs = input
            .split(',')
            .map(py_strip)
            .filter(|s| !s.is_empty())
            .map(Specifier::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            specs,
            has_arbitrary: input.contains("==="),
        })
    }

    /// `SpecifierSet.contains(raw)`: `raw` is the version as written (used
    /// by `===`), `parsed` its parse (`None` when it is not a valid
    /// version).
    pub fn contains(&self, raw: &str, parsed: Option<&Pep440Version>) -> bool {
        if self.specs.is_empty() {
            return true;
        }
        if !self.has_arbitrary && parsed.is_none() {
            return false;
        }
        self.specs.iter().all(|s| s.matches(raw, parsed))
    }

    /// Whether a parsed version is contained.
    pub fn contains_version(&self, v: &Pep440Version, raw: &str) -> bool {
        self.contains(raw, Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Pep440Version {
        Pep440Version::parse(s).expect("valid")
    }

    fn contains(spec: &str, ver: &str) -> bool {
        let set = SpecifierSet::parse(spec).expect("spec");
        set.contains(ver, Pep440Version::parse(ver).ok().as_ref())
    }

    #[test]
    fn order() {
        assert!(v("1.0.dev0") < v("1.0a1"));
        assert!(v("1.0a1") < v("1.0"));
        assert!(v("1.0") < v("1.0.post1"));
        assert!(v("1.0") < v("1.0+local"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("v1.0-r1"), v("1.0.post1"));
        assert!(v("1!0.1") > v("2.0"));
        assert!(Pep440Version::parse("1.0.").is_err());
    }

    #[test]
    fn specs() {
        assert!(contains("~=2.2", "2.9"));
        assert!(!contains("~=2.2", "3.0"));
        assert!(contains("==1.2.*", "1.2.5a1"));
        assert!(!contains(">1.0", "1.0.post1"));
        assert!(!contains("<2.0", "2.0a1"));
        assert!(contains("<=1.0", "1.0+local"));
        assert!(contains(">=1.0", "1.1a1"));
        assert!(contains("===1.0", "1.0"));
        assert!(!contains("===1.0", "1.0.0"));
    }
}
