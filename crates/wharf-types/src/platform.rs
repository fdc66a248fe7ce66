//! Platforms of multi-arch images (`linux/arm64/v8`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An image platform as written in OCI indexes and image configs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU architecture in Go's naming, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// CPU variant, e.g. `v7` for `arm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS version (Windows images).
    #[serde(
        default,
        rename = "os.version",
        alias = "os_version",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
}

/// Why a platform string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {0:?}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7")]
pub struct PlatformError(pub String);

impl Platform {
    /// A platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.map(str::to_owned),
            os_version: None,
        }
    }

    /// `unknown/unknown` is what BuildKit writes on attestation manifests.
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" || self.architecture == "unknown"
    }

    /// Whether `self` (a user's request, variant optional) selects `other`.
    pub fn selects(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Self::new(os, arch, None)),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => {
                Ok(Self::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformError(s.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let p: Platform = "linux/arm/v7".parse().expect("valid");
        assert_eq!(p.to_string(), "linux/arm/v7");
        assert_eq!(
            "linux/amd64".parse::<Platform>().expect("valid").variant,
            None
        );
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
        assert!("a/b/c/d".parse::<Platform>().is_err());
    }

    #[test]
    fn selection_ignores_missing_variant() {
        let want: Platform = "linux/arm64".parse().expect("valid");
        assert!(want.selects(&Platform::new("linux", "arm64", Some("v8"))));
        let exact: Platform = "linux/arm/v6".parse().expect("valid");
        assert!(!exact.selects(&Platform::new("linux", "arm", Some("v7"))));
        assert!(Platform::new("unknown", "unknown", None).is_unknown());
    }
}
