//! Readers that verify a digest while bytes pass, and a bridge from an
//! async byte stream to the blocking reader the layer walk needs.

use std::io::{self, Read};

use bytes::Bytes;
use wharf_types::{Digest, Digester};

/// Hashes everything read; at end of input, a digest that differs from the
/// expected one turns EOF into an error, so a tampered layer never looks
/// complete.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Digester>,
    expected: Digest,
    what: String,
}

impl<R: Read> VerifyingReader<R> {
    /// Verify `inner` against `expected`; `what` names it in errors.
    pub fn new(inner: R, expected: Digest, what: impl Into<String>) -> Self {
        Self {
            hasher: Some(Digester::new(expected.algorithm())),
            inner,
            expected,
            what: what.into(),
        }
    }

    /// Read whatever is left and check the digest.
    pub fn finish(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
        } else if !buf.is_empty()
            && let Some(h) = self.hasher.take()
        {
            let actual = h.finish();
            if actual != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: digest mismatch: expected {}, got {actual}",
                        self.what, self.expected
                    ),
                ));
            }
        }
        Ok(n)
    }
}

/// A blocking reader fed by an async task through a bounded channel, so a
/// network stream can drive the (blocking) tar walk with bounded memory.
pub struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    /// A reader over what is sent to the returned sender.
    pub fn new(capacity: usize) -> (tokio::sync::mpsc::Sender<io::Result<Bytes>>, Self) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        (
            tx,
            Self {
                rx,
                current: Bytes::new(),
            },
        )
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_at_end() {
        let d = Digest::sha256_of(b"hello");
        let mut ok = Vec::new();
        VerifyingReader::new(&b"hello"[..], d.clone(), "blob")
            .read_to_end(&mut ok)
            .expect("matches");
        let err = VerifyingReader::new(&b"jello"[..], d, "blob")
            .read_to_end(&mut Vec::new())
            .expect_err("tampered");
        assert!(err.to_string().contains("blob: digest mismatch"), "{err}");
    }
}
