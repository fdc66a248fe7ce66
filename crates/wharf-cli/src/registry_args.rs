//! Registry connection flags shared by every command that talks to a
//! registry, and how they become a [`ClientConfig`].

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use wharf_registry::{ClientConfig, Credentials, DockerConfig, Limits, RegistryEndpoint};

/// How to reach and authenticate to a registry.
#[derive(Args, Debug, Clone)]
pub(crate) struct RegistryArgs {
    /// User name for the registry (password from --password-stdin or
    /// WHARF_PASSWORD; a personal access token works as the password).
    #[arg(long, short = 'u', env = "WHARF_USERNAME")]
    pub(crate) username: Option<String>,
    /// Read the password or access token from standard input.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// Docker client config with credentials (`auths`, `credHelpers`,
    /// `credsStore`). Default: $DOCKER_CONFIG/config.json or
    /// ~/.docker/config.json.
    #[arg(long, env = "WHARF_DOCKER_CONFIG", value_name = "FILE")]
    pub(crate) docker_config: Option<PathBuf>,
    /// Do not read Docker's config for credentials.
    #[arg(long)]
    pub(crate) no_docker_config: bool,
    /// Trust this CA certificate (PEM) in addition to the system roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Vec<PathBuf>,
    /// Allow plain HTTP and unverified TLS for this registry.
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Most requests in flight to the registry at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,
    /// Most requests per second to the registry (default: no cap).
    #[arg(long, value_name = "RPS")]
    pub(crate) rate_limit: Option<f64>,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) timeout: u64,
    /// Retries on connection errors, 5xx and 429.
    #[arg(long, default_value_t = 4)]
    pub(crate) retries: u32,
}

impl RegistryArgs {
    /// Resolve credentials (flags, then environment, then Docker config)
    /// and build the client configuration for `endpoint`.
    pub(crate) async fn client_config(
        &self,
        endpoint: &RegistryEndpoint,
    ) -> anyhow::Result<ClientConfig> {
        let credentials = self.credentials(endpoint).await?;
        tracing::debug!(registry = %endpoint.host(), credentials = ?credentials, "credentials resolved");
        if let Some(rate) = self.rate_limit
            && !(rate.is_finite() && rate > 0.0)
        {
            bail!("--rate-limit must be a positive number of requests per second");
        }
        let limits = Limits {
            max_concurrent_requests: usize::from(self.concurrency),
            requests_per_second: self.rate_limit,
            request_timeout: Duration::from_secs(self.timeout.max(1)),
            max_retries: self.retries,
            ..Limits::default()
        };
        Ok(ClientConfig {
            credentials,
            insecure: self.insecure,
            ca_certs: self.ca_cert.clone(),
            limits,
            ..ClientConfig::default()
        })
    }

    async fn credentials(&self, endpoint: &RegistryEndpoint) -> anyhow::Result<Credentials> {
        let env_password = std::env::var("WHARF_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty());
        match (&self.username, self.password_stdin) {
            (Some(user), true) => {
                let mut pw = String::new();
                std::io::stdin()
                    .read_to_string(&mut pw)
                    .context("reading the password from standard input")?;
                let pw = pw.trim_end_matches(['\n', '\r']);
                if pw.is_empty() {
                    bail!("--password-stdin: standard input was empty");
                }
                return Ok(Credentials::basic(user.clone(), pw));
            }
            (None, true) => bail!("--password-stdin needs --username"),
            (Some(user), false) => {
                let Some(pw) = env_password else {
                    bail!(
                        "--username {user} needs a password: use --password-stdin or WHARF_PASSWORD"
                    );
                };
                return Ok(Credentials::basic(user.clone(), pw));
            }
            (None, false) => {}
        }
        if let Some(c) = Credentials::from_env()? {
            return Ok(c);
        }
        if self.no_docker_config {
            return Ok(Credentials::Anonymous);
        }
        let path = match &self.docker_config {
            Some(p) => Some(p.clone()),
            None => DockerConfig::default_path(),
        };
        if let Some(path) = path {
            let cfg = DockerConfig::load(&path)?;
            if let Some(c) = cfg.credentials_for(endpoint.host()).await? {
                tracing::debug!(config = %path.display(), "using credentials from Docker config");
                return Ok(c);
            }
        }
        Ok(Credentials::Anonymous)
    }
}
