//! SPDX licence expressions (`MIT OR Apache-2.0`, `GPL-2.0-only WITH
//! Classpath-exception-2.0`, `(A AND B) OR C`) and the forbidden-licence
//! check.
//!
//! An expression is forbidden when every way to comply with it uses a
//! forbidden licence: `A OR B` is forbidden when both are, `A AND B` when
//! either is, `A WITH exception` when `A` is. Identifiers compare
//! case-insensitively; a trailing `+` and `-or-later`/`-only` suffixes are
//! kept as written, so list every form you forbid (`GPL-3.0-only`,
//! `GPL-3.0-or-later`, `GPL-3.0`). A declared licence that does not parse
//! as an expression is compared as a whole.

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A licence identifier (`LicenseRef-…` included).
    License(String),
    /// `license WITH exception`.
    With(Box<Expr>, String),
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
}

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SPDX expression {expr:?}: {reason}")]
pub struct ExprError {
    /// The expression.
    pub expr: String,
    /// What is wrong.
    pub reason: String,
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Parser<'a> {
    toks: &'a [String],
    pos: usize,
}

impl Parser<'_> {
    fn peek_kw(&self, kw: &str) -> bool {
        self.toks
            .get(self.pos)
            .is_some_and(|t| t.eq_ignore_ascii_case(kw))
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_kw("OR") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.with()?;
        while self.peek_kw("AND") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.with()?));
        }
        Ok(left)
    }
    fn with(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.peek_kw("WITH") {
            self.pos += 1;
            let exc = self.ident()?;
            return Ok(Expr::With(Box::new(base), exc));
        }
        Ok(base)
    }
    fn atom(&mut self) -> Result<Expr, String> {
        if self.toks.get(self.pos).is_some_and(|t| t == "(") {
            self.pos += 1;
            let e = self.or()?;
            if self.toks.get(self.pos).is_some_and(|t| t == ")") {
                self.pos += 1;
                return Ok(e);
            }
            return Err("missing `)`".into());
        }
        Ok(Expr::License(self.ident()?))
    }
    fn ident(&mut self) -> Result<String, String> {
        match self.toks.get(self.pos) {
            Some(t)
                if t != "("
                    && t != ")"
                    && !["AND", "OR", "WITH"]
                        .iter()
                        .any(|k| t.eq_ignore_ascii_case(k)) =>
            {
                self.pos += 1;
                Ok(t.clone())
            }
            Some(t) => Err(format!("unexpected `{t}`")),
            None => Err("unexpected end".into()),
        }
    }
}

impl Expr {
    /// Parse an expression.
    pub fn parse(s: &str) -> Result<Expr, ExprError> {
        let toks = tokens(s);
        let err = |reason: String| ExprError {
            expr: s.to_owned(),
            reason,
        };
        if toks.is_empty() {
            return Err(err("empty".into()));
        }
        let mut p = Parser {
            toks: &toks,
            pos: 0,
        };
        let e = p.or().map_err(err)?;
        if p.pos != toks.len() {
            return Err(err(format!("unexpected `{}`", toks[p.pos])));
        }
        Ok(e)
    }

    /// Whether complying with the expression needs a licence of
    /// `forbidden` whatever choice is made; returns the forbidden
    /// identifiers involved.
    pub fn forbidden_by(&self, forbidden: &[String]) -> Option<Vec<String>> {
        match self {
            Expr::License(id) => forbidden
                .iter()
                .any(|f| f.eq_ignore_ascii_case(id))
                .then(|| vec![id.clone()]),
            Expr::With(base, _) => base.forbidden_by(forbidden),
            Expr::And(a, b) => match (a.forbidden_by(forbidden), b.forbidden_by(forbidden)) {
                (None, None) => None,
                (Some(x), None) | (None, Some(x)) => Some(x),
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
            },
            Expr::Or(a, b) => {
                let mut x = a.forbidden_by(forbidden)?;
                x.extend(b.forbidden_by(forbidden)?);
                Some(x)
            }
        }
    }
}

/// Whether a declared licence string is forbidden (parsed as an SPDX
/// expression, or compared whole when it does not parse).
pub fn is_forbidden(declared: &str, forbidden: &[String]) -> Option<Vec<String>> {
    match Expr::parse(declared) {
        Ok(e) => e.forbidden_by(forbidden),
        Err(_) => forbidden
            .iter()
            .any(|f| f.eq_ignore_ascii_case(declared.trim()))
            .then(|| vec![declared.trim().to_owned()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_precedence_and_parentheses() {
        let e = Expr::parse("MIT OR Apache-2.0 AND BSD-3-Clause").expect("parse");
        assert!(matches!(e, Expr::Or(_, ref r) if matches!(**r, Expr::And(_, _))));
        let e = Expr::parse("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0")
            .expect("parse");
        assert!(matches!(e, Expr::And(_, ref r) if matches!(**r, Expr::With(_, _))));
        assert!(Expr::parse("MIT OR").is_err());
        assert!(Expr::parse("(MIT").is_err());
        assert!(Expr::parse("MIT Apache-2.0").is_err());
        assert!(Expr::parse("").is_err());
    }

    #[test]
    fn forbidden_semantics() {
        let bad = f(&["GPL-3.0-only", "AGPL-3.0-or-later"]);
        assert_eq!(
            is_forbidden("GPL-3.0-only", &bad),
            Some(f(&["GPL-3.0-only"]))
        );
        assert_eq!(is_forbidden("gpl-3.0-only", &bad).map(|v| v.len()), Some(1));
        assert_eq!(
            is_forbidden("MIT OR GPL-3.0-only", &bad),
            None,
            "a choice is left"
        );
        assert!(is_forbidden("MIT AND GPL-3.0-only", &bad).is_some());
        assert!(is_forbidden("GPL-3.0-only WITH GCC-exception-3.1", &bad).is_some());
        assert!(is_forbidden("(GPL-3.0-only OR AGPL-3.0-or-later) AND MIT", &bad).is_some());
        assert_eq!(is_forbidden("GPL-2.0-only", &bad), None);
        assert_eq!(
            is_forbidden("Apache 2.0 (see LICENSE)", &bad),
            None,
            "unparsable, whole"
        );
    }
}
