//! Server settings: defaults, then a TOML file, then `WHARF_*` environment
//! variables, then command-line flags (the CLI applies those). Every key is
//! documented in `docs/server.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ServerError;

/// Everything `wharf serve` needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data directory: SQLite database, keys, layer cache, vulnerability
    /// database (each overridable).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `DATA_DIR/wharf.db`.
    pub database_url: Option<String>,
    /// File holding the base64 key that seals registry credentials; default
    /// `DATA_DIR/secret.key` (created, mode 0600). `WHARF_SECRET_KEY`
    /// (base64) takes precedence.
    pub secret_key_file: Option<PathBuf>,
    /// Vulnerability database directory (`wharf db update --db-dir`);
    /// default `DATA_DIR/db`.
    pub vulndb_dir: Option<PathBuf>,
    /// Layer cache; default `DATA_DIR/cache`.
    pub cache_dir: Option<PathBuf>,
    /// Seconds between scheduled re-evaluations (default 86400: 24 hours).
    pub reevaluate_interval_secs: u64,
    /// Concurrent jobs (scans, discoveries) in this process.
    pub workers: usize,
    /// Concurrent scans against one registry.
    pub registry_concurrency: usize,
    /// Job lease in seconds: a job whose worker stops renewing it for this
    /// long is run again.
    pub lease_secs: u64,
    /// Scheduler tick in seconds.
    pub tick_secs: u64,
    /// Attempts per job before it fails for good.
    pub max_attempts: u32,
    /// Policy file (TOML, as `wharf scan --policy`); default: built-in.
    pub policy_file: Option<PathBuf>,
    /// Run the secret scanner.
    pub secrets: bool,
    /// Run the malware scanner.
    pub malware: bool,
    /// `json` (default) or `text` logs.
    pub log_format: String,
    /// Initial admin token (else one is generated and written to
    /// `DATA_DIR/admin.token` on first start).
    #[serde(skip)]
    pub admin_token: Option<String>,
    /// Base64 secret key from the environment.
    #[serde(skip)]
    pub secret_key: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("wharf-data"),
            database_url: None,
            secret_key_file: None,
            vulndb_dir: None,
            cache_dir: None,
            reevaluate_interval_secs: 86_400,
            workers: 2,
            registry_concurrency: 2,
            lease_secs: 60,
            tick_secs: 5,
            max_attempts: 5,
            policy_file: None,
            secrets: true,
            malware: true,
            log_format: "json".into(),
            admin_token: None,
            secret_key: None,
        }
    }
}

impl Config {
    /// Defaults, overridden by `file` (if given) and then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ServerError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Apply `WHARF_*` variables read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ServerError> {
        fn num<T: std::str::FromStr>(key: &str, v: String) -> Result<T, ServerError> {
            v.parse()
                .map_err(|_| ServerError::Config(format!("{key}={v:?} is not a number")))
        }
        if let Some(v) = get("WHARF_LISTEN") {
            self.listen = v
                .parse()
                .map_err(|_| ServerError::Config(format!("WHARF_LISTEN={v:?} is not HOST:PORT")))?;
        }
        if let Some(v) = get("WHARF_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("WHARF_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = get("WHARF_SECRET_KEY_FILE") {
            self.secret_key_file = Some(v.into());
        }
        if let Some(v) = get("WHARF_SECRET_KEY") {
            self.secret_key = Some(v);
        }
        if let Some(v) = get("WHARF_DB_DIR") {
            self.vulndb_dir = Some(v.into());
        }
        if let Some(v) = get("WHARF_CACHE_DIR") {
            self.cache_dir = Some(v.into());
        }
        if let Some(v) = get("WHARF_REEVALUATE_INTERVAL_SECS") {
            self.reevaluate_interval_secs = num("WHARF_REEVALUATE_INTERVAL_SECS", v)?;
        }
        if let Some(v) = get("WHARF_WORKERS") {
            self.workers = num("WHARF_WORKERS", v)?;
        }
        if let Some(v) = get("WHARF_REGISTRY_CONCURRENCY") {
            self.registry_concurrency = num("WHARF_REGISTRY_CONCURRENCY", v)?;
        }
        if let Some(v) = get("WHARF_LEASE_SECS") {
            self.lease_secs = num("WHARF_LEASE_SECS", v)?;
        }
        if let Some(v) = get("WHARF_TICK_SECS") {
            self.tick_secs = num("WHARF_TICK_SECS", v)?;
        }
        if let Some(v) = get("WHARF_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = get("WHARF_LOG_FORMAT") {
            self.log_format = v;
        }
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("wharf.db").display())
        })
    }

    /// The vulnerability database directory in effect.
    pub fn vulndb_dir(&self) -> PathBuf {
        self.vulndb_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("db"))
    }

    /// The layer cache in effect.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
    }

    /// The secret-key file in effect.
    pub fn secret_key_file(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// Check ranges.
    pub fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: &str| Err(ServerError::Config(m.to_owned()));
        if self.workers == 0 {
            return bad("workers must be at least 1");
        }
        if self.registry_concurrency == 0 {
            return bad("registry_concurrency must be at least 1");
        }
        if self.lease_secs < 2 {
            return bad("lease_secs must be at least 2");
        }
        if self.tick_secs == 0 {
            return bad("tick_secs must be at least 1");
        }
        if self.reevaluate_interval_secs < 60 {
            return bad("reevaluate_interval_secs must be at least 60");
        }
        if !matches!(self.log_format.as_str(), "json" | "text") {
            return bad("log_format must be json or text");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("wharf.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/wharf\"\nworkers = 4\n",
        )?;
        let mut c = Config::load(Some(&path))?;
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.workers, 4);
        assert_eq!(c.vulndb_dir(), PathBuf::from("/srv/wharf/db"));
        assert!(c.database_url().starts_with("sqlite:///srv/wharf/wharf.db"));
        c.apply_env(|k| match k {
            "WHARF_WORKERS" => Some("8".into()),
            "WHARF_DATABASE_URL" => Some("postgres://u@h/db".into()),
            _ => None,
        })?;
        assert_eq!((c.workers, c.database_url().as_str()), (8, "postgres://u@h/db"));
        assert!(c.apply_env(|k| (k == "WHARF_WORKERS").then(|| "many".into())).is_err());
        c.validate()?;
        c.workers = 0;
        assert!(c.validate().is_err());
        std::fs::write(&path, "listn = 1\n")?;
        let err = Config::load(Some(&path)).expect_err("unknown key accepted").to_string();
        assert!(err.contains("listn"), "{err}");
        Ok(())
    }
}
