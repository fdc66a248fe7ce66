//! Resolving sources to single-platform images: registry references, OCI
//! image layouts and `docker save` archives.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use wharf_analyzers::ConfigText;
use wharf_inventory::{HistoryStep, ImageMeta, LayerMeta, RuntimeConfig};
use wharf_registry::RegistryClient;
use wharf_registry::manifest::{
    Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest, parse_manifest,
};
use wharf_types::{Digest, Platform};

use crate::ImageError;

/// Most bytes read from a local JSON document (index, manifest, config).
const MAX_JSON: u64 = 16 << 20;
/// Most entries indexed in a docker archive.
const MAX_ARCHIVE_ENTRIES: usize = 100_000;

/// Where one layer's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum LayerRef {
    /// A registry blob (verified by the client while streamed).
    Registry {
        client: RegistryClient,
        repository: String,
        descriptor: Box<Descriptor>,
    },
    /// A byte range of a local file, verified against `digest`.
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
        digest: Digest,
    },
}

/// One single-platform image, ready to scan.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) meta: ImageMeta,
    pub(crate) layers: Vec<LayerRef>,
    /// The configuration's texts, for the content scanners; never stored.
    pub(crate) config: ConfigText,
}

/// The texts of `cfg` that content scanners inspect.
pub(crate) fn config_text(cfg: &ImageConfig) -> ConfigText {
    let c = cfg.config.as_ref();
    ConfigText {
        env: c.and_then(|c| c.env.clone()).unwrap_or_default(),
        labels: cfg.labels(),
        history: cfg
            .history
            .iter()
            .map(|h| h.created_by.clone().unwrap_or_default())
            .collect(),
    }
}

/// Index entries worth scanning, filtered by `platform`.
pub(crate) fn select_children<'a>(
    index: &'a ImageIndex,
    platform: Option<&Platform>,
) -> Vec<&'a Descriptor> {
    index
        .manifests
        .iter()
        .filter(|d| !d.is_attestation() && !d.platform.as_ref().is_some_and(Platform::is_unknown))
        .filter(|d| match (platform, &d.platform) {
            (Some(want), Some(have)) => want.selects(have),
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect()
}

pub(crate) fn meta_for(
    source: &str,
    digest: Option<Digest>,
    config_digest: Option<Digest>,
    m: &ImageManifest,
    cfg: &ImageConfig,
    layer_digests: &[Digest],
) -> ImageMeta {
    let diff_ids = cfg.diff_ids();
    let history = cfg.layer_history();
    ImageMeta {
        source: source.to_owned(),
        digest,
        config_digest,
        platform: Some(cfg.platform().to_string()),
        created: cfg.created_at().map(|t| t.to_string()),
        labels: cfg.labels(),
        layers: layer_digests
            .iter()
            .enumerate()
            .map(|(i, d)| LayerMeta {
                digest: Some(d.clone()),
                diff_id: diff_ids.get(i).cloned().flatten(),
                size: m.layers.get(i).map_or(0, |l| l.size),
                created_by: history.get(i).and_then(|h| h.created_by.clone()),
                cached: false,
            })
            .collect(),
        config: Some(runtime_config(cfg)),
    }
}

/// The runtime configuration without what may hold a secret: environment
/// and build steps are filled in by `assemble` from the (redacted)
/// [`ConfigText`].
pub(crate) fn runtime_config(cfg: &ImageConfig) -> RuntimeConfig {
    let c = cfg.config.clone().unwrap_or_default();
    let healthcheck = c.healthcheck.as_ref().map(|h| {
        h.get("Test")
            .and_then(|t| t.as_array())
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    });
    RuntimeConfig {
        user: c.user,
        exposed_ports: c.exposed_ports.unwrap_or_default().into_keys().collect(),
        healthcheck,
        entrypoint: c.entrypoint,
        cmd: c.cmd,
        working_dir: c.working_dir,
        env: Vec::new(),
        redacted: false,
        history: cfg
            .history
            .iter()
            .map(|h| HistoryStep {
                created: h.created.clone(),
                created_by: None,
                empty_layer: h.empty_layer == Some(true),
            })
            .collect(),
    }
}

/// Resolve a registry reference to its platform images.
pub(crate) async fn resolve_registry(
    client: &RegistryClient,
    reference: &wharf_types::ImageReference,
    platform: Option<&Platform>,
) -> Result<Vec<Resolved>, ImageError> {
    let repo = reference.repository();
    let top = client.manifest(repo, &reference.target()).await?;
    let images: Vec<(Digest, Box<ImageManifest>)> = match top.manifest {
        Manifest::Image(m) => vec![(top.digest.clone(), m)],
        Manifest::Index(idx) => {
            let children = select_children(&idx, platform);
            if children.is_empty() {
                return Err(ImageError::NotFound(format!(
                    "{reference}: no image for platform {} in the index",
                    platform.map_or_else(|| "any".to_owned(), ToString::to_string)
                )));
            }
            let mut out = Vec::new();
            for c in children {
                let child = client.manifest(repo, &c.digest.to_string()).await?;
                match child.manifest {
                    Manifest::Image(m) => out.push((child.digest, m)),
                    Manifest::Index(_) => {
                        tracing::warn!(digest = %c.digest, "nested index not followed")
                    }
                }
            }
            out
        }
    };
    let mut resolved = Vec::new();
    for (digest, m) in images {
        if !m.is_container_image() {
            return Err(ImageError::NotFound(format!(
                "{reference}: an OCI artifact, not a container image"
            )));
        }
        let cfg = client.image_config(repo, &m.config).await?;
        if let Some(want) = platform
            && !want.selects(&cfg.platform())
        {
            continue;
        }
        let digests: Vec<Digest> = m.layers.iter().map(|l| l.digest.clone()).collect();
        let meta = meta_for(
            &reference.to_string(),
            Some(digest),
            Some(m.config.digest.clone()),
            &m,
            &cfg,
            &digests,
        );
        let layers = m
            .layers
            .iter()
            .map(|l| LayerRef::Registry {
                client: client.clone(),
                repository: repo.to_owned(),
                descriptor: Box::new(l.clone()),
            })
            .collect();
        resolved.push(Resolved {
            meta,
            layers,
            config: config_text(&cfg),
        });
    }
    if resolved.is_empty() {
        return Err(ImageError::NotFound(format!(
            "{reference}: no image matches the requested platform"
        )));
    }
    Ok(resolved)
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ImageError> {
    let f = std::fs::File::open(path).map_err(|e| ImageError::io(path.display(), e))?;
    let mut buf = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(path.display(), e))?;
    if buf.len() as u64 > cap {
        return Err(ImageError::malformed(
            path.display(),
            format!("larger than {cap} bytes"),
        ));
    }
    Ok(buf)
}

/// A blob of an OCI layout, read whole and verified (small documents only).
fn layout_blob(dir: &Path, d: &Descriptor) -> Result<Vec<u8>, ImageError> {
    let path = dir
        .join("blobs")
        .join(d.digest.algorithm().as_str())
        .join(d.digest.hex());
    let bytes = read_capped(&path, MAX_JSON.min(d.size.max(1)))?;
    if !d.digest.matches(&bytes) {
        return Err(ImageError::malformed(
            path.display(),
            format!("content does not match {}", d.digest),
        ));
    }
    Ok(bytes)
}

/// Resolve an OCI image layout.
pub(crate) fn resolve_layout(
    dir: &Path,
    tag: Option<&str>,
    platform: Option<&Platform>,
    source: &str,
) -> Result<Vec<Resolved>, ImageError> {
    let index_path = dir.join("index.json");
    let bytes = read_capped(&index_path, MAX_JSON)?;
    let index: ImageIndex = serde_json::from_slice(&bytes)
        .map_err(|e| ImageError::malformed(index_path.display(), e))?;
    const REF_NAME: &str = "org.opencontainers.image.ref.name";
    let chosen: Vec<&Descriptor> = match tag {
        Some(t) => index
            .manifests
            .iter()
            .filter(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
            .collect(),
        None => index.manifests.iter().collect(),
    };
    let top = match chosen.as_slice() {
        [one] => *one,
        [] => {
            return Err(ImageError::NotFound(format!(
                "{source}: no manifest tagged {:?} in {}",
                tag.unwrap_or(""),
                index_path.display()
            )));
        }
        many => {
            let tags: Vec<&str> = many
                .iter()
                .filter_map(|d| d.annotations.get(REF_NAME).map(String::as_str))
                .collect();
            return Err(ImageError::NotFound(format!(
                "{source}: several images in the layout; name one of: {}",
                tags.join(", ")
            )));
        }
    };
    let what = |d: &Descriptor| format!("{source}@{}", d.digest);
    let (manifest, _) = parse_manifest(&layout_blob(dir, top)?, Some(&top.media_type), &what(top))
        .map_err(|e| ImageError::malformed(what(top), e))?;
    let images: Vec<(Digest, Box<ImageManifest>)> = match manifest {
        Manifest::Image(m) => vec![(top.digest.clone(), m)],
        Manifest::Index(idx) => {
            let mut out = Vec::new();
            for c in select_children(&idx, platform) {
                let (m, _) = parse_manifest(&layout_blob(dir, c)?, Some(&c.media_type), &what(c))
                    .map_err(|e| ImageError::malformed(what(c), e))?;
                if let Manifest::Image(m) = m {
                    out.push((c.digest.clone(), m));
                }
            }
            out
        }
    };
    let mut resolved = Vec::new();
    for (digest, m) in images {
        let cfg_bytes = layout_blob(dir, &m.config)?;
        let cfg = ImageConfig::parse(&cfg_bytes, &format!("{source} config"))
            .map_err(|e| ImageError::malformed(source, e))?;
        if let Some(want) = platform
            && !want.selects(&cfg.platform())
        {
            continue;
        }
        let digests: Vec<Digest> = m.layers.iter().map(|l| l.digest.clone()).collect();
        let meta = meta_for(
            source,
            Some(digest),
            Some(m.config.digest.clone()),
            &m,
            &cfg,
            &digests,
        );
        let layers = m
            .layers
            .iter()
            .map(|l| LayerRef::File {
                path: dir
                    .join("blobs")
                    .join(l.digest.algorithm().as_str())
                    .join(l.digest.hex()),
                offset: 0,
                len: l.size,
                digest: l.digest.clone(),
            })
            .collect();
        resolved.push(Resolved {
            meta,
            layers,
            config: config_text(&cfg),
        });
    }
    if resolved.is_empty() {
        return Err(ImageError::NotFound(format!(
            "{source}: no image matches the requested platform"
        )));
    }
    Ok(resolved)
}

/// Resolve a `docker save` archive (legacy layout with `manifest.json`,
/// also written by Docker 25+ next to an OCI layout).
pub(crate) fn resolve_archive(file: &Path, source: &str) -> Result<Vec<Resolved>, ImageError> {
    let mut f = std::fs::File::open(file).map_err(|e| ImageError::io(file.display(), e))?;
    let mut entries: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    {
        let mut archive = tar::Archive::new(&mut f);
        for e in archive
            .entries()
            .map_err(|e| ImageError::malformed(file.display(), e))?
        {
            let e = e.map_err(|e| ImageError::malformed(file.display(), e))?;
            if entries.len() >= MAX_ARCHIVE_ENTRIES {
                return Err(ImageError::malformed(file.display(), "too many entries"));
            }
            let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            if let Some(p) = wharf_layer::normalize(&path) {
                entries.insert(p, (e.raw_file_position(), e.size()));
            }
        }
    }
    let mut read_entry = |name: &str| -> Result<Vec<u8>, ImageError> {
        let key = wharf_layer::normalize(name).unwrap_or_default();
        let &(offset, size) = entries
            .get(&key)
            .ok_or_else(|| ImageError::malformed(file.display(), format!("no entry {name:?}")))?;
        if size > MAX_JSON {
            return Err(ImageError::malformed(
                file.display(),
                format!("{name} is larger than {MAX_JSON} bytes"),
            ));
        }
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::io(file.display(), e))?;
        let mut buf = vec![0; usize::try_from(size).unwrap_or(0)];
        f.read_exact(&mut buf)
            .map_err(|e| ImageError::io(file.display(), e))?;
        Ok(buf)
    };
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Config")]
        config: String,
        #[serde(rename = "RepoTags", default)]
        repo_tags: Option<Vec<String>>,
        #[serde(rename = "Layers")]
        layers: Vec<String>,
    }
    let manifest: Vec<Entry> = serde_json::from_slice(&read_entry("manifest.json")?)
        .map_err(|e| ImageError::malformed(format!("{source} manifest.json"), e))?;
    let first = manifest
        .into_iter()
        .next()
        .ok_or_else(|| ImageError::malformed(format!("{source} manifest.json"), "no image"))?;
    let cfg_bytes = read_entry(&first.config)?;
    let config_digest = Digest::sha256_of(&cfg_bytes);
    let cfg = ImageConfig::parse(&cfg_bytes, &format!("{source} config"))
        .map_err(|e| ImageError::malformed(source, e))?;
    let diff_ids = cfg.diff_ids();
    let mut layers = Vec::new();
    let mut digests = Vec::new();
    for (i, name) in first.layers.iter().enumerate() {
        let key = wharf_layer::normalize(name).unwrap_or_default();
        let &(offset, len) = entries.get(&key).ok_or_else(|| {
            ImageError::malformed(file.display(), format!("layer {name:?} is missing"))
        })?;
        // `blobs/sha256/<hex>` names its digest; legacy `<id>/layer.tar`
        // files are uncompressed, so their digest is the diff_id.
        let digest = key
            .strip_prefix("blobs/")
            .map(|r| r.replacen('/', ":", 1))
            .and_then(|d| d.parse::<Digest>().ok())
            .or_else(|| diff_ids.get(i).cloned().flatten())
            .ok_or_else(|| {
                ImageError::malformed(
                    format!("{source} layer {name}"),
                    "no digest to verify it against",
                )
            })?;
        digests.push(digest.clone());
        layers.push(LayerRef::File {
            path: file.to_owned(),
            offset,
            len,
            digest,
        });
    }
    let sizes: Vec<Descriptor> = layers
        .iter()
        .zip(&digests)
        .map(|(l, d)| Descriptor {
            media_type: String::new(),
            digest: d.clone(),
            size: match l {
                LayerRef::File { len, .. } => *len,
                LayerRef::Registry { descriptor, .. } => descriptor.size,
            },
            platform: None,
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
        })
        .collect();
    let pseudo = ImageManifest {
        schema_version: 2,
        media_type: None,
        artifact_type: None,
        config: Descriptor {
            media_type: String::new(),
            digest: config_digest.clone(),
            size: cfg_bytes.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
        },
        layers: sizes,
        subject: None,
        annotations: BTreeMap::new(),
    };
    let name = first
        .repo_tags
        .and_then(|t| t.into_iter().next())
        .unwrap_or_else(|| source.to_owned());
    let meta = meta_for(&name, None, Some(config_digest), &pseudo, &cfg, &digests);
    Ok(vec![Resolved {
        meta,
        layers,
        config: config_text(&cfg),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_config_from_an_image_config() {
        let cfg = ImageConfig::parse(
            br#"{"architecture":"amd64","os":"linux",
                "config":{"User":"1000:1000","Env":["PATH=/bin","TOKEN=abc"],
                  "ExposedPorts":{"8080/tcp":{},"443/tcp":{}},
                  "Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/"],"Interval":30000000000},
                  "Entrypoint":["/app"],"Cmd":["--serve"],"WorkingDir":"/srv"},
                "history":[{"created":"2026-11-20T10:00:00Z","created_by":"ADD rootfs.tar.xz / # buildkit"},
                           {"created_by":"ENV TOKEN=abc","empty_layer":true}]}"#,
            "test",
        )
        .expect("config");
        let rt = runtime_config(&cfg);
        assert_eq!(rt.user.as_deref(), Some("1000:1000"));
        assert_eq!(rt.exposed_ports, ["443/tcp", "8080/tcp"]);
        assert_eq!(
            rt.healthcheck.as_deref(),
            Some(
                &[
                    "CMD-SHELL".to_owned(),
                    "curl -f http://localhost/".to_owned()
                ][..]
            )
        );
        assert_eq!(rt.entrypoint.as_deref(), Some(&["/app".to_owned()][..]));
        assert_eq!(rt.working_dir.as_deref(), Some("/srv"));
        // Environment and steps come later, from the redacted texts.
        assert!(rt.env.is_empty());
        assert_eq!(rt.history.len(), 2);
        assert!(rt.history.iter().all(|h| h.created_by.is_none()));
        assert!(rt.history[1].empty_layer && !rt.history[0].empty_layer);
        assert_eq!(
            rt.history[0].created.as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
        let none =
            ImageConfig::parse(br#"{"architecture":"amd64","os":"linux"}"#, "t").expect("bare");
        let rt = runtime_config(&none);
        assert_eq!((rt.user, rt.healthcheck), (None, None));
    }
}
