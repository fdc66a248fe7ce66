//! The single pass over a layer's tar stream.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::path::{WHITEOUT_OPAQUE, WHITEOUT_PREFIX, normalize};
use crate::read::{Compression, Counting, Guard, Piped, Tripped, Uncompressed, sniff};

/// Caps that keep a hostile layer from exhausting memory, disk or time.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most uncompressed bytes in one layer.
    pub max_uncompressed: u64,
    /// Highest uncompressed/compressed ratio tolerated once more than
    /// `ratio_floor` bytes have been decompressed.
    pub max_ratio: u64,
    /// Uncompressed size below which the ratio is not checked.
    pub ratio_floor: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
    /// Longest path accepted.
    pub max_path_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_uncompressed: 64 << 30,
            max_ratio: 1000,
            ratio_floor: 256 << 20,
            max_entries: 5_000_000,
            max_path_len: 4096,
        }
    }
}

/// What a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// Regular file (content readable from [`Entry::reader`]).
    File,
    /// Directory.
    Dir,
    /// Symbolic link, with its target as written (relative or absolute;
    /// never followed here).
    Symlink(String),
    /// Hard link to another path of the same layer (normalised).
    Hardlink(String),
    /// Whiteout: the normalised path it deletes from lower layers.
    Whiteout(String),
    /// Opaque marker: the directory whose lower-layer content is hidden
    /// (empty string for the root).
    OpaqueDir(String),
    /// Character or block device.
    Device,
    /// Named pipe.
    Fifo,
    /// Anything else tar can hold (sockets, unknown types).
    Other,
}

/// One entry, handed to the walk's callback.
pub struct Entry<'a> {
    /// Normalised path (relative, no `.`/`..`, no trailing slash).
    pub path: &'a str,
    /// Kind.
    pub kind: &'a EntryKind,
    /// Content size in bytes (files).
    pub size: u64,
    /// Permission bits and setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    /// The file's content (empty for other kinds). Unread bytes are skipped.
    pub reader: &'a mut dyn Read,
}

/// An entry deliberately not handed to the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path as written in the tar (lossy UTF-8).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What a walk saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkSummary {
    /// Compression found.
    pub compression: Compression,
    /// Entries read.
    pub entries: u64,
    /// Regular files among them.
    pub files: u64,
    /// Bytes of tar read (uncompressed).
    pub uncompressed_bytes: u64,
    /// Bytes of compressed input consumed.
    pub compressed_bytes: u64,
    /// Entries skipped, with reasons (at most 1,000 kept).
    pub skipped: Vec<Skipped>,
}

/// Why a layer could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// Decompressed size or ratio over the limits: a decompression bomb, or
    /// a layer too large for the configured caps.
    #[error("decompression bomb or oversized layer: {0}")]
    Bomb(String),
    /// More entries than allowed.
    #[error("more than {0} tar entries")]
    TooManyEntries(u64),
    /// The compressed stream is truncated or corrupt.
    #[error("corrupt or truncated {compression:?} stream after {offset} bytes: {reason}")]
    Compression {
        /// The compression in use.
        compression: Compression,
        /// Compressed bytes consumed when it failed.
        offset: u64,
        /// The decoder's message.
        reason: String,
    },
    /// The tar structure is invalid or truncated.
    #[error("invalid tar stream near entry {entry} ({path}): {reason}")]
    Tar {
        /// Entries read before the failure.
        entry: u64,
        /// Last path read.
        path: String,
        /// The tar reader's message.
        reason: String,
    },
    /// The callback asked to stop.
    #[error("{0}")]
    Visitor(String),
}

const MAX_SKIPPED_KEPT: usize = 1000;

/// Passes reads through and keeps the first I/O error seen.
struct Recording<'a, R> {
    inner: R,
    error: &'a std::cell::RefCell<Option<io::Error>>,
}

impl<R: Read> Read for Recording<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            let mut slot = self.error.borrow_mut();
            if slot.is_none() {
                *slot = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

/// Walk a layer stream once, calling `on_entry` for every entry that is
/// safe to consider. See the crate documentation for what is checked.
///
/// A compressed stream is decompressed on a thread of its own, a chunk
/// ahead of the tar parser and the callback, so that decompression and
/// whatever the callback does overlap on a multi-core machine.
pub fn walk<R: Read + Send>(
    input: R,
    limits: &Limits,
    on_entry: impl FnMut(Entry<'_>) -> Result<(), LayerError>,
) -> Result<WalkSummary, LayerError> {
    let compressed = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: input,
            count: compressed.clone(),
        },
    );
    let prefix = raw.fill_buf().map_err(|e| LayerError::Compression {
        compression: Compression::None,
        offset: 0,
        reason: e.to_string(),
    })?;
    let compression = sniff(prefix);
    let decoded: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => {
            Box::new(
                zstd::Decoder::with_buffer(raw).map_err(|e| LayerError::Compression {
                    compression,
                    offset: 0,
                    reason: e.to_string(),
                })?,
            )
        }
        Compression::None => Box::new(raw),
    };
    let tripped = Arc::new(Mutex::new(None));
    let guard = Guard {
        inner: decoded,
        compressed: compressed.clone(),
        uncompressed: 0,
        max_total: limits.max_uncompressed,
        max_ratio: limits.max_ratio,
        ratio_floor: limits.ratio_floor,
        tripped: tripped.clone(),
    };
    let context = Context {
        limits,
        compression,
        compressed: &compressed,
        tripped: &tripped,
    };
    if compression == Compression::None {
        walk_tar(guard, &context, on_entry)
    } else {
        std::thread::scope(|scope| walk_tar(Piped::spawn(scope, guard), &context, on_entry))
    }
}

/// What [`walk_tar`] needs to know about the stream beneath the tar.
struct Context<'a> {
    limits: &'a Limits,
    compression: Compression,
    /// Compressed bytes read so far.
    compressed: &'a AtomicU64,
    /// Which size cap cut the stream off, if one did.
    tripped: &'a Mutex<Option<Tripped>>,
}

fn walk_tar<S: Uncompressed>(
    source: S,
    context: &Context<'_>,
    mut on_entry: impl FnMut(Entry<'_>) -> Result<(), LayerError>,
) -> Result<WalkSummary, LayerError> {
    let Context {
        limits,
        compression,
        compressed,
        tripped,
    } = *context;
    let mut archive = tar::Archive::new(source);
    let mut summary = WalkSummary {
        compression,
        entries: 0,
        files: 0,
        uncompressed_bytes: 0,
        compressed_bytes: 0,
        skipped: Vec::new(),
    };
    let mut last_path = String::new();
    // Turn an I/O error from deep inside the reader stack into the right error.
    let classify = |e: io::Error, entry: u64, path: &str| -> LayerError {
        if let Some(t) = tripped.lock().ok().and_then(|g| *g) {
            return LayerError::Bomb(match t {
                Tripped::Total => {
                    format!("more than {} bytes uncompressed", limits.max_uncompressed)
                }
                Tripped::Ratio => format!("compression ratio above {}:1", limits.max_ratio),
            });
        }
        let offset = compressed.load(Ordering::Relaxed);
        let msg = e.to_string();
        let decoder_failure = compression != Compression::None
            && (e.kind() == io::ErrorKind::UnexpectedEof
                || e.kind() == io::ErrorKind::InvalidInput
                || msg.contains("corrupt")
                || msg.contains("deflate")
                || msg.contains("header")
                || msg.contains("Unknown frame"));
        if decoder_failure {
            LayerError::Compression {
                compression,
                offset,
                reason: msg,
            }
        } else {
            LayerError::Tar {
                entry,
                path: path.to_owned(),
                reason: msg,
            }
        }
    };
    let entries = archive.entries().map_err(|e| classify(e, 0, ""))?;
    for item in entries {
        let mut entry = item.map_err(|e| classify(e, summary.entries, &last_path))?;
        summary.entries += 1;
        if summary.entries > limits.max_entries {
            return Err(LayerError::TooManyEntries(limits.max_entries));
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        last_path.clone_from(&raw_path);
        let mut skip = |reason: &str| {
            if summary.skipped.len() < MAX_SKIPPED_KEPT {
                summary.skipped.push(Skipped {
                    path: raw_path.clone(),
                    reason: reason.to_owned(),
                });
            }
        };
        if raw_path.len() > limits.max_path_len {
            skip("path too long");
            continue;
        }
        let entry_type = entry.header().entry_type();
        // The root directory entry (`./`) normalises to nothing: not an escape.
        let Some(path) = normalize(&raw_path) else {
            if !entry_type.is_dir() {
                skip("path escapes the layer root or is invalid");
            }
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(&path);
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        let kind = if name == WHITEOUT_OPAQUE {
            EntryKind::OpaqueDir(parent.to_owned())
        } else if let Some(deleted) = name.strip_prefix(WHITEOUT_PREFIX) {
            if deleted.is_empty() {
                skip("empty whiteout name");
                continue;
            }
            EntryKind::Whiteout(if parent.is_empty() {
                deleted.to_owned()
            } else {
                format!("{parent}/{deleted}")
            })
        } else if entry_type.is_file()
            || entry_type == tar::EntryType::Continuous
            || entry_type.is_gnu_sparse()
        {
            EntryKind::File
        } else if entry_type.is_dir() {
            EntryKind::Dir
        } else if entry_type.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            EntryKind::Symlink(target)
        } else if entry_type.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            match normalize(&target) {
                Some(t) => EntryKind::Hardlink(t),
                None => {
                    skip("hard link target escapes the layer root");
                    continue;
                }
            }
        } else if entry_type.is_character_special() || entry_type.is_block_special() {
            EntryKind::Device
        } else if entry_type.is_fifo() {
            EntryKind::Fifo
        } else {
            EntryKind::Other
        };
        let size = if kind == EntryKind::File {
            entry.size()
        } else {
            0
        };
        if kind == EntryKind::File {
            summary.files += 1;
        }
        let mode = entry.header().mode().unwrap_or(0) & 0o7777;
        let read_error = std::cell::RefCell::new(None);
        let mut recording = Recording {
            inner: &mut entry,
            error: &read_error,
        };
        let mut empty = io::empty();
        let reader: &mut dyn Read = if kind == EntryKind::File {
            &mut recording
        } else {
            &mut empty
        };
        let result = on_entry(Entry {
            path: &path,
            kind: &kind,
            size,
            mode,
            reader,
        });
        // An error while the callback read the content is the stream's fault
        // (truncation, corruption, a bomb), whatever the callback returned.
        if let Some(e) = read_error.into_inner() {
            return Err(classify(e, summary.entries, &last_path));
        }
        result?;
    }
    // Consume the end-of-archive padding and the compression trailer, so
    // truncation is detected and the caller's digest covers every byte.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| classify(e, summary.entries, &last_path))?;
    summary.uncompressed_bytes = rest.uncompressed();
    summary.compressed_bytes = compressed.load(Ordering::Relaxed);
    Ok(summary)
}
