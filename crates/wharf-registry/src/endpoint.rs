//! Registry endpoints as users write them.

use std::fmt;
use std::net::IpAddr;

use url::Url;
use wharf_types::{DOCKER_HUB_HOST, normalize_registry_host};

use crate::error::{RegistryError, Result};

/// URL scheme used to reach a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// TLS (the default).
    Https,
    /// Plain HTTP (explicit opt-in, or loopback).
    Http,
}

/// Where a registry's V2 API lives.
///
/// Accepts `https://registry-1.docker.io/`, `registry.example.com:5000`,
/// `http://127.0.0.1:5000`, `docker.io`, and the same with a trailing `/v2/`.
/// A missing scheme means HTTPS. Plain `http://` is accepted for loopback
/// hosts (as Docker does) and otherwise only with `insecure`.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryEndpoint {
    scheme: Scheme,
    host: String,
    scheme_explicit: bool,
}

impl RegistryEndpoint {
    /// Parse what the user wrote. `insecure` is the user's explicit opt-in.
    pub fn parse(input: &str, insecure: bool) -> Result<Self> {
        let trimmed = input.trim();
        let invalid = |reason: &str| RegistryError::InvalidEndpoint {
            input: redact_userinfo(trimmed),
            reason: reason.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(invalid("empty"));
        }
        let (scheme, rest, scheme_explicit) = if let Some(r) = trimmed.strip_prefix("https://") {
            (Scheme::Https, r, true)
        } else if let Some(r) = trimmed.strip_prefix("http://") {
            (Scheme::Http, r, true)
        } else if trimmed.contains("://") {
            return Err(invalid("only http:// and https:// are supported"));
        } else {
            (Scheme::Https, trimmed, false)
        };
        let url = Url::parse(&format!("https://{rest}")).map_err(|e| invalid(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not accepted; use --username with --password-stdin",
            ));
        }
        let path = url.path().trim_end_matches('/');
        if !(path.is_empty() || path == "/v2") {
            return Err(invalid(
                "a registry endpoint has no path (the V2 API lives at /v2/)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a registry endpoint has no query or fragment"));
        }
        let host = url.host_str().ok_or_else(|| invalid("no host"))?;
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let endpoint = Self {
            scheme,
            host: normalize_registry_host(&host),
            scheme_explicit,
        };
        if scheme == Scheme::Http && !insecure && !endpoint.is_loopback() {
            return Err(RegistryError::InsecureNotAllowed {
                endpoint: endpoint.to_string(),
            });
        }
        Ok(endpoint)
    }

    /// The endpoint of the registry that serves an image reference's host.
    pub fn for_host(host: &str, insecure: bool) -> Result<Self> {
        Self::parse(host, insecure)
    }

    /// The normalised `host[:port]` (Docker Hub is `registry-1.docker.io`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The scheme in use.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether the user wrote the scheme (so no HTTP fallback is tried).
    pub fn scheme_explicit(&self) -> bool {
        self.scheme_explicit
    }

    /// Whether this is Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB_HOST
    }

    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        host_is_loopback(&self.host)
    }

    /// The same host over plain HTTP (the `--insecure` fallback).
    pub fn with_http(&self) -> Self {
        Self {
            scheme: Scheme::Http,
            ..self.clone()
        }
    }

    /// `scheme://host` with no trailing slash.
    pub fn origin(&self) -> String {
        let s = match self.scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        format!("{s}://{}", self.host)
    }

    /// The URL of an API path such as `/v2/_catalog`.
    pub fn url(&self, path_and_query: &str) -> Result<Url> {
        let s = format!("{}{path_and_query}", self.origin());
        Url::parse(&s).map_err(|e| RegistryError::InvalidEndpoint {
            input: s,
            reason: e.to_string(),
        })
    }
}

impl fmt::Display for RegistryEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

impl fmt::Debug for RegistryEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryEndpoint({})", self.origin())
    }
}

/// Whether `host[:port]` names a loopback address.
pub(crate) fn host_is_loopback(host_port: &str) -> bool {
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Replace a `user:password@` part of a URL-like string with `***@`.
pub(crate) fn redact_userinfo(s: &str) -> String {
    let (prefix, rest) = match s.find("://") {
        Some(i) => s.split_at(i + 3),
        None => ("", s),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***@{}", &rest[at + 1..]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_forms() {
        let e = RegistryEndpoint::parse("https://registry-1.docker.io/", false).expect("valid");
        assert!(e.is_docker_hub());
        assert_eq!(e.origin(), "https://registry-1.docker.io");
        let e = RegistryEndpoint::parse("docker.io", false).expect("valid");
        assert_eq!(e.host(), "registry-1.docker.io");
        let e = RegistryEndpoint::parse("registry.example.com:5000", false).expect("valid");
        assert_eq!(e.origin(), "https://registry.example.com:5000");
        assert!(!e.scheme_explicit());
        let e = RegistryEndpoint::parse("http://127.0.0.1:5000", false).expect("loopback http");
        assert_eq!(e.scheme(), Scheme::Http);
        let e = RegistryEndpoint::parse("https://ghcr.io/v2/", false).expect("v2 suffix");
        assert_eq!(e.url("/v2/").expect("url").as_str(), "https://ghcr.io/v2/");
        assert!(
            RegistryEndpoint::parse("http://[::1]:5000", false)
                .expect("v6")
                .is_loopback()
        );
    }

    #[test]
    fn plain_http_needs_opt_in() {
        let err = RegistryEndpoint::parse("http://registry.example.com", false)
            .expect_err("needs insecure");
        assert!(matches!(err, RegistryError::InsecureNotAllowed { .. }));
        assert!(RegistryEndpoint::parse("http://registry.example.com", true).is_ok());
    }

    #[test]
    fn rejects_and_redacts_credentials() {
        let err = RegistryEndpoint::parse("https://alice:s3cr3t@registry.example.com", false)
            .expect_err("credentials in URL");
        let msg = err.to_string();
        assert!(!msg.contains("s3cr3t") && !msg.contains("alice"), "{msg}");
        assert!(msg.contains("***@registry.example.com"), "{msg}");
        assert!(RegistryEndpoint::parse("ftp://x", false).is_err());
        assert!(RegistryEndpoint::parse("https://x.example/some/path", false).is_err());
        assert!(RegistryEndpoint::parse("", false).is_err());
    }
}
