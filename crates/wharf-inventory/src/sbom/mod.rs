//! SBOM export: an [`Inventory`](crate::Inventory) as a CycloneDX 1.6 or
//! SPDX 2.3 JSON document.
//!
//! - [`purl`]: the package URL of a package, per the purl specification
//!   (type-specific namespaces and normalisation, canonical percent-encoding,
//!   sorted qualifiers).
//! - [`to_cyclonedx`]: a CycloneDX 1.6 BOM — the image as the metadata
//!   component (`type: container`), the operating system and every package
//!   as components, and the image depending on all of them.
//! - [`to_spdx`]: an SPDX 2.3 document — the image, the operating system and
//!   every package as SPDX packages, related by `DESCRIBES` and `CONTAINS`.
//!
//! Both take an [`SbomOptions`] carrying what must not be computed inside
//! (the serial number and the timestamp), so that the same inventory and
//! options always give byte-identical documents.
//!
//! Licences are classified with a small SPDX licence-expression parser
//! (`license`) backed by the SPDX License List identifiers (`spdx_ids`):
//! a declared licence that is a valid expression is emitted as such;
//! anything else becomes a named licence (CycloneDX) or a `LicenseRef-`
//! with its text in `hasExtractedLicensingInfos` (SPDX).

mod cyclonedx;
mod license;
mod purl;
mod spdx;
mod spdx_ids;

use std::collections::{HashMap, HashSet};

use wharf_types::{Digest, DigestAlgorithm, ImageReference};

use crate::ImageMeta;

pub use cyclonedx::{cyclonedx_package_refs, to_cyclonedx};
pub use purl::purl;
pub use spdx::to_spdx;

/// What an SBOM document takes from its caller rather than computing, so
/// that exports are reproducible (and snapshot-testable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomOptions {
    /// Serial number of the document, an RFC 4122 URN
    /// (`urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79`): the CycloneDX
    /// `serialNumber` and the SPDX `documentNamespace`. A new one per
    /// document; lowercase hex, as the CycloneDX schema requires.
    pub serial: String,
    /// Creation time, RFC 3339 in UTC to the second
    /// (`2024-05-01T12:00:00Z`), the form SPDX requires.
    pub timestamp: String,
    /// The wharf version recorded as the generating tool (`0.1.0`).
    pub tool_version: String,
}

impl SbomOptions {
    /// Options for a new document now: a random serial, the current time.
    pub fn now(tool_version: &str) -> Self {
        Self {
            serial: random_urn_uuid(),
            timestamp: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            tool_version: tool_version.to_owned(),
        }
    }
}

/// A random RFC 4122 version-4 UUID URN (`urn:uuid:…`), lowercase.
fn random_urn_uuid() -> String {
    let mut b: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Make `candidates` unique, in order: the first occurrence of a value keeps
/// it, later ones get `<sep><n>` appended with the smallest free `n >= 2`.
fn uniquify(candidates: Vec<String>, sep: &str) -> Vec<String> {
    let mut used: HashSet<String> = candidates.iter().cloned().collect();
    let mut seen = HashSet::new();
    candidates
        .into_iter()
        .map(|c| {
            if seen.insert(c.clone()) {
                return c;
            }
            let mut n = 2u32;
            loop {
                let next = format!("{c}{sep}{n}");
                if used.insert(next.clone()) {
                    seen.insert(next.clone());
                    return next;
                }
                n += 1;
            }
        })
        .collect()
}

/// Purls made unique per package: a purl shared by several packages (the
/// same package found at several locations) gets `|<first location>`, and
/// any collision left after that a counter.
fn package_refs(purls: &[String], first_locations: &[Option<&str>]) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in purls {
        *counts.entry(p.as_str()).or_default() += 1;
    }
    let candidates = purls
        .iter()
        .zip(first_locations)
        .map(|(p, loc)| match loc {
            Some(loc) if counts.get(p.as_str()).copied().unwrap_or(0) > 1 => {
                format!("{p}|{loc}")
            }
            _ => p.clone(),
        })
        .collect();
    uniquify(candidates, "|")
}

/// The image's package URL (`pkg:oci/<name>@<digest>?…`), when its manifest
/// digest is known.
fn image_purl(image: &ImageMeta) -> Option<String> {
    let digest = image.digest.as_ref()?;
    let source = image.source.as_str();
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    if let Some(arch) = image
        .platform
        .as_deref()
        .and_then(|p| p.split('/').nth(1))
        .filter(|a| !a.is_empty())
    {
        qualifiers.push(("arch", arch.to_owned()));
    }
    let name = match registry_reference(source) {
        Some(r) => {
            let host = if r.is_docker_hub() {
                "docker.io"
            } else {
                r.registry()
            };
            qualifiers.push(("repository_url", format!("{host}/{}", r.repository())));
            if let Some(t) = r.tag() {
                qualifiers.push(("tag", t.to_owned()));
            }
            r.repository()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        }
        None => {
            let (path, tag) = local_source(source);
            if let Some(t) = tag {
                qualifiers.push(("tag", t.to_owned()));
            }
            let base = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            let base = base
                .strip_suffix(".tar")
                .or_else(|| base.strip_suffix(".tar.gz"))
                .unwrap_or(base);
            if base.is_empty() {
                "image".to_owned()
            } else {
                base.to_owned()
            }
        }
    };
    Some(purl::build(
        "oci",
        &[],
        &name.to_lowercase(),
        &digest.to_string(),
        qualifiers,
    ))
}

/// `source` as a registry reference, unless it names a local source.
fn registry_reference(source: &str) -> Option<ImageReference> {
    if ["oci:", "docker-archive:", "dir:"]
        .iter()
        .any(|p| source.starts_with(p))
    {
        return None;
    }
    source.parse().ok()
}

/// A local source (`oci:<dir>[:<tag>]`, `docker-archive:<file>`,
/// `dir:<path>`, or a bare path) split into its path and its tag.
fn local_source(source: &str) -> (&str, Option<&str>) {
    if let Some(rest) = source.strip_prefix("oci:") {
        return match rest.rsplit_once(':') {
            Some((dir, tag)) if !tag.is_empty() && !tag.contains('/') => (dir, Some(tag)),
            _ => (rest, None),
        };
    }
    let path = source
        .strip_prefix("docker-archive:")
        .or_else(|| source.strip_prefix("dir:"))
        .unwrap_or(source);
    (path, None)
}

/// The layer digests of an image, base first (compressed digest, else the
/// diff ID), for the image's properties.
fn layer_digests(image: &ImageMeta) -> impl Iterator<Item = &Digest> {
    image
        .layers
        .iter()
        .filter_map(|l| l.digest.as_ref().or(l.diff_id.as_ref()))
}

/// CycloneDX `hashes[].alg` of a digest algorithm.
fn cyclonedx_alg(a: DigestAlgorithm) -> &'static str {
    match a {
        DigestAlgorithm::Sha256 => "SHA-256",
        DigestAlgorithm::Sha512 => "SHA-512",
    }
}

/// SPDX `checksums[].algorithm` of a digest algorithm.
fn spdx_alg(a: DigestAlgorithm) -> &'static str {
    match a {
        DigestAlgorithm::Sha256 => "SHA256",
        DigestAlgorithm::Sha512 => "SHA512",
    }
}

/// The image's display name: its source, or `image` when that is empty.
fn image_name(image: &ImageMeta) -> &str {
    if image.source.is_empty() {
        "image"
    } else {
        &image.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(source: &str) -> ImageMeta {
        ImageMeta {
            source: source.into(),
            digest: Some(Digest::sha256_of(b"manifest")),
            platform: Some("linux/arm64/v8".into()),
            ..ImageMeta::default()
        }
    }

    #[test]
    fn uniquify_keeps_first_and_counts() {
        let got = uniquify(
            vec!["a".into(), "a".into(), "a-2".into(), "a".into(), "b".into()],
            "-",
        );
        assert_eq!(got, ["a", "a-3", "a-2", "a-4", "b"]);
    }

    #[test]
    fn package_refs_disambiguate_by_location() {
        let purls = vec!["p".to_owned(), "p".to_owned(), "q".to_owned()];
        let got = package_refs(&purls, &[Some("x/a"), Some("y/b"), Some("z")]);
        assert_eq!(got, ["p|x/a", "p|y/b", "q"]);
        let got = package_refs(&purls, &[Some("x"), Some("x"), None]);
        assert_eq!(got, ["p|x", "p|x|2", "q"]);
    }

    #[test]
    fn image_purls() {
        let hex = Digest::sha256_of(b"manifest").hex().to_owned();
        assert_eq!(
            image_purl(&meta("docker.io/library/nginx:1.25")).as_deref(),
            Some(
                format!(
                    "pkg:oci/nginx@sha256:{hex}?arch=arm64\
                     &repository_url=docker.io%2Flibrary%2Fnginx&tag=1.25"
                )
                .as_str()
            )
        );
        assert_eq!(
            image_purl(&meta("ghcr.io/org/tools/app")).as_deref(),
            Some(
                format!(
                    "pkg:oci/app@sha256:{hex}?arch=arm64\
                     &repository_url=ghcr.io%2Forg%2Ftools%2Fapp"
                )
                .as_str()
            )
        );
        assert_eq!(
            image_purl(&meta("oci:/tmp/My-Layout:v1")).as_deref(),
            Some(format!("pkg:oci/my-layout@sha256:{hex}?arch=arm64&tag=v1").as_str())
        );
        assert_eq!(
            image_purl(&meta("docker-archive:/tmp/app.tar")).as_deref(),
            Some(format!("pkg:oci/app@sha256:{hex}?arch=arm64").as_str())
        );
        let mut no_digest = meta("alpine");
        no_digest.digest = None;
        assert_eq!(image_purl(&no_digest), None);
    }
}
