//! Logging setup: human-readable or JSON lines on stderr.

use std::io::IsTerminal as _;

use clap::{Args, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Log format on stderr.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Global logging flags.
#[derive(Args, Debug)]
pub(crate) struct LogArgs {
    /// Log level filter (error, warn, info, debug, trace, or a tracing
    /// directive such as `wharf_registry=debug`).
    #[arg(long, global = true, env = "WHARF_LOG", default_value = "info")]
    log_level: String,
    /// Log format on stderr (default: json for `serve`, text otherwise).
    #[arg(long, global = true, value_enum, env = "WHARF_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Only log errors; no progress bar.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
}

/// Whether to draw a progress bar: stderr is a terminal and not quiet.
pub(crate) fn interactive(args: &LogArgs) -> bool {
    !args.quiet && std::io::stderr().is_terminal()
}

/// Install the subscriber; `default_format` applies when no format was
/// asked for.
pub(crate) fn init(args: &LogArgs, default_format: LogFormat) {
    let level = if args.quiet {
        "error"
    } else {
        args.log_level.as_str()
    };
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match args.log_format.unwrap_or(default_format) {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

/// Print a fatal error with its chain of causes.
pub(crate) fn report_error(e: &anyhow::Error) {
    let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
    tracing::error!("{}", chain.join(": "));
}
