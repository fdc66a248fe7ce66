//! Ruby gems: installed gem specifications and Bundler lockfiles.
//!
//! - `<GEM_HOME>/specifications/<name>-<version>[-<platform>].gemspec` (and
//!   `specifications/default/` for the default gems shipped with Ruby) is
//!   the Ruby source RubyGems generates for every installed gem
//!   (`Gem::Specification#to_ruby`). [`parse_gemspec`] reads it with a line
//!   scanner: it never evaluates Ruby, it recognises the literal
//!   assignments RubyGems writes (`s.name = "rake".freeze`,
//!   `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`, older
//!   `%q{…}` strings) whatever the block variable is called.
//! - `Gemfile.lock` (or `gems.locked`): [`parse_gemfile_lock`] reads the
//!   `specs:` of the `GEM` (rubygems.org and other gem servers), `GIT` and
//!   `PLUGIN SOURCE` sections. `PATH` sections (gems from a local directory,
//!   usually the application's own code) are skipped, as local packages are
//!   in the npm analyzer. Platform suffixes are dropped the way Bundler does
//!   (`nokogiri (1.13.3-x86_64-linux)` → `1.13.3`).
//!
//! Packages are [`Ecosystem::Gem`]. Bundler records no dev/test groups in
//! the lockfile, so `dev` is never set.

use std::collections::BTreeSet;

use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest gemspec accepted.
const MAX_GEMSPEC_SIZE: usize = 4 * 1024 * 1024;
/// Largest Gemfile.lock accepted.
const MAX_LOCK_SIZE: usize = 32 * 1024 * 1024;
/// Most distinct gems one lockfile may yield.
const MAX_PACKAGES: usize = 100_000;
/// Longest name accepted.
const MAX_NAME_LEN: usize = 256;
/// Longest version accepted.
const MAX_VERSION_LEN: usize = 128;
/// Most licences kept, and the longest licence string.
const MAX_LICENSES: usize = 32;
/// Longest licence string kept.
const MAX_LICENSE_LEN: usize = 256;
/// Most lines a multi-line licences array may span.
const MAX_ARRAY_LINES: usize = 64;

/// Whether the Ruby analyzer wants this file (path inside the image,
/// without a leading slash): `**/specifications/*.gemspec`,
/// `**/specifications/default/*.gemspec`, and `**/Gemfile.lock` /
/// `**/gems.locked` except inside an installed gem (a `gems/` directory),
/// where they describe the gem author's development setup.
pub fn wants(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [.., "specifications", file] | [.., "specifications", "default", file] => {
            file.len() > ".gemspec".len() && file.ends_with(".gemspec")
        }
        [dirs @ .., "Gemfile.lock" | "gems.locked"] => !dirs.contains(&"gems"),
        _ => false,
    }
}

/// Parses any file [`wants`] accepts, choosing the parser from the file
/// name.
///
/// # Errors
///
/// Those of the chosen parser, or a [`ParseError`] for another file name.
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    let file = path.rsplit('/').next().unwrap_or_default();
    if file.ends_with(".gemspec") {
        parse_gemspec(path, content)
    } else if matches!(file, "Gemfile.lock" | "gems.locked") {
        parse_gemfile_lock(path, content)
    } else {
        Err(ParseError::new(path, "not a gemspec or Gemfile.lock"))
    }
}

// ---------------------------------------------------------------------------
// gemspec

/// Parses an installed gem specification (`specifications/*.gemspec`) into
/// its gem.
///
/// The literal assignments of `name`, `version` and `license` / `licenses`
/// to the block variable of `Gem::Specification.new do |var|` are used (the
/// last one wins, as in Ruby); `version` may also be
/// `Gem::Version.new("…")`. Assignments of anything but a literal are
/// ignored. When the assignments
/// are missing, the `# stub: <name> <version> …` comment RubyGems writes
/// first is used.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large, or no literal name and
/// version can be found (a development gemspec computing its version, a
/// file that is not a gemspec), or they are not valid gem names/versions.
pub fn parse_gemspec(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if content.len() > MAX_GEMSPEC_SIZE {
        return Err(ParseError::new(
            path,
            format!("gemspec larger than {MAX_GEMSPEC_SIZE} bytes"),
        ));
    }
    let text = String::from_utf8_lossy(content);
    let lines: Vec<&str> = text.lines().collect();
    let var = lines.iter().find_map(|l| block_variable(l));

    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut licenses: Option<Vec<String>> = None;
    let mut stub: Option<(String, String)> = None;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("# stub:") {
            let mut words = rest.split_whitespace();
            if let (Some(n), Some(v)) = (words.next(), words.next()) {
                stub.get_or_insert_with(|| (n.to_owned(), v.to_owned()));
            }
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let Some((field, rhs)) = assignment(trimmed, var) else {
            continue;
        };
        // Like Ruby, a later assignment replaces an earlier one.
        match field {
            "name" => name = ruby_value(rhs).or(name),
            "version" => version = ruby_value(rhs).or(version),
            "license" => {
                licenses = ruby_value(rhs).map(|l| clean_licenses([l])).or(licenses);
            }
            "licenses" => {
                let mut text = rhs.to_owned();
                for next in lines.iter().skip(i + 1).take(MAX_ARRAY_LINES) {
                    if text.contains(']') {
                        break;
                    }
                    text.push(' ');
                    text.push_str(next.trim());
                }
                if rhs.starts_with(['[', '%']) {
                    licenses = Some(clean_licenses(ruby_string_array(&text)));
                }
            }
            _ => {}
        }
    }
    let (name, version) = match (name, version, stub) {
        (Some(n), Some(v), _) => (n, v),
        (n, v, Some((stub_name, stub_version))) => {
            (n.unwrap_or(stub_name), v.unwrap_or(stub_version))
        }
        _ => {
            return Err(ParseError::new(
                path,
                "no literal name and version in the gemspec",
            ));
        }
    };
    if !is_gem_name(&name) || !is_gem_version(&version) {
        return Err(ParseError::new(
            path,
            format!(
                "invalid gem name or version {:?} {:?}",
                truncate(&name, 100),
                truncate(&version, 100)
            ),
        ));
    }
    let mut package = Package::new(Ecosystem::Gem, name, version, path);
    package.licenses = licenses.unwrap_or_default();
    Ok(vec![package])
}

/// The block variable of a `Gem::Specification.new do |var|` (or `{ |var|`)
/// line.
fn block_variable(line: &str) -> Option<&str> {
    let after = line.split_once("Gem::Specification.new")?.1;
    let (_, rest) = after.split_once('|')?;
    let (var, _) = rest.split_once('|')?;
    let var = var.trim();
    is_identifier(var).then_some(var)
}

/// Whether `s` is a plain Ruby local-variable name.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `var.field = rhs` into field and right-hand side, if the line is
/// such an assignment (to the block variable, when it is known).
fn assignment<'l>(line: &'l str, var: Option<&str>) -> Option<(&'l str, &'l str)> {
    let (receiver, after) = line.split_once('.')?;
    if !is_identifier(receiver) || var.is_some_and(|v| v != receiver) {
        return None;
    }
    let field_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let (field, rest) = after.split_at(field_len);
    let rhs = rest.trim_start().strip_prefix('=')?;
    if rhs.starts_with(['=', '~', '>']) {
        return None;
    }
    Some((field, rhs.trim()))
}

/// The string a right-hand side assigns: a literal, optionally `.freeze`d or
/// wrapped in `Gem::Version.new(…)`.
fn ruby_value(rhs: &str) -> Option<String> {
    let rhs = rhs.trim();
    let rhs = rhs.strip_prefix("Gem::Version.new(").unwrap_or(rhs);
    ruby_string(rhs).map(|(value, _)| value)
}

/// Parses a Ruby string literal at the start of `s` (`"…"`, `'…'`,
/// `%q{…}`, `%Q(…)`, `%{…}`), returning its value and what follows it (after
/// an optional `.freeze`).
fn ruby_string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let (open, close, body_start) = match first {
        '"' | '\'' => (first, first, 1),
        '%' => {
            let rest = &s[1..];
            let skip = usize::from(rest.starts_with(['q', 'Q']));
            let open = rest[skip..].chars().next()?;
            let close = match open {
                '{' => '}',
                '(' => ')',
                '[' => ']',
                '<' => '>',
                c if c.is_ascii_punctuation() => c,
                _ => return None,
            };
            (open, close, 1 + skip + open.len_utf8())
        }
        _ => return None,
    };
    let body = s.get(body_start..)?;
    let mut value = String::new();
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            value.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == close && depth == 0 {
            let rest = &body[i + c.len_utf8()..];
            let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
            return Some((value, rest));
        } else {
            if open != close {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth = depth.saturating_sub(1);
                }
            }
            value.push(c);
        }
    }
    None
}

/// The string literals of a Ruby array literal (`["MIT".freeze, "Ruby"]`,
/// `%w[MIT Ruby]`).
fn ruby_string_array(s: &str) -> Vec<String> {
    let s = s.trim();
    if let Some(words) = s.strip_prefix("%w").or_else(|| s.strip_prefix("%W")) {
        let inner = words.get(1..).unwrap_or_default();
        let inner = inner
            .split_once([']', ')', '}', '>'])
            .map_or(inner, |(i, _)| i);
        return inner.split_whitespace().map(str::to_owned).collect();
    }
    let Some(mut rest) = s.strip_prefix('[') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.starts_with(']') || out.len() >= MAX_LICENSES {
            break;
        }
        match ruby_string(rest) {
            Some((value, after)) => {
                out.push(value);
                rest = after;
            }
            None => break,
        }
    }
    out
}

/// Trimmed, bounded, de-duplicated licences.
fn clean_licenses(licenses: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for license in licenses {
        let license = license.trim();
        if !license.is_empty()
            && license.len() <= MAX_LICENSE_LEN
            && !license.chars().any(char::is_control)
            && out.len() < MAX_LICENSES
            && !out.iter().any(|l| l == license)
        {
            out.push(license.to_owned());
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Gemfile.lock

/// Parses a Bundler `Gemfile.lock` (or `gems.locked`).
///
/// Gems are the four-space-indented `name (version)` lines under `specs:`
/// in the `GEM`, `GIT` and `PLUGIN SOURCE` sections (their dependencies, at
/// six spaces, are not gems of their own). A gem locked for several
/// platforms is reported once.
///
/// Lines that do not fit (a spec without a version, an invalid name) are
/// skipped; a file without any section yields no gems.
///
/// # Errors
///
/// A [`ParseError`] when the file is too large or lists too many gems.
pub fn parse_gemfile_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if content.len() > MAX_LOCK_SIZE {
        return Err(ParseError::new(
            path,
            format!("Gemfile.lock larger than {MAX_LOCK_SIZE} bytes"),
        ));
    }
    let text = String::from_utf8_lossy(content);
    let mut gems: BTreeSet<(String, String)> = BTreeSet::new();
    let mut section = "";
    let mut in_specs = false;
    for raw in text.lines() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        match indent {
            0 => {
                section = trimmed;
                in_specs = false;
            }
            2 => in_specs = trimmed == "specs:",
            4 if in_specs && matches!(section, "GEM" | "GIT" | "PLUGIN SOURCE") => {
                let Some((name, version)) = spec_line(trimmed) else {
                    continue;
                };
                if gems.len() >= MAX_PACKAGES {
                    return Err(ParseError::new(
                        path,
                        format!("more than {MAX_PACKAGES} gems"),
                    ));
                }
                gems.insert((name.to_owned(), version.to_owned()));
            }
            _ => {}
        }
    }
    Ok(gems
        .into_iter()
        .map(|(name, version)| Package::new(Ecosystem::Gem, name, version, path))
        .collect())
}

/// Name and version of a `name (version[-platform])` spec line.
fn spec_line(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line.split_once(" (")?;
    let inner = rest.strip_suffix(')')?;
    let version = inner.split('-').next().unwrap_or(inner);
    (is_gem_name(name) && is_gem_version(version)).then_some((name, version))
}

/// Whether `name` is a valid gem name (`A-Za-z0-9._-`).
fn is_gem_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Whether `version` looks like a RubyGems version (`1.2.3`, `2.0.0.rc1`,
/// `1.0-beta`).
fn is_gem_version(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= MAX_VERSION_LEN
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

/// `s` cut to at most `max` bytes on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_paths() {
        for p in [
            "usr/local/bundle/specifications/rake-13.0.6.gemspec",
            "usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
            "var/lib/gems/3.0.0/specifications/nokogiri-1.13.3-x86_64-linux.gemspec",
            "Gemfile.lock",
            "app/Gemfile.lock",
            "app/gems.locked",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in [
            "specifications/.gemspec",
            "app/rake.gemspec",
            "usr/local/bundle/gems/rake-13.0.6/rake.gemspec",
            "usr/local/bundle/gems/rake-13.0.6/Gemfile.lock",
            "usr/local/bundle/bundler/gems/foo-abc/Gemfile.lock",
            "path/to/my/Gemfile.lock/file",
            "path/to/my/Gemfile.lock.file",
            "path.to.my.Gemfile.lock",
            "",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn string_literals() {
        assert_eq!(ruby_value(r#""rake".freeze"#).as_deref(), Some("rake"));
        assert_eq!(ruby_value("'a\\'b'").as_deref(), Some("a'b"));
        assert_eq!(ruby_value("%q{x{y}z}").as_deref(), Some("x{y}z"));
        assert_eq!(ruby_value("%q<1.0>").as_deref(), Some("1.0"));
        assert_eq!(
            ruby_value(r#"Gem::Version.new("1.2.3")"#).as_deref(),
            Some("1.2.3")
        );
        assert_eq!(ruby_value("Foo::VERSION"), None);
        assert_eq!(ruby_value("\"unterminated"), None);
        assert_eq!(ruby_value("%"), None);
        assert_eq!(
            ruby_string_array(r#"["MIT".freeze, "Ruby".freeze]"#),
            ["MIT", "Ruby"]
        );
        assert_eq!(
            ruby_string_array("%w[MIT BSD-2-Clause]"),
            ["MIT", "BSD-2-Clause"]
        );
        assert!(ruby_string_array("LICENSES").is_empty());
    }

    #[test]
    fn assignments() {
        assert_eq!(
            assignment("s.name = \"x\"", Some("s")),
            Some(("name", "\"x\""))
        );
        assert_eq!(
            assignment("spec.version=\"1\"", None),
            Some(("version", "\"1\""))
        );
        assert_eq!(assignment("s.name == \"x\"", Some("s")), None);
        assert_eq!(assignment("t.name = \"x\"", Some("s")), None);
        assert_eq!(
            assignment("s.metadata = { \"name\" => 1 }", Some("s")),
            Some(("metadata", "{ \"name\" => 1 }"))
        );
        assert_eq!(
            block_variable("Gem::Specification.new do |spec|"),
            Some("spec")
        );
        assert_eq!(block_variable("Gem::Specification.new { |s|"), Some("s"));
    }

    #[test]
    fn gemspec_last_literal_assignment_wins() {
        let spec = b"Gem::Specification.new do |s|\n  s.name = \"a\"\n  s.version = \"1.0\"\n  \
                     s.license = \"MIT\"\n  s.licenses = [\"Apache-2.0\", \"MIT\"]\n  s.version = VERSION\n  \
                     s.licenses = LICENSES\nend\n";
        let p = parse_gemspec("specifications/a-1.0.gemspec", spec).expect("parse");
        assert_eq!((p[0].name.as_str(), p[0].version.as_str()), ("a", "1.0"));
        assert_eq!(p[0].licenses, ["Apache-2.0", "MIT"]);
        assert_eq!(p[0].ecosystem, Ecosystem::Gem);
    }

    #[test]
    fn gemspec_errors() {
        assert!(parse_gemspec("x.gemspec", b"").is_err());
        assert!(
            parse_gemspec(
                "x.gemspec",
                b"Gem::Specification.new do |s|\n s.name = \"x\"\n s.version = X::V\nend\n"
            )
            .is_err()
        );
        assert!(
            parse_gemspec(
                "x.gemspec",
                b"Gem::Specification.new do |s|\n s.name = \"x y\"\n s.version = \"1\"\nend\n"
            )
            .is_err()
        );
    }

    #[test]
    fn lock_spec_lines() {
        assert_eq!(
            spec_line("nokogiri (1.13.3-x86_64-linux)"),
            Some(("nokogiri", "1.13.3"))
        );
        assert_eq!(spec_line("rack (2.2.3)"), Some(("rack", "2.2.3")));
        assert_eq!(spec_line("invalid-name"), None);
        assert_eq!(spec_line("x (>= 1)"), None);
    }
}
