//! Helpers over file bytes: binary detection, line bounds, entropy,
//! placeholders, redaction and excerpts.

use memchr::{memchr, memrchr};

/// How far the line of a hit is looked for on each side; longer lines
/// (minified code) are cut to a window around the hit.
pub(crate) const MAX_LINE: usize = 4096;
/// The window kept around a hit on a cut line.
pub(crate) const LONG_LINE_CONTEXT: usize = 512;
/// Lines longer than this are "long" (minified): generic rules get stricter.
pub(crate) const LONG_LINE: usize = 1000;
/// The largest excerpt, in characters.
pub(crate) const EXCERPT_CHARS: usize = 120;
/// How far past its line a multi-line rule (PEM block) may match.
pub(crate) const MULTILINE_SPAN: usize = 64 << 10;

/// Whether content looks binary: a NUL byte in the first 8 KiB, or mostly
/// control bytes there.
pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if memchr(0, head).is_some() {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x09 || (0x0e..0x1b).contains(&b) || b == 0x7f)
        .count();
    !head.is_empty() && control * 10 > head.len()
}

/// The bounds of the line holding `pos`, cut to [`MAX_LINE`] on each side;
/// the bool says whether the line was cut (long line).
pub(crate) fn line_bounds(bytes: &[u8], pos: usize) -> (usize, usize, bool) {
    let lo = pos.saturating_sub(MAX_LINE);
    let (start, cut_start) = match memrchr(b'\n', &bytes[lo..pos]) {
        Some(i) => (lo + i + 1, false),
        None if lo == 0 => (0, false),
        None => (lo, true),
    };
    let hi = (pos + MAX_LINE).min(bytes.len());
    let (end, cut_end) = match memchr(b'\n', &bytes[pos..hi]) {
        Some(i) => (pos + i, false),
        None if hi == bytes.len() => (hi, false),
        None => (hi, true),
    };
    (start, end, cut_start || cut_end)
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Documented example values of providers, never real.
const EXAMPLES: &[&str] = &[
    "akiaiosfodnn7example",
    "wjalrxutnfemi/k7mdeng/bpxrficyexamplekey",
    "je7mtgbclwbf/2zp9utk/h3yczfbgi0y8ykrlfi6",
    "akia1234567890abcdef",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    // RFC 6749's example access and refresh tokens (in every OAuth library).
    "2yotnfzfejr1zcsicmwpaa",
    "tgzv3jokf0xg5qx2tlkwia",
];

/// Whether a value has both a letter and a digit (generic rules require it:
/// identifiers and prose assigned to `*_TOKEN` names are not secrets).
pub(crate) fn has_letter_and_digit(s: &[u8]) -> bool {
    s.iter().any(u8::is_ascii_alphabetic) && s.iter().any(u8::is_ascii_digit)
}

/// Substrings that mark a value as a placeholder or decoy.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "xxxxx",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yoursecret",
    "yourpassword",
    "insert_",
    "insert-",
    "replace_me",
    "replaceme",
    "redacted",
    "*****",
    "${",
    "{{",
    "%(",
    "$(",
    "<your",
    "000000000000",
    "enter_your",
    "put_your",
];

/// Whole values that are placeholders.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "changeit",
    "admin",
    "test",
    "testing",
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "hidden",
    "todo",
    "fixme",
    "token",
    "apikey",
    "api_key",
    "mysecret",
    "mypassword",
    "secretkey",
    "default",
    "string",
    "value",
];

/// Whether a secret value is a placeholder, a documented example or a
/// decoy (`xxxx`, `<your-token>`, `${VAR}`, `changeme`, one repeated
/// character…).
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    let t = lower.trim();
    if t.is_empty() {
        return true;
    }
    let first = t.as_bytes()[0];
    if t.bytes().all(|b| b == first) {
        return true;
    }
    if first == b'$'
        && t.as_bytes()
            .get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'{')
    {
        return true;
    }
    if t.starts_with('<') && t.ends_with('>') {
        return true;
    }
    EXAMPLES.contains(&t)
        || PLACEHOLDER_WORDS.contains(&t)
        || PLACEHOLDER_PARTS.iter().any(|p| t.contains(p))
}

/// The redacted form of a secret: its first 4 characters then `*****`,
/// or only `*****` when it is shorter than 12 characters.
pub(crate) fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    if s.chars().count() < 12 {
        "*****".to_owned()
    } else {
        let mut out: String = s.chars().take(4).collect();
        out.push_str("*****");
        out
    }
}

fn clean(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\r' | '\n' => {}
            c if c.is_control() && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The excerpt of `line` (absolute bounds) with every secret range on it
/// redacted, trimmed to [`EXCERPT_CHARS`] around `focus` (the start of
/// the finding's secret).
pub(crate) fn excerpt(
    bytes: &[u8],
    line: (usize, usize),
    secrets: &[(usize, usize)],
    focus: usize,
) -> String {
    let (ls, le) = line;
    let mut out = String::new();
    let mut focus_char = 0;
    let mut pos = ls;
    let mut on_line: Vec<(usize, usize)> = secrets
        .iter()
        .copied()
        .filter(|&(s, e)| s < le && e > ls)
        .collect();
    on_line.sort_unstable();
    for (s, e) in on_line {
        let s = s.max(pos);
        if s > pos {
            clean(&String::from_utf8_lossy(&bytes[pos..s]), &mut out);
        }
        if s == focus || (focus >= s && focus < e) {
            focus_char = out.chars().count();
        }
        // The redaction uses the whole secret, even past the line.
        out.push_str(&redact(&bytes[s..e]));
        pos = e.max(pos);
        if pos >= le {
            break;
        }
    }
    if pos < le {
        clean(&String::from_utf8_lossy(&bytes[pos..le]), &mut out);
    }
    let total = out.chars().count();
    if total <= EXCERPT_CHARS {
        return out.trim().to_owned();
    }
    let start = focus_char.saturating_sub(40).min(total - EXCERPT_CHARS);
    out.chars()
        .skip(start)
        .take(EXCERPT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Byte ranges of `"mappings": "…"` values of a source map.
pub(crate) fn sourcemap_mappings(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let finder = memchr::memmem::Finder::new(b"\"mappings\"");
    let mut from = 0;
    while let Some(i) = finder.find(&bytes[from..]) {
        let mut p = from + i + 10;
        while p < bytes.len() && matches!(bytes[p], b' ' | b'\t' | b'\r' | b'\n' | b':') {
            p += 1;
        }
        if p < bytes.len() && bytes[p] == b'"' {
            let start = p + 1;
            let end = memchr(b'"', &bytes[start..]).map_or(bytes.len(), |j| start + j);
            out.push((start, end));
            from = end;
        } else {
            from = p;
        }
        if from >= bytes.len() {
            break;
        }
    }
    out
}
