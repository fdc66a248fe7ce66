//! Prometheus metrics: counters kept in memory, gauges read from the store
//! at scrape time (queue depth, findings by severity), exposition format
//! 0.0.4.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{App, ServerError};

/// Upper bounds of the duration histograms, in seconds.
const BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, v: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", self.counts[i]);
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}\n{name}_count {}", self.sum, self.count);
    }
}

/// The process's counters.
#[derive(Default)]
pub struct Metrics {
    scans: Mutex<Histogram>,
    reevaluations: Mutex<Histogram>,
    registry_errors: AtomicU64,
    jobs_failed: AtomicU64,
    http_requests: AtomicU64,
}

impl Metrics {
    /// A scan finished in `secs`.
    pub fn scan_done(&self, secs: f64) {
        if let Ok(mut h) = self.scans.lock() {
            h.observe(secs);
        }
    }

    /// A re-evaluation finished in `secs`.
    pub fn reevaluation_done(&self, secs: f64) {
        if let Ok(mut h) = self.reevaluations.lock() {
            h.observe(secs);
        }
    }

    /// A registry request failed (discovery or pull).
    pub fn registry_error(&self) {
        self.registry_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A job attempt failed.
    pub fn job_failed(&self) {
        self.jobs_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// An API request was served.
    pub fn http_request(&self) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
    }
}

/// The exposition text.
pub async fn render(app: &App) -> Result<String, ServerError> {
    let m = &app.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP wharf_jobs Jobs in the queue by kind and state.\n# TYPE wharf_jobs gauge"
    );
    let mut depth = 0;
    for (kind, state, n) in app.store.job_counts().await? {
        if state == "queued" {
            depth += n;
        }
        let _ = writeln!(out, "wharf_jobs{{kind=\"{kind}\",state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP wharf_queue_depth Jobs waiting to run.\n# TYPE wharf_queue_depth gauge\nwharf_queue_depth {depth}"
    );
    let _ = writeln!(
        out,
        "# HELP wharf_findings Open findings by kind and severity.\n# TYPE wharf_findings gauge"
    );
    for (kind, severity, n) in app.store.finding_counts().await? {
        let _ = writeln!(
            out,
            "wharf_findings{{kind=\"{kind}\",severity=\"{severity}\"}} {n}"
        );
    }
    if let Ok(h) = m.scans.lock() {
        h.render(
            &mut out,
            "wharf_scan_duration_seconds",
            "Image scans (pull, analysis, evaluation).",
        );
    }
    if let Ok(h) = m.reevaluations.lock() {
        h.render(
            &mut out,
            "wharf_reevaluation_duration_seconds",
            "Re-evaluation runs.",
        );
    }
    let counters = [
        (
            "wharf_registry_errors_total",
            "Failed discoveries and pulls.",
            &m.registry_errors,
        ),
        (
            "wharf_job_failures_total",
            "Failed job attempts.",
            &m.jobs_failed,
        ),
        (
            "wharf_http_requests_total",
            "API requests served.",
            &m.http_requests,
        ),
    ];
    for (name, help, v) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            v.load(Ordering::Relaxed)
        );
    }
    Ok(out)
}
