//! Store errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// Connecting failed.
    #[error("cannot connect to database {0}: {1}")]
    Connect(String, String),
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON document did not decode (or a value did not encode).
    #[error("stored {what} is not valid: {source}")]
    Json {
        /// What was being read.
        what: &'static str,
        /// The decoder's error.
        source: serde_json::Error,
    },
    /// Compressing or decompressing an inventory failed.
    #[error("stored inventory {0} could not be (de)compressed: {1}")]
    Compression(i64, std::io::Error),
    /// A row the caller named does not exist.
    #[error("{kind} {id} not found")]
    NotFound {
        /// Kind of thing.
        kind: &'static str,
        /// Its id or name.
        id: String,
    },
    /// A unique name is taken.
    #[error("{kind} {id:?} already exists")]
    Conflict {
        /// Kind of thing.
        kind: &'static str,
        /// The name.
        id: String,
    },
    /// Sealing or opening a stored secret failed (wrong key, corrupted row).
    #[error("stored secret {0} cannot be decrypted: wrong secret key or corrupted data")]
    Decrypt(String),
    /// The secret key is unusable.
    #[error("secret key: {0}")]
    Key(String),
}

impl StoreError {
    pub(crate) fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| Self::Json { what, source }
    }

    /// Whether this is a [`StoreError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}
