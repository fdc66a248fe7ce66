//! Composer (Packagist) versions and constraints, with composer/semver's
//! semantics: versions are normalised (`VersionParser::normalize`:
//! `v1.2` → `1.2.0.0`, `1.0-b2` → `1.0.0.0-beta2`, `1.x-dev` →
//! `1.9999999.9999999.9999999-dev`, `dev-main` stays a branch) and compared
//! with PHP's `version_compare` (`dev < alpha = a < beta = b < RC = rc <
//! (number) < pl = p`). Strings Composer cannot normalise are compared raw
//! with `version_compare`, as osv.dev does for Packagist.
//!
//! Constraints: `^`, `~`, x-ranges (`1.2.*`), hyphen ranges (`1 - 2`),
//! comparators (`>=`, `<`, `!=`, `<>`…), `||`/`|` (or), comma or space (and),
//! `@stability` flags and `as` aliases. Like Composer, a `dev-` branch only
//! matches `==`/`!=` constraints naming it.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

const MODIFIER: &str =
    r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*)?)?([.-]?dev)?";

struct Res {
    alias: Regex,
    flag: Regex,
    build: Regex,
    classical: Regex,
    date: Regex,
    dev_branch: Regex,
    branch: Regex,
    flag_constraint: Regex,
    hash_ref: Regex,
    all: Regex,
    tilde: Regex,
    caret: Regex,
    xrange: Regex,
    hyphen: Regex,
    basic: Regex,
    dash_modifier: Regex,
}

#[allow(clippy::expect_used)]
fn res() -> &'static Res {
    static RES: OnceLock<Res> = OnceLock::new();
    RES.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex");
        let vr = format!(
            r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:{MODIFIER}|\.([xX*][.-]?dev))(?:\+[^\t\n\x0B\f\r ]+)?"
        );
        let vr_from = vr.clone();
        Res {
            alias: re(r"^([^,\t\n\x0B\f\r ]+) +as +([^,\t\n\x0B\f\r ]+)$"),
            flag: re(r"(?i)@(?:stable|RC|beta|alpha|dev)$"),
            build: re(r"^([^,\t\n\x0B\f\r +]+)\+[^\t\n\x0B\f\r ]+$"),
            classical: re(&format!(
                r"(?i)^v?([0-9]{{1,5}})(\.[0-9]+)?(\.[0-9]+)?(\.[0-9]+)?{MODIFIER}$"
            )),
            date: re(&format!(
                r"(?i)^v?([0-9]{{4}}(?:[.:-]?[0-9]{{2}}){{1,6}}(?:[.:-]?[0-9]{{1,3}})?){MODIFIER}$"
            )),
            dev_branch: re(r"(?i)^(.*?)[.-]?dev$"),
            branch: re(r"(?i)^v?([0-9]+)(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?$"),
            flag_constraint: re(r"(?i)^([^,\t\n\x0B\f\r ]*?)@(stable|RC|beta|alpha|dev)$"),
            hash_ref: re(r"(?i)^(dev-[^,\t\n\x0B\f\r @]+?|[^,\t\n\x0B\f\r @]+?\.x-dev)#.+$"),
            all: re(r"(?i)^(v)?[xX*](\.[xX*])*$"),
            tilde: re(&format!(r"(?i)^~>?{vr}$")),
            caret: re(&format!(r"(?i)^\^{vr}$")),
            xrange: re(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.[xX*])+$"),
            hyphen: re(&format!(r"(?i)^({vr_from}) +- +({vr})$")),
            basic: re(r"^(<>|!=|>=?|<=?|==?)?[\t\n\x0B\f\r ]*(.*)$"),
            dash_modifier: re(&format!(r"-{MODIFIER}$")),
        }
    })
}

fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
}

fn expand_stability(s: &str) -> String {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "a" => "alpha".into(),
        "b" => "beta".into(),
        "p" | "pl" => "patch".into(),
        "rc" => "RC".into(),
        _ => l,
    }
}

fn normalize_branch(name: &str) -> String {
    let name = php_trim(name);
    if let Some(m) = res().branch.captures(name) {
        let mut v = String::new();
        for i in 1..5 {
            match m.get(i) {
                Some(g) => v.push_str(&g.as_str().replace(['*', 'X'], "x")),
                None => v.push_str(".x"),
            }
        }
        return format!("{}-dev", v.replace('x', "9999999"));
    }
    format!("dev-{name}")
}

/// `VersionParser::normalize`.
pub fn normalize(input: &str) -> Result<String, &'static str> {
    let r = res();
    let mut version = php_trim(input).to_string();
    if let Some(m) = r.alias.captures(&version) {
        version = m[1].to_string();
    }
    if let Some(m) = r.flag.find(&version) {
        version.truncate(m.start());
    }
    if matches!(version.as_str(), "master" | "trunk" | "default") {
        version = format!("dev-{version}");
    }
    if version
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("dev-"))
    {
        return Ok(format!("dev-{}", &version[4..]));
    }
    if let Some(m) = r.build.captures(&version) {
        version = m[1].to_string();
    }
    let (base, caps, index) = if let Some(m) = r.classical.captures(&version) {
        let part = |i: usize| {
            m.get(i)
                .map(|g| g.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(".0")
                .to_string()
        };
        (format!("{}{}{}{}", &m[1], part(2), part(3), part(4)), m, 5)
    } else if let Some(m) = r.date.captures(&version) {
        let d: String = m[1]
            .chars()
            .map(|c| if c.is_ascii_digit() { c } else { '.' })
            .collect();
        (d, m, 2)
    } else {
        if let Some(m) = r.dev_branch.captures(&version) {
            let n = normalize_branch(&m[1]);
            if !n.contains("dev-") {
                return Ok(n);
            }
        }
        return Err("invalid Composer version");
    };
    let g = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let mut v = base;
    if !g(index).is_empty() {
        if g(index) == "stable" {
            return Ok(v);
        }
        v.push('-');
        v.push_str(&expand_stability(g(index)));
        v.push_str(g(index + 1).trim_start_matches(['.', '-']));
    }
    if !g(index + 2).is_empty() {
        v.push_str("-dev");
    }
    Ok(v)
}

fn canonicalize(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() * 2);
    if b.is_empty() {
        return out;
    }
    out.push(b[0]);
    let mut lp = b[0];
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    for &c in &b[1..] {
        let lq = out.last().copied().unwrap_or(0);
        if c == b'-' || c == b'_' || c == b'+' {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        lp = c;
    }
    out
}

fn special_form(s: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| s.starts_with(f))
        .map_or(-1, |(_, o)| *o)
}

fn strtol(s: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

/// PHP's `version_compare($a, $b)`.
pub fn version_compare(a: &str, b: &str) -> Ordering {
    php_version_compare(a.as_bytes(), b.as_bytes())
}

/// What `php_version_compare` works on: the canonical form, unless the
/// string starts with `#`.
fn canonical(a: &[u8]) -> Vec<u8> {
    // PHP hands C strings to the comparison: a NUL ends them.
    let a = &a[..a.iter().position(|&c| c == 0).unwrap_or(a.len())];
    if a.first() == Some(&b'#') {
        a.to_vec()
    } else {
        canonicalize(a)
    }
}

fn php_version_compare(a: &[u8], b: &[u8]) -> Ordering {
    compare_canonical(&canonical(a), &canonical(b))
}

/// PHP's comparison loop on two canonical forms.
fn compare_canonical(v1: &[u8], v2: &[u8]) -> Ordering {
    if v1.is_empty() || v2.is_empty() {
        return (!v1.is_empty()).cmp(&!v2.is_empty());
    }
    let (mut p1, mut p2) = (0usize, 0usize);
    let (mut n1, mut n2): (Option<usize>, Option<usize>) = (Some(0), Some(0));
    let mut compare = Ordering::Equal;
    let find = |v: &[u8], from: usize| v[from..].iter().position(|&c| c == b'.').map(|i| i + from);
    while p1 < v1.len() && p2 < v2.len() && n1.is_some() && n2.is_some() {
        n1 = find(v1, p1);
        n2 = find(v2, p2);
        let e1 = &v1[p1..n1.unwrap_or(v1.len())];
        let e2 = &v2[p2..n2.unwrap_or(v2.len())];
        let d1 = e1.first().is_some_and(u8::is_ascii_digit);
        let d2 = e2.first().is_some_and(u8::is_ascii_digit);
        compare = match (d1, d2) {
            (true, true) => strtol(e1).cmp(&strtol(e2)),
            (false, false) => special_form(e1).cmp(&special_form(e2)),
            (true, false) => special_form(b"#N#").cmp(&special_form(e2)),
            (false, true) => special_form(e1).cmp(&special_form(b"#N#")),
        };
        if compare != Ordering::Equal {
            break;
        }
        if let Some(n) = n1 {
            p1 = n + 1;
        }
        if let Some(n) = n2 {
            p2 = n + 1;
        }
    }
    if compare == Ordering::Equal {
        if n1.is_some() {
            compare = if v1.get(p1).is_some_and(u8::is_ascii_digit) {
                Ordering::Greater
            } else {
                php_version_compare(&v1[p1.min(v1.len())..], b"#N#")
            };
        } else if n2.is_some() {
            compare = if v2.get(p2).is_some_and(u8::is_ascii_digit) {
                Ordering::Less
            } else {
                php_version_compare(b"#N#", &v2[p2.min(v2.len())..])
            };
        }
    }
    compare
}

/// A Composer version: its normalised form (or the raw string when Composer
/// cannot normalise it).
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    norm: Box<str>,
    /// `version_compare`'s canonical form of `norm`, computed once.
    canon: Box<[u8]>,
}

impl ComposerVersion {
    /// Normalises a version; any non-empty string is accepted (strings
    /// Composer rejects are kept raw).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        if php_trim(input).is_empty() {
            return Err("empty Composer version");
        }
        let norm = normalize(input).unwrap_or_else(|_| php_trim(input).to_string());
        let canon = canonical(norm.as_bytes()).into();
        Ok(Self {
            norm: norm.into(),
            canon,
        })
    }

    /// The normalised form (`1.2.0.0-beta1`).
    pub fn normalized(&self) -> &str {
        &self.norm
    }

    fn is_branch(&self) -> bool {
        self.norm.starts_with("dev-")
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        compare_canonical(&self.canon, &o.canon).then_with(|| {
            // Keep distinct branches distinct (version_compare sees them as
            // equal when their names are not special forms).
            if self.is_branch() || o.is_branch() {
                self.norm.cmp(&o.norm)
            } else {
                Ordering::Equal
            }
        })
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Constraint {
    All,
    Cmp(Op, Box<str>),
}

impl Constraint {
    fn matches(&self, v: &str) -> bool {
        let Constraint::Cmp(op, c) = self else {
            return true;
        };
        let (vb, cb) = (v.starts_with("dev-"), c.starts_with("dev-"));
        if *op == Op::Ne && (vb || cb) {
            return v != &**c;
        }
        if vb && cb {
            return *op == Op::Eq && v == &**c;
        }
        if vb || cb {
            return false;
        }
        let o = version_compare(v, c);
        match op {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
        }
    }
}

/// `manipulateVersionString` with an increment of 0 or 1.
fn manipulate(parts: [&str; 4], position: usize, increment: bool) -> String {
    let mut out: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    for i in (1..=4usize).rev() {
        if i > position {
            out[i - 1] = "0".into();
        } else if i == position && increment {
            out[i - 1] = crate::num::Dec::parse(if out[i - 1].is_empty() {
                "0"
            } else {
                &out[i - 1]
            })
            .inc()
            .to_string();
        }
    }
    out.join(".")
}

fn parse_constraint(input: &str) -> Result<Vec<Constraint>, &'static str> {
    const BAD: &str = "could not parse Composer constraint";
    let r = res();
    let mut c = input.to_string();
    if let Some(m) = r.alias.captures(&c) {
        c = m[1].to_string();
    }
    let mut stability: Option<String> = None;
    if let Some(m) = r.flag_constraint.captures(&c) {
        let s = m[2].to_string();
        c = if m[1].is_empty() {
            "*".into()
        } else {
            m[1].to_string()
        };
        if s != "stable" {
            stability = Some(s);
        }
    }
    if let Some(m) = r.hash_ref.captures(&c) {
        c = m[1].to_string();
    }
    if let Some(m) = r.all.captures(&c) {
        if m.get(1).is_some() || m.get(2).is_some() {
            return Ok(vec![Constraint::Cmp(Op::Ge, "0.0.0.0-dev".into())]);
        }
        return Ok(vec![Constraint::All]);
    }
    let nonempty =
        |m: &regex::Captures<'_>, i: usize| m.get(i).is_some_and(|g| !g.as_str().is_empty());
    let get = |m: &regex::Captures<'_>, i: usize| m.get(i).map_or("", |g| g.as_str()).to_string();
    if let Some(m) = r.tilde.captures(&c) {
        if c.starts_with("~>") {
            return Err(BAD);
        }
        let mut position: usize = if nonempty(&m, 4) {
            4
        } else if nonempty(&m, 3) {
            3
        } else if nonempty(&m, 2) {
            2
        } else {
            1
        };
        if nonempty(&m, 8) {
            position += 1;
        }
        let suffix = if !nonempty(&m, 5) && !nonempty(&m, 7) && !nonempty(&m, 8) {
            "-dev"
        } else {
            ""
        };
        let low = normalize(&format!("{}{suffix}", &c[1..]))?;
        let (a, b, cc, d) = (get(&m, 1), get(&m, 2), get(&m, 3), get(&m, 4));
        let high = manipulate([&a, &b, &cc, &d], position.saturating_sub(1).max(1), true) + "-dev";
        return Ok(vec![
            Constraint::Cmp(Op::Ge, low.into()),
            Constraint::Cmp(Op::Lt, high.into()),
        ]);
    }
    if let Some(m) = r.caret.captures(&c) {
        let (a, b, cc, d) = (get(&m, 1), get(&m, 2), get(&m, 3), get(&m, 4));
        let position = if a != "0" || b.is_empty() {
            1
        } else if b != "0" || cc.is_empty() {
            2
        } else {
            3
        };
        let suffix = if !nonempty(&m, 5) && !nonempty(&m, 7) && !nonempty(&m, 8) {
            "-dev"
        } else {
            ""
        };
        let low = normalize(&format!("{}{suffix}", &c[1..]))?;
        let high = manipulate([&a, &b, &cc, &d], position, true) + "-dev";
        return Ok(vec![
            Constraint::Cmp(Op::Ge, low.into()),
            Constraint::Cmp(Op::Lt, high.into()),
        ]);
    }
    if let Some(m) = r.xrange.captures(&c) {
        let (a, b, cc) = (get(&m, 1), get(&m, 2), get(&m, 3));
        let position = if !cc.is_empty() {
            3
        } else if !b.is_empty() {
            2
        } else {
            1
        };
        let low = manipulate([&a, &b, &cc, ""], position, false) + "-dev";
        let high = manipulate([&a, &b, &cc, ""], position, true) + "-dev";
        if low == "0.0.0.0-dev" {
            return Ok(vec![Constraint::Cmp(Op::Lt, high.into())]);
        }
        return Ok(vec![
            Constraint::Cmp(Op::Ge, low.into()),
            Constraint::Cmp(Op::Lt, high.into()),
        ]);
    }
    if let Some(m) = r.hyphen.captures(&c) {
        let low_suffix = if !nonempty(&m, 6) && !nonempty(&m, 8) && !nonempty(&m, 9) {
            "-dev"
        } else {
            ""
        };
        let low = normalize(&get(&m, 1))? + low_suffix;
        let php_empty = |i: usize| {
            let s = get(&m, i);
            s.is_empty()
        };
        let upper = if (!php_empty(12) && !php_empty(13))
            || nonempty(&m, 15)
            || nonempty(&m, 17)
            || nonempty(&m, 18)
        {
            Constraint::Cmp(Op::Le, normalize(&get(&m, 10))?.into())
        } else {
            normalize(&get(&m, 10))?;
            let (a, b, cc, d) = (get(&m, 11), get(&m, 12), get(&m, 13), get(&m, 14));
            let pos = if php_empty(12) { 1 } else { 2 };
            Constraint::Cmp(
                Op::Lt,
                (manipulate([&a, &b, &cc, &d], pos, true) + "-dev").into(),
            )
        };
        return Ok(vec![Constraint::Cmp(Op::Ge, low.into()), upper]);
    }
    if let Some(m) = r.basic.captures(&c) {
        let opstr = get(&m, 1);
        let rest = get(&m, 2);
        let mut version = match normalize(&rest) {
            Ok(v) => v,
            Err(e) => {
                if rest.ends_with("-dev")
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-./".contains(&b))
                    && !rest.is_empty()
                {
                    normalize(&format!("dev-{}", &rest[..rest.len() - 4]))?
                } else {
                    return Err(e);
                }
            }
        };
        let op = match opstr.as_str() {
            "" | "=" | "==" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return Err(BAD),
        };
        if op != Op::Eq && stability.is_some() && parse_stability(&version) == "stable" {
            version.push('-');
            version.push_str(stability.as_deref().unwrap_or(""));
        } else if (op == Op::Lt || op == Op::Ge)
            && !r.dash_modifier.is_match(&rest.to_lowercase())
            && !rest.starts_with("dev-")
        {
            version.push_str("-dev");
        }
        return Ok(vec![Constraint::Cmp(op, version.into())]);
    }
    Err(BAD)
}

fn parse_stability(version: &str) -> &'static str {
    let v = match version.find('#') {
        Some(i) if i + 1 < version.len() => &version[..i],
        _ => version,
    };
    if v.starts_with("dev-") || v.ends_with("-dev") {
        return "dev";
    }
    let lower = v.to_lowercase();
    #[allow(clippy::expect_used)]
    let re = {
        static RE: OnceLock<Regex> = OnceLock::new();
        RE.get_or_init(|| Regex::new(&format!(r"(?i){MODIFIER}(?:\+.*)?$")).expect("static regex"))
    };
    let Some(m) = re.captures(&lower) else {
        return "stable";
    };
    if m.get(3).is_some_and(|g| !g.as_str().is_empty()) {
        return "dev";
    }
    match m.get(1).map(|g| g.as_str()) {
        Some("beta" | "b") => "beta",
        Some("alpha" | "a") => "alpha",
        Some("rc") => "RC",
        _ => "stable",
    }
}

/// Splits an `or` alternative into its `and` parts exactly where
/// Composer's `preg_split('{(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)}')`
/// does: at a comma or space that does not follow an operator, is not next
/// to a hyphen (hyphen ranges) and is not followed by `as` (aliases).
fn split_and(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let n = b.len();
    let spaces = |from: usize| b[from..].iter().take_while(|&&c| c == b' ').count();
    let mut out = Vec::new();
    let mut piece_start = 0;
    let mut i = 0;
    while i < n {
        let behind_ok = i > 0 && !b[..i].ends_with(b"as") && !b"=>< ,".contains(&b[i - 1]);
        let mut found = None;
        if behind_ok {
            let max_k = spaces(i);
            'outer: for k in (0..=max_k).rev() {
                let pos = i + k;
                if pos >= n || (b[pos] != b',' && b[pos] != b' ') {
                    continue;
                }
                if pos > 0 && b[pos - 1] == b'-' {
                    continue;
                }
                if b.get(pos + 1) == Some(&b'-') {
                    continue;
                }
                let max_m = spaces(pos + 1);
                for m in (0..=max_m).rev() {
                    let end = pos + 1 + m;
                    if end < n && b[end] != b',' && !b[end..].starts_with(b"as") {
                        found = Some(end);
                        break 'outer;
                    }
                }
            }
        }
        match found {
            Some(end) => {
                out.push(s[piece_start..i].to_string());
                piece_start = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push(s[piece_start..].to_string());
    out
}

/// A parsed Composer constraint.
#[derive(Debug, Clone)]
pub struct ComposerConstraint {
    alts: Vec<Vec<Constraint>>,
}

impl ComposerConstraint {
    /// `VersionParser::parseConstraints`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let mut alts = Vec::new();
        let trimmed = php_trim(input);
        #[allow(clippy::expect_used)]
        let or_split = {
            static RE: OnceLock<Regex> = OnceLock::new();
            RE.get_or_init(|| {
                Regex::new(r"[\t\n\x0B\f\r ]*\|\|?[\t\n\x0B\f\r ]*").expect("static regex")
            })
        };
        for alt in or_split.split(trimmed) {
            let mut conj = Vec::new();
            for part in split_and(alt) {
                conj.extend(parse_constraint(&part)?);
            }
            alts.push(conj);
        }
        Ok(Self { alts })
    }

    /// `Semver::satisfies` for a parsed version.
    pub fn matches(&self, v: &ComposerVersion) -> bool {
        self.alts
            .iter()
            .any(|c| c.iter().all(|k| k.matches(&v.norm)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise() {
        assert_eq!(normalize("1.0").as_deref(), Ok("1.0.0.0"));
        assert_eq!(normalize("v1.2.3-beta2").as_deref(), Ok("1.2.3.0-beta2"));
        assert_eq!(
            normalize("1.x-dev").as_deref(),
            Ok("1.9999999.9999999.9999999-dev")
        );
        assert_eq!(normalize("dev-main").as_deref(), Ok("dev-main"));
        assert_eq!(normalize("1.0-pl1").as_deref(), Ok("1.0.0.0-patch1"));
    }

    #[test]
    fn compare_and_constraints() {
        assert_eq!(version_compare("1.0-dev", "1.0a1"), Ordering::Less);
        assert_eq!(version_compare("1.0rc1", "1.0"), Ordering::Less);
        assert_eq!(version_compare("1.0", "1.0pl1"), Ordering::Less);
        let sat = |c: &str, v: &str| {
            ComposerConstraint::parse(c)
                .expect("constraint")
                .matches(&ComposerVersion::parse(v).expect("version"))
        };
        assert!(sat("^1.2", "1.9.0"));
        assert!(!sat("^1.2", "2.0.0"));
        assert!(sat("~1.2", "1.9"));
        assert!(sat(">=1.0, <1.5 || ^2", "2.3"));
        assert!(!sat(">=1.0 <1.5", "1.5.0"));
        assert!(sat("1.0 - 2.0", "2.0.5"));
        assert!(sat("1.2.*", "1.2.9"));
    }
}
