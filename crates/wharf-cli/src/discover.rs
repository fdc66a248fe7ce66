//! `wharf discover`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use url::Url;
use wharf_registry::discovery::{DiscoveryProgress, RepositoryReport, RepositorySource};
use wharf_registry::{
    Discoverer, DiscoveryOptions, DiscoveryReport, RegistryClient, RegistryEndpoint,
};

use crate::exit;
use crate::registry_args::RegistryArgs;

/// Output formats of `discover`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// The versioned JSON document (`docs/discovery-json.md`).
    Json,
}

/// List every repository, tag, manifest digest and platform of a registry.
///
/// REGISTRY is written as users write it: `registry.example.com:5000`,
/// `https://ghcr.io`, `http://127.0.0.1:5000`, `docker.io`. Exit codes:
/// 0 complete, 2 error, 3 finished with errors on some repositories or tags.
#[derive(Args, Debug)]
pub(crate) struct DiscoverArgs {
    /// The registry endpoint.
    registry: String,
    /// Only repositories matching this glob (repeatable). Names without
    /// wildcards are also the list used when the registry refuses its
    /// catalog (Docker Hub, GHCR); on Docker Hub, `namespace/*` lists the
    /// namespace through Hub's API.
    #[arg(long = "repo", value_name = "GLOB")]
    repos: Vec<String>,
    /// Only tags matching this glob (repeatable).
    #[arg(long = "tag", value_name = "GLOB")]
    tags: Vec<String>,
    /// Tags and digests only: do not fetch manifests and configs.
    #[arg(long)]
    no_platforms: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Page size for catalog requests.
    #[arg(long, default_value_t = 100, hide = true)]
    catalog_page_size: u32,
    /// Base URL of Docker Hub's web API.
    #[arg(
        long,
        default_value = "https://hub.docker.com/",
        hide = true,
        env = "WHARF_DOCKER_HUB_API"
    )]
    docker_hub_api: Url,
    #[command(flatten)]
    registry_args: RegistryArgs,
}

/// Progress: a bar on a terminal, periodic log lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl DiscoveryProgress for Progress {
    fn repositories_listed(&self, count: usize) {
        self.total.store(count, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.set_length(count as u64);
            b.set_message("repositories");
        }
    }

    fn repository_done(&self, report: &RepositoryReport) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(1);
        } else if done == total || done.is_multiple_of((total / 20).max(1)) {
            tracing::info!(done, total, repository = %report.name, "discovery progress");
        }
        for e in &report.errors {
            tracing::warn!(repository = %report.name, tag = e.tag.as_deref().unwrap_or(""), "{}", e.message);
        }
    }
}

pub(crate) async fn run(args: DiscoverArgs, interactive: bool) -> anyhow::Result<u8> {
    let endpoint = RegistryEndpoint::parse(&args.registry, args.registry_args.insecure)?;
    let config = args.registry_args.client_config(&endpoint).await?;
    let client = RegistryClient::connect(endpoint.clone(), &config)
        .await
        .with_context(|| format!("cannot use registry {endpoint}"))?;
    let options = DiscoveryOptions {
        repositories: args.repos.clone(),
        tags: args.tags.clone(),
        catalog_page_size: args.catalog_page_size,
        resolve_images: !args.no_platforms,
        docker_hub_api: args.docker_hub_api.clone(),
        ..DiscoveryOptions::default()
    };
    let bar = interactive.then(|| {
        let b = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} {msg} [{elapsed_precise}] {wide_bar}",
        ) {
            b.set_style(style);
        }
        b.set_message("listing repositories");
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let progress = Arc::new(Progress {
        bar: bar.clone(),
        done: AtomicUsize::new(0),
        total: AtomicUsize::new(0),
    });
    let report = Discoverer::new(client, options)
        .with_progress(progress)
        .run()
        .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = report.with_context(|| format!("discovery of {endpoint} failed"))?;
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(
        repositories = report.summary.repositories,
        tags = report.summary.tags,
        digests = report.summary.unique_digests,
        platform_images = report.summary.platform_images,
        errors = report.summary.errors,
        requests = report.requests.requests,
        duration_ms = report.duration_ms,
        "discovery finished"
    );
    let rendered = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        Format::Table => render_table(&report),
    };
    crate::write_output(&rendered, args.output.as_deref())?;
    Ok(if report.summary.errors > 0 {
        exit::PARTIAL
    } else {
        exit::OK
    })
}

fn render_table(r: &DiscoveryReport) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "REPOSITORY",
        "TAG",
        "DIGEST",
        "KIND",
        "PLATFORMS",
        "CREATED",
    ]);
    for repo in &r.repositories {
        for tag in &repo.tags {
            let image = tag
                .digest
                .as_ref()
                .and_then(|d| repo.images.iter().find(|i| &i.digest == d));
            let digest = tag.digest.as_ref().map_or_else(
                || "(error)".to_owned(),
                |d| format!("{}:{}", d.algorithm().as_str(), d.short()),
            );
            let kind = image
                .and_then(|i| i.kind)
                .map(|k| format!("{k:?}").to_lowercase())
                .unwrap_or_default();
            let platforms = image
                .map(|i| {
                    i.platforms
                        .iter()
                        .map(|p| p.platform.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let created = image
                .and_then(|i| {
                    i.platforms
                        .iter()
                        .filter_map(|p| p.created.as_deref())
                        .max()
                })
                .unwrap_or("")
                .to_owned();
            t.add_row([
                repo.name.as_str(),
                tag.name.as_str(),
                &digest,
                &kind,
                &platforms,
                &created,
            ]);
        }
        if repo.tags.is_empty() {
            t.add_row([repo.name.as_str(), "(no tags)", "", "", "", ""]);
        }
    }
    let source = match &r.repository_source {
        RepositorySource::Catalog => "catalog".to_owned(),
        RepositorySource::DockerHubApi { namespaces } => {
            format!("Docker Hub API ({})", namespaces.join(", "))
        }
        RepositorySource::Configured { reason: None } => "configured list".to_owned(),
        RepositorySource::Configured { reason: Some(r) } => format!("configured list ({r})"),
    };
    let mut out = format!("{t}\n");
    out.push_str(&format!(
        "{}: {} repositories, {} tags, {} distinct digests, {} platform images, {} skipped, {} errors (repositories from {source}; {} requests in {:.1}s)\n",
        r.endpoint,
        r.summary.repositories,
        r.summary.tags,
        r.summary.unique_digests,
        r.summary.platform_images,
        r.summary.skipped,
        r.summary.errors,
        r.requests.requests,
        r.duration_ms as f64 / 1000.0
    ));
    for repo in &r.repositories {
        for e in &repo.errors {
            out.push_str(&format!(
                "error: {}{}: {}\n",
                repo.name,
                e.tag
                    .as_deref()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default(),
                e.message
            ));
        }
    }
    out
}
