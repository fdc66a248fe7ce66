//! What the workers do: discover a connector, scan an image, re-evaluate
//! stored inventories, deliver a notification.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use wharf_inventory::Inventory;
use wharf_registry::discovery::ImageKind;
use wharf_registry::{
    ClientConfig, Credentials, Discoverer, DiscoveryOptions, RegistryClient, RegistryEndpoint,
};
use wharf_store::{
    Connector, ConnectorSecret, DiscoveredImage, DiscoveredTag, ImagePlatform, InitialScope,
    NewJob, RunCounts, ScanMode, ScanState, SecretKind, TagChange, now,
};

use crate::{App, ServerError};

/// Job kinds.
pub mod kind {
    /// Discover a connector.
    pub const DISCOVER: &str = "discover";
    /// Scan one image (manifest digest).
    pub const SCAN: &str = "scan";
    /// Re-evaluate stored inventories.
    pub const REEVALUATE: &str = "reevaluate";
    /// Deliver a notification webhook.
    pub const WEBHOOK: &str = "webhook";
}

/// Priorities: what users wait for first.
pub mod priority {
    /// A scan or discovery asked for through the API.
    pub const MANUAL: i64 = 30;
    /// Newly pushed or moved tags.
    pub const NEW_PUSH: i64 = 20;
    /// Re-evaluation (no registry traffic; quick).
    pub const REEVALUATE: i64 = 15;
    /// Discovery on schedule.
    pub const DISCOVERY: i64 = 10;
    /// The initial backfill of a connector, and rescans after an analyzer
    /// upgrade.
    pub const BACKFILL: i64 = 0;
}

/// Payload of a discovery job.
#[derive(Debug, Serialize, Deserialize)]
pub struct DiscoverJob {
    /// The connector.
    pub connector_id: i64,
}

/// Payload of a scan job.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScanJob {
    /// Manifest digest (image or index).
    pub digest: String,
    /// A connector whose registry holds it.
    pub connector_id: i64,
    /// Scan even when the current analyzers already scanned it (asked for
    /// through the API).
    #[serde(default)]
    pub force: bool,
}

/// Payload of a re-evaluation job.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ReevaluateJob {
    /// `schedule`, `db_update`, `policy`, `exception`, `api`.
    pub cause: String,
    /// Only inventories holding these (ecosystem, name) packages
    /// (`None`: every inventory).
    #[serde(default)]
    pub packages: Option<Vec<(String, String)>>,
    /// And inventories with findings for these CVEs (KEV changes).
    #[serde(default)]
    pub cves: Vec<String>,
}

/// The job to enqueue for a connector's discovery.
pub fn discover_job(connector_id: i64, priority: i64) -> NewJob {
    NewJob {
        kind: kind::DISCOVER.into(),
        key: format!("discover:{connector_id}"),
        lane: String::new(),
        payload: serde_json::json!(DiscoverJob { connector_id }),
        priority,
        max_attempts: 1,
        run_after: 0,
    }
}

/// The job to enqueue for a re-evaluation.
pub fn reevaluate_job(job: &ReevaluateJob) -> NewJob {
    let key = match &job.packages {
        None => "reevaluate:full".to_owned(),
        Some(_) => format!("reevaluate:{}:{}", job.cause, now()),
    };
    NewJob {
        kind: kind::REEVALUATE.into(),
        key,
        lane: String::new(),
        payload: serde_json::json!(job),
        priority: priority::REEVALUATE,
        max_attempts: 3,
        run_after: 0,
    }
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, ServerError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| ServerError::Invalid(format!("pattern {p:?}: {e}")))?);
    }
    Ok(Some(b.build().map_err(|e| {
        ServerError::Invalid(format!("patterns: {e}"))
    })?))
}

/// The queue lane of a connector's jobs: its registry host (no secret
/// opened, no file written).
pub fn lane_of(connector: &Connector) -> Result<String, ServerError> {
    let insecure = connector.spec.insecure || connector.spec.url.starts_with("http://");
    RegistryEndpoint::parse(&connector.spec.url, insecure)
        .map(|e| e.host().to_owned())
        .map_err(|e| ServerError::Invalid(format!("connector {}: {e}", connector.name)))
}

/// The registry endpoint and client settings of a connector, with its
/// secret opened.
pub async fn client_for(
    app: &App,
    connector: &Connector,
) -> Result<(RegistryEndpoint, ClientConfig), ServerError> {
    let secret = app.store.connector_secret(connector.id, &app.keys).await?;
    client_with(app, connector, secret)
}

/// The registry endpoint and client settings of a connector with `secret`.
pub fn client_with(
    app: &App,
    connector: &Connector,
    secret: Option<ConnectorSecret>,
) -> Result<(RegistryEndpoint, ClientConfig), ServerError> {
    let insecure = connector.spec.insecure || connector.spec.url.starts_with("http://");
    let endpoint = RegistryEndpoint::parse(&connector.spec.url, insecure)
        .map_err(|e| ServerError::Invalid(format!("connector {}: {e}", connector.name)))?;
    let credentials = match (secret, &connector.spec.username) {
        (None, _) => Credentials::Anonymous,
        (Some(s), Some(user)) => Credentials::basic(user.clone(), s.value),
        (Some(s), None) if s.kind == SecretKind::Token => Credentials::Bearer(s.value),
        (Some(s), None) => Credentials::basic(String::new(), s.value),
    };
    let mut ca_certs = Vec::new();
    if let Some(pem) = &connector.spec.ca_cert {
        let path = app.engine.ca_path(connector.id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| ServerError::Io(dir.display().to_string(), e))?;
        }
        std::fs::write(&path, pem).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
        ca_certs.push(path);
    }
    Ok((
        endpoint,
        ClientConfig {
            credentials,
            insecure,
            ca_certs,
            ..ClientConfig::default()
        },
    ))
}

/// Run a future built by `make` on a blocking thread of the runtime.
///
/// The registry discovery and image pipeline futures borrow across their
/// internal concurrent streams in a way the compiler cannot prove `Send`
/// for every lifetime, so they cannot be `tokio::spawn`ed directly; built
/// and polled on one blocking thread they need not be.
async fn off_thread<F, Fut, T>(make: F) -> Result<T, ServerError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(make()))
        .await
        .map_err(|e| ServerError::Scan(format!("worker thread: {e}")))
}

fn parse_time(rfc3339: &str) -> Option<i64> {
    rfc3339
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

/// Discover one connector, store what was found and enqueue the scans due.
pub async fn discover(app: &App, job: &DiscoverJob) -> Result<(), ServerError> {
    let connector = app.store.connector(&job.connector_id.to_string()).await?;
    let interval =
        i64::try_from(connector.spec.discovery_interval_secs.max(60)).unwrap_or(i64::MAX);
    if connector.spec.mode != ScanMode::Direct {
        let msg = format!(
            "scan mode {:?} is not implemented yet; only direct connectors are discovered",
            connector.spec.mode
        );
        app.store
            .finish_discovery(connector.id, Some(&msg), now() + interval)
            .await?;
        return Ok(());
    }
    let result = discover_inner(app, &connector).await;
    let error = result.as_ref().err().map(ToString::to_string);
    if let Some(e) = &error {
        app.metrics.registry_error();
        tracing::warn!(connector = %connector.name, "discovery failed: {e}");
    }
    app.store
        .finish_discovery(
            connector.id,
            error.as_deref(),
            now().saturating_add(interval),
        )
        .await?;
    result
}

async fn discover_inner(app: &App, connector: &Connector) -> Result<(), ServerError> {
    let started = std::time::Instant::now();
    let (endpoint, config) = client_for(app, connector).await?;
    let host = endpoint.host().to_owned();
    let client = RegistryClient::connect(endpoint, &config)
        .await
        .map_err(|e| ServerError::Registry(e.to_string()))?;
    let options = DiscoveryOptions {
        repositories: connector.spec.repositories.include.clone(),
        tags: connector.spec.tags.include.clone(),
        ..DiscoveryOptions::default()
    };
    let report = off_thread(move || async move { Discoverer::new(client, options).run().await })
        .await?
        .map_err(|e| ServerError::Registry(e.to_string()))?;
    let repo_exclude = globs(&connector.spec.repositories.exclude)?;
    let tag_exclude = globs(&connector.spec.tags.exclude)?;
    let first = !app.store.has_discovered(connector.id).await?;

    let mut complete = Vec::new();
    let mut tags = Vec::new();
    let mut images: HashMap<String, DiscoveredImage> = HashMap::new();
    for repo in &report.repositories {
        if repo_exclude
            .as_ref()
            .is_some_and(|g| g.is_match(&repo.name))
        {
            continue;
        }
        if repo.errors.is_empty() {
            complete.push(repo.name.clone());
        }
        let created: HashMap<String, Option<i64>> = repo
            .images
            .iter()
            .map(|i| {
                let newest = i
                    .platforms
                    .iter()
                    .filter_map(|p| p.created.as_deref().and_then(parse_time))
                    .max();
                (i.digest.to_string(), newest)
            })
            .collect();
        for image in &repo.images {
            if image.kind == Some(ImageKind::Artifact) {
                continue;
            }
            images
                .entry(image.digest.to_string())
                .or_insert_with(|| DiscoveredImage {
                    digest: image.digest.to_string(),
                    media_type: image.media_type.clone(),
                    kind: image.kind.map(|k| match k {
                        ImageKind::Index => "index".to_owned(),
                        ImageKind::Image => "image".to_owned(),
                        ImageKind::Artifact => "artifact".to_owned(),
                    }),
                    platforms: image
                        .platforms
                        .iter()
                        .map(|p| ImagePlatform {
                            platform: p.platform.clone(),
                            digest: p.digest.to_string(),
                            created: p.created.clone(),
                        })
                        .collect(),
                });
        }
        for tag in &repo.tags {
            let Some(digest) = tag.digest.as_ref().map(ToString::to_string) else {
                continue;
            };
            if tag_exclude.as_ref().is_some_and(|g| g.is_match(&tag.name))
                || !images.contains_key(&digest)
            {
                continue;
            }
            tags.push(DiscoveredTag {
                repository: repo.name.clone(),
                tag: tag.name.clone(),
                image_created: created.get(&digest).copied().flatten(),
                digest,
            });
        }
    }
    let images: Vec<DiscoveredImage> = images.into_values().collect();
    let changes = app
        .store
        .record_discovery(connector.id, &complete, &tags, &images)
        .await?;

    // What to scan, and how urgently.
    let mut wanted: HashMap<&str, i64> = HashMap::new();
    if first {
        for tag in in_scope(connector.spec.scope, &tags, now()) {
            wanted.insert(&tag.digest, priority::BACKFILL);
        }
    } else {
        for (tag, change) in tags.iter().zip(&changes) {
            if *change != TagChange::Unchanged {
                wanted.insert(&tag.digest, priority::NEW_PUSH);
            }
        }
        // Scanned by older analyzers, or queued before a restart and lost:
        // scan again at backfill priority.
        for tag in &tags {
            wanted.entry(&tag.digest).or_insert(-1);
        }
    }
    let mut queued = 0usize;
    for (digest, prio) in wanted {
        let image = app.store.image(digest).await?;
        let current = image.scan_state == ScanState::Scanned
            && image.scanner.as_deref() == Some(app.engine.scanner_version());
        let stale_scan = image.scan_state == ScanState::Scanned && !current;
        if current || (prio < 0 && !stale_scan && image.scan_state != ScanState::Queued) {
            continue;
        }
        if enqueue_scan(
            app,
            digest,
            connector.id,
            &host,
            prio.max(priority::BACKFILL),
            false,
        )
        .await?
        {
            queued += 1;
        }
    }
    tracing::info!(
        connector = %connector.name,
        repositories = report.repositories.len(),
        tags = tags.len(),
        images = images.len(),
        scans_queued = queued,
        first,
        ms = started.elapsed().as_millis() as u64,
        "discovery done"
    );
    Ok(())
}

/// Enqueue a scan of `digest` through `connector_id` (deduplicated by
/// digest; `force`: even if already scanned by the current analyzers).
/// Returns whether a new job was queued.
pub async fn enqueue_scan(
    app: &App,
    digest: &str,
    connector_id: i64,
    lane: &str,
    priority: i64,
    force: bool,
) -> Result<bool, ServerError> {
    let id = app
        .store
        .enqueue(&NewJob {
            kind: kind::SCAN.into(),
            key: format!("scan:{digest}"),
            lane: lane.to_owned(),
            payload: serde_json::json!(ScanJob {
                digest: digest.to_owned(),
                connector_id,
                force,
            }),
            priority,
            max_attempts: i64::from(app.config.max_attempts),
            run_after: 0,
        })
        .await?;
    app.store
        .set_scan_state(digest, ScanState::Queued, None, None)
        .await?;
    Ok(id.is_some())
}

/// The tags an initial scope selects.
pub fn in_scope(scope: InitialScope, tags: &[DiscoveredTag], now: i64) -> Vec<&DiscoveredTag> {
    match scope {
        InitialScope::All => tags.iter().collect(),
        InitialScope::ModifiedDays { days } => {
            let since = now - i64::from(days.min(InitialScope::MAX_DAYS)) * 86_400;
            tags.iter()
                .filter(|t| t.image_created.is_some_and(|c| c >= since))
                .collect()
        }
        InitialScope::LatestTag => {
            // Per repository, the tag whose image is newest (ties: the
            // greatest tag name, so the choice is stable).
            let mut best: HashMap<&str, &DiscoveredTag> = HashMap::new();
            for t in tags {
                let key = |x: &DiscoveredTag| (x.image_created.unwrap_or(i64::MIN), x.tag.clone());
                match best.get(t.repository.as_str()) {
                    Some(b) if key(b) >= key(t) => {}
                    _ => {
                        best.insert(&t.repository, t);
                    }
                }
            }
            let mut v: Vec<&DiscoveredTag> = best.into_values().collect();
            v.sort_by(|a, b| a.repository.cmp(&b.repository));
            v
        }
    }
}

/// Scan one image and evaluate its inventories.
pub async fn scan(app: &App, job: &ScanJob) -> Result<(), ServerError> {
    if !job.force
        && let Ok(image) = app.store.image(&job.digest).await
        && image.scan_state == ScanState::Scanned
        && image.scanner.as_deref() == Some(app.engine.scanner_version())
    {
        // Scanned meanwhile through another tag, repository or registry.
        return Ok(());
    }
    let connector = app.store.connector(&job.connector_id.to_string()).await?;
    let Some(repository) = app.store.repository_of(connector.id, &job.digest).await? else {
        tracing::info!(digest = %job.digest, "image no longer tagged: scan dropped");
        return Ok(());
    };
    let started = std::time::Instant::now();
    let (endpoint, config) = client_for(app, &connector).await?;
    let host = endpoint.host().to_owned();
    let inventories = {
        let (engine, repository, digest) =
            (app.engine.clone(), repository.clone(), job.digest.clone());
        off_thread(move || async move { engine.scan(&host, &repository, &digest, config).await })
            .await?
            .inspect_err(|_| app.metrics.registry_error())?
    };
    let snapshot = app.snapshot().await;
    let exceptions = crate::engine::exceptions_from(&app.store.exceptions().await?);
    let references = app.store.image(&job.digest).await?.references;
    for inv in &inventories {
        let id = store_inventory(app, &job.digest, inv).await?;
        let engine = app.engine.clone();
        let (inv2, snap, exc, refs) = (
            inv.clone(),
            snapshot.clone(),
            exceptions.clone(),
            references.clone(),
        );
        let new = tokio::task::spawn_blocking(move || {
            engine.evaluate(&inv2, snap.as_deref(), &exc, refs)
        })
        .await
        .map_err(|e| ServerError::Scan(format!("evaluation panicked: {e}")))?;
        let outcome = app
            .store
            .sync_findings(id, &job.digest, snapshot.as_ref().map(|s| s.id()), &new)
            .await?;
        crate::notify::new_findings(app, &job.digest, &outcome).await?;
    }
    app.store
        .set_scan_state(
            &job.digest,
            ScanState::Scanned,
            Some(app.engine.scanner_version()),
            None,
        )
        .await?;
    let secs = started.elapsed().as_secs_f64();
    app.metrics.scan_done(secs);
    tracing::info!(
        digest = %job.digest,
        repository = %repository,
        platforms = inventories.len(),
        seconds = secs,
        "scan done"
    );
    Ok(())
}

/// Store one inventory with its reverse index; returns its id.
async fn store_inventory(
    app: &App,
    image_digest: &str,
    inv: &Inventory,
) -> Result<i64, ServerError> {
    let json = serde_json::to_vec(inv).map_err(|e| ServerError::Scan(format!("inventory: {e}")))?;
    let platform = inv.image.platform.clone().unwrap_or_default();
    let manifest = inv
        .image
        .digest
        .as_ref()
        .map_or_else(|| image_digest.to_owned(), ToString::to_string);
    Ok(app
        .store
        .put_inventory(
            image_digest,
            &platform,
            &manifest,
            &json,
            &crate::engine::package_index(inv),
        )
        .await?)
}

/// Re-evaluate stored inventories against the current database snapshot,
/// policy and exceptions. Reads only the store and the local database:
/// no registry is contacted.
pub async fn reevaluate(app: &App, job: &ReevaluateJob) -> Result<i64, ServerError> {
    let started = std::time::Instant::now();
    // Pick up a newer snapshot if `wharf db update` wrote one.
    if let Err(e) = app.refresh_snapshot().await {
        tracing::warn!("vulnerability database not reloaded: {e}");
    }
    let snapshot = app.engine.snapshot();
    let snapshot_id = snapshot.as_ref().map(|s| s.id().to_owned());
    let run = app
        .store
        .start_reevaluation(&job.cause, snapshot_id.as_deref())
        .await?;
    let mut counts = RunCounts::default();
    let result = reevaluate_run(app, job, run, snapshot, &mut counts).await;
    app.store
        .finish_reevaluation(
            run,
            &counts,
            result.as_ref().err().map(ToString::to_string).as_deref(),
        )
        .await?;
    if let Some(id) = &snapshot_id {
        app.store.set_setting("reevaluated_snapshot", id).await?;
    }
    let n = result?;
    let secs = started.elapsed().as_secs_f64();
    app.metrics.reevaluation_done(secs);
    tracing::info!(run, cause = %job.cause, inventories = n, seconds = secs, "re-evaluation done");
    Ok(run)
}

/// Inventories per batch: read, evaluated (on every core) and synced in
/// one transaction together.
const REEVALUATE_BATCH: usize = 256;

/// One evaluated batch: (inventory id, image digest, findings).
type Evaluated = Vec<(i64, String, Vec<wharf_store::NewFinding>)>;

async fn reevaluate_run(
    app: &App,
    job: &ReevaluateJob,
    run: i64,
    snapshot: Option<Arc<crate::engine::Snapshot>>,
    counts: &mut RunCounts,
) -> Result<usize, ServerError> {
    let ids = match &job.packages {
        None => app.store.inventory_ids().await?,
        Some(packages) => {
            let mut ids: BTreeSet<i64> = app
                .store
                .inventories_with_packages(packages)
                .await?
                .into_iter()
                .collect();
            ids.extend(
                app.store
                    .inventories_with_vulnerabilities(&job.cves)
                    .await?,
            );
            ids.into_iter().collect()
        }
    };
    let exceptions = Arc::new(crate::engine::exceptions_from(
        &app.store.exceptions().await?,
    ));
    // The tags of each image, as scans evaluate with them (exceptions can
    // be scoped by tag).
    let references: Arc<HashMap<String, Vec<String>>> = Arc::new(
        app.store
            .images(None)
            .await?
            .into_iter()
            .map(|i| (i.digest, i.references))
            .collect(),
    );
    let snapshot_id = snapshot.as_ref().map(|s| s.id().to_owned());
    // A pipeline: a producer task reads and evaluates batch k+1 (on the
    // blocking pool, one thread per core) while this task writes batch
    // k's findings.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Evaluated, ServerError>>(1);
    let producer = {
        let (store, engine) = (app.store.clone(), app.engine.clone());
        tokio::spawn(async move {
            for chunk in ids.chunks(REEVALUATE_BATCH) {
                let result = match store.inventories_by_id(chunk).await {
                    Ok(stored) => {
                        let (engine, snap, exc, refs) = (
                            engine.clone(),
                            snapshot.clone(),
                            exceptions.clone(),
                            references.clone(),
                        );
                        tokio::task::spawn_blocking(move || {
                            evaluate_batch(&engine, &stored, snap.as_deref(), &exc, &refs)
                        })
                        .await
                        .unwrap_or_else(|e| {
                            Err(ServerError::Stored(format!("evaluation task: {e}")))
                        })
                    }
                    Err(e) => Err(e.into()),
                };
                let failed = result.is_err();
                if tx.send(result).await.is_err() || failed {
                    return;
                }
            }
        })
    };
    let mut done = 0usize;
    let result = async {
        while let Some(evaluated) = rx.recv().await {
            let evaluated = evaluated?;
            let items: Vec<(i64, &str, &[wharf_store::NewFinding])> = evaluated
                .iter()
                .map(|(id, digest, findings)| (*id, digest.as_str(), findings.as_slice()))
                .collect();
            // The batch's findings and the run's deltas in one transaction.
            let outcomes = app
                .store
                .sync_findings_batch(snapshot_id.as_deref(), Some(run), &items)
                .await?;
            let mut any_new = false;
            for outcome in &outcomes {
                counts.add(outcome);
                any_new |= outcome
                    .changes
                    .iter()
                    .any(|c| c.1 == wharf_store::DeltaChange::New);
            }
            // Notifications (when a webhook is enabled: looked up once per
            // batch rather than per inventory).
            if any_new
                && app
                    .store
                    .webhooks(&app.keys)
                    .await?
                    .iter()
                    .any(|(h, _)| h.enabled)
            {
                for ((_, digest, _), outcome) in evaluated.iter().zip(&outcomes) {
                    crate::notify::new_findings(app, digest, outcome).await?;
                }
            }
            done += items.len();
        }
        Ok::<_, ServerError>(())
    }
    .await;
    drop(rx);
    producer
        .await
        .map_err(|e| ServerError::Stored(format!("re-evaluation reader: {e}")))?;
    result.map(|()| done)
}

/// Decompressed inventories parsed and evaluated, split over the cores.
fn evaluate_batch(
    engine: &crate::engine::Engine,
    stored: &[wharf_store::StoredInventory],
    snapshot: Option<&crate::engine::Snapshot>,
    exceptions: &wharf_policy::Exceptions,
    references: &HashMap<String, Vec<String>>,
) -> Result<Evaluated, ServerError> {
    let parts = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .max(1);
    let per = stored.len().div_ceil(parts).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = stored
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|row| {
                            let inv: Inventory =
                                serde_json::from_slice(&row.json).map_err(|e| {
                                    ServerError::Stored(format!("inventory {}: {e}", row.id))
                                })?;
                            Ok((
                                row.id,
                                row.image_digest.clone(),
                                engine.evaluate(
                                    &inv,
                                    snapshot,
                                    exceptions,
                                    references
                                        .get(&row.image_digest)
                                        .cloned()
                                        .unwrap_or_default(),
                                ),
                            ))
                        })
                        .collect::<Result<Vec<_>, ServerError>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(stored.len());
        for h in handles {
            match h.join() {
                Ok(r) => out.extend(r?),
                Err(_) => return Err(ServerError::Stored("evaluation panicked".into())),
            }
        }
        Ok(out)
    })
}
