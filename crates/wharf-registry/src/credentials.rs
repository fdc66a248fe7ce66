//! Registry credentials and where they come from: explicit values, the
//! environment, and Docker's `config.json` (`auths` entries, `credHelpers`,
//! `credsStore`) including external `docker-credential-*` helpers.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use wharf_types::{DOCKER_HUB_HOST, SecretString, normalize_registry_host};

use crate::error::{RegistryError, Result};

/// How wharf authenticates to one registry.
///
/// `Debug` shows the kind and the user name, never a password or token.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials: anonymous pulls, anonymous bearer tokens.
    #[default]
    Anonymous,
    /// User name and password (or a personal access token used as password,
    /// as GHCR, Docker Hub and Quay accept).
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: SecretString,
    },
    /// An OAuth2 refresh ("identity") token, exchanged at the token realm
    /// with `grant_type=refresh_token` (ACR, Docker Desktop logins).
    IdentityToken {
        /// The account name, when known.
        username: Option<String>,
        /// The refresh token.
        token: SecretString,
    },
    /// A registry bearer token obtained elsewhere, sent as is.
    Bearer(SecretString),
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether these are anonymous.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// The account name, if any (safe to log).
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Basic { username, .. } => Some(username),
            Self::IdentityToken { username, .. } => username.as_deref(),
            _ => None,
        }
    }

    /// The secret values these credentials hold (for leak tests and redaction).
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Self::Anonymous => vec![],
            Self::Basic { password, .. } => vec![password.expose()],
            Self::IdentityToken { token, .. } | Self::Bearer(token) => vec![token.expose()],
        }
    }

    /// Read credentials from `WHARF_USERNAME` + `WHARF_PASSWORD`,
    /// `WHARF_IDENTITY_TOKEN` or `WHARF_BEARER_TOKEN`.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let nonempty = |k: &str| get(k).filter(|v| !v.is_empty());
        let username = nonempty("WHARF_USERNAME");
        if let Some(token) = nonempty("WHARF_IDENTITY_TOKEN") {
            return Ok(Some(Self::IdentityToken {
                username,
                token: token.into(),
            }));
        }
        if let Some(token) = nonempty("WHARF_BEARER_TOKEN") {
            return Ok(Some(Self::Bearer(token.into())));
        }
        match (username, nonempty("WHARF_PASSWORD")) {
            (Some(u), Some(p)) => Ok(Some(Self::basic(u, p))),
            (Some(_), None) => Err(RegistryError::Credentials(
                "WHARF_USERNAME is set but WHARF_PASSWORD is not".into(),
            )),
            (None, Some(_)) => Err(RegistryError::Credentials(
                "WHARF_PASSWORD is set but WHARF_USERNAME is not".into(),
            )),
            (None, None) => Ok(None),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Self::IdentityToken { username, .. } => write!(f, "IdentityToken({username:?}, ***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// The parts of Docker's `config.json` that hold registry credentials.
#[derive(Default, Deserialize)]
struct RawDockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, RawAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// Docker's (or Podman's) client configuration, loaded once.
pub struct DockerConfig {
    path: PathBuf,
    raw: RawDockerConfig,
    helper_timeout: Duration,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("registries", &self.raw.auths.keys().collect::<Vec<_>>())
            .field("cred_helpers", &self.raw.cred_helpers)
            .field("creds_store", &self.raw.creds_store)
            .finish()
    }
}

/// The server URL Docker's tools use as the key for Docker Hub.
const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

fn config_key_host(key: &str) -> String {
    let k = key
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = k.split('/').next().unwrap_or(k);
    normalize_registry_host(host)
}

impl DockerConfig {
    /// The default location: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`; `None` when neither can be determined.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
    }

    /// Load a config file. A missing file yields an empty config.
    pub fn load(path: &Path) -> Result<Self> {
        let raw = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                RegistryError::Credentials(format!(
                    "{}: not a valid Docker config: {e}",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RawDockerConfig::default(),
            Err(e) => {
                return Err(RegistryError::Credentials(format!(
                    "{}: {e}",
                    path.display()
                )));
            }
        };
        Ok(Self {
            path: path.to_owned(),
            raw,
            helper_timeout: Duration::from_secs(30),
        })
    }

    /// Credentials for a registry host (`registry-1.docker.io` for Hub):
    /// a per-registry `credHelpers` entry first, then an `auths` entry, then
    /// the default `credsStore`.
    pub async fn credentials_for(&self, host: &str) -> Result<Option<Credentials>> {
        let host = normalize_registry_host(host);
        let helper = self
            .raw
            .cred_helpers
            .iter()
            .find(|(k, _)| config_key_host(k) == host)
            .map(|(_, v)| v.clone());
        if let Some(h) = helper {
            return self.run_helper(&h, &host).await;
        }
        if let Some((_, entry)) = self
            .raw
            .auths
            .iter()
            .find(|(k, _)| config_key_host(k) == host)
            && let Some(c) = self.decode_entry(entry, &host)?
        {
            return Ok(Some(c));
        }
        match &self.raw.creds_store {
            Some(store) if !store.is_empty() => self.run_helper(store, &host).await,
            _ => Ok(None),
        }
    }

    fn decode_entry(&self, e: &RawAuth, host: &str) -> Result<Option<Credentials>> {
        if let Some(t) = e.registrytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials::Bearer(t.into())));
        }
        let (mut user, mut pass) = (e.username.clone(), e.password.clone());
        if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    RegistryError::Credentials(format!(
                        "{}: the \"auth\" entry for {host} is not base64 of user:password",
                        self.path.display()
                    ))
                })?;
            let (u, p) = decoded.split_once(':').ok_or_else(|| {
                RegistryError::Credentials(format!(
                    "{}: the \"auth\" entry for {host} has no ':' between user and password",
                    self.path.display()
                ))
            })?;
            user = Some(u.to_owned());
            pass = Some(p.to_owned());
        }
        if let Some(t) = e.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials::IdentityToken {
                username: user.filter(|u| !u.is_empty()),
                token: t.into(),
            }));
        }
        Ok(match (user, pass) {
            (Some(u), Some(p)) if !u.is_empty() => Some(Credentials::basic(u, p)),
            _ => None,
        })
    }

    async fn run_helper(&self, helper: &str, host: &str) -> Result<Option<Credentials>> {
        if helper.is_empty()
            || !helper
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(RegistryError::Credentials(format!(
                "invalid credential helper name {helper:?}"
            )));
        }
        let program = format!("docker-credential-{helper}");
        let server = if host == DOCKER_HUB_HOST {
            DOCKER_HUB_CONFIG_KEY.to_owned()
        } else {
            host.to_owned()
        };
        let fail = |reason: String| {
            RegistryError::Credentials(format!("credential helper {program} for {host}: {reason}"))
        };
        let mut child = tokio::process::Command::new(&program)
            .arg("get")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(format!("cannot run: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(server.as_bytes())
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        let out = tokio::time::timeout(self.helper_timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                fail(format!(
                    "no answer within {}s",
                    self.helper_timeout.as_secs()
                ))
            })?
            .map_err(|e| fail(e.to_string()))?;
        if !out.status.success() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            if stdout.contains("credentials not found") {
                return Ok(None);
            }
            // Helpers print short diagnostics; keep them short and single-line.
            let msg: String = stdout.trim().chars().take(200).collect();
            return Err(fail(format!("exited with {}: {msg}", out.status)));
        }
        #[derive(Deserialize)]
        struct HelperOut {
            #[serde(rename = "Username", default)]
            username: String,
            #[serde(rename = "Secret", default)]
            secret: String,
        }
        let parsed: HelperOut = serde_json::from_slice(&out.stdout)
            .map_err(|e| fail(format!("invalid JSON answer: {e}")))?;
        if parsed.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(if parsed.username == "<token>" {
            Credentials::IdentityToken {
                username: None,
                token: parsed.secret.into(),
            }
        } else {
            Credentials::basic(parsed.username, parsed.secret)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_config(dir: &Path, json: &str) -> PathBuf {
        let p = dir.join("config.json");
        std::fs::write(&p, json).expect("write config");
        p
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::basic("alice", "s3cr3t-pass");
        let d = format!("{c:?}");
        assert!(d.contains("alice") && !d.contains("s3cr3t"), "{d}");
        let c = Credentials::IdentityToken {
            username: None,
            token: "refresh-xyz".into(),
        };
        assert!(!format!("{c:?}").contains("refresh-xyz"));
        assert!(!format!("{:?}", Credentials::Bearer("tok-abc".into())).contains("tok-abc"));
    }

    #[test]
    fn env_sources() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c =
            Credentials::from_env_with(env(&[("WHARF_USERNAME", "u"), ("WHARF_PASSWORD", "p")]))
                .expect("ok")
                .expect("some");
        assert!(matches!(c, Credentials::Basic { ref username, .. } if username == "u"));
        assert!(Credentials::from_env_with(env(&[("WHARF_USERNAME", "u")])).is_err());
        let c = Credentials::from_env_with(env(&[("WHARF_IDENTITY_TOKEN", "t")])).expect("ok");
        assert!(matches!(c, Some(Credentials::IdentityToken { .. })));
        assert!(Credentials::from_env_with(env(&[])).expect("ok").is_none());
    }

    #[tokio::test]
    async fn docker_config_auths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let auth = base64::engine::general_purpose::STANDARD.encode("bob:pa:ss");
        let p = write_config(
            dir.path(),
            &format!(
                r#"{{"auths": {{
                    "https://index.docker.io/v1/": {{"auth": "{auth}"}},
                    "registry.example.com:5000": {{"username": "x", "password": "y"}},
                    "acr.example.io": {{"auth": "{auth}", "identitytoken": "refresh-1"}}
                }}}}"#
            ),
        );
        let cfg = DockerConfig::load(&p).expect("load");
        let hub = cfg
            .credentials_for("docker.io")
            .await
            .expect("ok")
            .expect("some");
        match hub {
            Credentials::Basic { username, password } => {
                assert_eq!(username, "bob");
                assert_eq!(password.expose(), "pa:ss");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            cfg.credentials_for("registry.example.com:5000")
                .await
                .expect("ok")
                .is_some()
        );
        assert!(matches!(
            cfg.credentials_for("acr.example.io").await.expect("ok"),
            Some(Credentials::IdentityToken { .. })
        ));
        assert!(
            cfg.credentials_for("other.example")
                .await
                .expect("ok")
                .is_none()
        );
        let missing = DockerConfig::load(&dir.path().join("nope.json")).expect("missing is empty");
        assert!(
            missing
                .credentials_for("docker.io")
                .await
                .expect("ok")
                .is_none()
        );
    }

    #[tokio::test]
    async fn bad_docker_config_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write_config(
            dir.path(),
            r#"{"auths": {"r.example": {"auth": "!!!notbase64"}}}"#,
        );
        let cfg = DockerConfig::load(&p).expect("load");
        let err = cfg
            .credentials_for("r.example")
            .await
            .expect_err("bad auth");
        assert!(err.to_string().contains("r.example"), "{err}");
        let p = write_config(dir.path(), "{not json");
        assert!(DockerConfig::load(&p).is_err());
    }
}
