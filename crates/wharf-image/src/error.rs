//! Errors of image resolution and scanning.

use wharf_layer::LayerError;
use wharf_registry::RegistryError;

/// Why an image could not be resolved or scanned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The source string is not understood.
    #[error("invalid image source {0:?}: {1}")]
    InvalidSource(String, String),
    /// Registry access failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A local file or directory could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// What failed.
        reason: String,
    },
    /// An OCI layout or docker archive is malformed.
    #[error("{what}: {reason}")]
    Malformed {
        /// What was read.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
    /// No image matched (tag not in the layout, platform not in the index).
    #[error("{0}")]
    NotFound(String),
    /// A layer could not be read (corrupt, truncated, bomb, wrong digest).
    #[error("layer {layer}: {source}")]
    Layer {
        /// The layer digest or path.
        layer: String,
        /// The failure.
        source: LayerError,
    },
}

impl ImageError {
    pub(crate) fn io(path: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.to_string(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn malformed(what: impl std::fmt::Display, reason: impl std::fmt::Display) -> Self {
        Self::Malformed {
            what: what.to_string(),
            reason: reason.to_string(),
        }
    }
}
