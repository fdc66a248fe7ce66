//! Compression sniffing and the counting readers that enforce size limits.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A layer's compression, as found in its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `1f 8b`.
    Gzip,
    /// `28 b5 2f fd`.
    Zstd,
    /// Anything else: read as a plain tar.
    None,
}

/// Identify the compression from a stream's first bytes.
pub fn sniff(prefix: &[u8]) -> Compression {
    if prefix.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Counts bytes read through it into a shared counter.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.count.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// Why the uncompressed stream was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tripped {
    Total,
    Ratio,
}

/// Enforces the total-size and ratio caps on the decompressed stream; when
/// tripped, reads fail with an error and `tripped` says which cap.
pub(crate) struct Guard<R> {
    pub(crate) inner: R,
    pub(crate) compressed: Arc<AtomicU64>,
    pub(crate) uncompressed: u64,
    pub(crate) max_total: u64,
    pub(crate) max_ratio: u64,
    pub(crate) ratio_floor: u64,
    pub(crate) tripped: Arc<std::sync::Mutex<Option<Tripped>>>,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.uncompressed += n as u64;
        let trip = if self.uncompressed > self.max_total {
            Some(Tripped::Total)
        } else if self.uncompressed > self.ratio_floor
            && self.uncompressed / self.compressed.load(Ordering::Relaxed).max(1) > self.max_ratio
        {
            Some(Tripped::Ratio)
        } else {
            None
        };
        if let Some(t) = trip {
            if let Ok(mut g) = self.tripped.lock() {
                *g = Some(t);
            }
            return Err(io::Error::other("layer size limit exceeded"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff(b"etc/"), Compression::None);
        assert_eq!(sniff(&[]), Compression::None);
    }
}
