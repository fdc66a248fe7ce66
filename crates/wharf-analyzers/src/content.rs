//! Content scanning beside the layer walk, and the records of one pass put
//! back in tar order.
//!
//! The thread that walks a layer also decompresses it, and the content
//! scanners (secrets, malware) cost more per byte than decompression. So
//! the walk hands each wanted file's bytes (moved, not copied; small files
//! in batches) to a few scanning threads and goes on; on a multi-core
//! machine decompression and scanning overlap instead of taking turns. Each
//! thread scans with its own [`ScanWorker`]s. Memory stays bounded: the
//! bytes in flight never exceed [`IN_FLIGHT_BYTES`] (one larger file is
//! still let through alone).
//!
//! Results arrive in any order, so every record carries a [`Key`]: the
//! entry that produced it and its place among that entry's records
//! (analyzers first, then scanners). [`Records::finish`] sorts by key and
//! resolves hard links against the records of earlier entries, so a report
//! never depends on thread timing.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::Scope;

use wharf_types::Diagnostic;

use crate::engine::{ContentScanner, File, FileRecord, ScanWorker};

/// Most file bytes handed to the scanning threads and not yet scanned.
pub(crate) const IN_FLIGHT_BYTES: u64 = 256 << 20;

/// Position of a record in the report: (entry number, place in the entry).
pub(crate) type Key = (u64, u64);

/// Scanner records of an entry sort after its analyzer records.
pub(crate) const SCANNER_PLACE: u64 = 1 << 32;

/// The records and diagnostics of one pass, in any order until
/// [`Records::finish`].
#[derive(Default)]
pub(crate) struct Records {
    files: Vec<(Key, FileRecord)>,
    diagnostics: Vec<(Key, Diagnostic)>,
    /// Hard links: (entry number, link path, target path).
    links: Vec<(u64, String, String)>,
}

impl Records {
    pub(crate) fn file(&mut self, key: Key, record: FileRecord) {
        self.files.push((key, record));
    }

    pub(crate) fn diagnostic(&mut self, key: Key, d: Diagnostic) {
        self.diagnostics.push((key, d));
    }

    /// A hard link at entry `entry`: it gets copies of the records of the
    /// last earlier entry at `target`.
    pub(crate) fn link(&mut self, entry: u64, path: &str, target: &str) {
        self.links.push((entry, path.to_owned(), target.to_owned()));
    }

    fn absorb(&mut self, done: Scanned) {
        for (i, r) in done.records.into_iter().enumerate() {
            self.files.push(((done.entry, SCANNER_PLACE + i as u64), r));
        }
        for (i, d) in done.diagnostics.into_iter().enumerate() {
            self.diagnostics
                .push(((done.entry, SCANNER_PLACE + i as u64), d));
        }
    }

    /// Everything in tar order, hard links resolved.
    pub(crate) fn finish(mut self) -> (Vec<FileRecord>, Vec<Diagnostic>) {
        self.files.sort_by_key(|(k, _)| *k);
        if !self.links.is_empty() {
            let mut by_path: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, (_, r)) in self.files.iter().enumerate() {
                by_path.entry(r.path.as_str()).or_default().push(i);
            }
            let mut copies = Vec::new();
            for (entry, path, target) in &self.links {
                // The link names the file at `target` when it was written:
                // the records of the last earlier entry there (a path can
                // occur more than once in a tar). Copying only those keeps
                // a hostile tar of many links and rewrites linear.
                // `at_target` is in key order (built from sorted records).
                let at_target = by_path.get(target.as_str()).map_or(&[][..], Vec::as_slice);
                let before =
                    &at_target[..at_target.partition_point(|&i| self.files[i].0.0 < *entry)];
                let Some(&last) = before.last() else {
                    continue;
                };
                let last = self.files[last].0.0;
                let from = before.partition_point(|&i| self.files[i].0.0 < last);
                for (n, &i) in before[from..].iter().enumerate() {
                    copies.push((
                        (*entry, n as u64),
                        FileRecord {
                            path: path.clone(),
                            ..self.files[i].1.clone()
                        },
                    ));
                }
            }
            self.files.extend(copies);
            self.files.sort_by_key(|(k, _)| *k);
        }
        self.diagnostics.sort_by_key(|(k, _)| *k);
        (
            self.files.into_iter().map(|(_, r)| r).collect(),
            self.diagnostics.into_iter().map(|(_, d)| d).collect(),
        )
    }
}

/// Scanning threads per layer pass: one per CPU, at most 8.
pub(crate) fn scanning_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// One file for the content scanners.
pub(crate) struct Job {
    pub(crate) entry: u64,
    pub(crate) path: String,
    pub(crate) mode: u32,
    pub(crate) bytes: Vec<u8>,
    /// The scanners that want it.
    pub(crate) scanners: Vec<usize>,
}

/// What the content scanners made of one file.
pub(crate) struct Scanned {
    entry: u64,
    records: Vec<FileRecord>,
    diagnostics: Vec<Diagnostic>,
}

/// Files handed to a scanning thread together: small files go in batches
/// so that a layer of many small files does not cost a thread hand-off
/// each.
struct Batch {
    jobs: Vec<Job>,
    bytes: u64,
}

/// A batch is handed over once it holds this many bytes…
const BATCH_BYTES: u64 = 256 << 10;
/// …or this many files.
const BATCH_FILES: usize = 64;

/// One thread's workers, one per scanner, made on first use.
type Workers<'a> = Vec<Box<dyn ScanWorker + 'a>>;

fn workers(scanners: &[Arc<dyn ContentScanner>]) -> Workers<'_> {
    scanners.iter().map(|s| s.worker()).collect()
}

/// Runs the chosen scanners over one file.
fn scan(scanners: &[Arc<dyn ContentScanner>], workers: &mut Workers<'_>, job: &Job) -> Scanned {
    let file = File {
        path: &job.path,
        mode: job.mode,
        bytes: &job.bytes,
        disk: None,
    };
    let mut out = Scanned {
        entry: job.entry,
        records: Vec::new(),
        diagnostics: Vec::new(),
    };
    for &i in &job.scanners {
        let name = scanners[i].name();
        match workers[i].scan(&file) {
            Ok(Some(output)) => out.records.push(FileRecord {
                path: job.path.clone(),
                analyzer: name.to_owned(),
                output,
            }),
            Ok(None) => {}
            Err(e) => out.diagnostics.push(Diagnostic {
                path: job.path.clone(),
                analyzer: name.to_owned(),
                message: e.message,
            }),
        }
    }
    out
}

/// Where the scanning threads pick up batches; lives outside the thread
/// scope that borrows it.
pub(crate) struct Shared {
    batches: Mutex<Option<Receiver<Batch>>>,
    budget: Budget,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            batches: Mutex::new(None),
            budget: Budget::new(IN_FLIGHT_BYTES),
        }
    }
}

/// Content scanning threads for one pass (or inline scanning, when only
/// one thread would run).
pub(crate) struct Pool<'a> {
    scanners: &'a [Arc<dyn ContentScanner>],
    shared: &'a Shared,
    batches: Option<SyncSender<Batch>>,
    done: Option<Receiver<Scanned>>,
    /// Files not handed over yet.
    pending: Batch,
    /// The calling thread's workers, for inline scanning.
    inline: Option<Workers<'a>>,
}

impl<'a> Pool<'a> {
    /// Starts [`scanning_threads`] scanning threads in `scope` (none on a
    /// single CPU: files are then scanned on the calling thread).
    pub(crate) fn start<'s>(
        scope: &'s Scope<'s, 'a>,
        scanners: &'a [Arc<dyn ContentScanner>],
        shared: &'a Shared,
    ) -> Self {
        let threads = scanning_threads();
        let mut pool = Self {
            scanners,
            shared,
            batches: None,
            done: None,
            pending: Batch {
                jobs: Vec::new(),
                bytes: 0,
            },
            inline: None,
        };
        if threads < 2 || scanners.is_empty() {
            return pool;
        }
        let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(threads * 2);
        let (done_tx, done_rx) = mpsc::channel::<Scanned>();
        if let Ok(mut slot) = shared.batches.lock() {
            *slot = Some(batch_rx);
        }
        for _ in 0..threads {
            let done_tx: Sender<Scanned> = done_tx.clone();
            scope.spawn(move || worker(scanners, shared, &done_tx));
        }
        pool.batches = Some(batch_tx);
        pool.done = Some(done_rx);
        pool
    }

    /// Scans `job` now (inline pool) or queues it for a scanning thread;
    /// results that are ready are moved into `records`.
    pub(crate) fn submit(&mut self, job: Job, records: &mut Records) {
        if self.batches.is_none() {
            let scanners = self.scanners;
            let w = self.inline.get_or_insert_with(|| workers(scanners));
            records.absorb(scan(scanners, w, &job));
            return;
        }
        self.pending.bytes += job.bytes.len() as u64;
        self.pending.jobs.push(job);
        if self.pending.bytes >= BATCH_BYTES || self.pending.jobs.len() >= BATCH_FILES {
            self.flush(records);
        }
        if let Some(done) = &self.done {
            while let Ok(r) = done.try_recv() {
                records.absorb(r);
            }
        }
    }

    /// Hands the pending files to a scanning thread.
    fn flush(&mut self, records: &mut Records) {
        if self.pending.jobs.is_empty() {
            return;
        }
        let batch = std::mem::replace(
            &mut self.pending,
            Batch {
                jobs: Vec::new(),
                bytes: 0,
            },
        );
        let Some(tx) = &self.batches else { return };
        self.shared.budget.acquire(batch.bytes);
        if let Err(mpsc::SendError(batch)) = tx.send(batch) {
            // Every thread is gone (a scanner panicked): scan here.
            self.shared.budget.release(batch.bytes);
            let scanners = self.scanners;
            let w = self.inline.get_or_insert_with(|| workers(scanners));
            for job in &batch.jobs {
                records.absorb(scan(scanners, w, job));
            }
        }
    }

    /// Waits for every file handed out and moves the results into `records`.
    pub(crate) fn finish(mut self, records: &mut Records) {
        self.flush(records);
        drop(self.batches.take());
        if let Some(done) = self.done.take() {
            for r in done {
                records.absorb(r);
            }
        }
    }
}

fn worker(scanners: &[Arc<dyn ContentScanner>], shared: &Shared, done: &Sender<Scanned>) {
    let mut w = None;
    loop {
        let batch = match shared.batches.lock() {
            Ok(guard) => match guard.as_ref() {
                Some(rx) => rx.recv(),
                None => return,
            },
            Err(_) => return,
        };
        let Ok(batch) = batch else { return };
        let w = w.get_or_insert_with(|| workers(scanners));
        let results: Vec<Scanned> = batch
            .jobs
            .iter()
            .map(|job| scan(scanners, w, job))
            .collect();
        drop(batch.jobs);
        shared.budget.release(batch.bytes);
        for r in results {
            if done.send(r).is_err() {
                return;
            }
        }
    }
}

/// A count of bytes in flight with a ceiling; a request larger than the
/// ceiling waits until nothing else is in flight.
struct Budget {
    used: Mutex<u64>,
    freed: Condvar,
    cap: u64,
}

impl Budget {
    fn new(cap: u64) -> Self {
        Self {
            used: Mutex::new(0),
            freed: Condvar::new(),
            cap,
        }
    }

    fn acquire(&self, n: u64) {
        let n = n.min(self.cap);
        let Ok(mut used) = self.used.lock() else {
            return;
        };
        while *used > 0 && *used + n > self.cap {
            used = match self.freed.wait(used) {
                Ok(u) => u,
                Err(_) => return,
            };
        }
        *used += n;
    }

    fn release(&self, n: u64) {
        let n = n.min(self.cap);
        if let Ok(mut used) = self.used.lock() {
            *used = used.saturating_sub(n);
        }
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Output;
    use wharf_types::{Ecosystem, Package};

    fn record(path: &str, name: &str) -> FileRecord {
        FileRecord {
            path: path.to_owned(),
            analyzer: "t".to_owned(),
            output: Output::Packages {
                packages: vec![Package::new(Ecosystem::Npm, name, "1", path)],
            },
        }
    }

    #[test]
    fn records_sorted_and_links_copy_earlier_entries_only() {
        let mut r = Records::default();
        // Scanner result of entry 0 arrives after the analyzer record of entry 2.
        r.file((2, 0), record("b", "b"));
        r.link(1, "a-link", "a");
        r.file((0, SCANNER_PLACE), record("a", "scan"));
        r.file((0, 0), record("a", "pkg"));
        // A later entry at the same path is not what the link points at.
        r.file((3, 0), record("a", "later"));
        let (files, _) = r.finish();
        let got: Vec<(String, String)> = files
            .iter()
            .map(|f| match &f.output {
                Output::Packages { packages } => (f.path.clone(), packages[0].name.clone()),
                _ => unreachable!(),
            })
            .collect();
        let want = [
            ("a", "pkg"),
            ("a", "scan"),
            ("a-link", "pkg"),
            ("a-link", "scan"),
            ("b", "b"),
            ("a", "later"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
        );
    }

    /// A path written twice before the link: the link is the last write.
    #[test]
    fn links_copy_the_last_earlier_write_only() {
        let mut r = Records::default();
        r.file((0, 0), record("a", "old"));
        r.file((1, 0), record("a", "new"));
        r.file((1, SCANNER_PLACE), record("a", "new-scan"));
        r.link(2, "a-link", "a");
        r.link(3, "dangling", "nowhere");
        let (files, _) = r.finish();
        let linked: Vec<String> = files
            .iter()
            .filter(|f| f.path == "a-link")
            .map(|f| match &f.output {
                Output::Packages { packages } => packages[0].name.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(linked, ["new", "new-scan"]);
        assert!(files.iter().all(|f| f.path != "dangling"));
    }

    #[test]
    fn budget_lets_one_oversized_request_through_alone() {
        let b = Arc::new(Budget::new(10));
        b.acquire(100); // alone: admitted, counted as the whole ceiling
        let b2 = b.clone();
        let t = std::thread::spawn(move || {
            b2.acquire(1);
            b2.release(1);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !t.is_finished(),
            "a second request waits while the ceiling is used"
        );
        b.release(100);
        t.join().expect("second request admitted after release");
    }
}
