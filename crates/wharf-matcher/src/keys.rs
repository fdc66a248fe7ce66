//! How an installed package is looked up: the feed's ecosystem string and
//! the normalised package name.

use wharf_types::{Ecosystem, OsInfo, Package};

/// Normalise a package name the way the ecosystem compares names.
pub fn normalize_name(osv_ecosystem: &str, name: &str) -> String {
    let base = osv_ecosystem.split(':').next().unwrap_or(osv_ecosystem);
    match base {
        // PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`.
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        "NuGet" => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The (ecosystem, normalised name, version to compare) keys under which a
/// package's advisories are filed. OS packages need the OS: Debian and
/// Ubuntu feeds are keyed by source package and compare the source
/// version, Alpine by origin.
pub fn package_keys(p: &Package, os: Option<&OsInfo>) -> Vec<(String, String, String)> {
    let key = |eco: String, name: &str, version: &str| {
        let n = normalize_name(&eco, name);
        (eco, n, version.to_owned())
    };
    let source_name = p
        .source
        .as_ref()
        .map_or(p.name.as_str(), |s| s.name.as_str());
    let source_version = p
        .source
        .as_ref()
        .and_then(|s| s.version.as_deref())
        .unwrap_or(p.version.as_str());
    match p.ecosystem {
        Ecosystem::Deb => match os {
            Some(o) if o.family == "debian" => vec![key(
                format!("Debian:{}", major(&o.version)),
                source_name,
                source_version,
            )],
            Some(o) if o.family == "ubuntu" => vec![
                key(format!("Ubuntu:{}", o.version), source_name, source_version),
                key(
                    format!("Ubuntu:{}:LTS", o.version),
                    source_name,
                    source_version,
                ),
                key(
                    format!("Ubuntu:Pro:{}:LTS", o.version),
                    source_name,
                    source_version,
                ),
            ],
            _ => Vec::new(),
        },
        Ecosystem::Apk => match os {
            Some(o) if o.family == "alpine" => vec![key(
                format!("Alpine:v{}", major_minor(&o.version)),
                source_name,
                &p.version,
            )],
            Some(o) if o.family == "wolfi" => vec![key("Wolfi".into(), source_name, &p.version)],
            Some(o) if o.family == "chainguard" => {
                vec![key("Chainguard".into(), source_name, &p.version)]
            }
            _ => Vec::new(),
        },
        Ecosystem::Rpm => {
            let evr = p.full_version();
            match os {
                Some(o) if o.family == "rocky" => vec![key(
                    format!("Rocky Linux:{}", major(&o.version)),
                    &p.name,
                    &evr,
                )],
                Some(o) if o.family == "alma" => vec![key(
                    format!("AlmaLinux:{}", major(&o.version)),
                    &p.name,
                    &evr,
                )],
                Some(o) if o.family == "mariner" || o.family == "azurelinux" => {
                    vec![key(
                        format!("Azure Linux:{}", major_minor(&o.version)),
                        &p.name,
                        &evr,
                    )]
                }
                _ => Vec::new(),
            }
        }
        Ecosystem::Pypi => vec![key("PyPI".into(), &p.name, &p.version)],
        Ecosystem::Npm => vec![key("npm".into(), &p.name, &p.version)],
        Ecosystem::Golang => vec![key("Go".into(), &p.name, &p.version)],
        Ecosystem::Cargo => vec![key("crates.io".into(), &p.name, &p.version)],
        Ecosystem::Maven => vec![key("Maven".into(), &p.name, &p.version)],
        Ecosystem::Gem => vec![key("RubyGems".into(), &p.name, &p.version)],
        Ecosystem::Composer => vec![key("Packagist".into(), &p.name, &p.version)],
        Ecosystem::Nuget => vec![key("NuGet".into(), &p.name, &p.version)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::SourcePackage;

    #[test]
    fn pep503_and_keys() {
        assert_eq!(normalize_name("PyPI", "Django"), "django");
        assert_eq!(
            normalize_name("PyPI", "zope.interface__x"),
            "zope-interface-x"
        );
        assert_eq!(
            normalize_name("NuGet", "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(normalize_name("npm", "@Scope/X"), "@Scope/X");
        let mut p = Package::new(
            Ecosystem::Deb,
            "libssl3",
            "3.0.11-1~deb12u2",
            "var/lib/dpkg/status",
        );
        p.source = Some(SourcePackage {
            name: "openssl".into(),
            version: Some("3.0.11-1~deb12u2".into()),
        });
        let os = OsInfo {
            family: "debian".into(),
            version: "12.4".into(),
            codename: None,
            pretty_name: None,
            distroless: false,
        };
        assert_eq!(
            package_keys(&p, Some(&os)),
            [(
                "Debian:12".into(),
                "openssl".into(),
                "3.0.11-1~deb12u2".into()
            )]
        );
        assert!(
            package_keys(&p, None).is_empty(),
            "no OS, no distro feed to match"
        );
    }
}
