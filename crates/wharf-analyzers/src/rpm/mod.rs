//! RPM package database.
//!
//! rpm keeps one header blob per installed package (the package's header
//! as it was in the `.rpm` file, plus install-time tags) in one of three
//! backends, found at `/var/lib/rpm`, `/usr/lib/sysimage/rpm` (newer
//! Fedora, openSUSE) or `/usr/share/rpm` (older SUSE):
//!
//! - [`sqlite`]: `rpmdb.sqlite` (rpm ≥ 4.16), recognised by `SQLite format 3`;
//! - [`bdb`]: Berkeley DB hash `Packages` (rpm ≤ 4.15), recognised by the
//!   hash magic `0x061561` at offset 12;
//! - [`ndb`]: `Packages.db` (SUSE), recognised by `RpmP`.
//!
//! [`parse_database`] sniffs the backend from the file's first bytes (not
//! its name), reads every blob and turns each [`header`] into a [`Package`]:
//! version `VERSION-RELEASE` with the epoch apart, architecture, licence,
//! vendor, modularity label, installed files, and the source package from
//! `SOURCERPM` (`glibc-2.34-2.cm2.src.rpm` → `glibc` `2.34-2.cm2`).
//! `gpg-pubkey` pseudo-packages (imported signing keys) are skipped.
//!
//! Any structural problem in the database or in one of its headers makes
//! the whole file a [`ParseError`]: rpm itself refuses such databases, and a
//! partial package list would silently hide packages from the scan.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use std::io::Read as _;
use std::path::Path;

use wharf_types::{Ecosystem, Package, SourcePackage};

use crate::ParseError;
use header::{HeaderError, HeaderInfo};

/// Paths of the rpm databases inside an image (no leading slash).
pub const PATHS: &[&str] = &[
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/share/rpm/Packages",
    "usr/share/rpm/Packages.db",
    "usr/share/rpm/rpmdb.sqlite",
];

/// Largest database accepted (Berkeley DB and NDB files are read into
/// memory).
pub const MAX_DB_BYTES: u64 = 1024 * 1024 * 1024;
/// Most packages accepted from one database.
pub const MAX_PACKAGES: usize = 200_000;

/// What went wrong reading an rpm database.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// The file could not be read.
    #[error("cannot read database: {0}")]
    Io(#[from] std::io::Error),
    /// The file is empty.
    #[error("empty file")]
    Empty,
    /// The file is larger than [`MAX_DB_BYTES`].
    #[error("database larger than {MAX_DB_BYTES} bytes")]
    TooLarge,
    /// The first bytes match no rpm database backend.
    #[error("not an rpm database (unrecognised format)")]
    UnknownFormat,
    /// SQLite backend error.
    #[error("sqlite rpmdb: {0}")]
    Sqlite(#[from] sqlite::SqliteError),
    /// Berkeley DB backend error.
    #[error("berkeley db rpmdb: {0}")]
    Bdb(#[from] bdb::BdbError),
    /// NDB backend error.
    #[error("ndb rpmdb: {0}")]
    Ndb(#[from] ndb::NdbError),
    /// A header blob is invalid.
    #[error("package header #{index}: {source}")]
    Header {
        /// Position of the blob in the database (from 1).
        index: usize,
        /// What is wrong with it.
        source: HeaderError,
    },
    /// More than [`MAX_PACKAGES`] packages.
    #[error("more than {MAX_PACKAGES} packages")]
    TooManyPackages,
}

/// Reads the rpm database at `file` (a copy of the image's `image_path` on
/// disk) and returns its packages, whatever the backend.
pub fn parse_database(image_path: &str, file: &Path) -> Result<Vec<Package>, ParseError> {
    read_database(image_path, file).map_err(|e| ParseError::new(image_path, e.to_string()))
}

/// Turns one header blob into a package. Returns `Ok(None)` for the
/// `gpg-pubkey` pseudo-packages rpm uses to store imported signing keys.
pub fn package_from_header(image_path: &str, blob: &[u8]) -> Result<Option<Package>, ParseError> {
    let info = HeaderInfo::parse(blob).map_err(|e| ParseError::new(image_path, e.to_string()))?;
    Ok(package_from_info(image_path, info))
}

/// Builds the [`Package`] for parsed header fields (`None` for
/// `gpg-pubkey`).
pub fn package_from_info(image_path: &str, info: HeaderInfo) -> Option<Package> {
    if info.name == "gpg-pubkey" {
        return None;
    }
    let version = format!("{}-{}", info.version, info.release);
    let mut package = Package::new(Ecosystem::Rpm, info.name, version, image_path);
    package.epoch = info.epoch;
    package.arch = info.arch;
    package.source = info.source_rpm.as_deref().and_then(parse_source_rpm);
    package.licenses = info.license.into_iter().collect();
    package.vendor = info.vendor;
    package.modularity_label = info.modularity_label;
    package.files = info.files;
    Some(package)
}

/// `glibc-2.31-9.3.2.src.rpm` → `glibc`, `2.31-9.3.2`. `None` when the name
/// is not `<name>-<version>-<release>.{src,nosrc}.rpm`.
pub fn parse_source_rpm(file_name: &str) -> Option<SourcePackage> {
    let stem = file_name
        .strip_suffix(".src.rpm")
        .or_else(|| file_name.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some(SourcePackage {
        name: name.to_owned(),
        version: Some(format!("{version}-{release}")),
    })
}

fn read_database(image_path: &str, file: &Path) -> Result<Vec<Package>, RpmDbError> {
    let mut handle = std::fs::File::open(file)?;
    if handle.metadata()?.len() > MAX_DB_BYTES {
        return Err(RpmDbError::TooLarge);
    }
    let mut magic = [0u8; 16];
    let mut filled = 0;
    while filled < magic.len() {
        let n = handle.read(magic.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let magic = magic.get(..filled).unwrap_or_default();
    if magic.is_empty() {
        return Err(RpmDbError::Empty);
    }

    let mut packages = Vec::new();
    let mut index = 0usize;
    let mut add = |blob: &[u8]| -> Result<(), RpmDbError> {
        index += 1;
        let info =
            HeaderInfo::parse(blob).map_err(|source| RpmDbError::Header { index, source })?;
        if let Some(package) = package_from_info(image_path, info) {
            if packages.len() >= MAX_PACKAGES {
                return Err(RpmDbError::TooManyPackages);
            }
            packages.push(package);
        }
        Ok(())
    };

    if magic.starts_with(b"SQLite format 3\0") {
        drop(handle);
        sqlite::for_each_blob(file, &mut add)?;
        return Ok(packages);
    }
    if !ndb::is_ndb(magic) && !bdb::is_bdb(magic) {
        return Err(RpmDbError::UnknownFormat);
    }
    let mut data = magic.to_vec();
    handle.take(MAX_DB_BYTES).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_DB_BYTES {
        return Err(RpmDbError::TooLarge);
    }
    if ndb::is_ndb(&data) {
        ndb::for_each_blob(&data, &mut add)?;
    } else {
        bdb::for_each_blob(&data, &mut add)?;
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("glibc-2.31-9.3.2.src.rpm"),
            Some(SourcePackage {
                name: "glibc".into(),
                version: Some("2.31-9.3.2".into())
            })
        );
        assert_eq!(
            parse_source_rpm("python3-pip-21.3.1-2.el9.nosrc.rpm").map(|s| s.name),
            Some("python3-pip".into())
        );
        assert_eq!(parse_source_rpm("(none)"), None);
        assert_eq!(parse_source_rpm("a-b.src.rpm"), None);
        assert_eq!(parse_source_rpm("-1-2.src.rpm"), None);
    }

    #[test]
    fn package_fields() {
        let pkg = package_from_header("var/lib/rpm/rpmdb.sqlite", &header::tests::sample())
            .expect("parse")
            .expect("not a key");
        assert_eq!(pkg.ecosystem, Ecosystem::Rpm);
        assert_eq!(pkg.name, "curl");
        assert_eq!(pkg.version, "7.76.0-7.cm2");
        assert_eq!(pkg.epoch, Some(2));
        assert_eq!(pkg.full_version(), "2:7.76.0-7.cm2");
        assert_eq!(pkg.licenses, ["MIT"]);
        assert_eq!(pkg.vendor, None);
        assert_eq!(
            pkg.source,
            Some(SourcePackage {
                name: "curl".into(),
                version: Some("7.76.0-6.cm2".into())
            })
        );
        assert_eq!(pkg.locations, ["var/lib/rpm/rpmdb.sqlite"]);
        assert_eq!(pkg.files.len(), 3);
    }

    #[test]
    fn gpg_pubkey_is_skipped() {
        let str_entry = |tag, v: &str| {
            let (count, bytes) = header::tests::s(v);
            (tag, 6, count, bytes)
        };
        let blob = header::tests::build(&[
            str_entry(header::TAG_NAME, "gpg-pubkey"),
            str_entry(header::TAG_VERSION, "fd431d51"),
            str_entry(header::TAG_RELEASE, "4ae0493b"),
        ]);
        assert_eq!(package_from_header("p", &blob), Ok(None));
    }

    #[test]
    fn sniffing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"")?;
        let err = parse_database("var/lib/rpm/Packages", &empty).expect_err("empty");
        assert_eq!(err.path, "var/lib/rpm/Packages");
        assert_eq!(err.message, "empty file");
        let text = dir.path().join("text");
        std::fs::write(&text, b"hello")?;
        assert!(parse_database("p", &text).is_err());
        assert!(parse_database("p", &dir.path().join("missing")).is_err());
        Ok(())
    }
}
