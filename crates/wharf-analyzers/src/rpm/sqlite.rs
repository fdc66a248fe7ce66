//! Reader for the SQLite rpm database `rpmdb.sqlite` (rpm ≥ 4.16: Fedora
//! ≥ 33, RHEL/Rocky/Alma 9, CBL-Mariner 2, Azure Linux, Amazon Linux 2023).
//!
//! The header blobs are in `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`;
//! the other tables are indexes rpm derives from them. The file is opened
//! read-only through an `immutable=1` URI so SQLite neither takes locks nor
//! looks for (or creates) journal and WAL files next to it. `Packages` must
//! be a real table (a view could make the query arbitrarily expensive),
//! oversized blobs are rejected by the query itself before being loaded, the
//! number of rows is capped, and a file shorter than the size its SQLite
//! header declares is reported as truncated (SQLite would read the missing
//! pages as zeros).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, types::ValueRef};

/// Largest header blob accepted (rpm's own header size limit).
pub const MAX_BLOB: i64 = 256 * 1024 * 1024;
/// Most rows read from `Packages`.
pub const MAX_ROWS: usize = 200_000;

/// Why an rpm SQLite database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// SQLite could not open or query the file (not a database, corrupt,
    /// no `Packages` table…).
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// `Packages` is missing or not a table.
    #[error("no Packages table")]
    NoPackagesTable,
    /// A blob is larger than [`MAX_BLOB`] or not a blob.
    #[error("row {hnum}: {reason}")]
    BadRow {
        /// The row's `hnum`.
        hnum: i64,
        /// What is wrong.
        reason: &'static str,
    },
    /// More than [`MAX_ROWS`] rows.
    #[error("more than {MAX_ROWS} packages")]
    TooManyRows,
    /// The file is shorter than the size its SQLite header declares.
    #[error("truncated: header declares {declared} bytes, file has {actual}")]
    Truncated {
        /// Page count × page size from the database header.
        declared: u64,
        /// File length.
        actual: u64,
    },
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Calls `f` with every header blob of `Packages`, in `hnum` order. Stops at
/// the first error, from the database or from `f`.
pub fn for_each_blob<E: From<SqliteError>>(
    file: &Path,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    check_size(file)?;
    let conn = open(file)?;
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => SqliteError::NoPackagesTable,
            e => SqliteError::Sqlite(e),
        })?;
    if kind.as_deref() != Some("table") {
        return Err(SqliteError::NoPackagesTable.into());
    }
    let mut stmt = conn
        .prepare(
            "SELECT hnum, CASE WHEN length(blob) <= ?1 THEN blob END, typeof(blob) \
             FROM Packages ORDER BY hnum",
        )
        .map_err(SqliteError::from)?;
    let mut rows = stmt.query([MAX_BLOB]).map_err(SqliteError::from)?;
    let mut count = 0usize;
    while let Some(row) = rows.next().map_err(SqliteError::from)? {
        count += 1;
        if count > MAX_ROWS {
            return Err(SqliteError::TooManyRows.into());
        }
        let hnum: i64 = row.get(0).map_err(SqliteError::from)?;
        let bad = |reason| SqliteError::BadRow { hnum, reason };
        let blob = match row.get_ref(1).map_err(SqliteError::from)? {
            ValueRef::Blob(b) => b,
            ValueRef::Null => {
                let kind: String = row.get(2).map_err(SqliteError::from)?;
                let reason = if kind == "blob" {
                    "header blob too large"
                } else {
                    "no header blob"
                };
                return Err(bad(reason).into());
            }
            _ => return Err(bad("header is not a blob").into()),
        };
        f(blob)?;
    }
    Ok(())
}

/// SQLite reads a page missing at the end of a truncated file as zeros and
/// may not notice; the database header says how long the file must be. The
/// in-header size (offset 28, in pages) is trusted only when its validity
/// counter (offset 92) matches the change counter (offset 24), as SQLite
/// itself does. Page size is at offset 16 (1 means 65 536).
fn check_size(file: &Path) -> Result<(), SqliteError> {
    use std::io::Read as _;
    let mut handle = std::fs::File::open(file)?;
    let actual = handle.metadata()?.len();
    let mut head = [0u8; 100];
    if handle.read_exact(&mut head).is_err() {
        return Ok(()); // too short for a header: SQLite reports it
    }
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536u64,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    if pages == 0 || be32(24) != be32(92) || !page_size.is_power_of_two() || page_size < 512 {
        return Ok(());
    }
    let declared = pages.saturating_mul(page_size);
    if actual < declared {
        return Err(SqliteError::Truncated { declared, actual });
    }
    Ok(())
}

fn open(file: &Path) -> Result<Connection, SqliteError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(immutable_uri(file), flags)?;
    // Never run SQL functions stored in the schema of an untrusted file.
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    Ok(conn)
}

/// `file:<percent-encoded path>?immutable=1`.
fn immutable_uri(file: &Path) -> String {
    let mut uri = String::from("file:");
    for &b in path_bytes(file).iter() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

#[cfg(unix)]
fn path_bytes(file: &Path) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt as _;
    std::borrow::Cow::Borrowed(file.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(file: &Path) -> std::borrow::Cow<'_, [u8]> {
    // SQLite URIs use forward slashes; `C:\x` becomes `/C:/x`.
    let s = file.to_string_lossy().replace('\\', "/");
    let s = if s.starts_with('/') {
        s
    } else {
        format!("/{s}")
    };
    std::borrow::Cow::Owned(s.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(path: &Path) -> Result<Vec<Vec<u8>>, SqliteError> {
        let mut out = Vec::new();
        for_each_blob::<SqliteError>(path, |b| {
            out.push(b.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn uri_is_escaped() {
        assert_eq!(
            immutable_uri(Path::new("/tmp/a b?#%/rpmdb.sqlite")),
            "file:/tmp/a%20b%3F%23%25/rpmdb.sqlite?immutable=1"
        );
    }

    #[test]
    fn reads_packages_table() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("weird #name?.sqlite");
        {
            let conn = Connection::open(&path)?;
            conn.execute_batch(
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
                 INSERT INTO Packages (blob) VALUES (x'0102'), (x'03');",
            )?;
        }
        assert_eq!(blobs(&path)?, vec![vec![1, 2], vec![3]]);
        // The database was not modified and no journal was created.
        let names: Vec<_> = std::fs::read_dir(dir.path())?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1);
        Ok(())
    }

    #[test]
    fn rejects_views_text_and_missing_tables() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let view = dir.path().join("view.sqlite");
        Connection::open(&view)?.execute_batch(
            "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS hnum, x AS blob FROM c;",
        )?;
        assert!(matches!(blobs(&view), Err(SqliteError::NoPackagesTable)));

        let text = dir.path().join("text.sqlite");
        Connection::open(&text)?.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB); INSERT INTO Packages VALUES (1, 'text'), (2, NULL);",
        )?;
        assert!(matches!(
            blobs(&text),
            Err(SqliteError::BadRow {
                hnum: 1,
                reason: "header is not a blob"
            })
        ));

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)?.execute_batch("CREATE TABLE Other (x);")?;
        assert!(matches!(blobs(&other), Err(SqliteError::NoPackagesTable)));

        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, b"SQLite format 3\0 but then nothing useful")?;
        assert!(blobs(&garbage).is_err());
        Ok(())
    }
}
