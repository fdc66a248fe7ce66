//! The package model every analyzer produces and every later phase reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Digest;

/// A package ecosystem (the packaging system a package belongs to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    /// Debian packages (dpkg): Debian, Ubuntu, distroless.
    Deb,
    /// Alpine packages (apk): Alpine, Wolfi, Chainguard.
    Apk,
    /// RPM packages: RHEL and rebuilds, Fedora, SUSE, Amazon Linux, Mariner, Photon.
    Rpm,
    /// Python packages (PyPI).
    Pypi,
    /// JavaScript packages (npm registry; also yarn, pnpm).
    Npm,
    /// Go modules.
    Golang,
    /// Rust crates (crates.io).
    Cargo,
    /// Java packages (Maven coordinates).
    Maven,
    /// Ruby gems.
    Gem,
    /// PHP packages (Packagist / Composer).
    Composer,
    /// .NET packages (NuGet).
    Nuget,
    /// Julia packages (the General registry; `Manifest.toml`).
    Julia,
}

impl Ecosystem {
    /// The package-URL type (`pkg:<type>/…`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
            Self::Pypi => "pypi",
            Self::Npm => "npm",
            Self::Golang => "golang",
            Self::Cargo => "cargo",
            Self::Maven => "maven",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Nuget => "nuget",
            Self::Julia => "julia",
        }
    }

    /// Whether this is an operating-system package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Self::Deb | Self::Apk | Self::Rpm)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// The source package an OS binary package was built from
/// (Debian `Source:`, RPM `SOURCERPM`, apk origin).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourcePackage {
    /// Source package name.
    pub name: String,
    /// Source version, when it differs or is known (dpkg `Source: n (v)`,
    /// RPM version-release from the source rpm file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One installed package, as an analyzer found it.
///
/// `version` is the ecosystem's own version string, unmodified, except for
/// RPM where it is `VERSION-RELEASE` and the epoch is in `epoch` (as the rpm
/// database stores them apart). Debian versions keep their epoch inline
/// (`1:2.36-9`), as dpkg writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name: Maven `group:artifact`, npm `@scope/name`, Go module path.
    pub name: String,
    /// Version (see the type's documentation).
    pub version: String,
    /// RPM epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// Architecture (OS packages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package (OS packages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Licences as declared (SPDX expressions where the metadata has them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Vendor / maintainer organisation (RPM vendor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// RPM modularity label (`name:stream:version:context`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    /// Whether a lockfile marks it as a development-only dependency.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Paths (inside the image) of the files it was found in: the package
    /// database, the manifest or lockfile, the binary or archive.
    pub locations: Vec<String>,
    /// Files the package installed (OS packages), when the database lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The layer that introduced it (set when layers are merged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// For a language package whose files an OS package installed (Debian's
    /// `python3-requests`, a jar of `libfoo-java`): that OS package's name.
    /// The distribution patches and versions it, so it is matched through
    /// the OS feed, not the language feed (as Grype and Trivy do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Package URL, set once the image's OS is known (a Debian package's
    /// purl names its distribution release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The ecosystem's own identifier of the package beside its name, where
    /// names are not unique (Julia: the package UUID, which tells two
    /// packages of one name apart and goes into the purl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_id: Option<String>,
}

impl Package {
    /// A package with the required fields and nothing else.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Self {
            ecosystem,
            name: name.into(),
            version: version.into(),
            epoch: None,
            arch: None,
            source: None,
            licenses: Vec::new(),
            vendor: None,
            modularity_label: None,
            dev: false,
            locations: vec![location.into()],
            files: Vec::new(),
            layer: None,
            owned_by: None,
            purl: None,
            ecosystem_id: None,
        }
    }

    /// The full version: RPM `epoch:version-release` when an epoch is set
    /// (and not zero), else `version`.
    pub fn full_version(&self) -> String {
        match self.epoch {
            Some(e) if e > 0 => format!("{e}:{}", self.version),
            _ => self.version.clone(),
        }
    }
}

/// A problem with one file that did not stop the scan (a lockfile that is
/// not valid JSON, a truncated database…). Reported with the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Path inside the image.
    pub path: String,
    /// The analyzer that reported it.
    pub analyzer: String,
    /// What went wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_version_and_serde() {
        let mut p = Package::new(
            Ecosystem::Rpm,
            "bash",
            "5.1.8-6.el9",
            "/var/lib/rpm/rpmdb.sqlite",
        );
        assert_eq!(p.full_version(), "5.1.8-6.el9");
        p.epoch = Some(1);
        assert_eq!(p.full_version(), "1:5.1.8-6.el9");
        let json = serde_json::to_value(&p).expect("serialize");
        assert_eq!(json["ecosystem"], "rpm");
        assert!(json.get("dev").is_none() && json.get("files").is_none());
        assert_eq!(Ecosystem::Golang.to_string(), "golang");
        assert!(Ecosystem::Apk.is_os() && !Ecosystem::Npm.is_os());
    }
}

/// The operating system of an image, as identified from `/etc/os-release`
/// and the older release files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// Family in lowercase as wharf names it: `debian`, `ubuntu`, `alpine`,
    /// `rhel`, `centos`, `rocky`, `alma`, `oracle`, `fedora`, `amazon`,
    /// `sles`, `opensuse-leap`, `opensuse-tumbleweed`, `wolfi`, `chainguard`,
    /// `photon`, `mariner`, `azurelinux`, `distroless` (Debian-based
    /// distroless is `debian` with `distroless: true`).
    pub family: String,
    /// Version as the distribution writes it (`12`, `22.04`, `3.19.1`, `9.3`).
    pub version: String,
    /// Release codename (`bookworm`, `jammy`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// Human-readable name (`PRETTY_NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Whether the image is a distroless / minimal image without a shell
    /// or package manager (e.g. gcr.io/distroless).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub distroless: bool,
    /// The release the package manager's repositories are configured for,
    /// when it is newer than `version` (Alpine: a `v3.10` or `edge` line in
    /// `/etc/apk/repositories` of a 3.9 image). Packages then come from
    /// that release, so its advisories apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_release: Option<String>,
    /// Ubuntu: Expanded Security Maintenance for the base system
    /// (`esm-infra`) is enabled (`/var/lib/ubuntu-advantage/status.json`),
    /// so the release keeps getting security fixes after its standard end
    /// of life.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extended_support: bool,
    /// Red Hat: the repositories ("content sets") the image's packages
    /// were installed from (`/root/buildinfo/content_manifests/*.json`),
    /// which say the product streams whose advisories apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content_sets: Vec<String>,
}
