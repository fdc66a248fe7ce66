//! Discovery: every repository, tag and manifest digest of a registry,
//! multi-arch indexes resolved to their platforms.
//!
//! Repositories come from `/v2/_catalog` (paginated), from Docker Hub's
//! namespace API on Hub, or from the list the user configured when the
//! catalog is refused; the report says which. Each tag is resolved to a
//! digest with `HEAD` (falling back to `GET`); each distinct digest is then
//! fetched once, verified, and, for an index, each platform's manifest and
//! config are fetched to learn its platform, creation time and labels.
//! Attestation manifests and `unknown/unknown` entries are skipped and
//! reported. Manifests and configs are content-addressed, so they are cached
//! by digest across repositories for the length of one discovery.
//!
//! Work runs concurrently (repositories, tags and digests), bounded by the
//! client's per-registry request limit. A failure on one tag or repository
//! is recorded in the report and does not stop the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use futures::{StreamExt as _, stream};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use url::Url;
use wharf_types::{Digest, Platform};

use crate::client::RegistryClient;
use crate::error::{RegistryError, Result};
use crate::http::StatsSnapshot;
use crate::manifest::{Descriptor, FetchedManifest, ImageConfig, Manifest};

/// The discovery JSON schema version; bump on incompatible changes.
pub const DISCOVERY_SCHEMA_VERSION: u32 = 1;

/// What to discover.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Repository patterns (`team/*`, `library/nginx`). Names without glob
    /// characters are also used as-is when the catalog is unavailable.
    /// Empty: every repository.
    pub repositories: Vec<String>,
    /// Tag patterns; empty: every tag.
    pub tags: Vec<String>,
    /// Page size asked of `/v2/_catalog`.
    pub catalog_page_size: u32,
    /// Page size asked of `/tags/list`.
    pub tag_page_size: u32,
    /// Fetch manifests and configs (platforms, created, labels). Off: tags
    /// and digests only.
    pub resolve_images: bool,
    /// Docker Hub's web API base (`https://hub.docker.com/`).
    pub docker_hub_api: Url,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            repositories: Vec::new(),
            tags: Vec::new(),
            catalog_page_size: 100,
            tag_page_size: 1000,
            resolve_images: true,
            #[allow(clippy::unwrap_used)] // a constant, valid URL
            docker_hub_api: Url::parse("https://hub.docker.com/").unwrap(),
        }
    }
}

/// Where the repository list came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RepositorySource {
    /// `/v2/_catalog`.
    Catalog,
    /// Docker Hub's namespace listing API.
    DockerHubApi {
        /// Namespaces listed.
        namespaces: Vec<String>,
    },
    /// The repositories the user named.
    Configured {
        /// Why the catalog was not used, if it was tried.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// The whole result of a discovery (JSON schema `wharf.discovery`, version
/// [`DISCOVERY_SCHEMA_VERSION`]; see `docs/discovery-json.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoveryReport {
    /// Schema version of this document.
    pub schema_version: u32,
    /// Registry host (`registry-1.docker.io` for Hub).
    pub registry: String,
    /// Endpoint used (`https://host`).
    pub endpoint: String,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Where the repository list came from.
    pub repository_source: RepositorySource,
    /// Repositories, sorted by name.
    pub repositories: Vec<RepositoryReport>,
    /// Registry-level warnings (catalog refused, globs not expandable…).
    pub warnings: Vec<String>,
    /// Totals.
    pub summary: Summary,
    /// Requests made.
    pub requests: StatsSnapshot,
}

/// Totals of a discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Repositories discovered.
    pub repositories: usize,
    /// Tags discovered.
    pub tags: usize,
    /// Distinct manifest digests that tags point at, registry-wide.
    pub unique_digests: usize,
    /// Single-platform images (index children plus plain manifests).
    pub platform_images: usize,
    /// Manifests skipped (attestations, unknown platforms, artifacts).
    pub skipped: usize,
    /// Errors recorded on repositories and tags.
    pub errors: usize,
}

/// One repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepositoryReport {
    /// Repository name.
    pub name: String,
    /// Tags, sorted, with the digest each points at.
    pub tags: Vec<TagReport>,
    /// Distinct manifests the tags point at.
    pub images: Vec<ImageReport>,
    /// What failed in this repository.
    pub errors: Vec<DiscoveryIssue>,
}

/// One tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagReport {
    /// Tag name.
    pub name: String,
    /// The manifest digest it points at (`None` when resolving failed).
    pub digest: Option<Digest>,
}

/// What a manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageKind {
    /// Multi-platform index or manifest list.
    Index,
    /// Single-platform image.
    Image,
    /// OCI artifact that is not a container image.
    Artifact,
}

/// One distinct manifest in a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageReport {
    /// Manifest digest.
    pub digest: Digest,
    /// Tags pointing at it.
    pub tags: Vec<String>,
    /// Media type (absent when images were not resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Kind (absent when images were not resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ImageKind>,
    /// The platform images it stands for.
    pub platforms: Vec<PlatformImage>,
    /// Index entries not treated as images, with the reason.
    pub skipped: Vec<SkippedManifest>,
}

/// A single-platform image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlatformImage {
    /// Platform (`linux/arm64/v8`).
    pub platform: String,
    /// Its manifest digest (equal to the image digest for non-indexes).
    pub digest: Digest,
    /// Config blob digest.
    pub config_digest: Digest,
    /// Creation time from the config (RFC 3339), when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Labels from the config.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Number of layers.
    pub layers: usize,
    /// Compressed size of the layers in bytes.
    pub size: u64,
}

/// A manifest that discovery deliberately did not treat as an image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedManifest {
    /// Its digest.
    pub digest: Digest,
    /// Its platform, if the index stated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// A failure recorded during discovery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoveryIssue {
    /// The tag concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The digest concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// What went wrong.
    pub message: String,
}

/// Progress callbacks, for a progress bar or structured logs.
pub trait DiscoveryProgress: Send + Sync {
    /// The repository list is known.
    fn repositories_listed(&self, count: usize);
    /// One repository is finished.
    fn repository_done(&self, report: &RepositoryReport);
}

/// Matches names against user patterns.
#[derive(Debug, Clone)]
struct Patterns {
    set: Option<GlobSet>,
    literals: Vec<String>,
    has_globs: bool,
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

impl Patterns {
    fn new(patterns: &[String], kind: &'static str) -> Result<Self> {
        let invalid = |pattern: &str, e: globset::Error| RegistryError::InvalidPattern {
            kind,
            pattern: pattern.to_owned(),
            reason: e.kind().to_string(),
        };
        if patterns.is_empty() {
            return Ok(Self {
                set: None,
                literals: Vec::new(),
                has_globs: true,
            });
        }
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(Glob::new(p).map_err(|e| invalid(p, e))?);
        }
        let set = b.build().map_err(|e| invalid(&patterns.join(","), e))?;
        Ok(Self {
            set: Some(set),
            literals: patterns.iter().filter(|p| !is_glob(p)).cloned().collect(),
            has_globs: patterns.iter().any(|p| is_glob(p)),
        })
    }

    fn matches(&self, name: &str) -> bool {
        self.set.as_ref().is_none_or(|s| s.is_match(name))
    }
}

type Cache<T> = Mutex<HashMap<Digest, Arc<T>>>;

/// Runs discoveries against one registry.
pub struct Discoverer {
    client: RegistryClient,
    options: DiscoveryOptions,
    progress: Option<Arc<dyn DiscoveryProgress>>,
    manifests: Cache<FetchedManifest>,
    configs: Cache<ImageConfig>,
}

impl Discoverer {
    /// A discoverer using `client`.
    pub fn new(client: RegistryClient, options: DiscoveryOptions) -> Self {
        Self {
            client,
            options,
            progress: None,
            manifests: Mutex::default(),
            configs: Mutex::default(),
        }
    }

    /// Report progress to `p`.
    pub fn with_progress(mut self, p: Arc<dyn DiscoveryProgress>) -> Self {
        self.progress = Some(p);
        self
    }

    fn concurrency(&self) -> usize {
        self.client.limits().max_concurrent_requests.max(1)
    }

    /// Discover everything the options select.
    pub async fn run(&self) -> Result<DiscoveryReport> {
        let started = jiff::Timestamp::now();
        let clock = std::time::Instant::now();
        let repo_patterns = Patterns::new(&self.options.repositories, "repository")?;
        let tag_patterns = Patterns::new(&self.options.tags, "tag")?;
        let mut warnings = Vec::new();
        let (names, source) = self
            .list_repositories(&repo_patterns, &mut warnings)
            .await?;
        if let Some(p) = &self.progress {
            p.repositories_listed(names.len());
        }
        tracing::info!(registry = %self.client.endpoint().host(), repositories = names.len(), "repositories listed");

        let mut repositories: Vec<RepositoryReport> = stream::iter(names)
            .map(|name| self.discover_repository(name, &tag_patterns))
            .buffer_unordered(self.concurrency())
            .inspect(|r| {
                if let Some(p) = &self.progress {
                    p.repository_done(r);
                }
            })
            .collect()
            .await;
        repositories.sort_by(|a, b| a.name.cmp(&b.name));

        let mut digests = BTreeSet::new();
        let mut summary = Summary {
            repositories: repositories.len(),
            ..Summary::default()
        };
        for r in &repositories {
            summary.tags += r.tags.len();
            summary.errors += r.errors.len();
            for i in &r.images {
                digests.insert(i.digest.clone());
                summary.platform_images += i.platforms.len();
                summary.skipped += i.skipped.len();
            }
        }
        summary.unique_digests = digests.len();
        Ok(DiscoveryReport {
            schema_version: DISCOVERY_SCHEMA_VERSION,
            registry: self.client.endpoint().host().to_owned(),
            endpoint: self.client.endpoint().origin(),
            started_at: started.to_string(),
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            repository_source: source,
            repositories,
            warnings,
            summary,
            requests: self.client.stats(),
        })
    }

    async fn list_repositories(
        &self,
        patterns: &Patterns,
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<String>, RepositorySource)> {
        let literals: BTreeSet<String> = patterns.literals.iter().cloned().collect();
        if !patterns.has_globs {
            return Ok((
                literals.into_iter().collect(),
                RepositorySource::Configured { reason: None },
            ));
        }
        if self.client.endpoint().is_docker_hub() {
            return self.list_docker_hub(patterns, literals, warnings).await;
        }
        match self.client.catalog(self.options.catalog_page_size).await {
            Ok(all) => {
                let mut names: BTreeSet<String> =
                    all.into_iter().filter(|n| patterns.matches(n)).collect();
                names.extend(literals);
                Ok((names.into_iter().collect(), RepositorySource::Catalog))
            }
            Err(RegistryError::CatalogUnavailable { status, .. }) => {
                let reason = format!(
                    "the registry refused /v2/_catalog (HTTP {})",
                    status.as_u16()
                );
                if literals.is_empty() {
                    return Err(RegistryError::CatalogUnavailable {
                        endpoint: self.client.endpoint().to_string(),
                        status,
                    });
                }
                warnings.push(format!(
                    "{reason}; discovering only the {} repositories named explicitly (patterns with wildcards cannot be expanded without a catalog)",
                    literals.len()
                ));
                tracing::warn!(registry = %self.client.endpoint().host(), "{reason}; using the configured repository list");
                Ok((
                    literals.into_iter().collect(),
                    RepositorySource::Configured {
                        reason: Some(reason),
                    },
                ))
            }
            Err(e) => Err(e),
        }
    }

    async fn list_docker_hub(
        &self,
        patterns: &Patterns,
        literals: BTreeSet<String>,
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<String>, RepositorySource)> {
        let mut namespaces = BTreeSet::new();
        for p in self.options.repositories.iter().filter(|p| is_glob(p)) {
            match p.split_once('/') {
                Some((ns, _)) if !is_glob(ns) => {
                    namespaces.insert(ns.to_owned());
                }
                _ => warnings.push(format!(
                    "Docker Hub has no catalog: pattern {p:?} must start with a literal namespace (e.g. \"bitnami/*\")"
                )),
            }
        }
        if namespaces.is_empty() && literals.is_empty() {
            return Err(RegistryError::CatalogUnavailable {
                endpoint: self.client.endpoint().to_string(),
                status: reqwest::StatusCode::UNAUTHORIZED,
            });
        }
        let mut names: BTreeSet<String> = literals;
        for ns in &namespaces {
            let listed = self
                .client
                .docker_hub_repositories(&self.options.docker_hub_api, ns)
                .await?;
            names.extend(listed.into_iter().filter(|n| patterns.matches(n)));
        }
        Ok((
            names.into_iter().collect(),
            RepositorySource::DockerHubApi {
                namespaces: namespaces.into_iter().collect(),
            },
        ))
    }

    async fn discover_repository(&self, name: String, tag_patterns: &Patterns) -> RepositoryReport {
        let mut report = RepositoryReport {
            name: name.clone(),
            tags: Vec::new(),
            images: Vec::new(),
            errors: Vec::new(),
        };
        let tags = match self.client.tags(&name, self.options.tag_page_size).await {
            Ok(t) => t,
            Err(e) => {
                report.errors.push(DiscoveryIssue {
                    tag: None,
                    digest: None,
                    message: e.to_string(),
                });
                return report;
            }
        };
        let tags: Vec<String> = tags
            .into_iter()
            .filter(|t| tag_patterns.matches(t))
            .collect();
        let resolved: Vec<(String, Result<Digest>)> = stream::iter(tags)
            .map(|tag| async {
                let r = self.resolve_tag(&name, &tag).await;
                (tag, r)
            })
            .buffer_unordered(self.concurrency())
            .collect()
            .await;
        let mut by_digest: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
        for (tag, r) in resolved {
            match r {
                Ok(d) => {
                    by_digest.entry(d.clone()).or_default().push(tag.clone());
                    report.tags.push(TagReport {
                        name: tag,
                        digest: Some(d),
                    });
                }
                Err(e) => {
                    report.errors.push(DiscoveryIssue {
                        tag: Some(tag.clone()),
                        digest: None,
                        message: e.to_string(),
                    });
                    report.tags.push(TagReport {
                        name: tag,
                        digest: None,
                    });
                }
            }
        }
        report.tags.sort_by(|a, b| a.name.cmp(&b.name));
        let images: Vec<(ImageReport, Vec<DiscoveryIssue>)> = stream::iter(by_digest)
            .map(|(digest, mut tags)| {
                tags.sort();
                self.describe_image(&name, digest, tags)
            })
            .buffer_unordered(self.concurrency())
            .collect()
            .await;
        for (img, errs) in images {
            report.images.push(img);
            report.errors.extend(errs);
        }
        report.images.sort_by(|a, b| a.digest.cmp(&b.digest));
        report
            .errors
            .sort_by(|a, b| (&a.tag, &a.digest).cmp(&(&b.tag, &b.digest)));
        report
    }

    async fn resolve_tag(&self, repo: &str, tag: &str) -> Result<Digest> {
        let head = self.client.head_manifest(repo, tag).await?;
        if let Some(d) = head.digest {
            return Ok(d);
        }
        // No Docker-Content-Digest on HEAD: fetch the manifest and hash it.
        let m = self.fetch_manifest(repo, tag).await?;
        Ok(m.digest.clone())
    }

    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<Arc<FetchedManifest>> {
        let digest: Option<Digest> = reference.parse().ok();
        if let Some(d) = &digest
            && let Some(m) = self.manifests.lock().ok().and_then(|c| c.get(d).cloned())
        {
            return Ok(m);
        }
        let m = Arc::new(self.client.manifest(repo, reference).await?);
        if let Ok(mut c) = self.manifests.lock() {
            c.insert(m.digest.clone(), m.clone());
        }
        Ok(m)
    }

    async fn fetch_config(&self, repo: &str, desc: &Descriptor) -> Result<Arc<ImageConfig>> {
        if let Some(c) = self
            .configs
            .lock()
            .ok()
            .and_then(|c| c.get(&desc.digest).cloned())
        {
            return Ok(c);
        }
        let c = Arc::new(self.client.image_config(repo, desc).await?);
        if let Ok(mut cache) = self.configs.lock() {
            cache.insert(desc.digest.clone(), c.clone());
        }
        Ok(c)
    }

    async fn describe_image(
        &self,
        repo: &str,
        digest: Digest,
        tags: Vec<String>,
    ) -> (ImageReport, Vec<DiscoveryIssue>) {
        let mut img = ImageReport {
            digest: digest.clone(),
            tags,
            media_type: None,
            kind: None,
            platforms: Vec::new(),
            skipped: Vec::new(),
        };
        let mut errors = Vec::new();
        if !self.options.resolve_images {
            return (img, errors);
        }
        let issue = |d: &Digest, e: RegistryError| DiscoveryIssue {
            tag: None,
            digest: Some(d.clone()),
            message: e.to_string(),
        };
        let fetched = match self.fetch_manifest(repo, &digest.to_string()).await {
            Ok(m) => m,
            Err(e) => {
                errors.push(issue(&digest, e));
                return (img, errors);
            }
        };
        img.media_type = Some(fetched.media_type.clone());
        match &fetched.manifest {
            Manifest::Image(m) => {
                if !m.is_container_image() {
                    img.kind = Some(ImageKind::Artifact);
                    img.skipped.push(SkippedManifest {
                        digest: digest.clone(),
                        platform: None,
                        reason: format!(
                            "OCI artifact ({}), not a container image",
                            m.artifact_type.as_deref().unwrap_or(&m.config.media_type)
                        ),
                    });
                    return (img, errors);
                }
                img.kind = Some(ImageKind::Image);
                match self.fetch_config(repo, &m.config).await {
                    Ok(cfg) => img.platforms.push(platform_image(&digest, m, &cfg, None)),
                    Err(e) => errors.push(issue(&digest, e)),
                }
            }
            Manifest::Index(idx) => {
                img.kind = Some(ImageKind::Index);
                let outcomes: Vec<ChildOutcome> = stream::iter(&idx.manifests)
                    .map(|child| self.describe_child(repo, child))
                    .buffer_unordered(self.concurrency())
                    .collect()
                    .await;
                for o in outcomes {
                    match o {
                        ChildOutcome::Image(p) => img.platforms.push(p),
                        ChildOutcome::Skipped(k) => img.skipped.push(k),
                        ChildOutcome::Failed(e) => errors.push(e),
                    }
                }
                img.platforms
                    .sort_by(|a, b| a.platform.cmp(&b.platform).then(a.digest.cmp(&b.digest)));
                img.skipped.sort_by(|a, b| a.digest.cmp(&b.digest));
            }
        }
        (img, errors)
    }

    async fn describe_child(&self, repo: &str, child: &Descriptor) -> ChildOutcome {
        let skip = |reason: &str| {
            ChildOutcome::Skipped(SkippedManifest {
                digest: child.digest.clone(),
                platform: child.platform.as_ref().map(ToString::to_string),
                reason: reason.to_owned(),
            })
        };
        let failed = |e: RegistryError| {
            ChildOutcome::Failed(DiscoveryIssue {
                tag: None,
                digest: Some(child.digest.clone()),
                message: e.to_string(),
            })
        };
        if child.is_attestation() {
            return skip("attestation manifest (provenance/SBOM), not an image");
        }
        if child.platform.as_ref().is_some_and(Platform::is_unknown) {
            return skip("platform unknown/unknown");
        }
        let fetched = match self.fetch_manifest(repo, &child.digest.to_string()).await {
            Ok(m) => m,
            Err(e) => return failed(e),
        };
        let m = match &fetched.manifest {
            Manifest::Image(m) if m.is_container_image() => m,
            Manifest::Image(_) => return skip("OCI artifact, not a container image"),
            Manifest::Index(_) => return skip("nested index (not followed)"),
        };
        match self.fetch_config(repo, &m.config).await {
            Ok(cfg) => ChildOutcome::Image(platform_image(
                &child.digest,
                m,
                &cfg,
                child.platform.as_ref(),
            )),
            Err(e) => failed(e),
        }
    }
}

/// What became of one index entry.
enum ChildOutcome {
    Image(PlatformImage),
    Skipped(SkippedManifest),
    Failed(DiscoveryIssue),
}

fn platform_image(
    digest: &Digest,
    m: &crate::manifest::ImageManifest,
    cfg: &ImageConfig,
    declared: Option<&Platform>,
) -> PlatformImage {
    PlatformImage {
        platform: declared
            .cloned()
            .unwrap_or_else(|| cfg.platform())
            .to_string(),
        digest: digest.clone(),
        config_digest: m.config.digest.clone(),
        created: cfg.created_at().map(|t| t.to_string()),
        labels: cfg.labels(),
        layers: m.layers.len(),
        size: m.layers_size(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p =
            Patterns::new(&["team/*".into(), "library/nginx".into()], "repository").expect("valid");
        assert!(p.has_globs);
        assert_eq!(p.literals, ["library/nginx"]);
        assert!(p.matches("team/a/b") && p.matches("library/nginx") && !p.matches("other/x"));
        let all = Patterns::new(&[], "tag").expect("empty");
        assert!(all.matches("anything"));
        let err = Patterns::new(&["team/[".into()], "repository").expect_err("unclosed class");
        assert!(
            err.to_string()
                .contains("invalid repository pattern \"team/[\""),
            "{err}"
        );
    }
}
