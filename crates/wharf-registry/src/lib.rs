//! A client for registries that speak the Docker Registry HTTP API V2 /
//! OCI distribution spec (Docker Hub, GHCR, Harbor, Quay, ECR, ACR,
//! Artifactory, Nexus, `registry:2`…), and wharf's discovery phase on top.
//!
//! - [`RegistryEndpoint`]: endpoints as users write them.
//! - [`RegistryClient`]: authenticated, rate-limited, retrying requests;
//!   manifests and blobs verified against their digests as they are read.
//! - [`Credentials`] and [`DockerConfig`]: where credentials come from.
//! - [`Discoverer`]: every repository, tag, digest and platform.
//!
//! Credentials are attached only to requests to the registry's own origin
//! and its token realm; redirects (to blob storage, say) never carry them.
//! Nothing in this crate logs or formats a credential or token.

mod auth;
pub mod challenge;
mod client;
mod credentials;
pub mod discovery;
mod endpoint;
mod error;
mod http;
pub mod manifest;

pub use client::{BlobStream, ClientConfig, ManifestHead, RegistryClient};
pub use credentials::{Credentials, DockerConfig};
pub use discovery::{Discoverer, DiscoveryOptions, DiscoveryReport};
pub use endpoint::{RegistryEndpoint, Scheme};
pub use error::{RegistryError, Result};
pub use http::{Limits, Stats, StatsSnapshot};
