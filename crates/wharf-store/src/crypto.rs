//! Sealing secrets at rest (registry passwords and tokens, webhook keys).
//!
//! AES-256-GCM from aws-lc-rs (already linked for TLS), a fresh random
//! 96-bit nonce per value, stored as `version ‖ nonce ‖ ciphertext+tag`.
//! The associated data names the field, so a sealed webhook secret cannot
//! be swapped into a connector row and opened as a password.

use std::io::Write as _;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;

use crate::StoreError;

/// Length of the key in bytes.
pub const KEY_LEN: usize = 32;
const VERSION: u8 = 1;

/// A key that seals and opens stored secrets. `Debug` never shows it.
pub struct SecretBox {
    key: LessSafeKey,
    mac: aws_lc_rs::hmac::Key,
    id: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBox({})", self.id)
    }
}

impl SecretBox {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.len() != KEY_LEN {
            return Err(StoreError::Key(format!(
                "expected {KEY_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| StoreError::Key("AES-256-GCM refused the key".into()))?;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(bytes);
        // A separate key for MACs, derived so it never equals the AEAD key.
        let mac_key = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes),
            b"wharf/mac-key/v1",
        );
        Ok(Self {
            key: LessSafeKey::new(unbound),
            mac: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, mac_key.as_ref()),
            id: hex::encode(&digest[..4]),
        })
    }

    /// A key from its base64 text (as in `WHARF_SECRET_KEY`).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| StoreError::Key(format!("not base64: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// Load the key file at `path` (base64 text), creating it with a new
    /// random key and mode 0600 when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        let io = |e: std::io::Error| StoreError::Key(format!("{}: {e}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text)
                .map_err(|e| StoreError::Key(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; KEY_LEN];
                aws_lc_rs::rand::fill(&mut bytes)
                    .map_err(|_| StoreError::Key("no random numbers".into()))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(io)?;
                let text = base64::engine::general_purpose::STANDARD.encode(bytes);
                file.write_all(format!("{text}\n").as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A short, non-secret id of the key (first bytes of its SHA-256).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A capability token for `purpose` and `subject` (hex HMAC-SHA256 under
    /// a key derived from this one): unforgeable without the key, stable
    /// while the key is.
    pub fn capability(&self, purpose: &str, subject: &str) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.mac, format!("{purpose}\n{subject}").as_bytes());
        hex::encode(tag.as_ref())
    }

    /// Whether `token` is the capability for `purpose` and `subject`
    /// (constant-time comparison).
    pub fn verify_capability(&self, purpose: &str, subject: &str, token: &str) -> bool {
        let Ok(tag) = hex::decode(token) else {
            return false;
        };
        aws_lc_rs::hmac::verify(&self.mac, format!("{purpose}\n{subject}").as_bytes(), &tag).is_ok()
    }

    /// Seal `plain` for the field named `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| StoreError::Key("no random numbers".into()))?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| StoreError::Key("sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Open a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let fail = || StoreError::Decrypt(purpose.to_owned());
        let (&version, rest) = sealed.split_first().ok_or_else(fail)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf)
            .map_err(|_| fail())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() -> Result<(), StoreError> {
        let a = SecretBox::from_bytes(&[7u8; KEY_LEN])?;
        let sealed = a.seal("connector", b"hunter2")?;
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(a.open("connector", &sealed)?, b"hunter2");
        // Another purpose, another key or a flipped bit: refused.
        assert!(a.open("webhook", &sealed).is_err());
        let b = SecretBox::from_bytes(&[8u8; KEY_LEN])?;
        assert!(b.open("connector", &sealed).is_err());
        let mut bad = sealed.clone();
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        assert!(a.open("connector", &bad).is_err());
        // Capabilities: stable, bound to purpose, subject and key.
        let cap = a.capability("events", "3");
        assert_eq!(cap, a.capability("events", "3"));
        assert!(a.verify_capability("events", "3", &cap));
        assert!(!a.verify_capability("events", "4", &cap));
        assert!(!a.verify_capability("other", "3", &cap));
        assert!(!b.verify_capability("events", "3", &cap));
        assert!(!a.verify_capability("events", "3", "zz"));
        // Two seals of one value differ (fresh nonce).
        assert_ne!(a.seal("connector", b"hunter2")?, sealed);
        Ok(())
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys/secret.key");
        let a = SecretBox::load_or_create(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path)?.permissions().mode() & 0o777,
                0o600
            );
        }
        let b = SecretBox::load_or_create(&path)?;
        assert_eq!(a.id(), b.id());
        assert_eq!(b.open("x", &a.seal("x", b"v")?)?, b"v");
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
        Ok(())
    }
}
