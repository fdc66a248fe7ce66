//! The installation's fingerprint key: findings carry an HMAC-SHA-256 of the
//! secret under this key, so the same secret can be recognised across files
//! and images without the report ever holding a plain (brute-forceable)
//! hash of it.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::Path;

use hmac::{KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::error::KeyError;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Length of a fingerprint key in bytes.
pub const KEY_LEN: usize = 32;

/// A 32-byte HMAC key. `Debug` shows only its short id.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FingerprintKey({})", self.id())
    }
}

impl FingerprintKey {
    /// A key from fixed bytes (tests, or a key managed elsewhere).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self { bytes }
    }

    /// Read the key at `path`, or create it (32 bytes from `/dev/urandom`,
    /// file mode 0600, parent directories 0700) when it does not exist.
    ///
    /// The file is written to a temporary name and renamed, so a crash
    /// never leaves a truncated key; when two processes race, the one that
    /// loses reads the winner's key.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => return Self::parse(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let bytes = Self::random().map_err(io)?.bytes;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            use std::os::unix::fs::DirBuilderExt as _;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(io)?;
        }
        // Never replace a key another process created meanwhile.
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => {
                let _ = std::fs::remove_file(&tmp);
                Ok(Self { bytes })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = std::fs::remove_file(&tmp);
                let existing = std::fs::read(path).map_err(io)?;
                Self::parse(path, &existing)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(io(e))
            }
        }
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Invalid {
            path: path.to_owned(),
            message: format!("expected {KEY_LEN} bytes, found {}", bytes.len()),
        })?;
        Ok(Self { bytes })
    }

    /// A fresh key of 32 bytes from `/dev/urandom` (not stored anywhere:
    /// fingerprints made with it are comparable within one run only).
    pub fn random() -> std::io::Result<Self> {
        let mut bytes = [0u8; KEY_LEN];
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes))?;
        Ok(Self { bytes })
    }

    /// Short public id: the first 8 hex digits of SHA-256 of the key.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.bytes);
        hex::encode(&digest[..4])
    }

    /// `hmac-sha256:<hex>` of `secret` under this key.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        // HMAC accepts keys of any length: this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.bytes) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(secret);
        format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
    }
}
