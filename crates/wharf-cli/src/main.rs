//! `wharf`: the command-line interface. Parses arguments, calls the
//! libraries, renders results; no scanning logic lives here.

mod connector;
mod content;
mod db;
mod discover;
mod evaluation;
mod image_args;
mod logging;
mod registry_args;
mod sbom;
mod scan;
mod serve;
mod token;

/// Write a command's rendered result to `--output FILE` or standard output.
pub(crate) fn write_output(rendered: &str, output: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    match output {
        Some(path) => {
            std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(rendered.as_bytes())
                .context("writing to standard output")?;
            out.flush().context("writing to standard output")
        }
    }
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by every command (documented in `docs/cli.md`).
pub(crate) mod exit {
    /// Everything asked for was done (and, for scans, nothing failed the gate).
    pub(crate) const OK: u8 = 0;
    /// A scan's policy gate failed (the reasons are printed first).
    pub(crate) const FAILED: u8 = 1;
    /// A usage, configuration, network or registry error stopped the command.
    pub(crate) const ERROR: u8 = 2;
    /// The command finished but some items failed (listed in the output).
    pub(crate) const PARTIAL: u8 = 3;
}

/// wharf — container registry scanner.
///
/// Discovers every repository, tag and manifest of a Docker Registry V2 /
/// OCI registry, scans images for vulnerabilities, malware and secrets, and
/// turns results into compliance findings.
#[derive(Parser)]
#[command(name = "wharf", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    logging: logging::LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every repository, tag, manifest digest and platform of a registry.
    Discover(discover::DiscoverArgs),
    /// List the packages of an image (SBOM): OS and language packages, with
    /// the layer that brought each one.
    Sbom(sbom::SbomArgs),
    /// Scan an image for vulnerable packages, secrets, malware and
    /// misconfigurations, and gate on a policy.
    Scan(Box<scan::ScanArgs>),
    /// Update or inspect the local vulnerability database.
    Db(db::DbArgs),
    /// Run the registry-scanning service: REST API, dashboard, continuous
    /// discovery, the scan queue and 24-hour re-evaluation.
    Serve(serve::ServeArgs),
    /// Manage the registry connectors of a running server (REST client).
    ///
    /// Talks to `wharf serve` at --server (WHARF_SERVER) with the API token
    /// in WHARF_TOKEN. Exit codes: 0 done, 1 `test` found a failing check,
    /// 2 error (server unreachable, invalid settings, 401/403/404 and other
    /// API errors; the server's explanation is printed).
    Connector(connector::ConnectorArgs),
    /// Create, list and revoke the API tokens of a running server.
    ///
    /// A new token's value is printed once, by `create`. Exit codes: 0
    /// done, 2 error (server unreachable, 401/403/404 and other API errors).
    Token(token::TokenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_format = match cli.command {
        Command::Serve(_) => logging::LogFormat::Json,
        _ => logging::LogFormat::Text,
    };
    logging::init(&cli.logging, default_format);
    let interactive = logging::interactive(&cli.logging);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Discover(args) => discover::run(args, interactive).await,
            Command::Sbom(args) => sbom::run(args).await,
            Command::Db(args) => db::run(args).await,
            Command::Scan(args) => scan::run(*args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Connector(args) => connector::run(args).await,
            Command::Token(args) => token::run(args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            logging::report_error(&e);
            ExitCode::from(exit::ERROR)
        }
    }
}
