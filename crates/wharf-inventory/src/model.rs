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
}

/// Everything found in one single-platform image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}
