//! The authentication state machine: Basic, and the Bearer token flow of
//! the Distribution token spec with a token cache per scope.
//!
//! The first request to a registry goes out without credentials; its `401`
//! carries the challenge. From then on the scheme is known and each request
//! gets its header up front: Basic credentials, or a bearer token for the
//! request's scope, fetched once and cached until shortly before it expires.
//! Tokens come from the realm by `GET` with Basic auth (or anonymously), or
//! by OAuth2 `POST` when wharf holds a refresh/identity token (falling back
//! to `GET` when the realm does not implement `POST`). A challenge without a
//! `scope` (Nexus, Artifactory, some ACR setups) is answered with the scope
//! wharf computed for the request.
//!
//! Credentials are only ever attached to requests to the registry's own
//! origin and to its token realm; the caller decides the former, this module
//! the latter.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use url::Url;
use wharf_types::SecretString;

use crate::challenge::Challenge;
use crate::credentials::Credentials;
use crate::endpoint::host_is_loopback;
use crate::error::{RegistryError, Result};
use crate::http::{Stats, read_limited, registry_error_detail};

/// The access a request needs, in token-spec scope syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// No particular scope (`GET /v2/`).
    None,
    /// `registry:catalog:*`.
    Catalog,
    /// `repository:<name>:pull`.
    Pull(String),
}

impl Scope {
    fn as_token_scope(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Catalog => Some("registry:catalog:*".to_owned()),
            Self::Pull(repo) => Some(format!("repository:{repo}:pull")),
        }
    }
}

#[derive(Debug, Clone)]
enum Scheme {
    Basic,
    Bearer { realm: Url, service: Option<String> },
}

#[derive(Clone)]
struct CachedToken {
    value: SecretString,
    valid_until: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// Per-registry authentication state, shared by all requests of a client.
pub(crate) struct Authenticator {
    credentials: Credentials,
    registry_host: String,
    allow_insecure_realm: bool,
    scheme: std::sync::Mutex<Option<Scheme>>,
    tokens: std::sync::Mutex<HashMap<String, Slot>>,
    request_timeout: Duration,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The lifetime the token spec assumes when `expires_in` is missing.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(60);
/// Refuse token responses bigger than this.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

impl Authenticator {
    pub(crate) fn new(
        credentials: Credentials,
        registry_host: &str,
        allow_insecure_realm: bool,
        request_timeout: Duration,
    ) -> Self {
        Self {
            credentials,
            registry_host: registry_host.to_owned(),
            allow_insecure_realm,
            scheme: std::sync::Mutex::new(None),
            tokens: std::sync::Mutex::new(HashMap::new()),
            request_timeout,
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn scheme(&self) -> Option<Scheme> {
        self.scheme.lock().map(|g| g.clone()).unwrap_or(None)
    }

    fn basic_header(&self) -> Option<HeaderValue> {
        let (user, pass) = match &self.credentials {
            Credentials::Basic { username, password } => (username.as_str(), password.expose()),
            Credentials::IdentityToken { username, token } => {
                (username.as_deref().unwrap_or("<token>"), token.expose())
            }
            _ => return None,
        };
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        sensitive(&format!("Basic {enc}"))
    }

    /// The `Authorization` header for a request to the registry, fetching a
    /// token if the scheme is known to be Bearer and none is cached.
    pub(crate) async fn authorization(
        &self,
        http: &reqwest::Client,
        stats: &Stats,
        scope: &Scope,
    ) -> Result<Option<HeaderValue>> {
        if let Credentials::Bearer(t) = &self.credentials {
            return Ok(sensitive(&format!("Bearer {}", t.expose())));
        }
        match self.scheme() {
            None => Ok(None),
            Some(Scheme::Basic) => Ok(self.basic_header()),
            Some(Scheme::Bearer { realm, service }) => {
                let token = self
                    .token(
                        http,
                        stats,
                        &realm,
                        service.as_deref(),
                        scope.as_token_scope(),
                        false,
                    )
                    .await?;
                Ok(sensitive(&format!("Bearer {}", token.expose())))
            }
        }
    }

    /// React to a `401`: learn the scheme and get fresh credentials for the
    /// scope. Returns whether retrying the request can help.
    pub(crate) async fn handle_challenge(
        &self,
        http: &reqwest::Client,
        stats: &Stats,
        challenges: &[Challenge],
        scope: &Scope,
        url: &Url,
    ) -> Result<bool> {
        if let Credentials::Bearer(_) = &self.credentials {
            return Ok(false);
        }
        let bearer = challenges.iter().find(|c| c.scheme == "bearer");
        let basic = challenges.iter().any(|c| c.scheme == "basic");
        if let Some(b) = bearer {
            let realm_str = b.param("realm").ok_or_else(|| RegistryError::Challenge {
                url: url.to_string(),
                reason: "Bearer challenge without realm".into(),
            })?;
            let realm = url.join(realm_str).map_err(|e| RegistryError::Challenge {
                url: url.to_string(),
                reason: format!("realm {realm_str:?} is not a URL: {e}"),
            })?;
            self.check_realm(&realm)?;
            let service = b.param("service").map(str::to_owned);
            if let Ok(mut g) = self.scheme.lock() {
                *g = Some(Scheme::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                });
            }
            // A challenge's own scope (e.g. error="insufficient_scope") wins;
            // without one, use the scope this request needs.
            let wanted = b
                .param("scope")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .or_else(|| scope.as_token_scope());
            let token = self
                .token(
                    http,
                    stats,
                    &realm,
                    service.as_deref(),
                    wanted.clone(),
                    true,
                )
                .await?;
            // Cache under the request's own scope too, so the retry finds it.
            if wanted != scope.as_token_scope() {
                self.store(&realm, service.as_deref(), scope.as_token_scope(), token);
            }
            return Ok(true);
        }
        if basic && let Ok(mut g) = self.scheme.lock() {
            let first = g.is_none();
            *g = Some(Scheme::Basic);
            if self.basic_header().is_none() {
                return Err(RegistryError::Unauthorized {
                    url: url.to_string(),
                    reason: "the registry requires a user name and password and none were given"
                        .into(),
                });
            }
            return Ok(first);
        }
        Err(RegistryError::Challenge {
            url: url.to_string(),
            reason: if challenges.is_empty() {
                "401 without a WWW-Authenticate header".into()
            } else {
                "no supported scheme (Basic or Bearer) offered".into()
            },
        })
    }

    fn check_realm(&self, realm: &Url) -> Result<()> {
        match realm.scheme() {
            "https" => Ok(()),
            "http" => {
                let host = realm.host_str().unwrap_or_default();
                let host_port = match realm.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                };
                if self.allow_insecure_realm
                    || host_is_loopback(&host_port)
                    || host_port == self.registry_host
                {
                    Ok(())
                } else {
                    Err(RegistryError::Token {
                        realm: strip_query(realm),
                        reason: "refusing to send credentials to a plain-HTTP token realm (use --insecure to allow)".into(),
                    })
                }
            }
            other => Err(RegistryError::Token {
                realm: strip_query(realm),
                reason: format!("unsupported realm scheme {other:?}"),
            }),
        }
    }

    fn key(realm: &Url, service: Option<&str>, scope: &Option<String>) -> String {
        format!(
            "{realm}|{}|{}",
            service.unwrap_or(""),
            scope.as_deref().unwrap_or("")
        )
    }

    fn slot(&self, key: String) -> Slot {
        match self.tokens.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Slot::default(),
        }
    }

    fn store(
        &self,
        realm: &Url,
        service: Option<&str>,
        scope: Option<String>,
        token: SecretString,
    ) {
        let slot = self.slot(Self::key(realm, service, &scope));
        if let Ok(mut g) = slot.try_lock() {
            *g = Some(CachedToken {
                value: token,
                valid_until: Instant::now() + DEFAULT_TOKEN_TTL / 2,
            });
        }
    }

    async fn token(
        &self,
        http: &reqwest::Client,
        stats: &Stats,
        realm: &Url,
        service: Option<&str>,
        scope: Option<String>,
        force: bool,
    ) -> Result<SecretString> {
        let slot = self.slot(Self::key(realm, service, &scope));
        // Holding the slot lock while fetching means concurrent requests for
        // the same scope wait for one token instead of each fetching one.
        let mut guard = slot.lock().await;
        if !force
            && let Some(t) = guard.as_ref()
            && t.valid_until > Instant::now()
        {
            return Ok(t.value.clone());
        }
        let (value, ttl) = self
            .fetch_token(http, stats, realm, service, scope.as_deref())
            .await?;
        // Renew a little early: 90% of the lifetime, at least 5 s before.
        let margin = (ttl / 10).max(Duration::from_secs(5)).min(ttl / 2);
        *guard = Some(CachedToken {
            value: value.clone(),
            valid_until: Instant::now() + ttl - margin,
        });
        Ok(value)
    }

    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        stats: &Stats,
        realm: &Url,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<(SecretString, Duration)> {
        let realm_name = strip_query(realm);
        stats.token_fetch();
        tracing::debug!(realm = %realm_name, scope = scope.unwrap_or(""), "fetching registry token");
        let resp = match &self.credentials {
            Credentials::IdentityToken { token, .. } => {
                let post = self
                    .post_token(http, realm, service, scope, "refresh_token", token.expose())
                    .await?;
                if matches!(post.status().as_u16(), 404 | 405) {
                    tracing::debug!(realm = %realm_name, "token realm has no OAuth2 POST; falling back to GET");
                    self.get_token(http, realm, service, scope).await?
                } else {
                    post
                }
            }
            _ => self.get_token(http, realm, service, scope).await?,
        };
        let status = resp.status();
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(RegistryError::Token {
                realm: realm_name,
                reason: if self.credentials.is_anonymous() {
                    format!("HTTP {status}: the registry requires credentials")
                } else {
                    format!("HTTP {status}: credentials rejected")
                },
            });
        }
        if !status.is_success() {
            let body = read_limited(resp, 64 * 1024, "token response")
                .await
                .unwrap_or_default();
            return Err(RegistryError::Token {
                realm: realm_name,
                reason: format!(
                    "HTTP {status}{}",
                    registry_error_detail(&body)
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            });
        }
        let body = read_limited(resp, MAX_TOKEN_RESPONSE, "token response").await?;
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Token {
                realm: realm_name.clone(),
                reason: format!("malformed token response: {e}"),
            })?;
        let token = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| RegistryError::Token {
                realm: realm_name,
                reason: "response has neither \"token\" nor \"access_token\"".into(),
            })?;
        let ttl = parsed
            .expires_in
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s.min(24 * 3600)))
            .unwrap_or(DEFAULT_TOKEN_TTL);
        Ok((SecretString::new(token), ttl))
    }

    async fn get_token(
        &self,
        http: &reqwest::Client,
        realm: &Url,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut url = realm.clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            // A challenge may list several scopes separated by spaces.
            for s in scope
                .into_iter()
                .flat_map(|s| s.split(' '))
                .filter(|s| !s.is_empty())
            {
                q.append_pair("scope", s);
            }
            if let Some(u) = self.credentials.username() {
                q.append_pair("account", u);
            }
        }
        let mut rb = http.get(url).timeout(self.request_timeout);
        if let Some(h) = self.basic_header() {
            rb = rb.header(AUTHORIZATION, h);
        }
        rb.send().await.map_err(|e| RegistryError::Token {
            realm: strip_query(realm),
            reason: crate::http::describe_reqwest_error(&e),
        })
    }

    async fn post_token(
        &self,
        http: &reqwest::Client,
        realm: &Url,
        service: Option<&str>,
        scope: Option<&str>,
        grant_type: &str,
        secret: &str,
    ) -> Result<reqwest::Response> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", grant_type), ("client_id", "wharf")];
        if grant_type == "refresh_token" {
            form.push(("refresh_token", secret));
        }
        if let Some(s) = service {
            form.push(("service", s));
        }
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        http.post(realm.clone())
            .timeout(self.request_timeout)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| RegistryError::Token {
                realm: strip_query(realm),
                reason: crate::http::describe_reqwest_error(&e),
            })
    }
}

fn sensitive(s: &str) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_str(s).ok()?;
    v.set_sensitive(true);
    Some(v)
}

fn strip_query(u: &Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    u.to_string()
}
