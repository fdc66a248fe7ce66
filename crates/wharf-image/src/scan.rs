//! The scan: source → platform images → layers (cached or read once) →
//! merged inventory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::{StreamExt as _, stream};
use wharf_analyzers::{AnalyzerSet, ConfigText, LayerReport, Output};
use wharf_inventory::{INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory, LayerCache, merge};
use wharf_layer::{LayerError, Limits};
use wharf_registry::{ClientConfig, RegistryClient, RegistryEndpoint};
use wharf_types::{Digest, Platform};

use crate::oci::{LayerRef, Resolved, resolve_archive, resolve_layout, resolve_registry};
use crate::verify::{ChannelReader, VerifyingReader};
use crate::{ImageError, Source};

/// A layer's report and whether it came from the cache.
type LayerResult = Result<(Arc<LayerReport>, bool), ImageError>;

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    /// Only this platform of a multi-platform image (default: every one).
    pub platform: Option<Platform>,
    /// Registry connection settings (registry sources).
    pub client: ClientConfig,
    /// Limits applied to every layer.
    pub limits: Limits,
    /// Layer cache root (`None`: no cache).
    pub cache_root: Option<PathBuf>,
    /// The analyzers to run.
    pub analyzers: Arc<AnalyzerSet>,
    /// Layers analysed at once.
    pub layer_concurrency: usize,
}

/// Scan `source` into one inventory per platform image.
pub async fn scan(source: &Source, opts: &ScanOptions) -> Result<Vec<Inventory>, ImageError> {
    let name = source.to_string();
    let images = match source {
        Source::Registry(r) => {
            let endpoint = RegistryEndpoint::for_host(r.registry(), opts.client.insecure)?;
            let client = RegistryClient::connect(endpoint, &opts.client).await?;
            resolve_registry(&client, r, opts.platform.as_ref()).await?
        }
        Source::OciLayout { dir, tag } => {
            let (dir, tag, platform) = (dir.clone(), tag.clone(), opts.platform.clone());
            blocking(move || resolve_layout(&dir, tag.as_deref(), platform.as_ref(), &name)).await?
        }
        Source::DockerArchive(file) => {
            let file = file.clone();
            blocking(move || resolve_archive(&file, &name)).await?
        }
        Source::Dir(path) => {
            let (path, set, name) = (path.clone(), opts.analyzers.clone(), name.clone());
            let report = blocking(move || {
                set.analyze_dir(&path)
                    .map_err(|e| ImageError::io(path.display(), e))
            })
            .await?;
            let meta = ImageMeta {
                source: name,
                ..ImageMeta::default()
            };
            let config = ConfigText::default();
            return Ok(vec![assemble(meta, config, &[(None, &report)], opts)]);
        }
    };
    let cache = opts
        .cache_root
        .as_ref()
        .map(|r| LayerCache::new(r, &opts.analyzers.versions()));
    let tmp = tempfile::Builder::new()
        .prefix("wharf-scan-")
        .tempdir()
        .map_err(|e| ImageError::io("temporary directory", e))?;
    // A layer shared by several platform images of one scan is read once.
    let mut seen: HashMap<Digest, Arc<LayerReport>> = HashMap::new();
    let mut inventories = Vec::new();
    for Resolved {
        mut meta,
        layers,
        config,
    } in images
    {
        let todo: Vec<(usize, LayerRef)> = layers.into_iter().enumerate().collect();
        let results: Vec<(usize, LayerResult)> = stream::iter(todo)
            .map(|(i, layer)| {
                let cache = cache.clone();
                let known = layer_digest(&layer).and_then(|d| seen.get(&d).cloned());
                let tmp = tmp.path().to_owned();
                async move {
                    if let Some(r) = known {
                        // Shared with an earlier platform image of this scan:
                        // not read again, but not from the layer cache either.
                        return (i, Ok((r, false)));
                    }
                    (i, layer_report(layer, cache.as_ref(), opts, tmp).await)
                }
            })
            .buffer_unordered(opts.layer_concurrency.max(1))
            .collect()
            .await;
        let mut reports: Vec<Option<Arc<LayerReport>>> = vec![None; results.len()];
        for (i, r) in results {
            let (report, cached) = r?;
            meta.layers[i].cached = cached;
            if let Some(d) = meta.layers[i].digest.clone() {
                seen.insert(d, report.clone());
            }
            reports[i] = Some(report);
        }
        let ordered: Vec<(Option<Digest>, &LayerReport)> = meta
            .layers
            .iter()
            .zip(&reports)
            .filter_map(|(l, r)| r.as_deref().map(|r| (l.digest.clone(), r)))
            .collect();
        inventories.push(assemble(meta.clone(), config, &ordered, opts));
    }
    Ok(inventories)
}

fn assemble(
    mut meta: ImageMeta,
    mut config: ConfigText,
    layers: &[(Option<Digest>, &LayerReport)],
    opts: &ScanOptions,
) -> Inventory {
    let merged = merge(layers);
    let (mut secrets, mut malware) = (merged.secrets, merged.malware);
    let original = config.clone();
    for output in opts.analyzers.scan_config(&mut config) {
        match output {
            Output::Secrets { findings } => secrets.extend(findings),
            Output::Malware { findings } => malware.extend(findings),
            _ => {}
        }
    }
    redact_meta(&mut meta, &original, &config);
    if let Some(runtime) = meta.config.as_mut() {
        fill_runtime(runtime, &config, opts.analyzers.redacts_config());
    }
    let os = wharf_analyzers::os_release::identify(&merged.os_files);
    let mut packages = merged.packages;
    for p in &mut packages {
        p.purl = Some(wharf_inventory::purl(p, os.as_ref()));
    }
    Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        os,
        image: meta,
        packages,
        diagnostics: merged.diagnostics,
        analyzers: opts.analyzers.versions(),
        secrets,
        malware,
        files: merged.files,
    }
}

/// Environment and build steps of the runtime configuration, from the
/// configuration's texts as the scanners left them: values only when a
/// scanner redacted them, names otherwise; steps as redacted, or with the
/// value of every `NAME=value` word masked.
fn fill_runtime(runtime: &mut wharf_inventory::RuntimeConfig, config: &ConfigText, redacted: bool) {
    runtime.redacted = redacted;
    runtime.env = config
        .env
        .iter()
        .map(|e| {
            let (name, value) = e.split_once('=').unwrap_or((e.as_str(), ""));
            wharf_inventory::EnvVar {
                name: name.to_owned(),
                value: redacted.then(|| value.to_owned()),
            }
        })
        .collect();
    for (step, text) in runtime.history.iter_mut().zip(&config.history) {
        if text.is_empty() {
            continue;
        }
        step.created_by = Some(if redacted {
            text.clone()
        } else {
            mask_assignments(text)
        });
    }
}

/// `ENV A=1 B=two` → `ENV A=***** B=*****`: the value of every word shaped
/// `NAME=value` (a shell or Dockerfile assignment, `--build-arg`) masked.
pub(crate) fn mask_assignments(step: &str) -> String {
    let mut out = String::with_capacity(step.len());
    for (i, word) in step.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match word.split_once('=') {
            Some((name, value))
                if !name.is_empty()
                    && !value.is_empty()
                    && name
                        .trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push_str(name);
                out.push_str("=*****");
            }
            _ => out.push_str(word),
        }
    }
    out
}

/// Carry the scanners' redactions of the configuration over to what the
/// inventory keeps of it (labels, the build step of each layer).
fn redact_meta(meta: &mut ImageMeta, original: &ConfigText, redacted: &ConfigText) {
    meta.labels.clone_from(&redacted.labels);
    let replaced: HashMap<&str, &str> = original
        .history
        .iter()
        .zip(&redacted.history)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    for layer in &mut meta.layers {
        if let Some(step) = layer.created_by.as_mut()
            && let Some(r) = replaced.get(step.as_str())
        {
            *step = (*r).to_owned();
        }
    }
}

fn layer_digest(layer: &LayerRef) -> Option<Digest> {
    match layer {
        LayerRef::Registry { descriptor, .. } => Some(descriptor.digest.clone()),
        LayerRef::File { digest, .. } => Some(digest.clone()),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ImageError> + Send + 'static,
) -> Result<T, ImageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ImageError::io("worker thread", e))?
}

/// The report of one layer: from the cache, or read once and cached.
async fn layer_report(
    layer: LayerRef,
    cache: Option<&LayerCache>,
    opts: &ScanOptions,
    tmp: PathBuf,
) -> LayerResult {
    let digest = layer_digest(&layer);
    if let (Some(c), Some(d)) = (cache, &digest)
        && let Some(r) = c.get(d)
    {
        tracing::debug!(layer = %d, "layer report from cache");
        return Ok((Arc::new(r), true));
    }
    let set = opts.analyzers.clone();
    let limits = opts.limits.clone();
    let name = digest
        .as_ref()
        .map_or_else(|| "layer".to_owned(), ToString::to_string);
    let layer_err = |source: LayerError| ImageError::Layer {
        layer: name.clone(),
        source,
    };
    let started = std::time::Instant::now();
    let report = match layer {
        LayerRef::File {
            path,
            offset,
            len,
            digest,
        } => {
            let what = name.clone();
            blocking(move || {
                use std::io::{Read as _, Seek as _};
                let mut f = std::fs::File::open(&path)
                    .map_err(|e| ImageError::io(format!("layer {what} ({})", path.display()), e))?;
                f.seek(std::io::SeekFrom::Start(offset))
                    .map_err(|e| ImageError::io(format!("layer {what} ({})", path.display()), e))?;
                let mut verifier = VerifyingReader::new(f.take(len), digest, what.clone());
                let report = set
                    .analyze_layer(&mut verifier, &limits, &tmp)
                    .map_err(|source| ImageError::Layer {
                        layer: what.clone(),
                        source,
                    })?;
                verifier.finish().map_err(|e| ImageError::Layer {
                    layer: what,
                    source: LayerError::Visitor(e.to_string()),
                })?;
                Ok(report)
            })
            .await?
        }
        LayerRef::Registry {
            client,
            repository,
            descriptor,
        } => {
            let mut blob = client.blob_stream(&repository, &descriptor).await?;
            let (tx, mut reader) = ChannelReader::new(16);
            let pump = tokio::spawn(async move {
                while let Some(chunk) = blob.next().await {
                    let item = chunk.map_err(std::io::Error::other);
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed {
                        break;
                    }
                }
            });
            let what = name.clone();
            let result = blocking(move || {
                let report = set
                    .analyze_layer(&mut reader, &limits, &tmp)
                    .map_err(|source| ImageError::Layer {
                        layer: what.clone(),
                        source,
                    })?;
                // Whatever the walk left unread must still arrive and verify.
                std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| {
                    ImageError::Layer {
                        layer: what,
                        source: LayerError::Visitor(e.to_string()),
                    }
                })?;
                Ok(report)
            })
            .await;
            pump.abort();
            result.map_err(|e| match e {
                ImageError::Layer { source, .. } => layer_err(source),
                other => other,
            })?
        }
    };
    tracing::info!(layer = %name, entries = report.entries, bytes = report.uncompressed_bytes, ms = started.elapsed().as_millis() as u64, "layer analysed");
    if let (Some(c), Some(d)) = (cache, &digest)
        && let Err(e) = c.put(d, &report)
    {
        tracing::warn!("{e}");
    }
    Ok((Arc::new(report), false))
}

#[cfg(test)]
mod runtime_tests {
    use super::*;

    #[test]
    fn env_values_only_when_redacted_and_steps_masked_otherwise() {
        let config = ConfigText {
            env: vec!["PATH=/bin".into(), "API_TOKEN=abc123".into()],
            history: vec![
                "/bin/sh -c #(nop) ENV API_TOKEN=abc123".into(),
                String::new(),
            ],
            ..ConfigText::default()
        };
        let mut rt = wharf_inventory::RuntimeConfig {
            history: vec![Default::default(), Default::default()],
            ..Default::default()
        };
        fill_runtime(&mut rt, &config, false);
        assert_eq!(rt.env[1].name, "API_TOKEN");
        assert_eq!(rt.env[1].value, None);
        assert_eq!(
            rt.history[0].created_by.as_deref(),
            Some("/bin/sh -c #(nop) ENV API_TOKEN=*****")
        );
        assert_eq!(rt.history[1].created_by, None);
        assert!(!rt.redacted);
        fill_runtime(&mut rt, &config, true);
        assert_eq!(rt.env[0].value.as_deref(), Some("/bin"));
        assert!(rt.redacted);
    }
}
