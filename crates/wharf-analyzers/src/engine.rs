//! The analysis engine: routes the files of one layer pass to the analyzers
//! that want them and collects what they found into a [`LayerReport`].
//!
//! Every analyzer declares the paths it wants as glob patterns; all patterns
//! are compiled into one [`GlobSet`], so each tar entry costs one match no
//! matter how many analyzers run. Analyzers of binaries also see every
//! executable regular file. A wanted file is read into memory up to the
//! analyzer's size cap (larger files are reported, not read), or streamed
//! to a private temporary file when the analyzer needs a file on disk (the
//! rpm SQLite database); nothing else touches the disk.
//!
//! The [`LayerReport`] is what the layer cache stores: it depends only on
//! the layer's bytes and the analyzers' names and versions.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use wharf_layer::{EntryKind, LayerError, Limits, walk};
use wharf_types::{Diagnostic, MalwareFinding, Package, SecretFinding};

use crate::ParseError;
use crate::content::{self, Records};

/// A file handed to an analyzer.
pub struct File<'a> {
    /// Normalised path inside the image (no leading slash).
    pub path: &'a str,
    /// Permission bits.
    pub mode: u32,
    /// The content (empty when the analyzer asked for a file on disk).
    pub bytes: &'a [u8],
    /// The content as a private temporary file, for analyzers that need one.
    pub disk: Option<&'a Path>,
}

/// What an analyzer found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Output {
    /// Installed packages.
    Packages {
        /// The packages.
        packages: Vec<Package>,
    },
    /// An OS release file's text, identified once layers are merged.
    OsFile {
        /// The file's content (small, UTF-8 lossy).
        content: String,
    },
    /// Files an OS package installed (dpkg `info/*.list`).
    InstalledFiles {
        /// The package name.
        package: String,
        /// The files.
        files: Vec<String>,
    },
    /// Licences of an OS package (dpkg copyright files).
    Licenses {
        /// The package name.
        package: String,
        /// SPDX identifiers or names.
        licenses: Vec<String>,
    },
    /// Secrets found by a content scanner (redacted; placement filled in
    /// when layers are merged).
    Secrets {
        /// The findings.
        findings: Vec<SecretFinding>,
    },
    /// Malware found by a content scanner.
    Malware {
        /// The findings.
        findings: Vec<MalwareFinding>,
    },
}

/// A package analyzer.
///
/// `name` is stable (kebab-case) and `version` changes whenever its output
/// for the same input may change: both go into the layer-cache key.
pub trait Analyzer: Send + Sync {
    /// Stable name, e.g. `dpkg`.
    fn name(&self) -> &'static str;
    /// Output version.
    fn version(&self) -> u32;
    /// Glob patterns of the paths it wants (globset syntax, no leading slash).
    fn patterns(&self) -> &'static [&'static str];
    /// Whether it also wants every executable regular file (binaries).
    fn wants_executables(&self) -> bool {
        false
    }
    /// Largest file it reads; bigger ones become a diagnostic.
    fn max_file_size(&self) -> u64 {
        64 << 20
    }
    /// Whether it needs the file on disk rather than in memory.
    fn needs_disk(&self) -> bool {
        false
    }
    /// Analyze one file. `Ok(None)` means nothing to report.
    fn analyze(&self, file: &File<'_>) -> Result<Option<Output>, ParseError>;
}

/// A scanner of file contents (secrets, malware): unlike an [`Analyzer`]
/// it may want any file, chosen by path, mode and size before the content
/// is read, and files it does not want are skipped silently.
///
/// It sees the same in-memory copy of the file as the package analyzers,
/// so an image's bytes are read once whatever runs.
pub trait ContentScanner: Send + Sync {
    /// Stable name, e.g. `secret`.
    fn name(&self) -> &'static str;
    /// Output version: changes whenever its output for the same bytes may
    /// change (code version, rule-set digest, fingerprint-key id). It goes
    /// into the layer-cache key.
    fn version(&self) -> String;
    /// Whether to read this file (called before its content is read).
    fn wants(&self, path: &str, mode: u32, size: u64) -> bool;
    /// Scan one file. `Ok(None)` means nothing to report; an error becomes
    /// a diagnostic.
    fn scan(&self, file: &File<'_>) -> Result<Option<Output>, ParseError>;
    /// A scanner for one thread's files, for state that is costly to make
    /// or cannot be shared (a yara-x `Scanner`). The layer pass makes one
    /// per scanning thread and layer; the default scans with
    /// [`ContentScanner::scan`].
    fn worker(&self) -> Box<dyn ScanWorker + '_> {
        Box::new(Shared(self))
    }
    /// Scan the image configuration's texts, redacting in place whatever
    /// must not be shown (a secret in `Env` or in a build step). Findings
    /// use [`wharf_types::Location::Env`], `Label` or `History`.
    fn scan_config(&self, _config: &mut ConfigText) -> Option<Output> {
        None
    }
    /// Whether [`ContentScanner::scan_config`] redacts every secret it
    /// finds in the configuration (the secret scanner says so; environment
    /// values are kept in the inventory only then).
    fn redacts_config(&self) -> bool {
        false
    }
}

/// One thread's [`ContentScanner`] (see [`ContentScanner::worker`]).
pub trait ScanWorker {
    /// Scan one file, as [`ContentScanner::scan`].
    fn scan(&mut self, file: &File<'_>) -> Result<Option<Output>, ParseError>;
}

/// The default worker: the shared scanner itself.
struct Shared<'a, S: ?Sized>(&'a S);

impl<S: ContentScanner + ?Sized> ScanWorker for Shared<'_, S> {
    fn scan(&mut self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
        self.0.scan(file)
    }
}

/// The texts of an image configuration that content scanners inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigText {
    /// `Env` entries (`KEY=value`).
    pub env: Vec<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `created_by` of every history entry (empty layers included; empty
    /// string when absent), in order.
    pub history: Vec<String>,
}

/// What one file produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path inside the image.
    pub path: String,
    /// The analyzer that produced it.
    pub analyzer: String,
    /// What it found.
    pub output: Output,
}

/// Everything found in one layer; what the layer cache stores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerReport {
    /// Results per file, in tar order.
    pub files: Vec<FileRecord>,
    /// Paths this layer deletes from lower layers (whiteouts).
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer content this layer hides.
    pub opaque_dirs: Vec<String>,
    /// Per-file problems (unparsable files, skipped entries).
    pub diagnostics: Vec<Diagnostic>,
    /// Tar entries read.
    pub entries: u64,
    /// Uncompressed bytes read.
    pub uncompressed_bytes: u64,
    /// Permission and package-cache facts of this layer's entries.
    #[serde(default, skip_serializing_if = "LayerFacts::is_empty")]
    pub facts: LayerFacts,
}

/// Version of what [`LayerReport`] holds besides the analyzers' outputs
/// ([`LayerFacts`]); part of [`AnalyzerSet::versions`], so reports cached
/// before a change are not reused.
pub const LAYER_REPORT_VERSION: u32 = 2;

/// What the layer pass records about an entry besides its content:
/// notable permission bits and package-manager caches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Setuid/setgid regular files, world-writable regular files, and
    /// world-writable directories without the sticky bit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special: Vec<ModeEntry>,
    /// Package-manager cache directories with regular files in this layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caches: Vec<CacheUse>,
}

impl LayerFacts {
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.special.is_empty() && self.caches.is_empty()
    }

    /// Record one entry (regular file or directory).
    fn record(&mut self, path: &str, mode: u32, dir: bool, size: u64) {
        let notable = if dir {
            mode & 0o002 != 0 && mode & 0o1000 == 0
        } else {
            mode & 0o6000 != 0 || mode & 0o002 != 0
        };
        if notable {
            self.special.push(ModeEntry {
                path: path.to_owned(),
                mode: mode & 0o7777,
                dir,
            });
        }
        if dir {
            return;
        }
        let Some((cache, manager)) = cache_dir(path) else {
            return;
        };
        let rest = &path[cache.len() + 1..];
        let child = rest.split('/').next().unwrap_or(rest);
        if child == "lock" {
            return;
        }
        let i = match self.caches.iter().position(|c| c.path == cache) {
            Some(i) => i,
            None => {
                self.caches.push(CacheUse {
                    path: cache,
                    manager: manager.to_owned(),
                    children: Vec::new(),
                });
                self.caches.len() - 1
            }
        };
        match self.caches[i].children.iter_mut().find(|c| c.name == child) {
            Some(c) => {
                c.files += 1;
                c.bytes += size;
            }
            None => self.caches[i].children.push(CacheChild {
                name: child.to_owned(),
                files: 1,
                bytes: size,
            }),
        }
    }
}

/// An entry with notable permission bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeEntry {
    /// Path inside the image.
    pub path: String,
    /// Permission bits with setuid/setgid/sticky.
    pub mode: u32,
    /// A directory (otherwise a regular file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
}

/// Files of one layer in one package-manager cache directory, counted per
/// direct child of the directory (so that a later layer's whiteouts of
/// some children can be applied when layers are merged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheUse {
    /// The cache directory (`var/cache/apt/archives`).
    pub path: String,
    /// The package manager.
    pub manager: String,
    /// Direct children holding files.
    pub children: Vec<CacheChild>,
}

/// A direct child of a cache directory and the files below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheChild {
    /// Its name.
    pub name: String,
    /// Regular files (itself, or below it).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Package-manager cache directories: fixed paths, then paths under a
/// home directory (`root/…`, `home/<user>/…`).
const SYSTEM_CACHES: &[(&str, &str)] = &[
    ("var/cache/apt/archives", "apt"),
    ("var/lib/apt/lists", "apt-lists"),
    ("var/cache/apk", "apk"),
    ("etc/apk/cache", "apk"),
    ("var/cache/yum", "yum"),
    ("var/cache/dnf", "dnf"),
    ("var/cache/zypp", "zypper"),
    ("usr/local/share/.cache/yarn", "yarn"),
];
const HOME_CACHES: &[(&str, &str)] = &[
    (".cache/pip", "pip"),
    (".npm/_cacache", "npm"),
    (".cache/yarn", "yarn"),
    (".cache/go-build", "go"),
    ("go/pkg/mod/cache", "go"),
    (".m2/repository", "maven"),
];

/// The package-manager cache directory holding `path`, if any.
pub fn cache_dir(path: &str) -> Option<(String, &'static str)> {
    let under = |dir: &str| {
        path.len() > dir.len() + 1 && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
    };
    if let Some((dir, m)) = SYSTEM_CACHES.iter().find(|(d, _)| under(d)) {
        return Some(((*dir).to_owned(), m));
    }
    let home = if let Some(rest) = path.strip_prefix("root/") {
        ("root".to_owned(), rest)
    } else {
        let rest = path.strip_prefix("home/")?;
        let (user, rest) = rest.split_once('/')?;
        (format!("home/{user}"), rest)
    };
    HOME_CACHES.iter().find_map(|(d, m)| {
        (home.1.len() > d.len() + 1 && home.1.starts_with(d) && home.1.as_bytes()[d.len()] == b'/')
            .then(|| (format!("{}/{d}", home.0), *m))
    })
}

/// A set of analyzers with their paths compiled into one matcher.
pub struct AnalyzerSet {
    analyzers: Vec<Box<dyn Analyzer>>,
    globs: GlobSet,
    /// Which analyzer each glob belongs to.
    owners: Vec<usize>,
    executables: Vec<usize>,
    scanners: Vec<Arc<dyn ContentScanner>>,
}

/// Who wants one file: analyzer and scanner indexes.
#[derive(Default)]
struct Wanted {
    analyzers: Vec<usize>,
    scanners: Vec<usize>,
}

impl Wanted {
    fn is_empty(&self) -> bool {
        self.analyzers.is_empty() && self.scanners.is_empty()
    }
}

impl AnalyzerSet {
    /// Compile the analyzers' patterns.
    pub fn new(analyzers: Vec<Box<dyn Analyzer>>) -> Result<Self, globset::Error> {
        let mut b = GlobSetBuilder::new();
        let mut owners = Vec::new();
        for (i, a) in analyzers.iter().enumerate() {
            for p in a.patterns() {
                b.add(Glob::new(p)?);
                owners.push(i);
            }
        }
        let executables = (0..analyzers.len())
            .filter(|&i| analyzers[i].wants_executables())
            .collect();
        Ok(Self {
            globs: b.build()?,
            owners,
            executables,
            analyzers,
            scanners: Vec::new(),
        })
    }

    /// Add content scanners (secrets, malware) to the same pass.
    #[must_use]
    pub fn with_scanners(mut self, scanners: Vec<Arc<dyn ContentScanner>>) -> Self {
        self.scanners.extend(scanners);
        self
    }

    /// Run every content scanner over the image configuration, redacting
    /// `config` in place; returns their outputs.
    pub fn scan_config(&self, config: &mut ConfigText) -> Vec<Output> {
        self.scanners
            .iter()
            .filter_map(|s| s.scan_config(config))
            .collect()
    }

    /// Whether any content scanner runs.
    pub fn has_scanners(&self) -> bool {
        !self.scanners.is_empty()
    }

    /// Whether a content scanner redacts the configuration's texts (the
    /// secret scanner): only then may environment values and build steps
    /// be kept in the inventory.
    pub fn redacts_config(&self) -> bool {
        self.scanners.iter().any(|s| s.redacts_config())
    }

    /// `name@version` of every analyzer, sorted, with the layer report's
    /// own version (`layer-report@N`): the cache key component.
    pub fn versions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .analyzers
            .iter()
            .map(|a| format!("{}@{}", a.name(), a.version()))
            .chain(std::iter::once(format!(
                "layer-report@{LAYER_REPORT_VERSION}"
            )))
            .chain(
                self.scanners
                    .iter()
                    .map(|s| format!("{}@{}", s.name(), s.version())),
            )
            .collect();
        v.sort();
        v
    }

    fn wanted_by(&self, path: &str, mode: u32, size: u64, matches: &mut Vec<usize>) -> Wanted {
        self.globs.matches_into(path, matches);
        let mut analyzers: Vec<usize> = matches.iter().map(|&m| self.owners[m]).collect();
        if mode & 0o111 != 0 {
            analyzers.extend(&self.executables);
        }
        analyzers.sort_unstable();
        analyzers.dedup();
        let scanners = (0..self.scanners.len())
            .filter(|&i| self.scanners[i].wants(path, mode, size))
            .collect();
        Wanted {
            analyzers,
            scanners,
        }
    }

    /// Analyze one layer stream in a single pass.
    ///
    /// `tmp` is a private directory for the few files that must be on disk.
    /// Errors are errors of the stream itself (corrupt, truncated, a bomb);
    /// a file an analyzer cannot parse becomes a diagnostic. Content
    /// scanners run on other threads while the walk goes on (see the
    /// `content` module); the report is the same whatever the timing.
    pub fn analyze_layer<R: Read + Send>(
        &self,
        input: R,
        limits: &Limits,
        tmp: &Path,
    ) -> Result<LayerReport, LayerError> {
        let mut report = LayerReport::default();
        let mut records = Records::default();
        let mut scratch = Vec::new();
        let mut entry_no = 0u64;
        let shared = content::Shared::new();
        let summary = std::thread::scope(|scope| {
            let mut pool = content::Pool::start(scope, &self.scanners, &shared);
            let summary = walk(input, limits, |entry| {
                entry_no += 1;
                match entry.kind {
                    EntryKind::Whiteout(p) => report.whiteouts.push(p.clone()),
                    EntryKind::OpaqueDir(p) => report.opaque_dirs.push(p.clone()),
                    EntryKind::Hardlink(target) => records.link(entry_no, entry.path, target),
                    EntryKind::Dir => report.facts.record(entry.path, entry.mode, true, 0),
                    EntryKind::File => {
                        report
                            .facts
                            .record(entry.path, entry.mode, false, entry.size);
                        let who = self.wanted_by(entry.path, entry.mode, entry.size, &mut scratch);
                        if !who.is_empty() {
                            self.run(
                                &who,
                                (entry_no, entry.path, entry.mode, entry.size),
                                entry.reader,
                                tmp,
                                &mut records,
                                &mut pool,
                            )?;
                        }
                    }
                    _ => {}
                }
                Ok(())
            });
            // Even after a failed walk: the scanning threads must end.
            pool.finish(&mut records);
            summary
        })?;
        (report.files, report.diagnostics) = records.finish();
        report.entries = summary.entries;
        report.uncompressed_bytes = summary.uncompressed_bytes;
        report
            .diagnostics
            .extend(summary.skipped.into_iter().map(|s| Diagnostic {
                path: s.path,
                analyzer: "layer".into(),
                message: s.reason,
            }));
        Ok(report)
    }

    /// Analyze a root filesystem directory (`dir:` sources). Symbolic links
    /// are not followed, `proc`, `sys` and `dev` at the top are skipped, and
    /// the walk never leaves `root`.
    pub fn analyze_dir(&self, root: &Path) -> std::io::Result<LayerReport> {
        let mut report = LayerReport::default();
        let mut records = Records::default();
        let mut scratch = Vec::new();
        let mut entry_no = 0u64;
        let tmp = tempfile::tempdir()?;
        let shared = content::Shared::new();
        std::thread::scope(|scope| {
            let mut pool = content::Pool::start(scope, &self.scanners, &shared);
            let walked = self.walk_dir(
                root,
                tmp.path(),
                &mut report,
                &mut records,
                &mut pool,
                &mut scratch,
                &mut entry_no,
            );
            pool.finish(&mut records);
            walked
        })?;
        (report.files, report.diagnostics) = records.finish();
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_dir(
        &self,
        root: &Path,
        tmp: &Path,
        report: &mut LayerReport,
        records: &mut Records,
        pool: &mut content::Pool<'_>,
        scratch: &mut Vec<usize>,
        entry_no: &mut u64,
    ) -> std::io::Result<()> {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&dir)?.filter_map(Result::ok).collect();
            entries.sort_by_key(std::fs::DirEntry::file_name);
            for e in entries {
                let meta = match e.path().symlink_metadata() {
                    Ok(m) => m,
                    Err(_) => continue,
                };
                let Ok(rel) = e
                    .path()
                    .strip_prefix(root)
                    .map(|p| p.to_string_lossy().into_owned())
                else {
                    continue;
                };
                report.entries += 1;
                *entry_no += 1;
                use std::os::unix::fs::PermissionsExt as _;
                let mode = meta.permissions().mode() & 0o7777;
                if meta.is_dir() {
                    if dir.as_path() == root && matches!(rel.as_str(), "proc" | "sys" | "dev") {
                        continue;
                    }
                    report.facts.record(&rel, mode, true, 0);
                    stack.push(e.path());
                    continue;
                }
                if !meta.is_file() {
                    continue;
                }
                report.facts.record(&rel, mode, false, meta.len());
                let who = self.wanted_by(&rel, mode, meta.len(), scratch);
                if who.is_empty() {
                    continue;
                }
                report.uncompressed_bytes += meta.len();
                let mut f = match std::fs::File::open(e.path()) {
                    Ok(f) => f,
                    Err(err) => {
                        records.diagnostic(
                            (*entry_no, 0),
                            Diagnostic {
                                path: rel.clone(),
                                analyzer: "dir".into(),
                                message: err.to_string(),
                            },
                        );
                        continue;
                    }
                };
                self.run(
                    &who,
                    (*entry_no, &rel, mode, meta.len()),
                    &mut f,
                    tmp,
                    records,
                    pool,
                )
                .map_err(std::io::Error::other)?;
            }
        }
        Ok(())
    }

    /// Reads one wanted file once, runs its analyzers and hands its bytes
    /// to the content scanners that want it. `entry` is (entry number,
    /// path, mode, size).
    fn run(
        &self,
        who: &Wanted,
        (entry_no, path, mode, size): (u64, &str, u32, u64),
        reader: &mut dyn Read,
        tmp: &Path,
        records: &mut Records,
        pool: &mut content::Pool<'_>,
    ) -> Result<(), LayerError> {
        let read_err = |e: std::io::Error| LayerError::Visitor(format!("{path}: {e}"));
        let mut place = 0u64;
        let mut diagnostic = |records: &mut Records, analyzer: &str, message: String| {
            records.diagnostic(
                (entry_no, place),
                Diagnostic {
                    path: path.to_owned(),
                    analyzer: analyzer.to_owned(),
                    message,
                },
            );
            place += 1;
        };
        let mut within: Vec<&dyn Analyzer> = Vec::new();
        for a in who.analyzers.iter().map(|&i| self.analyzers[i].as_ref()) {
            if size > a.max_file_size() {
                diagnostic(
                    records,
                    a.name(),
                    format!(
                        "not analyzed: {size} bytes is over the {}-byte limit",
                        a.max_file_size()
                    ),
                );
            } else {
                within.push(a);
            }
        }
        let scanners = !who.scanners.is_empty();
        if within.is_empty() && !scanners {
            return Ok(());
        }
        // One read of the content serves every analyzer and scanner.
        let mut bytes = Vec::new();
        let mut disk = None;
        if within.iter().any(|a| a.needs_disk()) {
            let mut f = tempfile::NamedTempFile::new_in(tmp).map_err(read_err)?;
            std::io::copy(reader, &mut f).map_err(read_err)?;
            if within.iter().any(|a| !a.needs_disk()) || scanners {
                bytes = std::fs::read(f.path()).map_err(read_err)?;
            }
            disk = Some(f);
        } else {
            reader
                .take(size)
                .read_to_end(&mut bytes)
                .map_err(read_err)?;
        }
        let file = File {
            path,
            mode,
            bytes: &bytes,
            disk: disk.as_ref().map(tempfile::NamedTempFile::path),
        };
        for (i, a) in within.iter().enumerate() {
            match a.analyze(&file) {
                Ok(Some(output)) => records.file(
                    (entry_no, i as u64),
                    FileRecord {
                        path: path.to_owned(),
                        analyzer: a.name().to_owned(),
                        output,
                    },
                ),
                Ok(None) => {}
                Err(e) => diagnostic(records, a.name(), e.message),
            }
        }
        if scanners {
            let job = content::Job {
                entry: entry_no,
                path: path.to_owned(),
                mode,
                bytes,
                scanners: who.scanners.clone(),
            };
            pool.submit(job, records);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::Ecosystem;

    /// Reads `pkgs.txt` files: one `name version` per line.
    struct LineAnalyzer;

    impl Analyzer for LineAnalyzer {
        fn name(&self) -> &'static str {
            "lines"
        }
        fn version(&self) -> u32 {
            1
        }
        fn patterns(&self) -> &'static [&'static str] {
            &["**/pkgs.txt"]
        }
        fn analyze(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
            let text = std::str::from_utf8(file.bytes)
                .map_err(|e| ParseError::new(file.path, e.to_string()))?;
            let packages = text
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(n, v)| Package::new(Ecosystem::Npm, n, v, file.path))
                .collect();
            Ok(Some(Output::Packages { packages }))
        }
    }

    /// Wants every executable; needs the file on disk.
    struct DiskAnalyzer;

    impl Analyzer for DiskAnalyzer {
        fn name(&self) -> &'static str {
            "disk"
        }
        fn version(&self) -> u32 {
            3
        }
        fn patterns(&self) -> &'static [&'static str] {
            &[]
        }
        fn wants_executables(&self) -> bool {
            true
        }
        fn needs_disk(&self) -> bool {
            true
        }
        fn max_file_size(&self) -> u64 {
            10
        }
        fn analyze(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
            let on_disk = std::fs::read(
                file.disk
                    .ok_or_else(|| ParseError::new(file.path, "no disk file"))?,
            )
            .map_err(|e| ParseError::new(file.path, e.to_string()))?;
            Ok(Some(Output::OsFile {
                content: String::from_utf8_lossy(&on_disk).into_owned(),
            }))
        }
    }

    fn layer(entries: &[(&str, &[u8], u32, Option<&str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data, mode, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(*mode);
            h.set_size(data.len() as u64);
            if let Some(target) = link {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, path, target).expect("link");
            } else {
                b.append_data(&mut h, path, *data).expect("append");
            }
        }
        b.into_inner().expect("tar")
    }

    #[test]
    fn routes_files_and_collects_outputs() {
        let set =
            AnalyzerSet::new(vec![Box::new(LineAnalyzer), Box::new(DiskAnalyzer)]).expect("globs");
        assert_eq!(set.versions(), ["disk@3", "layer-report@2", "lines@1"]);
        let tar = layer(&[
            (
                "app/pkgs.txt",
                b"left-pad 1.3.0\nlodash 4.17.21\n",
                0o644,
                None,
            ),
            ("other/ignored.txt", b"nope 1\n", 0o644, None),
            ("usr/bin/tool", b"binary!", 0o755, None),
            ("usr/bin/big", b"0123456789abcdef", 0o755, None),
            ("app/bad/pkgs.txt", b"\xff\xfe", 0o644, None),
            ("copy/pkgs.txt", b"", 0o644, Some("app/pkgs.txt")),
            ("etc/.wh.gone", b"", 0o644, None),
        ]);
        let tmp = tempfile::tempdir().expect("tmp");
        let report = set
            .analyze_layer(&tar[..], &Limits::default(), tmp.path())
            .expect("layer");
        let paths: Vec<(&str, &str)> = report
            .files
            .iter()
            .map(|r| (r.path.as_str(), r.analyzer.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                ("app/pkgs.txt", "lines"),
                ("usr/bin/tool", "disk"),
                ("copy/pkgs.txt", "lines")
            ]
        );
        let Output::Packages { packages } = &report.files[0].output else {
            panic!("packages")
        };
        assert_eq!(packages.len(), 2);
        assert_eq!(
            report.files[1].output,
            Output::OsFile {
                content: "binary!".into()
            }
        );
        assert_eq!(report.whiteouts, ["etc/gone"]);
        let diags: Vec<(&str, &str)> = report
            .diagnostics
            .iter()
            .map(|d| (d.path.as_str(), d.analyzer.as_str()))
            .collect();
        assert_eq!(
            diags,
            [("usr/bin/big", "disk"), ("app/bad/pkgs.txt", "lines")]
        );
        assert!(
            report.diagnostics[0]
                .message
                .contains("over the 10-byte limit")
        );
        assert_eq!(
            std::fs::read_dir(tmp.path()).expect("tmp").count(),
            0,
            "temporary files are removed"
        );
        // The report is what the cache stores: it round-trips through JSON.
        let json = serde_json::to_string(&report).expect("serialize");
        assert_eq!(
            serde_json::from_str::<LayerReport>(&json).expect("deserialize"),
            report
        );
    }

    /// Reports every file containing `TOKEN=`; wants files up to 64 bytes.
    struct TokenScanner;

    impl ContentScanner for TokenScanner {
        fn name(&self) -> &'static str {
            "token"
        }
        fn version(&self) -> String {
            "1+rules:abc".into()
        }
        fn wants(&self, _path: &str, _mode: u32, size: u64) -> bool {
            size <= 64
        }
        fn scan(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
            let hit = file.bytes.windows(6).any(|w| w == b"TOKEN=");
            Ok(hit.then(|| Output::OsFile {
                content: "token".into(),
            }))
        }
        fn scan_config(&self, config: &mut ConfigText) -> Option<Output> {
            for e in &mut config.env {
                if e.starts_with("TOKEN=") {
                    *e = "TOKEN=*****".into();
                }
            }
            Some(Output::OsFile {
                content: "config".into(),
            })
        }
    }

    #[test]
    fn content_scanners_share_the_read_and_scan_the_config() {
        let set = AnalyzerSet::new(vec![Box::new(LineAnalyzer)])
            .expect("globs")
            .with_scanners(vec![Arc::new(TokenScanner)]);
        assert!(set.has_scanners());
        assert_eq!(
            set.versions(),
            ["layer-report@2", "lines@1", "token@1+rules:abc"]
        );
        assert!(!set.redacts_config());
        let big = vec![b'x'; 100];
        let tar = layer(&[
            ("app/pkgs.txt", b"TOKEN=1 2\n", 0o644, None),
            ("etc/app.env", b"TOKEN=abc\n", 0o644, None),
            ("etc/big.env", &big, 0o644, None),
            ("etc/clean.env", b"A=1\n", 0o644, None),
        ]);
        let tmp = tempfile::tempdir().expect("tmp");
        let report = set
            .analyze_layer(&tar[..], &Limits::default(), tmp.path())
            .expect("layer");
        let paths: Vec<(&str, &str)> = report
            .files
            .iter()
            .map(|r| (r.path.as_str(), r.analyzer.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                ("app/pkgs.txt", "lines"),
                ("app/pkgs.txt", "token"),
                ("etc/app.env", "token")
            ]
        );
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let mut config = ConfigText {
            env: vec!["TOKEN=abc".into(), "PATH=/bin".into()],
            ..ConfigText::default()
        };
        assert_eq!(set.scan_config(&mut config).len(), 1);
        assert_eq!(config.env, ["TOKEN=*****", "PATH=/bin"]);
    }

    /// A scanner whose workers count themselves: the pass must scan
    /// through [`ContentScanner::worker`], one per thread.
    struct CountingScanner {
        workers: std::sync::atomic::AtomicUsize,
    }

    struct CountingWorker;

    impl ScanWorker for CountingWorker {
        fn scan(&mut self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
            TokenScanner.scan(file)
        }
    }

    impl ContentScanner for CountingScanner {
        fn name(&self) -> &'static str {
            "token"
        }
        fn version(&self) -> String {
            "1".into()
        }
        fn wants(&self, path: &str, mode: u32, size: u64) -> bool {
            TokenScanner.wants(path, mode, size)
        }
        fn scan(&self, _file: &File<'_>) -> Result<Option<Output>, ParseError> {
            Err(ParseError::new("", "the layer pass scans through workers"))
        }
        fn worker(&self) -> Box<dyn ScanWorker + '_> {
            self.workers
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Box::new(CountingWorker)
        }
    }

    #[test]
    fn scanning_threads_keep_tar_order_and_hard_links() {
        // Enough files for many batches, scanned on other threads; records
        // must come out exactly in tar order whatever the timing, with hard
        // links copying what their target produced, for a plain and a
        // gzip-compressed (decompressed on its own thread) layer alike.
        let scanner = Arc::new(CountingScanner {
            workers: Default::default(),
        });
        let set = AnalyzerSet::new(vec![Box::new(LineAnalyzer)])
            .expect("globs")
            .with_scanners(vec![scanner.clone()]);
        let mut entries: Vec<(String, Vec<u8>, Option<String>)> = Vec::new();
        let mut want: Vec<(String, &str)> = Vec::new();
        for i in 0..600 {
            let (path, data) = if i % 7 == 0 {
                (format!("app{i}/pkgs.txt"), format!("TOKEN={i} 1\n"))
            } else if i % 3 == 0 {
                (format!("etc/{i}.env"), format!("TOKEN={i}\n"))
            } else {
                (format!("etc/{i}.txt"), "x".repeat(i % 90))
            };
            let mut produced = Vec::new();
            if path.ends_with("pkgs.txt") {
                produced.push("lines");
            }
            if data.len() <= 64 && data.contains("TOKEN=") {
                produced.push("token");
            }
            want.extend(produced.iter().map(|a| (path.clone(), *a)));
            if i % 50 == 0 {
                let link = format!("links/{i}");
                want.extend(produced.iter().map(|a| (link.clone(), *a)));
                entries.push((path.clone(), data.into_bytes(), None));
                entries.push((link, Vec::new(), Some(path)));
            } else {
                entries.push((path, data.into_bytes(), None));
            }
        }
        let refs: Vec<(&str, &[u8], u32, Option<&str>)> = entries
            .iter()
            .map(|(p, d, l)| (p.as_str(), d.as_slice(), 0o644, l.as_deref()))
            .collect();
        let tar = layer(&refs);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let tmp = tempfile::tempdir().expect("tmp");
        for input in [&tar[..], &gz[..]] {
            let report = set
                .analyze_layer(input, &Limits::default(), tmp.path())
                .expect("layer");
            let got: Vec<(String, &str)> = report
                .files
                .iter()
                .map(|r| (r.path.clone(), r.analyzer.as_str()))
                .collect();
            assert_eq!(got, want);
            assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
            assert_eq!(report.uncompressed_bytes, tar.len() as u64);
        }
        let threads = content::scanning_threads();
        let made = scanner.workers.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            (2..=2 * threads).contains(&made),
            "at most one worker per scanning thread and layer: {made}"
        );
    }

    #[test]
    fn records_special_modes_and_package_caches() {
        let set = AnalyzerSet::new(vec![Box::new(LineAnalyzer)]).expect("globs");
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, mode: u32, dir: bool, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_mode(mode);
            h.set_size(data.len() as u64);
            if dir {
                h.set_entry_type(tar::EntryType::Directory);
            }
            b.append_data(&mut h, path, data).expect("append");
        };
        add("usr/bin/passwd", 0o4755, false, b"x");
        add("usr/bin/wall", 0o2755, false, b"x");
        add("usr/bin/ls", 0o755, false, b"x");
        add("tmp/", 0o1777, true, b"");
        add("srv/drop/", 0o777, true, b"");
        add("etc/open.conf", 0o666, false, b"x");
        add("var/cache/apt/archives/lock", 0o640, false, b"");
        add("var/cache/apt/archives/curl_8.deb", 0o644, false, b"12345");
        add("var/cache/apt/archives/libc_2.deb", 0o644, false, b"123");
        add(
            "var/lib/apt/lists/deb.debian.org_Packages",
            0o644,
            false,
            b"1234",
        );
        add("home/app/.cache/pip/http/a/b", 0o644, false, b"12");
        add("root/.npm/_cacache/index-v5/x", 0o644, false, b"1");
        add("root/.bashrc", 0o644, false, b"1");
        let tar = b.into_inner().expect("tar");
        let tmp = tempfile::tempdir().expect("tmp");
        let report = set
            .analyze_layer(&tar[..], &Limits::default(), tmp.path())
            .expect("layer");
        let special: Vec<(&str, u32, bool)> = report
            .facts
            .special
            .iter()
            .map(|m| (m.path.as_str(), m.mode, m.dir))
            .collect();
        assert_eq!(
            special,
            [
                ("usr/bin/passwd", 0o4755, false),
                ("usr/bin/wall", 0o2755, false),
                ("srv/drop", 0o777, true),
                ("etc/open.conf", 0o666, false),
            ]
        );
        let caches: Vec<(&str, &str, usize, u64)> = report
            .facts
            .caches
            .iter()
            .map(|c| {
                (
                    c.path.as_str(),
                    c.manager.as_str(),
                    c.children.len(),
                    c.children.iter().map(|c| c.bytes).sum(),
                )
            })
            .collect();
        assert_eq!(
            caches,
            [
                ("var/cache/apt/archives", "apt", 2, 8),
                ("var/lib/apt/lists", "apt-lists", 1, 4),
                ("home/app/.cache/pip", "pip", 1, 2),
                ("root/.npm/_cacache", "npm", 1, 1),
            ]
        );
        let json = serde_json::to_string(&report).expect("serialize");
        assert_eq!(
            serde_json::from_str::<LayerReport>(&json).expect("deserialize"),
            report
        );
    }

    #[test]
    fn analyze_dir_records_the_same_facts() {
        use std::os::unix::fs::PermissionsExt as _;
        let set = AnalyzerSet::new(vec![Box::new(LineAnalyzer)]).expect("globs");
        let root = tempfile::tempdir().expect("root");
        let p = |rel: &str| root.path().join(rel);
        std::fs::create_dir_all(p("usr/bin")).expect("mkdir");
        std::fs::create_dir_all(p("var/cache/apk")).expect("mkdir");
        std::fs::create_dir_all(p("srv/drop")).expect("mkdir");
        std::fs::write(p("usr/bin/su"), b"x").expect("write");
        std::fs::set_permissions(p("usr/bin/su"), std::fs::Permissions::from_mode(0o4755))
            .expect("chmod");
        std::fs::set_permissions(p("srv/drop"), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        std::fs::write(p("var/cache/apk/APKINDEX.tar.gz"), b"12345").expect("write");
        let report = set.analyze_dir(root.path()).expect("dir");
        let mut special: Vec<(&str, u32)> = report
            .facts
            .special
            .iter()
            .map(|m| (m.path.as_str(), m.mode))
            .collect();
        special.sort_unstable();
        assert_eq!(special, [("srv/drop", 0o777), ("usr/bin/su", 0o4755)]);
        assert_eq!(report.facts.caches.len(), 1);
        assert_eq!(report.facts.caches[0].manager, "apk");
        assert_eq!(report.facts.caches[0].children[0].bytes, 5);
    }
}
