//! `wharf-testkit`: run a throwaway Distribution registry, or fill a registry
//! with many small repositories, for wharf's benchmarks and manual testing.
//!
//! ```text
//! wharf-testkit registry [--tls] [--catalog-max N]
//! wharf-testkit populate --registry URL --repos N --tags T
//! wharf-testkit sample --registry URL
//! wharf-testkit layout --out DIR [--tag TAG] ROOTFS...
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use futures::{StreamExt as _, TryStreamExt as _, stream};
use wharf_testkit::image::{Blob, ImageBuilder, Layer, LayerBuilder, ManifestFormat};
use wharf_testkit::push::{PushAuth, Pusher};
use wharf_testkit::registry::{RegistryOptions, TestRegistry};

/// Fixed creation time of populated images, so reruns give the same digests.
const CREATED: &str = "2024-01-01T00:00:00Z";
/// Label that makes each populated image (and so its digest) unique.
const UNIQUE_LABEL: &str = "org.wharf.testkit.image";

#[derive(Debug, Parser)]
#[command(name = "wharf-testkit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a throwaway registry on loopback until SIGTERM or Ctrl-C. Prints its
    /// URL on one line of standard output once it is ready.
    Registry(RegistryArgs),
    /// Push N repositories `{prefix}/repo-{i:05}`, each with T tags `v{j}`
    /// pointing at D distinct small images, then print a one-line summary.
    Populate(PopulateArgs),
    /// Push the sample image set (see `wharf_testkit::sample`) and print
    /// what was pushed.
    Sample(SampleArgs),
    /// Forward 127.0.0.1:<random> to UPSTREAM, delaying every request by
    /// DELAY ms (a remote registry's round trip). Prints its URL, runs until
    /// SIGTERM or Ctrl-C.
    Proxy(ProxyArgs),
    /// Build a single-platform image from root-filesystem directories (one
    /// gzip layer per directory, base first; symlinks kept, not followed),
    /// write it as an OCI image layout tagged TAG, and print its manifest
    /// digest and compressed layer sizes.
    Layout(LayoutArgs),
}

#[derive(Debug, Args)]
struct LayoutArgs {
    /// The OCI layout directory to write (created or extended).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Tag (`org.opencontainers.image.ref.name`) of the image in the layout.
    #[arg(long, default_value = "latest")]
    tag: String,
    /// Root-filesystem directories, one layer each, base first.
    #[arg(required = true, value_name = "ROOTFS")]
    dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct ProxyArgs {
    /// Upstream `host:port` (an IP address).
    #[arg(long, value_name = "ADDR")]
    upstream: std::net::SocketAddr,
    /// Delay added to each request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20)]
    delay_ms: u64,
}

#[derive(Debug, Args)]
struct SampleArgs {
    /// Registry base URL, e.g. `http://127.0.0.1:5000`.
    #[arg(long, value_name = "URL")]
    registry: String,
}

#[derive(Debug, Args)]
struct RegistryArgs {
    /// Serve HTTPS with a certificate signed by a generated test CA.
    #[arg(long)]
    tls: bool,
    /// Maximum page size of `GET /v2/_catalog`.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    catalog_max: u32,
    /// With --tls: write the test CA certificate (PEM) to this file.
    #[arg(long, value_name = "PATH", requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Registry log level (error, warn, info, debug).
    #[arg(long, default_value = "warn")]
    log_level: String,
    /// Let the registry write one access-log line per request.
    #[arg(long)]
    access_log: bool,
}

#[derive(Debug, Args)]
struct PopulateArgs {
    /// Registry base URL, e.g. `http://127.0.0.1:5000`.
    #[arg(long, value_name = "URL")]
    registry: String,
    /// Number of repositories.
    #[arg(long, value_name = "N")]
    repos: u32,
    /// Number of tags per repository.
    #[arg(long, value_name = "T")]
    tags: u32,
    /// Number of distinct images (digests) per repository; tags are spread
    /// over them round-robin.
    #[arg(long, value_name = "D", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    distinct_digests_per_repo: u32,
    /// Repositories pushed concurrently.
    #[arg(long, value_name = "C", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Repository name prefix.
    #[arg(long, value_name = "NAME", default_value = "bench")]
    prefix: String,
    /// User for Basic authentication.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// Password for Basic authentication.
    #[arg(
        long,
        env = "WHARF_TESTKIT_PASSWORD",
        hide_env_values = true,
        requires = "user"
    )]
    password: Option<String>,
    /// PEM file of a CA to trust (e.g. the --ca-out of `registry --tls`).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Registry(args) => run_registry(args).await,
        Command::Populate(args) => populate(args).await,
        Command::Proxy(args) => {
            let proxy = wharf_testkit::latency::LatencyProxy::start(
                args.upstream,
                Duration::from_millis(args.delay_ms),
            )
            .await?;
            let mut out = std::io::stdout();
            writeln!(out, "{}", proxy.url())?;
            out.flush()?;
            shutdown_signal().await
        }
        Command::Layout(args) => layout(args),
        Command::Sample(args) => {
            let pusher = Pusher::new(&args.registry, PushAuth::None, None)?;
            let pushed = wharf_testkit::push_sample_images(&pusher).await?;
            writeln!(
                std::io::stderr(),
                "pushed sample images to {}: {pushed:#?}",
                args.registry
            )?;
            Ok(())
        }
    }
}

/// Waits for SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() -> Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C"),
        _ = terminate.recv() => Ok(()),
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the registry URL on stdout is this command's output"
)]
async fn run_registry(args: RegistryArgs) -> Result<()> {
    let mut registry = TestRegistry::start(RegistryOptions {
        tls: args.tls,
        log_level: args.log_level,
        access_log: args.access_log,
        catalog_max_entries: args.catalog_max,
        ..RegistryOptions::default()
    })
    .await?;
    if let (Some(path), Some(pem)) = (&args.ca_out, registry.ca_pem()) {
        std::fs::write(path, pem).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{}", registry.url());
    std::io::stdout().flush().context("flushing stdout")?;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            result = &mut shutdown => return result,
            _ = check.tick() => {
                if !registry.is_running() {
                    bail!(
                        "the registry exited unexpectedly; its log:\n{}",
                        registry.log_contents()
                    );
                }
            }
        }
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the digest and sizes on stdout are this command's output"
)]
fn layout(args: LayoutArgs) -> Result<()> {
    let mut builder = ImageBuilder::new()
        .created(CREATED)
        .env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in &args.dirs {
        let started = Instant::now();
        let layer = Layer::from_dir(dir)?;
        writeln!(
            std::io::stderr(),
            "{}: {} compressed bytes in {:.1}s",
            dir.display(),
            layer.compressed.len(),
            started.elapsed().as_secs_f64()
        )?;
        builder.layers.push(layer);
    }
    let image = builder.build()?;
    wharf_testkit::write_oci_layout(&args.out, &image, &args.tag)?;
    let sizes: Vec<String> = image.layers.iter().map(|l| l.size().to_string()).collect();
    println!("{} {}", image.digest(), sizes.join(" "));
    Ok(())
}

/// The layer shared by every populated image.
fn base_layer() -> Result<Layer> {
    LayerBuilder::new()
        .dir("etc")
        .file(
            "etc/os-release",
            b"ID=wharf-bench\nNAME=\"wharf benchmark image\"\n".to_vec(),
            0o644,
        )
        .dir("usr/bin")
        .file("usr/bin/hello", b"#!/bin/sh\necho hello\n".to_vec(), 0o755)
        .symlink("bin", "usr/bin")
        .build()
}

#[expect(
    clippy::print_stdout,
    reason = "the summary line on stdout is this command's output"
)]
async fn populate(args: PopulateArgs) -> Result<()> {
    let ca_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let auth = match (args.user, args.password) {
        (Some(user), Some(pass)) => PushAuth::Basic { user, pass },
        _ => PushAuth::None,
    };
    let pusher = Pusher::new(&args.registry, auth, ca_pem.as_deref())?;
    let base = base_layer()?;
    let base_blob = base.blob(ManifestFormat::Oci);
    let repos: Vec<String> = (0..args.repos)
        .map(|i| format!("{}/repo-{i:05}", args.prefix))
        .collect();
    let images_per_repo = args.distinct_digests_per_repo.min(args.tags);

    let started = Instant::now();
    let Some(first) = repos.first() else {
        println!("populated 0 repos, 0 tags, 0 digests in 0.00s");
        return Ok(());
    };
    // Upload the shared layer once; every other repository mounts it.
    pusher.push_blob(first, &base_blob).await?;
    let job = RepoJob {
        pusher: &pusher,
        base: &base,
        base_blob: &base_blob,
        mount_from: first,
        tags: args.tags,
        images: images_per_repo,
    };
    let digests: Vec<u32> = stream::iter(repos.iter())
        .map(|repo| job.run(repo))
        .buffer_unordered(usize::try_from(args.concurrency).unwrap_or(usize::MAX))
        .try_collect()
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let tags = u64::from(args.repos) * u64::from(args.tags);
    let digests: u64 = digests.iter().map(|&d| u64::from(d)).sum();
    println!(
        "populated {} repos, {tags} tags, {digests} digests in {elapsed:.2}s",
        args.repos
    );
    std::io::stdout().flush().context("flushing stdout")?;
    Ok(())
}

/// What every repository gets.
struct RepoJob<'a> {
    pusher: &'a Pusher,
    base: &'a Layer,
    base_blob: &'a Blob,
    mount_from: &'a str,
    tags: u32,
    images: u32,
}

impl RepoJob<'_> {
    /// Pushes one repository; returns the number of distinct manifests pushed.
    async fn run(&self, repo: &str) -> Result<u32> {
        self.pusher
            .push_blob_mount(repo, self.base_blob, self.mount_from)
            .await
            .with_context(|| format!("making the base layer available in {repo}"))?;
        let mut manifests = Vec::new();
        for index in 0..self.images {
            let image = ImageBuilder::new()
                .layer(self.base.clone())
                .created(CREATED)
                .env("PATH=/usr/bin:/bin")
                .label(UNIQUE_LABEL, format!("{repo}#{index}"))
                .build()?;
            // The config is unique to this repository: no need to HEAD first.
            self.pusher.upload_blob(repo, &image.config).await?;
            manifests.push(image.manifest);
        }
        for tag in 0..self.tags {
            let Some(manifest) = usize::try_from(tag % self.images.max(1))
                .ok()
                .and_then(|i| manifests.get(i))
            else {
                break;
            };
            self.pusher
                .put_manifest(repo, &format!("v{tag}"), manifest)
                .await?;
        }
        Ok(self.images)
    }
}
