//! RPM header blobs, as the rpm database stores them.
//!
//! A stored header is big-endian throughout:
//!
//! ```text
//! il: u32            number of index entries
//! dl: u32            size of the data store
//! il × { tag: u32, type: u32, offset: u32, count: u32 }
//! dl bytes           data store; offsets are relative to its start
//! ```
//!
//! Types: 0 NULL, 1 CHAR, 2 INT8, 3 INT16, 4 INT32, 5 INT64, 6 STRING (one
//! NUL-terminated string), 7 BIN (`count` bytes), 8 STRING_ARRAY and
//! 9 I18NSTRING (`count` NUL-terminated strings). The first entry is
//! normally a region tag (`HEADERIMMUTABLE`) whose data is a trailer
//! entry; entries appended after installation ("dribble" entries) follow
//! the region and override region entries with the same tag, so the last
//! entry for a tag wins here.
//!
//! Everything is bounds-checked: the entry count is capped at 65 535 and
//! the data store at 256 MiB (rpm's own limits), every entry must point
//! inside the data store, every array must fit in it, and the total size of
//! the reconstructed file paths is capped so that a small hostile header
//! cannot expand into gigabytes of strings.

/// `SIGMD5`: MD5 of header and payload (BIN, 16 bytes).
pub const TAG_SIGMD5: u32 = 261;
/// `NAME` (STRING).
pub const TAG_NAME: u32 = 1000;
/// `VERSION` (STRING).
pub const TAG_VERSION: u32 = 1001;
/// `RELEASE` (STRING).
pub const TAG_RELEASE: u32 = 1002;
/// `EPOCH` (INT32).
pub const TAG_EPOCH: u32 = 1003;
/// `SUMMARY` (I18NSTRING).
pub const TAG_SUMMARY: u32 = 1004;
/// `SIZE`: installed size in bytes (INT32).
pub const TAG_SIZE: u32 = 1009;
/// `VENDOR` (STRING).
pub const TAG_VENDOR: u32 = 1011;
/// `LICENSE` (STRING).
pub const TAG_LICENSE: u32 = 1014;
/// `ARCH` (STRING).
pub const TAG_ARCH: u32 = 1022;
/// `OLDFILENAMES`: full paths, in headers predating rpm 4.x compressed
/// file lists (STRING_ARRAY).
pub const TAG_OLDFILENAMES: u32 = 1027;
/// `SOURCERPM`: file name of the source rpm (STRING).
pub const TAG_SOURCERPM: u32 = 1044;
/// `DIRINDEXES`: per file, index into `DIRNAMES` (INT32 array).
pub const TAG_DIRINDEXES: u32 = 1116;
/// `BASENAMES`: per file, its name (STRING_ARRAY).
pub const TAG_BASENAMES: u32 = 1117;
/// `DIRNAMES`: directory names ending in `/` (STRING_ARRAY).
pub const TAG_DIRNAMES: u32 = 1118;
/// `LONGSIZE`: installed size when it does not fit 32 bits (INT64).
pub const TAG_LONGSIZE: u32 = 5009;
/// `MODULARITYLABEL`: `name:stream:version:context` (STRING).
pub const TAG_MODULARITYLABEL: u32 = 5096;

/// Most index entries in one header (rpm's `hdrchkTags`).
pub const MAX_ENTRIES: u32 = 0xffff;
/// Largest data store (rpm's `HEADER_DATA_MAX`).
pub const MAX_DATA: u32 = 256 * 1024 * 1024;
/// Largest total size of the file paths built from one header.
pub const MAX_FILE_PATH_BYTES: usize = 64 * 1024 * 1024;

const TYPE_NULL: u32 = 0;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Why a header blob was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than the 8 bytes of `il` and `dl`.
    #[error("header blob too short ({0} bytes)")]
    TooShort(usize),
    /// `il` is zero or above [`MAX_ENTRIES`].
    #[error("header has an invalid number of index entries ({0})")]
    BadEntryCount(u32),
    /// `dl` is above [`MAX_DATA`].
    #[error("header data store too large ({0} bytes)")]
    DataTooLarge(u32),
    /// The blob is shorter than `8 + 16 × il + dl`.
    #[error("header truncated: needs {needed} bytes, has {available}")]
    Truncated {
        /// Bytes the index says the header has.
        needed: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// An index entry has an unknown type or points outside the data store.
    #[error("tag {tag}: {reason}")]
    BadEntry {
        /// The entry's tag.
        tag: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// A tag rpm always writes is missing.
    #[error("header has no {0}")]
    Missing(&'static str),
    /// The file list is inconsistent or too large.
    #[error("invalid file list: {0}")]
    BadFileList(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// A parsed (index-validated) header borrowing the blob. Values are decoded
/// on demand by tag.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Parses the index of a stored header blob and checks that every entry
    /// lies inside the data store.
    pub fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let il = be_u32(blob, 0).ok_or(HeaderError::TooShort(blob.len()))?;
        let dl = be_u32(blob, 4).ok_or(HeaderError::TooShort(blob.len()))?;
        if il == 0 || il > MAX_ENTRIES {
            return Err(HeaderError::BadEntryCount(il));
        }
        if dl > MAX_DATA {
            return Err(HeaderError::DataTooLarge(dl));
        }
        // il ≤ 0xffff and dl ≤ 256 MiB: no overflow on any platform ≥ 32 bits.
        let index_len = il as usize * 16;
        let data_start = 8 + index_len;
        let needed = data_start + dl as usize;
        if blob.len() < needed {
            return Err(HeaderError::Truncated {
                needed,
                available: blob.len(),
            });
        }
        let data = blob.get(data_start..needed).ok_or(HeaderError::Truncated {
            needed,
            available: blob.len(),
        })?;
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = 8 + i * 16;
            let (Some(tag), Some(kind), Some(offset), Some(count)) = (
                be_u32(blob, at),
                be_u32(blob, at + 4),
                be_u32(blob, at + 8),
                be_u32(blob, at + 12),
            ) else {
                return Err(HeaderError::Truncated {
                    needed,
                    available: blob.len(),
                });
            };
            let entry = Entry {
                tag,
                kind,
                offset: offset as usize,
                count: count as usize,
            };
            check_entry(&entry, data.len())?;
            entries.push(entry);
        }
        Ok(Self { entries, data })
    }

    /// Whether the header has an entry for `tag`.
    pub fn has(&self, tag: u32) -> bool {
        self.entry(tag).is_some()
    }

    /// The first string of a STRING, STRING_ARRAY or I18NSTRING entry
    /// (lossily decoded as UTF-8), `None` when the tag is absent.
    pub fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        match entry.kind {
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => {}
            _ => return Err(bad(tag, "not a string")),
        }
        if entry.count == 0 {
            return Ok(None);
        }
        let bytes = self.data.get(entry.offset..).unwrap_or_default();
        let end = memchr::memchr(0, bytes).ok_or(bad(tag, "unterminated string"))?;
        let s = bytes.get(..end).unwrap_or_default();
        Ok(Some(String::from_utf8_lossy(s).into_owned()))
    }

    /// All strings of a STRING_ARRAY (or I18NSTRING / STRING) entry; empty
    /// when the tag is absent.
    pub fn string_array(&self, tag: u32) -> Result<Vec<String>, HeaderError> {
        Ok(self
            .string_slices(tag)?
            .into_iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect())
    }

    fn string_slices(&self, tag: u32) -> Result<Vec<&'a [u8]>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        match entry.kind {
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => {}
            _ => return Err(bad(tag, "not a string array")),
        }
        let count = if entry.kind == TYPE_STRING {
            entry.count.min(1)
        } else {
            entry.count
        };
        let mut rest = self.data.get(entry.offset..).unwrap_or_default();
        // Every string takes at least its NUL byte.
        if count > rest.len() {
            return Err(bad(tag, "more strings than data"));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let end = memchr::memchr(0, rest).ok_or(bad(tag, "unterminated string"))?;
            out.push(rest.get(..end).unwrap_or_default());
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        Ok(out)
    }

    /// The values of an INT32 entry; empty when the tag is absent.
    pub fn u32_array(&self, tag: u32) -> Result<Vec<u32>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if entry.kind != TYPE_INT32 {
            return Err(bad(tag, "not an INT32"));
        }
        // check_entry guaranteed offset + 4 × count ≤ dl.
        let bytes = self
            .data
            .get(entry.offset..entry.offset + entry.count * 4)
            .ok_or(bad(tag, "array outside data"))?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The first value of an INT32 entry.
    pub fn u32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        if entry.kind != TYPE_INT32 {
            return Err(bad(tag, "not an INT32"));
        }
        Ok(if entry.count == 0 {
            None
        } else {
            be_u32(self.data, entry.offset)
        })
    }

    /// The first value of an INT64 entry.
    pub fn u64(&self, tag: u32) -> Result<Option<u64>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        if entry.kind != TYPE_INT64 {
            return Err(bad(tag, "not an INT64"));
        }
        if entry.count == 0 {
            return Ok(None);
        }
        let bytes = self
            .data
            .get(entry.offset..entry.offset + 8)
            .ok_or(bad(tag, "value outside data"))?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(bytes);
        Ok(Some(u64::from_be_bytes(buf)))
    }

    /// The bytes of a BIN entry.
    pub fn binary(&self, tag: u32) -> Result<Option<&'a [u8]>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        if entry.kind != TYPE_BIN {
            return Err(bad(tag, "not BIN"));
        }
        self.data
            .get(entry.offset..entry.offset + entry.count)
            .map(Some)
            .ok_or(bad(tag, "value outside data"))
    }

    /// The installed file paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`,
    /// or `OLDFILENAMES` in old headers. Directories the package owns are
    /// included, as `rpm -ql` lists them.
    pub fn file_names(&self) -> Result<Vec<String>, HeaderError> {
        let basenames = self.string_slices(TAG_BASENAMES)?;
        if basenames.is_empty() {
            let old = self.string_slices(TAG_OLDFILENAMES)?;
            let total: usize = old.iter().map(|s| s.len()).sum();
            if total > MAX_FILE_PATH_BYTES {
                return Err(HeaderError::BadFileList("file paths too large"));
            }
            return Ok(old
                .into_iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect());
        }
        let dirnames = self.string_slices(TAG_DIRNAMES)?;
        let dirindexes = self.u32_array(TAG_DIRINDEXES)?;
        if dirindexes.len() != basenames.len() {
            return Err(HeaderError::BadFileList(
                "DIRINDEXES and BASENAMES differ in length",
            ));
        }
        let mut total = 0usize;
        let mut files = Vec::with_capacity(basenames.len());
        for (base, &index) in basenames.iter().zip(&dirindexes) {
            let dir = dirnames
                .get(index as usize)
                .ok_or(HeaderError::BadFileList("directory index out of range"))?;
            total = total.saturating_add(dir.len() + base.len());
            if total > MAX_FILE_PATH_BYTES {
                return Err(HeaderError::BadFileList("file paths too large"));
            }
            let mut path = String::from_utf8_lossy(dir).into_owned();
            path.push_str(&String::from_utf8_lossy(base));
            files.push(path);
        }
        Ok(files)
    }

    /// The last entry for `tag` (dribble entries override the region).
    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag)
    }
}

/// The fields wharf reads from a package header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderInfo {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<u32>,
    /// `ARCH`.
    pub arch: Option<String>,
    /// `SUMMARY` (first locale).
    pub summary: Option<String>,
    /// Installed size in bytes (`SIZE`, or `LONGSIZE`).
    pub size: Option<u64>,
    /// `VENDOR`.
    pub vendor: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// `SOURCERPM` (`glibc-2.34-2.cm2.src.rpm`).
    pub source_rpm: Option<String>,
    /// `MODULARITYLABEL`.
    pub modularity_label: Option<String>,
    /// `SIGMD5` as lowercase hex.
    pub sigmd5: Option<String>,
    /// Installed files and directories (absolute paths).
    pub files: Vec<String>,
}

impl HeaderInfo {
    /// Parses a stored header blob and extracts the package fields.
    pub fn parse(blob: &[u8]) -> Result<Self, HeaderError> {
        Self::from_header(&Header::parse(blob)?)
    }

    /// Extracts the package fields from a parsed header. `NAME`, `VERSION`
    /// and `RELEASE` are required; empty strings and rpm's `(none)`
    /// placeholder count as absent for the optional string fields. A broken
    /// file list (directory index out of range, paths over
    /// [`MAX_FILE_PATH_BYTES`]…) does not reject the package: `files` is left
    /// empty and a warning is logged ([`Header::file_names`] reports the
    /// error itself).
    pub fn from_header(h: &Header<'_>) -> Result<Self, HeaderError> {
        let required = |tag, what| {
            h.string(tag).and_then(|s| {
                s.filter(|s| !s.is_empty())
                    .ok_or(HeaderError::Missing(what))
            })
        };
        let optional = |tag| -> Result<Option<String>, HeaderError> {
            Ok(h.string(tag)?.filter(|s| !s.is_empty() && s != "(none)"))
        };
        let size = match h.u32(TAG_SIZE)? {
            Some(size) => Some(u64::from(size)),
            None => h.u64(TAG_LONGSIZE)?,
        };
        Ok(Self {
            name: required(TAG_NAME, "NAME")?,
            version: required(TAG_VERSION, "VERSION")?,
            release: required(TAG_RELEASE, "RELEASE")?,
            epoch: h.u32(TAG_EPOCH)?,
            arch: optional(TAG_ARCH)?,
            summary: optional(TAG_SUMMARY)?,
            size,
            vendor: optional(TAG_VENDOR)?,
            license: optional(TAG_LICENSE)?,
            source_rpm: optional(TAG_SOURCERPM)?,
            modularity_label: optional(TAG_MODULARITYLABEL)?,
            sigmd5: h.binary(TAG_SIGMD5)?.map(hex_lower),
            files: h.file_names().unwrap_or_else(|error| {
                // The package itself is fine; only its file list is unusable.
                tracing::warn!(%error, "rpm header: file list ignored");
                Vec::new()
            }),
        })
    }
}

fn check_entry(e: &Entry, dl: usize) -> Result<(), HeaderError> {
    let width = match e.kind {
        TYPE_NULL => return Ok(()),
        1 | 2 | TYPE_BIN => 1,
        3 => 2,
        TYPE_INT32 => 4,
        TYPE_INT64 => 8,
        TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => {
            // Strings are validated when read; the first byte must exist.
            if e.count > 0 && e.offset >= dl {
                return Err(bad(e.tag, "offset outside data"));
            }
            return Ok(());
        }
        _ => return Err(bad(e.tag, "unknown type")),
    };
    let end = e
        .count
        .checked_mul(width)
        .and_then(|len| len.checked_add(e.offset))
        .ok_or(bad(e.tag, "length overflow"))?;
    if end > dl || (e.count > 0 && e.offset >= dl) {
        return Err(bad(e.tag, "value outside data"));
    }
    Ok(())
}

fn bad(tag: u32, reason: &'static str) -> HeaderError {
    HeaderError::BadEntry { tag, reason }
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from `(tag, type, count, data)` entries.
    pub(crate) fn build(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, count, bytes) in entries {
            let align = match kind {
                3 => 2,
                4 => 4,
                5 => 8,
                _ => 1,
            };
            while data.len() % align != 0 {
                data.push(0);
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&kind.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    pub(crate) fn s(v: &str) -> (u32, Vec<u8>) {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        (1, b)
    }

    pub(crate) fn arr(vs: &[&str]) -> (u32, Vec<u8>) {
        let mut b = Vec::new();
        for v in vs {
            b.extend_from_slice(v.as_bytes());
            b.push(0);
        }
        (vs.len() as u32, b)
    }

    pub(crate) fn sample() -> Vec<u8> {
        let str_entry = |tag, v: &str| {
            let (count, bytes) = s(v);
            (tag, TYPE_STRING, count, bytes)
        };
        let (bn_count, bn) = arr(&["curl", "COPYING", "curl"]);
        let (dn_count, dn) = arr(&[
            "/usr/bin/",
            "/usr/share/licenses/",
            "/usr/share/licenses/curl/",
        ]);
        let mut dirindexes = Vec::new();
        for i in [0u32, 2, 1] {
            dirindexes.extend_from_slice(&i.to_be_bytes());
        }
        build(&[
            (TAG_SIGMD5, TYPE_BIN, 4, vec![0xb5, 0xf5, 0x36, 0x9a]),
            str_entry(TAG_NAME, "curl"),
            str_entry(TAG_VERSION, "7.76.0"),
            str_entry(TAG_RELEASE, "6.cm2"),
            (TAG_EPOCH, TYPE_INT32, 1, 2u32.to_be_bytes().to_vec()),
            (
                TAG_SUMMARY,
                TYPE_I18NSTRING,
                1,
                s("An URL retrieval utility").1,
            ),
            (TAG_SIZE, TYPE_INT32, 1, 326_023u32.to_be_bytes().to_vec()),
            str_entry(TAG_VENDOR, "(none)"),
            str_entry(TAG_LICENSE, "MIT"),
            str_entry(TAG_ARCH, "x86_64"),
            str_entry(TAG_SOURCERPM, "curl-7.76.0-6.cm2.src.rpm"),
            (TAG_DIRINDEXES, TYPE_INT32, 3, dirindexes),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, bn_count, bn),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, dn_count, dn),
            // A dribble entry overriding the region's RELEASE.
            str_entry(TAG_RELEASE, "7.cm2"),
        ])
    }

    #[test]
    fn parses_sample() {
        let info = HeaderInfo::parse(&sample()).expect("parse");
        assert_eq!(info.name, "curl");
        assert_eq!(info.version, "7.76.0");
        assert_eq!(info.release, "7.cm2");
        assert_eq!(info.epoch, Some(2));
        assert_eq!(info.summary.as_deref(), Some("An URL retrieval utility"));
        assert_eq!(info.size, Some(326_023));
        assert_eq!(info.vendor, None);
        assert_eq!(info.license.as_deref(), Some("MIT"));
        assert_eq!(info.sigmd5.as_deref(), Some("b5f5369a"));
        assert_eq!(
            info.files,
            [
                "/usr/bin/curl",
                "/usr/share/licenses/curl/COPYING",
                "/usr/share/licenses/curl"
            ]
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let blob = sample();
        for len in 0..blob.len() {
            assert!(HeaderInfo::parse(&blob[..len]).is_err(), "len {len}");
        }
    }

    #[test]
    fn hostile_indexes() {
        // il = 0, huge il, huge dl.
        assert_eq!(
            Header::parse(&[0, 0, 0, 0, 0, 0, 0, 0]).err(),
            Some(HeaderError::BadEntryCount(0))
        );
        assert!(matches!(
            Header::parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
            Err(HeaderError::BadEntryCount(_))
        ));
        assert!(matches!(
            Header::parse(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
            Err(HeaderError::DataTooLarge(_))
        ));
        // INT32 array whose count overflows the data store.
        let blob = build(&[(TAG_DIRINDEXES, TYPE_INT32, 0x4000_0000, vec![0; 4])]);
        assert!(Header::parse(&blob).is_err());
        // Unknown type.
        let blob = build(&[(TAG_NAME, 42, 1, vec![0; 4])]);
        assert!(Header::parse(&blob).is_err());
        // Unterminated string and absurd string count.
        let blob = build(&[(TAG_NAME, TYPE_STRING, 1, b"abc".to_vec())]);
        let h = Header::parse(&blob).expect("index is fine");
        assert!(h.string(TAG_NAME).is_err());
        let blob = build(&[(TAG_BASENAMES, TYPE_STRING_ARRAY, u32::MAX, b"a\0".to_vec())]);
        let h = Header::parse(&blob).expect("index is fine");
        assert!(h.string_array(TAG_BASENAMES).is_err());
        // Directory index out of range.
        let (c, b) = arr(&["x"]);
        let blob = build(&[
            (TAG_BASENAMES, TYPE_STRING_ARRAY, c, b),
            (TAG_DIRINDEXES, TYPE_INT32, 1, 7u32.to_be_bytes().to_vec()),
        ]);
        let h = Header::parse(&blob).expect("index is fine");
        assert!(h.file_names().is_err());
        // Wrong type for a known tag.
        let blob = build(&[(TAG_EPOCH, TYPE_STRING, 1, b"1\0".to_vec())]);
        let h = Header::parse(&blob).expect("index is fine");
        assert!(h.u32(TAG_EPOCH).is_err());
    }

    #[test]
    fn path_expansion_is_capped() {
        // One 1 MiB directory name referenced by many basenames.
        let big = "d".repeat(1 << 20);
        let (dc, db) = arr(&[&big]);
        let n = 100u32;
        let names: Vec<&str> = (0..n).map(|_| "f").collect();
        let (bc, bb) = arr(&names);
        let blob = build(&[
            (TAG_DIRINDEXES, TYPE_INT32, n, vec![0; 4 * n as usize]),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, bc, bb),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, dc, db),
        ]);
        let h = Header::parse(&blob).expect("index is fine");
        assert_eq!(
            h.file_names(),
            Err(HeaderError::BadFileList("file paths too large"))
        );
    }
}
