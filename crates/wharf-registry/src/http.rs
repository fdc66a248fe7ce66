//! The request pipeline every registry call goes through: bounded
//! concurrency, request-rate limiting, retries with exponential backoff and
//! full jitter on connection errors and 5xx, `429` with `Retry-After`,
//! authentication on `401`, manual redirects that never carry credentials
//! off the registry's origin, and bounded body reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, HeaderValue, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::auth::{Authenticator, Scope};
use crate::challenge::parse_challenges;
use crate::error::{RegistryError, Result};

/// Limits and timeouts for one registry.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests in flight at once (also bounds open blob streams).
    pub max_concurrent_requests: usize,
    /// Average request rate cap; `None` for no cap.
    pub requests_per_second: Option<f64>,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout for API calls, manifests and configs.
    pub request_timeout: Duration,
    /// Longest silence while reading a body (stalled blob downloads).
    pub read_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubles per retry, with full jitter.
    pub retry_base_delay: Duration,
    /// Longest backoff delay.
    pub retry_max_delay: Duration,
    /// Longest `Retry-After` wharf honours before giving up.
    pub max_retry_after: Duration,
    /// Largest manifest or index accepted.
    pub max_manifest_bytes: u64,
    /// Largest JSON document accepted (configs, catalog and tag pages).
    pub max_json_bytes: u64,
    /// Most pages followed in one paginated listing.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_concurrent_requests: 16,
            requests_per_second: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            retry_base_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            max_manifest_bytes: 4 << 20,
            max_json_bytes: 16 << 20,
            max_pages: 100_000,
        }
    }
}

/// Counters of what a client did.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    token_fetches: AtomicU64,
    bytes: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    /// HTTP requests sent to the registry (retries and redirects included).
    pub requests: u64,
    /// Requests repeated after an error, a 5xx or a 429.
    pub retries: u64,
    /// Tokens fetched from the token realm.
    pub token_fetches: u64,
    /// Body bytes received.
    pub bytes: u64,
}

impl Stats {
    pub(crate) fn token_fetch(&self) {
        self.token_fetches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            token_fetches: self.token_fetches.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// A minimal GCRA rate limiter: requests are spaced `1/rate` apart on
/// average, with a burst of one second's worth.
struct RateLimiter {
    interval: Duration,
    burst: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl RateLimiter {
    fn new(rate: f64) -> Option<Self> {
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        Some(Self {
            interval: Duration::from_secs_f64(1.0 / rate),
            burst: Duration::from_secs(1),
            next: tokio::sync::Mutex::new(Instant::now()),
        })
    }

    async fn wait(&self) {
        let sleep_until = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let earliest = now.checked_sub(self.burst).unwrap_or(now);
            let slot = (*next).max(earliest);
            *next = slot + self.interval;
            slot.max(now)
        };
        tokio::time::sleep_until(sleep_until.into()).await;
    }
}

/// A response together with the concurrency permit it holds until dropped.
pub(crate) struct Response {
    pub(crate) inner: reqwest::Response,
    pub(crate) url: Url,
    pub(crate) _permit: OwnedSemaphorePermit,
}

/// One request to make.
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: Option<&'a str>,
    pub(crate) scope: Scope,
    /// Whole-request timeout (`None` for streams, which rely on the read timeout).
    pub(crate) timeout: Option<Duration>,
    /// An `Authorization` header for a non-registry origin (Docker Hub's web API).
    pub(crate) foreign_auth: Option<HeaderValue>,
}

/// The shared transport of one registry client.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) origin: String,
    pub(crate) auth: Authenticator,
    pub(crate) limits: Limits,
    pub(crate) stats: Arc<Stats>,
    semaphore: Arc<Semaphore>,
    rate: Option<RateLimiter>,
}

const MAX_REDIRECTS: usize = 10;
const MAX_AUTH_RETRIES: u32 = 2;

impl Transport {
    pub(crate) fn new(
        http: reqwest::Client,
        origin: String,
        auth: Authenticator,
        limits: Limits,
    ) -> Self {
        Self {
            http,
            origin,
            auth,
            semaphore: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
            rate: limits.requests_per_second.and_then(RateLimiter::new),
            limits,
            stats: Arc::new(Stats::default()),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .limits
            .retry_base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.limits.retry_max_delay);
        // Full jitter: uniform in [0, exp], with a small floor.
        let jittered = exp.mul_f64(fastrand::f64());
        jittered.max(Duration::from_millis(10))
    }

    /// Send a request through the whole pipeline and return the first
    /// response that is neither a redirect, a retryable failure nor an auth
    /// challenge wharf can answer.
    pub(crate) async fn send(&self, req: Request<'_>) -> Result<Response> {
        let mut url = req.url.clone();
        let mut attempt: u32 = 0;
        let mut auth_retries: u32 = 0;
        let mut redirects = 0usize;
        loop {
            let permit = self
                .semaphore
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| RegistryError::ClientBuild("client is shut down".into()))?;
            if let Some(r) = &self.rate {
                r.wait().await;
            }
            let same_origin = origin_of(&url) == self.origin;
            let mut rb = self.http.request(req.method.clone(), url.clone());
            if let Some(a) = req.accept {
                rb = rb.header(ACCEPT, a);
            }
            if let Some(t) = req.timeout {
                rb = rb.timeout(t);
            }
            if same_origin {
                if let Some(h) = self
                    .auth
                    .authorization(&self.http, &self.stats, &req.scope)
                    .await?
                {
                    rb = rb.header(AUTHORIZATION, h);
                }
            } else if let Some(h) = &req.foreign_auth
                && redirects == 0
            {
                rb = rb.header(AUTHORIZATION, h.clone());
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    if attempt < self.limits.max_retries && is_retryable(&e) {
                        attempt += 1;
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        let d = self.backoff(attempt);
                        tracing::debug!(url = %url, attempt, delay_ms = d.as_millis() as u64, error = %describe_reqwest_error(&e), "retrying after transport error");
                        drop(permit);
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    return Err(RegistryError::Transport {
                        url: url.to_string(),
                        reason: describe_reqwest_error(&e),
                        timeout: e.is_timeout(),
                        certificate: certificate_rejected(&e),
                    });
                }
            };
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                redirects += 1;
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| RegistryError::Redirect {
                        url: url.to_string(),
                        reason: format!("HTTP {status} without a Location header"),
                    })?;
                let next = url.join(location).map_err(|e| RegistryError::Redirect {
                    url: url.to_string(),
                    reason: format!("invalid Location: {e}"),
                })?;
                if redirects > MAX_REDIRECTS {
                    return Err(RegistryError::Redirect {
                        url: req.url.to_string(),
                        reason: format!("more than {MAX_REDIRECTS} redirects"),
                    });
                }
                if !matches!(next.scheme(), "https" | "http") {
                    return Err(RegistryError::Redirect {
                        url: url.to_string(),
                        reason: format!("redirect to unsupported scheme {:?}", next.scheme()),
                    });
                }
                tracing::trace!(from = %url, to = %origin_of(&next), "following redirect");
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && same_origin {
                let challenges = parse_challenges(
                    resp.headers()
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok()),
                );
                drop(permit);
                if auth_retries < MAX_AUTH_RETRIES
                    && self
                        .auth
                        .handle_challenge(&self.http, &self.stats, &challenges, &req.scope, &url)
                        .await?
                {
                    auth_retries += 1;
                    continue;
                }
                return Err(RegistryError::Unauthorized {
                    url: url.to_string(),
                    reason: if self.auth.credentials().is_anonymous() {
                        "the registry requires credentials and none were given".into()
                    } else {
                        "credentials rejected or not allowed to access this resource".into()
                    },
                });
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = parse_retry_after(resp.headers().get(RETRY_AFTER));
                if attempt < self.limits.max_retries
                    && retry_after.is_none_or(|d| d <= self.limits.max_retry_after)
                {
                    attempt += 1;
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let d = retry_after.unwrap_or_else(|| self.backoff(attempt));
                    tracing::info!(url = %url, delay_ms = d.as_millis() as u64, "rate limited by the registry (429); waiting");
                    drop(permit);
                    tokio::time::sleep(d).await;
                    continue;
                }
                return Err(RegistryError::RateLimited {
                    url: url.to_string(),
                    attempts: attempt + 1,
                    retry_after,
                });
            }
            if matches!(status.as_u16(), 500 | 502 | 503 | 504) && attempt < self.limits.max_retries
            {
                attempt += 1;
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                let d = parse_retry_after(resp.headers().get(RETRY_AFTER))
                    .filter(|d| *d <= self.limits.max_retry_after)
                    .unwrap_or_else(|| self.backoff(attempt));
                tracing::debug!(url = %url, %status, attempt, delay_ms = d.as_millis() as u64, "retrying after server error");
                drop(permit);
                tokio::time::sleep(d).await;
                continue;
            }
            return Ok(Response {
                inner: resp,
                url,
                _permit: permit,
            });
        }
    }
}

/// `scheme://host[:port]` of a URL, for same-origin checks.
pub(crate) fn origin_of(u: &Url) -> String {
    match u.port() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), u.host_str().unwrap_or_default()),
        None => format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()),
    }
}

/// Whether a transport error may go away on retry: connection failures,
/// timeouts and broken bodies may; a failed TLS handshake (a plain-HTTP
/// server answering, a certificate that does not verify) fails the same way
/// every time, so it is returned at once, and the loopback / `--insecure`
/// fallback to HTTP starts without seconds of backoff.
fn is_retryable(e: &reqwest::Error) -> bool {
    (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()) && tls_error(e).is_none()
}

/// Whether `e` is a TLS handshake that rejected the server's certificate.
pub(crate) fn certificate_rejected(e: &reqwest::Error) -> bool {
    matches!(tls_error(e), Some(rustls::Error::InvalidCertificate(_)))
}

/// The rustls error behind a failed connection, if any. It reaches us inside
/// `io::Error`s, whose `source` skips the error they wrap: look inside.
fn tls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    use std::error::Error as _;
    if !e.is_connect() {
        return None;
    }
    let mut src = e.source();
    while let Some(s) = src {
        let mut current: &(dyn std::error::Error + 'static) = s;
        loop {
            if let Some(tls) = current.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            match current
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => current = inner,
                None => break,
            }
        }
        src = s.source();
    }
    None
}

/// A one-line description of a reqwest error with its causes, without the
/// URL (callers add the URL themselves, so nothing can carry credentials).
pub(crate) fn describe_reqwest_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_owned());
    } else if e.is_connect() {
        parts.push("connection failed".to_owned());
    }
    let mut src = e.source();
    while let Some(s) = src {
        let msg = s.to_string();
        if !parts.contains(&msg) {
            parts.push(msg);
        }
        src = s.source();
    }
    if parts.is_empty() {
        parts.push(
            if e.is_body() {
                "error reading the response body"
            } else if e.is_decode() {
                "error decoding the response body"
            } else if e.is_redirect() {
                "redirect error"
            } else {
                "request failed"
            }
            .to_owned(),
        );
    }
    parts.join(": ")
}

fn parse_retry_after(v: Option<&HeaderValue>) -> Option<Duration> {
    let s = v?.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
    let t = jiff::fmt::rfc2822::parse(s).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let secs = (t.as_second() - now.as_second()).max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// Read a whole body, refusing more than `limit` bytes (checked against
/// `Content-Length` first, then while reading).
pub(crate) async fn read_limited(resp: reqwest::Response, limit: u64, what: &str) -> Result<Bytes> {
    if let Some(len) = resp.content_length()
        && len > limit
    {
        return Err(RegistryError::TooLarge {
            what: what.to_owned(),
            limit,
        });
    }
    let url = resp.url().clone();
    let mut buf = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| RegistryError::Transport {
            url: url.to_string(),
            reason: format!("reading {what}: {}", describe_reqwest_error(&e)),
            timeout: e.is_timeout(),
            certificate: false,
        })?;
        if buf.len() as u64 + chunk.len() as u64 > limit {
            return Err(RegistryError::TooLarge {
                what: what.to_owned(),
                limit,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `code: message` of the first error in a registry error body
/// (`{"errors":[{"code":…,"message":…}]}`), shortened.
pub(crate) fn registry_error_detail(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let e: Errors = serde_json::from_slice(body).ok()?;
    let first = e.errors.first()?;
    let s = match (first.code.is_empty(), first.message.is_empty()) {
        (false, false) => format!("{}: {}", first.code, first.message),
        (false, true) => first.code.clone(),
        (true, false) => first.message.clone(),
        (true, true) => return None,
    };
    Some(s.chars().take(300).collect())
}

/// Turn an unsuccessful response into the matching error.
pub(crate) async fn error_for_status(resp: Response, what: &str) -> RegistryError {
    let status = resp.inner.status();
    let url = resp.url.to_string();
    let body = read_limited(resp.inner, 64 * 1024, what)
        .await
        .unwrap_or_default();
    let detail = registry_error_detail(&body);
    match status.as_u16() {
        404 => RegistryError::NotFound {
            what: what.to_owned(),
            detail,
        },
        403 => RegistryError::Forbidden { url, detail },
        401 => RegistryError::Unauthorized {
            url,
            reason: detail.unwrap_or_else(|| "HTTP 401".into()),
        },
        _ => RegistryError::Status {
            url,
            status,
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("3"))),
            Some(Duration::from_secs(3))
        );
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(Some(&past)), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("soon"))),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }

    #[test]
    fn error_detail() {
        let body =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(
            registry_error_detail(body).as_deref(),
            Some("MANIFEST_UNKNOWN: manifest unknown")
        );
        assert_eq!(registry_error_detail(b"<html>"), None);
    }

    #[tokio::test]
    async fn rate_limiter_spaces_requests() {
        let r = RateLimiter::new(50.0).expect("valid rate");
        let start = Instant::now();
        for _ in 0..100 {
            r.wait().await;
        }
        // 50 burst + 50 at 20 ms each ≈ 1 s; never much faster than that.
        assert!(
            start.elapsed() >= Duration::from_millis(900),
            "{:?}",
            start.elapsed()
        );
        assert!(RateLimiter::new(0.0).is_none());
    }
}
