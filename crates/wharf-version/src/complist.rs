//! Simple comparator lists (`>= 1.2, < 2.0`, `>=1.0 <1.5 || =2.0`), the
//! range syntax wharf uses for schemes that have none of their own (dpkg,
//! rpm, apk, Go, generic) and for comparator-style constraints in the others.
//!
//! * `||` separates alternatives; inside one, comparators separated by
//!   commas and/or white space must all hold.
//! * Operators: `<`, `<=`, `>`, `>=`, `=`, `==`, `!=`, dpkg's `<<` and `>>`,
//!   apk's `~` (fuzzy prefix match) and `<~`/`>~`; a version without an
//!   operator means equality. White space between an operator and its
//!   version is allowed.
//! * `*` matches every version; an empty range is an error.

use std::cmp::Ordering;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// apk `~`: equal when compared as a prefix.
    Fuzzy,
    /// apk `<~`.
    FuzzyLe,
    /// apk `>~`.
    FuzzyGe,
}

impl CmpOp {
    /// Whether an ordering (candidate vs bound) satisfies the operator.
    pub(crate) fn holds(self, o: Ordering) -> bool {
        match self {
            Self::Lt => o == Ordering::Less,
            Self::Le | Self::FuzzyLe => o != Ordering::Greater,
            Self::Gt => o == Ordering::Greater,
            Self::Ge | Self::FuzzyGe => o != Ordering::Less,
            Self::Eq | Self::Fuzzy => o == Ordering::Equal,
            Self::Ne => o != Ordering::Equal,
        }
    }

    pub(crate) fn is_fuzzy(self) -> bool {
        matches!(self, Self::Fuzzy | Self::FuzzyLe | Self::FuzzyGe)
    }
}

/// Splits a leading operator off a comparator token.
pub(crate) fn split_op(s: &str) -> (Option<CmpOp>, &str) {
    const OPS: [(&str, CmpOp); 13] = [
        ("<<", CmpOp::Lt),
        (">>", CmpOp::Gt),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<~", CmpOp::FuzzyLe),
        (">~", CmpOp::FuzzyGe),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
        ("=", CmpOp::Eq),
        ("~", CmpOp::Fuzzy),
        ("!", CmpOp::Ne),
    ];
    for (text, op) in OPS {
        if let Some(rest) = s.strip_prefix(text) {
            return (Some(op), rest);
        }
    }
    (None, s)
}

/// A parsed comparator list over some version type.
#[derive(Debug, Clone)]
pub(crate) struct CompList<V> {
    /// Alternatives; each a conjunction of `(op, version)`.
    pub(crate) alts: Vec<Vec<(CmpOp, V)>>,
}

impl<V> CompList<V> {
    /// Parses with `parse` for the versions.
    pub(crate) fn parse<E>(
        input: &str,
        mut parse: impl FnMut(&str) -> Result<V, E>,
        bad: impl Fn(&'static str) -> E,
    ) -> Result<Self, E> {
        let mut alts = Vec::new();
        for alt in input.split("||") {
            let mut conj = Vec::new();
            let tokens: Vec<&str> = alt
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .collect();
            let mut i = 0;
            while i < tokens.len() {
                let (op, rest) = split_op(tokens[i]);
                let (op, ver) = if rest.is_empty() {
                    if op.is_none() {
                        return Err(bad("empty comparator"));
                    }
                    i += 1;
                    match tokens.get(i) {
                        Some(v) => (op, *v),
                        None => return Err(bad("operator without a version")),
                    }
                } else {
                    (op, rest)
                };
                i += 1;
                if op.is_none() && ver == "*" {
                    continue;
                }
                conj.push((op.unwrap_or(CmpOp::Eq), parse(ver)?));
            }
            alts.push(conj);
        }
        if alts.iter().any(Vec::is_empty) && !input.contains('*') {
            return Err(bad("empty range"));
        }
        Ok(Self { alts })
    }

    /// Whether `cmp(bound)` (candidate compared with each bound) satisfies
    /// some alternative.
    pub(crate) fn matches(&self, mut cmp: impl FnMut(CmpOp, &V) -> Ordering) -> bool {
        self.alts
            .iter()
            .any(|conj| conj.iter().all(|(op, v)| op.holds(cmp(*op, v))))
    }
}
