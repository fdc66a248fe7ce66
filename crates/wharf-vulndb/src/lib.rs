//! Vulnerability advisories for wharf: the normalised model and the feed
//! parsers.
//!
//! Every feed (OSV dumps, RustSec, Alpine secdb, the Debian security
//! tracker, AlmaLinux errata, rpm `updateinfo.xml`) is converted into [`Advisory`] records ([`model`]); enrichment
//! feeds produce [`KevEntry`] (CISA KEV) and [`EpssScore`] (FIRST EPSS).
//! [`merge`] groups records that describe the same vulnerability.
//! [`hashes`] reads malware hash lists (ClamAV `.hdb`/`.hsb`, plain lists)
//! into [`hashes::HashSignature`]s, stored like the feeds and loaded with
//! [`store::load_malware_hashes`].
//!
//! Import policy, shared by every parser:
//!
//! * a problem with one record (malformed JSON, an unknown field type, an
//!   absurd range) never aborts an import: the record is listed in
//!   [`ImportReport::skipped`] with the reason and the import goes on;
//! * withdrawn records are skipped with reason `withdrawn …`;
//! * only failures that make the *whole input* unreadable (I/O errors, a
//!   truncated zip, a feed document that is not JSON at all) return
//!   [`Error`], naming the file;
//! * no input, however hostile, panics (see the proptests).

pub mod almalinux;
pub mod alpine;
pub mod cvss;
pub mod debian;
pub mod epss;
mod errata;
pub mod hashes;
pub mod kev;
pub mod merge;
pub mod model;
pub mod osv;
pub mod redhat;
pub mod rustsec;
pub mod store;
pub mod updateinfo;

use std::path::PathBuf;

pub use model::{
    Advisory, Affected, EpssScore, Event, FixStatus, KevEntry, Range, RangeKind,
    SemverRequirements, SeverityKind, SeverityScore,
};

/// Feed identifiers used in [`Advisory::source`].
pub mod sources {
    /// An OSV dump (osv.dev `all.zip`, a directory of OSV files).
    pub const OSV: &str = "osv";
    /// The PyPA advisory database (OSV YAML).
    pub const PYPA: &str = "pypa";
    /// The Go vulnerability database (OSV JSON).
    pub const GO: &str = "govulndb";
    /// The RustSec advisory database.
    pub const RUSTSEC: &str = "rustsec";
    /// Alpine secdb.
    pub const ALPINE: &str = "alpine";
    /// Debian security tracker.
    pub const DEBIAN: &str = "debian";
    /// AlmaLinux errata.
    pub const ALMALINUX: &str = "almalinux";
    /// rpm repository errata (`updateinfo.xml`).
    pub const UPDATEINFO: &str = "updateinfo";
}

/// Limits applied to every record; a record exceeding one is skipped with
/// a reason (never truncated silently, except `details`).
pub mod limits {
    /// Longest identifier, package name or ecosystem string (bytes).
    pub const MAX_ID_LEN: usize = 512;
    /// Longest version string (bytes). Git commit ids and Go pseudo
    /// versions are far below this.
    pub const MAX_VERSION_LEN: usize = 1024;
    /// Most events in one range.
    pub const MAX_EVENTS: usize = 4096;
    /// Most enumerated versions in one affected entry.
    pub const MAX_VERSIONS: usize = 100_000;
    /// Largest single file read from a directory or zip (bytes).
    pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
    /// Most entries read from one zip archive (osv.dev's largest dumps
    /// hold a few hundred thousand).
    pub const MAX_ZIP_ENTRIES: usize = 5_000_000;
    /// Most bytes decompressed from one zip archive, all entries together.
    pub const MAX_ZIP_BYTES: u64 = 32 * 1024 * 1024 * 1024;
}

/// A record that was not imported, or imported with a caveat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// The record's id when known, else the path (and index) it came from.
    pub what: String,
    /// Why.
    pub reason: String,
}

impl Skipped {
    pub(crate) fn new(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// The outcome of an import: what was imported, what was skipped and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportReport<T = Advisory> {
    /// Records imported.
    pub imported: Vec<T>,
    /// Records (or files) not imported, with the reason.
    pub skipped: Vec<Skipped>,
    /// Records imported with part of their content dropped (an affected
    /// entry with an unknown ecosystem, an unscorable CVSS vector…).
    pub warnings: Vec<Skipped>,
}

impl<T> Default for ImportReport<T> {
    fn default() -> Self {
        Self {
            imported: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl<T> ImportReport<T> {
    /// Appends another report's contents.
    pub fn extend(&mut self, other: ImportReport<T>) {
        self.imported.extend(other.imported);
        self.skipped.extend(other.skipped);
        self.warnings.extend(other.warnings);
    }
}

/// An input that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file or directory failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A zip archive is unreadable (truncated, not a zip).
    #[error("zip archive {path} is unreadable (truncated or corrupt): {source}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A feed document is not in the expected format at all.
    #[error("{path}: not a valid {format} document: {reason}")]
    Format {
        /// The file (or the name given for an in-memory input).
        path: PathBuf,
        /// The expected format.
        format: &'static str,
        /// Parser message.
        reason: String,
    },
}

/// Whether `s` looks like an advisory identifier: `PREFIX-REST` with an
/// ASCII alphanumeric prefix starting with a letter and no whitespace
/// (`CVE-2024-1`, `GHSA-…`, `XSA-123`, `TEMP-0000000-ABCDEF`, and
/// Wireshark's lower-case `wnpa-sec-2017-18` that Alpine lists).
pub(crate) fn looks_like_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        && prefix.as_bytes()[0].is_ascii_alphabetic()
        && !rest.is_empty()
        && s.len() <= limits::MAX_ID_LEN
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Reads at most [`limits::MAX_FILE_BYTES`] from a file.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    f.take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(Error::Format {
            path: path.to_path_buf(),
            format: "feed",
            reason: format!("larger than {} bytes", limits::MAX_FILE_BYTES),
        });
    }
    Ok(buf)
}

/// A feed file's content, gunzipped when compressed, and its name for
/// messages.
pub(crate) fn read_feed(path: &std::path::Path) -> Result<(Vec<u8>, String), Error> {
    let data = read_file(path)?;
    let name = path.display().to_string();
    let data = maybe_gunzip(&data, &name)?;
    Ok((data, name))
}

/// Reads gzip-compressed data (detected by magic) or returns it unchanged.
/// Data that decompresses to more than four times [`limits::MAX_FILE_BYTES`]
/// is an error (a decompression bomb or a feed far larger than any real
/// one), not silently cut short.
pub(crate) fn maybe_gunzip(data: &[u8], name: &str) -> Result<Vec<u8>, Error> {
    gunzip_within(data, name, limits::MAX_FILE_BYTES * 4)
}

fn gunzip_within(data: &[u8], name: &str, limit: u64) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    if !data.starts_with(&[0x1f, 0x8b]) {
        return Ok(data.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| Error::Io {
            path: name.into(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(Error::Format {
            path: name.into(),
            format: "gzip feed",
            reason: format!("decompresses to more than {limit} bytes"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_over_the_limit_is_an_error() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[0u8; 4096]).expect("gzip");
        let gz = gz.finish().expect("gzip");
        assert_eq!(
            gunzip_within(&gz, "feed.gz", 4096)
                .expect("at the limit")
                .len(),
            4096
        );
        let err = gunzip_within(&gz, "feed.gz", 4095).expect_err("over the limit");
        assert!(err.to_string().contains("feed.gz"), "{err}");
        assert_eq!(gunzip_within(b"plain", "p", 1).expect("not gzip"), b"plain");
    }

    #[test]
    fn id_shapes() {
        assert!(looks_like_id("CVE-2024-1234"));
        assert!(looks_like_id("GHSA-abcd-efgh-ijkl"));
        assert!(looks_like_id("XSA-123"));
        assert!(looks_like_id("wnpa-sec-2017-18"));
        assert!(!looks_like_id("2024-1"));
        assert!(!looks_like_id("CVE-"));
        assert!(!looks_like_id("CVE-2024 1"));
        assert!(!looks_like_id("nonsense"));
    }
}
