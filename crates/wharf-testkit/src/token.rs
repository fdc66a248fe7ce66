//! A Distribution-compatible token server for tests.
//!
//! Implements the Docker token protocol (`GET /token` with optional Basic
//! credentials) and the OAuth2 variant (`POST /token` with a form body, password
//! and refresh-token grants) on top of a [`wiremock::MockServer`]. Tokens are
//! ES256 JWTs whose `kid` is the libtrust key id of the signing key, which is
//! how Distribution 2.8 finds the key among its `rootcertbundle` certificates.
//!
//! ```no_run
//! use wharf_testkit::registry::{RegistryOptions, TestRegistry};
//! use wharf_testkit::token::{TokenServer, TokenServerOptions};
//! # async fn demo() -> anyhow::Result<()> {
//! let tokens = TokenServer::start(TokenServerOptions {
//!     users: vec![("alice".into(), "secret".into())],
//!     ..TokenServerOptions::default()
//! })
//! .await?;
//! let registry = TestRegistry::start(RegistryOptions {
//!     token: Some(tokens.auth_config()),
//!     ..RegistryOptions::default()
//! })
//! .await?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{CertificateParams, DnType, KeyPair, PublicKeyData as _};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::registry::TokenAuthConfig;

/// Options for [`TokenServer::start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenServerOptions {
    /// Service name: the tokens' audience; requests naming another service are
    /// rejected with 400.
    pub service: String,
    /// Issuer written in the tokens (`iss`).
    pub issuer: String,
    /// Accepted `(user, password)` pairs.
    pub users: Vec<(String, String)>,
    /// Accepted `(refresh token, user it belongs to)` pairs for
    /// `grant_type=refresh_token`.
    pub refresh_tokens: Vec<(String, String)>,
    /// Whether `POST /token` (OAuth2) is served; when `false` it answers 404 so
    /// clients must fall back to `GET`.
    pub support_post: bool,
    /// Whether anonymous requests are granted `pull` on repositories.
    pub anonymous_pull: bool,
    /// Token lifetime (`expires_in`, and `exp - iat` in the JWT).
    pub token_ttl_secs: u64,
}

impl Default for TokenServerOptions {
    fn default() -> Self {
        Self {
            service: "wharf-testkit-registry".to_owned(),
            issuer: "wharf-testkit-token-server".to_owned(),
            users: Vec::new(),
            refresh_tokens: Vec::new(),
            support_post: true,
            anonymous_pull: false,
            token_ttl_secs: 300,
        }
    }
}

/// One entry of a token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    /// Resource type: `repository`, `registry`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Resource name, e.g. `library/alpine` or `catalog`.
    pub name: String,
    /// Granted actions, e.g. `pull`, `push`, `*`.
    pub actions: Vec<String>,
}

/// A requested scope, `TYPE:NAME:ACTIONS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Resource type (up to the first `:`).
    pub kind: String,
    /// Resource name (between the first and the last `:`; may contain `/` and `:`).
    pub name: String,
    /// Requested actions (after the last `:`, comma separated).
    pub actions: Vec<String>,
}

impl Scope {
    /// Parses `TYPE:NAME:ACTIONS`; `None` if there are fewer than two colons or
    /// an empty type or name.
    pub fn parse(scope: &str) -> Option<Self> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Self {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// The libtrust key id of a public key, as Distribution 2.8 computes it to match
/// a JWT's `kid` against its trusted keys: SHA-256 of the DER
/// SubjectPublicKeyInfo, first 240 bits, base32 (RFC 4648, no padding), in
/// twelve `:`-separated groups of four characters.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = Sha256::digest(spki_der);
    let encoded = base32(&hash[..30]);
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(4)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    groups.join(":")
}

/// RFC 4648 base32 with the standard alphabet, without padding.
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    access: &'a [Access],
}

/// Signing key, its libtrust key id and its self-signed certificate.
struct Signer {
    key: EncodingKey,
    kid: String,
    cert_pem: String,
}

impl Signer {
    fn generate() -> Result<Self> {
        let key_pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .context("generating token signing key")?;
        let mut params = CertificateParams::new(Vec::<String>::new())
            .context("token signing certificate params")?;
        params
            .distinguished_name
            .push(DnType::CommonName, "wharf-testkit token signer");
        let cert = params
            .self_signed(&key_pair)
            .context("self-signing token certificate")?;
        Ok(Self {
            // rcgen serializes private keys as PKCS#8, which is what
            // jsonwebtoken's ECDSA signer expects.
            key: EncodingKey::from_ec_der(key_pair.serialized_der()),
            kid: libtrust_key_id(&key_pair.subject_public_key_info()),
            cert_pem: cert.pem(),
        })
    }

    fn sign(
        &self,
        issuer: &str,
        audience: &str,
        subject: &str,
        access: &[Access],
        ttl: u64,
    ) -> Result<String> {
        let now = jiff::Timestamp::now().as_second();
        let ttl = i64::try_from(ttl).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            iss: issuer,
            sub: subject,
            aud: audience,
            exp: now.saturating_add(ttl),
            nbf: now,
            iat: now,
            jti: random_token(),
            access,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).context("signing token")
    }
}

fn random_token() -> String {
    (0..16)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// Shared state of the server and its responder.
struct State {
    opts: TokenServerOptions,
    signer: Signer,
    /// Refresh token → user, seeded from the options and extended by password
    /// grants.
    refresh_tokens: Mutex<HashMap<String, String>>,
}

/// A running token server. Stops when dropped.
pub struct TokenServer {
    server: MockServer,
    state: Arc<State>,
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("uri", &self.server.uri())
            .field("service", &self.state.opts.service)
            .field("issuer", &self.state.opts.issuer)
            .field("kid", &self.state.signer.kid)
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Generates a signing key and starts serving `/token` on loopback.
    pub async fn start(opts: TokenServerOptions) -> Result<Self> {
        let signer = Signer::generate()?;
        // Fail here rather than in the responder if the key cannot sign.
        signer
            .sign(&opts.issuer, &opts.service, "", &[], 1)
            .context("token signing self-test")?;
        let refresh_tokens = opts.refresh_tokens.iter().cloned().collect();
        let state = Arc::new(State {
            opts,
            signer,
            refresh_tokens: Mutex::new(refresh_tokens),
        });
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(TokenResponder {
                state: Arc::clone(&state),
            })
            .mount(&server)
            .await;
        Ok(Self { server, state })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The token endpoint, `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("{}/token", self.server.uri())
    }

    /// The service name (token audience).
    pub fn service(&self) -> &str {
        &self.state.opts.service
    }

    /// The token issuer.
    pub fn issuer(&self) -> &str {
        &self.state.opts.issuer
    }

    /// The libtrust key id written as `kid` in token headers.
    pub fn key_id(&self) -> &str {
        &self.state.signer.kid
    }

    /// PEM of the self-signed certificate of the signing key: the registry's
    /// `auth.token.rootcertbundle`.
    pub fn root_cert_bundle_pem(&self) -> &str {
        &self.state.signer.cert_pem
    }

    /// Registry settings that trust this token server.
    pub fn auth_config(&self) -> TokenAuthConfig {
        TokenAuthConfig {
            realm: self.realm(),
            service: self.service().to_owned(),
            issuer: self.issuer().to_owned(),
            root_cert_bundle_pem: self.root_cert_bundle_pem().to_owned(),
        }
    }

    /// Signs a token for `subject` granting exactly `access`
    /// (`(type, name, actions)` triples), bypassing authentication.
    pub fn mint(&self, subject: &str, access: &[(&str, &str, &[&str])]) -> String {
        let access: Vec<Access> = access
            .iter()
            .map(|(kind, name, actions)| Access {
                kind: (*kind).to_owned(),
                name: (*name).to_owned(),
                actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            })
            .collect();
        let opts = &self.state.opts;
        self.state
            .signer
            .sign(
                &opts.issuer,
                &opts.service,
                subject,
                &access,
                opts.token_ttl_secs,
            )
            .expect("signing cannot fail: the key passed the self-test in TokenServer::start")
    }

    /// Every request received so far, oldest first.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// Computes token responses per request.
struct TokenResponder {
    state: Arc<State>,
}

/// Outcome of authenticating a request.
enum Principal {
    Anonymous,
    User(String),
}

fn error_response(status: u16, code: &str, message: &str) -> ResponseTemplate {
    let body = json!({ "errors": [{ "code": code, "message": message }] });
    let response = ResponseTemplate::new(status).set_body_json(body);
    if status == 401 {
        response.insert_header("WWW-Authenticate", "Basic realm=\"wharf-testkit-token\"")
    } else {
        response
    }
}

impl Respond for TokenResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match request.method.as_str() {
            "GET" => self.handle_get(request),
            "POST" if self.state.opts.support_post => self.handle_post(request),
            "POST" => error_response(
                404,
                "NOT_FOUND",
                "POST is not supported by this token server",
            ),
            _ => error_response(405, "UNSUPPORTED", "method not allowed"),
        }
    }
}

impl TokenResponder {
    fn check_password(&self, user: &str, pass: &str) -> bool {
        self.state
            .opts
            .users
            .iter()
            .any(|(u, p)| u == user && p == pass)
    }

    /// Authenticates the `Authorization` header of a `GET`; `None` means the
    /// credentials are invalid (or not Basic).
    fn authenticate_header(&self, request: &Request) -> Option<Principal> {
        let Some(value) = request.headers.get("authorization") else {
            return Some(Principal::Anonymous);
        };
        let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, pass) = decoded.split_once(':')?;
        self.check_password(user, pass)
            .then(|| Principal::User(user.to_owned()))
    }

    fn handle_get(&self, request: &Request) -> ResponseTemplate {
        let Some(principal) = self.authenticate_header(request) else {
            return error_response(401, "UNAUTHORIZED", "invalid credentials");
        };
        let mut service = None;
        let mut scopes = Vec::new();
        let mut offline = false;
        for (key, value) in request.url.query_pairs() {
            match key.as_ref() {
                "service" => service = Some(value.into_owned()),
                "scope" => scopes.extend(value.split_whitespace().map(str::to_owned)),
                "offline_token" => offline = value == "true",
                _ => {}
            }
        }
        let refresh = offline && matches!(principal, Principal::User(_));
        self.issue(&principal, service.as_deref(), &scopes, refresh)
    }

    fn handle_post(&self, request: &Request) -> ResponseTemplate {
        let is_form = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return error_response(
                400,
                "INVALID_REQUEST",
                "expected an application/x-www-form-urlencoded body",
            );
        }
        let params: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let get = |key: &str| params.get(key).map(String::as_str);
        let scopes: Vec<String> = get("scope")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let unauthorized = || error_response(401, "UNAUTHORIZED", "invalid credentials");
        match get("grant_type") {
            Some("password") => {
                let (Some(user), Some(pass)) = (get("username"), get("password")) else {
                    return error_response(
                        400,
                        "INVALID_REQUEST",
                        "username and password required",
                    );
                };
                if !self.check_password(user, pass) {
                    return unauthorized();
                }
                self.issue(
                    &Principal::User(user.to_owned()),
                    get("service"),
                    &scopes,
                    true,
                )
            }
            Some("refresh_token") => {
                let Some(token) = get("refresh_token") else {
                    return error_response(400, "INVALID_REQUEST", "refresh_token required");
                };
                let user = self
                    .state
                    .refresh_tokens
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(token)
                    .cloned();
                match user {
                    Some(user) => {
                        self.issue(&Principal::User(user), get("service"), &scopes, false)
                    }
                    None => unauthorized(),
                }
            }
            _ => error_response(400, "UNSUPPORTED_GRANT_TYPE", "unsupported grant_type"),
        }
    }

    /// Grants access for `scopes` and answers with a signed token.
    fn issue(
        &self,
        principal: &Principal,
        service: Option<&str>,
        scopes: &[String],
        with_refresh_token: bool,
    ) -> ResponseTemplate {
        let opts = &self.state.opts;
        if let Some(service) = service
            && service != opts.service
        {
            return error_response(
                400,
                "INVALID_REQUEST",
                &format!("unknown service {service:?}"),
            );
        }
        let mut access = Vec::new();
        for raw in scopes {
            let Some(scope) = Scope::parse(raw) else {
                return error_response(400, "INVALID_REQUEST", &format!("invalid scope {raw:?}"));
            };
            let actions = match principal {
                Principal::User(_) => scope.actions,
                Principal::Anonymous if opts.anonymous_pull && scope.kind == "repository" => {
                    scope.actions.into_iter().filter(|a| a == "pull").collect()
                }
                Principal::Anonymous => Vec::new(),
            };
            if !actions.is_empty() {
                access.push(Access {
                    kind: scope.kind,
                    name: scope.name,
                    actions,
                });
            }
        }
        let subject = match principal {
            Principal::User(user) => user.as_str(),
            Principal::Anonymous => "",
        };
        let token = match self.state.signer.sign(
            &opts.issuer,
            &opts.service,
            subject,
            &access,
            opts.token_ttl_secs,
        ) {
            Ok(token) => token,
            Err(err) => return error_response(500, "UNKNOWN", &format!("{err:#}")),
        };
        let mut body = json!({
            "token": token,
            "access_token": token,
            "expires_in": opts.token_ttl_secs,
            "issued_at": jiff::Timestamp::now().to_string(),
        });
        if with_refresh_token {
            let refresh = random_token();
            self.state
                .refresh_tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(refresh.clone(), subject.to_owned());
            body["refresh_token"] = json!(refresh);
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn key_id_has_twelve_groups_of_four() {
        let kid = libtrust_key_id(b"not really a key");
        let groups: Vec<&str> = kid.split(':').collect();
        assert_eq!(groups.len(), 12);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert!(
            kid.chars()
                .all(|c| c == ':' || c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        );
    }

    #[test]
    fn scopes_split_on_first_and_last_colon() {
        assert_eq!(
            Scope::parse("repository:library/alpine:pull,push"),
            Some(Scope {
                kind: "repository".into(),
                name: "library/alpine".into(),
                actions: vec!["pull".into(), "push".into()],
            })
        );
        assert_eq!(
            Scope::parse("repository:host:5000/a/b:pull").map(|s| s.name),
            Some("host:5000/a/b".into())
        );
        assert_eq!(
            Scope::parse("registry:catalog:*").map(|s| s.actions),
            Some(vec!["*".into()])
        );
        assert_eq!(Scope::parse("repository:alpine"), None);
        assert_eq!(Scope::parse("::pull"), None);
    }
}
