//! The layer cache: one JSON layer report per (analyzer set, layer digest).
//!
//! Layout: `<root>/layers-v1/<analyzer-set key>/<algorithm>/<hex>.json`.
//! The analyzer-set key is a hash of every analyzer's `name@version`, so a
//! new analyzer version misses the cache for exactly the reports it would
//! change; `layers-v1` versions the layout itself. Writes go to a temporary
//! file renamed into place, so a crash never leaves a half-written entry; an
//! entry that does not parse is treated as a miss and removed.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use wharf_analyzers::LayerReport;
use wharf_types::Digest;

/// Layout version of the cache directory.
const LAYOUT: &str = "layers-v1";

/// A cache I/O failure.
#[derive(Debug, thiserror::Error)]
#[error("layer cache {path}: {source}")]
pub struct CacheError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

/// The on-disk layer-report cache.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache under `root` for an analyzer set described by `versions`
    /// (`name@version` strings).
    pub fn new(root: &Path, versions: &[String]) -> Self {
        let mut h = Sha256::new();
        for v in versions {
            h.update(v.as_bytes());
            h.update(b"\n");
        }
        let key = hex::encode(h.finalize());
        Self {
            dir: root.join(LAYOUT).join(&key[..16]),
        }
    }

    /// The default root: `$WHARF_CACHE_DIR`, else `$XDG_CACHE_HOME/wharf`,
    /// else `~/.cache/wharf`.
    pub fn default_root() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("WHARF_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(d).join("wharf"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("wharf"))
    }

    fn path(&self, layer: &Digest) -> PathBuf {
        self.dir
            .join(layer.algorithm().as_str())
            .join(format!("{}.json", layer.hex()))
    }

    /// The cached report of `layer`, if any.
    pub fn get(&self, layer: &Digest) -> Option<LayerReport> {
        let path = self.path(layer);
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(path = %path.display(), "discarding unreadable cache entry: {e}");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Store the report of `layer` atomically.
    pub fn put(&self, layer: &Digest, report: &LayerReport) -> Result<(), CacheError> {
        let path = self.path(layer);
        let dir = path.parent().unwrap_or(&self.dir).to_owned();
        let err = |p: &Path, source| CacheError {
            path: p.to_owned(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| err(&dir, e))?;
        serde_json::to_writer(&mut tmp, report).map_err(|e| err(&path, e.into()))?;
        tmp.persist(&path).map_err(|e| err(&path, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keys_and_corruption() {
        let root = tempfile::tempdir().expect("tmp");
        let v1 = LayerCache::new(root.path(), &["dpkg@1".into()]);
        let v2 = LayerCache::new(root.path(), &["dpkg@2".into()]);
        let layer = Digest::sha256_of(b"layer");
        assert!(v1.get(&layer).is_none());
        let mut pkg = wharf_types::Package::new(
            wharf_types::Ecosystem::Deb,
            "bash",
            "5.2-1",
            "var/lib/dpkg/status",
        );
        pkg.layer = Some(Digest::sha256_of(b"l"));
        let report = LayerReport {
            files: vec![wharf_analyzers::FileRecord {
                path: "var/lib/dpkg/status".into(),
                analyzer: "dpkg".into(),
                output: wharf_analyzers::Output::Packages {
                    packages: vec![pkg],
                },
            }],
            whiteouts: vec!["x".into()],
            entries: 3,
            ..LayerReport::default()
        };
        v1.put(&layer, &report).expect("put");
        assert_eq!(v1.get(&layer), Some(report));
        assert!(v2.get(&layer).is_none(), "another analyzer version misses");
        std::fs::write(v1.path(&layer), b"{truncated").expect("corrupt");
        assert!(v1.get(&layer).is_none());
        assert!(!v1.path(&layer).exists(), "corrupt entry removed");
        assert!(v1.path(&layer).to_string_lossy().contains("layers-v1"));
    }
}
