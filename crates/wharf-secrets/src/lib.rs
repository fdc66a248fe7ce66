//! Secret scanning for container images.
//!
//! # Pipeline
//!
//! A file is first screened without reading it (`ContentScanner::wants`:
//! size cap, built-in path allow rules such as `usr/share/doc`, lock files,
//! test trees and the code of installed npm packages). Its bytes are then
//! skipped when binary (a NUL in the first 8 KiB). One Aho-Corasick
//! automaton over the keywords of every rule (ASCII case-insensitive)
//! runs over the content; only rules whose keyword was seen run their
//! regex, and only on the line around each hit (a bounded window on long,
//! minified lines; up to 64 KiB past the line for PEM blocks). Regexes use
//! the linear-time `regex` engine. Each candidate secret (the rule's
//! capture group) must pass the rule's entropy threshold, the placeholder
//! filter (`xxxx`, `${VAR}`, `changeme`, documented examples such as
//! `AKIAIOSFODNN7EXAMPLE`) and the rule and global allowlists. Source maps
//! never report their base64-VLQ `mappings` nor generic rules, and generic
//! rules need a higher entropy on minified lines. What survives becomes a
//! [`wharf_types::SecretFinding`]: the rule, the 1-based line, an excerpt
//! with the secret redacted (first 4 characters then `*****`, nothing for
//! secrets under 12 characters) and an HMAC-SHA-256 fingerprint keyed with
//! the installation's [`FingerprintKey`]. The clear secret is never stored.
//!
//! The image configuration (`Env`, labels, history `created_by`) is
//! scanned by [`wharf_analyzers::ContentScanner::scan_config`], which also
//! redacts it in place.
//!
//! Rules: 158 built-in rules, and gitleaks-format TOML rule files
//! ([`SecretConfig::load`]).
//!
//! # Use
//!
//! ```no_run
//! use std::sync::Arc;
//! use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The installation's key: in the state directory, not the cache (a new
//! // key changes every fingerprint).
//! let key = FingerprintKey::load_or_create("/var/lib/wharf/secret-fingerprint.key".as_ref())?;
//! let config = SecretConfig::load("rules.toml".as_ref())?; // or SecretConfig::builtin()
//! for rejected in &config.rejected {
//!     eprintln!("warning: {rejected}");
//! }
//! let scanner = Arc::new(SecretScanner::new(config, key)?);
//! let findings = scanner.scan_bytes("etc/app.env", b"TOKEN=ghp_...");
//! # let _ = findings;
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod fingerprint;
mod gitleaks;
mod rules;
mod scanner;
mod text;

pub use config::SENSITIVE_VARIABLE_RULE;
pub use error::{ConfigError, KeyError, RuleError};
pub use fingerprint::{FingerprintKey, KEY_LEN};
pub use rules::{AllowlistSpec, Condition, RegexTarget, RuleInfo, RuleSpec};
pub use scanner::{CODE_VERSION, DEFAULT_MAX_FILE_SIZE, SecretConfig, SecretScanner, WindowMode};
