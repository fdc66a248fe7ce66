//! Package URLs (`pkg:<type>/<namespace>/<name>@<version>?<qualifiers>`).
//!
//! Built by hand to the purl specification: each namespace segment, the
//! name, the version and every qualifier value are percent-encoded, keeping
//! only the ASCII letters and digits, `.-_~`, and the colon (which the
//! specification says must never be encoded: a Debian epoch is
//! `pkg:deb/debian/attr@1:2.4.47-2%2Bb1`); qualifier keys are sorted and
//! empty values dropped. Type-specific rules: `deb`, `apk`, `composer`,
//! `golang` and `npm` namespaces and names are lowercased, PyPI names are
//! normalised (lowercase, runs of `-_.` to `-`), an npm scope is the
//! namespace (`%40scope`), a Maven `group:artifact` and a Composer
//! `vendor/name` are split into namespace and name, and a Go module path
//! into everything before the last `/` and the last segment.
//!
//! OS packages take their namespace (the vendor) and a `distro` qualifier
//! from the image's operating system when it is compatible with the
//! package's ecosystem; an RPM epoch is the `epoch` qualifier, a Debian one
//! stays in the version, as dpkg writes it.

use std::fmt::Write as _;

use wharf_types::{Ecosystem, OsInfo, Package};

/// The package URL of `p`, found in an image whose operating system is `os`
/// (when identified).
///
/// ```
/// use wharf_inventory::purl;
/// use wharf_types::{Ecosystem, OsInfo, Package};
///
/// let mut p = Package::new(Ecosystem::Deb, "curl", "7.88.1-10+deb12u5", "var/lib/dpkg/status");
/// p.arch = Some("amd64".into());
/// let os = OsInfo {
///     family: "debian".into(),
///     version: "12".into(),
///     ..Default::default()
/// };
/// assert_eq!(
///     purl(&p, Some(&os)),
///     "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
/// );
/// ```
pub fn purl(p: &Package, os: Option<&OsInfo>) -> String {
    // The OS describes this package only if it uses the package's packaging.
    let os = os.filter(|o| os_ecosystem(&o.family).is_none_or(|e| e == p.ecosystem));
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    if p.ecosystem.is_os() {
        if let Some(arch) = p.arch.as_deref().filter(|a| !a.is_empty()) {
            qualifiers.push(("arch", arch.to_owned()));
        }
        if let Some(o) = os {
            let family = o.family.to_lowercase();
            let distro = if o.version.is_empty() {
                family
            } else {
                format!("{family}-{}", o.version)
            };
            qualifiers.push(("distro", distro));
        }
    }
    let family = os.map(|o| o.family.to_lowercase());
    let family = family.as_deref();
    let eco = p.ecosystem;
    let ty = eco.purl_type();
    match eco {
        Ecosystem::Deb => {
            let vendor = match family {
                None | Some("distroless") => "debian",
                Some(f) => f,
            };
            build(
                ty,
                &[vendor],
                &p.name.to_lowercase(),
                &p.full_version(),
                qualifiers,
            )
        }
        Ecosystem::Apk => {
            let vendor = family.unwrap_or("alpine");
            build(
                ty,
                &[vendor],
                &p.name.to_lowercase(),
                &p.full_version(),
                qualifiers,
            )
        }
        Ecosystem::Rpm => {
            if let Some(e) = p.epoch.filter(|e| *e > 0) {
                qualifiers.push(("epoch", e.to_string()));
            }
            let vendor = family.map(rpm_vendor);
            build(ty, vendor.as_slice(), &p.name, &p.version, qualifiers)
        }
        Ecosystem::Pypi => build(ty, &[], &pypi_name(&p.name), &p.version, qualifiers),
        Ecosystem::Npm => {
            let name = p.name.to_lowercase();
            match name.split_once('/') {
                Some((scope, n)) if scope.starts_with('@') => {
                    build(ty, &[scope], n, &p.version, qualifiers)
                }
                _ => build(ty, &[], &name, &p.version, qualifiers),
            }
        }
        Ecosystem::Golang => {
            let path = p.name.to_lowercase();
            let path = path.trim_matches('/');
            match path.rsplit_once('/') {
                Some((ns, n)) => {
                    let segments: Vec<&str> = ns.split('/').collect();
                    build(ty, &segments, n, &p.version, qualifiers)
                }
                None => build(ty, &[], path, &p.version, qualifiers),
            }
        }
        Ecosystem::Maven => match p.name.split_once(':') {
            Some((group, rest)) => {
                let artifact = rest.split(':').next().unwrap_or(rest);
                build(ty, &[group], artifact, &p.version, qualifiers)
            }
            None => build(ty, &[], &p.name, &p.version, qualifiers),
        },
        Ecosystem::Composer => {
            let name = p.name.to_lowercase();
            match name.split_once('/') {
                Some((vendor, n)) => build(ty, &[vendor], n, &p.version, qualifiers),
                None => build(ty, &[], &name, &p.version, qualifiers),
            }
        }
        Ecosystem::Cargo | Ecosystem::Gem | Ecosystem::Nuget => {
            build(ty, &[], &p.name, &p.version, qualifiers)
        }
        // The UUID tells packages of one name apart (purl spec: `uuid`).
        Ecosystem::Julia => {
            if let Some(uuid) = &p.ecosystem_id {
                qualifiers.push(("uuid", uuid.clone()));
            }
            build(ty, &[], &p.name, &p.version, qualifiers)
        }
    }
}

/// The ecosystem of an OS family's packages, for the families wharf knows.
fn os_ecosystem(family: &str) -> Option<Ecosystem> {
    match family.to_lowercase().as_str() {
        "debian" | "ubuntu" | "distroless" | "echo" => Some(Ecosystem::Deb),
        "alpine" | "wolfi" | "chainguard" | "minimos" => Some(Ecosystem::Apk),
        "rhel"
        | "centos"
        | "rocky"
        | "alma"
        | "almalinux"
        | "oracle"
        | "fedora"
        | "amazon"
        | "sles"
        | "opensuse"
        | "opensuse-leap"
        | "opensuse-tumbleweed"
        | "photon"
        | "mariner"
        | "azurelinux"
        | "bottlerocket" => Some(Ecosystem::Rpm),
        _ => None,
    }
}

/// The purl namespace (vendor) of an RPM distribution, from wharf's family
/// name (lowercase).
fn rpm_vendor(family: &str) -> &str {
    match family {
        "rhel" => "redhat",
        "alma" => "almalinux",
        "sles" => "suse",
        "opensuse-leap" | "opensuse-tumbleweed" => "opensuse",
        other => other,
    }
}

/// PyPI name normalisation: lowercase, each run of `-`, `_` and `.` one `-`.
fn pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Assemble a purl from its decoded parts: namespace segments, name,
/// version (omitted when empty) and qualifiers (sorted by key, empty values
/// dropped).
pub(super) fn build(
    ty: &str,
    namespace: &[&str],
    name: &str,
    version: &str,
    mut qualifiers: Vec<(&str, String)>,
) -> String {
    let mut out = format!("pkg:{ty}/");
    for segment in namespace.iter().filter(|s| !s.is_empty()) {
        out.push_str(&encode(segment));
        out.push('/');
    }
    out.push_str(&encode(name.trim_matches('/')));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    qualifiers.retain(|(_, v)| !v.is_empty());
    qualifiers.sort();
    for (i, (k, v)) in qualifiers.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Percent-encode a purl component: everything but ASCII letters, digits,
/// `.-_~` and `:` becomes `%XX` (uppercase hex) per UTF-8 byte.
pub(super) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: &str, version: &str) -> OsInfo {
        OsInfo {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    fn pkg(eco: Ecosystem, name: &str, version: &str) -> Package {
        Package::new(eco, name, version, "some/where")
    }

    fn with_arch(mut p: Package, arch: &str) -> Package {
        p.arch = Some(arch.into());
        p
    }

    #[test]
    fn encoding() {
        assert_eq!(
            encode("a b+c/d@e:f%g?h#i&j=k"),
            "a%20b%2Bc%2Fd%40e:f%25g%3Fh%23i%26j%3Dk"
        );
        assert_eq!(encode("Az09.-_~"), "Az09.-_~");
        assert_eq!(encode("é€"), "%C3%A9%E2%82%AC");
    }

    #[test]
    fn deb() {
        let debian = os("debian", "12");
        let p = with_arch(pkg(Ecosystem::Deb, "curl", "7.88.1-10+deb12u5"), "amd64");
        assert_eq!(
            purl(&p, Some(&debian)),
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
        );
        // The epoch stays in the version; the colon is not encoded.
        let p = with_arch(pkg(Ecosystem::Deb, "zlib1g", "1:1.2.13.dfsg-1"), "arm64");
        assert_eq!(
            purl(&p, Some(&os("ubuntu", "22.04"))),
            "pkg:deb/ubuntu/zlib1g@1:1.2.13.dfsg-1?arch=arm64&distro=ubuntu-22.04"
        );
        // Unknown OS: the Debian vendor, no distro.
        assert_eq!(
            purl(&pkg(Ecosystem::Deb, "libstdc++6", "12.2.0-14"), None),
            "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14"
        );
        // An OS of another packaging system says nothing about a deb.
        assert_eq!(
            purl(
                &pkg(Ecosystem::Deb, "bash", "5.2-1"),
                Some(&os("alpine", "3.19"))
            ),
            "pkg:deb/debian/bash@5.2-1"
        );
        assert_eq!(
            purl(
                &pkg(Ecosystem::Deb, "Bash", "5.2-1"),
                Some(&os("distroless", ""))
            ),
            "pkg:deb/debian/bash@5.2-1?distro=distroless"
        );
    }

    #[test]
    fn apk() {
        let p = with_arch(pkg(Ecosystem::Apk, "musl", "1.2.4-r2"), "x86_64");
        assert_eq!(
            purl(&p, Some(&os("alpine", "3.19.1"))),
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
        );
        let p = with_arch(
            pkg(Ecosystem::Apk, "libstdc++", "13.2.1_git20231014-r0"),
            "aarch64",
        );
        assert_eq!(
            purl(&p, Some(&os("wolfi", "20230201"))),
            "pkg:apk/wolfi/libstdc%2B%2B@13.2.1_git20231014-r0?arch=aarch64&distro=wolfi-20230201"
        );
        assert_eq!(
            purl(&pkg(Ecosystem::Apk, "busybox", "1.36.1-r15"), None),
            "pkg:apk/alpine/busybox@1.36.1-r15"
        );
    }

    #[test]
    fn rpm() {
        let mut p = with_arch(
            pkg(Ecosystem::Rpm, "openssl-libs", "3.0.7-25.el9_3"),
            "x86_64",
        );
        p.epoch = Some(1);
        assert_eq!(
            purl(&p, Some(&os("rhel", "9.3"))),
            "pkg:rpm/redhat/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rhel-9.3&epoch=1"
        );
        p.epoch = Some(0);
        let vendors = [
            ("rocky", "rocky"),
            ("alma", "almalinux"),
            ("centos", "centos"),
            ("fedora", "fedora"),
            ("amazon", "amazon"),
            ("oracle", "oracle"),
            ("sles", "suse"),
            ("opensuse-leap", "opensuse"),
            ("opensuse-tumbleweed", "opensuse"),
            ("photon", "photon"),
            ("mariner", "mariner"),
            ("azurelinux", "azurelinux"),
        ];
        for (family, vendor) in vendors {
            assert_eq!(
                purl(&p, Some(&os(family, "1"))),
                format!(
                    "pkg:rpm/{vendor}/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro={family}-1"
                )
            );
        }
        // The RPM name is case sensitive; no OS, no namespace.
        assert_eq!(
            purl(
                &pkg(Ecosystem::Rpm, "perl-IO-Socket-SSL", "2.073-1.el9"),
                None
            ),
            "pkg:rpm/perl-IO-Socket-SSL@2.073-1.el9"
        );
    }

    #[test]
    fn language_ecosystems_ignore_the_os() {
        let debian = os("debian", "12");
        let cases = [
            (
                Ecosystem::Pypi,
                "Flask_SQLAlchemy",
                "3.1.1",
                "pkg:pypi/flask-sqlalchemy@3.1.1",
            ),
            (
                Ecosystem::Pypi,
                "zope.interface",
                "6.0",
                "pkg:pypi/zope-interface@6.0",
            ),
            (
                Ecosystem::Pypi,
                "a-_.B",
                "1.0+local",
                "pkg:pypi/a-b@1.0%2Blocal",
            ),
            (
                Ecosystem::Npm,
                "@Babel/Core",
                "7.24.0",
                "pkg:npm/%40babel/core@7.24.0",
            ),
            (
                Ecosystem::Npm,
                "lodash",
                "4.17.21",
                "pkg:npm/lodash@4.17.21",
            ),
            (
                Ecosystem::Npm,
                "@types/node",
                "20.11.0-beta+sha.1",
                "pkg:npm/%40types/node@20.11.0-beta%2Bsha.1",
            ),
            (
                Ecosystem::Golang,
                "github.com/Masterminds/semver/v3",
                "v3.2.1",
                "pkg:golang/github.com/masterminds/semver/v3@v3.2.1",
            ),
            (
                Ecosystem::Golang,
                "golang.org/x/net",
                "v0.0.0-20240101000000-abcdef123456",
                "pkg:golang/golang.org/x/net@v0.0.0-20240101000000-abcdef123456",
            ),
            (
                Ecosystem::Golang,
                "stdlib",
                "go1.22.1",
                "pkg:golang/stdlib@go1.22.1",
            ),
            (
                Ecosystem::Cargo,
                "serde_json",
                "1.0.114",
                "pkg:cargo/serde_json@1.0.114",
            ),
            (
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.17.1",
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
            ),
            (
                Ecosystem::Maven,
                "com.example:My App",
                "1.0 beta",
                "pkg:maven/com.example/My%20App@1.0%20beta",
            ),
            (
                Ecosystem::Gem,
                "nokogiri",
                "1.16.2-x86_64-linux",
                "pkg:gem/nokogiri@1.16.2-x86_64-linux",
            ),
            (
                Ecosystem::Composer,
                "Symfony/Console",
                "v6.4.4",
                "pkg:composer/symfony/console@v6.4.4",
            ),
            (
                Ecosystem::Nuget,
                "Newtonsoft.Json",
                "13.0.3",
                "pkg:nuget/Newtonsoft.Json@13.0.3",
            ),
            (
                Ecosystem::Nuget,
                "Some#Odd?Name",
                "",
                "pkg:nuget/Some%23Odd%3FName",
            ),
        ];
        for (eco, name, version, want) in cases {
            let mut p = pkg(eco, name, version);
            p.arch = Some("amd64".into());
            assert_eq!(purl(&p, Some(&debian)), want, "{eco} {name}");
        }
    }

    /// Julia packages carry their UUID (the purl spec's `uuid` qualifier).
    #[test]
    fn julia_uuid_qualifier() {
        let mut p = pkg(Ecosystem::Julia, "HTTP", "1.10.16");
        assert_eq!(purl(&p, None), "pkg:julia/HTTP@1.10.16");
        p.ecosystem_id = Some("cd3eb016-35fb-5094-929b-558a96fad6f3".into());
        assert_eq!(
            purl(&p, None),
            "pkg:julia/HTTP@1.10.16?uuid=cd3eb016-35fb-5094-929b-558a96fad6f3"
        );
    }
}
