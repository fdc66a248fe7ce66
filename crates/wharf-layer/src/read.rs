//! Compression sniffing and the counting readers that enforce size limits.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::Scope;

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

/// A reader of the uncompressed stream that knows how much it delivered.
pub(crate) trait Uncompressed: Read {
    /// Uncompressed bytes read so far.
    fn uncompressed(&self) -> u64;
}

impl<R: Read> Uncompressed for Guard<R> {
    fn uncompressed(&self) -> u64 {
        self.uncompressed
    }
}

/// Size of the chunks [`Piped`] moves between threads.
const CHUNK: usize = 1 << 20;
/// Chunks decoded ahead of the reader.
const AHEAD: usize = 4;

/// Reads a stream on another thread, [`CHUNK`] bytes at a time and at
/// most [`AHEAD`] chunks ahead, so that producing the bytes (decompressing
/// them) overlaps with consuming them. An error of the inner reader is
/// handed over as is, after the bytes read before it; dropping the reader
/// stops the thread after at most one more chunk.
pub(crate) struct Piped {
    chunks: Receiver<io::Result<Vec<u8>>>,
    /// Emptied chunks go back to the thread to be refilled.
    spent: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    delivered: u64,
    failed: bool,
}

impl Piped {
    /// Starts reading `inner` on a thread of `scope`.
    pub(crate) fn spawn<'scope, R: Read + Send + 'scope>(
        scope: &'scope Scope<'scope, '_>,
        mut inner: R,
    ) -> Self {
        let (tx, chunks) = mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
        let (spent, recycled) = mpsc::channel::<Vec<u8>>();
        scope.spawn(move || {
            loop {
                let mut buf = recycled.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                let mut n = 0;
                while n < CHUNK {
                    match inner.read(&mut buf[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            buf.truncate(n);
                            if n > 0 && tx.send(Ok(buf)).is_err() {
                                return;
                            }
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
                if n == 0 {
                    return; // end of stream: the closed channel says so
                }
                buf.truncate(n);
                if tx.send(Ok(buf)).is_err() {
                    return; // the reader is gone
                }
            }
        });
        Self {
            chunks,
            spent,
            current: Vec::new(),
            pos: 0,
            delivered: 0,
            failed: false,
        }
    }
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.failed {
                return Err(io::Error::other("read after a failed read"));
            }
            match self.chunks.recv() {
                Ok(Ok(next)) => {
                    let old = std::mem::replace(&mut self.current, next);
                    self.pos = 0;
                    let _ = self.spent.send(old);
                }
                Ok(Err(e)) => {
                    self.failed = true;
                    return Err(e);
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        self.delivered += n as u64;
        Ok(n)
    }
}

impl Uncompressed for Piped {
    fn uncompressed(&self) -> u64 {
        self.delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_delivers_every_byte_then_the_error() {
        // 2.5 chunks, then an error from the inner reader.
        struct Source {
            data: Vec<u8>,
            pos: usize,
        }
        impl Read for Source {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.pos == self.data.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "corrupt deflate stream",
                    ));
                }
                // Short reads, as a decoder makes.
                let n = buf.len().min(self.data.len() - self.pos).min(70_000);
                buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
                self.pos += n;
                Ok(n)
            }
        }
        let data: Vec<u8> = (0..CHUNK * 5 / 2).map(|i| (i % 251) as u8).collect();
        std::thread::scope(|s| {
            let mut p = Piped::spawn(
                s,
                Source {
                    data: data.clone(),
                    pos: 0,
                },
            );
            let mut got = Vec::new();
            let err = p
                .read_to_end(&mut got)
                .expect_err("the inner error arrives");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(err.to_string(), "corrupt deflate stream");
            assert_eq!(got, data, "every byte before the error");
            assert_eq!(p.uncompressed(), data.len() as u64);
        });
        // A clean end of stream.
        std::thread::scope(|s| {
            let mut p = Piped::spawn(s, &data[..]);
            let mut got = Vec::new();
            p.read_to_end(&mut got).expect("clean end");
            assert_eq!(got, data);
        });
        // A reader dropped early stops the thread (the scope would hang otherwise).
        std::thread::scope(|s| {
            let mut p = Piped::spawn(s, io::repeat(7));
            let mut one = [0u8; 10];
            p.read_exact(&mut one).expect("bytes");
            drop(p);
        });
    }

    #[test]
    fn sniffs() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff(b"etc/"), Compression::None);
        assert_eq!(sniff(&[]), Compression::None);
    }
}
