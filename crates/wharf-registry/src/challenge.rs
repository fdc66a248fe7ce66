//! `WWW-Authenticate` parsing (RFC 7235) for registry auth challenges.
//!
//! A header can carry several challenges (`Basic realm="x", Bearer
//! realm="y",service="z"`), and quoted values can contain commas, spaces and
//! escaped quotes (`scope="repository:a/b:pull,push"`). Several headers may
//! be present too. Parameter names are case-insensitive.

use std::collections::BTreeMap;

/// One authentication challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, lowercased (`bearer`, `basic`).
    pub scheme: String,
    /// Parameters with lowercased names.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lowercase) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn token(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len() && is_tchar(self.s[self.i]) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn quoted(&mut self) -> String {
        // Called with the cursor on the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' if self.i + 1 < self.s.len() => {
                    out.push(self.s[self.i + 1]);
                    self.i += 2;
                }
                b'"' => {
                    self.i += 1;
                    break;
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/=:".contains(&c)
}

/// Parse every challenge in the given header values.
pub fn parse_challenges<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for h in headers {
        parse_one_header(h, &mut out);
    }
    out
}

fn parse_one_header(h: &str, out: &mut Vec<Challenge>) {
    let mut c = Cursor {
        s: h.as_bytes(),
        i: 0,
    };
    loop {
        c.skip_ws();
        while c.peek() == Some(b',') {
            c.i += 1;
            c.skip_ws();
        }
        if c.peek().is_none() {
            return;
        }
        let scheme = c.token();
        if scheme.is_empty() {
            // Not a token: skip one byte to guarantee progress.
            c.i += 1;
            continue;
        }
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        };
        // auth-params: name = (token | quoted-string), separated by commas.
        loop {
            c.skip_ws();
            let save = c.i;
            let name = param_name(&mut c);
            c.skip_ws();
            if name.is_empty() || c.peek() != Some(b'=') {
                // Start of the next challenge (or garbage): rewind.
                c.i = save;
                break;
            }
            c.i += 1;
            c.skip_ws();
            let value = if c.peek() == Some(b'"') {
                c.quoted()
            } else {
                c.token()
            };
            challenge.params.insert(name.to_ascii_lowercase(), value);
            c.skip_ws();
            if c.peek() == Some(b',') {
                c.i += 1;
            } else {
                break;
            }
        }
        out.push(challenge);
    }
}

fn param_name(c: &mut Cursor<'_>) -> String {
    let start = c.i;
    while c.i < c.s.len() && is_tchar(c.s[c.i]) && c.s[c.i] != b'=' {
        c.i += 1;
    }
    String::from_utf8_lossy(&c.s[start..c.i]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_bearer() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
        let c = parse_challenges([h]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
        assert_eq!(c[0].param("scope"), Some("repository:library/nginx:pull"));
    }

    #[test]
    fn commas_inside_quotes_and_several_challenges() {
        let h = r#"Basic realm="Registry Realm", Bearer realm="https://r.example/token?a=1,2",service="svc",scope="repository:a/b:pull,push repository:c:pull",error="insufficient_scope""#;
        let c = parse_challenges([h]);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("Registry Realm"));
        assert_eq!(c[1].param("realm"), Some("https://r.example/token?a=1,2"));
        assert_eq!(
            c[1].param("scope"),
            Some("repository:a/b:pull,push repository:c:pull")
        );
        assert_eq!(c[1].param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn missing_scope_unquoted_values_escapes_and_case() {
        let c = parse_challenges([r#"BEARER Realm=https://nexus.example/v2/token, Service=nexus"#]);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://nexus.example/v2/token"));
        assert_eq!(c[0].param("service"), Some("nexus"));
        assert_eq!(c[0].param("scope"), None);
        let c = parse_challenges([r#"Bearer realm="a \"quoted\" realm""#, "Basic"]);
        assert_eq!(c[0].param("realm"), Some(r#"a "quoted" realm"#));
        assert_eq!(c[1].scheme, "basic");
        assert!(c[1].params.is_empty());
    }

    #[test]
    fn garbage_does_not_loop_or_panic() {
        for h in [
            "",
            ",,,",
            "=",
            "\"unterminated",
            "Bearer realm=\"x",
            "Bearer ,,, realm",
            "@@@ Basic",
        ] {
            let _ = parse_challenges([h]);
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any byte soup parses without panicking or looping.
        #[test]
        fn arbitrary_headers_never_panic(h in "[ -~]{0,200}") {
            let _ = parse_challenges([h.as_str()]);
        }

        /// A quoted value survives whatever commas, spaces and escaped
        /// quotes it contains.
        #[test]
        fn quoted_values_round_trip(realm in "[ -~]{0,60}", scope in "[ -~]{0,60}") {
            let q = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
            let h = format!(r#"Bearer realm="{}",service="svc",scope="{}""#, q(&realm), q(&scope));
            let c = parse_challenges([h.as_str()]);
            prop_assert_eq!(c.len(), 1);
            prop_assert_eq!(c[0].param("realm"), Some(realm.as_str()));
            prop_assert_eq!(c[0].param("scope"), Some(scope.as_str()));
            prop_assert_eq!(c[0].param("service"), Some("svc"));
        }
    }
}
