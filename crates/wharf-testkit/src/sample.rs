//! A small, deterministic set of images that exercises every manifest shape
//! discovery must handle, pushed to a test registry. Used by integration
//! tests, CLI tests and the demo script; the returned [`SampleImages`] holds
//! the digests the tests expect.
//!
//! | repository | tags | what |
//! |---|---|---|
//! | `team/api` | `latest`, `v1` (same digest), `v2` | OCI images, linux/amd64, labels |
//!
//! Every image holds a Debian 12 `os-release` and one Python package
//! (`requests 2.19.1`), so `wharf sbom` and `wharf scan` have something to find.
//! | `team/multi` | `1.0` | OCI index: linux/amd64 + linux/arm64/v8, with attestation manifests |
//! | `legacy/app` | `old` | Docker schema 2 image |
//! | `legacy/app` | `list` | Docker manifest list: linux/amd64 + linux/arm/v7 |
//! | `charts/web` | `0.1.0` | OCI artifact (Helm chart), not a container image |

use anyhow::Result;

use crate::image::{Blob, ImageBuilder, IndexBuilder, LayerBuilder, ManifestFormat, Platform};
use crate::push::Pusher;

/// Digests of the pushed sample images.
#[derive(Debug, Clone)]
pub struct SampleImages {
    /// `team/api:latest` and `team/api:v1`.
    pub api_v1: String,
    /// `team/api:v2`.
    pub api_v2: String,
    /// `team/multi:1.0` (the index).
    pub multi_index: String,
    /// The index's platform manifests: (platform, digest).
    pub multi_platforms: Vec<(String, String)>,
    /// The index's attestation manifests.
    pub multi_attestations: Vec<String>,
    /// `legacy/app:old`.
    pub legacy_old: String,
    /// `legacy/app:list`.
    pub legacy_list: String,
    /// `charts/web:0.1.0`.
    pub chart: String,
}

fn image(
    format: ManifestFormat,
    platform: &Platform,
    created: &str,
    marker: &str,
) -> Result<crate::BuiltImage> {
    let layer = LayerBuilder::new()
        .dir("etc")
        .file(
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            0o644,
        )
        .file(
            "usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\nLicense: Apache 2.0\n",
            0o644,
        )
        .file("app/marker.txt", marker.as_bytes().to_vec(), 0o644)
        .build()?;
    ImageBuilder::new()
        .layer(layer)
        .platform(platform)
        .created(created)
        .label("org.opencontainers.image.title", marker)
        .label("owner", "team-a")
        .format(format)
        .build()
}

/// Push the sample set through `pusher`.
pub async fn push_sample_images(pusher: &Pusher) -> Result<SampleImages> {
    let amd64 = Platform::new("linux", "amd64");
    let api_v1 = image(
        ManifestFormat::Oci,
        &amd64,
        "2026-01-10T08:00:00Z",
        "api v1",
    )?;
    let api_v2 = image(
        ManifestFormat::Oci,
        &amd64,
        "2026-02-20T08:00:00Z",
        "api v2",
    )?;
    pusher.push_image("team/api", "v1", &api_v1).await?;
    pusher
        .put_manifest("team/api", "latest", &api_v1.manifest)
        .await?;
    pusher.push_image("team/api", "v2", &api_v2).await?;

    let multi = IndexBuilder::new(ManifestFormat::Oci)
        .image(image(
            ManifestFormat::Oci,
            &amd64,
            "2026-03-01T00:00:00Z",
            "multi amd64",
        )?)
        .image(image(
            ManifestFormat::Oci,
            &Platform::new("linux", "arm64").with_variant("v8"),
            "2026-03-01T00:00:00Z",
            "multi arm64",
        )?)
        .with_attestations(true)
        .build()?;
    pusher.push_index("team/multi", "1.0", &multi).await?;

    let old = image(
        ManifestFormat::DockerV2,
        &amd64,
        "2019-05-01T00:00:00Z",
        "legacy old",
    )?;
    pusher.push_image("legacy/app", "old", &old).await?;
    let list = IndexBuilder::new(ManifestFormat::DockerV2)
        .image(image(
            ManifestFormat::DockerV2,
            &amd64,
            "2020-01-01T00:00:00Z",
            "legacy list amd64",
        )?)
        .image(image(
            ManifestFormat::DockerV2,
            &Platform::new("linux", "arm").with_variant("v7"),
            "2020-01-01T00:00:00Z",
            "legacy list arm",
        )?)
        .build()?;
    pusher.push_index("legacy/app", "list", &list).await?;

    // A Helm chart as an OCI artifact: an image manifest whose config is
    // not an image config.
    let chart_config = Blob::new(
        "application/vnd.cncf.helm.config.v1+json",
        br#"{"name":"web","version":"0.1.0","apiVersion":"v2"}"#.to_vec(),
    );
    let chart_layer = Blob::new(
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        b"not really a chart".to_vec(),
    );
    pusher.push_blob("charts/web", &chart_config).await?;
    pusher.push_blob("charts/web", &chart_layer).await?;
    let chart_manifest = Blob::json(
        crate::image::media_type::OCI_MANIFEST,
        &serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::image::media_type::OCI_MANIFEST,
            "config": chart_config.descriptor(),
            "layers": [chart_layer.descriptor()],
        }),
    )?;
    pusher
        .put_manifest("charts/web", "0.1.0", &chart_manifest)
        .await?;

    Ok(SampleImages {
        api_v1: api_v1.digest().to_owned(),
        api_v2: api_v2.digest().to_owned(),
        multi_index: multi.digest().to_owned(),
        multi_platforms: multi
            .images
            .iter()
            .map(|i| (i.platform.to_string(), i.digest().to_owned()))
            .collect(),
        multi_attestations: multi
            .attestations
            .iter()
            .map(|a| a.digest().to_owned())
            .collect(),
        legacy_old: old.digest().to_owned(),
        legacy_list: list.digest().to_owned(),
        chart: chart_manifest.digest.clone(),
    })
}
