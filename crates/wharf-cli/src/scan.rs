//! `wharf scan`: an image's inventory matched against the local
//! vulnerability database.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use wharf_inventory::{ImageMeta, Inventory, SbomOptions};
use wharf_matcher::{Database, FixState, Match};
use wharf_types::{MalwareFinding, OsInfo, SecretFinding};

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

/// What `scan` looks for.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Scanner {
    /// Vulnerable OS and language packages (needs `wharf db update`).
    Vuln,
    /// Leaked credentials in files, the environment and the build history.
    Secret,
    /// Malware: YARA rules and hash intelligence.
    Malware,
    /// Image configuration checks (not available yet).
    Config,
}

/// The scanners that run when `--scanners` is not given.
const DEFAULT_SCANNERS: [Scanner; 3] = [Scanner::Vuln, Scanner::Secret, Scanner::Malware];

/// Scan an image for vulnerabilities (against the local database: `wharf
/// db update` first), secrets and malware. The image is read once (or taken
/// from the layer cache), every scanner sharing the same pass over each
/// layer; matching needs no network. Exit codes: 0 done, 2 error.
#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    image: ImageArgs,
    /// Scanners to run (comma-separated). Default: vuln,secret,malware.
    #[arg(long, value_enum, value_delimiter = ',')]
    scanners: Vec<Scanner>,
    #[command(flatten)]
    content: crate::content::ContentArgs,
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
    /// Absent when the vuln scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<&'a [Match]>,
    /// Absent when the secret scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    secrets: Option<&'a [SecretFinding]>,
    /// Absent when the malware scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    malware: Option<&'a [MalwareFinding]>,
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "negligible", "unknown"];

fn severity_kept(severity: &str, args: &ScanArgs) -> bool {
    args.severity.is_empty()
        || args
            .severity
            .iter()
            .any(|s| s.eq_ignore_ascii_case(severity))
}

fn keep(m: &Match, args: &ScanArgs) -> bool {
    severity_kept(&m.severity, args) && !(args.ignore_unfixed && m.state != FixState::Fixed)
}

pub(crate) async fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let scanners: &[Scanner] = if args.scanners.is_empty() {
        &DEFAULT_SCANNERS
    } else {
        &args.scanners
    };
    if scanners.contains(&Scanner::Config) {
        bail!(
            "the config scanner is not available yet; use --scanners with vuln, secret or malware"
        );
    }
    let wants = |s: Scanner| scanners.contains(&s);
    for s in &args.severity {
        if !SEVERITIES.contains(&s.to_lowercase().as_str()) {
            bail!("unknown severity {s:?}; use {}", SEVERITIES.join(", "));
        }
    }
    let db_dir = match &args.db_dir {
        Some(d) => d.clone(),
        None => crate::content::cache_home()?.join("wharf").join("db"),
    };
    // Load the database first: a missing one fails fast, before any pull.
    let db = if wants(Scanner::Vuln) {
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
        Some(db)
    } else {
        None
    };
    let content =
        args.content
            .scanners(wants(Scanner::Secret), wants(Scanner::Malware), &db_dir)?;
    let (source, mut inventories) = args.image.inventories(content).await?;
    for inv in &mut inventories {
        inv.secrets
            .retain(|f| severity_kept(f.severity.as_str(), &args));
        inv.malware
            .retain(|f| severity_kept(f.severity.as_str(), &args));
    }
    let snapshot_id = db.as_ref().map_or("", Database::snapshot_id);
    let results: Vec<(&Inventory, Vec<Match>)> = inventories
        .iter()
        .map(|inv| {
            let matches = db.as_ref().map_or_else(Vec::new, |db| {
                db.match_inventory(inv)
                    .into_iter()
                    .filter(|m| keep(m, &args))
                    .collect()
            });
            (inv, matches)
        })
        .collect();
    let rendered = match args.format {
        Format::Json => {
            let doc = ScanDocument {
                schema_version: 1,
                source: source.to_string(),
                snapshot_id,
                images: results
                    .iter()
                    .map(|(inv, matches)| ImageResult {
                        image: &inv.image,
                        os: inv.os.as_ref(),
                        packages: inv.packages.len(),
                        vulnerabilities: wants(Scanner::Vuln).then_some(matches.as_slice()),
                        secrets: wants(Scanner::Secret).then_some(inv.secrets.as_slice()),
                        malware: wants(Scanner::Malware).then_some(inv.malware.as_slice()),
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
            .map(|(inv, m)| {
                let mut out = String::new();
                if wants(Scanner::Vuln) {
                    out.push_str(&render_table(inv, m, snapshot_id));
                }
                if wants(Scanner::Secret) {
                    out.push_str(&crate::content::secrets_table(inv));
                }
                if wants(Scanner::Malware) {
                    out.push_str(&crate::content::malware_table(inv));
                }
                out
            })
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
