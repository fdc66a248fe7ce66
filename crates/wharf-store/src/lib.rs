//! Persistence for the wharf service.
//!
//! One [`Store`] serves both backends through sqlx's `Any` driver: SQLite
//! (the embedded default, one file in the data directory) and PostgreSQL
//! (several server or worker processes sharing one database). The SQL is
//! written once in the dialect both accept (`$1` parameters, `ON CONFLICT`,
//! `RETURNING`); where they differ — the job queue's row locking — the
//! store picks the statement by [`Backend`]. Each backend has its own
//! migrations (`migrations/sqlite`, `migrations/postgres`) so column types
//! stay native; the conformance tests run the same suite on both.
//!
//! What is kept: connectors (registry credentials sealed with
//! [`SecretBox`]), the discovered repositories, tags and images, one
//! inventory per scanned platform image (zstd-compressed JSON, with a
//! package → inventory reverse index for targeted re-matching), findings
//! with first/last seen and status, the job queue, re-evaluation runs with
//! their finding deltas, exceptions, API tokens (SHA-256 hashes only), the
//! audit log and webhooks.

mod catalog;
mod connectors;
mod crypto;
mod error;
mod findings;
mod inventories;
mod model;
mod queue;
mod reeval;
mod security;

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor as _};

pub use catalog::{DiscoveredImage, DiscoveredTag, TagChange};
pub use crypto::{KEY_LEN, SecretBox};
pub use error::StoreError;
pub use findings::{
    FindingFilter, FindingPage, FindingSort, NewFinding, StoredFinding, SyncOutcome, severity_rank,
};
pub use inventories::StoredInventory;
pub use model::*;
pub use queue::{Job, JobState, NewJob};
pub use reeval::{Delta, DeltaChange, Reevaluation, RunCounts};
pub use security::{ApiToken, AuditEntry, Role, StoredException, Webhook, token_hash};

/// Result with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (embedded).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The service's database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Open (creating if needed) the SQLite database at `path` and migrate it.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::open(&url).await
    }

    /// Open the database at `url` (`sqlite://…` or `postgres://…`) and bring
    /// its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        // Validate the URL up front so a typo names itself (without the
        // password) instead of surfacing as a connection error.
        sqlx::any::AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Connect(redact_url(url), e.to_string()))?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL: readers never block the writer; a busy
                            // writer waits instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA busy_timeout = 30000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await
            }
        }
        .map_err(|e| StoreError::Connect(redact_url(url), e.to_string()))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Close every connection (waits for running queries).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A value from the settings table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Set a value in the settings table.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.split('@').next_back().unwrap_or(url).to_owned(),
    }
}

/// Bool to the 0/1 integers both schemas use.
fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// A statement built at run time from constant fragments, placeholders and
/// integers the store itself produced — never from caller text, which is
/// always bound as a parameter.
fn dynamic(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}
