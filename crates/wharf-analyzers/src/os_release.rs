//! Operating-system identification.
//!
//! The primary source is the freedesktop.org `os-release` file
//! (`/etc/os-release`, falling back to `/usr/lib/os-release`): shell-style
//! `KEY=value` lines where values may be quoted (`ID="rhel"`,
//! `VERSION_ID=9.4`). `ID` picks the family, `VERSION_ID` the version,
//! `VERSION_CODENAME` (or `UBUNTU_CODENAME`, or the word in parentheses of a
//! Debian `VERSION`) the codename and `PRETTY_NAME` the display name. Google's
//! distroless images ship a Debian `os-release` whose `PRETTY_NAME` is
//! `Distroless`; they are reported as family `debian` with `distroless: true`.
//!
//! When there is no usable `os-release` (old images), the distribution
//! specific files are tried, most specific first: `/etc/lsb-release`
//! (Ubuntu), `/etc/alpine-release`, the Red Hat family one-liners
//! (`AlmaLinux release 8.4 (Electric Cheetah)`, `CentOS Linux release
//! 7.6.1810 (Core)`, `Amazon Linux release 2 (Karoo)`, …),
//! `/etc/SuSE-release`, `/etc/photon-release`, `/etc/mariner-release` and
//! last `/etc/debian_version` (which Ubuntu also ships).
//!
//! An `os-release` whose `ID` is not a distribution wharf knows yields
//! `None` rather than a guess from the other files: a wrong family would
//! match the wrong advisories.
//!
//! Two package-manager files refine the result: Alpine's
//! `/etc/apk/repositories` gives [`OsInfo::repository_release`] when its
//! repositories are newer than the release (an old base upgraded from a
//! newer branch or `edge`), and Ubuntu's
//! `/var/lib/ubuntu-advantage/status.json` gives
//! [`OsInfo::extended_support`] when ESM (`esm-infra`) is enabled. Red Hat
//! images' content manifests (`/root/buildinfo/content_manifests/*.json`)
//! give [`OsInfo::content_sets`].

use std::collections::BTreeMap;

use wharf_types::OsInfo;

/// Every file [`identify`] looks at, as paths (or, for content manifests,
/// a pattern) inside the image without a leading slash. The layer engine reads these (when present) and passes
/// them to [`identify`] keyed by the same strings.
pub const PATHS: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/lsb-release",
    "etc/alpine-release",
    "etc/almalinux-release",
    "etc/rocky-release",
    "etc/centos-release",
    "etc/oracle-release",
    "etc/fedora-release",
    "etc/redhat-release",
    "etc/system-release",
    "etc/SuSE-release",
    "etc/photon-release",
    "etc/mariner-release",
    "etc/debian_version",
    "etc/apk/repositories",
    "var/lib/ubuntu-advantage/status.json",
    // Red Hat's content manifests, one per build layer (a pattern).
    "root/buildinfo/content_manifests/*.json",
];

/// Where Red Hat images record the content sets of each build layer.
const CONTENT_MANIFESTS: &str = "root/buildinfo/content_manifests/";

/// Release files are a few hundred bytes; anything beyond this is ignored.
const MAX_RELEASE_FILE: usize = 64 * 1024;
/// Longest value kept from a release file (names, versions, codenames).
const MAX_VALUE: usize = 256;

/// Identifies the operating system from the release files of an image.
///
/// `files` maps paths from [`PATHS`] (no leading slash) to their content;
/// missing files are simply absent. Returns `None` when no known
/// distribution is recognised.
pub fn identify(files: &BTreeMap<String, Vec<u8>>) -> Option<OsInfo> {
    let get = |path: &str| files.get(path).map(Vec::as_slice);
    let mut info = identify_release(files)?;
    match info.family.as_str() {
        "alpine" => {
            info.repository_release = get("etc/apk/repositories")
                .and_then(apk_repository_release)
                .filter(|r| alpine_newer(r, &info.version));
        }
        "ubuntu" => {
            info.extended_support =
                get("var/lib/ubuntu-advantage/status.json").is_some_and(ubuntu_esm_enabled);
        }
        "rhel" | "centos" => {
            let mut sets: Vec<String> = files
                .range(CONTENT_MANIFESTS.to_owned()..)
                .take_while(|(path, _)| path.starts_with(CONTENT_MANIFESTS))
                .filter(|(path, _)| path.ends_with(".json"))
                .flat_map(|(_, content)| content_sets(content))
                .collect();
            sets.sort();
            sets.dedup();
            info.content_sets = sets;
        }
        _ => {}
    }
    Some(info)
}

/// The `content_sets` of a Red Hat content manifest
/// (`{"content_sets": ["rhel-8-for-x86_64-baseos-rpms", …], …}`).
/// Unreadable content: none.
pub fn content_sets(content: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(default)]
        content_sets: Vec<String>,
    }
    serde_json::from_slice::<Manifest>(content)
        .map(|m| {
            m.content_sets
                .into_iter()
                .filter(|s| !s.is_empty() && s.len() <= MAX_VALUE)
                .collect()
        })
        .unwrap_or_default()
}

/// The newest Alpine release an `/etc/apk/repositories` file installs
/// from: `edge` if any line is on edge, else the highest `vX.Y`
/// (`https://dl-cdn.alpinelinux.org/alpine/v3.10/main` → `3.10`).
/// Comments, local and other repositories are ignored.
pub fn apk_repository_release(content: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(content.get(..MAX_RELEASE_FILE).unwrap_or(content));
    let mut best: Option<(u32, u32)> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        // `[@tag ]URL`: the release is the path segment after `alpine/`.
        let url = line.split_whitespace().last().unwrap_or_default();
        let Some((_, rest)) = url.split_once("/alpine/") else {
            continue;
        };
        let segment = rest.split('/').next().unwrap_or_default();
        if segment == "edge" {
            return Some("edge".to_owned());
        }
        let parsed = segment.strip_prefix('v').and_then(|v| {
            let (major, minor) = v.split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        });
        if let Some(r) = parsed {
            best = best.max(Some(r));
        }
    }
    best.map(|(major, minor)| format!("{major}.{minor}"))
}

/// Whether repository release `repo` (`3.10`, `edge`) is newer than the
/// Alpine release `version` (`3.9.3`).
fn alpine_newer(repo: &str, version: &str) -> bool {
    let major_minor = |v: &str| -> Option<(u32, u32)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    repo == "edge"
        || matches!((major_minor(repo), major_minor(version)), (Some(r), Some(v)) if r > v)
}

/// Whether Ubuntu's `status.json` (ubuntu-advantage / Ubuntu Pro client)
/// shows the `esm-infra` service enabled. Unreadable content: no.
pub fn ubuntu_esm_enabled(content: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Status {
        #[serde(default)]
        services: Vec<Service>,
    }
    #[derive(serde::Deserialize)]
    struct Service {
        #[serde(default)]
        name: String,
        #[serde(default)]
        status: String,
    }
    serde_json::from_slice::<Status>(content).is_ok_and(|s| {
        s.services
            .iter()
            .any(|x| x.name == "esm-infra" && x.status == "enabled")
    })
}

/// The OS from the release files alone.
fn identify_release(files: &BTreeMap<String, Vec<u8>>) -> Option<OsInfo> {
    let get = |path: &str| files.get(path).map(Vec::as_slice);

    let os_release = get("etc/os-release")
        .map(parse_key_values)
        .filter(|kv| kv.contains_key("ID"))
        .or_else(|| {
            get("usr/lib/os-release")
                .map(parse_key_values)
                .filter(|kv| kv.contains_key("ID"))
        });

    if let Some(kv) = os_release {
        // An os-release with an ID we do not know: do not guess from other files.
        let family = family_from_id(&kv)?;
        if let Some(info) = info_from_os_release(&kv, family) {
            return Some(info);
        }
        // Known family but no version in os-release: take it from the
        // distribution's own file when it has one.
        let fallback = match family {
            "debian" => get("etc/debian_version").and_then(parse_debian_version),
            "ubuntu" => get("etc/lsb-release").and_then(parse_lsb_release),
            "alpine" => get("etc/alpine-release").and_then(parse_alpine_release),
            _ => None,
        };
        return fallback.map(|mut info| {
            info.family = family.to_owned();
            info.distroless = is_distroless(&kv);
            if info.pretty_name.is_none() {
                info.pretty_name = non_empty(&kv, "PRETTY_NAME");
            }
            if info.codename.is_none() {
                info.codename = codename(&kv, family);
            }
            info
        });
    }

    get("etc/lsb-release")
        .and_then(parse_lsb_release)
        .or_else(|| get("etc/alpine-release").and_then(parse_alpine_release))
        .or_else(|| {
            [
                "etc/almalinux-release",
                "etc/rocky-release",
                "etc/centos-release",
                "etc/oracle-release",
                "etc/fedora-release",
                "etc/redhat-release",
                "etc/system-release",
            ]
            .iter()
            .find_map(|path| get(path).and_then(parse_redhat_release))
        })
        .or_else(|| get("etc/SuSE-release").and_then(parse_suse_release))
        .or_else(|| get("etc/photon-release").and_then(|c| parse_first_line_release(c, "photon")))
        .or_else(|| get("etc/mariner-release").and_then(|c| parse_first_line_release(c, "mariner")))
        .or_else(|| get("etc/debian_version").and_then(parse_debian_version))
}

/// Parses an `os-release` file. Returns `None` when it has no `ID`, an `ID`
/// wharf does not know, or no version (`VERSION_ID`; for Debian and Ubuntu
/// the codename stands in for a missing version, as on testing/sid).
pub fn parse_os_release(content: &[u8]) -> Option<OsInfo> {
    let kv = parse_key_values(content);
    let family = family_from_id(&kv)?;
    info_from_os_release(&kv, family)
}

/// Parses `/etc/debian_version` (`9.8`, `12.5`, `buster/sid`).
pub fn parse_debian_version(content: &[u8]) -> Option<OsInfo> {
    let line = first_line(content)?;
    Some(simple_info("debian", line))
}

/// Parses `/etc/alpine-release` (`3.19.1`).
pub fn parse_alpine_release(content: &[u8]) -> Option<OsInfo> {
    let line = first_line(content)?;
    if !line.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(simple_info("alpine", line))
}

/// Parses `/etc/lsb-release`; only Ubuntu (`DISTRIB_ID=Ubuntu`) is
/// recognised, other distributions ship `os-release`.
pub fn parse_lsb_release(content: &[u8]) -> Option<OsInfo> {
    let kv = parse_key_values(content);
    if !kv.get("DISTRIB_ID")?.eq_ignore_ascii_case("ubuntu") {
        return None;
    }
    let version = kv.get("DISTRIB_RELEASE").filter(|v| !v.is_empty())?;
    Some(OsInfo {
        family: "ubuntu".to_owned(),
        version: version.clone(),
        codename: non_empty(&kv, "DISTRIB_CODENAME"),
        pretty_name: non_empty(&kv, "DISTRIB_DESCRIPTION"),
        ..Default::default()
    })
}

/// Parses a Red Hat family release line (`/etc/redhat-release`,
/// `centos-release`, `almalinux-release`, `rocky-release`,
/// `oracle-release`, `fedora-release`, Amazon's `system-release`):
/// `<name> release <version> (<codename>)`.
pub fn parse_redhat_release(content: &[u8]) -> Option<OsInfo> {
    let line = first_line(content)?;
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let name = name.trim().to_ascii_lowercase();
    let family = if name.starts_with("centos stream") {
        "centos-stream"
    } else if name.starts_with("centos") {
        "centos"
    } else if name.starts_with("rocky") {
        "rocky"
    } else if name.starts_with("almalinux") || name.starts_with("alma linux") {
        "alma"
    } else if name.starts_with("oracle linux") || name.starts_with("enterprise linux") {
        "oracle"
    } else if name.starts_with("fedora") {
        "fedora"
    } else if name.starts_with("red hat") {
        "rhel"
    } else if name.starts_with("amazon linux") {
        "amazon"
    } else {
        return None;
    };
    Some(OsInfo {
        family: family.to_owned(),
        version: version.to_owned(),
        pretty_name: Some(line.to_owned()),
        ..Default::default()
    })
}

/// Parses the legacy `/etc/SuSE-release` of SLES 11/12 and old openSUSE:
/// a name line followed by `VERSION = 12` and `PATCHLEVEL = 3`.
fn parse_suse_release(content: &[u8]) -> Option<OsInfo> {
    let line = first_line(content)?;
    let lower = line.to_ascii_lowercase();
    let family = if lower.starts_with("suse linux enterprise server") {
        "sles"
    } else if lower.starts_with("opensuse") {
        "opensuse-leap"
    } else {
        return None;
    };
    let text = bounded_text(content);
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| truncate(v.trim()).to_owned())
        })
    };
    let mut version = field("VERSION").filter(|v| !v.is_empty())?;
    if let Some(patch) = field("PATCHLEVEL").filter(|p| !p.is_empty() && p != "0") {
        version = format!("{version}.{patch}");
    }
    Some(OsInfo {
        family: family.to_owned(),
        version,
        codename: field("CODENAME").filter(|c| !c.is_empty()),
        pretty_name: Some(line.to_owned()),
        ..Default::default()
    })
}

/// `VMware Photon OS 4.0` / `CBL-Mariner 2.0.20220226`: the version is the
/// last word of the first line.
fn parse_first_line_release(content: &[u8], family: &str) -> Option<OsInfo> {
    let line = first_line(content)?;
    let version = line.split_whitespace().last()?;
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(OsInfo {
        family: family.to_owned(),
        version: version.to_owned(),
        pretty_name: Some(line.to_owned()),
        ..Default::default()
    })
}

fn simple_info(family: &str, version: &str) -> OsInfo {
    OsInfo {
        family: family.to_owned(),
        version: version.to_owned(),
        ..Default::default()
    }
}

/// Maps `ID` (and, where the ID is ambiguous, `NAME`) to a wharf family.
fn family_from_id(kv: &BTreeMap<String, String>) -> Option<&'static str> {
    let id = kv.get("ID")?.to_ascii_lowercase();
    let name = kv
        .get("NAME")
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    let family = match id.as_str() {
        "debian" => "debian",
        "ubuntu" => "ubuntu",
        "alpine" => "alpine",
        "rhel" => "rhel",
        "centos" if name.contains("stream") => "centos-stream",
        "centos" => "centos",
        "rocky" => "rocky",
        "almalinux" => "alma",
        "ol" => "oracle",
        "fedora" => "fedora",
        "amzn" => "amazon",
        "sles" | "sles_sap" => "sles",
        "sle-micro" | "sl-micro" | "sle-micro-rancher" => "sle-micro",
        "opensuse-leap" => "opensuse-leap",
        "opensuse-tumbleweed" => "opensuse-tumbleweed",
        "opensuse" if name.contains("tumbleweed") => "opensuse-tumbleweed",
        "opensuse" => "opensuse-leap",
        "wolfi" => "wolfi",
        "chainguard" => "chainguard",
        "photon" => "photon",
        "mariner" => "mariner",
        "azurelinux" => "azurelinux",
        "bottlerocket" => "bottlerocket",
        "distroless" => "distroless",
        "echo" => "echo",
        "minimos" => "minimos",
        "coreos" => "coreos",
        "activestate" => "activestate",
        _ => return None,
    };
    Some(family)
}

fn info_from_os_release(kv: &BTreeMap<String, String>, family: &str) -> Option<OsInfo> {
    let codename = codename(kv, family);
    let version = match non_empty(kv, "VERSION_ID") {
        Some(v) => v,
        // Debian testing/sid and Ubuntu development releases have no VERSION_ID.
        None if matches!(family, "debian" | "ubuntu") => codename.clone()?,
        None => return None,
    };
    Some(OsInfo {
        family: family.to_owned(),
        version,
        codename,
        pretty_name: non_empty(kv, "PRETTY_NAME"),
        distroless: is_distroless(kv),
        ..Default::default()
    })
}

fn codename(kv: &BTreeMap<String, String>, family: &str) -> Option<String> {
    non_empty(kv, "VERSION_CODENAME")
        .or_else(|| non_empty(kv, "UBUNTU_CODENAME"))
        .or_else(|| {
            // Debian 9 and older: VERSION="9 (stretch)".
            if family != "debian" {
                return None;
            }
            let version = kv.get("VERSION")?;
            let start = version.find('(')?;
            let rest = version.get(start + 1..)?;
            let word = rest.split(')').next()?.trim();
            (!word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase()))
                .then(|| word.to_owned())
        })
}

fn is_distroless(kv: &BTreeMap<String, String>) -> bool {
    kv.get("ID")
        .is_some_and(|id| id.eq_ignore_ascii_case("distroless"))
        || kv
            .get("PRETTY_NAME")
            .is_some_and(|p| p.to_ascii_lowercase().starts_with("distroless"))
}

fn non_empty(kv: &BTreeMap<String, String>, key: &str) -> Option<String> {
    kv.get(key).filter(|v| !v.is_empty()).cloned()
}

/// The content as text, bounded to [`MAX_RELEASE_FILE`] bytes.
fn bounded_text(content: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = content.len().min(MAX_RELEASE_FILE);
    String::from_utf8_lossy(content.get(..end).unwrap_or_default())
}

fn first_line(content: &[u8]) -> Option<&str> {
    let end = content.len().min(MAX_RELEASE_FILE);
    let content = content.get(..end)?;
    let line_end = content
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(content.len());
    let line = std::str::from_utf8(content.get(..line_end)?).ok()?.trim();
    (!line.is_empty()).then(|| truncate(line))
}

/// Cuts a value to [`MAX_VALUE`] bytes on a character boundary.
fn truncate(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// Parses shell-style `KEY=value` lines (os-release, lsb-release). Values
/// may be double- or single-quoted; inside double quotes `\"`, `\\`, `\$`
/// and `` \` `` are unescaped. Comments and malformed lines are skipped.
fn parse_key_values(content: &[u8]) -> BTreeMap<String, String> {
    let text = bounded_text(content);
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.insert(key.to_owned(), truncate(&unquote(value.trim())).to_owned());
    }
    out
}

fn unquote(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some('"') => {
            let mut out = String::new();
            let mut escaped = false;
            for c in chars {
                if escaped {
                    if !matches!(c, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    break;
                } else {
                    out.push(c);
                }
            }
            out
        }
        Some('\'') => chars.take_while(|&c| c != '\'').collect(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn apk_repositories_newer_than_the_release() {
        let repos = |text: &str, release: &str| {
            identify(&files(&[
                ("etc/alpine-release", release),
                ("etc/apk/repositories", text),
            ]))
            .and_then(|i| i.repository_release)
        };
        let v310 = "https://dl-cdn.alpinelinux.org/alpine/v3.10/main\n\
                    https://dl-cdn.alpinelinux.org/alpine/v3.10/community\n";
        assert_eq!(repos(v310, "3.9.3"), Some("3.10".into()));
        // Same or older repositories: the release is what counts.
        assert_eq!(repos(v310, "3.10.2"), None);
        assert_eq!(repos(v310, "3.11.0"), None);
        assert_eq!(
            repos(
                "# comment\n@edge http://mirror.example/alpine/edge/testing\n\
                 http://mirror.example/alpine/v3.19/main\n",
                "3.19.1"
            ),
            Some("edge".into())
        );
        assert_eq!(
            repos("/media/cdrom/apks\n#http://x/alpine/v3.20/main\n", "3.9.3"),
            None
        );
        // Only Alpine reads apk repositories.
        assert_eq!(
            identify(&files(&[
                ("etc/os-release", "ID=wolfi\nVERSION_ID=20230201\n"),
                ("etc/apk/repositories", v310),
            ]))
            .and_then(|i| i.repository_release),
            None
        );
    }

    #[test]
    fn red_hat_content_sets_from_every_manifest() {
        let rhel = "ID=\"rhel\"\nVERSION_ID=\"8.10\"\n";
        let info = identify(&files(&[
            ("etc/os-release", rhel),
            (
                "root/buildinfo/content_manifests/ubi8-container-8.10-1.json",
                r#"{"content_sets":["rhel-8-for-x86_64-baseos-rpms","rhel-8-for-x86_64-appstream-rpms"],"image_contents":[]}"#,
            ),
            (
                "root/buildinfo/content_manifests/app-1.0-1.json",
                r#"{"content_sets":["rhel-8-for-x86_64-appstream-rpms","codeready-builder-for-rhel-8-x86_64-rpms"]}"#,
            ),
            ("root/buildinfo/content_manifests/broken.json", "{"),
        ]))
        .expect("rhel");
        assert_eq!(
            info.content_sets,
            [
                "codeready-builder-for-rhel-8-x86_64-rpms",
                "rhel-8-for-x86_64-appstream-rpms",
                "rhel-8-for-x86_64-baseos-rpms"
            ]
        );
        assert!(
            identify(&files(&[("etc/os-release", rhel)]))
                .is_some_and(|i| i.content_sets.is_empty())
        );
    }

    #[test]
    fn ubuntu_esm_from_the_pro_client_status() {
        let lsb = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=16.04\n";
        let esm = |status: &str| {
            identify(&files(&[
                ("etc/lsb-release", lsb),
                ("var/lib/ubuntu-advantage/status.json", status),
            ]))
            .is_some_and(|i| i.extended_support)
        };
        assert!(esm(
            r#"{"services":[{"name":"esm-apps","status":"disabled"},{"name":"esm-infra","status":"enabled"}]}"#
        ));
        assert!(!esm(
            r#"{"services":[{"name":"esm-infra","status":"disabled"}]}"#
        ));
        assert!(!esm(
            r#"{"services":[{"name":"esm-apps","status":"enabled"}]}"#
        ));
        assert!(!esm("not json"));
        assert!(identify(&files(&[("etc/lsb-release", lsb)])).is_some_and(|i| !i.extended_support));
    }

    #[test]
    fn debian_bookworm() {
        let info = parse_os_release(
            br#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"#,
        );
        assert_eq!(
            info,
            Some(OsInfo {
                family: "debian".into(),
                version: "12".into(),
                codename: Some("bookworm".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                ..Default::default()
            })
        );
    }

    #[test]
    fn old_debian_codename_from_version() {
        let info = parse_os_release(
            b"PRETTY_NAME=\"Debian GNU/Linux 9 (stretch)\"\nID=debian\nVERSION_ID=\"9\"\nVERSION=\"9 (stretch)\"\n",
        );
        assert_eq!(info.and_then(|i| i.codename).as_deref(), Some("stretch"));
    }

    #[test]
    fn google_distroless() {
        let info = parse_os_release(
            br#"PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
"#,
        );
        let info = info.expect("distroless");
        assert_eq!(info.family, "debian");
        assert_eq!(info.version, "12");
        assert!(info.distroless);
    }

    #[test]
    fn ubuntu_and_codename() {
        let info = parse_os_release(
            b"NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n",
        )
        .expect("ubuntu");
        assert_eq!(
            (info.family.as_str(), info.version.as_str()),
            ("ubuntu", "22.04")
        );
        assert_eq!(info.codename.as_deref(), Some("jammy"));
    }

    #[test]
    fn wolfi_chainguard_amazon() {
        for (content, family, version) in [
            (
                "ID=wolfi\nNAME=\"Wolfi\"\nVERSION_ID=20230201\n",
                "wolfi",
                "20230201",
            ),
            (
                "ID=chainguard\nNAME=\"Chainguard\"\nVERSION_ID=20230214\n",
                "chainguard",
                "20230214",
            ),
            (
                "NAME=\"Amazon Linux\"\nID=\"amzn\"\nVERSION_ID=\"2023\"\n",
                "amazon",
                "2023",
            ),
            ("ID=\"amzn\"\nVERSION_ID=\"2\"\n", "amazon", "2"),
        ] {
            let info = parse_os_release(content.as_bytes()).expect(family);
            assert_eq!(
                (info.family.as_str(), info.version.as_str()),
                (family, version)
            );
        }
    }

    #[test]
    fn quoting_and_comments() {
        let kv = parse_key_values(
            b"# comment\nA=\"x \\\"y\\\" \\\\ \\$z\"\nB='single quoted'\nC=plain # not a comment\nbroken line\n=novalue\n",
        );
        assert_eq!(kv.get("A").map(String::as_str), Some("x \"y\" \\ $z"));
        assert_eq!(kv.get("B").map(String::as_str), Some("single quoted"));
        assert_eq!(
            kv.get("C").map(String::as_str),
            Some("plain # not a comment")
        );
        assert_eq!(kv.len(), 3);
    }

    #[test]
    fn identify_prefers_etc_os_release_then_fallbacks() {
        let both = files(&[
            ("usr/lib/os-release", "ID=alpine\nVERSION_ID=3.18.0\n"),
            ("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"),
        ]);
        assert_eq!(identify(&both).map(|i| i.version), Some("3.19.1".into()));

        let sid = files(&[
            (
                "etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n",
            ),
            ("etc/debian_version", "trixie/sid\n"),
        ]);
        let info = identify(&sid).expect("sid");
        assert_eq!(
            (info.family.as_str(), info.version.as_str()),
            ("debian", "trixie/sid")
        );

        let amazon = files(&[("etc/system-release", "Amazon Linux release 2 (Karoo)\n")]);
        let info = identify(&amazon).expect("amazon");
        assert_eq!(
            (info.family.as_str(), info.version.as_str()),
            ("amazon", "2")
        );

        let ubuntu = files(&[
            ("etc/debian_version", "bullseye/sid\n"),
            (
                "etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\n",
            ),
        ]);
        assert_eq!(identify(&ubuntu).map(|i| i.family), Some("ubuntu".into()));

        let unknown = files(&[
            ("etc/os-release", "ID=linuxmint\nVERSION_ID=21\n"),
            ("etc/debian_version", "bookworm/sid\n"),
        ]);
        assert_eq!(identify(&unknown), None);
        assert_eq!(identify(&BTreeMap::new()), None);
    }

    #[test]
    fn legacy_release_files() {
        let sles = parse_suse_release(
            b"SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 3\n",
        )
        .expect("sles");
        assert_eq!(
            (sles.family.as_str(), sles.version.as_str()),
            ("sles", "12.3")
        );
        let photon = parse_first_line_release(
            b"VMware Photon OS 4.0\nPHOTON_BUILD_NUMBER=1526e30ba0\n",
            "photon",
        )
        .expect("photon");
        assert_eq!(photon.version, "4.0");
        let stream = parse_redhat_release(b"CentOS Stream release 9\n").expect("stream");
        assert_eq!(stream.family, "centos-stream");
        assert_eq!(
            parse_redhat_release(b"Gentoo Base System release 2.14\n"),
            None
        );
        assert_eq!(parse_alpine_release(b"edge\n"), None);
    }

    #[test]
    fn garbage_never_panics() {
        for input in [
            &b""[..],
            b"\xff\xfe=\"",
            b"ID=\"",
            b"ID='",
            b"ID=\"\\",
            b" release ",
            b"x release \xff",
        ] {
            let _ = parse_os_release(input);
            let _ = parse_redhat_release(input);
            let _ = parse_suse_release(input);
            let _ = parse_lsb_release(input);
        }
        let long = "ID=debian\nVERSION_ID=".to_owned() + &"é".repeat(1000);
        let info = parse_os_release(long.as_bytes()).expect("long");
        assert!(info.version.len() <= MAX_VALUE);
    }
}
