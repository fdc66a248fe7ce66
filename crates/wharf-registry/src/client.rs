//! [`RegistryClient`]: the Distribution API calls wharf makes, on top of the
//! request pipeline in [`crate::http`].

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use url::Url;
use wharf_types::{Digest, Digester};

use crate::auth::{Authenticator, Scope};
use crate::credentials::Credentials;
use crate::endpoint::{RegistryEndpoint, Scheme};
use crate::error::{RegistryError, Result};
use crate::http::{
    Limits, Request, Response, Stats, StatsSnapshot, Transport, error_for_status, origin_of,
    read_limited,
};
use crate::manifest::{Descriptor, FetchedManifest, ImageConfig, media_type, parse_manifest};

/// How to connect to a registry.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Credentials for the registry.
    pub credentials: Credentials,
    /// Allow plain HTTP and unverified TLS (explicit user opt-in).
    pub insecure: bool,
    /// Extra CA certificates (PEM files) trusted besides the system roots.
    pub ca_certs: Vec<PathBuf>,
    /// Limits, timeouts and retry policy.
    pub limits: Limits,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            credentials: Credentials::Anonymous,
            insecure: false,
            ca_certs: Vec::new(),
            limits: Limits::default(),
            user_agent: concat!("wharf/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What a `HEAD` on a manifest said.
#[derive(Debug, Clone)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`, when the registry sent one.
    pub digest: Option<Digest>,
    /// `Content-Type`.
    pub media_type: Option<String>,
    /// `Content-Length`.
    pub size: Option<u64>,
}

/// A client for one registry. Cheap to clone; clones share connections,
/// tokens, limits and counters.
#[derive(Clone)]
pub struct RegistryClient {
    endpoint: RegistryEndpoint,
    transport: Arc<Transport>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("endpoint", &self.endpoint)
            .field("credentials", self.transport.auth.credentials())
            .finish_non_exhaustive()
    }
}

fn build_http(endpoint: &RegistryEndpoint, config: &ClientConfig) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.limits.connect_timeout)
        .read_timeout(config.limits.read_timeout)
        .pool_max_idle_per_host(config.limits.max_concurrent_requests.max(1))
        .https_only(false);
    let mut certs = Vec::new();
    for path in &config.ca_certs {
        let bad = |reason: String| RegistryError::CaCertificate {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let parsed = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        if parsed.is_empty() {
            return Err(bad("no PEM certificate found".into()));
        }
        certs.extend(parsed);
    }
    if !certs.is_empty() {
        b = b.tls_certs_merge(certs);
    }
    if config.insecure && endpoint.scheme() == Scheme::Https {
        b = b.tls_danger_accept_invalid_certs(true);
    }
    b.build()
        .map_err(|e| RegistryError::ClientBuild(crate::http::describe_reqwest_error(&e)))
}

impl RegistryClient {
    /// A client for `endpoint`. Makes no request; see [`Self::connect`].
    pub fn new(endpoint: RegistryEndpoint, config: &ClientConfig) -> Result<Self> {
        let http = build_http(&endpoint, config)?;
        let auth = Authenticator::new(
            config.credentials.clone(),
            endpoint.host(),
            config.insecure,
            config.limits.request_timeout,
        );
        let transport = Transport::new(http, endpoint.origin(), auth, config.limits.clone());
        Ok(Self {
            endpoint,
            transport: Arc::new(transport),
        })
    }

    /// A client that has checked the registry answers the V2 API.
    ///
    /// With no scheme written, HTTPS is tried first. Plain HTTP is tried
    /// second, as Docker does for insecure registries, when the user passed
    /// `insecure` or the host is loopback (127.0.0.0/8 is insecure by
    /// default in Docker). A certificate the HTTPS handshake rejected is an
    /// error, never a reason to try plain HTTP; and if HTTP fails too, the
    /// HTTPS error is the one returned (it is the more telling).
    pub async fn connect(endpoint: RegistryEndpoint, config: &ClientConfig) -> Result<Self> {
        let client = Self::new(endpoint.clone(), config)?;
        let https_error = match client.ping().await {
            Ok(()) => return Ok(client),
            Err(e) => e,
        };
        let fallback = matches!(
            https_error,
            RegistryError::Transport {
                certificate: false,
                ..
            }
        ) && !endpoint.scheme_explicit()
            && endpoint.scheme() == Scheme::Https
            && (config.insecure || endpoint.is_loopback());
        if !fallback {
            return Err(https_error);
        }
        tracing::warn!(registry = %endpoint.host(), "HTTPS failed; trying plain HTTP (--insecure or a loopback registry)");
        let http_client = Self::new(endpoint.with_http(), config)?;
        match http_client.ping().await {
            Ok(()) => Ok(http_client),
            Err(RegistryError::Transport { .. }) => Err(https_error),
            Err(e) => Err(e),
        }
    }

    /// The endpoint in use.
    pub fn endpoint(&self) -> &RegistryEndpoint {
        &self.endpoint
    }

    /// Request counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.transport.stats.snapshot()
    }

    /// The shared counters (to sample while work runs).
    pub fn stats_handle(&self) -> Arc<Stats> {
        self.transport.stats.clone()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.transport.limits
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.endpoint.url(path)
    }

    async fn get(
        &self,
        url: Url,
        accept: Option<&str>,
        scope: Scope,
        method: Method,
    ) -> Result<Response> {
        self.transport
            .send(Request {
                method,
                url,
                accept,
                scope,
                timeout: Some(self.transport.limits.request_timeout),
                foreign_auth: None,
            })
            .await
    }

    /// `GET /v2/`: is this a V2 registry, and can we authenticate?
    pub async fn ping(&self) -> Result<()> {
        let resp = self
            .get(self.url("/v2/")?, None, Scope::None, Method::GET)
            .await?;
        let status = resp.inner.status();
        if status.is_success() {
            return Ok(());
        }
        Err(match status.as_u16() {
            404 | 405 => RegistryError::NotARegistry {
                endpoint: self.endpoint.to_string(),
                status,
            },
            _ => error_for_status(resp, &format!("{}/v2/", self.endpoint)).await,
        })
    }

    async fn json_page<T: for<'de> Deserialize<'de>>(
        &self,
        resp: Response,
        what: &str,
    ) -> Result<(T, Option<Url>)> {
        let next = next_link(&resp)?;
        let body = read_limited(resp.inner, self.transport.limits.max_json_bytes, what).await?;
        self.transport.stats.add_bytes(body.len() as u64);
        let parsed = serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
        Ok((parsed, next))
    }

    /// Follow `Link: <…>; rel="next"` pages from `url`, collecting what
    /// `items` extracts from each page. `refused` maps a status to an error
    /// for statuses that mean "not available" rather than "failed".
    /// Stops on an empty page, a repeated link, or [`Limits::max_pages`].
    async fn paginate<P: for<'de> Deserialize<'de>>(
        &self,
        mut url: Url,
        scope: Scope,
        what: &str,
        refused: impl Fn(reqwest::StatusCode) -> Option<RegistryError>,
        items: impl Fn(P) -> Vec<String>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..self.transport.limits.max_pages {
            let resp = match self
                .get(url.clone(), None, scope.clone(), Method::GET)
                .await
            {
                Ok(r) => r,
                Err(e @ RegistryError::Unauthorized { .. }) => {
                    return Err(refused(reqwest::StatusCode::UNAUTHORIZED).unwrap_or(e));
                }
                Err(e) => return Err(e),
            };
            let status = resp.inner.status();
            if let Some(e) = refused(status) {
                return Err(e);
            }
            if !status.is_success() {
                return Err(error_for_status(resp, what).await);
            }
            let (page, next) = self.json_page(resp, what).await?;
            let page = items(page);
            let empty = page.is_empty();
            out.extend(page);
            match next {
                Some(n) if !empty && seen.insert(n.to_string()) => url = n,
                _ => break,
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Every repository in `/v2/_catalog`, following `Link` pagination.
    ///
    /// A registry that refuses or lacks the catalog (401/403/404/405, as on
    /// Docker Hub and GHCR) yields [`RegistryError::CatalogUnavailable`].
    pub async fn catalog(&self, page_size: u32) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Option<Vec<String>>,
        }
        let url = self.url(&format!("/v2/_catalog?n={}", page_size.max(1)))?;
        let refused = |status: reqwest::StatusCode| {
            matches!(status.as_u16(), 401 | 403 | 404 | 405).then(|| {
                RegistryError::CatalogUnavailable {
                    endpoint: self.endpoint.to_string(),
                    status,
                }
            })
        };
        let what = format!("{} catalog", self.endpoint);
        self.paginate(url, Scope::Catalog, &what, refused, |p: Page| {
            p.repositories.unwrap_or_default()
        })
        .await
    }

    /// Every tag of `repo`, following `Link` pagination when the registry
    /// paginates (the reference registry does not). Sorted, deduplicated.
    pub async fn tags(&self, repo: &str, page_size: u32) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let url = self.url(&format!("/v2/{repo}/tags/list?n={}", page_size.max(1)))?;
        let what = format!("{}/{repo} tags", self.endpoint.host());
        self.paginate(
            url,
            Scope::Pull(repo.to_owned()),
            &what,
            |_| None,
            |p: Page| p.tags.unwrap_or_default(),
        )
        .await
    }

    /// Request a manifest (`HEAD` or `GET`) by tag or digest; returns the
    /// successful response and a name for it in errors.
    async fn manifest_request(
        &self,
        repo: &str,
        reference: &str,
        method: Method,
    ) -> Result<(Response, String)> {
        let sep = if reference.contains(':') { "@" } else { ":" };
        let what = format!("{}/{repo}{sep}{reference}", self.endpoint.host());
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let resp = self
            .get(
                url,
                Some(media_type::MANIFEST_ACCEPT),
                Scope::Pull(repo.to_owned()),
                method,
            )
            .await?;
        if !resp.inner.status().is_success() {
            return Err(error_for_status(resp, &what).await);
        }
        Ok((resp, what))
    }

    /// `HEAD` a manifest by tag or digest.
    pub async fn head_manifest(&self, repo: &str, reference: &str) -> Result<ManifestHead> {
        let (resp, what) = self.manifest_request(repo, reference, Method::HEAD).await?;
        let h = resp.inner.headers();
        let digest = content_digest(h, &what)?;
        Ok(ManifestHead {
            digest,
            media_type: header_str(h.get(CONTENT_TYPE)),
            size: resp.inner.content_length(),
        })
    }

    /// `GET` a manifest by tag or digest, verified: by digest against that
    /// digest, by tag against `Docker-Content-Digest` when sent. Capped at
    /// [`Limits::max_manifest_bytes`].
    pub async fn manifest(&self, repo: &str, reference: &str) -> Result<FetchedManifest> {
        let (resp, what) = self.manifest_request(repo, reference, Method::GET).await?;
        let content_type = header_str(resp.inner.headers().get(CONTENT_TYPE));
        let header_digest = content_digest(resp.inner.headers(), &what)?;
        let bytes =
            read_limited(resp.inner, self.transport.limits.max_manifest_bytes, &what).await?;
        self.transport.stats.add_bytes(bytes.len() as u64);
        let requested: Option<Digest> = reference.parse().ok();
        let expected = requested.or(header_digest);
        let digest = match &expected {
            Some(exp) => {
                let mut h = Digester::new(exp.algorithm());
                h.update(&bytes);
                let actual = h.finish();
                if &actual != exp {
                    return Err(RegistryError::DigestMismatch {
                        what,
                        expected: exp.clone(),
                        actual,
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        let (manifest, media_type) = parse_manifest(&bytes, content_type.as_deref(), &what)?;
        Ok(FetchedManifest {
            digest,
            media_type,
            bytes,
            manifest,
        })
    }

    async fn blob_response(&self, repo: &str, desc: &Descriptor) -> Result<(Response, String)> {
        let what = format!("{}/{repo}@{} (blob)", self.endpoint.host(), desc.digest);
        let url = self.url(&format!("/v2/{repo}/blobs/{}", desc.digest))?;
        let resp = self
            .transport
            .send(Request {
                method: Method::GET,
                url,
                accept: None,
                scope: Scope::Pull(repo.to_owned()),
                timeout: None,
                foreign_auth: None,
            })
            .await?;
        if !resp.inner.status().is_success() {
            return Err(error_for_status(resp, &what).await);
        }
        if origin_of(&resp.url) != self.endpoint.origin() {
            tracing::trace!(blob = %desc.digest, host = %origin_of(&resp.url), "blob served from a redirect host");
        }
        Ok((resp, what))
    }

    /// A small blob (config, attestation) read whole, verified against its
    /// descriptor's digest and size, refused above `limit` bytes.
    pub async fn blob_bytes(&self, repo: &str, desc: &Descriptor, limit: u64) -> Result<Bytes> {
        if desc.size > limit {
            return Err(RegistryError::TooLarge {
                what: format!("{}/{repo}@{} (blob)", self.endpoint.host(), desc.digest),
                limit,
            });
        }
        let (resp, what) = self.blob_response(repo, desc).await?;
        let bytes = read_limited(resp.inner, desc.size, &what).await?;
        self.transport.stats.add_bytes(bytes.len() as u64);
        if bytes.len() as u64 != desc.size {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: desc.size,
                actual: bytes.len() as u64,
            });
        }
        let mut h = Digester::new(desc.digest.algorithm());
        h.update(&bytes);
        let actual = h.finish();
        if actual != desc.digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: desc.digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// The image configuration a manifest points at.
    pub async fn image_config(&self, repo: &str, config: &Descriptor) -> Result<ImageConfig> {
        let bytes = self
            .blob_bytes(repo, config, self.transport.limits.max_json_bytes)
            .await?;
        ImageConfig::parse(
            &bytes,
            &format!("{}/{repo}@{} (config)", self.endpoint.host(), config.digest),
        )
    }

    /// Stream a blob (a layer), verified while read: the stream yields the
    /// bytes as they arrive and ends with an error instead of `None` if the
    /// total size or digest differs from the descriptor. Consumers must treat
    /// the content as valid only once the stream has ended cleanly.
    pub async fn blob_stream(&self, repo: &str, desc: &Descriptor) -> Result<BlobStream> {
        let (resp, what) = self.blob_response(repo, desc).await?;
        if let Some(len) = resp.inner.content_length()
            && len != desc.size
        {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: desc.size,
                actual: len,
            });
        }
        let Response { inner, _permit, .. } = resp;
        Ok(BlobStream {
            inner: Box::pin(inner.bytes_stream()),
            digester: Some(Digester::new(desc.digest.algorithm())),
            expected: desc.digest.clone(),
            expected_size: desc.size,
            stats: self.transport.stats.clone(),
            what,
            _permit,
        })
    }

    /// Repositories of a Docker Hub namespace through Hub's web API
    /// (`GET {hub_api}/v2/repositories/{namespace}/`), since Hub has no
    /// catalog. With Basic credentials and the official Hub API, wharf logs
    /// in to list private repositories too.
    pub async fn docker_hub_repositories(
        &self,
        hub_api: &Url,
        namespace: &str,
    ) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            next: Option<String>,
            #[serde(default)]
            results: Vec<Repo>,
        }
        #[derive(Deserialize)]
        struct Repo {
            name: String,
            #[serde(default)]
            namespace: Option<String>,
        }
        let what = format!("Docker Hub namespace {namespace}");
        let auth = self.docker_hub_login(hub_api).await?;
        let mut url = hub_api
            .join(&format!("v2/repositories/{namespace}/?page_size=100"))
            .map_err(|e| RegistryError::InvalidEndpoint {
                input: hub_api.to_string(),
                reason: e.to_string(),
            })?;
        let hub_origin = origin_of(hub_api);
        let mut out = Vec::new();
        for _ in 0..self.transport.limits.max_pages {
            let resp = self
                .transport
                .send(Request {
                    method: Method::GET,
                    url: url.clone(),
                    accept: Some("application/json"),
                    scope: Scope::None,
                    timeout: Some(self.transport.limits.request_timeout),
                    foreign_auth: auth.clone(),
                })
                .await?;
            if !resp.inner.status().is_success() {
                return Err(error_for_status(resp, &what).await);
            }
            let body =
                read_limited(resp.inner, self.transport.limits.max_json_bytes, &what).await?;
            let page: Page =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
                    what: what.clone(),
                    reason: e.to_string(),
                })?;
            out.extend(page.results.into_iter().map(|r| {
                format!(
                    "{}/{}",
                    r.namespace.unwrap_or_else(|| namespace.to_owned()),
                    r.name
                )
            }));
            match page.next.filter(|n| !n.is_empty()) {
                Some(n) => {
                    let next = url.join(&n).map_err(|e| RegistryError::Malformed {
                        what: what.clone(),
                        reason: format!("invalid next link: {e}"),
                    })?;
                    if origin_of(&next) != hub_origin || next == url {
                        return Err(RegistryError::Malformed {
                            what,
                            reason: "next link points to another host or loops".into(),
                        });
                    }
                    url = next;
                }
                None => break,
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn docker_hub_login(&self, hub_api: &Url) -> Result<Option<HeaderValue>> {
        let Credentials::Basic { username, password } = self.transport.auth.credentials() else {
            return Ok(None);
        };
        // Only the official Hub API (or a loopback stand-in in tests) gets
        // the user's Hub credentials.
        let official = hub_api.scheme() == "https"
            && hub_api.host_str() == Some(wharf_types::DOCKER_HUB_API_HOST);
        let loopback = hub_api
            .host_str()
            .is_some_and(crate::endpoint::host_is_loopback);
        if !official && !loopback {
            return Ok(None);
        }
        let url = hub_api
            .join("v2/users/login")
            .map_err(|e| RegistryError::InvalidEndpoint {
                input: hub_api.to_string(),
                reason: e.to_string(),
            })?;
        let body = serde_json::json!({"username": username, "password": password.expose()});
        let resp = self
            .transport
            .http
            .post(url.clone())
            .timeout(self.transport.limits.request_timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| RegistryError::Transport {
                url: url.to_string(),
                reason: crate::http::describe_reqwest_error(&e),
                timeout: e.is_timeout(),
                certificate: crate::http::certificate_rejected(&e),
            })?;
        if !resp.status().is_success() {
            return Err(RegistryError::Unauthorized {
                url: url.to_string(),
                reason: format!("Docker Hub login refused (HTTP {})", resp.status()),
            });
        }
        #[derive(Deserialize)]
        struct Login {
            token: String,
        }
        let bytes = read_limited(resp, 1 << 20, "Docker Hub login").await?;
        let login: Login =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
                what: "Docker Hub login response".into(),
                reason: e.to_string(),
            })?;
        let mut v = HeaderValue::from_str(&format!("Bearer {}", login.token)).map_err(|_| {
            RegistryError::Malformed {
                what: "Docker Hub login response".into(),
                reason: "token is not a valid header value".into(),
            }
        })?;
        v.set_sensitive(true);
        Ok(Some(v))
    }
}

/// The `Docker-Content-Digest` header, validated when present.
fn content_digest(h: &reqwest::header::HeaderMap, what: &str) -> Result<Option<Digest>> {
    h.get("docker-content-digest")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.parse::<Digest>().ok())
                .ok_or_else(|| RegistryError::Malformed {
                    what: format!("{what} Docker-Content-Digest header"),
                    reason: format!("{v:?} is not a valid digest"),
                })
        })
        .transpose()
}

fn header_str(v: Option<&HeaderValue>) -> Option<String> {
    v.and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The `rel="next"` target of a `Link` header, resolved against the
/// request URL; it must stay on the registry's origin.
fn next_link(resp: &Response) -> Result<Option<Url>> {
    for value in resp.inner.headers().get_all(reqwest::header::LINK) {
        let Ok(s) = value.to_str() else { continue };
        for link in split_links(s) {
            let Some((target, params)) = link
                .trim()
                .strip_prefix('<')
                .and_then(|r| r.split_once('>'))
            else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=")
                    .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                    .unwrap_or(false)
            });
            if is_next {
                let next = resp
                    .url
                    .join(target)
                    .map_err(|e| RegistryError::Malformed {
                        what: format!("{} Link header", resp.url),
                        reason: e.to_string(),
                    })?;
                if origin_of(&next) != origin_of(&resp.url) {
                    return Err(RegistryError::Malformed {
                        what: format!("{} Link header", resp.url),
                        reason: "next page is on another host".into(),
                    });
                }
                return Ok(Some(next));
            }
        }
    }
    Ok(None)
}

/// Split a `Link` header on commas that are outside `<…>` and quotes.
fn split_links(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            '"' => quoted = !quoted,
            ',' if depth == 0 && !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A blob body verified while it streams. See [`RegistryClient::blob_stream`].
pub struct BlobStream {
    inner: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    digester: Option<Digester>,
    expected: Digest,
    expected_size: u64,
    stats: Arc<Stats>,
    what: String,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Stream for BlobStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(digester) = this.digester.as_mut() else {
            return Poll::Ready(None);
        };
        match this.inner.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                if digester.len() + chunk.len() as u64 > this.expected_size {
                    let actual = digester.len() + chunk.len() as u64;
                    this.digester = None;
                    return Poll::Ready(Some(Err(RegistryError::SizeMismatch {
                        what: this.what.clone(),
                        expected: this.expected_size,
                        actual,
                    })));
                }
                digester.update(&chunk);
                this.stats.add_bytes(chunk.len() as u64);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.digester = None;
                Poll::Ready(Some(Err(RegistryError::Transport {
                    url: this.what.clone(),
                    reason: crate::http::describe_reqwest_error(&e),
                    timeout: e.is_timeout(),
                    certificate: false,
                })))
            }
            Poll::Ready(None) => {
                let Some(d) = this.digester.take() else {
                    return Poll::Ready(None);
                };
                if d.len() != this.expected_size {
                    return Poll::Ready(Some(Err(RegistryError::SizeMismatch {
                        what: this.what.clone(),
                        expected: this.expected_size,
                        actual: d.len(),
                    })));
                }
                let actual = d.finish();
                if actual != this.expected {
                    return Poll::Ready(Some(Err(RegistryError::DigestMismatch {
                        what: this.what.clone(),
                        expected: this.expected.clone(),
                        actual,
                    })));
                }
                Poll::Ready(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_splitting() {
        let parts =
            split_links(r#"</v2/_catalog?last=a,b&n=2>; rel="next", <https://x/y>; rel="prev""#);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].contains("last=a,b"));
    }
}
