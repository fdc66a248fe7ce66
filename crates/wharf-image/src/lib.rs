//! Where images come from, and the scan that turns one into inventories.
//!
//! A [`Source`] is what the user names: a registry reference, an OCI image
//! layout directory (`oci:DIR[:TAG]`), a `docker save` tarball
//! (`docker-archive:FILE`) or a root filesystem (`dir:PATH`). [`scan`]
//! resolves it to single-platform images (every platform of an index unless
//! one is selected), and for each image reads every layer once — from the
//! layer cache when an earlier scan already analysed that digest with the
//! same analyzers — merges the layer reports and identifies the OS.
//!
//! Layer bytes are verified against their digest while read (registry blobs
//! by the client, files by [`verify::VerifyingReader`]); a layer whose
//! digest does not match fails the scan of that image and is never cached.

mod error;
mod oci;
mod scan;
mod source;
pub mod verify;

pub use error::ImageError;
pub use scan::{ScanOptions, scan};
pub use source::Source;
