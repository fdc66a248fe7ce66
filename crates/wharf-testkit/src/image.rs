//! A small, deterministic OCI / Docker image writer.
//!
//! Nothing here shells out to external tools: layers are tar archives written with
//! the `tar` crate and compressed with `flate2`, configs and manifests are JSON
//! documents built with `serde_json`. Building the same image twice gives
//! byte-identical blobs, hence identical digests.
//!
//! ```no_run
//! use wharf_testkit::image::{ImageBuilder, LayerBuilder};
//! # fn main() -> anyhow::Result<()> {
//! let layer = LayerBuilder::new()
//!     .dir("etc")
//!     .file("etc/os-release", b"ID=wharf\n".to_vec(), 0o644)
//!     .symlink("etc/alias", "os-release")
//!     .build()?;
//! let image = ImageBuilder::new().layer(layer).label("org.example", "yes").build()?;
//! println!("{}", image.digest());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use bytes::Bytes;
use flate2::{Compression, GzBuilder};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

/// Media types written by this module.
pub mod media_type {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI gzip-compressed layer.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip-compressed layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// In-toto statement, used for the layers of BuildKit attestation manifests.
    pub const IN_TOTO: &str = "application/vnd.in-toto+json";
}

/// Annotation carrying the tag of a manifest in an OCI image layout's `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// Annotation BuildKit puts on attestation manifest descriptors; its value is
/// [`ATTESTATION_MANIFEST`].
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// Annotation BuildKit puts on attestation manifest descriptors; its value is the
/// digest of the image manifest the attestation describes.
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
/// Value of [`REFERENCE_TYPE_ANNOTATION`] for attestation manifests.
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// Modification time written into every tar entry (2001-09-09T01:46:40Z), so
/// layers are reproducible.
const LAYER_MTIME: u64 = 1_000_000_000;

/// Returns the `sha256:<hex>` digest of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A content-addressed blob: a layer, a config, a manifest or an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Media type of the content (used as `Content-Type` for manifests).
    pub media_type: String,
    /// `sha256:<hex>` digest of [`Blob::bytes`].
    pub digest: String,
    /// The content.
    pub bytes: Bytes,
}

impl Blob {
    /// Creates a blob, computing its digest.
    pub fn new(media_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            media_type: media_type.into(),
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    /// Creates a blob holding the compact JSON serialization of `value`.
    pub fn json(media_type: impl Into<String>, value: &impl Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(value).context("serializing JSON blob")?;
        Ok(Self::new(media_type, bytes))
    }

    /// Size of the content in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The hex part of the digest (without the `sha256:` prefix).
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }

    /// An OCI descriptor (`mediaType`, `digest`, `size`) for this blob.
    pub fn descriptor(&self) -> Value {
        json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size(),
        })
    }
}

/// Which family of media types an image or index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManifestFormat {
    /// OCI image manifest / index media types.
    #[default]
    Oci,
    /// Docker schema 2 manifest / manifest list media types.
    DockerV2,
}

impl ManifestFormat {
    /// Media type of an image manifest in this format.
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_MANIFEST,
            Self::DockerV2 => media_type::DOCKER_MANIFEST,
        }
    }

    /// Media type of an index / manifest list in this format.
    pub fn index_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_INDEX,
            Self::DockerV2 => media_type::DOCKER_MANIFEST_LIST,
        }
    }

    /// Media type of an image config in this format.
    pub fn config_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_CONFIG,
            Self::DockerV2 => media_type::DOCKER_CONFIG,
        }
    }

    /// Media type of a gzip-compressed layer in this format.
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_LAYER_GZIP,
            Self::DockerV2 => media_type::DOCKER_LAYER_GZIP,
        }
    }
}

/// The platform an image runs on, as written in index descriptors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    /// CPU architecture, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU variant, e.g. `v8` for `arm64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// A platform without variant.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            architecture: architecture.into(),
            os: os.into(),
            variant: None,
        }
    }

    /// Sets the variant.
    #[must_use]
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// `unknown/unknown`, the platform of attestation manifests.
    pub fn unknown() -> Self {
        Self::new("unknown", "unknown")
    }

    /// The platform as a JSON value, for descriptors.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("architecture".into(), self.architecture.clone().into());
        map.insert("os".into(), self.os.clone().into());
        if let Some(variant) = &self.variant {
            map.insert("variant".into(), variant.clone().into());
        }
        Value::Object(map)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum LayerEntry {
    File {
        path: String,
        data: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
    },
    Symlink {
        path: String,
        target: String,
    },
}

/// Builds a gzip-compressed tar layer from in-memory entries.
///
/// Entries are written in the order they were added, owned by root, with a fixed
/// modification time, so the output is deterministic.
#[derive(Debug, Clone, Default)]
pub struct LayerBuilder {
    entries: Vec<LayerEntry>,
}

/// Normalizes a path for a tar entry: no leading `/` or `./`.
fn tar_path(path: &str) -> String {
    let trimmed = path.trim_start_matches("./").trim_start_matches('/');
    trimmed.to_owned()
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a regular file with the given permission bits (e.g. `0o644`).
    #[must_use]
    pub fn file(mut self, path: impl AsRef<str>, bytes: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.entries.push(LayerEntry::File {
            path: tar_path(path.as_ref()),
            data: bytes.into(),
            mode,
        });
        self
    }

    /// Adds a directory (mode `0755`).
    #[must_use]
    pub fn dir(mut self, path: impl AsRef<str>) -> Self {
        let mut path = tar_path(path.as_ref());
        if !path.ends_with('/') {
            path.push('/');
        }
        self.entries.push(LayerEntry::Dir { path });
        self
    }

    /// Adds a symbolic link at `path` pointing to `target`.
    #[must_use]
    pub fn symlink(mut self, path: impl AsRef<str>, target: impl Into<String>) -> Self {
        self.entries.push(LayerEntry::Symlink {
            path: tar_path(path.as_ref()),
            target: target.into(),
        });
        self
    }

    /// Writes the uncompressed tar archive.
    pub fn tar(&self) -> Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        for entry in &self.entries {
            let mut header = tar::Header::new_gnu();
            header.set_mtime(LAYER_MTIME);
            header.set_uid(0);
            header.set_gid(0);
            match entry {
                LayerEntry::File { path, data, mode } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(*mode);
                    header.set_size(data.len() as u64);
                    builder
                        .append_data(&mut header, path, data.as_slice())
                        .with_context(|| format!("adding file {path} to layer"))?;
                }
                LayerEntry::Dir { path } => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(0o755);
                    header.set_size(0);
                    builder
                        .append_data(&mut header, path, std::io::empty())
                        .with_context(|| format!("adding directory {path} to layer"))?;
                }
                LayerEntry::Symlink { path, target } => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    header.set_size(0);
                    builder
                        .append_link(&mut header, path, target)
                        .with_context(|| format!("adding symlink {path} to layer"))?;
                }
            }
        }
        builder.into_inner().context("finishing layer tar")
    }

    /// Builds the layer: tar, then gzip.
    pub fn build(&self) -> Result<Layer> {
        Layer::from_tar(&self.tar()?)
    }
}

/// A gzip-compressed layer, with the digests needed by manifests and configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The gzip-compressed tar archive (the blob pushed to the registry).
    pub compressed: Bytes,
    /// `sha256:` digest of [`Layer::compressed`].
    pub digest: String,
    /// `sha256:` digest of the uncompressed tar (the config's `rootfs.diff_ids`).
    pub diff_id: String,
}

impl Layer {
    /// Compresses an uncompressed tar archive into a layer (deterministic gzip
    /// header: no file name, zero mtime).
    pub fn from_tar(tar: &[u8]) -> Result<Self> {
        let mut encoder = GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::default());
        encoder.write_all(tar).context("compressing layer")?;
        let compressed = Bytes::from(encoder.finish().context("finishing gzip stream")?);
        Ok(Self {
            digest: sha256_digest(&compressed),
            diff_id: sha256_digest(tar),
            compressed,
        })
    }

    /// Builds a layer from the contents of directory `dir` (its children at the
    /// layer root), as `tar -C dir .` would, streaming: the tar is hashed and
    /// compressed as it is written, so only the compressed layer is held in
    /// memory (a Debian root filesystem is ~100 MB of tar, ~40 MB of gzip).
    ///
    /// Symbolic links are stored as links, never followed; owners, modes and
    /// modification times are kept (so the digest depends on them); device
    /// files and FIFOs are stored as such. Hard links are stored as separate
    /// regular files.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let encoder = GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::default());
        let mut builder = tar::Builder::new(HashingWriter {
            inner: encoder,
            hasher: Sha256::new(),
        });
        builder.follow_symlinks(false);
        builder
            .append_dir_all("", dir)
            .with_context(|| format!("archiving {}", dir.display()))?;
        let HashingWriter { inner, hasher } = builder
            .into_inner()
            .with_context(|| format!("finishing the tar of {}", dir.display()))?;
        let compressed = Bytes::from(inner.finish().context("finishing gzip stream")?);
        Ok(Self {
            digest: sha256_digest(&compressed),
            diff_id: format!("sha256:{}", hex::encode(hasher.finalize())),
            compressed,
        })
    }

    /// The layer as a blob of the given format's layer media type.
    pub fn blob(&self, format: ManifestFormat) -> Blob {
        Blob {
            media_type: format.layer_media_type().to_owned(),
            digest: self.digest.clone(),
            bytes: self.compressed.clone(),
        }
    }
}

/// Hashes (SHA-256) everything written through it: the diff_id of a tar
/// written straight into a compressor.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Describes a single-platform image; [`ImageBuilder::build`] writes its config
/// and manifest.
///
/// Fields are public so tests can set them directly; the chaining methods are a
/// convenience.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// RFC 3339 creation time written in the config (`created`); omitted if `None`.
    pub created: Option<String>,
    /// Labels (`config.Labels`).
    pub labels: BTreeMap<String, String>,
    /// Environment, as `KEY=value` strings (`config.Env`).
    pub env: Vec<String>,
    /// User (`config.User`); omitted if `None`.
    pub user: Option<String>,
    /// Operating system (default `linux`).
    pub os: String,
    /// Architecture (default `amd64`).
    pub architecture: String,
    /// CPU variant (default none).
    pub variant: Option<String>,
    /// Media type family (default OCI).
    pub format: ManifestFormat,
    /// Annotations on the manifest itself (OCI format only; empty by default).
    pub annotations: BTreeMap<String, String>,
    /// `created_by` of layer N's history entry (default `wharf-testkit: layer N`).
    pub created_by: BTreeMap<usize, String>,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self {
            layers: Vec::new(),
            created: None,
            labels: BTreeMap::new(),
            env: Vec::new(),
            user: None,
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            variant: None,
            format: ManifestFormat::Oci,
            annotations: BTreeMap::new(),
            created_by: BTreeMap::new(),
        }
    }
}

impl ImageBuilder {
    /// A `linux/amd64` OCI image without layers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the build step (`created_by`) recorded for the layer appended
    /// next.
    #[must_use]
    pub fn step(mut self, created_by: impl Into<String>) -> Self {
        self.created_by.insert(self.layers.len(), created_by.into());
        self
    }

    /// Appends a layer.
    #[must_use]
    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    /// Sets a label.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Appends an environment entry (`KEY=value`).
    #[must_use]
    pub fn env(mut self, entry: impl Into<String>) -> Self {
        self.env.push(entry.into());
        self
    }

    /// Sets the user.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the RFC 3339 creation time.
    #[must_use]
    pub fn created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// Sets the platform.
    #[must_use]
    pub fn platform(mut self, platform: &Platform) -> Self {
        self.os.clone_from(&platform.os);
        self.architecture.clone_from(&platform.architecture);
        self.variant.clone_from(&platform.variant);
        self
    }

    /// Sets the manifest format.
    #[must_use]
    pub fn format(mut self, format: ManifestFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets a manifest annotation (written for OCI manifests only).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// The platform described by `os` / `architecture` / `variant`.
    pub fn platform_value(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
        }
    }

    /// The image config JSON document.
    pub fn config_json(&self) -> Value {
        let mut container = Map::new();
        if !self.env.is_empty() {
            container.insert("Env".into(), json!(self.env));
        }
        if !self.labels.is_empty() {
            container.insert("Labels".into(), json!(self.labels));
        }
        if let Some(user) = &self.user {
            container.insert("User".into(), json!(user));
        }
        let history: Vec<Value> = (0..self.layers.len())
            .map(|i| {
                let mut entry = Map::new();
                if let Some(created) = &self.created {
                    entry.insert("created".into(), json!(created));
                }
                let step = self
                    .created_by
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| format!("wharf-testkit: layer {i}"));
                entry.insert("created_by".into(), json!(step));
                Value::Object(entry)
            })
            .collect();
        let diff_ids: Vec<&str> = self.layers.iter().map(|l| l.diff_id.as_str()).collect();

        let mut config = Map::new();
        if let Some(created) = &self.created {
            config.insert("created".into(), json!(created));
        }
        config.insert("architecture".into(), json!(self.architecture));
        config.insert("os".into(), json!(self.os));
        if let Some(variant) = &self.variant {
            config.insert("variant".into(), json!(variant));
        }
        config.insert("config".into(), Value::Object(container));
        config.insert(
            "rootfs".into(),
            json!({ "type": "layers", "diff_ids": diff_ids }),
        );
        config.insert("history".into(), Value::Array(history));
        Value::Object(config)
    }

    /// Writes the config and manifest.
    pub fn build(&self) -> Result<BuiltImage> {
        let config = Blob::json(self.format.config_media_type(), &self.config_json())?;
        let layers: Vec<Blob> = self.layers.iter().map(|l| l.blob(self.format)).collect();
        let annotations = match self.format {
            ManifestFormat::Oci => &self.annotations,
            ManifestFormat::DockerV2 => &BTreeMap::new(),
        };
        let manifest = manifest_blob(self.format, &config, &layers, annotations)?;
        Ok(BuiltImage {
            manifest,
            config,
            layers,
            platform: self.platform_value(),
        })
    }
}

/// Serializes an image manifest referencing `config` and `layers`.
fn manifest_blob(
    format: ManifestFormat,
    config: &Blob,
    layers: &[Blob],
    annotations: &BTreeMap<String, String>,
) -> Result<Blob> {
    let mut manifest = Map::new();
    manifest.insert("schemaVersion".into(), json!(2));
    manifest.insert("mediaType".into(), json!(format.manifest_media_type()));
    manifest.insert("config".into(), config.descriptor());
    manifest.insert(
        "layers".into(),
        Value::Array(layers.iter().map(Blob::descriptor).collect()),
    );
    if !annotations.is_empty() {
        manifest.insert("annotations".into(), json!(annotations));
    }
    Blob::json(format.manifest_media_type(), &Value::Object(manifest))
}

/// A single-platform image: its manifest and every blob it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// The image manifest.
    pub manifest: Blob,
    /// The image config.
    pub config: Blob,
    /// The layers, bottom first.
    pub layers: Vec<Blob>,
    /// The platform (written in index descriptors).
    pub platform: Platform,
}

impl BuiltImage {
    /// Digest of the manifest.
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    /// The blobs referenced by the manifest: config first, then layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }

    /// An index descriptor for this image's manifest, including `platform`.
    pub fn index_descriptor(&self) -> Value {
        let mut descriptor = self.manifest.descriptor();
        if let Value::Object(map) = &mut descriptor {
            map.insert("platform".into(), self.platform.to_json());
        }
        descriptor
    }
}

/// Combines images into an OCI index or Docker manifest list.
#[derive(Debug, Clone, Default)]
pub struct IndexBuilder {
    /// Child images, in descriptor order.
    pub images: Vec<BuiltImage>,
    /// Media type family of the index itself.
    pub format: ManifestFormat,
    /// Whether to add one BuildKit-style attestation manifest per image.
    pub attestations: bool,
    /// Annotations on the index (OCI format only).
    pub annotations: BTreeMap<String, String>,
}

impl IndexBuilder {
    /// An empty index of the given format.
    pub fn new(format: ManifestFormat) -> Self {
        Self {
            format,
            ..Self::default()
        }
    }

    /// Adds a child image.
    #[must_use]
    pub fn image(mut self, image: BuiltImage) -> Self {
        self.images.push(image);
        self
    }

    /// Enables or disables BuildKit-style attestation manifests.
    ///
    /// Each attestation is an OCI manifest whose index descriptor has platform
    /// `unknown/unknown` and the annotations
    /// `vnd.docker.reference.type: attestation-manifest` and
    /// `vnd.docker.reference.digest: <image manifest digest>`.
    #[must_use]
    pub fn with_attestations(mut self, enabled: bool) -> Self {
        self.attestations = enabled;
        self
    }

    /// Sets an index annotation (written for OCI indexes only).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Writes the attestations (if enabled) and the index.
    pub fn build(&self) -> Result<BuiltIndex> {
        let attestations = if self.attestations {
            self.images
                .iter()
                .map(attestation_for)
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };

        let mut descriptors: Vec<Value> = self
            .images
            .iter()
            .map(BuiltImage::index_descriptor)
            .collect();
        for (image, attestation) in self.images.iter().zip(&attestations) {
            let mut descriptor = attestation.index_descriptor();
            if let Value::Object(map) = &mut descriptor {
                map.insert(
                    "annotations".into(),
                    json!({
                        REFERENCE_DIGEST_ANNOTATION: image.digest(),
                        REFERENCE_TYPE_ANNOTATION: ATTESTATION_MANIFEST,
                    }),
                );
            }
            descriptors.push(descriptor);
        }

        let mut index = Map::new();
        index.insert("schemaVersion".into(), json!(2));
        index.insert("mediaType".into(), json!(self.format.index_media_type()));
        index.insert("manifests".into(), Value::Array(descriptors));
        if self.format == ManifestFormat::Oci && !self.annotations.is_empty() {
            index.insert("annotations".into(), json!(self.annotations));
        }
        let manifest = Blob::json(self.format.index_media_type(), &Value::Object(index))?;
        Ok(BuiltIndex {
            manifest,
            images: self.images.clone(),
            attestations,
        })
    }
}

/// Builds a BuildKit-style attestation manifest (an SPDX in-toto statement) for
/// `image`.
fn attestation_for(image: &BuiltImage) -> Result<BuiltImage> {
    const PREDICATE_TYPE: &str = "https://spdx.dev/Document";
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": PREDICATE_TYPE,
        "subject": [{
            "name": format!("pkg:docker/wharf-testkit@{}?platform={}", image.digest(),
                image.platform.to_string().replace('/', "%2F")),
            "digest": { "sha256": image.manifest.hex() },
        }],
        "predicate": {
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "wharf-testkit",
            "packages": [],
        },
    });
    let layer = Blob::json(media_type::IN_TOTO, &statement)?;
    let config = Blob::json(
        media_type::OCI_CONFIG,
        &json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": { "type": "layers", "diff_ids": [layer.digest] },
        }),
    )?;
    let mut layer_descriptor = layer.descriptor();
    if let Value::Object(map) = &mut layer_descriptor {
        map.insert(
            "annotations".into(),
            json!({ "in-toto.io/predicate-type": PREDICATE_TYPE }),
        );
    }
    let manifest = Blob::json(
        media_type::OCI_MANIFEST,
        &json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "config": config.descriptor(),
            "layers": [layer_descriptor],
        }),
    )?;
    Ok(BuiltImage {
        manifest,
        config,
        layers: vec![layer],
        platform: Platform::unknown(),
    })
}

/// A multi-platform index and everything it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltIndex {
    /// The index / manifest list.
    pub manifest: Blob,
    /// The platform images, in descriptor order.
    pub images: Vec<BuiltImage>,
    /// Attestation manifests (platform `unknown/unknown`), one per image when
    /// enabled, in the same order as `images`.
    pub attestations: Vec<BuiltImage>,
}

impl BuiltIndex {
    /// Digest of the index.
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    /// Every child manifest: images, then attestations.
    pub fn children(&self) -> impl Iterator<Item = &BuiltImage> {
        self.images.iter().chain(self.attestations.iter())
    }
}

/// Writes `image` into an OCI image layout at `dir`, tagged `tag`.
///
/// Creates `dir` if needed, writes `oci-layout`, every blob under
/// `blobs/sha256/`, and `index.json` with an `org.opencontainers.image.ref.name`
/// annotation. An existing layout is extended: other tags are kept, an entry
/// with the same tag is replaced. The result can be read by
/// `skopeo copy oci:DIR:TAG ...`.
pub fn write_oci_layout(dir: &Path, image: &BuiltImage, tag: &str) -> Result<()> {
    let blobs: Vec<&Blob> = image
        .blobs()
        .chain(std::iter::once(&image.manifest))
        .collect();
    write_layout(dir, &blobs, &image.manifest, tag)
}

/// Writes `index` (its children, their blobs and the index itself) into an OCI
/// image layout at `dir`, tagged `tag`. See [`write_oci_layout`].
pub fn write_oci_layout_index(dir: &Path, index: &BuiltIndex, tag: &str) -> Result<()> {
    let mut blobs: Vec<&Blob> = Vec::new();
    for child in index.children() {
        blobs.extend(child.blobs());
        blobs.push(&child.manifest);
    }
    blobs.push(&index.manifest);
    write_layout(dir, &blobs, &index.manifest, tag)
}

fn write_layout(dir: &Path, blobs: &[&Blob], top: &Blob, tag: &str) -> Result<()> {
    let blob_dir = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blob_dir)
        .with_context(|| format!("creating {}", blob_dir.display()))?;
    for blob in blobs {
        let path = blob_dir.join(blob.hex());
        if !path.exists() {
            std::fs::write(&path, &blob.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let layout_path = dir.join("oci-layout");
    std::fs::write(&layout_path, br#"{"imageLayoutVersion":"1.0.0"}"#)
        .with_context(|| format!("writing {}", layout_path.display()))?;

    let index_path = dir.join("index.json");
    let mut manifests: Vec<Value> = if index_path.exists() {
        let existing = std::fs::read(&index_path)
            .with_context(|| format!("reading {}", index_path.display()))?;
        let existing: Value = serde_json::from_slice(&existing)
            .with_context(|| format!("parsing {}", index_path.display()))?;
        existing
            .get("manifests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    manifests.retain(|m| {
        m.pointer("/annotations/org.opencontainers.image.ref.name")
            .and_then(Value::as_str)
            != Some(tag)
    });
    let mut descriptor = top.descriptor();
    if let Value::Object(map) = &mut descriptor {
        map.insert("annotations".into(), json!({ REF_NAME_ANNOTATION: tag }));
    }
    manifests.push(descriptor);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec_pretty(&index).context("serializing index.json")?;
    std::fs::write(&index_path, bytes).with_context(|| format!("writing {}", index_path.display()))
}

/// Write `image` as a `docker save` tarball in the classic layout:
/// `manifest.json`, `<config hex>.json` and one uncompressed
/// `<n>/layer.tar` per layer (so each layer's file digest is its diff_id).
pub fn write_docker_archive(path: &Path, image: &BuiltImage, repo_tag: &str) -> Result<()> {
    let mut layers = Vec::new();
    for (i, blob) in image.layers.iter().enumerate() {
        let mut tar = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::MultiGzDecoder::new(&blob.bytes[..]),
            &mut tar,
        )
        .with_context(|| format!("decompressing layer {i}"))?;
        layers.push((format!("{i:03}/layer.tar"), tar));
    }
    let config_name = format!("{}.json", image.config.hex());
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": [repo_tag],
        "Layers": layers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    }]);
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut b = tar::Builder::new(file);
    let mut add = |name: &str, data: &[u8]| -> Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        b.append_data(&mut h, name, data)
            .with_context(|| format!("adding {name}"))
    };
    add(&config_name, &image.config.bytes)?;
    for (name, tar) in &layers {
        add(name, tar)?;
    }
    add("manifest.json", serde_json::to_vec(&manifest)?.as_slice())?;
    b.into_inner()?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn sample_layer() -> Result<Layer> {
        LayerBuilder::new()
            .dir("/etc")
            .file("etc/os-release", b"ID=wharf\n".to_vec(), 0o644)
            .symlink("etc/alias", "os-release")
            .build()
    }

    #[test]
    fn layers_are_deterministic_and_digests_match() -> Result<()> {
        let a = sample_layer()?;
        let b = sample_layer()?;
        assert_eq!(a, b);
        assert_eq!(a.digest, sha256_digest(&a.compressed));

        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&a.compressed[..]).read_to_end(&mut tar_bytes)?;
        assert_eq!(a.diff_id, sha256_digest(&tar_bytes));

        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let mut seen = Vec::new();
        for entry in archive.entries()? {
            let entry = entry?;
            let header = entry.header();
            seen.push((
                entry.path()?.to_string_lossy().into_owned(),
                header.entry_type(),
                header.mode()?,
                header.mtime()?,
            ));
        }
        assert_eq!(
            seen,
            vec![
                ("etc/".into(), tar::EntryType::Directory, 0o755, LAYER_MTIME),
                (
                    "etc/os-release".into(),
                    tar::EntryType::Regular,
                    0o644,
                    LAYER_MTIME
                ),
                (
                    "etc/alias".into(),
                    tar::EntryType::Symlink,
                    0o777,
                    LAYER_MTIME
                ),
            ]
        );
        Ok(())
    }

    #[test]
    fn layer_from_dir_keeps_symlinks_and_digests() -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("usr/bin"))?;
        std::fs::write(dir.path().join("usr/bin/tool"), b"#!/bin/sh\n")?;
        std::fs::set_permissions(
            dir.path().join("usr/bin/tool"),
            std::fs::Permissions::from_mode(0o755),
        )?;
        std::os::unix::fs::symlink("/etc/shadow", dir.path().join("usr/bin/secret"))?;
        std::os::unix::fs::symlink("usr/bin", dir.path().join("bin"))?;
        let layer = Layer::from_dir(dir.path())?;
        assert_eq!(layer.digest, sha256_digest(&layer.compressed));

        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&layer.compressed[..]).read_to_end(&mut tar_bytes)?;
        assert_eq!(layer.diff_id, sha256_digest(&tar_bytes));
        let mut seen = BTreeMap::new();
        for entry in tar::Archive::new(&tar_bytes[..]).entries()? {
            let entry = entry?;
            let link = entry.link_name()?.map(|l| l.to_string_lossy().into_owned());
            seen.insert(
                entry.path()?.to_string_lossy().into_owned(),
                // `tar` keeps the file-type bits of st_mode; compare permissions.
                (
                    entry.header().entry_type(),
                    entry.header().mode()? & 0o7777,
                    link,
                ),
            );
        }
        let symlink = |target: &str| (tar::EntryType::Symlink, 0o777, Some(target.to_owned()));
        assert_eq!(seen.get("bin"), Some(&symlink("usr/bin")));
        assert_eq!(seen.get("usr/bin/secret"), Some(&symlink("/etc/shadow")));
        assert_eq!(
            seen.get("usr/bin/tool"),
            Some(&(tar::EntryType::Regular, 0o755, None))
        );
        assert_eq!(
            seen.keys().map(String::as_str).collect::<Vec<_>>(),
            ["bin", "usr", "usr/bin", "usr/bin/secret", "usr/bin/tool"]
        );
        Ok(())
    }

    #[test]
    fn image_config_and_manifest() -> Result<()> {
        let layer = sample_layer()?;
        let image = ImageBuilder::new()
            .layer(layer.clone())
            .label("a", "b")
            .env("PATH=/bin")
            .user("1000")
            .created("2024-01-02T03:04:05Z")
            .platform(&Platform::new("linux", "arm64").with_variant("v8"))
            .build()?;
        let config: Value = serde_json::from_slice(&image.config.bytes)?;
        assert_eq!(config["architecture"], "arm64");
        assert_eq!(config["variant"], "v8");
        assert_eq!(config["config"]["Labels"]["a"], "b");
        assert_eq!(config["config"]["User"], "1000");
        assert_eq!(config["rootfs"]["diff_ids"][0], json!(layer.diff_id));
        assert_eq!(config["history"].as_array().map(Vec::len), Some(1));

        let manifest: Value = serde_json::from_slice(&image.manifest.bytes)?;
        assert_eq!(manifest["mediaType"], media_type::OCI_MANIFEST);
        assert_eq!(manifest["config"]["digest"], json!(image.config.digest));
        assert_eq!(manifest["config"]["mediaType"], media_type::OCI_CONFIG);
        assert_eq!(manifest["layers"][0]["digest"], json!(layer.digest));
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            media_type::OCI_LAYER_GZIP
        );

        let docker = ImageBuilder::new()
            .layer(layer)
            .format(ManifestFormat::DockerV2)
            .build()?;
        let manifest: Value = serde_json::from_slice(&docker.manifest.bytes)?;
        assert_eq!(manifest["mediaType"], media_type::DOCKER_MANIFEST);
        assert_eq!(manifest["config"]["mediaType"], media_type::DOCKER_CONFIG);
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            media_type::DOCKER_LAYER_GZIP
        );
        Ok(())
    }

    #[test]
    fn index_with_attestations() -> Result<()> {
        let layer = sample_layer()?;
        let amd = ImageBuilder::new().layer(layer.clone()).build()?;
        let arm = ImageBuilder::new()
            .layer(layer)
            .platform(&Platform::new("linux", "arm64").with_variant("v8"))
            .build()?;
        let index = IndexBuilder::new(ManifestFormat::Oci)
            .image(amd.clone())
            .image(arm.clone())
            .with_attestations(true)
            .build()?;
        assert_eq!(index.attestations.len(), 2);
        let doc: Value = serde_json::from_slice(&index.manifest.bytes)?;
        let manifests = doc["manifests"].as_array().cloned().unwrap_or_default();
        assert_eq!(manifests.len(), 4);
        assert_eq!(manifests[0]["digest"], json!(amd.digest()));
        assert_eq!(manifests[1]["platform"]["variant"], "v8");
        assert_eq!(manifests[2]["platform"]["os"], "unknown");
        assert_eq!(
            manifests[3]["annotations"][REFERENCE_DIGEST_ANNOTATION],
            json!(arm.digest())
        );
        assert_eq!(
            manifests[3]["annotations"][REFERENCE_TYPE_ANNOTATION],
            ATTESTATION_MANIFEST
        );
        let att: Value = serde_json::from_slice(&index.attestations[0].manifest.bytes)?;
        assert_eq!(att["layers"][0]["mediaType"], media_type::IN_TOTO);

        let list = IndexBuilder::new(ManifestFormat::DockerV2)
            .image(amd)
            .build()?;
        let doc: Value = serde_json::from_slice(&list.manifest.bytes)?;
        assert_eq!(doc["mediaType"], media_type::DOCKER_MANIFEST_LIST);
        Ok(())
    }

    #[test]
    fn oci_layout_is_written_and_extended() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let image = ImageBuilder::new().layer(sample_layer()?).build()?;
        write_oci_layout(dir.path(), &image, "one")?;
        write_oci_layout(dir.path(), &image, "two")?;
        write_oci_layout(dir.path(), &image, "one")?;
        let index: Value = serde_json::from_slice(&std::fs::read(dir.path().join("index.json"))?)?;
        let tags: Vec<&str> = index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["annotations"][REF_NAME_ANNOTATION].as_str())
            .collect();
        assert_eq!(tags, vec!["two", "one"]);
        for blob in image.blobs().chain([&image.manifest]) {
            let on_disk = std::fs::read(dir.path().join("blobs/sha256").join(blob.hex()))?;
            assert_eq!(sha256_digest(&on_disk), blob.digest);
        }
        assert!(dir.path().join("oci-layout").is_file());
        Ok(())
    }
}
