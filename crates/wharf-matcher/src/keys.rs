//! How an installed package is looked up: the feed's ecosystem string and
//! the normalised package name.

use std::borrow::Cow;

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

/// [`normalize_name`], borrowing the name when it is already normalised
/// (the common case for most ecosystems), so lookups do not allocate.
pub(crate) fn normalize_name_cow<'a>(osv_ecosystem: &str, name: &'a str) -> Cow<'a, str> {
    let base = osv_ecosystem.split(':').next().unwrap_or(osv_ecosystem);
    let already = match base {
        "PyPI" => {
            let b = name.as_bytes();
            name.is_ascii()
                && !b
                    .iter()
                    .any(|c| c.is_ascii_uppercase() || *c == b'_' || *c == b'.')
                && b.first() != Some(&b'-')
                && b.last() != Some(&b'-')
                && !name.contains("--")
        }
        "NuGet" => name.is_ascii() && !name.bytes().any(|c| c.is_ascii_uppercase()),
        _ => true,
    };
    if already {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(normalize_name(osv_ecosystem, name))
    }
}

/// The key under which an OSV ecosystem string is indexed.
///
/// Most strings are their own key (`Debian:12`, `Alpine:v3.19`,
/// `Rocky Linux:9`). The product-stream strings OSV uses for some vendors
/// name a product, release and repository; what decides whether an
/// installed package is affected is the distribution release, so they are
/// reduced to `vendor:release`, the key the image's OS produces:
///
/// | feed | key |
/// |---|---|
/// | `Red Hat:rhel_e4s:9.2::appstream`, `Red Hat:enterprise_linux:9::baseos` | `Red Hat:9` |
/// | `SUSE Linux Enterprise Server:sles:15:sp4::module-basesystem` | `SUSE Linux Enterprise Server:15.4` |
/// | `SUSE:Linux Enterprise Server 15 SP4` | `SUSE Linux Enterprise Server:15.4` |
/// | `SUSE:Linux Enterprise Micro 5.3` | `SUSE Linux Enterprise Micro:5.3` |
/// | `Oracle Linux:ol8_baseos_latest::ol8_baseos_latest` | `Oracle Linux:8` |
/// | `Amazon Linux:amazon_linux_2023::al2023_appstream` | `Amazon Linux:2023` |
/// | `Ubuntu:ubuntu_pro:22.04::main` | `Ubuntu:Pro:22.04:LTS` |
/// | `CBL-Mariner:2.0`, `Azure Linux:3` | `Azure Linux:2.0`, `Azure Linux:3.0` |
pub fn canonical_ecosystem(ecosystem: &str) -> Cow<'_, str> {
    let parts: Vec<&str> = ecosystem.split(':').collect();
    let digits_major = |s: &str| -> Option<String> {
        let d: String = s
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        (!d.is_empty()).then_some(d)
    };
    let key = match parts.as_slice() {
        ["Red Hat", _product, release, ..] if !release.is_empty() => {
            digits_major(release).map(|m| format!("Red Hat:{m}"))
        }
        // Red Hat:<product with the release in it>::<repository>
        ["Red Hat", product, ..] => digits_major(product).map(|m| format!("Red Hat:{m}")),
        ["SUSE Linux Enterprise Server", _, major, sp, ..] => {
            let sp = sp.trim_start_matches("sp");
            let minor = if sp.is_empty() { "0" } else { sp };
            Some(format!("SUSE Linux Enterprise Server:{major}.{minor}"))
        }
        ["SUSE", product] if product.starts_with("Linux Enterprise Micro ") => Some(format!(
            "SUSE Linux Enterprise Micro:{}",
            product.trim_start_matches("Linux Enterprise Micro ")
        )),
        ["SUSE", product] if product.starts_with("Linux Enterprise Server ") => {
            let rest = product.trim_start_matches("Linux Enterprise Server ");
            let (major, minor) = match rest.split_once(" SP") {
                Some((m, sp)) => (m, sp),
                None => (rest, "0"),
            };
            Some(format!("SUSE Linux Enterprise Server:{major}.{minor}"))
        }
        ["Oracle Linux", product, ..] => digits_major(product).map(|m| format!("Oracle Linux:{m}")),
        ["Amazon Linux", product, ..] if product.starts_with("amazon_linux_") => Some(format!(
            "Amazon Linux:{}",
            product.trim_start_matches("amazon_linux_")
        )),
        // Azure Linux 3 continues CBL-Mariner 1 and 2: one key, `X.Y`.
        ["Azure Linux" | "CBL-Mariner", release] if !release.is_empty() => {
            Some(if release.contains('.') {
                format!("Azure Linux:{release}")
            } else {
                format!("Azure Linux:{release}.0")
            })
        }
        ["Ubuntu", stream, release, "", ..] => Some(if stream.contains("pro") {
            format!("Ubuntu:Pro:{release}:LTS")
        } else {
            format!("Ubuntu:{release}")
        }),
        _ => None,
    };
    key.map_or(Cow::Borrowed(ecosystem), Cow::Owned)
}

/// The OS-dependent feed ecosystem strings, computed once per inventory.
#[derive(Debug, Default)]
pub(crate) struct OsEcosystems {
    deb: Vec<String>,
    apk: Option<String>,
    rpm: Option<String>,
    /// The rpm feed files advisories under the source package (Azure
    /// Linux and CBL-Mariner track CVEs per spec: `bind` for
    /// `bind-utils`), not the binary package.
    rpm_by_source: bool,
}

impl OsEcosystems {
    pub(crate) fn new(os: Option<&OsInfo>) -> Self {
        let Some(o) = os else {
            return Self::default();
        };
        let deb = match o.family.as_str() {
            "debian" => vec![format!("Debian:{}", major(&o.version))],
            "ubuntu" => vec![
                format!("Ubuntu:{}", o.version),
                format!("Ubuntu:{}:LTS", o.version),
                format!("Ubuntu:Pro:{}:LTS", o.version),
            ],
            // Echo's feed has no release: one rolling distribution.
            "echo" => vec!["Echo".to_owned()],
            _ => Vec::new(),
        };
        let apk = match o.family.as_str() {
            // Packages installed from newer repositories (`repository_release`,
            // only set when newer) get that branch's fixes and advisories.
            "alpine" => Some(match o.repository_release.as_deref() {
                Some("edge") => "Alpine:edge".to_owned(),
                Some(r) => format!("Alpine:v{}", major_minor(r)),
                None => format!("Alpine:v{}", major_minor(&o.version)),
            }),
            "wolfi" => Some("Wolfi".to_owned()),
            "chainguard" => Some("Chainguard".to_owned()),
            "minimos" => Some("MinimOS".to_owned()),
            _ => None,
        };
        let rpm = match o.family.as_str() {
            "rocky" => Some(format!("Rocky Linux:{}", major(&o.version))),
            "alma" => Some(format!("AlmaLinux:{}", major(&o.version))),
            "mariner" | "azurelinux" => Some(format!("Azure Linux:{}", major_minor(&o.version))),
            // CentOS rebuilds RHEL: Red Hat's data applies (as Trivy does).
            "rhel" | "centos" => Some(format!("Red Hat:{}", major(&o.version))),
            "oracle" => Some(format!("Oracle Linux:{}", major(&o.version))),
            "amazon" => Some(format!("Amazon Linux:{}", major(&o.version))),
            "sles" => Some(format!(
                "SUSE Linux Enterprise Server:{}",
                if o.version.contains('.') {
                    major_minor(&o.version)
                } else {
                    format!("{}.0", o.version)
                }
            )),
            "sle-micro" => Some(format!(
                "SUSE Linux Enterprise Micro:{}",
                major_minor(&o.version)
            )),
            "opensuse-leap" => Some(format!("openSUSE:Leap {}", major_minor(&o.version))),
            "opensuse-tumbleweed" => Some("openSUSE:Tumbleweed".to_owned()),
            "photon" => Some(format!("Photon OS:{}", major_minor(&o.version))),
            "mageia" => Some(format!("Mageia:{}", major(&o.version))),
            "openeuler" => Some(format!("openEuler:{}", o.version)),
            "bottlerocket" => Some("Bottlerocket".to_owned()),
            _ => None,
        };
        let rpm_by_source = matches!(o.family.as_str(), "mariner" | "azurelinux");
        Self {
            deb,
            apk,
            rpm,
            rpm_by_source,
        }
    }
}

/// A package's lookup keys, borrowed from the package where possible: one
/// or more feed ecosystems sharing one (not yet normalised) name and one
/// version to compare.
#[derive(Debug)]
pub(crate) struct LookupKeys<'a> {
    ecosystems: [&'a str; 3],
    count: usize,
    /// The package name as the feed files it, before normalisation.
    pub(crate) name: &'a str,
    /// The version to compare.
    pub(crate) version: Cow<'a, str>,
}

impl<'a> LookupKeys<'a> {
    /// The feed ecosystem strings, in lookup order.
    pub(crate) fn ecosystems(&self) -> &[&'a str] {
        &self.ecosystems[..self.count]
    }
}

/// The lookup keys of `p` (see [`package_keys`]), without allocating for
/// language packages.
pub(crate) fn lookup_keys<'a>(p: &'a Package, os: &'a OsEcosystems) -> Option<LookupKeys<'a>> {
    // Installed by an OS package: the distribution's feed speaks for it.
    if p.owned_by.is_some() {
        return None;
    }
    let source_name = p
        .source
        .as_ref()
        .map_or(p.name.as_str(), |s| s.name.as_str());
    let source_version = p
        .source
        .as_ref()
        .and_then(|s| s.version.as_deref())
        .unwrap_or(p.version.as_str());
    let one = |eco: &'a str, name: &'a str, version: Cow<'a, str>| LookupKeys {
        ecosystems: [eco, "", ""],
        count: 1,
        name,
        version,
    };
    Some(match p.ecosystem {
        Ecosystem::Deb => {
            if os.deb.is_empty() {
                return None;
            }
            let mut ecosystems = [""; 3];
            for (slot, e) in ecosystems.iter_mut().zip(&os.deb) {
                *slot = e.as_str();
            }
            LookupKeys {
                ecosystems,
                count: os.deb.len().min(3),
                name: source_name,
                version: Cow::Borrowed(source_version),
            }
        }
        Ecosystem::Apk => one(
            os.apk.as_deref()?,
            source_name,
            Cow::Borrowed(p.version.as_str()),
        ),
        Ecosystem::Rpm => one(
            os.rpm.as_deref()?,
            if os.rpm_by_source {
                source_name
            } else {
                p.name.as_str()
            },
            Cow::Owned(p.full_version()),
        ),
        Ecosystem::Pypi => one("PyPI", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Npm => one("npm", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Golang => one("Go", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Cargo => one("crates.io", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Maven => one("Maven", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Gem => one("RubyGems", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Composer => one("Packagist", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Nuget => one("NuGet", &p.name, Cow::Borrowed(&p.version)),
        Ecosystem::Julia => one("Julia", &p.name, Cow::Borrowed(&p.version)),
    })
}

/// The (ecosystem, normalised name, version to compare) keys under which a
/// package's advisories are filed. OS packages need the OS: Debian and
/// Ubuntu feeds are keyed by source package and compare the source
/// version, Alpine by origin.
pub fn package_keys(p: &Package, os: Option<&OsInfo>) -> Vec<(String, String, String)> {
    let os = OsEcosystems::new(os);
    let Some(keys) = lookup_keys(p, &os) else {
        return Vec::new();
    };
    keys.ecosystems()
        .iter()
        .map(|eco| {
            (
                (*eco).to_owned(),
                normalize_name(eco, keys.name),
                keys.version.clone().into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::SourcePackage;

    #[test]
    fn product_stream_ecosystems_reduce_to_the_release() {
        for (feed, key) in [
            ("Red Hat:rhel_e4s:9.2::appstream", "Red Hat:9"),
            ("Red Hat:enterprise_linux:8::baseos", "Red Hat:8"),
            ("Red Hat:rhel_aus:8.4::appstream", "Red Hat:8"),
            (
                "SUSE Linux Enterprise Server:sles:15:sp4::module-containers",
                "SUSE Linux Enterprise Server:15.4",
            ),
            (
                "SUSE:Linux Enterprise Server 15 SP5",
                "SUSE Linux Enterprise Server:15.5",
            ),
            (
                "SUSE:Linux Enterprise Micro 5.3",
                "SUSE Linux Enterprise Micro:5.3",
            ),
            (
                "SUSE:Linux Enterprise Server 12",
                "SUSE Linux Enterprise Server:12.0",
            ),
            (
                "Oracle Linux:ol8_baseos_latest::ol8_baseos_latest",
                "Oracle Linux:8",
            ),
            (
                "Amazon Linux:amazon_linux_2023::al2023_appstream",
                "Amazon Linux:2023",
            ),
            ("Ubuntu:ubuntu_pro:22.04::main", "Ubuntu:Pro:22.04:LTS"),
            ("Debian:12", "Debian:12"),
            ("Rocky Linux:9", "Rocky Linux:9"),
            ("openSUSE:Leap 15.5", "openSUSE:Leap 15.5"),
            ("PyPI", "PyPI"),
        ] {
            assert_eq!(canonical_ecosystem(feed), key, "{feed}");
        }
        let os = |family: &str, version: &str| OsInfo {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        };
        for (family, version, key) in [
            ("rhel", "9.2", "Red Hat:9"),
            ("centos", "7", "Red Hat:7"),
            ("oracle", "8.9", "Oracle Linux:8"),
            ("amazon", "2023", "Amazon Linux:2023"),
            ("sles", "15.4", "SUSE Linux Enterprise Server:15.4"),
            ("sles", "12", "SUSE Linux Enterprise Server:12.0"),
            ("opensuse-leap", "15.5", "openSUSE:Leap 15.5"),
        ] {
            assert_eq!(
                OsEcosystems::new(Some(&os(family, version))).rpm.as_deref(),
                Some(key)
            );
        }
    }

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
        for (eco, n) in [
            ("PyPI", "django"),
            ("PyPI", "Django"),
            ("PyPI", "-a--b-"),
            ("PyPI", "zope.interface__x"),
            ("PyPI", "a-b-c"),
            ("PyPI", "Ünïcode_X"),
            ("NuGet", "newtonsoft.json"),
            ("NuGet", "Newtonsoft.Json"),
            ("npm", "@Scope/X"),
        ] {
            assert_eq!(
                normalize_name_cow(eco, n),
                normalize_name(eco, n),
                "{eco} {n}"
            );
        }
        assert!(matches!(
            normalize_name_cow("PyPI", "a-b"),
            Cow::Borrowed(_)
        ));
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
            ..Default::default()
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
