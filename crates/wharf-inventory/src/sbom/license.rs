//! Declared licences as SPDX licence expressions.
//!
//! A small parser for the SPDX 2.3 licence-expression grammar (Annex D):
//! licence identifiers (with an optional `+`), `LicenseRef-` and
//! `DocumentRef-…:LicenseRef-` references, `WITH` exceptions, `AND`, `OR`
//! (precedence `WITH` > `AND` > `OR`) and parentheses. An identifier is
//! valid when it is on the SPDX License List (matched case-insensitively and
//! written back in the list's case); operators are accepted in any case and
//! written in uppercase. Anything else — free text such as `GPL-2+ or
//! Artistic`, an unknown identifier, unbalanced parentheses — is not an
//! expression, and the exporters fall back to a named licence or a
//! `LicenseRef-`.

use super::spdx_ids::SPDX_IDS;

/// What a declared licence string is, in SPDX terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum License {
    /// One identifier from the SPDX License List, in the list's case.
    Id(String),
    /// A valid expression that is not a bare listed identifier (it has
    /// operators, a `+`, or a `LicenseRef-`), in canonical form.
    Expression(String),
    /// Not a valid SPDX expression: the original text, trimmed.
    Other(String),
}

impl License {
    /// Classify a declared licence.
    pub(super) fn classify(raw: &str) -> Self {
        let text = raw.trim();
        match parse(text) {
            Some(canonical) if spdx_id(&canonical) == Some(canonical.as_str()) => {
                Self::Id(canonical)
            }
            Some(canonical) => Self::Expression(canonical),
            None => Self::Other(text.to_owned()),
        }
    }
}

/// The SPDX License List spelling of `id`, if it is on the list.
pub(super) fn spdx_id(id: &str) -> Option<&'static str> {
    SPDX_IDS
        .binary_search_by(|probe| {
            probe
                .bytes()
                .map(|b| b.to_ascii_lowercase())
                .cmp(id.bytes().map(|b| b.to_ascii_lowercase()))
        })
        .ok()
        .and_then(|i| SPDX_IDS.get(i).copied())
}

/// `idstring` of the grammar: one or more ASCII letters, digits, `-`, `.`.
fn is_idstring(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    And,
    Or,
    With,
    Word(&'a str),
}

fn word(w: &str) -> Token<'_> {
    if w.eq_ignore_ascii_case("AND") {
        Token::And
    } else if w.eq_ignore_ascii_case("OR") {
        Token::Or
    } else if w.eq_ignore_ascii_case("WITH") {
        Token::With
    } else {
        Token::Word(w)
    }
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(st) = start.take() {
                tokens.push(word(&s[st..i]));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        tokens.push(word(&s[st..]));
    }
    tokens
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    out: String,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    // or_expr := and_expr ("OR" and_expr)*
    fn or_expr(&mut self) -> Option<()> {
        self.and_expr()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            self.out.push_str(" OR ");
            self.and_expr()?;
        }
        Some(())
    }

    // and_expr := with_expr ("AND" with_expr)*
    fn and_expr(&mut self) -> Option<()> {
        self.with_expr()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            self.out.push_str(" AND ");
            self.with_expr()?;
        }
        Some(())
    }

    // with_expr := primary ("WITH" exception-id)?
    fn with_expr(&mut self) -> Option<()> {
        let simple = self.primary()?;
        if self.peek() == Some(&Token::With) {
            if !simple {
                return None;
            }
            self.pos += 1;
            let Some(Token::Word(w)) = self.next() else {
                return None;
            };
            let exception = spdx_id(w)?;
            self.out.push_str(" WITH ");
            self.out.push_str(exception);
        }
        Some(())
    }

    // primary := "(" or_expr ")" | simple-expression; returns whether it
    // was a simple expression (the only thing WITH may follow).
    fn primary(&mut self) -> Option<bool> {
        match self.next()? {
            Token::Open => {
                self.out.push('(');
                self.or_expr()?;
                if self.next()? != Token::Close {
                    return None;
                }
                self.out.push(')');
                Some(false)
            }
            Token::Word(w) => {
                let canonical = simple_expression(w)?;
                self.out.push_str(&canonical);
                Some(true)
            }
            _ => None,
        }
    }
}

/// A simple expression: a listed identifier with an optional `+`, or a
/// (document-qualified) `LicenseRef-`.
fn simple_expression(w: &str) -> Option<String> {
    if let Some(id) = w.strip_prefix("LicenseRef-") {
        return is_idstring(id).then(|| w.to_owned());
    }
    if let Some(rest) = w.strip_prefix("DocumentRef-") {
        let (doc, lic) = rest.split_once(':')?;
        let id = lic.strip_prefix("LicenseRef-")?;
        return (is_idstring(doc) && is_idstring(id)).then(|| w.to_owned());
    }
    if let Some(id) = spdx_id(w) {
        return Some(id.to_owned());
    }
    let base = w.strip_suffix('+')?;
    spdx_id(base).map(|id| format!("{id}+"))
}

/// Parse `text` as an SPDX licence expression; its canonical form if valid.
pub(super) fn parse(text: &str) -> Option<String> {
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return None;
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        out: String::new(),
    };
    p.or_expr()?;
    (p.pos == p.tokens.len()).then_some(p.out)
}

/// `LicenseRef-` plus `text` reduced to the characters an SPDX idstring
/// allows (others become `-`, runs collapse, ends trimmed).
pub(super) fn license_ref(text: &str) -> String {
    format!("LicenseRef-{}", sanitize_id(text, "unknown"))
}

/// `text` reduced to ASCII letters, digits, `.` and `-` (anything else
/// becomes `-`; runs of `-` collapse; leading and trailing `-` go), or
/// `empty` when nothing is left.
pub(super) fn sanitize_id(text: &str, empty: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        empty.to_owned()
    } else {
        out
    }
}

/// Valid expressions joined with `AND`, compound ones parenthesised.
pub(super) fn join_and(parts: &[&str]) -> String {
    if let [one] = parts {
        return (*one).to_owned();
    }
    parts
        .iter()
        .map(|p| {
            if p.contains(' ') {
                format!("({p})")
            } else {
                (*p).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_matches_the_vendored_schema() {
        let sorted = SPDX_IDS
            .windows(2)
            .all(|w| w[0].to_ascii_lowercase() < w[1].to_ascii_lowercase());
        assert!(sorted, "SPDX_IDS must be sorted by ASCII-lowercase");
        let schema = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/schemas/spdx.SNAPSHOT.schema.json"
        );
        let schema: serde_json::Value =
            serde_json::from_slice(&std::fs::read(schema).expect("read vendored spdx schema"))
                .expect("parse vendored spdx schema");
        let mut listed: Vec<&str> = schema["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        listed.sort_by_key(|s| s.to_ascii_lowercase());
        assert_eq!(listed, SPDX_IDS);
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(spdx_id("mit"), Some("MIT"));
        assert_eq!(spdx_id("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_id("GPL-2.0+"), Some("GPL-2.0+"));
        assert_eq!(
            spdx_id("Classpath-exception-2.0"),
            Some("Classpath-exception-2.0")
        );
        assert_eq!(spdx_id("GPL"), None);
        assert_eq!(spdx_id(""), None);
    }

    #[test]
    fn classification() {
        use License::*;
        let cases = [
            ("MIT", Id("MIT".into())),
            ("  bsd-3-clause ", Id("BSD-3-Clause".into())),
            ("GPL-2.0+", Id("GPL-2.0+".into())),
            ("Apache-2.0+", Expression("Apache-2.0+".into())),
            ("MIT OR Apache-2.0", Expression("MIT OR Apache-2.0".into())),
            ("mit or apache-2.0", Expression("MIT OR Apache-2.0".into())),
            (
                "(MIT OR Apache-2.0) AND Unicode-DFS-2016",
                Expression("(MIT OR Apache-2.0) AND Unicode-DFS-2016".into()),
            ),
            (
                "GPL-2.0-or-later WITH Classpath-exception-2.0",
                Expression("GPL-2.0-or-later WITH Classpath-exception-2.0".into()),
            ),
            (
                "LicenseRef-Proprietary",
                Expression("LicenseRef-Proprietary".into()),
            ),
            (
                "DocumentRef-other:LicenseRef-X.1",
                Expression("DocumentRef-other:LicenseRef-X.1".into()),
            ),
            ("(((MIT)))", Expression("(((MIT)))".into())),
            ("GPL-2+ or Artistic", Other("GPL-2+ or Artistic".into())),
            ("GPL", Other("GPL".into())),
            ("public-domain", Other("public-domain".into())),
            ("MIT/Apache-2.0", Other("MIT/Apache-2.0".into())),
            ("(MIT", Other("(MIT".into())),
            ("MIT)", Other("MIT)".into())),
            ("MIT AND", Other("MIT AND".into())),
            ("AND MIT", Other("AND MIT".into())),
            ("MIT Apache-2.0", Other("MIT Apache-2.0".into())),
            (
                "(MIT OR BSD-2-Clause) WITH LLVM-exception",
                Other("(MIT OR BSD-2-Clause) WITH LLVM-exception".into()),
            ),
            (
                "MIT WITH Nonexistent-exception",
                Other("MIT WITH Nonexistent-exception".into()),
            ),
            ("LicenseRef-", Other("LicenseRef-".into())),
            ("LicenseRef-a_b", Other("LicenseRef-a_b".into())),
            ("", Other(String::new())),
            ("()", Other("()".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(License::classify(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn sanitizing() {
        assert_eq!(
            license_ref("GPL-2+ or Artistic"),
            "LicenseRef-GPL-2-or-Artistic"
        );
        assert_eq!(license_ref("  (c) Foo, Inc. "), "LicenseRef-c-Foo-Inc.");
        assert_eq!(license_ref("£££"), "LicenseRef-unknown");
        assert_eq!(sanitize_id("a__b", "x"), "a-b");
    }
}
