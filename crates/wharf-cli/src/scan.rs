//! `wharf scan`: an image's inventory matched against the local
//! vulnerability database.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use wharf_inventory::{ImageMeta, Inventory, SbomOptions};
use wharf_matcher::{Database, FixState, Match};
use wharf_types::OsInfo;

use crate::exit;
use crate::image_args::ImageArgs;

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// The versioned scan JSON (`docs/scan-json.md`).
    Json,
    /// SARIF 2.1.0: one rule per vulnerability, one result per match.
    Sarif,
    /// The image's CycloneDX 1.6 SBOM with its vulnerabilities (one image:
    /// choose a platform of an index with --platform).
    Cyclonedx,
}

/// What `scan` looks for. Only `vuln` exists so far; secrets, malware and
/// configuration checks join in their own releases.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Scanner {
    /// Vulnerable OS and language packages.
    Vuln,
    /// Leaked credentials (not available yet).
    Secret,
    /// Malware (not available yet).
    Malware,
    /// Image configuration checks (not available yet).
    Config,
}

/// Scan an image for vulnerabilities against the local database
/// (`wharf db update` first). The image is read once (or taken from the
/// layer cache); matching needs no network. Exit codes: 0 done, 2 error.
#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    image: ImageArgs,
    /// Scanners to run (comma-separated). Default: every available one.
    #[arg(long, value_enum, value_delimiter = ',')]
    scanners: Vec<Scanner>,
    /// Only these severities (comma-separated: critical,high,medium,low,negligible,unknown).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    severity: Vec<String>,
    /// Leave out vulnerabilities without a fixed version.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Never touch the network except to read the image itself (the
    /// database is never updated by `scan`; this makes that explicit).
    #[arg(long)]
    offline: bool,
    /// Vulnerability database directory (default: $WHARF_DB_DIR, else ~/.cache/wharf/db).
    #[arg(long, env = "WHARF_DB_DIR", value_name = "DIR")]
    db_dir: Option<PathBuf>,
    /// Output format: table, json (docs/scan-json.md), sarif (SARIF 2.1.0)
    /// or cyclonedx (CycloneDX 1.6 SBOM with vulnerabilities).
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Scan result JSON, schema version 1.
#[derive(Serialize)]
struct ScanDocument<'a> {
    schema_version: u32,
    source: String,
    snapshot_id: &'a str,
    images: Vec<ImageResult<'a>>,
}

#[derive(Serialize)]
struct ImageResult<'a> {
    image: &'a ImageMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<&'a OsInfo>,
    packages: usize,
    vulnerabilities: Vec<Match>,
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "negligible", "unknown"];

fn keep(m: &Match, args: &ScanArgs) -> bool {
    (args.severity.is_empty()
        || args
            .severity
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&m.severity)))
        && !(args.ignore_unfixed && m.state != FixState::Fixed)
}

pub(crate) async fn run(args: ScanArgs) -> anyhow::Result<u8> {
    for s in &args.scanners {
        if *s != Scanner::Vuln {
            bail!("the {s:?} scanner is not available yet; use --scanners vuln");
        }
    }
    for s in &args.severity {
        if !SEVERITIES.contains(&s.to_lowercase().as_str()) {
            bail!("unknown severity {s:?}; use {}", SEVERITIES.join(", "));
        }
    }
    let db_dir = match &args.db_dir {
        Some(d) => d.clone(),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .context("cannot locate a cache directory: set --db-dir or WHARF_DB_DIR")?
            .join("wharf")
            .join("db"),
    };
    // Load the database first: a missing one fails fast, before any pull.
    let db = Database::load(&db_dir).with_context(|| {
        format!(
            "loading the vulnerability database from {}",
            db_dir.display()
        )
    })?;
    tracing::info!(
        snapshot = db.snapshot_id(),
        entries = db.len(),
        "vulnerability database loaded"
    );
    let (source, inventories) = args.image.inventories().await?;
    let results: Vec<(&Inventory, Vec<Match>)> = inventories
        .iter()
        .map(|inv| {
            (
                inv,
                db.match_inventory(inv)
                    .into_iter()
                    .filter(|m| keep(m, &args))
                    .collect(),
            )
        })
        .collect();
    let rendered = match args.format {
        Format::Json => {
            let doc = ScanDocument {
                schema_version: 1,
                source: source.to_string(),
                snapshot_id: db.snapshot_id(),
                images: results
                    .iter()
                    .map(|(inv, matches)| ImageResult {
                        image: &inv.image,
                        os: inv.os.as_ref(),
                        packages: inv.packages.len(),
                        vulnerabilities: matches.clone(),
                    })
                    .collect(),
            };
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Sarif => {
            let doc = wharf_matcher::report::to_sarif(&results, env!("CARGO_PKG_VERSION"));
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Cyclonedx => {
            let (inv, matches) = match results.as_slice() {
                [one] => one,
                many => bail!(
                    "{source} has {} platform images; choose one with --platform for CycloneDX output",
                    many.len()
                ),
            };
            let options = SbomOptions {
                serial: crate::sbom::random_urn_uuid(),
                timestamp: jiff::Timestamp::now()
                    .strftime("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            let doc = wharf_matcher::report::to_cyclonedx_vex(inv, matches, &options);
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Table => results
            .iter()
            .map(|(inv, m)| render_table(inv, m, db.snapshot_id()))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    crate::write_output(&rendered, args.output.as_deref())?;
    Ok(exit::OK)
}

fn render_table(inv: &Inventory, matches: &[Match], snapshot: &str) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "PACKAGE",
        "INSTALLED",
        "VULNERABILITY",
        "SEVERITY",
        "FIXED IN",
        "STATE",
        "KEV",
        "EPSS",
    ]);
    for m in matches {
        t.add_row([
            m.package.clone(),
            m.installed_version.clone(),
            m.id.clone(),
            m.severity.clone(),
            m.fixed_versions.join(", "),
            format!("{:?}", m.state).to_lowercase(),
            if m.kev { "yes".into() } else { String::new() },
            m.epss.map(|e| format!("{e:.3}")).unwrap_or_default(),
        ]);
    }
    let mut by_severity = std::collections::BTreeMap::new();
    for m in matches {
        *by_severity.entry(m.severity.as_str()).or_insert(0usize) += 1;
    }
    let counts: Vec<String> = SEVERITIES
        .iter()
        .filter_map(|s| by_severity.get(s).map(|n| format!("{n} {s}")))
        .collect();
    format!(
        "{} ({}; {} packages; database snapshot {snapshot})\n{t}\n{} vulnerabilities{}\n",
        inv.image.source,
        inv.image.platform.as_deref().unwrap_or("no platform"),
        inv.packages.len(),
        matches.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    )
}
