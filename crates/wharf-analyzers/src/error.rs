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

/// Refuses a `what` file (`"Cargo.lock"`) larger than `max` bytes: every
/// parser caps its input, whoever calls it.
pub(crate) fn within(path: &str, what: &str, content: &[u8], max: usize) -> Result<(), ParseError> {
    if content.len() > max {
        return Err(ParseError::new(
            path,
            format!("{what} is larger than {max} bytes"),
        ));
    }
    Ok(())
}

/// A `what` file of at most `max` bytes, as UTF-8 text.
pub(crate) fn text<'a>(
    path: &str,
    what: &str,
    content: &'a [u8],
    max: usize,
) -> Result<&'a str, ParseError> {
    within(path, what, content, max)?;
    std::str::from_utf8(content)
        .map_err(|e| ParseError::new(path, format!("{what} is not UTF-8: {e}")))
}
