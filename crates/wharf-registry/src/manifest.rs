//! Manifest, index and image-config documents (OCI image spec and Docker
//! image manifest v2 schema 2), parsed strictly enough to trust digests and
//! sizes, and leniently enough to accept what real registries serve.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use wharf_types::{Digest, Platform};

use crate::error::{RegistryError, Result};

/// Media types wharf knows.
pub mod media_type {
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker schema 1 manifest (unsupported).
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    /// Signed Docker schema 1 manifest (unsupported).
    pub const DOCKER_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// The `Accept` header for manifest requests: every type wharf reads.
    pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
}

/// A content descriptor: what a manifest says about a blob or child manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The referenced content's media type.
    #[serde(default)]
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Platform, for index entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Artifact type (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Alternate download locations (foreign layers); never followed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// The annotation BuildKit puts on attestation manifests in an index.
pub const ANNOTATION_REFERENCE_TYPE: &str = "vnd.docker.reference.type";

impl Descriptor {
    /// Whether this index entry is a BuildKit attestation manifest.
    pub fn is_attestation(&self) -> bool {
        self.annotations
            .get(ANNOTATION_REFERENCE_TYPE)
            .is_some_and(|v| v == "attestation-manifest")
    }
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Artifact type (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The image config blob.
    pub config: Descriptor,
    /// Layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (signatures, SBOMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ImageManifest {
    /// Whether this is a container image (its config is an image config),
    /// as opposed to an OCI artifact (Helm chart, signature, SBOM…).
    pub fn is_container_image(&self) -> bool {
        let t = self.config.media_type.as_str();
        self.artifact_type.is_none()
            && (t == media_type::OCI_CONFIG || t == media_type::DOCKER_CONFIG)
    }

    /// Total compressed size of the layers.
    pub fn layers_size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }
}

/// An image index or Docker manifest list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The child manifests.
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A parsed manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// A single-platform image manifest (or artifact).
    Image(Box<ImageManifest>),
    /// A multi-platform index.
    Index(ImageIndex),
}

/// A manifest as fetched: its verified digest, media type and raw bytes.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The digest of `bytes`, verified.
    pub digest: Digest,
    /// The media type (from the document, or the response header).
    pub media_type: String,
    /// The raw bytes, exactly as served (and as hashed).
    pub bytes: Bytes,
    /// The parsed document.
    pub manifest: Manifest,
}

/// Parse manifest bytes. `content_type` is the response's header, used when
/// the document does not state its own media type.
pub fn parse_manifest(
    bytes: &[u8],
    content_type: Option<&str>,
    what: &str,
) -> Result<(Manifest, String)> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default)]
        schema_version: Option<u32>,
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde_json::Value>,
        #[serde(default)]
        config: Option<serde_json::Value>,
    }
    let malformed = |reason: String| RegistryError::Malformed {
        what: what.to_owned(),
        reason,
    };
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let header_type = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_owned())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "text/plain");
    let declared = probe.media_type.clone().or(header_type);
    if probe.schema_version == Some(1)
        || matches!(
            declared.as_deref(),
            Some(media_type::DOCKER_SCHEMA1 | media_type::DOCKER_SCHEMA1_SIGNED)
        )
    {
        return Err(RegistryError::UnsupportedManifest {
            what: what.to_owned(),
            media_type: declared.unwrap_or_else(|| media_type::DOCKER_SCHEMA1.to_owned()),
            hint: Some(
                "Docker schema 1 is deprecated since 2017; re-push the image with a current client"
                    .into(),
            ),
        });
    }
    if probe.schema_version != Some(2) {
        return Err(malformed(format!(
            "schemaVersion is {:?}, expected 2",
            probe.schema_version
        )));
    }
    let is_index = match declared.as_deref() {
        Some(media_type::OCI_INDEX | media_type::DOCKER_MANIFEST_LIST) => true,
        Some(media_type::OCI_MANIFEST | media_type::DOCKER_MANIFEST) => false,
        Some(other) if probe.manifests.is_none() && probe.config.is_none() => {
            return Err(RegistryError::UnsupportedManifest {
                what: what.to_owned(),
                media_type: other.to_owned(),
                hint: None,
            });
        }
        _ => probe.manifests.is_some(),
    };
    if is_index {
        let idx: ImageIndex =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let mt = declared.unwrap_or_else(|| media_type::OCI_INDEX.to_owned());
        Ok((Manifest::Index(idx), mt))
    } else {
        let m: ImageManifest =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let mt = declared.unwrap_or_else(|| media_type::OCI_MANIFEST.to_owned());
        Ok((Manifest::Image(Box::new(m)), mt))
    }
}

/// The parts of an image configuration discovery and later phases use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Creation time as written (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Runtime configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// Build history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Root filesystem: the uncompressed layer digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<RootFs>,
}

/// The `rootfs` object of an image configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Digests of the uncompressed layer tars, base first (as written;
    /// validate with [`Digest`]'s parser before trusting one).
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// The `config` object of an image configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// User the container runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Environment (`KEY=value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// Entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Exposed ports (`"80/tcp": {}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// Health check, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
}

/// One history entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// When the step ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The build instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the step produced no layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

impl ImageConfig {
    /// Parse config bytes.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::Malformed {
            what: what.to_owned(),
            reason: e.to_string(),
        })
    }

    /// The platform this config declares.
    pub fn platform(&self) -> Platform {
        Platform::new(&self.os, &self.architecture, self.variant.as_deref())
    }

    /// The creation time, if present and valid.
    pub fn created_at(&self) -> Option<jiff::Timestamp> {
        self.created.as_deref().and_then(|c| c.parse().ok())
    }

    /// The uncompressed layer digests that parse as digests, base first.
    pub fn diff_ids(&self) -> Vec<Option<Digest>> {
        self.rootfs
            .as_ref()
            .map(|r| r.diff_ids.iter().map(|d| d.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// History entries that produced a layer, base first.
    pub fn layer_history(&self) -> Vec<&History> {
        self.history
            .iter()
            .filter(|h| h.empty_layer != Some(true))
            .collect()
    }

    /// Labels (empty when none).
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_each_kind() {
        let oci = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{D}","size":2}},"layers":[{{"mediaType":"x","digest":"{D}","size":3}}]}}"#,
            media_type::OCI_MANIFEST,
            media_type::OCI_CONFIG
        );
        let (m, mt) = parse_manifest(oci.as_bytes(), None, "t").expect("oci manifest");
        assert_eq!(mt, media_type::OCI_MANIFEST);
        let Manifest::Image(img) = m else {
            panic!("image expected")
        };
        assert!(img.is_container_image());
        assert_eq!(img.layers_size(), 3);

        // No mediaType in the body: the header decides, then the shape.
        let list = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"m","digest":"{D}","size":1,"platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}}]}}"#
        );
        let (m, mt) = parse_manifest(list.as_bytes(), Some(media_type::DOCKER_MANIFEST_LIST), "t")
            .expect("list");
        assert_eq!(mt, media_type::DOCKER_MANIFEST_LIST);
        let Manifest::Index(idx) = m else {
            panic!("index expected")
        };
        assert_eq!(
            idx.manifests[0]
                .platform
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("linux/arm/v7")
        );
        let (m, _) = parse_manifest(list.as_bytes(), Some("application/json"), "t").expect("shape");
        assert!(matches!(m, Manifest::Index(_)));
    }

    #[test]
    fn schema1_and_garbage_are_clear_errors() {
        let err = parse_manifest(
            br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#,
            None,
            "repo:tag",
        )
        .expect_err("schema 1");
        assert!(matches!(err, RegistryError::UnsupportedManifest { .. }));
        assert!(
            err.to_string().contains("repo:tag") && err.to_string().contains("schema 1"),
            "{err}"
        );
        let err = parse_manifest(b"{not json", None, "repo:tag").expect_err("garbage");
        assert!(matches!(err, RegistryError::Malformed { .. }));
        let bad_digest = r#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}"#;
        assert!(parse_manifest(bad_digest.as_bytes(), None, "t").is_err());
        let neg = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{D}","size":-1}},"layers":[]}}"#
        );
        assert!(parse_manifest(neg.as_bytes(), None, "t").is_err());
        assert!(parse_manifest(br#"{"schemaVersion":3}"#, None, "t").is_err());
        let helm = r#"{"schemaVersion":2,"mediaType":"application/vnd.cncf.helm.chart"}"#;
        assert!(matches!(
            parse_manifest(helm.as_bytes(), None, "t"),
            Err(RegistryError::UnsupportedManifest { .. })
        ));
    }

    #[test]
    fn config_fields() {
        let c = ImageConfig::parse(
            br#"{"created":"2024-05-01T10:00:00Z","architecture":"arm64","os":"linux","variant":"v8","config":{"Labels":{"owner":"team"},"User":"app"}}"#,
            "cfg",
        )
        .expect("config");
        assert_eq!(c.platform().to_string(), "linux/arm64/v8");
        assert_eq!(c.labels().get("owner").map(String::as_str), Some("team"));
        assert_eq!(c.created_at().map(|t| t.as_second()), Some(1_714_557_600));
    }
}
