//! Image sources as users write them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use wharf_types::ImageReference;

use crate::ImageError;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An image in a registry (`nginx:1.25`, `registry:5000/app@sha256:…`,
    /// optionally prefixed `registry:` or `docker://`).
    Registry(ImageReference),
    /// An OCI image layout directory, optionally with a tag
    /// (`oci:DIR[:TAG]`).
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// The `org.opencontainers.image.ref.name` to select.
        tag: Option<String>,
    },
    /// A `docker save` tarball (`docker-archive:FILE`).
    DockerArchive(PathBuf),
    /// A root filesystem directory (`dir:PATH`).
    Dir(PathBuf),
}

impl FromStr for Source {
    type Err = ImageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| ImageError::InvalidSource(s.to_owned(), why.to_owned());
        if let Some(rest) = s.strip_prefix("oci:") {
            // `oci:DIR:TAG`: the tag is after the last ':' if it has no '/'.
            let (dir, tag) = match rest.rsplit_once(':') {
                Some((d, t)) if !t.contains('/') && !d.is_empty() => (d, Some(t.to_owned())),
                _ => (rest, None),
            };
            if dir.is_empty() {
                return Err(invalid("missing directory after oci:"));
            }
            return Ok(Self::OciLayout {
                dir: dir.into(),
                tag,
            });
        }
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            if rest.is_empty() {
                return Err(invalid("missing file after docker-archive:"));
            }
            return Ok(Self::DockerArchive(rest.into()));
        }
        if let Some(rest) = s.strip_prefix("dir:") {
            if rest.is_empty() {
                return Err(invalid("missing path after dir:"));
            }
            return Ok(Self::Dir(rest.into()));
        }
        let reference = s
            .strip_prefix("docker://")
            .or_else(|| s.strip_prefix("registry:"))
            .unwrap_or(s);
        reference
            .parse()
            .map(Self::Registry)
            .map_err(|e: wharf_types::ReferenceError| invalid(&e.to_string()))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry(r) => write!(f, "{r}"),
            Self::OciLayout { dir, tag: Some(t) } => write!(f, "oci:{}:{t}", dir.display()),
            Self::OciLayout { dir, tag: None } => write!(f, "oci:{}", dir.display()),
            Self::DockerArchive(p) => write!(f, "docker-archive:{}", p.display()),
            Self::Dir(p) => write!(f, "dir:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "oci:/tmp/layout:v1".parse::<Source>().expect("oci"),
            Source::OciLayout {
                dir: "/tmp/layout".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            "oci:./layout".parse::<Source>().expect("oci"),
            Source::OciLayout {
                dir: "./layout".into(),
                tag: None
            }
        );
        assert_eq!(
            "docker-archive:img.tar".parse::<Source>().expect("archive"),
            Source::DockerArchive("img.tar".into())
        );
        assert_eq!(
            "dir:/".parse::<Source>().expect("dir"),
            Source::Dir("/".into())
        );
        let Source::Registry(r) = "docker://alpine:3.19".parse::<Source>().expect("registry")
        else {
            panic!("registry")
        };
        assert_eq!(r.repository(), "library/alpine");
        assert!("oci:".parse::<Source>().is_err());
        assert!("Not/Valid".parse::<Source>().is_err());
        assert_eq!(
            "oci:/x:y".parse::<Source>().expect("oci").to_string(),
            "oci:/x:y"
        );
    }
}
