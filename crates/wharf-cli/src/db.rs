//! `wharf db`: the local vulnerability database.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use wharf_vulndb::store::{self, SourceSpec};

use crate::exit;

/// Output formats of `db` commands.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// JSON.
    Json,
}

/// Manage the local vulnerability database.
#[derive(Args, Debug)]
pub(crate) struct DbArgs {
    /// Database directory (default: $WHARF_DB_DIR, else ~/.cache/wharf/db).
    #[arg(long, global = true, env = "WHARF_DB_DIR", value_name = "DIR")]
    db_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Fetch advisory and threat-intelligence sources and import the ones
    /// that changed, atomically (an interrupted update leaves the previous
    /// database intact). A source that cannot be fetched or read keeps its
    /// previous data and is reported; the exit code is then 3.
    Update {
        /// A source as KIND:URL-or-PATH (repeatable); KIND is osv, rustsec,
        /// alpine, debian, almalinux (errata.json, with per-architecture
        /// fixes), updateinfo (rpm repository errata: Bottlerocket, Rocky),
        /// redhat-cpe (Red Hat's repository-to-CPE map), kev, epss or
        /// hashes. Default: the public OSV dumps, Alpine secdb, the Debian
        /// security tracker, Bottlerocket's errata, Red Hat's
        /// repository-to-CPE map, CISA KEV and FIRST EPSS.
        #[arg(long = "source", value_name = "KIND:LOCATION")]
        sources: Vec<SourceSpec>,
        /// Output format of the update report.
        #[arg(long, short, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show the sources, their ages and counts, and the current snapshot.
    Status {
        /// Output format.
        #[arg(long, short, value_enum, default_value = "table")]
        format: Format,
    },
}

fn default_dir() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("cannot locate a cache directory: set --db-dir or WHARF_DB_DIR")?;
    Ok(home.join("wharf").join("db"))
}

pub(crate) async fn run(args: DbArgs) -> anyhow::Result<u8> {
    let dir = match args.db_dir {
        Some(d) => d,
        None => default_dir()?,
    };
    match args.command {
        DbCommand::Update { sources, format } => {
            let sources = if sources.is_empty() {
                store::default_sources()
            } else {
                sources
            };
            let http = reqwest::Client::builder()
                .user_agent(concat!("wharf/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(std::time::Duration::from_secs(30))
                .build()
                .context("building the HTTP client")?;
            let report = store::update(&dir, &sources, &http)
                .await
                .with_context(|| format!("updating the database in {}", dir.display()))?;
            for (source, skipped) in &report.skipped {
                if !skipped.is_empty() {
                    tracing::info!(source = %source, skipped = skipped.len(), "records not imported (withdrawn or malformed); see --format json");
                }
            }
            let rendered = match format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
                Format::Table => {
                    let mut out = if report.changed {
                        format!("snapshot {} written\n", report.snapshot_id)
                    } else {
                        format!(
                            "no source changed; snapshot {} is current\n",
                            report.snapshot_id
                        )
                    };
                    for s in &report.imported {
                        out.push_str(&format!(
                            "imported  {} ({} records, {} skipped)\n",
                            s.name, s.records, s.skipped
                        ));
                    }
                    for s in &report.unchanged {
                        out.push_str(&format!("unchanged {s}\n"));
                    }
                    for (s, error) in &report.failed {
                        out.push_str(&format!("failed    {s}: {error} (previous data kept)\n"));
                    }
                    out
                }
            };
            crate::write_output(&rendered, None)?;
            if !report.failed.is_empty() {
                tracing::warn!(
                    failed = report.failed.len(),
                    sources = sources.len(),
                    "some sources could not be updated; their previous data was kept"
                );
                return Ok(exit::PARTIAL);
            }
        }
        DbCommand::Status { format } => {
            let status = store::status(&dir)?;
            let rendered = match format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&status)?),
                Format::Table => {
                    let now = jiff::Timestamp::now();
                    let mut t = Table::new();
                    t.load_style(UTF8_FULL_CONDENSED);
                    t.set_header([
                        "SOURCE", "RECORDS", "SKIPPED", "IMPORTED", "AGE", "SNAPSHOT",
                    ]);
                    for s in &status.sources {
                        let age = s
                            .imported_at
                            .parse::<jiff::Timestamp>()
                            .map(|t| format!("{}h", (now.as_second() - t.as_second()) / 3600))
                            .unwrap_or_default();
                        t.add_row([
                            s.name.clone(),
                            s.records.to_string(),
                            s.skipped.to_string(),
                            s.imported_at.clone(),
                            age,
                            s.snapshot_id.clone(),
                        ]);
                    }
                    format!(
                        "{}\n{t}\nsnapshot {} ({}): {} advisories, {} known-exploited, {} EPSS scores\n",
                        status.path,
                        status.snapshot_id,
                        status.updated_at,
                        status.advisories,
                        status.kev,
                        status.epss
                    )
                }
            };
            crate::write_output(&rendered, None)?;
        }
    }
    Ok(exit::OK)
}
