//! One pass over an image layer.
//!
//! A layer is a tar stream, optionally gzip- (single or multi-member) or
//! zstd-compressed; the compression is sniffed from its first bytes, not
//! trusted from a media type. [`walk`] reads the stream exactly once and
//! hands every entry to a callback with its normalised path, kind and, for
//! regular files, a reader over its content. Nothing is written to disk.
//!
//! Hostile layers are expected: paths are normalised and entries that would
//! escape the root (`../`, absolute after normalisation, NUL bytes) are
//! skipped and reported; symlink and hard-link targets are recorded, never
//! followed; device files and FIFOs are reported as such; the total
//! uncompressed size, the compression ratio and the entry count are capped
//! ([`Limits`]), so a decompression bomb stops with an error that says so;
//! a truncated or corrupt stream is an error naming where it happened.
//! Whiteouts (`.wh.name`) and opaque-directory markers (`.wh..wh..opq`) are
//! surfaced as entry kinds for the merge step to apply.

mod path;
mod read;
mod walk;

pub use path::{WHITEOUT_OPAQUE, WHITEOUT_PREFIX, normalize};
pub use read::{Compression, sniff};
pub use walk::{Entry, EntryKind, LayerError, Limits, Skipped, WalkSummary, walk};
