//! Errors of loading policies, exceptions and VEX documents.

/// A policy, exception or VEX file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not parse or has invalid content.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong (with the line when known).
        message: String,
    },
    /// A Rego file does not compile, or a custom rule failed at evaluation.
    #[error("{file}:{line}: {message}")]
    Rego {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: u32,
        /// The engine's message.
        message: String,
    },
}
