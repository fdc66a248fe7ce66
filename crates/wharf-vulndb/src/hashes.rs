//! Hash-intelligence lists: file hashes of known malware.
//!
//! Three line formats are read, chosen by the list's file name:
//!
//! * ClamAV `.hdb` / `.hdu` — `HASH:SIZE:NAME` (classically MD5);
//! * ClamAV `.hsb` / `.hsu` — `HASH:SIZE:NAME[:FLEVEL]`, where `SIZE` may
//!   be `*` (unknown) and is then followed by a minimum functionality level
//!   (`:73`);
//! * plain lists (any other name) — `HASH`, or `HASH  NAME` as written by
//!   `sha256sum` (`HASH *NAME` too), or `HASH,NAME` / `HASH;NAME`.
//!
//! In every format the algorithm follows from the length of the hex digest
//! (32: MD5, 40: SHA-1, 64: SHA-256), lines starting with `#` and blank
//! lines are ignored, and a line that cannot be read is reported in
//! [`ImportReport::skipped`] as `FILE:LINE` with the reason, never aborting
//! the import. Gzip-compressed lists are accepted.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, ImportReport, Skipped};

pub use wharf_types::HashAlgorithm;

/// One known-bad file hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HashSignature {
    /// Digest algorithm.
    pub algorithm: HashAlgorithm,
    /// Lowercase hex digest.
    pub hash: String,
    /// File size in bytes when the list gives one.
    pub size: Option<u64>,
    /// Signature (malware) name.
    pub name: String,
}

/// Line format of a hash list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashListFormat {
    /// ClamAV `.hdb`/`.hdu`: `HASH:SIZE:NAME`.
    ClamavHdb,
    /// ClamAV `.hsb`/`.hsu`: `HASH:SIZE:NAME[:FLEVEL]`, `SIZE` may be `*`.
    ClamavHsb,
    /// `HASH [NAME]` per line.
    Plain,
}

impl HashListFormat {
    /// The format a list's file name (or URL) implies; a trailing `.gz` is
    /// looked through.
    pub fn from_name(name: &str) -> Self {
        let name = name.trim_end_matches('/');
        let name = name.strip_suffix(".gz").unwrap_or(name);
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "hdb" | "hdu" => Self::ClamavHdb,
            "hsb" | "hsu" => Self::ClamavHsb,
            _ => Self::Plain,
        }
    }
}

/// Whether a source location names a ClamAV hash database by its
/// extension (`.hdb`, `.hsb`, `.hdu`, `.hsu`, optionally gzipped).
pub fn is_clamav_hash_db(location: &str) -> bool {
    !matches!(HashListFormat::from_name(location), HashListFormat::Plain)
}

/// Longest signature name kept (bytes); longer names are cut.
const MAX_NAME_LEN: usize = 256;

/// Parses one hash list. `origin` names it in skipped-line reports and is
/// the default signature name of plain-list lines without one.
pub fn parse_list(
    data: &[u8],
    format: HashListFormat,
    origin: &str,
) -> ImportReport<HashSignature> {
    let mut report = ImportReport::default();
    let text = String::from_utf8_lossy(data);
    let default_name = origin
        .rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(origin);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = match format {
            HashListFormat::ClamavHdb | HashListFormat::ClamavHsb => parse_clamav(line),
            HashListFormat::Plain => parse_plain(line, default_name),
        };
        match parsed {
            Ok(sig) => report.imported.push(sig),
            Err(reason) => report
                .skipped
                .push(Skipped::new(format!("{origin}:{}", i + 1), reason)),
        }
    }
    report
}

fn parse_hex(s: &str) -> Result<(HashAlgorithm, String), String> {
    let s = s.trim();
    let algorithm = HashAlgorithm::from_hex_len(s.len()).ok_or_else(|| {
        format!(
            "hash of {} characters is not an MD5, SHA-1 or SHA-256 hex digest",
            s.len()
        )
    })?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("hash is not hexadecimal".into());
    }
    Ok((algorithm, s.to_ascii_lowercase()))
}

fn clean_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty signature name".into());
    }
    let mut end = s.len().min(MAX_NAME_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Ok(s[..end].chars().filter(|c| !c.is_control()).collect())
}

fn parse_clamav(line: &str) -> Result<HashSignature, String> {
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 3 {
        return Err("expected HASH:SIZE:NAME".into());
    }
    let (algorithm, hash) = parse_hex(fields[0])?;
    let size = match fields[1].trim() {
        "*" => {
            // ClamAV requires a functionality level of at least 73 for
            // size-less hashes; a missing or malformed one is tolerated.
            None
        }
        s => Some(
            s.parse::<u64>()
                .map_err(|_| format!("size {s:?} is neither a number nor `*`"))?,
        ),
    };
    if fields.len() > 4 {
        return Err("too many fields (expected HASH:SIZE:NAME[:FLEVEL])".into());
    }
    if let Some(fl) = fields.get(3)
        && !fl.trim().is_empty()
        && fl.trim().parse::<u32>().is_err()
    {
        return Err(format!("functionality level {fl:?} is not a number"));
    }
    Ok(HashSignature {
        algorithm,
        hash,
        size,
        name: clean_name(fields[2])?,
    })
}

fn parse_plain(line: &str, default_name: &str) -> Result<HashSignature, String> {
    let end = line
        .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .unwrap_or(line.len());
    let (hex, rest) = line.split_at(end);
    let (algorithm, hash) = parse_hex(hex)?;
    let rest = rest
        .trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .trim_start_matches('*');
    let name = if rest.trim().is_empty() {
        default_name.to_owned()
    } else {
        clean_name(rest)?
    };
    Ok(HashSignature {
        algorithm,
        hash,
        size: None,
        name,
    })
}

/// Imports a hash list file, or every regular file of a directory
/// (recursively, in path order). `name` is the list's name as given by
/// the user (path or URL): its extension chooses the format of a single
/// file; the files of a directory are chosen by their own names.
pub fn import_path(path: &Path, name: &str) -> Result<ImportReport<HashSignature>, Error> {
    let mut report = ImportReport::default();
    if path.is_dir() {
        let mut files = Vec::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            for e in entries {
                let e = e.map_err(|source| Error::Io {
                    path: dir.clone(),
                    source,
                })?;
                let t = e.file_type().map_err(|source| Error::Io {
                    path: e.path(),
                    source,
                })?;
                if t.is_dir() {
                    stack.push(e.path());
                } else if t.is_file() {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in files {
            let display = f.display().to_string();
            let data = crate::maybe_gunzip(&crate::read_file(&f)?, &display)?;
            report.extend(parse_list(
                &data,
                HashListFormat::from_name(&display),
                &display,
            ));
        }
    } else {
        let data = crate::maybe_gunzip(&crate::read_file(path)?, name)?;
        report = parse_list(&data, HashListFormat::from_name(name), name);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
    const SHA1: &str = "3395856ce81f2b7382dee72602f798b642f14140";
    const SHA256: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

    #[test]
    fn formats_from_names() {
        assert_eq!(
            HashListFormat::from_name("a/b.hdb"),
            HashListFormat::ClamavHdb
        );
        assert_eq!(
            HashListFormat::from_name("x.HDU"),
            HashListFormat::ClamavHdb
        );
        assert_eq!(
            HashListFormat::from_name("https://h/x.hsb.gz"),
            HashListFormat::ClamavHsb
        );
        assert_eq!(
            HashListFormat::from_name("x.hsu"),
            HashListFormat::ClamavHsb
        );
        assert_eq!(
            HashListFormat::from_name("full_sha256.txt"),
            HashListFormat::Plain
        );
        assert_eq!(HashListFormat::from_name("noext"), HashListFormat::Plain);
        assert!(is_clamav_hash_db("/db/custom.hsb"));
        assert!(!is_clamav_hash_db("/db/list.txt"));
    }

    #[test]
    fn clamav_lines() {
        let text = format!(
            "# comment\n\
             {MD5}:68:Eicar-Test-Signature\n\
             {SHA1}:68:Eicar.Sha1\n\
             {SHA256}:*:Eicar.Sha256:73\n\
             {SHA256}:68:Eicar.Sha256.Sized\n\
             \n\
             zz{}:68:BadHex\n\
             {MD5}:big:BadSize\n\
             {MD5}:68\n\
             abc:1:Short\n\
             {MD5}:1:Name:notanumber\n",
            &MD5[2..]
        );
        let r = parse_list(text.as_bytes(), HashListFormat::ClamavHsb, "custom.hsb");
        assert_eq!(r.imported.len(), 4, "{:?}", r.skipped);
        assert_eq!(r.imported[0].algorithm, HashAlgorithm::Md5);
        assert_eq!(r.imported[0].size, Some(68));
        assert_eq!(r.imported[0].name, "Eicar-Test-Signature");
        assert_eq!(r.imported[1].algorithm, HashAlgorithm::Sha1);
        assert_eq!(r.imported[2].algorithm, HashAlgorithm::Sha256);
        assert_eq!(r.imported[2].size, None);
        assert_eq!(r.imported[3].size, Some(68));
        let what: Vec<&str> = r.skipped.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "custom.hsb:7",
                "custom.hsb:8",
                "custom.hsb:9",
                "custom.hsb:10",
                "custom.hsb:11"
            ]
        );
        assert!(
            r.skipped[0].reason.contains("hexadecimal"),
            "{:?}",
            r.skipped[0]
        );
        assert!(r.skipped[1].reason.contains("size"));
    }

    #[test]
    fn plain_lines() {
        let text = format!(
            "# sha256sum output and bare hashes\n\
             {SHA256}  eicar.com\n\
             {SHA256} *eicar binary.com\n\
             {}\n\
             {MD5},Some.Name\n\
             not-a-hash\n",
            SHA1.to_uppercase()
        );
        let r = parse_list(text.as_bytes(), HashListFormat::Plain, "/lists/iocs.txt");
        assert_eq!(r.imported.len(), 4, "{:?}", r.skipped);
        assert_eq!(r.imported[0].name, "eicar.com");
        assert_eq!(r.imported[1].name, "eicar binary.com");
        assert_eq!(r.imported[2].hash, SHA1);
        assert_eq!(r.imported[2].name, "iocs.txt");
        assert_eq!(r.imported[3].name, "Some.Name");
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].what, "/lists/iocs.txt:6");
    }

    #[test]
    fn hostile_input_never_panics() {
        for s in [
            &b"\xff\xfe:::"[..],
            b"::::::::",
            b"*",
            b"\0\0\0",
            "é".repeat(1000).as_bytes(),
        ] {
            for f in [
                HashListFormat::ClamavHdb,
                HashListFormat::ClamavHsb,
                HashListFormat::Plain,
            ] {
                let _ = parse_list(s, f, "x");
            }
        }
        let long = format!("{MD5}:1:{}", "é".repeat(500));
        let r = parse_list(long.as_bytes(), HashListFormat::ClamavHdb, "x");
        assert!(r.imported[0].name.len() <= MAX_NAME_LEN);
    }
}
