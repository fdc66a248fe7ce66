//! The local advisory database and `wharf db update`.
//!
//! One SQLite file, `vulndb.sqlite`, in the database directory. An update
//! never modifies that file: it fetches every source first, skips sources
//! whose fingerprint (SHA-256 of what was fetched) is unchanged, copies the
//! current database to a temporary file beside it, replaces the changed
//! sources' rows there in one transaction, syncs it and renames it over the
//! old file. A crash or a bad source at any point leaves the previous
//! database intact and readable. Each import that changes anything records
//! a new snapshot id, and every source row says which snapshot imported it.
//! An exclusive lock file keeps two updates from racing.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use futures::StreamExt as _;
use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Advisory, EpssScore, ImportReport, KevEntry};

/// Database file name inside the database directory.
pub const DB_FILE: &str = "vulndb.sqlite";
/// Schema version of the database file. Version 2 added the
/// `malware_hashes` table; an update of a version-1 file creates it (the
/// schema is `CREATE … IF NOT EXISTS`), and readers treat its absence as
/// an empty hash list; the `repository_cpes` table came the same way.
pub const SCHEMA_VERSION: u32 = 2;
/// Largest download accepted from one source.
const MAX_DOWNLOAD: u64 = 8 << 30;

/// Kinds of advisory and threat-intelligence sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// OSV records: a JSON/YAML file, a directory, or an osv.dev `all.zip`.
    Osv,
    /// The RustSec advisory database (a directory).
    Rustsec,
    /// Alpine secdb (JSON or YAML).
    Alpine,
    /// Debian security tracker JSON.
    Debian,
    /// AlmaLinux errata JSON (`errata.almalinux.org/<major>/errata.json`).
    Almalinux,
    /// rpm repository errata, `updateinfo.xml` (Bottlerocket, Rocky…).
    Updateinfo,
    /// Red Hat's repository-to-CPE map ([`crate::redhat`]).
    RedhatCpe,
    /// CISA Known Exploited Vulnerabilities JSON.
    Kev,
    /// FIRST EPSS scores (CSV, optionally gzipped).
    Epss,
    /// Malware hash lists: ClamAV `.hdb`/`.hsb`/`.hdu`/`.hsu` or plain
    /// `HASH [NAME]` lists ([`crate::hashes`]).
    Hashes,
}

impl SourceKind {
    /// Every kind, in the order `KIND:` prefixes are documented.
    pub const ALL: [Self; 10] = [
        Self::Osv,
        Self::Rustsec,
        Self::Alpine,
        Self::Debian,
        Self::Almalinux,
        Self::Updateinfo,
        Self::RedhatCpe,
        Self::Kev,
        Self::Epss,
        Self::Hashes,
    ];

    /// The kind a `KIND:` prefix names.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Osv => "osv",
            Self::Rustsec => "rustsec",
            Self::Alpine => "alpine",
            Self::Debian => "debian",
            Self::Almalinux => "almalinux",
            Self::Updateinfo => "updateinfo",
            Self::RedhatCpe => "redhat-cpe",
            Self::Kev => "kev",
            Self::Epss => "epss",
            Self::Hashes => "hashes",
        }
    }
}

/// One source to import: `KIND:LOCATION`, where LOCATION is an `https://`
/// (or loopback `http://`) URL or a local path.
///
/// Malware hash lists use `hashes:LOCATION`; a bare path or URL ending in
/// `.hdb`, `.hsb`, `.hdu` or `.hsu` (optionally `.gz`) is a hash list too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpec {
    /// What the source contains.
    pub kind: SourceKind,
    /// URL or path.
    pub location: String,
}

impl SourceSpec {
    /// The source's stable name in the database: `KIND:LOCATION`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.location)
    }

    fn is_url(&self) -> bool {
        self.location.starts_with("https://") || self.location.starts_with("http://")
    }
}

impl FromStr for SourceSpec {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StoreError::InvalidSource(s.to_owned());
        let known = |k: &str| SourceKind::from_name(k).is_some();
        if crate::hashes::is_clamav_hash_db(s) && !s.split_once(':').is_some_and(|(k, _)| known(k))
        {
            return Ok(Self {
                kind: SourceKind::Hashes,
                location: s.to_owned(),
            });
        }
        let (kind, location) = s.split_once(':').ok_or_else(bad)?;
        let kind = SourceKind::from_name(kind).ok_or_else(bad)?;
        if location.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            kind,
            location: location.to_owned(),
        })
    }
}

/// The public sources `wharf db update` uses when none are given.
pub fn default_sources() -> Vec<SourceSpec> {
    let osv = [
        "PyPI",
        "npm",
        "Go",
        "crates.io",
        "Maven",
        "RubyGems",
        "NuGet",
        "Packagist",
        "Debian",
        "Ubuntu",
        "Alpine",
        "Rocky Linux",
        "AlmaLinux",
        "Red Hat",
        "SUSE",
        "openSUSE",
        "Wolfi",
        "Chainguard",
    ];
    let mut v: Vec<SourceSpec> = osv
        .iter()
        .map(|e| SourceSpec {
            kind: SourceKind::Osv,
            location: format!(
                "https://osv-vulnerabilities.storage.googleapis.com/{}/all.zip",
                e.replace(' ', "%20")
            ),
        })
        .collect();
    for (kind, location) in [
        (
            SourceKind::Debian,
            "https://security-tracker.debian.org/tracker/data/json",
        ),
        (
            SourceKind::Kev,
            "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        ),
        // Which Red Hat product streams an image's repositories ship.
        (
            SourceKind::RedhatCpe,
            "https://security.access.redhat.com/data/metrics/repository-to-cpe.json",
        ),
        // Bottlerocket publishes its advisories only as repository errata.
        (
            SourceKind::Updateinfo,
            "https://advisories.bottlerocket.aws/updateinfo.xml.gz",
        ),
        (
            SourceKind::Epss,
            "https://epss.cyentia.com/epss_scores-current.csv.gz",
        ),
    ] {
        v.push(SourceSpec {
            kind,
            location: location.to_owned(),
        });
    }
    for release in ["v3.18", "v3.19", "v3.20", "v3.21", "edge"] {
        for repo in ["main", "community"] {
            v.push(SourceSpec {
                kind: SourceKind::Alpine,
                location: format!("https://secdb.alpinelinux.org/{release}/{repo}.json"),
            });
        }
    }
    v
}

/// Why the database could not be read or updated. The existing database
/// is untouched whenever one of these is returned by [`update`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A `--source` value that is not `KIND:LOCATION`.
    #[error(
        "invalid source {0:?}: expected KIND:LOCATION with KIND one of osv, rustsec, alpine, debian, kev, epss, hashes (or a path or URL ending in .hdb, .hsb, .hdu or .hsu)"
    )]
    InvalidSource(String),
    /// Fetching a source failed.
    #[error("source {source_name}: {reason}")]
    Fetch {
        /// The source.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// A source could not be parsed at all.
    #[error("source {source_name}: {error}")]
    Parse {
        /// The source.
        source_name: String,
        /// The parser's error.
        error: crate::Error,
    },
    /// Database or file-system failure.
    #[error("database {path}: {reason}")]
    Db {
        /// The file concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another update holds the lock.
    #[error(
        "another `wharf db update` is running (lock file {0}); remove it if that process is gone"
    )]
    Locked(PathBuf),
    /// No database yet.
    #[error("no vulnerability database in {0}; run `wharf db update`")]
    Missing(PathBuf),
}

fn db_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Db {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// One source as recorded in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// `KIND:LOCATION`.
    pub name: String,
    /// Kind.
    pub kind: SourceKind,
    /// SHA-256 of what was fetched.
    pub fingerprint: String,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// The snapshot that imported it.
    pub snapshot_id: String,
    /// Records imported.
    pub records: u64,
    /// Records skipped (withdrawn, malformed), with reasons in the update report.
    pub skipped: u64,
}

/// The database's state (`wharf db status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbStatus {
    /// The database file.
    pub path: String,
    /// Current snapshot id.
    pub snapshot_id: String,
    /// When the current snapshot was made.
    pub updated_at: String,
    /// Sources.
    pub sources: Vec<SourceStatus>,
    /// Advisories stored.
    pub advisories: u64,
    /// Known-exploited entries stored.
    pub kev: u64,
    /// EPSS scores stored.
    pub epss: u64,
}

/// What one update did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateReport {
    /// The snapshot now current (unchanged when nothing changed).
    pub snapshot_id: String,
    /// Whether a new snapshot was written.
    pub changed: bool,
    /// Sources re-imported.
    pub imported: Vec<SourceStatus>,
    /// Sources whose fingerprint was unchanged.
    pub unchanged: Vec<String>,
    /// Per-record problems, per source (not fatal).
    pub skipped: BTreeMap<String, Vec<crate::Skipped>>,
    /// Sources that could not be fetched or parsed, with the error. Their
    /// previous data, if any, stays in the new snapshot: one unreachable
    /// feed does not hold back the others.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<String, String>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, kind TEXT NOT NULL, fingerprint TEXT NOT NULL,
  imported_at TEXT NOT NULL, snapshot_id TEXT NOT NULL, records INTEGER NOT NULL, skipped INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, sources TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (source TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (source, id));
CREATE TABLE IF NOT EXISTS affected (source TEXT NOT NULL, advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected (ecosystem, package);
CREATE TABLE IF NOT EXISTS kev (source TEXT NOT NULL, cve TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epss (source TEXT NOT NULL, cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL NOT NULL, date TEXT);
CREATE TABLE IF NOT EXISTS malware_hashes (source TEXT NOT NULL, algorithm TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repository_cpes (source TEXT NOT NULL, repository TEXT NOT NULL, cpe TEXT NOT NULL);
";

/// What was fetched for one source: a local path (file or directory) and
/// its fingerprint. Downloads live in a temporary file removed on drop.
struct Fetched {
    spec: SourceSpec,
    path: PathBuf,
    fingerprint: String,
    _download: Option<tempfile::NamedTempFile>,
}

async fn fetch(
    spec: &SourceSpec,
    http: &reqwest::Client,
    tmp: &Path,
) -> Result<Fetched, StoreError> {
    let fail = |reason: String| StoreError::Fetch {
        source_name: spec.name(),
        reason,
    };
    if spec.is_url() {
        let resp = http
            .get(&spec.location)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(fail(format!("HTTP {}", resp.status())));
        }
        let mut file = tempfile::NamedTempFile::new_in(tmp).map_err(|e| fail(e.to_string()))?;
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| fail(format!("download interrupted: {e}")))?;
            total += chunk.len() as u64;
            if total > MAX_DOWNLOAD {
                return Err(fail(format!("larger than {MAX_DOWNLOAD} bytes")));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(|e| fail(e.to_string()))?;
        }
        file.flush().map_err(|e| fail(e.to_string()))?;
        return Ok(Fetched {
            spec: spec.clone(),
            path: file.path().to_owned(),
            fingerprint: hex::encode(hasher.finalize()),
            _download: Some(file),
        });
    }
    let path = PathBuf::from(&spec.location);
    let fingerprint =
        fingerprint_path(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    Ok(Fetched {
        spec: spec.clone(),
        path,
        fingerprint,
        _download: None,
    })
}

/// SHA-256 of a file, or of a directory's sorted (relative path, content) pairs.
fn fingerprint_path(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    if path.is_dir() {
        let mut files = Vec::new();
        let mut stack = vec![path.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)? {
                let e = e?;
                let t = e.file_type()?;
                if t.is_dir() {
                    stack.push(e.path());
                } else if t.is_file() {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in files {
            h.update(
                f.strip_prefix(path)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            h.update([0]);
            hash_file(&f, &mut h)?;
        }
    } else {
        hash_file(path, &mut h)?;
    }
    Ok(hex::encode(h.finalize()))
}

fn hash_file(path: &Path, h: &mut Sha256) -> std::io::Result<()> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        h.update(&buf[..n]);
    }
}

/// Parsed content of one source.
enum Content {
    Advisories(ImportReport<Advisory>),
    Kev(ImportReport<KevEntry>),
    Epss(ImportReport<EpssScore>, Option<String>),
    Hashes(ImportReport<crate::hashes::HashSignature>),
    RepositoryCpes(ImportReport<crate::redhat::RepositoryCpes>),
}

fn parse(f: &Fetched) -> Result<Content, StoreError> {
    let err = |error| StoreError::Parse {
        source_name: f.spec.name(),
        error,
    };
    let name = f.spec.name();
    Ok(match f.spec.kind {
        SourceKind::Osv => {
            Content::Advisories(crate::osv::import_path(&f.path, &name).map_err(err)?)
        }
        SourceKind::Rustsec => {
            Content::Advisories(crate::rustsec::import_dir(&f.path).map_err(err)?)
        }
        SourceKind::Alpine => {
            Content::Advisories(crate::alpine::import_path(&f.path).map_err(err)?)
        }
        SourceKind::Debian => {
            Content::Advisories(crate::debian::import_path(&f.path).map_err(err)?)
        }
        SourceKind::Almalinux => {
            Content::Advisories(crate::almalinux::import_path(&f.path).map_err(err)?)
        }
        SourceKind::Updateinfo => {
            Content::Advisories(crate::updateinfo::import_path(&f.path).map_err(err)?)
        }
        SourceKind::RedhatCpe => {
            Content::RepositoryCpes(crate::redhat::import_path(&f.path).map_err(err)?)
        }
        SourceKind::Kev => Content::Kev(crate::kev::import_path(&f.path).map_err(err)?.report),
        SourceKind::Epss => {
            let e = crate::epss::import_path(&f.path).map_err(err)?;
            Content::Epss(e.report, e.score_date)
        }
        SourceKind::Hashes => {
            Content::Hashes(crate::hashes::import_path(&f.path, &f.spec.location).map_err(err)?)
        }
    })
}

/// Removes the lock file when dropped.
struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lock(dir: &Path) -> Result<Lock, StoreError> {
    let path = dir.join("update.lock");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut f) => {
            let _ = writeln!(f, "{}", std::process::id());
            Ok(Lock(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Locked(path)),
        Err(e) => Err(db_err(&path, e)),
    }
}

/// Import `sources` into the database in `dir` (created if missing).
///
/// Unchanged sources (same fingerprint as last imported) are not
/// re-imported; sources absent from `sources` keep their rows. A source
/// that cannot be fetched or parsed keeps its rows too and is listed in
/// [`UpdateReport::failed`]; the others are imported (as Clair runs its
/// updaters independently). When no source could be read at all, or the
/// database cannot be written, the error is returned and the existing
/// database is left exactly as it was.
pub async fn update(
    dir: &Path,
    sources: &[SourceSpec],
    http: &reqwest::Client,
) -> Result<UpdateReport, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| db_err(dir, e))?;
    let _lock = lock(dir)?;
    let started = std::time::Instant::now();
    let phase = |name: &str, since: &mut std::time::Instant| {
        tracing::info!(
            phase = name,
            ms = since.elapsed().as_millis() as u64,
            "update phase done"
        );
        *since = std::time::Instant::now();
    };
    let mut since = started;
    let db_path = dir.join(DB_FILE);
    let previous: BTreeMap<String, String> = if db_path.exists() {
        read_fingerprints(&db_path)?
    } else {
        BTreeMap::new()
    };
    // A source that cannot be fetched or parsed is reported and left as
    // it was; the update fails only when no source could be read at all.
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut first_error: Option<StoreError> = None;
    let mut fail = |name: String, e: StoreError| {
        tracing::warn!(source = %name, error = %e, "source failed; its previous data is kept");
        failed.insert(name, e.to_string());
        first_error.get_or_insert(e);
    };
    let mut fetched = Vec::new();
    for spec in sources {
        tracing::info!(source = %spec.name(), "fetching");
        match fetch(spec, http, dir).await {
            Ok(f) => fetched.push(f),
            Err(e) => fail(spec.name(), e),
        }
    }
    let (unchanged, changed): (Vec<Fetched>, Vec<Fetched>) = fetched
        .into_iter()
        .partition(|f| previous.get(&f.spec.name()) == Some(&f.fingerprint));
    phase("fetch+fingerprint", &mut since);
    let unchanged: Vec<String> = unchanged.iter().map(|f| f.spec.name()).collect();
    // Parse everything before touching any database file.
    let mut parsed: Vec<(Fetched, Content)> = Vec::new();
    for f in changed {
        match parse(&f) {
            Ok(c) => parsed.push((f, c)),
            Err(e) => fail(f.spec.name(), e),
        }
    }
    phase("parse", &mut since);
    if parsed.is_empty()
        && unchanged.is_empty()
        && let Some(e) = first_error
    {
        return Err(e);
    }
    if parsed.is_empty() && db_path.exists() {
        let status = status(dir)?;
        return Ok(UpdateReport {
            snapshot_id: status.snapshot_id,
            changed: false,
            imported: Vec::new(),
            unchanged,
            skipped: BTreeMap::new(),
            failed,
        });
    }
    let now = jiff::Timestamp::now();
    let mut combined = Sha256::new();
    for (f, _) in &parsed {
        combined.update(f.fingerprint.as_bytes());
    }
    let snapshot_id = format!(
        "{}-{}",
        now.strftime("%Y%m%dT%H%M%SZ"),
        &hex::encode(combined.finalize())[..8]
    );
    let tmp = tempfile::Builder::new()
        .prefix(".vulndb-")
        .suffix(".sqlite.tmp")
        .tempfile_in(dir)
        .map_err(|e| db_err(dir, e))?;
    if db_path.exists() {
        std::fs::copy(&db_path, tmp.path()).map_err(|e| db_err(&db_path, e))?;
    }
    phase("copy", &mut since);
    let mut report = UpdateReport {
        snapshot_id: snapshot_id.clone(),
        changed: true,
        imported: Vec::new(),
        unchanged,
        skipped: BTreeMap::new(),
        failed,
    };
    {
        let mut conn = Connection::open(tmp.path()).map_err(|e| db_err(tmp.path(), e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| db_err(tmp.path(), e))?;
        let tx = conn.transaction().map_err(|e| db_err(tmp.path(), e))?;
        let e = |e: rusqlite::Error| db_err(tmp.path(), e);
        // Time spent serialising records to JSON, inside the insert phase.
        let mut serialise = std::time::Duration::ZERO;
        for (f, content) in parsed {
            let name = f.spec.name();
            for table in [
                "advisories",
                "affected",
                "kev",
                "epss",
                "malware_hashes",
                "repository_cpes",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE source = ?1"),
                    params![name],
                )
                .map_err(e)?;
            }
            let (records, skipped) = match content {
                Content::Advisories(r) => {
                    let mut ins = tx
                        .prepare("INSERT OR REPLACE INTO advisories (source, id, json) VALUES (?1, ?2, ?3)")
                        .map_err(e)?;
                    let mut aff = tx
                        .prepare("INSERT INTO affected (source, advisory_id, ecosystem, package) VALUES (?1, ?2, ?3, ?4)")
                        .map_err(e)?;
                    for a in &r.imported {
                        let t = std::time::Instant::now();
                        let json = serde_json::to_string(a).map_err(|x| db_err(tmp.path(), x))?;
                        serialise += t.elapsed();
                        ins.execute(params![name, a.id, json]).map_err(e)?;
                        for af in &a.affected {
                            aff.execute(params![name, a.id, af.ecosystem, af.package])
                                .map_err(e)?;
                        }
                    }
                    report.skipped.insert(name.clone(), r.skipped.clone());
                    (r.imported.len(), r.skipped.len())
                }
                Content::Kev(r) => {
                    let mut ins = tx
                        .prepare(
                            "INSERT OR REPLACE INTO kev (source, cve, json) VALUES (?1, ?2, ?3)",
                        )
                        .map_err(e)?;
                    for k in &r.imported {
                        let json = serde_json::to_string(k).map_err(|x| db_err(tmp.path(), x))?;
                        ins.execute(params![name, k.cve, json]).map_err(e)?;
                    }
                    report.skipped.insert(name.clone(), r.skipped.clone());
                    (r.imported.len(), r.skipped.len())
                }
                Content::Epss(r, date) => {
                    let mut ins = tx
                        .prepare("INSERT OR REPLACE INTO epss (source, cve, epss, percentile, date) VALUES (?1, ?2, ?3, ?4, ?5)")
                        .map_err(e)?;
                    for s in &r.imported {
                        ins.execute(params![
                            name,
                            s.cve,
                            f64::from(s.epss),
                            f64::from(s.percentile),
                            date
                        ])
                        .map_err(e)?;
                    }
                    report.skipped.insert(name.clone(), r.skipped.clone());
                    (r.imported.len(), r.skipped.len())
                }
                Content::RepositoryCpes(r) => {
                    let mut ins = tx
                        .prepare("INSERT INTO repository_cpes (source, repository, cpe) VALUES (?1, ?2, ?3)")
                        .map_err(e)?;
                    for rc in &r.imported {
                        for cpe in &rc.cpes {
                            ins.execute(params![name, rc.repository, cpe]).map_err(e)?;
                        }
                    }
                    report.skipped.insert(name.clone(), r.skipped.clone());
                    (r.imported.len(), r.skipped.len())
                }
                Content::Hashes(r) => {
                    let mut ins = tx
                        .prepare("INSERT INTO malware_hashes (source, algorithm, hash, size, name) VALUES (?1, ?2, ?3, ?4, ?5)")
                        .map_err(e)?;
                    for h in &r.imported {
                        ins.execute(params![
                            name,
                            h.algorithm.as_str(),
                            h.hash,
                            h.size.and_then(|s| i64::try_from(s).ok()),
                            h.name
                        ])
                        .map_err(e)?;
                    }
                    report.skipped.insert(name.clone(), r.skipped.clone());
                    (r.imported.len(), r.skipped.len())
                }
            };
            let status = SourceStatus {
                name: name.clone(),
                kind: f.spec.kind,
                fingerprint: f.fingerprint.clone(),
                imported_at: now.to_string(),
                snapshot_id: snapshot_id.clone(),
                records: records as u64,
                skipped: skipped as u64,
            };
            tx.execute(
                "INSERT OR REPLACE INTO sources (name, kind, fingerprint, imported_at, snapshot_id, records, skipped) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![name, f.spec.kind.as_str(), status.fingerprint, status.imported_at, snapshot_id, status.records as i64, status.skipped as i64],
            )
            .map_err(e)?;
            report.imported.push(status);
        }
        let names: Vec<&str> = report.imported.iter().map(|s| s.name.as_str()).collect();
        tx.execute(
            "INSERT INTO snapshots (id, created_at, sources) VALUES (?1, ?2, ?3)",
            params![snapshot_id, now.to_string(), names.join("\n")],
        )
        .map_err(e)?;
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("snapshot_id", snapshot_id.clone()),
            ("updated_at", now.to_string()),
        ] {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(e)?;
        }
        tracing::info!(
            phase = "insert: JSON serialisation",
            ms = serialise.as_millis() as u64,
            "update phase part"
        );
        phase("insert", &mut since);
        tx.commit().map_err(e)?;
        phase("commit", &mut since);
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| db_err(tmp.path(), e))?;
    tmp.persist(&db_path)
        .map_err(|e| db_err(&db_path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    phase("sync+rename", &mut since);
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "update phase total"
    );
    Ok(report)
}

fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db_err(path, e))
}

fn read_fingerprints(db: &Path) -> Result<BTreeMap<String, String>, StoreError> {
    let conn = open_read_only(db)?;
    let mut stmt = conn
        .prepare("SELECT name, fingerprint FROM sources")
        .map_err(|e| db_err(db, e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| db_err(db, e))?;
    rows.collect::<Result<_, _>>().map_err(|e| db_err(db, e))
}

/// The state of the database in `dir`.
pub fn status(dir: &Path) -> Result<DbStatus, StoreError> {
    let path = dir.join(DB_FILE);
    if !path.exists() {
        return Err(StoreError::Missing(dir.to_owned()));
    }
    let conn = open_read_only(&path)?;
    let e = |x: rusqlite::Error| db_err(&path, x);
    let meta = |k: &str| -> Result<String, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![k], |r| {
            r.get(0)
        })
        .map_err(e)
    };
    let count = |t: &str| -> Result<u64, StoreError> {
        conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
        .map_err(e)
    };
    let mut stmt = conn
        .prepare("SELECT name, kind, fingerprint, imported_at, snapshot_id, records, skipped FROM sources ORDER BY name")
        .map_err(e)?;
    let sources = stmt
        .query_map([], |r| {
            let kind: String = r.get(1)?;
            Ok(SourceStatus {
                name: r.get(0)?,
                kind: SourceSpec::from_str(&format!("{kind}:x"))
                    .map(|s| s.kind)
                    .unwrap_or(SourceKind::Osv),
                fingerprint: r.get(2)?,
                imported_at: r.get(3)?,
                snapshot_id: r.get(4)?,
                records: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                skipped: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
            })
        })
        .map_err(e)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?;
    Ok(DbStatus {
        path: path.display().to_string(),
        snapshot_id: meta("snapshot_id")?,
        updated_at: meta("updated_at")?,
        sources,
        advisories: count("advisories")?,
        kev: count("kev")?,
        epss: count("epss")?,
    })
}

/// Advisories affecting `package` in `ecosystem` (exact OSV ecosystem
/// string, e.g. `PyPI`, `Debian:12`).
pub fn advisories_for(
    dir: &Path,
    ecosystem: &str,
    package: &str,
) -> Result<Vec<Advisory>, StoreError> {
    let path = dir.join(DB_FILE);
    let conn = open_read_only(&path)?;
    let mut stmt = conn
        .prepare(
            "SELECT DISTINCT a.json FROM affected f JOIN advisories a ON a.source = f.source AND a.id = f.advisory_id
             WHERE f.ecosystem = ?1 AND f.package = ?2 ORDER BY a.id",
        )
        .map_err(|e| db_err(&path, e))?;
    let rows = stmt
        .query_map(params![ecosystem, package], |r| r.get::<_, String>(0))
        .map_err(|e| db_err(&path, e))?;
    let mut out = Vec::new();
    for json in rows {
        let json = json.map_err(|e| db_err(&path, e))?;
        out.push(serde_json::from_str(&json).map_err(|e| db_err(&path, e))?);
    }
    Ok(out)
}

/// Everything the matcher needs from one snapshot of the database.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The snapshot id.
    pub snapshot_id: String,
    /// Every advisory.
    pub advisories: Vec<Advisory>,
    /// Known-exploited CVEs.
    pub kev: Vec<crate::KevEntry>,
    /// EPSS scores.
    pub epss: Vec<crate::EpssScore>,
    /// Red Hat's repository-to-CPE map.
    pub repository_cpes: Vec<crate::redhat::RepositoryCpes>,
}

/// Read the whole current snapshot of the database in `dir`.
pub fn load_snapshot(dir: &Path) -> Result<Snapshot, StoreError> {
    let path = dir.join(DB_FILE);
    if !path.exists() {
        return Err(StoreError::Missing(dir.to_owned()));
    }
    let conn = open_read_only(&path)?;
    let e = |x: rusqlite::Error| db_err(&path, x);
    let snapshot_id: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'snapshot_id'",
            [],
            |r| r.get(0),
        )
        .map_err(e)?;
    let mut advisories = Vec::new();
    let mut stmt = conn.prepare("SELECT json FROM advisories").map_err(e)?;
    for json in stmt.query_map([], |r| r.get::<_, String>(0)).map_err(e)? {
        advisories.push(serde_json::from_str(&json.map_err(e)?).map_err(|x| db_err(&path, x))?);
    }
    let mut kev = Vec::new();
    let mut stmt = conn.prepare("SELECT json FROM kev").map_err(e)?;
    for json in stmt.query_map([], |r| r.get::<_, String>(0)).map_err(e)? {
        kev.push(serde_json::from_str(&json.map_err(e)?).map_err(|x| db_err(&path, x))?);
    }
    let mut epss = Vec::new();
    let mut stmt = conn
        .prepare("SELECT cve, epss, percentile, date FROM epss")
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(crate::EpssScore {
                cve: r.get(0)?,
                epss: r.get::<_, f64>(1)? as f32,
                percentile: r.get::<_, f64>(2)? as f32,
                date: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })
        .map_err(e)?;
    for s in rows {
        epss.push(s.map_err(e)?);
    }
    let mut repository_cpes: Vec<crate::redhat::RepositoryCpes> = Vec::new();
    if has_table(&conn, "repository_cpes").map_err(e)? {
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT repository, cpe FROM repository_cpes ORDER BY repository, cpe",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(e)?;
        for row in rows {
            let (repository, cpe) = row.map_err(e)?;
            match repository_cpes.last_mut() {
                Some(last) if last.repository == repository => last.cpes.push(cpe),
                _ => repository_cpes.push(crate::redhat::RepositoryCpes {
                    repository,
                    cpes: vec![cpe],
                }),
            }
        }
    }
    Ok(Snapshot {
        snapshot_id,
        advisories,
        kev,
        epss,
        repository_cpes,
    })
}

/// Whether the database has `table` (files written before it existed
/// lack it; readers treat it as empty).
fn has_table(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        params![table],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Every malware hash signature of the database in `dir`, in a stable
/// order (algorithm, hash, size, name), duplicates across sources removed.
/// A database written before hash lists existed has none.
pub fn load_malware_hashes(dir: &Path) -> Result<Vec<crate::hashes::HashSignature>, StoreError> {
    let path = dir.join(DB_FILE);
    if !path.exists() {
        return Err(StoreError::Missing(dir.to_owned()));
    }
    let conn = open_read_only(&path)?;
    let e = |x: rusqlite::Error| db_err(&path, x);
    if !has_table(&conn, "malware_hashes").map_err(e)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT DISTINCT algorithm, hash, size, name FROM malware_hashes ORDER BY algorithm, hash, size, name")
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (algorithm, hash, size, name) = row.map_err(e)?;
        let Some(algorithm) = crate::hashes::HashAlgorithm::parse(&algorithm) else {
            return Err(db_err(
                &path,
                format!("unknown hash algorithm {algorithm:?}"),
            ));
        };
        out.push(crate::hashes::HashSignature {
            algorithm,
            hash,
            size: size.and_then(|s| u64::try_from(s).ok()),
            name,
        });
    }
    Ok(out)
}
