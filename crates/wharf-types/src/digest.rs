//! Content digests (`sha256:…`) and incremental verification.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A hash algorithm allowed in OCI digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// SHA-256, the algorithm every registry uses.
    Sha256,
    /// SHA-512, registered by the OCI image spec and rarely used.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's name as it appears before the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// Why a string is not a valid digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// No `algorithm:` prefix.
    #[error("digest {0:?} has no algorithm prefix (expected sha256:<hex>)")]
    MissingAlgorithm(String),
    /// An algorithm wharf cannot verify.
    #[error("digest {0:?} uses an unsupported algorithm (supported: sha256, sha512)")]
    UnsupportedAlgorithm(String),
    /// Hex part of the wrong length or with non-lowercase-hex characters.
    #[error(
        "digest {0:?} has an invalid encoded part (expected lowercase hex of the right length)"
    )]
    InvalidHex(String),
}

/// A content-addressable identifier such as
/// `sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b`.
///
/// Always validated: the algorithm is one wharf can compute and the hex part
/// has the right length, so a digest taken from a registry can be verified.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    hex: String,
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        let mut d = Digester::new(DigestAlgorithm::Sha256);
        d.update(bytes);
        d.finish()
    }

    /// The algorithm part.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// A short form for humans: algorithm-less, first 12 hex characters.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let mut d = Digester::new(self.algorithm);
        d.update(bytes);
        d.finish() == *self
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::MissingAlgorithm(s.to_owned()))?;
        let algorithm = match alg {
            "sha256" => DigestAlgorithm::Sha256,
            "sha512" => DigestAlgorithm::Sha512,
            _ => return Err(DigestError::UnsupportedAlgorithm(s.to_owned())),
        };
        let valid_hex = hex.len() == algorithm.hex_len()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid_hex {
            return Err(DigestError::InvalidHex(s.to_owned()));
        }
        Ok(Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Incremental hasher for one digest algorithm: feed bytes as they stream
/// past, then compare with the expected digest.
#[derive(Clone)]
pub struct Digester {
    inner: DigesterInner,
    len: u64,
}

#[derive(Clone)]
enum DigesterInner {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Digester {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        let inner = match algorithm {
            DigestAlgorithm::Sha256 => DigesterInner::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Sha512 => DigesterInner::Sha512(sha2::Sha512::new()),
        };
        Self { inner, len: 0 }
    }

    /// Feed more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        match &mut self.inner {
            DigesterInner::Sha256(h) => h.update(bytes),
            DigesterInner::Sha512(h) => h.update(bytes),
        }
    }

    /// How many bytes have been fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self.inner {
            DigesterInner::Sha256(h) => (DigestAlgorithm::Sha256, hex::encode(h.finalize())),
            DigesterInner::Sha512(h) => (DigestAlgorithm::Sha512, hex::encode(h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let s = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let d: Digest = s.parse().expect("valid digest");
        assert_eq!(d.to_string(), s);
        assert_eq!(d, Digest::sha256_of(b""));
        assert!(d.matches(b""));
        assert!(!d.matches(b"x"));
        assert_eq!(d.short(), "e3b0c44298fc");
    }

    #[test]
    fn rejects_bad_digests() {
        assert!(matches!(
            "abc".parse::<Digest>(),
            Err(DigestError::MissingAlgorithm(_))
        ));
        assert!(matches!(
            "md5:abc".parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            "sha256:abc".parse::<Digest>(),
            Err(DigestError::InvalidHex(_))
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::InvalidHex(_))
        ));
    }

    #[test]
    fn sha512_round_trip() {
        let mut h = Digester::new(DigestAlgorithm::Sha512);
        h.update(b"abc");
        assert_eq!(h.len(), 3);
        let d = h.finish();
        assert_eq!(d.hex().len(), 128);
        assert_eq!(d.to_string().parse::<Digest>().expect("round trip"), d);
        assert!(d.matches(b"abc"));
    }

    #[test]
    fn serde_as_string() {
        let d = Digest::sha256_of(b"hello");
        let json = serde_json::to_string(&d).expect("serialize");
        let back: Digest = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
    }
}
