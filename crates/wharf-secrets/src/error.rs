//! Typed errors of rule loading and compilation.

use std::path::PathBuf;

/// A rule (or allowlist) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule_id}{}: {message}", source_file.as_ref().map(|f| format!(" ({})", f.display())).unwrap_or_default())]
pub struct RuleError {
    /// The rule's id (`<global allowlist>` for global allowlists).
    pub rule_id: String,
    /// The rule file it came from (`None` for built-in rules).
    pub source_file: Option<PathBuf>,
    /// What is wrong (regex syntax, unsupported look-around, bad group…).
    pub message: String,
}

/// A rule file that cannot be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or not a gitleaks configuration.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A global allowlist (or a structurally invalid rule) cannot be used.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

/// The fingerprint key cannot be read or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading, creating or writing the key file failed.
    #[error("fingerprint key {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file exists but does not hold a valid key.
    #[error("fingerprint key {path}: {message}")]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
