//! The scanning and evaluation engine the workers share: the analyzer set
//! (with the secret and malware scanners), the layer cache, the policy and
//! the current vulnerability-database snapshot.
//!
//! Evaluation is a pure function of (inventory, snapshot, policy,
//! exceptions), so a stored inventory can be re-evaluated any number of
//! times without touching a registry.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use sha2::Digest as _;
use wharf_analyzers::{AnalyzerSet, ContentScanner};
use wharf_image::{ScanOptions, Source};
use wharf_inventory::Inventory;
use wharf_matcher::Database;
use wharf_policy::{Exception, Exceptions, Finding, Policy};
use wharf_registry::ClientConfig;
use wharf_store::NewFinding;
use wharf_types::ImageReference;

use crate::{Config, ServerError};

/// One loaded vulnerability-database snapshot, with what re-evaluation
/// needs to tell which packages a later snapshot changed.
pub struct Snapshot {
    /// The matcher's index.
    pub db: Database,
    /// (ecosystem, name) → digest of every advisory entry filed under it.
    pub packages: HashMap<(String, String), [u8; 32]>,
    /// Known-exploited CVEs.
    pub kev: HashSet<String>,
}

impl Snapshot {
    /// The snapshot id.
    pub fn id(&self) -> &str {
        self.db.snapshot_id()
    }

    /// Load the current snapshot of the database in `dir`.
    pub fn load(dir: &std::path::Path) -> Result<Self, ServerError> {
        let snapshot = wharf_vulndb::store::load_snapshot(dir)
            .map_err(|e| ServerError::Vulndb(format!("{}: {e}", dir.display())))?;
        let mut packages: HashMap<(String, String), sha2::Sha256> = HashMap::new();
        for a in &snapshot.advisories {
            let json = serde_json::to_vec(a).unwrap_or_default();
            for af in &a.affected {
                let key = (
                    wharf_matcher::canonical_ecosystem(&af.ecosystem).into_owned(),
                    wharf_matcher::normalize_name(&af.ecosystem, &af.package),
                );
                packages.entry(key).or_default().update(&json);
            }
        }
        let kev = snapshot.kev.iter().map(|k| k.cve.clone()).collect();
        Ok(Self {
            packages: packages
                .into_iter()
                .map(|(k, h)| (k, h.finalize().into()))
                .collect(),
            kev,
            db: Database::from_snapshot(snapshot),
        })
    }

    /// Packages whose advisories differ between `self` (older) and `newer`,
    /// and CVEs whose known-exploited status changed.
    pub fn diff(&self, newer: &Snapshot) -> (Vec<(String, String)>, Vec<String>) {
        let mut packages: Vec<(String, String)> = newer
            .packages
            .iter()
            .filter(|(k, h)| self.packages.get(*k) != Some(*h))
            .map(|(k, _)| k.clone())
            .chain(
                self.packages
                    .keys()
                    .filter(|k| !newer.packages.contains_key(*k))
                    .cloned(),
            )
            .collect();
        packages.sort();
        let mut kev: Vec<String> = self.kev.symmetric_difference(&newer.kev).cloned().collect();
        kev.sort();
        (packages, kev)
    }
}

/// A snapshot change: (the one in use before, if any; the new one).
pub type SnapshotChange = (Option<Arc<Snapshot>>, Arc<Snapshot>);

/// The shared engine.
pub struct Engine {
    analyzers: Arc<AnalyzerSet>,
    cache_root: PathBuf,
    scanner_version: String,
    policy: RwLock<Arc<Policy>>,
    policy_file: Option<PathBuf>,
    vulndb_dir: PathBuf,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    ca_dir: PathBuf,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("scanner_version", &self.scanner_version)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Build the engine: compile the secret and malware rules, load the
    /// policy (the vulnerability database loads on first use).
    pub fn new(config: &Config) -> Result<Self, ServerError> {
        let vulndb_dir = config.vulndb_dir();
        let mut scanners: Vec<Arc<dyn ContentScanner>> = Vec::new();
        if config.secrets {
            let key = wharf_secrets::FingerprintKey::load_or_create(
                &config.data_dir.join("secret-fingerprint.key"),
            )
            .map_err(|e| ServerError::Config(format!("secret fingerprint key: {e}")))?;
            let scanner =
                wharf_secrets::SecretScanner::new(wharf_secrets::SecretConfig::builtin(), key)
                    .map_err(|e| ServerError::Config(format!("secret rules: {e}")))?;
            scanners.push(Arc::new(scanner));
        }
        if config.malware {
            let signatures = match wharf_vulndb::store::load_malware_hashes(&vulndb_dir) {
                Ok(s) => s,
                Err(wharf_vulndb::store::StoreError::Missing(_)) => Vec::new(),
                Err(e) => return Err(ServerError::Vulndb(format!("malware hash lists: {e}"))),
            };
            let hashes = wharf_malware::HashDb::from_entries(
                signatures
                    .into_iter()
                    .map(|s| (s.algorithm, s.hash, s.size, s.name)),
            )
            .map_err(|e| ServerError::Config(format!("malware hash lists: {e}")))?;
            let scanner =
                wharf_malware::MalwareScanner::new(wharf_malware::MalwareConfig::default(), hashes)
                    .map_err(|e| ServerError::Config(format!("malware rules: {e}")))?;
            scanners.push(Arc::new(scanner));
        }
        let analyzers = Arc::new(wharf_analyzers::builtin().with_scanners(scanners));
        let mut version = sha2::Sha256::new();
        for v in analyzers.versions() {
            version.update(v.as_bytes());
            version.update(b"\n");
        }
        let scanner_version = format!(
            "wharf {} analyzers {}",
            env!("CARGO_PKG_VERSION"),
            &hex::encode(version.finalize())[..12]
        );
        let policy = match &config.policy_file {
            Some(p) => load_policy(p)?.1,
            None => Policy::builtin(),
        };
        Ok(Self {
            analyzers,
            cache_root: config.cache_dir(),
            scanner_version,
            policy: RwLock::new(Arc::new(policy)),
            policy_file: config.policy_file.clone(),
            vulndb_dir,
            snapshot: RwLock::new(None),
            ca_dir: config.data_dir.join("ca"),
        })
    }

    /// Identifies the analyzers: an image scanned by another version is
    /// scanned again.
    pub fn scanner_version(&self) -> &str {
        &self.scanner_version
    }

    /// The vulnerability database directory.
    pub fn vulndb_dir(&self) -> &std::path::Path {
        &self.vulndb_dir
    }

    /// Where a connector's CA certificate is written for the client.
    pub fn ca_path(&self, connector_id: i64) -> PathBuf {
        self.ca_dir.join(format!("connector-{connector_id}.pem"))
    }

    /// The policy in use.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|_| Arc::new(Policy::builtin()))
    }

    /// Reload the policy file when its content differs from `known`
    /// (a digest); returns the new digest when it changed. A file that no
    /// longer parses keeps the previous policy in force (and says why).
    pub fn reload_policy(&self, known: Option<&str>) -> Result<Option<String>, ServerError> {
        let Some(path) = &self.policy_file else {
            return Ok(None);
        };
        let (digest, policy) = load_policy(path)?;
        if known == Some(digest.as_str()) {
            return Ok(None);
        }
        if let Ok(mut slot) = self.policy.write() {
            *slot = Arc::new(policy);
        }
        Ok(Some(digest))
    }

    /// The snapshot in use (`None` before the database exists).
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok().and_then(|s| s.clone())
    }

    /// The snapshot id on disk, if the database exists.
    pub fn current_snapshot_id(&self) -> Option<String> {
        wharf_vulndb::store::status(&self.vulndb_dir)
            .ok()
            .map(|s| s.snapshot_id)
    }

    /// Load the database's current snapshot if it differs from the one in
    /// use. Returns (previous, current) when it changed.
    pub fn refresh_snapshot(&self) -> Result<Option<SnapshotChange>, ServerError> {
        let Some(on_disk) = self.current_snapshot_id() else {
            return Ok(None);
        };
        let previous = self.snapshot();
        if previous.as_ref().is_some_and(|s| s.id() == on_disk) {
            return Ok(None);
        }
        let loaded = Arc::new(Snapshot::load(&self.vulndb_dir)?);
        tracing::info!(
            snapshot = loaded.id(),
            entries = loaded.db.len(),
            "vulnerability database loaded"
        );
        if let Ok(mut slot) = self.snapshot.write() {
            *slot = Some(loaded.clone());
        }
        Ok(Some((previous, loaded)))
    }

    /// Pull and analyse `repository@digest` from a registry: one inventory
    /// per platform image.
    pub async fn scan(
        &self,
        registry_host: &str,
        repository: &str,
        digest: &str,
        client: ClientConfig,
    ) -> Result<Vec<Inventory>, ServerError> {
        let reference: ImageReference = format!("{registry_host}/{repository}@{digest}")
            .parse()
            .map_err(|e| ServerError::Scan(format!("{repository}@{digest}: {e}")))?;
        let options = ScanOptions {
            platform: None,
            client,
            limits: wharf_layer::Limits::default(),
            cache_root: Some(self.cache_root.clone()),
            analyzers: self.analyzers.clone(),
            layer_concurrency: 2,
        };
        wharf_image::scan(&Source::Registry(reference), &options)
            .await
            .map_err(|e| ServerError::Scan(format!("{repository}@{digest}: {e}")))
    }

    /// Evaluate one inventory against the snapshot, the policy and the
    /// exceptions: the findings to store (CPU-bound: call from a blocking
    /// thread for big inventories).
    pub fn evaluate(
        &self,
        inv: &Inventory,
        snapshot: Option<&Snapshot>,
        exceptions: &Exceptions,
        tags: Vec<String>,
    ) -> Vec<NewFinding> {
        let matches = snapshot.map_or_else(Vec::new, |s| s.db.match_inventory(inv));
        let ctx = wharf_policy::Context {
            now: jiff::Timestamp::now(),
            tags,
        };
        let policy = self.policy();
        let evaluation = wharf_policy::evaluate_with(inv, &matches, &policy, exceptions, &[], &ctx);
        evaluation.findings.iter().map(new_finding).collect()
    }
}

/// Read and compile a policy file: (digest of its text, policy).
fn load_policy(path: &std::path::Path) -> Result<(String, Policy), ServerError> {
    let text = std::fs::read(path).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
    let policy = Policy::load(path)
        .map_err(|e| ServerError::Config(format!("policy {}: {e}", path.display())))?;
    Ok((hex::encode(sha2::Sha256::digest(&text)), policy))
}

/// A policy finding in the store's shape.
fn new_finding(f: &Finding) -> NewFinding {
    // Time-varying fields stay out of the stored JSON so an unchanged
    // finding is not rewritten by every run; the store keeps those.
    let mut stored = f.clone();
    stored.first_seen = None;
    stored.last_seen = None;
    NewFinding {
        fingerprint: f.fingerprint.clone(),
        kind: f.kind.as_str().to_owned(),
        rule_id: f.rule_id.clone(),
        severity: f.severity.as_str().to_owned(),
        severity_rank: wharf_store::severity_rank(f.severity),
        status: f.status.as_str().to_owned(),
        title: f.title.clone(),
        vulnerability: f.vulnerability.as_ref().map(|v| v.id.clone()),
        package: f
            .package
            .as_ref()
            .map(|p| format!("{}@{}", p.name, p.version)),
        kev: f.vulnerability.as_ref().is_some_and(|v| v.kev),
        data: serde_json::to_string(&stored).unwrap_or_default(),
    }
}

/// Exceptions as the policy engine takes them, from the store's rows
/// (expired ones are kept: the engine reports them as expired).
pub fn exceptions_from(rows: &[wharf_store::StoredException]) -> Exceptions {
    let mut out = Exceptions::default();
    for row in rows {
        match serde_json::from_value::<Exception>(row.spec.clone()) {
            Ok(e) => out.entries.push((format!("api:exception/{}", row.id), e)),
            Err(err) => tracing::warn!(exception = row.id, "stored exception ignored: {err}"),
        }
    }
    out
}

/// (ecosystem, name) keys of an inventory's packages, as the matcher files
/// advisories: the reverse index for targeted re-matching.
pub fn package_index(inv: &Inventory) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = inv
        .packages
        .iter()
        .flat_map(|p| wharf_matcher::package_keys(p, inv.os.as_ref()))
        .map(|(eco, name, _)| (eco, name))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
