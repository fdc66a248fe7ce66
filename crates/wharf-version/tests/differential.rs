//! Differential tests against the real reference implementations, on
//! seeded random inputs biased toward tricky shapes:
//!
//! * dpkg: dpkg's own C library (libdpkg's `parseversion` and
//!   `dpkg_version_compare`, the code behind `dpkg --compare-versions`) on
//!   100,000 pairs and 20,000 validity checks; Debian's `Dpkg::Version`
//!   (libdpkg-perl) on 100,000 pairs; the real `dpkg --compare-versions`
//!   binary on a sample of pairs and on version validity;
//! * rpm: `rpm.labelCompare` and `rpm.ver` from python3-rpm (librpm);
//! * PEP 440: pypa/packaging (`Version` ordering and validity,
//!   `SpecifierSet.contains`);
//! * npm: node-semver (`semver.compare`, `semver.satisfies`);
//! * Go: `golang.org/x/mod/semver` (`IsValid`, `Compare`), Debian's Go;
//! * RubyGems: Debian's ruby (`Gem::Version#<=>`, `Gem::Requirement`);
//! * Composer: Debian's php-composer-semver (`VersionParser::normalize`,
//!   `version_compare`, `Semver::satisfies`).
//!
//! A missing reference tool fails the test with what to install; the
//! Python and npm packages are installed by the test into cargo's
//! target temp dir when they are not there yet.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

use std::cmp::Ordering;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use fastrand::Rng;
use wharf_version::{Scheme, Version, ext::NpmOptions, ext::npm_satisfies};

const PAIRS: usize = 100_000;
const PACKAGING_VERSION: &str = "26.4";
const NODE_SEMVER_VERSION: &str = "7.8.6";

fn tmp_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wharf-version-differential")
}

/// Runs `cmd` with `input` written to a file passed as the last argument;
/// returns stdout lines.
fn run_reference(mut cmd: Command, name: &str, input: &str, hint: &str) -> Vec<String> {
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.in"));
    std::fs::write(&path, input).unwrap();
    cmd.arg(&path);
    let out = match cmd.stdin(Stdio::null()).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run the {name} reference ({e}); {hint}"),
    };
    assert!(
        out.status.success(),
        "{name} reference failed ({}): {}\n{hint}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

fn number(rng: &mut Rng) -> String {
    match rng.u8(..20) {
        0 => "0".into(),
        1 => "00".into(),
        2 => format!("0{}", rng.u8(..10)),
        3 => rng.u64(..).to_string(),
        4 => format!("{}{}", rng.u64(..), rng.u32(..)),
        5 => "9007199254740991".into(),
        6 => "9007199254740993".into(),
        7..=12 => rng.u8(..3).to_string(),
        _ => rng.u16(..200).to_string(),
    }
}

/// Pairs from a pool: half of them share a prefix (a mutation of the
/// other), so that comparisons reach deep into the strings.
fn pairs(
    rng: &mut Rng,
    pool: &[String],
    mutate: impl Fn(&mut Rng, &str) -> String,
) -> Vec<(String, String)> {
    (0..PAIRS)
        .map(|_| {
            let a = pool[rng.usize(..pool.len())].clone();
            let b = match rng.u8(..4) {
                0 => a.clone(),
                1 => mutate(rng, &a),
                _ => pool[rng.usize(..pool.len())].clone(),
            };
            if rng.bool() { (a, b) } else { (b, a) }
        })
        .collect()
}

fn ord_char(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

fn sign(s: &str) -> &'static str {
    match s.trim().parse::<i64>() {
        Ok(n) if n < 0 => "<",
        Ok(0) => "=",
        Ok(_) => ">",
        Err(_) => "?",
    }
}

fn finish(name: &str, disagreements: &[String], checked: usize) {
    eprintln!(
        "{name}: {checked} checks, {} disagreements",
        disagreements.len()
    );
    for d in disagreements.iter().take(30) {
        eprintln!("  {d}");
    }
    assert!(checked >= PAIRS, "{name}: only {checked} checks");
    assert!(
        disagreements.is_empty(),
        "{name}: {} disagreements with the reference",
        disagreements.len()
    );
}

// ---------------------------------------------------------------- dpkg

fn dpkg_part(rng: &mut Rng, upstream: bool, epoch: bool) -> String {
    let mut s = String::new();
    let n = 1 + rng.usize(..6);
    for i in 0..n {
        let tok = match rng.u8(..16) {
            0..=5 => number(rng),
            6 => ".".into(),
            7 => "~".into(),
            8 => "~~".into(),
            9 => "+".into(),
            10 => pick(
                rng,
                &[
                    "a", "b", "z", "A", "Z", "rc", "alpha", "dfsg", "deb12u", "ubuntu", "nmu",
                    "git",
                ],
            )
            .into(),
            11 if upstream => "-".into(),
            12 if upstream && epoch => ":".into(),
            _ => format!(".{}", number(rng)),
        };
        if i == 0 && upstream && !tok.starts_with(|c: char| c.is_ascii_digit()) {
            s.push_str(&rng.u8(..10).to_string());
        }
        s.push_str(&tok);
    }
    s
}

fn dpkg_version(rng: &mut Rng) -> String {
    let epoch = rng.u8(..5) == 0;
    let mut v = String::new();
    if epoch {
        v.push_str(pick(rng, &["0:", "1:", "2:", "10:", "01:", "3:"]));
    }
    v.push_str(&dpkg_part(rng, true, epoch));
    if rng.u8(..5) < 3 {
        v.push('-');
        v.push_str(&dpkg_part(rng, false, false));
    }
    v
}

fn dpkg_mutate(rng: &mut Rng, a: &str) -> String {
    let mut s = a.to_string();
    match rng.u8(..5) {
        0 => s.push_str(pick(rng, &["~", "~rc1", "+b1", ".0", "0", "a"])),
        1 => {
            let cut = rng.usize(..=s.len());
            if s.is_char_boundary(cut) {
                s.truncate(cut.max(1));
            }
        }
        2 => s = s.replacen('1', "01", 1),
        3 => s = s.replacen('.', "~", 1),
        _ => s.push_str(&format!("-{}", number(rng))),
    }
    s
}

#[test]
fn dpkg_against_libdpkg_perl() {
    let mut rng = Rng::with_seed(0xD9C6);
    let pool: Vec<String> = (0..20_000).map(|_| dpkg_version(&mut rng)).collect();
    let mut ps = pairs(&mut rng, &pool, dpkg_mutate);
    // Keep valid pairs only (validity is checked against dpkg itself below).
    ps.retain(|(a, b)| {
        Version::parse(Scheme::Dpkg, a).is_ok() && Version::parse(Scheme::Dpkg, b).is_ok()
    });
    while ps.len() < PAIRS {
        let a = dpkg_version(&mut rng);
        let b = dpkg_mutate(&mut rng, &a);
        if Version::parse(Scheme::Dpkg, &a).is_ok() && Version::parse(Scheme::Dpkg, &b).is_ok() {
            ps.push((a, b));
        }
    }
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let mut cmd = Command::new("perl");
    cmd.args([
        "-MDpkg::Version",
        "-e",
        "open(my $f, '<', $ARGV[0]) or die; while (<$f>) { chomp; my ($a, $b) = split /\\t/; print version_compare($a, $b), \"\\n\"; }",
    ]);
    let out = run_reference(
        cmd,
        "dpkg-perl",
        &input,
        "install Debian's libdpkg-perl (apt-get install libdpkg-perl)",
    );
    assert_eq!(out.len(), ps.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let ours = ord_char(wharf_version::compare(Scheme::Dpkg, a, b).unwrap());
        if ours != sign(r) {
            bad.push(format!("{a} vs {b}: wharf {ours}, Dpkg::Version {r}"));
        }
    }
    finish("dpkg (Dpkg::Version)", &bad, ps.len());
}

/// 100,000 valid pairs and 20,000 validity checks through dpkg's own C
/// library: a small program (`fixtures/libdpkg/compare.c`) compiled
/// against libdpkg calls `parseversion` and `dpkg_version_compare`, the
/// functions behind `dpkg --compare-versions`, without a process per pair.
#[test]
fn dpkg_against_libdpkg_c() {
    const HINT: &str = "install a C compiler and Debian's libdpkg-dev (apt-get install gcc libdpkg-dev pkg-config)";
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("libdpkg-compare");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/libdpkg/compare.c"
    );
    let libs = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libdpkg"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkg-config ({e}); {HINT}"));
    assert!(libs.status.success(), "pkg-config libdpkg failed; {HINT}");
    let flags = String::from_utf8(libs.stdout).unwrap();
    let cc = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(src)
        .args(flags.split_whitespace())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cc ({e}); {HINT}"));
    assert!(
        cc.status.success(),
        "compiling the libdpkg oracle failed: {}\n{HINT}",
        String::from_utf8_lossy(&cc.stderr)
    );

    let mut rng = Rng::with_seed(0xD9C8);
    let mut ps = Vec::new();
    while ps.len() < PAIRS {
        let a = dpkg_version(&mut rng);
        let b = if rng.bool() {
            dpkg_mutate(&mut rng, &a)
        } else {
            dpkg_version(&mut rng)
        };
        if Version::parse(Scheme::Dpkg, &a).is_ok() && Version::parse(Scheme::Dpkg, &b).is_ok() {
            ps.push((a, b));
        }
    }
    // Validity: short strings from a wide alphabet, paired with themselves.
    let alphabet = DPKG_VALIDITY_ALPHABET;
    let vs: Vec<String> = (0..20_000)
        .map(|_| {
            let n = 1 + rng.usize(..6);
            (0..n).map(|_| pick(&mut rng, &alphabet)).collect()
        })
        .collect();
    let input: String = ps
        .iter()
        .map(|(a, b)| format!("{a}\t{b}\n"))
        .chain(vs.iter().map(|v| format!("{v}\t{v}\n")))
        .collect();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("{} < \"$0\"", exe.display()));
    let out = run_reference(cmd, "libdpkg", &input, HINT);
    assert_eq!(out.len(), ps.len() + vs.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let ours = ord_char(wharf_version::compare(Scheme::Dpkg, a, b).unwrap());
        if ours != r {
            bad.push(format!("{a} vs {b}: wharf {ours}, libdpkg {r}"));
        }
    }
    let mut invalid = 0;
    for (v, r) in vs.iter().zip(&out[ps.len()..]) {
        let theirs = r != "invalid";
        invalid += usize::from(!theirs);
        let ours = Version::parse(Scheme::Dpkg, v).is_ok();
        if ours != theirs {
            bad.push(format!("{v:?}: wharf valid={ours}, libdpkg {r}"));
        }
    }
    eprintln!(
        "libdpkg validity: {invalid} of {} strings rejected",
        vs.len()
    );
    finish("dpkg (libdpkg C library)", &bad, ps.len());
}

/// Pieces of dpkg version strings, valid and not, for the validity checks.
const DPKG_VALIDITY_ALPHABET: [&str; 18] = [
    "0", "1", "9", ".", "-", ":", "~", "+", "a", "Z", " ", "_", "!", "01", "12", "a:", "-1", "1:",
];

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn dpkg_against_dpkg_binary() {
    let mut rng = Rng::with_seed(0xD9C7);
    // Ordering: a sample of valid pairs through the real binary.
    let mut script = String::new();
    let mut ps = Vec::new();
    while ps.len() < 1_500 {
        let a = dpkg_version(&mut rng);
        let b = if rng.bool() {
            dpkg_mutate(&mut rng, &a)
        } else {
            dpkg_version(&mut rng)
        };
        if Version::parse(Scheme::Dpkg, &a).is_ok() && Version::parse(Scheme::Dpkg, &b).is_ok() {
            script.push_str(&format!(
                "if dpkg --compare-versions {qa} lt {qb}; then echo '<'; elif dpkg --compare-versions {qa} eq {qb}; then echo '='; else echo '>'; fi\n",
                qa = sh_quote(&a),
                qb = sh_quote(&b)
            ));
            ps.push((a, b));
        }
    }
    // Validity: strings from a wider alphabet, judged by dpkg's parser
    // (`bad syntax` errors and warnings).
    let alphabet = DPKG_VALIDITY_ALPHABET;
    let mut vs = Vec::new();
    while vs.len() < 1_500 {
        let n = 1 + rng.usize(..6);
        let s: String = (0..n).map(|_| pick(&mut rng, &alphabet)).collect();
        // dpkg would read a leading `-` as an option, not a version.
        if s.trim_start().starts_with('-') {
            continue;
        }
        script.push_str(&format!(
            "if dpkg --compare-versions {q} eq {q} 2>&1 | grep -q 'bad syntax\\|empty'; then echo invalid; else echo valid; fi\n",
            q = sh_quote(&s)
        ));
        vs.push(s);
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-e");
    let out = run_reference(
        cmd,
        "dpkg-binary",
        &script,
        "dpkg must be installed (it is on Debian)",
    );
    assert_eq!(out.len(), ps.len() + vs.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let ours = ord_char(wharf_version::compare(Scheme::Dpkg, a, b).unwrap());
        if ours != r {
            bad.push(format!("{a} vs {b}: wharf {ours}, dpkg {r}"));
        }
    }
    for (v, r) in vs.iter().zip(&out[ps.len()..]) {
        let ours = if Version::parse(Scheme::Dpkg, v).is_ok() {
            "valid"
        } else {
            "invalid"
        };
        if ours != r {
            bad.push(format!("{v:?}: wharf {ours}, dpkg {r}"));
        }
    }
    eprintln!(
        "dpkg binary: {} pairs + {} validity checks, {} disagreements",
        ps.len(),
        vs.len(),
        bad.len()
    );
    for d in bad.iter().take(30) {
        eprintln!("  {d}");
    }
    assert!(bad.is_empty());
}

// ---------------------------------------------------------------- rpm

fn rpm_part(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.usize(..6) {
        s.push_str(&match rng.u8(..18) {
            0..=5 => number(rng),
            6 => ".".into(),
            7 => "~".into(),
            8 => "^".into(),
            9 => "_".into(),
            10 => "+".into(),
            11 => pick(
                rng,
                &[
                    "el9", "fc38", "git", "rc", "a", "b", "Z", "module", "mga", "oe",
                ],
            )
            .into(),
            12 => pick(rng, &["α", "é", "~~", "^^", "..", "%", "#"]).into(),
            _ => format!(".{}", number(rng)),
        });
    }
    s
}

fn rpm_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.u8(..5) == 0 {
        v.push_str(pick(rng, &["0:", "1:", "2:", "01:", "10:", ":"]));
    }
    v.push_str(&rpm_part(rng));
    if rng.u8(..5) < 3 {
        v.push('-');
        v.push_str(&rpm_part(rng));
    }
    v
}

fn rpm_mutate(rng: &mut Rng, a: &str) -> String {
    let mut s = a.to_string();
    match rng.u8(..4) {
        0 => s.push_str(pick(rng, &["~rc1", "^git1", ".1", "a", "-1"])),
        1 => s = s.replacen('.', "~", 1),
        2 => s = s.replacen('1', "01", 1),
        _ => s.push_str(&number(rng)),
    }
    s
}

fn debian_python() -> &'static str {
    "/usr/bin/python3"
}

#[test]
fn rpm_against_librpm() {
    let mut rng = Rng::with_seed(0x8E7);
    let pool: Vec<String> = (0..20_000).map(|_| rpm_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, rpm_mutate);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = r#"
import sys, rpm
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    a, b = line.rstrip("\n").split("\t")
    va, vb = rpm.ver(a), rpm.ver(b)
    c = rpm.labelCompare((va.e, va.v, va.r), (vb.e, vb.v, vb.r))
    out.append("%d\t%s\t%s\t%s" % (c, va.e if va.e is not None else "-", va.v, va.r if va.r is not None else "-"))
sys.stdout.write("\n".join(out) + "\n")
"#;
    let mut cmd = Command::new(debian_python());
    cmd.args(["-c", script]);
    let out = run_reference(
        cmd,
        "rpm",
        &input,
        "install Debian's python3-rpm (apt-get install python3-rpm); it is used through /usr/bin/python3",
    );
    assert_eq!(out.len(), ps.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let f: Vec<&str> = r.split('\t').collect();
        let ours = ord_char(wharf_version::compare(Scheme::Rpm, a, b).unwrap());
        if ours != sign(f[0]) {
            bad.push(format!("{a} vs {b}: wharf {ours}, rpm {}", f[0]));
        }
        let evr = wharf_version::rpm::Evr::parse(a).unwrap();
        let split = (
            evr.epoch().unwrap_or("-"),
            evr.version(),
            evr.release().unwrap_or("-"),
        );
        if split != (f[1], f[2], f[3]) {
            bad.push(format!(
                "{a}: wharf splits {split:?}, rpm.ver {:?}",
                &f[1..]
            ));
        }
    }
    finish("rpm (librpm)", &bad, ps.len());
}

// ---------------------------------------------------------------- PEP 440

fn reference_python_path() -> PathBuf {
    // Both PEP 440 tests run in this process: install once.
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(install_packaging).clone()
}

fn install_packaging() -> PathBuf {
    let dir = tmp_dir().join(format!("packaging-{PACKAGING_VERSION}"));
    if !dir.join("packaging").join("version.py").exists() {
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dir)
            .arg(format!("packaging=={PACKAGING_VERSION}"))
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "could not install pypa/packaging {PACKAGING_VERSION} with `python3 -m pip` ({other:?}); \
                 install Python 3.11+ with pip (python3 -m pip install packaging=={PACKAGING_VERSION})"
            ),
        }
    }
    dir
}

fn python_with_packaging() -> Command {
    let path = reference_python_path();
    let mut cmd = Command::new("python3");
    cmd.env("PYTHONPATH", &path);
    cmd
}

fn pep_number(rng: &mut Rng) -> String {
    match rng.u8(..10) {
        0 => "0".into(),
        1 => format!("0{}", rng.u8(..10)),
        2 => rng.u64(..).to_string(),
        3 => format!("{}{}", rng.u64(..), rng.u64(..)),
        _ => rng.u8(..4).to_string(),
    }
}

fn sep(rng: &mut Rng) -> &'static str {
    pick(rng, &["", "", ".", "-", "_"])
}

fn pep_version(rng: &mut Rng) -> String {
    if rng.u8(..25) == 0 {
        // garbage from the grammar's alphabet
        let al = [
            "1", "0", ".", "-", "_", "+", "!", "a", "b", "rc", "post", "dev", "v", " ", "*", "x",
            "r", "c",
        ];
        return (0..1 + rng.usize(..7)).map(|_| pick(rng, &al)).collect();
    }
    let mut v = String::new();
    if rng.u8(..20) == 0 {
        v.push_str(pick(rng, &["v", "V", " ", "\t"]));
    }
    if rng.u8(..8) == 0 {
        v.push_str(&format!("{}!", pep_number(rng)));
    }
    let parts = 1 + rng.usize(..4);
    let rel: Vec<String> = (0..parts).map(|_| pep_number(rng)).collect();
    v.push_str(&rel.join("."));
    if rng.u8(..3) == 0 {
        v.push_str(sep(rng));
        v.push_str(pick(
            rng,
            &[
                "a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "A", "RC", "Beta",
            ],
        ));
        v.push_str(sep(rng));
        if rng.u8(..4) != 0 {
            v.push_str(&pep_number(rng));
        }
    }
    if rng.u8(..4) == 0 {
        if rng.bool() {
            v.push_str(&format!("-{}", pep_number(rng)));
        } else {
            v.push_str(sep(rng));
            v.push_str(pick(rng, &["post", "rev", "r", "POST"]));
            v.push_str(sep(rng));
            if rng.bool() {
                v.push_str(&pep_number(rng));
            }
        }
    }
    if rng.u8(..4) == 0 {
        v.push_str(sep(rng));
        v.push_str(pick(rng, &["dev", "DEV"]));
        v.push_str(sep(rng));
        if rng.bool() {
            v.push_str(&pep_number(rng));
        }
    }
    if rng.u8(..6) == 0 {
        v.push('+');
        let segs = 1 + rng.usize(..3);
        let l: Vec<String> = (0..segs)
            .map(|_| {
                if rng.bool() {
                    pep_number(rng)
                } else {
                    pick(rng, &["abc", "ubuntu", "Z", "cpu", "x1"]).into()
                }
            })
            .collect();
        v.push_str(&l.join(pick(rng, &[".", "-", "_"])));
    }
    if rng.u8(..30) == 0 {
        v.push_str(pick(rng, &[" ", ".", "-", "+"]));
    }
    v
}

fn pep_mutate(rng: &mut Rng, a: &str) -> String {
    let mut s = a.to_string();
    match rng.u8(..5) {
        0 => s.push_str(pick(rng, &[".0", ".post1", ".dev0", "a1", "+local", ".1"])),
        1 => s = s.replacen(".0", "", 1),
        2 => s = s.to_uppercase(),
        3 => s = format!("0!{s}"),
        _ => s.push_str(".0.0"),
    }
    s
}

#[test]
fn pep440_versions_against_packaging() {
    let mut rng = Rng::with_seed(0x440);
    let pool: Vec<String> = (0..20_000).map(|_| pep_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, pep_mutate);
    let input: String = ps
        .iter()
        .map(|(a, b)| format!("{}\t{}\n", a.escape_default(), b.escape_default()))
        .collect();
    let script = r#"
import sys, codecs
from packaging.version import Version, InvalidVersion
def p(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    a, b = (codecs.decode(x, "unicode_escape") for x in line.rstrip("\n").split("\t"))
    va, vb = p(a), p(b)
    if va is None or vb is None:
        out.append("E%d%d" % (va is None, vb is None))
    else:
        out.append("<" if va < vb else ">" if va > vb else "=")
sys.stdout.write("\n".join(out) + "\n")
"#;
    let mut cmd = python_with_packaging();
    cmd.args(["-c", script]);
    let out = run_reference(cmd, "pep440-versions", &input, "needs python3 with pip");
    assert_eq!(out.len(), ps.len());
    let mut bad = Vec::new();
    let mut invalid = 0;
    for ((a, b), r) in ps.iter().zip(&out) {
        let (pa, pb) = (
            Version::parse(Scheme::Pep440, a),
            Version::parse(Scheme::Pep440, b),
        );
        let ours = match (&pa, &pb) {
            (Ok(x), Ok(y)) => ord_char(x.cmp(y)).to_string(),
            _ => format!("E{}{}", u8::from(pa.is_err()), u8::from(pb.is_err())),
        };
        if ours.starts_with('E') {
            invalid += 1;
        }
        if ours != *r {
            bad.push(format!("{a:?} vs {b:?}: wharf {ours}, packaging {r}"));
        }
    }
    eprintln!("pep440 versions: {invalid} pairs with an invalid side");
    finish("pep440 versions (packaging)", &bad, ps.len());
}

fn pep_spec(rng: &mut Rng, pool: &[String]) -> String {
    let n = 1 + rng.usize(..3);
    let specs: Vec<String> = (0..n)
        .map(|_| {
            let op = pick(
                rng,
                &[
                    "~=", "==", "!=", "<=", ">=", "<", ">", "===", "==", ">=", "<",
                ],
            );
            let mut v = pool[rng.usize(..pool.len())].clone();
            if (op == "==" || op == "!=") && rng.u8(..3) == 0 {
                v = v
                    .split(['a', 'b', 'r', 'p', 'd', '+', '-', 'c'])
                    .next()
                    .unwrap_or("1")
                    .trim_end_matches('.')
                    .to_string();
                v.push_str(".*");
            }
            let ws = pick(rng, &["", "", " "]);
            format!("{ws}{op}{ws}{v}")
        })
        .collect();
    specs.join(pick(rng, &[",", ", ", " ,"]))
}

#[test]
fn pep440_specifiers_against_packaging() {
    let mut rng = Rng::with_seed(0x441);
    let clean: Vec<String> = (0..20_000)
        .map(|_| pep_version(&mut rng))
        .filter(|v| Version::parse(Scheme::Pep440, v).is_ok())
        .collect();
    let cases: Vec<(String, String)> = (0..PAIRS)
        .map(|_| {
            let spec = pep_spec(&mut rng, &clean);
            // A candidate near the specifier's versions half of the time.
            let v = if rng.bool() {
                let base = spec
                    .trim_start_matches(|c: char| "~=!<> ".contains(c))
                    .split(',')
                    .next()
                    .unwrap_or("1")
                    .trim_end_matches(".*")
                    .trim()
                    .to_string();
                pep_mutate(&mut rng, &base)
            } else {
                clean[rng.usize(..clean.len())].clone()
            };
            (v, spec)
        })
        .collect();
    let input: String = cases
        .iter()
        .map(|(v, s)| format!("{}\t{}\n", v.escape_default(), s.escape_default()))
        .collect();
    let script = r#"
import sys, codecs
from packaging.specifiers import SpecifierSet, InvalidSpecifier
from packaging.version import Version, InvalidVersion
cache = {}
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    v, s = (codecs.decode(x, "unicode_escape") for x in line.rstrip("\n").split("\t"))
    if s not in cache:
        try:
            cache[s] = SpecifierSet(s)
        except InvalidSpecifier:
            cache[s] = None
    ss = cache[s]
    try:
        Version(v)
        valid = "1"
    except InvalidVersion:
        valid = "0"
    if ss is None:
        out.append("S")
    else:
        out.append(valid + ("T" if ss.contains(v) else "F"))
sys.stdout.write("\n".join(out) + "\n")
"#;
    let mut cmd = python_with_packaging();
    cmd.args(["-c", script]);
    let out = run_reference(cmd, "pep440-specifiers", &input, "needs python3 with pip");
    assert_eq!(out.len(), cases.len());
    let mut bad = Vec::new();
    let (mut t, mut invalid_specs) = (0, 0);
    for ((v, s), r) in cases.iter().zip(&out) {
        let ours = match wharf_version::pep440::SpecifierSet::parse(s) {
            Err(_) => "S".to_string(),
            Ok(set) => {
                let parsed = wharf_version::pep440::Pep440Version::parse(v).ok();
                let valid = if parsed.is_some() { "1" } else { "0" };
                format!(
                    "{valid}{}",
                    if set.contains(v, parsed.as_ref()) {
                        "T"
                    } else {
                        "F"
                    }
                )
            }
        };
        if ours.ends_with('T') {
            t += 1;
        }
        if ours == "S" {
            invalid_specs += 1;
        }
        if ours != *r {
            bad.push(format!("{v:?} in {s:?}: wharf {ours}, packaging {r}"));
        }
    }
    eprintln!("pep440 specifiers: {t} contained, {invalid_specs} invalid specifier sets");
    finish("pep440 specifiers (packaging)", &bad, cases.len());
}

// ---------------------------------------------------------------- npm

fn node_semver_dir() -> PathBuf {
    let dir = tmp_dir().join(format!("node-semver-{NODE_SEMVER_VERSION}"));
    if !dir.join("node_modules/semver/package.json").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("semver@{NODE_SEMVER_VERSION}"))
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "could not install node-semver {NODE_SEMVER_VERSION} with npm ({other:?}); install Node.js and npm (apt-get install nodejs npm)"
            ),
        }
    }
    dir
}

fn npm_number(rng: &mut Rng) -> String {
    match rng.u8(..14) {
        0 => "0".into(),
        1 => "01".into(),
        2 => "9007199254740991".into(),
        3 => "9007199254740992".into(),
        4 => rng.u64(..).to_string(),
        _ => rng.u8(..4).to_string(),
    }
}

fn npm_pre(rng: &mut Rng) -> String {
    let n = 1 + rng.usize(..3);
    (0..n)
        .map(|_| match rng.u8(..8) {
            0 => npm_number(rng),
            1 => "0".to_string(),
            2 => rng.u8(..3).to_string(),
            3 => "x-y".to_string(),
            4 => "9007199254740993".to_string(),
            _ => pick(rng, &["alpha", "beta", "rc", "pre", "A", "b2", "-"]).to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn npm_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.u8(..15) == 0 {
        v.push_str(pick(rng, &["v", "=", " ", "v ", "V"]));
    }
    v.push_str(&format!(
        "{}.{}.{}",
        npm_number(rng),
        npm_number(rng),
        npm_number(rng)
    ));
    if rng.u8(..3) == 0 {
        v.push('-');
        v.push_str(&npm_pre(rng));
    }
    if rng.u8(..8) == 0 {
        v.push_str(pick(rng, &["+build", "+b.1", "+001", "+"]));
    }
    if rng.u8(..30) == 0 {
        v = v.replacen('.', "", 1);
    }
    v
}

fn npm_mutate(rng: &mut Rng, a: &str) -> String {
    let mut s = a.to_string();
    match rng.u8(..4) {
        0 => s.push_str(pick(rng, &["-0", "-alpha", ".1", "-rc.1", "+x"])),
        1 => s = s.replacen('1', "2", 1),
        2 => s = s.split('-').next().unwrap_or("").to_string(),
        _ => s = s.replacen('0', "1", 1),
    }
    s
}

fn npm_partial(rng: &mut Rng) -> String {
    let x = |rng: &mut Rng| -> String {
        if rng.u8(..5) == 0 {
            pick(rng, &["x", "X", "*"]).into()
        } else {
            npm_number(rng)
        }
    };
    match rng.u8(..6) {
        0 => x(rng),
        1 => format!("{}.{}", x(rng), x(rng)),
        2 => format!(
            "{}.{}.{}-{}",
            rng.u8(..3),
            rng.u8(..3),
            rng.u8(..3),
            npm_pre(rng)
        ),
        _ => format!("{}.{}.{}", x(rng), x(rng), x(rng)),
    }
}

fn npm_range(rng: &mut Rng) -> String {
    let alts = 1 + usize::from(rng.u8(..5) == 0);
    (0..alts)
        .map(|_| match rng.u8(..10) {
            0 => format!("{} - {}", npm_partial(rng), npm_partial(rng)),
            1 => pick(rng, &["*", "", "x", ">=0.0.0", "latest"]).into(),
            _ => {
                let n = 1 + rng.usize(..2);
                (0..n)
                    .map(|_| {
                        let op = pick(
                            rng,
                            &[
                                "", "=", "<", "<=", ">", ">=", "~", "~>", "^", "^", "~", ">=",
                            ],
                        );
                        let ws = if rng.u8(..6) == 0 { " " } else { "" };
                        format!("{op}{ws}{}", npm_partial(rng))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        })
        .collect::<Vec<_>>()
        .join(pick(rng, &[" || ", "||"]))
}

#[test]
fn npm_against_node_semver() {
    let dir = node_semver_dir();
    let mut rng = Rng::with_seed(0x5E3);
    let pool: Vec<String> = (0..20_000).map(|_| npm_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, npm_mutate);
    let ranges: Vec<(String, String, NpmOptions)> = (0..PAIRS)
        .map(|_| {
            let r = npm_range(&mut rng);
            // A candidate built from the range's own numbers half the time.
            let v = if rng.bool() {
                let digits: Vec<&str> = r
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty())
                    .take(3)
                    .collect();
                let mut v = match digits.as_slice() {
                    [a, b, c, ..] => format!("{a}.{b}.{c}"),
                    [a, b] => format!("{a}.{b}.{}", rng.u8(..3)),
                    [a] => format!("{a}.{}.0", rng.u8(..3)),
                    [] => "1.0.0".into(),
                };
                if rng.u8(..3) == 0 {
                    v.push_str(&format!("-{}", npm_pre(&mut rng)));
                }
                v
            } else {
                pool[rng.usize(..pool.len())].clone()
            };
            let o = NpmOptions {
                loose: rng.u8(..10) == 0,
                include_prerelease: rng.u8(..6) == 0,
            };
            (v, r, o)
        })
        .collect();
    let mut input = String::new();
    for (a, b) in &ps {
        input.push_str(&format!("c\t{a}\t{b}\t0\t0\n"));
    }
    for (v, r, o) in &ranges {
        input.push_str(&format!(
            "s\t{v}\t{r}\t{}\t{}\n",
            u8::from(o.loose),
            u8::from(o.include_prerelease)
        ));
    }
    let script = format!(
        r#"
const semver = require({dir:?} + "/node_modules/semver");
const lines = require("fs").readFileSync(process.argv[process.argv.length - 1], "utf8").split("\n");
const out = [];
for (const line of lines) {{
  if (!line) continue;
  const [kind, a, b, loose, inc] = line.split("\t");
  if (kind === "c") {{
    let r;
    try {{ r = String(semver.compare(a, b)); }} catch (e) {{
      r = "E" + (semver.valid(a) === null ? 1 : 0) + (semver.valid(b) === null ? 1 : 0);
    }}
    out.push(r);
  }} else {{
    const opts = {{ loose: loose === "1", includePrerelease: inc === "1" }};
    out.push((semver.validRange(b, opts) === null ? "R" : "") + (semver.satisfies(a, b, opts) ? "T" : "F"));
  }}
}}
process.stdout.write(out.join("\n") + "\n");
"#,
        dir = dir.display().to_string()
    );
    let mut cmd = Command::new("node");
    cmd.args(["-e", &script, "--"]);
    let out = run_reference(
        cmd,
        "npm",
        &input,
        "install Node.js (apt-get install nodejs npm)",
    );
    assert_eq!(out.len(), ps.len() + ranges.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let (pa, pb) = (
            wharf_version::npm::SemVer::parse(a),
            wharf_version::npm::SemVer::parse(b),
        );
        let ours = match (&pa, &pb) {
            (Ok(x), Ok(y)) => match x.cmp(y) {
                Ordering::Less => "-1".to_string(),
                Ordering::Equal => "0".to_string(),
                Ordering::Greater => "1".to_string(),
            },
            _ => format!("E{}{}", u8::from(pa.is_err()), u8::from(pb.is_err())),
        };
        if ours != *r {
            bad.push(format!(
                "compare {a:?} {b:?}: wharf {ours}, node-semver {r}"
            ));
        }
    }
    let mut sat = 0;
    for ((v, range, o), r) in ranges.iter().zip(&out[ps.len()..]) {
        let valid = wharf_version::npm::NpmRange::parse_with(range, *o).is_ok();
        let ours = format!(
            "{}{}",
            if valid { "" } else { "R" },
            if npm_satisfies(v, range, *o) {
                "T"
            } else {
                "F"
            }
        );
        if ours.ends_with('T') {
            sat += 1;
        }
        if ours != *r {
            bad.push(format!(
                "satisfies({v:?}, {range:?}, {o:?}): wharf {ours}, node-semver {r}"
            ));
        }
    }
    eprintln!(
        "npm: {} compare pairs, {} ranges ({sat} satisfied)",
        ps.len(),
        ranges.len()
    );
    finish("npm (node-semver)", &bad, ps.len().min(ranges.len()));
}

// ---------------------------------------------------------------- RubyGems

fn gem_version(rng: &mut Rng) -> String {
    if rng.u8(..25) == 0 {
        let al = ["1", "0", ".", "-", "a", "B", " ", "..", "v", "x", "_"];
        return (0..1 + rng.usize(..6)).map(|_| pick(rng, &al)).collect();
    }
    let mut v = npm_number(rng);
    for _ in 0..rng.usize(..5) {
        v.push('.');
        v.push_str(&match rng.u8(..6) {
            0 => pick(
                rng,
                &["a", "b", "pre", "rc", "RC", "alpha1", "beta2", "x86"],
            )
            .to_string(),
            1 => format!("{}{}", rng.u8(..3), pick(rng, &["a", "rc", ""])),
            _ => npm_number(rng),
        });
    }
    if rng.u8(..6) == 0 {
        v.push('-');
        v.push_str(pick(rng, &["java", "x86-mingw32", "1", "pre.1", "a-b"]));
    }
    if rng.u8(..20) == 0 {
        v = format!(" {v}\t");
    }
    v
}

fn gem_mutate(rng: &mut Rng, a: &str) -> String {
    let mut s = a.to_string();
    match rng.u8(..4) {
        0 => s.push_str(pick(rng, &[".0", ".a", ".1", "-1", ".0.0"])),
        1 => s = s.replacen(".0", "", 1),
        2 => s = s.to_uppercase(),
        _ => s = s.replacen('1', "01", 1),
    }
    s
}

#[test]
fn rubygems_against_ruby() {
    let mut rng = Rng::with_seed(0x6E3);
    let pool: Vec<String> = (0..20_000).map(|_| gem_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, gem_mutate);
    let clean: Vec<String> = pool
        .iter()
        .filter(|v| Version::parse(Scheme::RubyGems, v).is_ok())
        .cloned()
        .collect();
    let reqs: Vec<(String, String)> = (0..PAIRS)
        .map(|_| {
            let n = 1 + rng.usize(..2);
            let req = (0..n)
                .map(|_| {
                    let op = pick(
                        &mut rng,
                        &["", "=", "!=", ">", "<", ">=", "<=", "~>", "~>", "~>"],
                    );
                    let ws = pick(&mut rng, &["", " "]);
                    format!("{op}{ws}{}", clean[rng.usize(..clean.len())].trim())
                })
                .collect::<Vec<_>>()
                .join(", ");
            let base = req
                .split(',')
                .next()
                .unwrap_or("1")
                .trim_start_matches(|c: char| "~<>=! ".contains(c))
                .to_string();
            let v = if rng.bool() {
                gem_mutate(&mut rng, &base)
            } else {
                clean[rng.usize(..clean.len())].clone()
            };
            (v, req)
        })
        .collect();
    let mut input = String::new();
    for (a, b) in &ps {
        input.push_str(&format!(
            "c\t{}\t{}\n",
            a.escape_default(),
            b.escape_default()
        ));
    }
    for (v, r) in &reqs {
        input.push_str(&format!(
            "s\t{}\t{}\n",
            v.escape_default(),
            r.escape_default()
        ));
    }
    let script = r#"
def unesc(s) = s.gsub(/\\([tn'"\\])/) { {"t"=>"\t","n"=>"\n","'"=>"'",'"'=>'"',"\\"=>"\\"}[$1] }
def ver(s)
  Gem::Version.new(s)
rescue ArgumentError
  nil
end
out = []
File.foreach(ARGV[0]) do |line|
  kind, a, b = line.chomp.split("\t", 3).each_with_index.map { |x, i| i == 0 ? x : unesc(x) }
  if kind == "c"
    va, vb = ver(a), ver(b)
    out << (va && vb ? (va <=> vb).to_s : "E#{va ? 0 : 1}#{vb ? 0 : 1}")
  else
    begin
      r = Gem::Requirement.new(*(b.empty? ? [""] : b.split(",", -1)))
    rescue Gem::Requirement::BadRequirementError, ArgumentError
      out << "R"
      next
    end
    v = ver(a)
    out << (v.nil? ? "E" : (r.satisfied_by?(v) ? "T" : "F"))
  end
end
print out.join("\n") + "\n"
"#;
    let mut cmd = Command::new("ruby");
    cmd.args(["-e", script]);
    let out = run_reference(
        cmd,
        "rubygems",
        &input,
        "install Debian's ruby (apt-get install ruby)",
    );
    assert_eq!(out.len(), ps.len() + reqs.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let (pa, pb) = (
            Version::parse(Scheme::RubyGems, a),
            Version::parse(Scheme::RubyGems, b),
        );
        let ours = match (&pa, &pb) {
            (Ok(x), Ok(y)) => match x.cmp(y) {
                Ordering::Less => "-1".to_string(),
                Ordering::Equal => "0".to_string(),
                Ordering::Greater => "1".to_string(),
            },
            _ => format!("E{}{}", u8::from(pa.is_err()), u8::from(pb.is_err())),
        };
        if ours != *r {
            bad.push(format!("{a:?} <=> {b:?}: wharf {ours}, RubyGems {r}"));
        }
    }
    let mut sat = 0;
    for ((v, req), r) in reqs.iter().zip(&out[ps.len()..]) {
        let ours = match wharf_version::rubygems::GemRequirement::parse(req) {
            Err(_) => "R".to_string(),
            Ok(q) => match wharf_version::rubygems::GemVersion::parse(v) {
                Err(_) => "E".to_string(),
                Ok(x) => {
                    if q.satisfied_by(&x) {
                        "T".to_string()
                    } else {
                        "F".to_string()
                    }
                }
            },
        };
        if ours == "T" {
            sat += 1;
        }
        if ours != *r {
            bad.push(format!(
                "{v:?} satisfies {req:?}: wharf {ours}, RubyGems {r}"
            ));
        }
    }
    eprintln!(
        "rubygems: {} pairs, {} requirements ({sat} satisfied)",
        ps.len(),
        reqs.len()
    );
    finish("rubygems (Gem::Version)", &bad, ps.len().min(reqs.len()));
}

// ---------------------------------------------------------------- Composer

fn composer_version(rng: &mut Rng) -> String {
    if rng.u8(..20) == 0 {
        return pick(
            rng,
            &[
                "dev-main",
                "dev-feature/x",
                "master",
                "1.x-dev",
                "2.1.x-dev",
                "v1.0 as 1.1",
                "1.0@beta",
                "foo",
                "1.0.0.0.0",
                "",
                "1.2.3.#",
            ],
        )
        .into();
    }
    let mut v = String::new();
    if rng.u8(..6) == 0 {
        v.push('v');
    }
    if rng.u8(..25) == 0 {
        v.push_str(pick(
            rng,
            &["20100102", "2010-01-02", "2010.01.02.5", "201001021530"],
        ));
    } else {
        let parts = 1 + rng.usize(..4);
        let ns: Vec<String> = (0..parts)
            .map(|_| match rng.u8(..10) {
                0 => format!("0{}", rng.u8(..10)),
                1 => rng.u32(..).to_string(),
                _ => rng.u8(..4).to_string(),
            })
            .collect();
        v.push_str(&ns.join("."));
    }
    if rng.u8(..3) == 0 {
        v.push_str(pick(rng, &["", "-", ".", "_"]));
        v.push_str(pick(
            rng,
            &[
                "alpha", "a", "beta", "b", "RC", "rc", "patch", "pl", "p", "stable", "BETA",
            ],
        ));
        if rng.bool() {
            v.push_str(&format!("{}{}", pick(rng, &["", ".", "-"]), rng.u8(..12)));
        }
    }
    if rng.u8(..6) == 0 {
        v.push_str(pick(rng, &["-dev", ".dev", "dev"]));
    }
    if rng.u8(..15) == 0 {
        v.push_str("+build.1");
    }
    v
}

fn composer_constraint(rng: &mut Rng, pool: &[String]) -> String {
    let alts = 1 + usize::from(rng.u8(..4) == 0);
    (0..alts)
        .map(|_| match rng.u8(..8) {
            0 => format!(
                "{} - {}",
                pool[rng.usize(..pool.len())],
                pool[rng.usize(..pool.len())]
            ),
            1 => pick(
                rng,
                &[
                    "*",
                    "1.*",
                    "1.2.*",
                    "v1.x",
                    "2.X",
                    "^1.2@dev",
                    "~1.2@beta",
                    ">=1.0@dev",
                    "dev-main",
                    "x",
                ],
            )
            .into(),
            _ => {
                let n = 1 + rng.usize(..2);
                (0..n)
                    .map(|_| {
                        let op = pick(
                            rng,
                            &[
                                "", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "^", "~", "^",
                                "~", ">=",
                            ],
                        );
                        let ws = pick(rng, &["", "", " "]);
                        let mut v = pool[rng.usize(..pool.len())].clone();
                        if rng.u8(..4) == 0 {
                            v = v.split(['-', '+']).next().unwrap_or("1").to_string();
                        }
                        format!("{op}{ws}{v}")
                    })
                    .collect::<Vec<_>>()
                    .join(pick(rng, &[" ", ", ", ","]))
            }
        })
        .collect::<Vec<_>>()
        .join(pick(rng, &[" || ", "||", " | "]))
}

#[test]
fn composer_against_composer_semver() {
    let mut rng = Rng::with_seed(0xC0);
    let pool: Vec<String> = (0..20_000).map(|_| composer_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, |rng, a| {
        let mut s = a.to_string();
        match rng.u8(..4) {
            0 => s.push_str(pick(rng, &[".0", "-dev", "RC1", ".1", "-p1"])),
            1 => s = s.replacen('.', "-", 1),
            2 => s = s.to_uppercase(),
            _ => s = format!("v{s}"),
        }
        s
    });
    let clean: Vec<String> = pool
        .iter()
        .filter(|v| wharf_version::composer::normalize(v).is_ok() && !v.contains(' '))
        .cloned()
        .collect();
    let cons: Vec<(String, String)> = (0..PAIRS)
        .map(|_| {
            let c = composer_constraint(&mut rng, &clean);
            let v = clean[rng.usize(..clean.len())].clone();
            (v, c)
        })
        .collect();
    let mut input = String::new();
    for (a, b) in &ps {
        input.push_str(&format!("c\t{a}\t{b}\n"));
    }
    for (v, c) in &cons {
        input.push_str(&format!("s\t{v}\t{c}\n"));
    }
    let script = r#"
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\VersionParser;
use Composer\Semver\Semver;
$p = new VersionParser();
$norm = function ($v) use ($p) { try { return [$p->normalize($v), true]; } catch (\Exception $e) { return [trim($v), false]; } };
$out = [];
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
    [$kind, $a, $b] = explode("\t", $line, 3);
    if ($kind === "c") {
        [$na, $oka] = $norm($a);
        [$nb, $okb] = $norm($b);
        $out[] = ($oka ? $na : "!") . "\t" . ($okb ? $nb : "!") . "\t" . version_compare($na, $nb);
    } else {
        try { $c = $p->parseConstraints($b); } catch (\Exception $e) { $out[] = "R"; continue; }
        try { $out[] = Semver::satisfies($a, $b) ? "T" : "F"; } catch (\Exception $e) { $out[] = "E"; }
    }
}
echo implode("\n", $out), "\n";
"#;
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let script_path = dir.join("composer.php");
    std::fs::write(&script_path, format!("<?php\n{script}")).unwrap();
    let mut cmd = Command::new("php");
    cmd.arg(&script_path);
    let out = run_reference(
        cmd,
        "composer",
        &input,
        "install Debian's php-cli and php-composer-semver (apt-get install php-cli php-composer-semver)",
    );
    assert_eq!(out.len(), ps.len() + cons.len());
    let mut bad = Vec::new();
    for ((a, b), r) in ps.iter().zip(&out) {
        let f: Vec<&str> = r.split('\t').collect();
        let na = wharf_version::composer::normalize(a);
        let nb = wharf_version::composer::normalize(b);
        let show = |n: &Result<String, &str>| n.as_deref().unwrap_or("!").to_string();
        if show(&na) != f[0] || show(&nb) != f[1] {
            bad.push(format!(
                "normalize {a:?} / {b:?}: wharf {:?} / {:?}, composer {:?} / {:?}",
                show(&na),
                show(&nb),
                f[0],
                f[1]
            ));
            continue;
        }
        let raw = |v: &str, n: Result<String, &str>| {
            n.unwrap_or_else(|_| {
                v.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
                    .to_string()
            })
        };
        let ours = wharf_version::composer::version_compare(&raw(a, na), &raw(b, nb));
        if ord_char(ours) != sign(f[2]) {
            bad.push(format!(
                "version_compare {a:?} {b:?}: wharf {}, php {}",
                ord_char(ours),
                f[2]
            ));
        }
    }
    let (mut sat, mut invalid) = (0, 0);
    for ((v, c), r) in cons.iter().zip(&out[ps.len()..]) {
        let ours = match wharf_version::composer::ComposerConstraint::parse(c) {
            Err(_) => "R",
            Ok(k) => {
                if wharf_version::composer::normalize(v).is_err() {
                    "E"
                } else if k.matches(&wharf_version::composer::ComposerVersion::parse(v).unwrap()) {
                    "T"
                } else {
                    "F"
                }
            }
        };
        if ours == "T" {
            sat += 1;
        }
        if ours == "R" {
            invalid += 1;
        }
        if ours != r {
            bad.push(format!(
                "satisfies({v:?}, {c:?}): wharf {ours}, composer {r}"
            ));
        }
    }
    eprintln!(
        "composer: {} pairs, {} constraints ({sat} satisfied, {invalid} invalid)",
        ps.len(),
        cons.len()
    );
    finish("composer (composer/semver)", &bad, ps.len().min(cons.len()));
}

// ---------------------------------------------------------------- Go

fn go_number(rng: &mut Rng) -> String {
    match rng.u8(..40) {
        0 => "01".into(),
        1 => "9007199254740993".into(),
        2 => format!("{}{}", rng.u64(..), rng.u64(..)),
        3..=8 => rng.u16(..).to_string(),
        _ => rng.u8(..4).to_string(),
    }
}

fn go_version(rng: &mut Rng) -> String {
    if rng.u8(..25) == 0 {
        let al = ["v", "1", "0", ".", "-", "+", "a", "01", "incompatible", "x"];
        return (0..1 + rng.usize(..6)).map(|_| pick(rng, &al)).collect();
    }
    let mut v = String::from(if rng.u8(..30) == 0 { "" } else { "v" });
    v.push_str(&go_number(rng));
    match rng.u8(..10) {
        0 => return v,
        1 => return format!("{v}.{}", go_number(rng)),
        _ => v.push_str(&format!(".{}.{}", go_number(rng), go_number(rng))),
    }
    match rng.u8(..6) {
        0 => v.push_str(&format!("-{}", npm_pre(rng))),
        1 => v.push_str(&format!(
            "-0.{}-{:012x}",
            20190101000000u64 + rng.u64(..1_000_000),
            rng.u64(..1 << 48)
        )),
        2 => v.push_str(&format!(
            "-{}-{:012x}",
            20190101000000u64 + rng.u64(..1_000_000),
            rng.u64(..1 << 48)
        )),
        3 => v.push_str(&format!(
            "-pre.0.{}-{:012x}",
            20190101000000u64 + rng.u64(..100),
            rng.u64(..1 << 48)
        )),
        _ => {}
    }
    if rng.u8(..6) == 0 {
        v.push_str(pick(rng, &["+incompatible", "+meta.1", "+", "+a..b"]));
    }
    v
}

#[test]
fn go_against_x_mod_semver() {
    let dir = tmp_dir().join("go-semver");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.go"),
        r#"package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(f)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), "\t", 2)
		fmt.Fprintf(w, "%v\t%v\t%d\n", semver.IsValid(p[0]), semver.IsValid(p[1]), semver.Compare(p[0], p[1]))
	}
}
"#,
    )
    .unwrap();
    let mut rng = Rng::with_seed(0x60);
    let pool: Vec<String> = (0..20_000).map(|_| go_version(&mut rng)).collect();
    let ps = pairs(&mut rng, &pool, |rng, a| {
        let mut s = a.to_string();
        match rng.u8(..4) {
            0 => s.push_str(pick(rng, &["-0", "-pre", ".1", "+incompatible"])),
            1 => s = s.replacen('1', "2", 1),
            2 => s = s.split('-').next().unwrap_or("v1").to_string(),
            _ => s = s.split('+').next().unwrap_or("v1").to_string(),
        }
        s
    });
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let mut cmd = Command::new("go");
    cmd.current_dir(&dir)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", dir.join("cache"))
        .env("GOFLAGS", "")
        .args(["run", "main.go"]);
    let out = run_reference(
        cmd,
        "go",
        &input,
        "install Debian's golang-go and golang-golang-x-mod-dev (apt-get install golang-go golang-golang-x-mod-dev)",
    );
    assert_eq!(out.len(), ps.len());
    let mut bad = Vec::new();
    let mut invalid = 0;
    for ((a, b), r) in ps.iter().zip(&out) {
        let f: Vec<&str> = r.split('\t').collect();
        // x/mod requires the `v` prefix; wharf also accepts versions
        // without it (OSV writes Go versions so), so validity is compared
        // on `v`-prefixed strings only.
        let (pa, pb) = (
            wharf_version::go::GoVersion::parse(a),
            wharf_version::go::GoVersion::parse(b),
        );
        let va = pa.is_ok() && a.starts_with('v');
        let vb = pb.is_ok() && b.starts_with('v');
        if (va.to_string(), vb.to_string()) != (f[0].to_string(), f[1].to_string()) {
            bad.push(format!(
                "validity {a:?} {b:?}: wharf {va} {vb}, x/mod {} {}",
                f[0], f[1]
            ));
            continue;
        }
        if !(va && vb) {
            invalid += 1;
            continue;
        }
        let ours = ord_char(pa.unwrap().cmp(&pb.unwrap()));
        if ours != sign(f[2]) {
            bad.push(format!("{a} vs {b}: wharf {ours}, x/mod {}", f[2]));
        }
    }
    eprintln!("go: {} pairs ({invalid} with an invalid side)", ps.len());
    finish("go (x/mod/semver)", &bad, ps.len());
}
