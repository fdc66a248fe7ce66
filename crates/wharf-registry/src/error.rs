//! The registry client's error type.

use std::time::Duration;

use reqwest::StatusCode;
use wharf_types::Digest;

/// Everything that can go wrong talking to a registry.
///
/// Messages name the registry, repository, reference or URL involved and
/// never contain a credential or token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry endpoint as written by the user cannot be used.
    #[error("invalid registry endpoint {input:?}: {reason}")]
    InvalidEndpoint {
        /// What the user wrote (with any password removed).
        input: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Plain HTTP or unverified TLS was needed but not allowed.
    #[error(
        "{endpoint} uses plain HTTP; pass --insecure to allow plain HTTP or unverified TLS for it"
    )]
    InsecureNotAllowed {
        /// The endpoint.
        endpoint: String,
    },
    /// A CA certificate file could not be read or parsed.
    #[error("CA certificate {path}: {reason}")]
    CaCertificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    ClientBuild(String),
    /// The registry could not be reached (after retries).
    #[error("{url}: {reason}")]
    Transport {
        /// The URL requested.
        url: String,
        /// The underlying error, without credentials.
        reason: String,
        /// Whether it was a timeout.
        timeout: bool,
        /// Whether the TLS handshake rejected the server's certificate
        /// (untrusted, expired, wrong name): never a reason to fall back to
        /// plain HTTP.
        certificate: bool,
    },
    /// The registry does not speak the V2 API at this endpoint.
    #[error(
        "{endpoint} does not speak the Docker Registry HTTP API V2 (GET /v2/ returned {status})"
    )]
    NotARegistry {
        /// The endpoint.
        endpoint: String,
        /// The status of `GET /v2/`.
        status: StatusCode,
    },
    /// Authentication failed or was required and no credentials were given.
    #[error("{url}: authentication failed: {reason}")]
    Unauthorized {
        /// The URL requested.
        url: String,
        /// Why, in words (never the credential).
        reason: String,
    },
    /// Authenticated, but not allowed.
    #[error("{url}: access denied (HTTP 403){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Forbidden {
        /// The URL requested.
        url: String,
        /// The registry's error message, if any.
        detail: Option<String>,
    },
    /// The repository, tag, manifest or blob does not exist.
    #[error("{what}: not found{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NotFound {
        /// What was asked for (`repo:tag`, a digest…).
        what: String,
        /// The registry's error code/message, if any.
        detail: Option<String>,
    },
    /// Still rate limited after the allowed retries.
    #[error("{url}: rate limited by the registry (HTTP 429) after {attempts} attempts{}", retry_after.map(|d| format!("; it asks to wait {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The URL requested.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last `Retry-After` the registry sent.
        retry_after: Option<Duration>,
    },
    /// Any other unexpected HTTP status.
    #[error("{url}: unexpected HTTP {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
        /// The registry's error code/message, if any.
        detail: Option<String>,
    },
    /// The token endpoint refused or failed.
    #[error("token request to {realm} failed: {reason}")]
    Token {
        /// The token realm (without query).
        realm: String,
        /// Why.
        reason: String,
    },
    /// A `WWW-Authenticate` header that cannot be used.
    #[error("{url}: unusable WWW-Authenticate challenge: {reason}")]
    Challenge {
        /// The URL whose response carried it.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// Content does not hash to the digest it was asked for or announced.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was fetched.
        what: String,
        /// The digest asked for or announced.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// Content length differs from the descriptor's size.
    #[error("{what}: size mismatch: descriptor says {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was fetched.
        what: String,
        /// Announced size.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// Content exceeds wharf's size cap for its kind.
    #[error("{what}: larger than the {limit}-byte limit")]
    TooLarge {
        /// What was fetched.
        what: String,
        /// The cap.
        limit: u64,
    },
    /// A manifest, index, config or API response that is not valid JSON of
    /// the expected shape.
    #[error("{what}: malformed: {reason}")]
    Malformed {
        /// What was parsed.
        what: String,
        /// The parser's message.
        reason: String,
    },
    /// A manifest format wharf does not read.
    #[error("{what}: unsupported manifest type {media_type}{}", hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    UnsupportedManifest {
        /// The reference.
        what: String,
        /// Its media type.
        media_type: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// The registry refuses or does not implement `/v2/_catalog`.
    #[error(
        "{endpoint}: the catalog API is not available (HTTP {status}); name the repositories to discover"
    )]
    CatalogUnavailable {
        /// The endpoint.
        endpoint: String,
        /// The status returned.
        status: StatusCode,
    },
    /// A redirect chain that is too long or invalid.
    #[error("{url}: {reason}")]
    Redirect {
        /// The URL requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A repository or tag pattern that is not a valid glob.
    #[error("invalid {kind} pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// `repository` or `tag`.
        kind: &'static str,
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// Reading credentials (Docker config, credential helper) failed.
    #[error("credentials: {0}")]
    Credentials(String),
}

impl RegistryError {
    /// Whether the error means the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// Result alias for this crate.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
