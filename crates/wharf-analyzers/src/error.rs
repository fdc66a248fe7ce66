//! The error every parser returns.

/// A file that could not be parsed. The scan records it as a per-file
/// diagnostic and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParseError {
    /// Path of the file inside the image.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ParseError {
    /// An error for `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}
