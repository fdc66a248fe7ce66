//! `wharf scan`: an image's inventory matched against the local
//! vulnerability database.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;
use wharf_inventory::{ImageMeta, Inventory, SbomOptions};
use wharf_matcher::{Database, FixState, Match};
use wharf_policy::{Evaluation, SarifScope, Status};
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
    /// JUnit XML for CI systems: one test suite per image, one test case
    /// per rule, a failure per finding that fails the gate.
    Junit,
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
    /// Image checks: CIS Docker Benchmark (user, healthcheck, setuid,
    /// ADD), caches left behind, end-of-life OS, forbidden licences.
    Config,
}

/// The scanners that run when `--scanners` is not given.
const DEFAULT_SCANNERS: [Scanner; 4] = [
    Scanner::Vuln,
    Scanner::Secret,
    Scanner::Malware,
    Scanner::Config,
];

/// Scan an image for vulnerabilities (against the local database: `wharf
/// db update` first), secrets, malware and misconfigurations, and evaluate
/// the results against a policy. The image is read once (or taken from the
/// layer cache), every scanner sharing the same pass over each layer;
/// matching needs no network. Exit codes: 0 passed, 1 the policy gate
/// failed (a finding at or above --fail-on, or a `block` rule; the reasons
/// come first), 2 error.
#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    image: ImageArgs,
    /// Scanners to run (comma-separated). Default: vuln,secret,malware,config.
    #[arg(long, value_enum, value_delimiter = ',')]
    scanners: Vec<Scanner>,
    #[command(flatten)]
    content: crate::content::ContentArgs,
    #[command(flatten)]
    policy: crate::evaluation::PolicyArgs,
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
    /// Output format: table, json (docs/scan-json.md), sarif (SARIF 2.1.0),
    /// cyclonedx (CycloneDX 1.6 SBOM with vulnerabilities) or junit.
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
    /// Findings, upgrades and the gate (docs/findings-json.md).
    evaluation: &'a Evaluation,
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
    let wants = |s: Scanner| scanners.contains(&s);
    let loaded = args.policy.load(wants(Scanner::Config))?;
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
    let evaluations: Vec<Evaluation> = results
        .iter()
        .map(|(inv, matches)| {
            wharf_policy::evaluate(
                inv,
                matches,
                &loaded.policy,
                &loaded.exceptions,
                &loaded.vex,
            )
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
                    .zip(&evaluations)
                    .map(|((inv, matches), evaluation)| ImageResult {
                        image: &inv.image,
                        os: inv.os.as_ref(),
                        packages: inv.packages.len(),
                        vulnerabilities: wants(Scanner::Vuln).then_some(matches.as_slice()),
                        secrets: wants(Scanner::Secret).then_some(inv.secrets.as_slice()),
                        malware: wants(Scanner::Malware).then_some(inv.malware.as_slice()),
                        evaluation,
                    })
                    .collect(),
            };
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Sarif => {
            // Vulnerabilities as the matcher reports them (CVSS, EPSS, fix
            // state), then every other finding of the evaluation.
            let mut doc = wharf_matcher::report::to_sarif(&results, env!("CARGO_PKG_VERSION"));
            let others = wharf_policy::to_sarif(&evaluations, SarifScope::NonVulnerability);
            append_sarif_run(&mut doc, &others);
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Junit => wharf_policy::to_junit(&evaluations),
        Format::Cyclonedx => {
            let (inv, matches) = match results.as_slice() {
                [one] => one,
                many => bail!(
                    "{source} has {} platform images; choose one with --platform for CycloneDX output",
                    many.len()
                ),
            };
            let options = SbomOptions::now(env!("CARGO_PKG_VERSION"));
            let mut doc = wharf_matcher::report::to_cyclonedx_vex(inv, matches, &options);
            if let Some(e) = evaluations.first() {
                add_vex_analysis(&mut doc, e);
            }
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        Format::Table => {
            let header: Vec<String> = results
                .iter()
                .map(|(inv, _)| {
                    format!(
                        "{} ({}): {} packages, {} secrets, {} malware findings{}",
                        inv.image.source,
                        inv.image.platform.as_deref().unwrap_or("no platform"),
                        inv.packages.len(),
                        inv.secrets.len(),
                        inv.malware.len(),
                        if snapshot_id.is_empty() {
                            String::new()
                        } else {
                            format!("; database snapshot {snapshot_id}")
                        }
                    )
                })
                .collect();
            format!(
                "{}\n\n{}",
                header.join("\n"),
                wharf_policy::to_table(&evaluations)
            )
        }
    };
    // The reasons for failing come first: on standard error before the
    // document (the table starts with them too).
    let mut failed = false;
    for e in evaluations.iter().filter(|e| !e.gate.passed()) {
        failed = true;
        let reasons: Vec<&str> = e.gate.reasons.iter().map(|r| r.message.as_str()).collect();
        tracing::error!(
            image = %e.image.source,
            "policy gate failed: {}{}",
            reasons.first().copied().unwrap_or("custom rules could not be evaluated"),
            if reasons.len() > 1 {
                format!(" (and {} more)", reasons.len() - 1)
            } else {
                String::new()
            }
        );
    }
    crate::write_output(&rendered, args.output.as_deref())?;
    Ok(if failed { exit::FAILED } else { exit::OK })
}

/// Record in a CycloneDX document's vulnerabilities what the evaluation
/// decided about them: a VEX `not_affected` statement becomes the
/// `not_affected` analysis state, an exception an accepted risk
/// (`exploitable`, response `will_not_fix`), each with its justification,
/// source and expiry as the detail.
fn add_vex_analysis(doc: &mut serde_json::Value, evaluation: &Evaluation) {
    let Some(vulns) = doc["vulnerabilities"].as_array_mut() else {
        return;
    };
    for v in vulns {
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let decided = evaluation.findings.iter().find(|f| {
            f.vulnerability
                .as_ref()
                .is_some_and(|r| r.id == id || r.aliases.contains(&id))
                && matches!(f.status, Status::NotAffected | Status::Accepted)
        });
        let Some(f) = decided else { continue };
        let Some(sup) = &f.suppression else { continue };
        let mut detail = format!("{} ({} {})", sup.justification, sup.by, sup.source);
        if let Some(until) = sup.expires {
            detail.push_str(&format!(", until {until}"));
        }
        v["analysis"] = if f.status == Status::NotAffected {
            serde_json::json!({ "state": "not_affected", "detail": detail })
        } else {
            serde_json::json!({ "state": "exploitable", "response": ["will_not_fix"], "detail": detail })
        };
    }
}

/// Append `extra`'s rules and results (one run) to `doc`'s run, shifting
/// the rule indexes.
fn append_sarif_run(doc: &mut serde_json::Value, extra: &serde_json::Value) {
    let offset = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map_or(0, Vec::len);
    let rules = extra["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let results = extra["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(r) = doc["runs"][0]["tool"]["driver"]["rules"].as_array_mut() {
        r.extend(rules);
    }
    if let Some(out) = doc["runs"][0]["results"].as_array_mut() {
        out.extend(results.into_iter().map(|mut r| {
            if let Some(i) = r["ruleIndex"].as_u64() {
                r["ruleIndex"] = serde_json::json!(i + offset as u64);
            }
            r
        }));
    }
}
