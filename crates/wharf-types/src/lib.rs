//! Identifiers and domain types shared by every wharf crate.
//!
//! This crate does no I/O. It holds the vocabulary the other crates speak:
//! content [`Digest`]s and the hasher that checks them, [`ImageReference`]s
//! as users write them (with Docker Hub normalisation), [`Platform`]s of
//! multi-arch images, the [`Package`] model analyzers produce, and [`SecretString`], the wrapper that keeps
//! credentials and found secrets out of logs and `Debug` output.

mod digest;
mod finding;
mod hash;
mod package;
mod platform;
mod reference;
mod secret;

pub use digest::{Digest, DigestAlgorithm, DigestError, Digester};
pub use finding::{
    LayerPlacement, Location, MalwareEngine, MalwareFinding, SecretFinding, Severity,
};
pub use hash::HashAlgorithm;
pub use package::{Diagnostic, Ecosystem, OsInfo, Package, SourcePackage};
pub use platform::{Platform, PlatformError};
pub use reference::{
    DOCKER_HUB_API_HOST, DOCKER_HUB_HOST, ImageReference, ReferenceError, normalize_registry_host,
};
pub use secret::SecretString;
