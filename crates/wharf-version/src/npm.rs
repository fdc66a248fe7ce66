//! SemVer 2.0 versions and npm ranges, with node-semver's semantics
//! (`semver.compare`, `semver.satisfies`), including its `loose` and
//! `includePrerelease` options.
//!
//! Versions: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, an optional `v`
//! prefix, surrounding white space ignored, at most 256 characters, each
//! number at most 2^53 - 1; build metadata is ignored for ordering.
//!
//! Ranges are rewritten into comparator sets the way node-semver rewrites
//! them (hyphen ranges, `~`, `~>`, `^`, x-ranges, `*`, `||`), then evaluated
//! with npm's pre-release rule: a version with a pre-release tag only
//! matches a comparator set when one of its comparators carries a
//! pre-release on the same `MAJOR.MINOR.PATCH` (unless
//! `include_prerelease`).
//!
//! Known divergence: node compares numeric pre-release identifiers of 2^53
//! or more as doubles, and when two *different* such identifiers round to
//! the same double it stops and calls the versions equal, whatever follows;
//! wharf also compares them as doubles but then goes on to the next
//! identifier (which keeps the order a total order, as `Ord` requires).

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::{Captures, Regex};

const MAX_LENGTH: usize = 256;
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// node-semver options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpmOptions {
    /// Accept loose syntax (leading zeros, missing `-` before a pre-release,
    /// `=`/`v`/spaces before the version).
    pub loose: bool,
    /// Let pre-release versions match ranges without pre-release comparators.
    pub include_prerelease: bool,
}

/// A pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    /// Numeric identifier below 2^53 - 1.
    Num(u64),
    /// Anything else (alphanumeric, or numeric but too large; then it is
    /// all digits and compared numerically).
    Str(Box<str>),
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The JavaScript number an all-digits identifier converts to (`+id`).
fn js_number(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or(f64::INFINITY)
}

fn cmp_f64(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// node-semver's `compareIdentifiers`: numeric identifiers compare as
/// JavaScript numbers (so beyond 2^53 they compare after rounding to a
/// double) and before alphanumeric ones, which compare as strings.
fn cmp_ident(a: &Ident, b: &Ident) -> Ordering {
    match (a, b) {
        (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
        (Ident::Num(x), Ident::Str(s)) => {
            if all_digits(s) {
                cmp_f64(*x as f64, js_number(s))
            } else {
                Ordering::Less
            }
        }
        (Ident::Str(s), Ident::Num(y)) => {
            if all_digits(s) {
                cmp_f64(js_number(s), *y as f64)
            } else {
                Ordering::Greater
            }
        }
        (Ident::Str(x), Ident::Str(y)) => match (all_digits(x), all_digits(y)) {
            (true, true) => cmp_f64(js_number(x), js_number(y)),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.as_bytes().cmp(y.as_bytes()),
        },
    }
}

/// A parsed SemVer version (node-semver's `SemVer`).
#[derive(Debug, Clone)]
pub struct SemVer {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Ident>,
    build: Vec<Box<str>>,
}

struct Res {
    full: Regex,
    loose: Regex,
    build_all: Regex,
    build_first: Regex,
    hyphen: Regex,
    hyphen_loose: Regex,
    comparator_trim: Regex,
    tilde_trim: Regex,
    caret_trim: Regex,
    tilde: Regex,
    tilde_loose: Regex,
    caret: Regex,
    caret_loose: Regex,
    xrange: Regex,
    xrange_loose: Regex,
    star: Regex,
    gte0: Regex,
    gte0_pre: Regex,
    comparator: Regex,
    comparator_loose: Regex,
}

#[allow(clippy::expect_used)]
fn res() -> &'static Res {
    static RES: OnceLock<Res> = OnceLock::new();
    RES.get_or_init(|| {
        // The grammar of node-semver's version and range syntax.
        let num = "0|[1-9][0-9]*";
        let num_loose = "[0-9]+";
        let nonnum = "[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
        let main = format!(r"({num})\.({num})\.({num})");
        let main_loose = format!(r"({num_loose})\.({num_loose})\.({num_loose})");
        let pre_id = format!("(?:{nonnum}|{num})");
        let pre_id_loose = format!("(?:{nonnum}|{num_loose})");
        let pre = format!(r"(?:-({pre_id}(?:\.{pre_id})*))");
        let pre_loose = format!(r"(?:-?({pre_id_loose}(?:\.{pre_id_loose})*))");
        let build_id = "[a-zA-Z0-9-]+";
        let build = format!(r"(?:\+({build_id}(?:\.{build_id})*))");
        let full_plain = format!("v?{main}{pre}?{build}?");
        let loose_plain = format!(r"[v=\s]*{main_loose}{pre_loose}?{build}?");
        let gtlt = "((?:<|>)?=?)";
        let xid = format!(r"{num}|x|X|\*");
        let xid_loose = format!(r"{num_loose}|x|X|\*");
        let xplain = format!(r"[v=\s]*({xid})(?:\.({xid})(?:\.({xid})(?:{pre})?{build}?)?)?");
        let xplain_loose = format!(
            r"[v=\s]*({xid_loose})(?:\.({xid_loose})(?:\.({xid_loose})(?:{pre_loose})?{build}?)?)?"
        );
        let re = |s: &str| Regex::new(s).expect("static regex");
        Res {
            full: re(&format!("^{full_plain}$")),
            loose: re(&format!("^{loose_plain}$")),
            build_all: re(&build),
            build_first: re(&build),
            hyphen: re(&format!(r"^\s?({xplain})\s-\s({xplain})\s?$")),
            hyphen_loose: re(&format!(r"^\s?({xplain_loose})\s-\s({xplain_loose})\s?$")),
            comparator_trim: re(&format!(r"(\s?){gtlt}\s?({loose_plain}|{xplain})")),
            tilde_trim: re(r"(\s?)(?:~>?)\s"),
            caret_trim: re(r"(\s?)(?:\^)\s"),
            tilde: re(&format!("^(?:~>?){xplain}$")),
            tilde_loose: re(&format!("^(?:~>?){xplain_loose}$")),
            caret: re(&format!(r"^(?:\^){xplain}$")),
            caret_loose: re(&format!(r"^(?:\^){xplain_loose}$")),
            xrange: re(&format!(r"^{gtlt}\s?{xplain}$")),
            xrange_loose: re(&format!(r"^{gtlt}\s?{xplain_loose}$")),
            star: re(r"(<|>)?=?\s?\*"),
            gte0: re(r"^\s?>=\s?0\.0\.0\s?$"),
            gte0_pre: re(r"^\s?>=\s?0\.0\.0-0\s?$"),
            comparator: re(&format!(r"^{gtlt}\s?({full_plain})$|^$")),
            comparator_loose: re(&format!(r"^{gtlt}\s?({loose_plain})$|^$")),
        }
    })
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn parse_number(s: &str) -> Result<u64, &'static str> {
    let t = s.trim_start_matches('0');
    if t.len() > 16 {
        return Err("version component too large");
    }
    let v: u64 = if t.is_empty() {
        0
    } else {
        t.parse().map_err(|_| "invalid number")?
    };
    if v > MAX_SAFE_INTEGER {
        return Err("version component too large");
    }
    Ok(v)
}

impl SemVer {
    /// Parses a version in strict SemVer syntax (node-semver default).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        Self::parse_with(input, false)
    }

    /// Parses a version, in loose syntax when `loose`.
    pub fn parse_with(input: &str, loose: bool) -> Result<Self, &'static str> {
        if input.len() > MAX_LENGTH {
            return Err("version is longer than 256 characters");
        }
        let r = res();
        let re = if loose { &r.loose } else { &r.full };
        let caps = re.captures(js_trim(input)).ok_or("invalid version")?;
        let get = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let major = parse_number(get(1))?;
        let minor = parse_number(get(2))?;
        let patch = parse_number(get(3))?;
        let pre = match caps.get(4) {
            Some(m) if !m.as_str().is_empty() => m
                .as_str()
                .split('.')
                .map(|id| {
                    if all_digits(id) {
                        match parse_number(id) {
                            Ok(n) if n < MAX_SAFE_INTEGER => return Ident::Num(n),
                            _ => {}
                        }
                    }
                    Ident::Str(id.into())
                })
                .collect(),
            _ => Vec::new(),
        };
        let build = match caps.get(5) {
            Some(m) if !m.as_str().is_empty() => m.as_str().split('.').map(Into::into).collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// Major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// Minor version.
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// Patch version.
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// Whether the version has a pre-release tag.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Build metadata identifiers (ignored for ordering).
    pub fn build(&self) -> impl Iterator<Item = &str> {
        self.build.iter().map(|b| &**b)
    }

    /// The same version as a `semver` crate version (for Cargo
    /// requirements); `None` when the crate rejects it (node-semver is more
    /// lenient about leading zeros in loose mode).
    pub(crate) fn to_cargo(&self) -> Option<semver::Version> {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            let ids: Vec<String> = self
                .pre
                .iter()
                .map(|i| match i {
                    Ident::Num(n) => n.to_string(),
                    Ident::Str(t) => t.to_string(),
                })
                .collect();
            s.push_str(&ids.join("."));
        }
        semver::Version::parse(&s).ok()
    }

    fn same_main(&self, other: &Self) -> bool {
        self.major == other.major && self.minor == other.minor && self.patch == other.patch
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        match cmp_ident(a, b) {
                            Ordering::Equal => {}
                            o => return o,
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    /// `None` is node-semver's `ANY` (matches every version).
    version: Option<SemVer>,
}

impl Comparator {
    fn test(&self, v: &SemVer) -> bool {
        let Some(c) = &self.version else {
            return true;
        };
        let o = v.cmp(c);
        match self.op {
            Op::Eq => o == Ordering::Equal,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
        }
    }
}

/// A parsed npm range (node-semver's `Range`).
#[derive(Debug, Clone)]
pub struct NpmRange {
    sets: Vec<Vec<Comparator>>,
    options: NpmOptions,
}

fn is_x(id: Option<&str>) -> bool {
    match id {
        None => true,
        Some(s) => s.is_empty() || s.eq_ignore_ascii_case("x") || s == "*",
    }
}

/// JavaScript's `+s + 1` rendered back to a string, as node-semver does
/// when it bumps a component.
fn js_inc(s: &str) -> String {
    let t = s.trim_start_matches('0');
    if t.len() <= 15 {
        let n: u64 = t.parse().unwrap_or(0);
        return (n + 1).to_string();
    }
    // Beyond 2^53 JavaScript works in doubles; the result is rejected later
    // as too large whatever its exact digits, so any large rendering works.
    let f: f64 = t.parse().unwrap_or(f64::MAX);
    if f + 1.0 < 1e21 {
        format!("{:.0}", f + 1.0)
    } else {
        "1e+21".to_string()
    }
}

fn g<'h>(c: &Captures<'h>, i: usize) -> Option<&'h str> {
    c.get(i).map(|m| m.as_str())
}

fn hyphen_replace(c: &Captures<'_>, inc_pr: bool) -> String {
    let z = if inc_pr { "-0" } else { "" };
    let (from, fm_, fmi, fp, fpr) = (g(c, 1).unwrap_or(""), g(c, 2), g(c, 3), g(c, 4), g(c, 5));
    let (to, tm_, tmi, tp, tpr) = (g(c, 7).unwrap_or(""), g(c, 8), g(c, 9), g(c, 10), g(c, 11));
    let fm_s = fm_.unwrap_or("");
    let from = if is_x(fm_) {
        String::new()
    } else if is_x(fmi) {
        format!(">={fm_s}.0.0{z}")
    } else if is_x(fp) {
        format!(">={fm_s}.{}.0{z}", fmi.unwrap_or(""))
    } else if fpr.is_some_and(|s| !s.is_empty()) {
        format!(">={from}")
    } else {
        format!(">={from}{z}")
    };
    let tm_s = tm_.unwrap_or("");
    let tmi_s = tmi.unwrap_or("");
    let to = if is_x(tm_) {
        String::new()
    } else if is_x(tmi) {
        format!("<{}.0.0-0", js_inc(tm_s))
    } else if is_x(tp) {
        format!("<{tm_s}.{}.0-0", js_inc(tmi_s))
    } else if let Some(pr) = tpr.filter(|s| !s.is_empty()) {
        format!("<={tm_s}.{tmi_s}.{}-{pr}", tp.unwrap_or(""))
    } else if inc_pr {
        format!("<{tm_s}.{tmi_s}.{}-0", js_inc(tp.unwrap_or("")))
    } else {
        format!("<={to}")
    };
    js_trim(&format!("{from} {to}")).to_string()
}

fn replace_tilde(comp: &str, o: NpmOptions) -> String {
    let r = res();
    let re = if o.loose { &r.tilde_loose } else { &r.tilde };
    let z = if o.include_prerelease { "-0" } else { "" };
    re.replace(comp, |c: &Captures<'_>| {
        let (mj, mi, p, pr) = (g(c, 1), g(c, 2), g(c, 3), g(c, 4));
        let (mjs, mis, ps) = (mj.unwrap_or(""), mi.unwrap_or(""), p.unwrap_or(""));
        if is_x(mj) {
            String::new()
        } else if is_x(mi) {
            format!(">={mjs}.0.0{z} <{}.0.0-0", js_inc(mjs))
        } else if is_x(p) {
            format!(">={mjs}.{mis}.0{z} <{mjs}.{}.0-0", js_inc(mis))
        } else if let Some(pr) = pr.filter(|s| !s.is_empty()) {
            format!(">={mjs}.{mis}.{ps}-{pr} <{mjs}.{}.0-0", js_inc(mis))
        } else {
            format!(">={mjs}.{mis}.{ps} <{mjs}.{}.0-0", js_inc(mis))
        }
    })
    .into_owned()
}

fn replace_caret(comp: &str, o: NpmOptions) -> String {
    let r = res();
    let re = if o.loose { &r.caret_loose } else { &r.caret };
    let z = if o.include_prerelease { "-0" } else { "" };
    re.replace(comp, |c: &Captures<'_>| {
        let (mj, mi, p, pr) = (g(c, 1), g(c, 2), g(c, 3), g(c, 4));
        let (mjs, mis, ps) = (mj.unwrap_or(""), mi.unwrap_or(""), p.unwrap_or(""));
        let pr = pr.filter(|s| !s.is_empty());
        if is_x(mj) {
            String::new()
        } else if is_x(mi) {
            format!(">={mjs}.0.0{z} <{}.0.0-0", js_inc(mjs))
        } else if is_x(p) {
            if mjs == "0" {
                format!(">={mjs}.{mis}.0{z} <{mjs}.{}.0-0", js_inc(mis))
            } else {
                format!(">={mjs}.{mis}.0{z} <{}.0.0-0", js_inc(mjs))
            }
        } else {
            let lower = match pr {
                Some(pr) => format!(">={mjs}.{mis}.{ps}-{pr}"),
                None => format!(">={mjs}.{mis}.{ps}"),
            };
            let upper = if mjs == "0" {
                if mis == "0" {
                    format!("<{mjs}.{mis}.{}-0", js_inc(ps))
                } else {
                    format!("<{mjs}.{}.0-0", js_inc(mis))
                }
            } else {
                format!("<{}.0.0-0", js_inc(mjs))
            };
            format!("{lower} {upper}")
        }
    })
    .into_owned()
}

fn replace_xrange(comp: &str, o: NpmOptions) -> String {
    let comp = js_trim(comp);
    let r = res();
    let re = if o.loose { &r.xrange_loose } else { &r.xrange };
    re.replace(comp, |c: &Captures<'_>| {
        let whole = g(c, 0).unwrap_or("");
        let mut gtlt = g(c, 1).unwrap_or("").to_string();
        let (mj, mi, p) = (g(c, 2), g(c, 3), g(c, 4));
        // node-semver leaves "1.x.3" and "x.1" alone (later rejected).
        if (is_x(mj) && !is_x(mi)) || (is_x(mi) && p.is_some_and(|s| !s.is_empty()) && !is_x(p)) {
            return comp.to_string();
        }
        let xm = is_x(mj);
        let xmi = xm || is_x(mi);
        let xp = xmi || is_x(p);
        let any_x = xp;
        if gtlt == "=" && any_x {
            gtlt.clear();
        }
        let mut pr = if o.include_prerelease { "-0" } else { "" };
        let mjs = mj.unwrap_or("").to_string();
        let mis = mi.unwrap_or("").to_string();
        if xm {
            if gtlt == ">" || gtlt == "<" {
                "<0.0.0-0".to_string()
            } else {
                "*".to_string()
            }
        } else if !gtlt.is_empty() && any_x {
            let (mut big, mut minor, mut patch) = (mjs.clone(), mis.clone(), "0".to_string());
            if xmi {
                minor = "0".to_string();
            }
            if gtlt == ">" {
                gtlt = ">=".to_string();
                if xmi {
                    big = js_inc(&mjs);
                    minor = "0".to_string();
                    patch = "0".to_string();
                } else {
                    minor = js_inc(&mis);
                    patch = "0".to_string();
                }
            } else if gtlt == "<=" {
                gtlt = "<".to_string();
                if xmi {
                    big = js_inc(&mjs);
                } else {
                    minor = js_inc(&mis);
                }
            }
            if gtlt == "<" {
                pr = "-0";
            }
            format!("{gtlt}{big}.{minor}.{patch}{pr}")
        } else if xmi {
            format!(">={mjs}.0.0{pr} <{}.0.0-0", js_inc(&mjs))
        } else if xp {
            format!(">={mjs}.{mis}.0{pr} <{mjs}.{}.0-0", js_inc(&mis))
        } else {
            whole.to_string()
        }
    })
    .into_owned()
}

fn split_ws(s: &str) -> Vec<&str> {
    // JavaScript's `s.split(/\s+/)`: empty leading/trailing pieces kept.
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_ws = false;
    let mut ws_start = 0;
    for (i, ch) in s.char_indices() {
        let w = ch.is_whitespace() || ch == '\u{feff}';
        if w && !in_ws {
            in_ws = true;
            ws_start = i;
        } else if !w && in_ws {
            in_ws = false;
            out.push(&s[start..ws_start]);
            start = i;
        }
    }
    if in_ws {
        out.push(&s[start..ws_start]);
        out.push("");
    } else {
        out.push(&s[start..]);
    }
    out
}

fn map_join(s: &str, f: impl Fn(&str) -> String) -> String {
    split_ws(js_trim(s))
        .into_iter()
        .map(f)
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_comparator(comp: &str, o: NpmOptions) -> String {
    let r = res();
    let comp = r.build_first.replace(comp, "");
    let comp = map_join(&comp, |c| replace_caret(c, o));
    let comp = map_join(&comp, |c| replace_tilde(c, o));
    let comp = split_ws(&comp)
        .into_iter()
        .map(|c| replace_xrange(c, o))
        .collect::<Vec<_>>()
        .join(" ");
    r.star.replace(js_trim(&comp), "").into_owned()
}

fn comparator_from(comp: &str, o: NpmOptions) -> Result<Comparator, &'static str> {
    let comp = split_ws(js_trim(comp)).join(" ");
    let r = res();
    let re = if o.loose {
        &r.comparator_loose
    } else {
        &r.comparator
    };
    let c = re.captures(&comp).ok_or("invalid comparator")?;
    let op = match g(&c, 1).unwrap_or("") {
        "" | "=" => Op::Eq,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        _ => return Err("invalid comparator"),
    };
    match g(&c, 2) {
        Some(v) if !v.is_empty() => Ok(Comparator {
            op,
            version: Some(SemVer::parse_with(v, o.loose)?),
        }),
        _ => Ok(Comparator { op, version: None }),
    }
}

fn parse_set(range: &str, o: NpmOptions) -> Result<Vec<Comparator>, &'static str> {
    let r = res();
    let range = r.build_all.replace_all(range, "");
    let hr = if o.loose { &r.hyphen_loose } else { &r.hyphen };
    let range = hr.replace(&range, |c: &Captures<'_>| {
        hyphen_replace(c, o.include_prerelease)
    });
    let range = r.comparator_trim.replace_all(&range, "$1$2$3");
    let range = r.tilde_trim.replace_all(&range, "$1~");
    let range = r.caret_trim.replace_all(&range, "$1^");
    let joined = range
        .split(' ')
        .map(|c| parse_comparator(c, o))
        .collect::<Vec<_>>()
        .join(" ");
    let gte0 = if o.include_prerelease {
        &r.gte0_pre
    } else {
        &r.gte0
    };
    let mut out = Vec::new();
    for comp in split_ws(&joined) {
        let comp = gte0.replace(js_trim(comp), "");
        if o.loose && !r.comparator_loose.is_match(&comp) {
            continue;
        }
        out.push(comparator_from(&comp, o)?);
    }
    Ok(out)
}

impl NpmRange {
    /// Parses a range with node-semver's default options.
    pub fn parse(range: &str) -> Result<Self, &'static str> {
        Self::parse_with(range, NpmOptions::default())
    }

    /// Parses a range with the given options.
    pub fn parse_with(range: &str, options: NpmOptions) -> Result<Self, &'static str> {
        let raw = split_ws(js_trim(range)).join(" ");
        let mut sets = Vec::new();
        for part in raw.split("||") {
            let set = parse_set(js_trim(part), options)?;
            if !set.is_empty() {
                sets.push(set);
            }
        }
        if sets.is_empty() {
            return Err("invalid range");
        }
        // node-semver drops null sets (`<0.0.0-0`) when others remain, and a
        // set that is only `*` replaces the whole range (so `* || ^1.2.3-rc`
        // does not admit 1.2.3-rc.1).
        if sets.len() > 1 {
            let null = |set: &Vec<Comparator>| {
                set.first().is_some_and(|c| {
                    c.op == Op::Lt
                        && c.version.as_ref().is_some_and(|v| {
                            v.major == 0 && v.minor == 0 && v.patch == 0 && v.pre == [Ident::Num(0)]
                        })
                })
            };
            let kept: Vec<Vec<Comparator>> = sets.iter().filter(|s| !null(s)).cloned().collect();
            if kept.is_empty() {
                sets.truncate(1);
            } else {
                sets = kept;
                if sets.len() > 1
                    && let Some(any) = sets
                        .iter()
                        .find(|s| s.iter().all(|c| c.version.is_none()))
                        .cloned()
                {
                    sets = vec![any];
                }
            }
        }
        Ok(Self { sets, options })
    }

    /// Whether the version satisfies the range (npm's pre-release rule
    /// included).
    pub fn matches(&self, v: &SemVer) -> bool {
        self.sets.iter().any(|set| {
            if !set.iter().all(|c| c.test(v)) {
                return false;
            }
            if v.pre.is_empty() || self.options.include_prerelease {
                return true;
            }
            set.iter().any(|c| {
                c.version
                    .as_ref()
                    .is_some_and(|cv| !cv.pre.is_empty() && cv.same_main(v))
            })
        })
    }

    /// `semver.satisfies(version, range)`: parses the version with the
    /// range's options; an unparsable version satisfies nothing.
    pub fn matches_str(&self, version: &str) -> bool {
        SemVer::parse_with(version, self.options.loose).is_ok_and(|v| self.matches(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(r: &str, v: &str) -> bool {
        NpmRange::parse(r).is_ok_and(|r| r.matches_str(v))
    }

    #[test]
    fn ranges() {
        assert!(sat("^1.2.3", "1.9.0"));
        assert!(!sat("^1.2.3", "2.0.0"));
        assert!(!sat("^1.2.3", "1.3.0-beta"));
        assert!(sat("^1.2.3-beta.1", "1.2.3-beta.2"));
        assert!(sat("~1.2", "1.2.9"));
        assert!(sat("1.2.3 - 2.3", "2.3.9"));
        assert!(sat(">= 1.0.0 < 2 || 3.x", "3.1.0"));
        assert!(sat("*", "1.0.0"));
        assert!(!sat("*", "1.0.0-rc"));
        assert!(sat("", "1.0.0"));
    }

    #[test]
    fn order() {
        let p = |s| SemVer::parse(s).expect("valid");
        assert!(p("1.0.0-alpha") < p("1.0.0-alpha.1"));
        assert!(p("1.0.0-alpha.beta") < p("1.0.0-beta"));
        assert!(p("1.0.0-2") < p("1.0.0-11"));
        assert!(p("1.0.0-rc.1") < p("1.0.0"));
        assert_eq!(p("1.0.0+a"), p("1.0.0+b"));
    }
}
