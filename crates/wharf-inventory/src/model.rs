//! The inventory document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_types::{Diagnostic, Digest, MalwareFinding, OsInfo, Package, SecretFinding};

/// Version of the inventory JSON; bump on incompatible change.
pub const INVENTORY_SCHEMA_VERSION: u32 = 1;

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerMeta {
    /// Digest of the layer blob as distributed (compressed), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar (`rootfs.diff_ids`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<Digest>,
    /// Compressed size in bytes.
    pub size: u64,
    /// The build step that made it (image history), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether its report came from the layer cache.
    #[serde(default)]
    pub cached: bool,
}

/// What the inventory describes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMeta {
    /// The reference or source as the user gave it.
    pub source: String,
    /// Manifest digest (registry and OCI layout sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Config digest (the image ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<Digest>,
    /// Platform (`linux/amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Creation time from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Labels from the config.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Layers, base first.
    pub layers: Vec<LayerMeta>,
    /// The runtime configuration and build history (registry, OCI layout
    /// and docker-archive sources; absent for `dir:` sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RuntimeConfig>,
}

/// The runtime part of an image configuration, as policies see it.
///
/// Never holds a clear secret: environment values and build steps are kept
/// as the secret scanner redacted them; when no scanner redacted the
/// configuration, only environment names are kept (`value` is `None`) and
/// every `NAME=value` word of a build step has its value masked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    /// `User` as written (`""` and absent both mean root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Exposed ports (`80/tcp`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// The health check's `Test` (`["CMD-SHELL", "curl -f …"]`, `["NONE"]`
    /// when disabled), `None` when the image declares none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Vec<String>>,
    /// Entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Environment, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Whether a secret scanner redacted `env` values and `history` steps
    /// (otherwise values were dropped and steps masked).
    #[serde(default)]
    pub redacted: bool,
    /// Every history entry, empty layers included, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryStep>,
}

/// One environment variable of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value as redacted by the secret scanner; `None` when not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One build-history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryStep {
    /// When the step ran, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction (redacted or masked, see [`RuntimeConfig`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether the step produced no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// Facts about files of the image that policies check, collected in the
/// layer pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Setuid/setgid regular files, world-writable regular files and
    /// world-writable directories without the sticky bit, present in the
    /// final filesystem, sorted by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special: Vec<SpecialFile>,
    /// Package-manager cache directories left with files in them, sorted
    /// by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_caches: Vec<PackageCache>,
}

impl FileFacts {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.special.is_empty() && self.package_caches.is_empty()
    }
}

/// A file or directory with notable permission bits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialFile {
    /// Path inside the image, no leading slash.
    pub path: String,
    /// Permission bits with setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    /// A directory (otherwise a regular file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// The layer that added it (`None` for `dir:` sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
}

impl SpecialFile {
    /// Setuid bit set.
    pub fn setuid(&self) -> bool {
        self.mode & 0o4000 != 0
    }
    /// Setgid bit set.
    pub fn setgid(&self) -> bool {
        self.mode & 0o2000 != 0
    }
    /// Writable by everyone (and, for a directory, not sticky).
    pub fn world_writable(&self) -> bool {
        self.mode & 0o002 != 0 && !(self.dir && self.mode & 0o1000 != 0)
    }
}

/// A package-manager cache directory left in the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageCache {
    /// The cache directory, no leading slash (`var/cache/apt/archives`).
    pub path: String,
    /// The package manager (`apt`, `apt-lists`, `apk`, `yum`, `dnf`,
    /// `zypper`, `pip`, `npm`, `yarn`, `go`, `maven`).
    pub manager: String,
    /// Regular files in it.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The layers that added them, base first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Digest>,
}

/// Everything found in one single-platform image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// [`INVENTORY_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The image.
    pub image: ImageMeta,
    /// Operating system, when identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Packages, sorted by ecosystem, name, version, location.
    pub packages: Vec<Package>,
    /// Files that could not be analysed, and why.
    pub diagnostics: Vec<Diagnostic>,
    /// `name@version` of the analyzers that ran.
    pub analyzers: Vec<String>,
    /// Secrets found (redacted), when the secret scanner ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretFinding>,
    /// Malware found, when the malware scanner ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malware: Vec<MalwareFinding>,
    /// Permission and package-cache facts of the final filesystem.
    #[serde(default, skip_serializing_if = "FileFacts::is_empty")]
    pub files: FileFacts,
}
