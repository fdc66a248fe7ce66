//! The wharf service.
//!
//! `wharf serve` runs one [`App`]: the REST API and dashboard ([`api`]), a
//! scheduler and a pool of workers ([`runtime`]) over one store
//! ([`wharf_store::Store`], SQLite by default, PostgreSQL for several
//! processes). Connectors are discovered on their interval; new or moved
//! manifest digests are queued for scanning once each, however many tags,
//! repositories or registries share them; inventories are stored per
//! platform image; and every stored inventory is re-evaluated against the
//! latest vulnerability database, policy and exceptions on a schedule,
//! after each database update and on demand — from the store alone, with
//! no registry request.

pub mod api;
mod auth;
pub mod config;
pub mod engine;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod runtime;

use std::sync::Arc;

pub use config::Config;
use tokio::sync::{Notify, watch};
use wharf_store::{Role, SecretBox, Store};

/// What can go wrong in the service.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Bad settings.
    #[error("configuration: {0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] wharf_store::StoreError),
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The registry failed or refused.
    #[error("registry: {0}")]
    Registry(String),
    /// Scanning an image failed.
    #[error("scan failed: {0}")]
    Scan(String),
    /// The vulnerability database could not be read.
    #[error("vulnerability database: {0}")]
    Vulndb(String),
    /// A stored value is unusable.
    #[error("stored data: {0}")]
    Stored(String),
    /// A request or setting is invalid.
    #[error("{0}")]
    Invalid(String),
    /// A notification could not be delivered.
    #[error("webhook delivery: {0}")]
    Webhook(String),
}

/// Everything the API handlers and workers share.
pub struct App {
    /// Settings.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// Seals and opens stored credentials.
    pub keys: SecretBox,
    /// Scanner, matcher and policy.
    pub engine: Arc<engine::Engine>,
    /// Counters for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Client for outgoing webhooks.
    pub http: reqwest::Client,
    /// Wakes idle workers when a job is queued through the API.
    pub wake: Notify,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Open the store (migrating it), load the keys and build the engine.
    pub async fn open(config: Config) -> Result<Arc<Self>, ServerError> {
        config.validate()?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| ServerError::Io(config.data_dir.display().to_string(), e))?;
        let keys = match &config.secret_key {
            Some(b64) => SecretBox::from_base64(b64)?,
            None => SecretBox::load_or_create(&config.secret_key_file())?,
        };
        let store = Store::open(&config.database_url()).await?;
        let engine = {
            let c = config.clone();
            tokio::task::spawn_blocking(move || engine::Engine::new(&c))
                .await
                .map_err(|e| ServerError::Config(format!("engine: {e}")))??
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| ServerError::Config(format!("HTTP client: {e}")))?;
        Ok(Arc::new(Self {
            config,
            store,
            keys,
            engine: Arc::new(engine),
            metrics: metrics::Metrics::default(),
            http,
            wake: Notify::new(),
        }))
    }

    /// Load the vulnerability database's current snapshot if it changed
    /// (on a blocking thread: indexing a large database takes seconds).
    pub async fn refresh_snapshot(&self) -> Result<Option<engine::SnapshotChange>, ServerError> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.refresh_snapshot())
            .await
            .map_err(|e| ServerError::Vulndb(format!("loading task: {e}")))?
    }

    /// Make sure an admin token exists: `WHARF_ADMIN_TOKEN` if set (added
    /// when new), else on first start a generated one written to
    /// `DATA_DIR/admin.token` (mode 0600). The token itself is never logged.
    pub async fn bootstrap_admin(&self) -> Result<(), ServerError> {
        if let Some(token) = &self.config.admin_token {
            if self.store.authenticate(token).await?.is_none() {
                self.store.create_token("admin (environment)", Role::Admin, token).await?;
            }
            return Ok(());
        }
        if !self.store.tokens().await?.is_empty() {
            return Ok(());
        }
        let token = auth::new_token();
        let path = self.config.data_dir.join("admin.token");
        write_private(&path, &format!("{token}\n"))?;
        self.store.create_token("admin (bootstrap)", Role::Admin, &token).await?;
        tracing::warn!(file = %path.display(), "first start: admin API token written to this file");
        Ok(())
    }
}

/// Write `text` to a new file readable only by its owner.
fn write_private(path: &std::path::Path, text: &str) -> Result<(), ServerError> {
    use std::io::Write as _;
    let io = |e| ServerError::Io(path.display().to_string(), e);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Run the server until `shutdown` resolves: the API on `config.listen`,
/// the scheduler and the workers. Running jobs are left to their lease on
/// shutdown (they run again after a restart).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    app.bootstrap_admin().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = app.refresh_snapshot().await {
                tracing::warn!("vulnerability database not loaded: {e}");
            }
        }));
    }
    tasks.push(tokio::spawn(runtime::scheduler(app.clone(), stop_rx.clone())));
    for i in 0..app.config.workers {
        tasks.push(tokio::spawn(runtime::worker(
            app.clone(),
            format!("{}-{}-{i}", hostname(), std::process::id()),
            stop_rx.clone(),
        )));
    }
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Io("listener".into(), e))?;
    tracing::info!(%addr, backend = ?app.store.backend(), workers = app.config.workers, "wharf server listening");
    let router = api::router(app.clone());
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServerError::Io(addr.to_string(), e));
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
    }
    app.store.close().await;
    result
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "wharf".into())
}
