//! A real CNCF Distribution registry on loopback, for integration tests.
//!
//! [`TestRegistry::start`] writes a configuration into a private temporary
//! directory (storage, TLS material, htpasswd file, token root certificates and
//! the registry log all live there), spawns the registry binary and waits until
//! `GET /v2/` answers. Dropping the [`TestRegistry`] kills the process and
//! removes the directory.
//!
//! The binary is found through `WHARF_REGISTRY_BIN`, else `docker-registry` on
//! `PATH` (Debian's package), else `registry` on `PATH` (upstream's name).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

use crate::push::{PushAuth, Pusher, http_client};

/// Environment variable naming the registry binary to run.
pub const REGISTRY_BIN_ENV: &str = "WHARF_REGISTRY_BIN";

/// How long [`TestRegistry::start`] waits for `GET /v2/` to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Interval between readiness probes.
const READY_POLL: Duration = Duration::from_millis(50);
/// Attempts made when the chosen port turns out to be taken.
const START_ATTEMPTS: usize = 3;
/// bcrypt cost for htpasswd entries: the minimum, tests only.
const BCRYPT_COST: u32 = 4;

/// Token authentication settings for the registry (`auth.token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAuthConfig {
    /// URL of the token endpoint announced in the Bearer challenge.
    pub realm: String,
    /// Service name; tokens must have it as audience.
    pub service: String,
    /// Issuer; tokens must have it as `iss`.
    pub issuer: String,
    /// PEM certificate(s) whose public keys may sign tokens.
    pub root_cert_bundle_pem: String,
}

/// Options for [`TestRegistry::start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryOptions {
    /// Serve HTTPS with a certificate for `127.0.0.1` and `localhost` signed by
    /// a freshly generated test CA (see [`TestRegistry::ca_pem`]).
    pub tls: bool,
    /// Users for htpasswd (Basic) authentication; empty means none.
    pub htpasswd: Vec<(String, String)>,
    /// Token authentication; cannot be combined with `htpasswd`.
    pub token: Option<TokenAuthConfig>,
    /// Registry log level (`log.level`): `error`, `warn`, `info` or `debug`.
    pub log_level: String,
    /// Whether the registry writes an access log line per request.
    pub access_log: bool,
    /// Maximum page size of `GET /v2/_catalog` (`catalog.maxentries`).
    pub catalog_max_entries: u32,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            tls: false,
            htpasswd: Vec::new(),
            token: None,
            log_level: "warn".to_owned(),
            access_log: false,
            catalog_max_entries: 1000,
        }
    }
}

/// TLS material generated for a registry.
#[derive(Debug)]
struct TlsFiles {
    ca_pem: String,
    ca_path: PathBuf,
    cert_path: PathBuf,
    key_path: PathBuf,
}

/// A running Distribution registry. Killed (and its storage removed) on drop.
#[derive(Debug)]
pub struct TestRegistry {
    child: Option<Child>,
    port: u16,
    tls: Option<TlsFiles>,
    log_path: PathBuf,
    storage_dir: PathBuf,
    // Declared last so the directory outlives the process handle on drop.
    dir: TempDir,
}

/// Finds the registry binary: `$WHARF_REGISTRY_BIN`, `docker-registry` or
/// `registry` on `PATH`.
pub fn find_registry_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os(REGISTRY_BIN_ENV).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        if bin.is_file() {
            return Ok(bin);
        }
        bail!(
            "{REGISTRY_BIN_ENV}={} does not name an existing file",
            bin.display()
        );
    }
    for name in ["docker-registry", "registry"] {
        if let Some(path) = find_on_path(name) {
            return Ok(path);
        }
    }
    bail!(
        "no Distribution registry binary found: install it with `apt-get install docker-registry` \
         or set {REGISTRY_BIN_ENV} to the path of a `registry` binary"
    )
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Picks a free loopback port by binding port 0 and releasing it.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe port")?;
    Ok(listener.local_addr().context("reading probe port")?.port())
}

/// Quotes a string as a YAML (JSON-compatible) double-quoted scalar.
fn yaml_str(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("path {} is not UTF-8", path.display()))
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// Generates a CA and a server certificate for `127.0.0.1` / `localhost`.
fn generate_tls(dir: &Path) -> Result<TlsFiles> {
    let ca_key = KeyPair::generate().context("generating CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).context("CA params")?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wharf-testkit CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).context("self-signing test CA")?;

    let server_key = KeyPair::generate().context("generating server key")?;
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .context("server certificate params")?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "wharf-testkit registry");
    server_params.is_ca = IsCa::NoCa;
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .context("signing server certificate")?;

    let files = TlsFiles {
        ca_pem: ca.pem(),
        ca_path: dir.join("ca.pem"),
        cert_path: dir.join("server.pem"),
        key_path: dir.join("server-key.pem"),
    };
    std::fs::write(&files.ca_path, &files.ca_pem).context("writing CA certificate")?;
    std::fs::write(&files.cert_path, server_cert.pem()).context("writing server certificate")?;
    std::fs::write(&files.key_path, server_key.serialize_pem()).context("writing server key")?;
    Ok(files)
}

/// Writes an htpasswd file with bcrypt (`$2y$`) hashes.
fn write_htpasswd(path: &Path, users: &[(String, String)]) -> Result<()> {
    let mut contents = String::new();
    for (user, pass) in users {
        if user.contains(':') {
            bail!("htpasswd user name {user:?} contains ':'");
        }
        let hash = bcrypt::hash_with_result(pass, BCRYPT_COST)
            .with_context(|| format!("hashing password of {user}"))?
            .format_for_version(bcrypt::Version::TwoY);
        let _ = writeln!(contents, "{user}:{hash}");
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// Last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl TestRegistry {
    /// Starts a registry with `opts` and waits until it answers `GET /v2/`.
    pub async fn start(opts: RegistryOptions) -> Result<Self> {
        if opts.token.is_some() && !opts.htpasswd.is_empty() {
            bail!("a registry supports one auth method: set either htpasswd or token, not both");
        }
        let bin = find_registry_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("wharf-testkit-registry-")
            .tempdir()
            .context("creating registry temporary directory")?;
        let storage_dir = dir.path().join("storage");
        std::fs::create_dir_all(&storage_dir).context("creating storage directory")?;

        let tls = if opts.tls {
            Some(generate_tls(dir.path())?)
        } else {
            None
        };
        let htpasswd_path = dir.path().join("htpasswd");
        if !opts.htpasswd.is_empty() {
            write_htpasswd(&htpasswd_path, &opts.htpasswd)?;
        }
        let bundle_path = dir.path().join("token-root-certs.pem");
        if let Some(token) = &opts.token {
            std::fs::write(&bundle_path, &token.root_cert_bundle_pem)
                .context("writing token root certificate bundle")?;
        }

        let mut registry = Self {
            child: None,
            port: 0,
            tls,
            log_path: dir.path().join("registry.log"),
            storage_dir,
            dir,
        };
        let secret = random_hex(16);
        let mut attempt = 0;
        loop {
            attempt += 1;
            registry.port = free_port()?;
            let config = registry.config_yaml(&opts, &secret, &htpasswd_path, &bundle_path)?;
            let config_path = registry.dir.path().join("config.yml");
            std::fs::write(&config_path, config).context("writing registry config")?;
            // Only this attempt's output decides whether to retry.
            let log_start = registry.log_contents().len();
            registry.spawn(&bin, &config_path)?;
            match registry.wait_ready().await {
                Ok(()) => return Ok(registry),
                Err(err) => {
                    registry.stop();
                    let log = registry.log_contents();
                    let port_taken = log
                        .get(log_start..)
                        .is_some_and(|attempt_log| attempt_log.contains("address already in use"));
                    if port_taken && attempt < START_ATTEMPTS {
                        continue;
                    }
                    return Err(err.context(format!(
                        "starting {} (attempt {attempt}); registry log tail:\n{}",
                        bin.display(),
                        tail(&log, 30)
                    )));
                }
            }
        }
    }

    fn config_yaml(
        &self,
        opts: &RegistryOptions,
        secret: &str,
        htpasswd_path: &Path,
        bundle_path: &Path,
    ) -> Result<String> {
        let mut y = String::new();
        let _ = writeln!(y, "version: 0.1");
        let _ = writeln!(y, "log:");
        let _ = writeln!(y, "  level: {}", yaml_str(&opts.log_level));
        let _ = writeln!(y, "  formatter: text");
        let _ = writeln!(y, "  accesslog:");
        let _ = writeln!(y, "    disabled: {}", !opts.access_log);
        let _ = writeln!(y, "storage:");
        let _ = writeln!(y, "  filesystem:");
        let _ = writeln!(
            y,
            "    rootdirectory: {}",
            yaml_str(path_str(&self.storage_dir)?)
        );
        let _ = writeln!(y, "  delete:");
        let _ = writeln!(y, "    enabled: true");
        let _ = writeln!(y, "  maintenance:");
        let _ = writeln!(y, "    uploadpurging:");
        let _ = writeln!(y, "      enabled: false");
        let _ = writeln!(y, "http:");
        let _ = writeln!(y, "  addr: {}", yaml_str(&self.host()));
        let _ = writeln!(y, "  secret: {}", yaml_str(secret));
        let _ = writeln!(y, "  headers:");
        let _ = writeln!(y, "    X-Content-Type-Options: [nosniff]");
        if let Some(tls) = &self.tls {
            let _ = writeln!(y, "  tls:");
            let _ = writeln!(
                y,
                "    certificate: {}",
                yaml_str(path_str(&tls.cert_path)?)
            );
            let _ = writeln!(y, "    key: {}", yaml_str(path_str(&tls.key_path)?));
        }
        let _ = writeln!(y, "catalog:");
        let _ = writeln!(y, "  maxentries: {}", opts.catalog_max_entries);
        if !opts.htpasswd.is_empty() {
            let _ = writeln!(y, "auth:");
            let _ = writeln!(y, "  htpasswd:");
            let _ = writeln!(y, "    realm: {}", yaml_str("wharf-testkit"));
            let _ = writeln!(y, "    path: {}", yaml_str(path_str(htpasswd_path)?));
        }
        if let Some(token) = &opts.token {
            let _ = writeln!(y, "auth:");
            let _ = writeln!(y, "  token:");
            let _ = writeln!(y, "    realm: {}", yaml_str(&token.realm));
            let _ = writeln!(y, "    service: {}", yaml_str(&token.service));
            let _ = writeln!(y, "    issuer: {}", yaml_str(&token.issuer));
            let _ = writeln!(
                y,
                "    rootcertbundle: {}",
                yaml_str(path_str(bundle_path)?)
            );
        }
        Ok(y)
    }

    fn spawn(&mut self, bin: &Path, config_path: &Path) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .context("opening registry log file")?;
        let log_err = log.try_clone().context("duplicating registry log handle")?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg(config_path)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        // Distribution lets REGISTRY_* variables override the config file; keep
        // the caller's environment from leaking into test registries.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(key);
            }
        }
        let child = command
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2));
        let client = match self.ca_pem() {
            Some(pem) => client.tls_certs_merge([reqwest::Certificate::from_pem(pem.as_bytes())
                .context("parsing generated CA certificate")?]),
            None => client,
        }
        .build()
        .context("building readiness probe client")?;
        let probe = format!("{}/v2/", self.url());
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("polling registry process")?
            {
                bail!("registry exited early with {status}");
            }
            let last_error = match client.get(&probe).send().await {
                Ok(_) => return Ok(()),
                Err(err) => format!("{err:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "registry did not answer GET {probe} within {}s (last error: {last_error})",
                    READY_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// Kills the registry now and waits for it to exit. Idempotent; the
    /// temporary directory (storage, log) is kept until drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Errors mean the process already exited; nothing else to do.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the registry process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Listening port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, the registry host as used in image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.host())
    }

    /// PEM of the test CA that signed the server certificate (TLS only).
    pub fn ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|tls| tls.ca_pem.clone())
    }

    /// Path of the test CA certificate file (TLS only).
    pub fn ca_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|tls| tls.ca_path.clone())
    }

    /// Root directory of the registry's filesystem storage.
    pub fn storage_dir(&self) -> &Path {
        &self.storage_dir
    }

    /// Path of the registry's log file (its stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the registry has logged so far (empty if unreadable).
    pub fn log_contents(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// An HTTP client that trusts this registry's CA and bypasses proxies.
    pub fn http_client(&self) -> Result<reqwest::Client> {
        http_client(self.ca_pem().as_deref())
    }

    /// A [`Pusher`] for this registry.
    pub fn pusher(&self, auth: PushAuth) -> Result<Pusher> {
        Pusher::new(&self.url(), auth, self.ca_pem().as_deref())
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_strings_are_quoted() {
        assert_eq!(yaml_str("a: b"), "\"a: b\"");
        assert_eq!(yaml_str("quote\"back\\"), "\"quote\\\"back\\\\\"");
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }

    #[test]
    fn htpasswd_uses_2y_bcrypt() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("htpasswd");
        write_htpasswd(&path, &[("alice".into(), "secret".into())])?;
        let contents = std::fs::read_to_string(&path)?;
        let (user, hash) = contents.trim().split_once(':').context("no colon")?;
        assert_eq!(user, "alice");
        assert!(hash.starts_with("$2y$04$"), "{hash}");
        assert!(bcrypt::verify("secret", hash)?);
        Ok(())
    }
}
