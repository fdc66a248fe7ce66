//! Merging layer reports into the image's final view.

use std::collections::{BTreeMap, HashSet};

use wharf_analyzers::{FileRecord, LayerReport, Output};

use crate::model::{FileFacts, PackageCache, SpecialFile};
use wharf_types::{
    Diagnostic, Digest, Ecosystem, LayerPlacement, Location, MalwareFinding, Package, SecretFinding,
};

/// The merged view of an image's layers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Packages present in the final filesystem, each attributed to the
    /// layer that introduced it, sorted and deduplicated.
    pub packages: Vec<Package>,
    /// OS release files present in the final filesystem (path → content).
    pub os_files: BTreeMap<String, Vec<u8>>,
    /// Diagnostics from every layer (a deleted file's problems included:
    /// they describe what was scanned).
    pub diagnostics: Vec<Diagnostic>,
    /// Secrets in any layer (deleted files included, marked as such).
    pub secrets: Vec<SecretFinding>,
    /// Malware in any layer (deleted files included, marked as such).
    pub malware: Vec<MalwareFinding>,
    /// Special-mode files and package caches of the final filesystem.
    pub files: FileFacts,
}

fn removed_by(path: &str, deleted: &str) -> bool {
    deleted.is_empty()
        || path == deleted
        || (path.len() > deleted.len()
            && path.starts_with(deleted)
            && path.as_bytes()[deleted.len()] == b'/')
}

type Key = (Ecosystem, String, String, Option<String>);

/// A path's records in the merged view, with the origin layer of each
/// package key found there.
type PathEntry = (Vec<FileRecord>, BTreeMap<Key, Option<Digest>>);

fn key(p: &Package) -> Key {
    (
        p.ecosystem,
        p.name.clone(),
        p.full_version(),
        p.arch.clone(),
    )
}

/// Merge `layers` (base first; each with its digest when known).
pub fn merge(layers: &[(Option<Digest>, &LayerReport)]) -> Merged {
    // path → (records, origin layer per package key)
    let mut view: BTreeMap<String, PathEntry> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (digest, report) in layers {
        for deleted in report.whiteouts.iter().chain(&report.opaque_dirs) {
            // A whiteout removes the path and everything below it; an opaque
            // directory removes everything below it (the directory stays,
            // which makes no difference to file results).
            view.retain(|path, _| !removed_by(path, deleted));
        }
        let mut this_layer: BTreeMap<&str, Vec<&FileRecord>> = BTreeMap::new();
        for r in &report.files {
            this_layer.entry(r.path.as_str()).or_default().push(r);
        }
        for (path, records) in this_layer {
            let previous = view.remove(path);
            let mut origins = BTreeMap::new();
            for r in &records {
                if let Output::Packages { packages } = &r.output {
                    for p in packages {
                        let k = key(p);
                        // Same package already in this file in a lower layer:
                        // that layer introduced it.
                        let origin = previous
                            .as_ref()
                            .and_then(|(_, o)| o.get(&k).cloned())
                            .unwrap_or_else(|| digest.clone());
                        origins.insert(k, origin);
                    }
                }
            }
            view.insert(
                path.to_owned(),
                (records.into_iter().cloned().collect(), origins),
            );
        }
        diagnostics.extend(report.diagnostics.iter().cloned());
    }

    let mut packages = Vec::new();
    let mut os_files = BTreeMap::new();
    let mut installed_files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut licenses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, (records, origins)) in view {
        for r in records {
            match r.output {
                Output::Packages { packages: ps } => {
                    for mut p in ps {
                        p.layer = origins.get(&key(&p)).cloned().flatten();
                        packages.push(p);
                    }
                }
                Output::OsFile { content } => {
                    os_files.insert(path.clone(), content.into_bytes());
                }
                Output::InstalledFiles { package, files } => {
                    installed_files.entry(package).or_default().extend(files)
                }
                Output::Licenses {
                    package,
                    licenses: l,
                } => licenses.entry(package).or_default().extend(l),
                // Content findings are collected over every layer, deleted
                // files included: see `content_findings`.
                Output::Secrets { .. } | Output::Malware { .. } => {}
            }
        }
    }
    for p in packages
        .iter_mut()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
    {
        // dpkg names list files `name.list` or `name:arch.list`.
        let arch_key = p.arch.as_ref().map(|a| format!("{}:{a}", p.name));
        if p.files.is_empty()
            && let Some(f) = installed_files
                .get(&p.name)
                .or_else(|| arch_key.as_ref().and_then(|k| installed_files.get(k)))
        {
            p.files.clone_from(f);
        }
        if p.licenses.is_empty()
            && let Some(l) = licenses.get(&p.name)
        {
            p.licenses.clone_from(l);
        }
    }
    mark_os_owned(&mut packages);
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.locations).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.locations,
        ))
    });
    let mut seen = HashSet::new();
    packages.retain(|p| seen.insert((key(p), p.locations.clone())));
    let (secrets, malware) = content_findings(layers);
    Merged {
        packages,
        os_files,
        diagnostics,
        secrets,
        malware,
        files: file_facts(layers),
    }
}

/// The layers' [`wharf_analyzers::LayerFacts`] as the final filesystem has
/// them: whiteouts and opaque directories of later layers remove entries
/// (a cache directory's children one by one, as `rm -rf dir/*` leaves
/// them), and a later layer's entry for the same path replaces an earlier
/// one. A later layer that re-adds a file *without* a notable mode (a
/// `chmod u-s` in a later step) is not seen: only notable entries are
/// recorded.
fn file_facts(layers: &[(Option<Digest>, &LayerReport)]) -> FileFacts {
    let mut special: BTreeMap<String, SpecialFile> = BTreeMap::new();
    // (cache dir, child) → (manager, files, bytes, layer)
    type Child = (String, u64, u64, Option<Digest>);
    let mut caches: BTreeMap<(String, String), Child> = BTreeMap::new();
    for (digest, report) in layers {
        for deleted in report.whiteouts.iter().chain(&report.opaque_dirs) {
            special.retain(|path, _| !removed_by(path, deleted));
            caches.retain(|(dir, child), _| !removed_by(&format!("{dir}/{child}"), deleted));
        }
        for m in &report.facts.special {
            special.insert(
                m.path.clone(),
                SpecialFile {
                    path: m.path.clone(),
                    mode: m.mode,
                    dir: m.dir,
                    layer: digest.clone(),
                },
            );
        }
        for c in &report.facts.caches {
            for child in &c.children {
                let e = caches
                    .entry((c.path.clone(), child.name.clone()))
                    .or_insert_with(|| (c.manager.clone(), 0, 0, digest.clone()));
                // Files of the same child in several layers: counted in
                // each (an overwritten file is counted twice: a bound).
                e.1 += child.files;
                e.2 += child.bytes;
            }
        }
    }
    let mut package_caches: Vec<PackageCache> = Vec::new();
    for ((dir, _), (manager, files, bytes, layer)) in caches {
        if package_caches.last().is_none_or(|p| p.path != dir) {
            package_caches.push(PackageCache {
                path: dir,
                manager,
                ..PackageCache::default()
            });
        }
        if let Some(p) = package_caches.last_mut() {
            p.files += files;
            p.bytes += bytes;
            if let Some(l) = layer
                && !p.layers.contains(&l)
            {
                p.layers.push(l);
            }
        }
    }
    FileFacts {
        special: special.into_values().collect(),
        package_caches,
    }
}

/// Mark the language packages whose location (manifest, metadata file,
/// jar, binary) an OS package installed.
fn mark_os_owned(packages: &mut [Package]) {
    let mut owner: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for p in packages.iter().filter(|p| p.ecosystem.is_os()) {
        for f in &p.files {
            owner.insert(f.trim_start_matches('/'), p.name.as_str());
        }
    }
    if owner.is_empty() {
        return;
    }
    let owned: Vec<Option<String>> = packages
        .iter()
        .map(|p| {
            if p.ecosystem.is_os() {
                return None;
            }
            p.locations
                .iter()
                .find_map(|l| owner.get(l.trim_start_matches('/')))
                .map(|o| (*o).to_owned())
        })
        .collect();
    for (p, o) in packages.iter_mut().zip(owned) {
        if o.is_some() {
            p.owned_by = o;
        }
    }
}

/// Secrets and malware of every layer, each placed in the layer that added
/// its file and marked `deleted` when a later layer removed it (whiteout,
/// opaque directory) or replaced it: a deleted file is still in the image's
/// layers, so its findings stay. A replacement is only seen when the new
/// file produced records of its own.
fn content_findings(
    layers: &[(Option<Digest>, &LayerReport)],
) -> (Vec<SecretFinding>, Vec<MalwareFinding>) {
    let gone_after = |i: usize, path: &str| {
        // `outer.jar!inner` lives and dies with `outer.jar`.
        let file = path.split_once('!').map_or(path, |(outer, _)| outer);
        layers[i + 1..].iter().any(|(_, later)| {
            later
                .whiteouts
                .iter()
                .chain(&later.opaque_dirs)
                .any(|d| removed_by(file, d))
                || later.files.iter().any(|r| r.path == file)
        })
    };
    let place = |i: usize, digest: &Option<Digest>, loc: &Location| LayerPlacement {
        layer: digest.clone(),
        deleted: loc.path().is_some_and(|p| gone_after(i, p)),
    };
    let (mut secrets, mut malware) = (Vec::new(), Vec::new());
    for (i, (digest, report)) in layers.iter().enumerate() {
        for r in &report.files {
            match &r.output {
                Output::Secrets { findings } => {
                    secrets.extend(findings.iter().cloned().map(|mut f| {
                        f.placement = place(i, digest, &f.location);
                        f
                    }));
                }
                Output::Malware { findings } => {
                    malware.extend(findings.iter().cloned().map(|mut f| {
                        f.placement = place(i, digest, &f.location);
                        f
                    }));
                }
                _ => {}
            }
        }
    }
    (secrets, malware)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkgs(path: &str, list: &[(&str, &str)]) -> FileRecord {
        FileRecord {
            path: path.into(),
            analyzer: "test".into(),
            output: Output::Packages {
                packages: list
                    .iter()
                    .map(|(n, v)| Package::new(Ecosystem::Deb, *n, *v, path))
                    .collect(),
            },
        }
    }

    fn d(n: u8) -> Option<Digest> {
        Some(Digest::sha256_of(&[n]))
    }

    #[test]
    fn later_layers_replace_files_and_keep_origins() {
        let status = "var/lib/dpkg/status";
        let base = LayerReport {
            files: vec![pkgs(status, &[("libc6", "2.36-9"), ("bash", "5.2-1")])],
            ..LayerReport::default()
        };
        // Layer 2 rewrites the status file: bash unchanged, curl added,
        // libc6 upgraded.
        let upgrade = LayerReport {
            files: vec![pkgs(
                status,
                &[
                    ("libc6", "2.36-9+deb12u4"),
                    ("bash", "5.2-1"),
                    ("curl", "7.88"),
                ],
            )],
            ..LayerReport::default()
        };
        let m = merge(&[(d(1), &base), (d(2), &upgrade)]);
        let got: Vec<(&str, &str, Option<Digest>)> = m
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.layer.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("bash", "5.2-1", d(1)),
                ("curl", "7.88", d(2)),
                ("libc6", "2.36-9+deb12u4", d(2))
            ]
        );
    }

    #[test]
    fn whiteouts_and_opaque_dirs_remove_lower_results() {
        let lower = LayerReport {
            files: vec![
                pkgs("app/node_modules/a/package.json", &[("a", "1")]),
                pkgs("app/node_modules/b/package.json", &[("b", "1")]),
                pkgs("srv/lib/c/package.json", &[("c", "1")]),
                pkgs("srv/other/package.json", &[("o", "1")]),
            ],
            ..LayerReport::default()
        };
        let upper = LayerReport {
            files: vec![pkgs("srv/lib/new/package.json", &[("n", "1")])],
            whiteouts: vec!["app/node_modules/a".into()],
            opaque_dirs: vec!["srv/lib".into()],
            ..LayerReport::default()
        };
        let m = merge(&[(d(1), &lower), (d(2), &upper)]);
        let names: Vec<&str> = m.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b", "n", "o"]);
        assert!(removed_by("a/b", "a") && !removed_by("ab", "a") && removed_by("x", ""));
    }

    #[test]
    fn os_files_file_lists_and_licences() {
        let layer = LayerReport {
            files: vec![
                pkgs("var/lib/dpkg/status", &[("zlib1g", "1:1.2.13")]),
                FileRecord {
                    path: "var/lib/dpkg/info/zlib1g:amd64.list".into(),
                    analyzer: "dpkg".into(),
                    output: Output::InstalledFiles {
                        package: "zlib1g:amd64".into(),
                        files: vec!["/usr/lib/libz.so.1".into()],
                    },
                },
                FileRecord {
                    path: "usr/share/doc/zlib1g/copyright".into(),
                    analyzer: "dpkg".into(),
                    output: Output::Licenses {
                        package: "zlib1g".into(),
                        licenses: vec!["Zlib".into()],
                    },
                },
                FileRecord {
                    path: "etc/os-release".into(),
                    analyzer: "os-release".into(),
                    output: Output::OsFile {
                        content: "ID=debian\n".into(),
                    },
                },
            ],
            ..LayerReport::default()
        };
        let mut with_arch = layer.clone();
        if let Output::Packages { packages } = &mut with_arch.files[0].output {
            packages[0].arch = Some("amd64".into());
        }
        let m = merge(&[(d(1), &with_arch)]);
        assert_eq!(m.packages[0].files, ["/usr/lib/libz.so.1"]);
        assert_eq!(m.packages[0].licenses, ["Zlib"]);
        assert_eq!(
            m.os_files.get("etc/os-release").map(Vec::as_slice),
            Some(&b"ID=debian\n"[..])
        );
    }

    fn secret(path: &str) -> FileRecord {
        FileRecord {
            path: path.split('!').next().unwrap_or(path).into(),
            analyzer: "secret".into(),
            output: Output::Secrets {
                findings: vec![SecretFinding {
                    rule_id: "test".into(),
                    category: "Test".into(),
                    title: "test".into(),
                    severity: wharf_types::Severity::High,
                    location: Location::File {
                        path: path.into(),
                        line: 1,
                    },
                    excerpt: "key = *****".into(),
                    fingerprint: "hmac-sha256:00".into(),
                    placement: LayerPlacement::default(),
                }],
            },
        }
    }

    #[test]
    fn content_findings_keep_deleted_files_and_say_so() {
        let base = LayerReport {
            files: vec![
                secret("etc/kept.conf"),
                secret("etc/gone.conf"),
                secret("srv/app.jar!config.properties"),
                secret("opt/replaced.env"),
            ],
            ..LayerReport::default()
        };
        let upper = LayerReport {
            files: vec![secret("opt/replaced.env")],
            whiteouts: vec!["etc/gone.conf".into()],
            opaque_dirs: vec!["srv".into()],
            ..LayerReport::default()
        };
        let m = merge(&[(d(1), &base), (d(2), &upper)]);
        let got: Vec<(String, Option<Digest>, bool)> = m
            .secrets
            .iter()
            .map(|f| {
                (
                    f.location.display(),
                    f.placement.layer.clone(),
                    f.placement.deleted,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("etc/kept.conf:1".to_owned(), d(1), false),
                ("etc/gone.conf:1".to_owned(), d(1), true),
                ("srv/app.jar!config.properties:1".to_owned(), d(1), true),
                ("opt/replaced.env:1".to_owned(), d(1), true),
                ("opt/replaced.env:1".to_owned(), d(2), false),
            ]
        );
        assert!(m.packages.is_empty() && m.malware.is_empty());
    }

    #[test]
    fn language_packages_installed_by_os_packages_are_marked() {
        let info = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO";
        let mut deb = Package::new(
            Ecosystem::Deb,
            "python3-requests",
            "2.28.1+dfsg-1",
            "var/lib/dpkg/status",
        );
        deb.files = vec![format!("/{info}")];
        let layer = LayerReport {
            files: vec![
                FileRecord {
                    path: "var/lib/dpkg/status".into(),
                    analyzer: "dpkg".into(),
                    output: Output::Packages {
                        packages: vec![deb],
                    },
                },
                FileRecord {
                    path: info.into(),
                    analyzer: "python".into(),
                    output: Output::Packages {
                        packages: vec![Package::new(Ecosystem::Pypi, "requests", "2.28.1", info)],
                    },
                },
                pkgs("usr/local/lib/python3.11/site-packages/x/METADATA", &[]),
            ],
            ..LayerReport::default()
        };
        let mut pip = layer.clone();
        if let Output::Packages { packages } = &mut pip.files[2].output {
            packages.push(Package::new(
                Ecosystem::Pypi,
                "urllib3",
                "1.26.5",
                "usr/local/lib/python3.11/site-packages/x/METADATA",
            ));
        }
        let m = merge(&[(d(1), &pip)]);
        let owned: Vec<(&str, Option<&str>)> = m
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.owned_by.as_deref()))
            .collect();
        assert_eq!(
            owned,
            [
                ("python3-requests", None),
                ("requests", Some("python3-requests")),
                ("urllib3", None)
            ]
        );
    }

    #[test]
    fn file_facts_follow_whiteouts() {
        use wharf_analyzers::{CacheChild, CacheUse, LayerFacts, ModeEntry};
        let d1 = Digest::sha256_of(b"1");
        let d2 = Digest::sha256_of(b"2");
        let cache = |path: &str, manager: &str, children: &[(&str, u64)]| CacheUse {
            path: path.into(),
            manager: manager.into(),
            children: children
                .iter()
                .map(|(n, b)| CacheChild {
                    name: (*n).into(),
                    files: 1,
                    bytes: *b,
                })
                .collect(),
        };
        let base = LayerReport {
            facts: LayerFacts {
                special: vec![
                    ModeEntry {
                        path: "usr/bin/su".into(),
                        mode: 0o4755,
                        dir: false,
                    },
                    ModeEntry {
                        path: "opt/tool/bin/x".into(),
                        mode: 0o4755,
                        dir: false,
                    },
                ],
                caches: vec![
                    cache("var/lib/apt/lists", "apt-lists", &[("a", 10), ("b", 5)]),
                    cache("var/cache/apt/archives", "apt", &[("curl.deb", 100)]),
                ],
            },
            ..LayerReport::default()
        };
        let upper = LayerReport {
            whiteouts: vec!["var/lib/apt/lists/a".into(), "var/lib/apt/lists/b".into()],
            opaque_dirs: vec!["opt/tool".into()],
            facts: LayerFacts {
                special: vec![ModeEntry {
                    path: "srv/drop".into(),
                    mode: 0o777,
                    dir: true,
                }],
                caches: vec![cache("var/cache/apt/archives", "apt", &[("git.deb", 50)])],
            },
            ..LayerReport::default()
        };
        let m = merge(&[(Some(d1.clone()), &base), (Some(d2.clone()), &upper)]);
        let special: Vec<(&str, Option<&Digest>)> = m
            .files
            .special
            .iter()
            .map(|s| (s.path.as_str(), s.layer.as_ref()))
            .collect();
        assert_eq!(
            special,
            [("srv/drop", Some(&d2)), ("usr/bin/su", Some(&d1))]
        );
        assert!(m.files.special[0].world_writable() && m.files.special[1].setuid());
        assert_eq!(m.files.package_caches.len(), 1, "apt lists were removed");
        let apt = &m.files.package_caches[0];
        assert_eq!(
            (apt.path.as_str(), apt.files, apt.bytes, apt.layers.len()),
            ("var/cache/apt/archives", 2, 150, 2)
        );
    }
}
