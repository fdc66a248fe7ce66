//! Test support for wharf.
//!
//! This crate is used as a dev-dependency by the integration tests of the other
//! wharf crates, and by the benchmark tooling through the `wharf-testkit` binary.
//! It provides:
//!
//! - [`registry`]: a real CNCF Distribution registry (`docker-registry`) running
//!   on loopback in a private temporary directory, optionally with TLS, htpasswd
//!   or token authentication;
//! - [`token`]: a Distribution-compatible token server (ES256 JWTs) built on
//!   [`wiremock`];
//! - [`image`]: a small, deterministic OCI / Docker image writer (layers, configs,
//!   manifests, indexes with attestation manifests, OCI image layouts);
//! - [`push`]: a minimal registry client that pushes blobs, manifests, images and
//!   indexes;
//! - [`latency`]: a TCP proxy that adds a round-trip delay, to benchmark as if remote;
//! - [`sample`]: a deterministic set of sample images covering every manifest shape.

pub mod image;
pub mod latency;
pub mod push;
pub mod registry;
pub mod sample;
pub mod token;

pub use image::{
    Blob, BuiltImage, BuiltIndex, ImageBuilder, IndexBuilder, Layer, LayerBuilder, ManifestFormat,
    Platform, write_docker_archive, write_oci_layout,
};
pub use push::{PushAuth, Pusher};
pub use registry::{RegistryOptions, TestRegistry, TokenAuthConfig};
pub use sample::{SampleImages, push_sample_images};
pub use token::{TokenServer, TokenServerOptions};
