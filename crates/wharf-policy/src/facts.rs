//! Image facts: what policies check about an image, derived from its
//! inventory (configuration, history, file facts, OS).

use serde::{Deserialize, Serialize};
use wharf_inventory::{Inventory, PackageCache, SpecialFile};

use crate::eol::{EolStatus, EolTable};

/// Facts about one image, as the built-in rules and the Rego input see them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
    /// Whether the runtime configuration is known (not for `dir:` sources:
    /// the configuration rules then do not apply).
    pub config_known: bool,
    /// `User` as written (`None` when absent).
    pub user: Option<String>,
    /// Whether the container runs as root: no user, an empty user, `root`,
    /// `0`, or `root:…`/`0:…`.
    pub runs_as_root: bool,
    /// Exposed ports.
    pub exposed_ports: Vec<String>,
    /// Whether a health check is declared (and not `NONE`).
    pub healthcheck: bool,
    /// Entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Default command.
    pub cmd: Option<Vec<String>>,
    /// Environment variable names.
    pub env_names: Vec<String>,
    /// Environment variables whose name suggests a secret (`*_PASSWORD`,
    /// `*_TOKEN`, `*_SECRET`, `*API_KEY`, `*_PRIVATE_KEY`…) with a value
    /// that is not empty nor a path (`*_FILE`, `*_PATH` names are skipped),
    /// and that the secret scanner did not already report.
    pub secret_like_env: Vec<String>,
    /// Labels.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Creation time from the configuration, when valid.
    pub created: Option<String>,
    /// Whole days between creation and the evaluation time.
    pub age_days: Option<i64>,
    /// Build steps that `ADD` a remote URL (index in the history, step).
    pub remote_adds: Vec<HistoryRef>,
    /// Build steps that `ADD` local files anywhere but `/` (a base image's
    /// root filesystem: `ADD file:… in /`, `ADD rootfs.tar.xz /`).
    pub local_adds: Vec<HistoryRef>,
    /// Setuid/setgid regular files.
    pub setuid_files: Vec<SpecialFile>,
    /// World-writable files and non-sticky directories.
    pub world_writable: Vec<SpecialFile>,
    /// Package-manager caches left behind.
    pub package_caches: Vec<PackageCache>,
    /// The OS release's end-of-life status, when the table knows it.
    pub eol: Option<EolStatus>,
}

/// A build step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRef {
    /// 0-based index over all history entries.
    pub step: usize,
    /// The instruction (redacted or masked).
    pub created_by: String,
}

/// Whether an environment variable's name suggests it holds a secret.
pub fn secret_like(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if [
        "_FILE",
        "_PATH",
        "_DIR",
        "_URL",
        "_ENDPOINT",
        "_HOST",
        "_USER",
        "_USERNAME",
        "_ID",
    ]
    .iter()
    .any(|s| n.ends_with(s))
    {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Whether `user` means root.
pub fn is_root(user: Option<&str>) -> bool {
    let Some(u) = user.map(str::trim) else {
        return true;
    };
    let name = u.split(':').next().unwrap_or(u);
    name.is_empty() || name == "root" || name == "0"
}

/// `(instruction, argument)` of a history step: `/bin/sh -c #(nop) ADD
/// file:… in /` → `("ADD", "file:… in /")`, BuildKit's `ADD https://… /x #
/// buildkit` → `("ADD", "https://… /x # buildkit")`.
fn instruction(created_by: &str) -> Option<(String, &str)> {
    let s = created_by.trim();
    let s = s
        .strip_prefix("/bin/sh -c #(nop)")
        .map(str::trim_start)
        .unwrap_or(s);
    let (word, rest) = s.split_once(char::is_whitespace)?;
    Some((word.to_ascii_uppercase(), rest.trim_start()))
}

impl ImageFacts {
    /// The facts of `inv` at `now`.
    pub fn of(inv: &Inventory, now: jiff::Timestamp) -> ImageFacts {
        let cfg = inv.image.config.as_ref();
        let mut remote_adds = Vec::new();
        let mut local_adds = Vec::new();
        for (step, h) in cfg
            .map(|c| c.history.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(by) = h.created_by.as_deref() else {
                continue;
            };
            let Some((word, arg)) = instruction(by) else {
                continue;
            };
            if word != "ADD" {
                continue;
            }
            let r = HistoryRef {
                step,
                created_by: by.to_owned(),
            };
            // Flags (`--chown=…`) come first.
            let src = arg
                .split_whitespace()
                .find(|w| !w.starts_with("--"))
                .unwrap_or_default();
            let lower = src.to_ascii_lowercase();
            if lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("git@")
            {
                remote_adds.push(r);
            } else {
                // The destination: the last word before BuildKit's comment.
                let words: Vec<&str> = arg
                    .split(" # ")
                    .next()
                    .unwrap_or(arg)
                    .split_whitespace()
                    .collect();
                if words.last().is_some_and(|d| *d != "/") {
                    local_adds.push(r);
                }
            }
        }
        let created_ts = inv
            .image
            .created
            .as_deref()
            .and_then(|c| c.parse::<jiff::Timestamp>().ok());
        let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let files = &inv.files;
        ImageFacts {
            config_known: cfg.is_some(),
            user: cfg.and_then(|c| c.user.clone()),
            runs_as_root: is_root(cfg.and_then(|c| c.user.as_deref())),
            exposed_ports: cfg.map(|c| c.exposed_ports.clone()).unwrap_or_default(),
            healthcheck: cfg
                .and_then(|c| c.healthcheck.as_ref())
                .is_some_and(|t| !t.is_empty() && !t[0].eq_ignore_ascii_case("NONE")),
            entrypoint: cfg.and_then(|c| c.entrypoint.clone()),
            cmd: cfg.and_then(|c| c.cmd.clone()),
            env_names: cfg
                .map(|c| c.env.iter().map(|e| e.name.clone()).collect())
                .unwrap_or_default(),
            secret_like_env: cfg
                .map(|c| {
                    c.env
                        .iter()
                        .filter(|e| secret_like(&e.name))
                        .filter(|e| {
                            e.value
                                .as_deref()
                                .is_none_or(|v| !v.is_empty() && !v.starts_with('/'))
                        })
                        .filter(|e| {
                            !inv.secrets.iter().any(|s| {
                                matches!(&s.location, wharf_types::Location::Env { name } if *name == e.name)
                            })
                        })
                        .map(|e| e.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
            labels: inv.image.labels.clone(),
            created: inv.image.created.clone(),
            age_days: created_ts.map(|c| now.duration_since(c).as_secs() / 86_400),
            remote_adds,
            local_adds,
            setuid_files: files
                .special
                .iter()
                .filter(|f| !f.dir && (f.setuid() || f.setgid()))
                .cloned()
                .collect(),
            world_writable: files
                .special
                .iter()
                .filter(|f| f.world_writable())
                .cloned()
                .collect(),
            package_caches: files.package_caches.clone(),
            eol: inv
                .os
                .as_ref()
                .and_then(|os| EolTable::bundled().status(os, today)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_like_names() {
        for n in [
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "api_key",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_APIKEY",
        ] {
            assert!(secret_like(n), "{n}");
        }
        for n in [
            "PATH",
            "PASSWORD_FILE",
            "TOKEN_PATH",
            "KEYCLOAK_URL",
            "HOME",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!secret_like(n), "{n}");
        }
    }

    #[test]
    fn root_users() {
        for u in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("0:0"),
            Some("root:wheel"),
        ] {
            assert!(is_root(u), "{u:?}");
        }
        for u in [Some("app"), Some("1000"), Some("1000:1000"), Some("nobody")] {
            assert!(!is_root(u), "{u:?}");
        }
    }

    #[test]
    fn instructions_of_classic_and_buildkit_steps() {
        assert_eq!(
            instruction("/bin/sh -c #(nop) ADD file:abc in / ").map(|(w, _)| w),
            Some("ADD".into())
        );
        assert_eq!(
            instruction("ADD https://example.com/x.tgz /opt/ # buildkit")
                .map(|(w, a)| (w, a.to_owned())),
            Some((
                "ADD".into(),
                "https://example.com/x.tgz /opt/ # buildkit".into()
            ))
        );
        assert_eq!(
            instruction("RUN /bin/sh -c apt-get update").map(|(w, _)| w),
            Some("RUN".into())
        );
    }
}
