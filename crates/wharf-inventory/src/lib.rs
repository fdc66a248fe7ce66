//! Image inventories: what an image contains, assembled from per-layer
//! reports, and the cache that lets a layer shared by many images be
//! analysed once.
//!
//! - [`merge`]: apply layers in order — whiteouts and opaque directories
//!   remove lower-layer results, a later copy of a file replaces an earlier
//!   one — and attribute each package to the layer that introduced it.
//! - [`LayerCache`]: layer reports on disk, keyed by layer digest and the
//!   analyzers' names and versions, in a versioned layout.
//! - [`Inventory`]: the versioned document `wharf sbom --format json` prints
//!   and later phases (matching, evaluation) read.

mod cache;
mod merge;
mod model;
mod sbom;

pub use cache::{CacheError, LayerCache};
pub use merge::{Merged, merge};
pub use model::{
    EnvVar, FileFacts, HistoryStep, INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory, LayerMeta,
    PackageCache, RuntimeConfig, SpecialFile,
};
pub use sbom::{SbomOptions, cyclonedx_package_refs, purl, to_cyclonedx, to_spdx};
