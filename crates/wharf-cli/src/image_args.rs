//! The image to analyse and how: shared by `sbom` and `scan`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use wharf_analyzers::ContentScanner;
use wharf_image::{ScanOptions, Source};
use wharf_inventory::{Inventory, LayerCache};
use wharf_registry::RegistryEndpoint;
use wharf_types::Platform;

use crate::registry_args::RegistryArgs;

/// IMAGE and the flags that say how to read it.
#[derive(Args, Debug)]
pub(crate) struct ImageArgs {
    /// The image: a registry reference (`nginx:1.25`,
    /// `registry:5000/app@sha256:…`), `oci:DIR[:TAG]` (OCI image layout),
    /// `docker-archive:FILE` (`docker save` output) or `dir:PATH` (a root
    /// filesystem).
    pub(crate) image: String,
    /// Only this platform of a multi-platform image (`linux/arm64`, `linux/arm/v7`).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Option<Platform>,
    /// Layer cache directory (default: $WHARF_CACHE_DIR or ~/.cache/wharf).
    #[arg(long, env = "WHARF_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    #[command(flatten)]
    pub(crate) registry_args: RegistryArgs,
}

impl ImageArgs {
    /// Resolve the image and build one inventory per platform image, each
    /// layer read once (or taken from the layer cache), with `scanners`
    /// (secrets, malware) in the same pass.
    pub(crate) async fn inventories(
        &self,
        scanners: Vec<Arc<dyn ContentScanner>>,
    ) -> anyhow::Result<(Source, Vec<Inventory>)> {
        let source: Source = self.image.parse()?;
        let client = match &source {
            Source::Registry(r) => {
                let endpoint =
                    RegistryEndpoint::for_host(r.registry(), self.registry_args.insecure)?;
                self.registry_args.client_config(&endpoint).await?
            }
            _ => wharf_registry::ClientConfig::default(),
        };
        let cache_root = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(LayerCache::default_root)
        };
        let options = ScanOptions {
            platform: self.platform.clone(),
            client,
            limits: wharf_layer::Limits::default(),
            cache_root,
            analyzers: Arc::new(wharf_analyzers::builtin().with_scanners(scanners)),
            layer_concurrency: 2,
        };
        let inventories = wharf_image::scan(&source, &options)
            .await
            .with_context(|| format!("cannot scan {source}"))?;
        for inv in &inventories {
            let cached = inv.image.layers.iter().filter(|l| l.cached).count();
            tracing::info!(
                image = %inv.image.source,
                platform = inv.image.platform.as_deref().unwrap_or(""),
                packages = inv.packages.len(),
                layers = inv.image.layers.len(),
                cached_layers = cached,
                diagnostics = inv.diagnostics.len(),
                "inventory ready"
            );
        }
        Ok((source, inventories))
    }
}
