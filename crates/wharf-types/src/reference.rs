//! Image references as users write them:
//! `[host[:port]/]path[:tag][@algorithm:hex]`, with Docker Hub normalisation.
//!
//! The grammar follows the Distribution project's reference grammar: path
//! components are lowercase alphanumerics joined by `.`, `_`, `__` or runs of
//! `-`; tags are `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; the first path component
//! is a registry host when it contains `.` or `:` or is `localhost`.
//! References without a host, and the Docker Hub aliases (`docker.io`,
//! `index.docker.io`, `registry.hub.docker.com`), resolve to Docker Hub's API
//! host `registry-1.docker.io`, and single-component Hub names get the
//! `library/` namespace, exactly as the Docker CLI does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Digest, DigestError};

/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_HOST: &str = "registry-1.docker.io";
/// The host that serves Docker Hub's web API (repository listing).
pub const DOCKER_HUB_API_HOST: &str = "hub.docker.com";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// Why an image reference is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// Empty input.
    #[error("image reference is empty")]
    Empty,
    /// Upper-case letters in the repository path.
    #[error("invalid image reference {0:?}: repository names must be lowercase")]
    Uppercase(String),
    /// A path component breaks the grammar.
    #[error(
        "invalid image reference {reference:?}: path component {component:?} is not [a-z0-9]+ joined by '.', '_', '__' or '-'"
    )]
    InvalidComponent {
        /// The whole reference.
        reference: String,
        /// The offending component.
        component: String,
    },
    /// An invalid registry host.
    #[error(
        "invalid image reference {reference:?}: registry host {host:?} is not a valid host[:port]"
    )]
    InvalidHost {
        /// The whole reference.
        reference: String,
        /// The offending host.
        host: String,
    },
    /// An invalid tag.
    #[error(
        "invalid image reference {reference:?}: tag {tag:?} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
    )]
    InvalidTag {
        /// The whole reference.
        reference: String,
        /// The offending tag.
        tag: String,
    },
    /// An invalid digest.
    #[error("invalid image reference {reference:?}: {source}")]
    InvalidDigest {
        /// The whole reference.
        reference: String,
        /// What is wrong with the digest.
        source: DigestError,
    },
    /// Name longer than 255 characters.
    #[error("invalid image reference {0:?}: repository name longer than 255 characters")]
    TooLong(String),
}

/// A fully qualified image reference.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageReference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ImageReference {
    /// A reference from already-validated parts (used when discovery builds
    /// references from what a registry listed).
    pub fn from_parts(
        registry: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Self, ReferenceError> {
        let mut s = format!("{registry}/{repository}");
        if let Some(t) = tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s.parse()
    }

    /// The registry API host, normalised (`registry-1.docker.io` for Hub).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path, e.g. `library/nginx`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if one was given.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if one was given.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to ask the registry for: the digest if pinned, else the tag,
    /// else `latest`.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// Whether this reference points at Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB_HOST
    }

    /// The same repository pinned to `digest` (tag kept for display).
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

/// Map the Docker Hub aliases to the registry API host; other hosts are
/// returned lowercased.
pub fn normalize_registry_host(host: &str) -> String {
    let lower = host.to_ascii_lowercase();
    match lower.as_str() {
        "docker.io" | "index.docker.io" | "registry.hub.docker.com" | DOCKER_HUB_HOST => {
            DOCKER_HUB_HOST.to_owned()
        }
        _ => lower,
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    !b.is_empty()
        && b.len() <= MAX_TAG_LEN
        && word(b[0])
        && b[1..].iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

fn valid_host(h: &str) -> bool {
    let (host, port) = if let Some(rest) = h.strip_prefix('[') {
        // [IPv6]:port
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        if ip.is_empty()
            || !ip
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after.strip_prefix(':') {
            Some(p) => ("x", Some(p)),
            None if after.is_empty() => ("x", None),
            None => return false,
        }
    } else {
        match h.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (h, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

impl FromStr for ImageReference {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let digest =
                    d.parse::<Digest>()
                        .map_err(|source| ReferenceError::InvalidDigest {
                            reference: input.to_owned(),
                            source,
                        })?;
                (n, Some(digest))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that comes after the last '/'.
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&name_and_tag[..i], Some(&name_and_tag[i + 1..]))
            }
            None => (name_and_tag, None),
        };
        if let Some(t) = tag
            && !valid_tag(t)
        {
            return Err(ReferenceError::InvalidTag {
                reference: input.to_owned(),
                tag: t.to_owned(),
            });
        }
        let (host, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[') =>
            {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        if let Some(h) = host
            && !valid_host(h)
        {
            return Err(ReferenceError::InvalidHost {
                reference: input.to_owned(),
                host: h.to_owned(),
            });
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase(input.to_owned()));
        }
        for component in path.split('/') {
            if !valid_component(component) {
                return Err(ReferenceError::InvalidComponent {
                    reference: input.to_owned(),
                    component: component.to_owned(),
                });
            }
        }
        let registry = normalize_registry_host(host.unwrap_or(DOCKER_HUB_HOST));
        let repository = if registry == DOCKER_HUB_HOST && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        if registry.len() + 1 + repository.len() > MAX_NAME_LEN {
            return Err(ReferenceError::TooLong(input.to_owned()));
        }
        Ok(Self {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.is_docker_hub() {
            "docker.io"
        } else {
            &self.registry
        };
        write!(f, "{host}/{}", self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageReference({self})")
    }
}

impl Serialize for ImageReference {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ImageReference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImageReference {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_normalisation() {
        for s in [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "registry-1.docker.io/library/nginx",
        ] {
            let r = parse(s);
            assert_eq!(r.registry(), DOCKER_HUB_HOST, "{s}");
            assert_eq!(r.repository(), "library/nginx", "{s}");
            assert_eq!(r.target(), "latest");
            assert_eq!(r.to_string(), "docker.io/library/nginx");
        }
        assert_eq!(parse("bitnami/redis:7.2").repository(), "bitnami/redis");
        assert_eq!(parse("docker.io/bitnami/redis:7.2").tag(), Some("7.2"));
    }

    #[test]
    fn hosts_ports_tags_digests() {
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let r = parse(&format!(
            "registry.example.com:5000/team/app/api:v1.2.3@{d}"
        ));
        assert_eq!(r.registry(), "registry.example.com:5000");
        assert_eq!(r.repository(), "team/app/api");
        assert_eq!(r.tag(), Some("v1.2.3"));
        assert_eq!(r.target(), d);
        let r = parse("localhost/app");
        assert_eq!(r.registry(), "localhost");
        assert_eq!(
            parse("127.0.0.1:5000/a_b__c-d---e.f:1").repository(),
            "a_b__c-d---e.f"
        );
        assert_eq!(parse("[::1]:5000/app:tag").registry(), "[::1]:5000");
        assert_eq!(parse("Ghcr.IO/owner/app").registry(), "ghcr.io");
    }

    #[test]
    fn rejects_invalid() {
        let cases = [
            "",
            "Nginx",
            "library/UPPER",
            "a//b",
            "-a/b",
            "a/b-",
            "a/b.",
            "host:port:bad/x",
            "a/b:",
            "a/b:.tag",
            "a/b@sha256:abc",
            "a/b@md5:0123",
            "example.com:99999999/x",
        ];
        for c in cases {
            assert!(
                c.parse::<ImageReference>().is_err(),
                "{c:?} should be rejected"
            );
        }
        let long = format!("example.com/{}", "a".repeat(250));
        assert!(matches!(
            long.parse::<ImageReference>(),
            Err(ReferenceError::TooLong(_))
        ));
        let long_tag = format!("a:{}", "t".repeat(129));
        assert!(long_tag.parse::<ImageReference>().is_err());
    }

    #[test]
    fn from_parts_round_trip() {
        let r =
            ImageReference::from_parts("127.0.0.1:5000", "x/y", Some("1"), None).expect("valid");
        assert_eq!(r.to_string(), "127.0.0.1:5000/x/y:1");
        let again: ImageReference = r.to_string().parse().expect("valid");
        assert_eq!(again, r);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}"
    }

    proptest! {
        /// Whatever valid reference is built, printing and parsing it again
        /// gives the same reference.
        #[test]
        fn display_parse_round_trip(
            host in prop::option::of("[a-z]{1,10}\\.[a-z]{2,5}(:[0-9]{2,5})?"),
            path in prop::collection::vec(component(), 1..4),
            tag in prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            pin in any::<bool>(),
        ) {
            // Without a host, a first component with a dot would itself be
            // read as a host (Docker's rule), so that input is not "valid".
            prop_assume!(host.is_some() || !path[0].contains('.'));
            let mut s = String::new();
            if let Some(h) = &host { s.push_str(h); s.push('/'); }
            s.push_str(&path.join("/"));
            if let Some(t) = &tag { s.push(':'); s.push_str(t); }
            if pin { s.push('@'); s.push_str(&Digest::sha256_of(s.as_bytes()).to_string()); }
            let r: ImageReference = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
            let again = r.to_string().parse::<ImageReference>().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again, r);
        }

        /// Arbitrary input never panics.
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = s.parse::<ImageReference>();
        }
    }
}
