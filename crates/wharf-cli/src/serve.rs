//! `wharf serve`: the service (see `docs/server.md`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use wharf_server::{App, Config};

use crate::exit;

/// Run the wharf service: the REST API under /api/v1 (OpenAPI at
/// /api/v1/openapi.json), the dashboard at /, continuous discovery of every
/// connector, the scan queue and re-evaluation of every stored inventory
/// every 24 hours and after each `wharf db update`. With no options it
/// keeps everything in ./wharf-data on SQLite. Settings come from --config
/// (TOML), then WHARF_* environment variables, then these flags. On first
/// start an admin API token is written to DATA_DIR/admin.token. Stops
/// cleanly on SIGINT/SIGTERM; exit code 0 after a clean stop, 2 on error.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Settings file (TOML; keys in docs/server.md).
    #[arg(long, short, env = "WHARF_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<SocketAddr>,
    /// Data directory (default ./wharf-data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite
    /// in the data directory).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Vulnerability database directory (default DATA_DIR/db; fill it with
    /// `wharf db update --db-dir`).
    #[arg(long, value_name = "DIR")]
    db_dir: Option<PathBuf>,
    /// Concurrent jobs in this process.
    #[arg(long)]
    workers: Option<usize>,
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<u8> {
    let mut config = Config::load(args.config.as_deref()).context("loading the settings")?;
    if let Some(v) = args.listen {
        config.listen = v;
    }
    if let Some(v) = args.data_dir {
        config.data_dir = v;
    }
    if let Some(v) = args.database_url {
        config.database_url = Some(v);
    }
    if let Some(v) = args.db_dir {
        config.vulndb_dir = Some(v);
    }
    if let Some(v) = args.workers {
        config.workers = v;
    }
    let listen = config.listen;
    let app = App::open(config).await.context("starting the server")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    wharf_server::serve(app, listener, shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(exit::OK)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
