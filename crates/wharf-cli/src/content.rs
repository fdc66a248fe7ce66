//! The content scanners of `wharf scan` (secrets, malware): their flags
//! and their construction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use wharf_analyzers::ContentScanner;
use wharf_malware::{HashDb, MalwareConfig, MalwareScanner};
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};

/// Flags of the secret and malware scanners.
#[derive(Args, Debug)]
pub(crate) struct ContentArgs {
    /// Secret rules in gitleaks TOML format: with `[extend] useDefault =
    /// true` they add to (or, by id, override) the built-in rules; without
    /// it they replace them.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_config: Option<PathBuf>,
    /// Key file for secret fingerprints (keyed hashes that identify the
    /// same secret across images); created on first use. It is state, not
    /// cache: clearing the cache must not change every fingerprint
    /// (default: $XDG_STATE_HOME/wharf/secret-fingerprint.key, else
    /// ~/.local/state/wharf/secret-fingerprint.key).
    #[arg(long, env = "WHARF_FINGERPRINT_KEY", value_name = "FILE")]
    pub(crate) fingerprint_key: Option<PathBuf>,
    /// A directory of YARA rules (`.yar`/`.yara`) to add to the bundled
    /// malware rules; may be repeated.
    #[arg(long, value_name = "DIR")]
    pub(crate) malware_rules: Vec<PathBuf>,
}

/// `$XDG_CACHE_HOME`, else `~/.cache`.
pub(crate) fn cache_home() -> anyhow::Result<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("cannot locate a cache directory: set HOME, XDG_CACHE_HOME or the command's directory flags")
}

impl ContentArgs {
    /// Build the selected content scanners.
    pub(crate) fn scanners(
        &self,
        secret: bool,
        malware: bool,
        db_dir: &Path,
    ) -> anyhow::Result<Vec<Arc<dyn ContentScanner>>> {
        let mut scanners: Vec<Arc<dyn ContentScanner>> = Vec::new();
        if secret {
            scanners.push(Arc::new(self.secret_scanner()?));
        }
        if malware {
            scanners.push(Arc::new(self.malware_scanner(db_dir)?));
        }
        Ok(scanners)
    }

    /// Bundled and `--malware-rules` YARA rules, and the hash lists of the
    /// local database when there is one.
    fn malware_scanner(&self, db_dir: &Path) -> anyhow::Result<MalwareScanner> {
        let signatures = match wharf_vulndb::store::load_malware_hashes(db_dir) {
            Ok(s) => s,
            Err(wharf_vulndb::store::StoreError::Missing(_)) => {
                tracing::info!(
                    "no local database in {}: malware hash lists not used (wharf db update --source FILE.hdb)",
                    db_dir.display()
                );
                Vec::new()
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("loading malware hash lists from {}", db_dir.display())
                });
            }
        };
        let hashes = HashDb::from_entries(
            signatures
                .into_iter()
                .map(|s| (s.algorithm, s.hash, s.size, s.name)),
        )
        .context("loading malware hash lists")?;
        let config = MalwareConfig {
            rules_dirs: self.malware_rules.clone(),
            ..MalwareConfig::default()
        };
        let scanner = MalwareScanner::new(config, hashes).context("compiling the malware rules")?;
        tracing::debug!(
            rules = scanner.rule_count(),
            hashes = scanner.hash_count(),
            "malware scanner ready"
        );
        Ok(scanner)
    }

    fn secret_scanner(&self) -> anyhow::Result<SecretScanner> {
        let config = match &self.secret_config {
            Some(path) => {
                let config = SecretConfig::load(path)
                    .with_context(|| format!("loading secret rules from {}", path.display()))?;
                for rejected in &config.rejected {
                    tracing::warn!("secret rule left out: {rejected}");
                }
                config
            }
            None => SecretConfig::builtin(),
        };
        let key = self.fingerprint_key()?;
        let scanner = SecretScanner::new(config, key).context("compiling the secret rules")?;
        tracing::debug!(rules = scanner.rule_count(), "secret scanner ready");
        Ok(scanner)
    }

    /// The installation's fingerprint key: `--fingerprint-key`, else
    /// `secret-fingerprint.key` in wharf's state directory. When the
    /// default file cannot be created (no writable home), a one-off key is
    /// used and fingerprints are only comparable within this run.
    fn fingerprint_key(&self) -> anyhow::Result<FingerprintKey> {
        if let Some(path) = &self.fingerprint_key {
            return FingerprintKey::load_or_create(path)
                .with_context(|| format!("fingerprint key {}", path.display()));
        }
        let default = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
            })
            .context("no state directory: set --fingerprint-key, XDG_STATE_HOME or HOME")
            .map(|d| d.join("wharf").join("secret-fingerprint.key"));
        let key = default
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .and_then(|p| FingerprintKey::load_or_create(p).map_err(anyhow::Error::from));
        match key {
            Ok(k) => Ok(k),
            Err(e) => {
                tracing::warn!(
                    "cannot keep a fingerprint key ({e:#}); using a one-off key: secret fingerprints will differ from other runs (set --fingerprint-key)"
                );
                FingerprintKey::random().context("reading /dev/urandom")
            }
        }
    }
}
