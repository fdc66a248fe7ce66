//! The analyzers wharf runs by default, registered explicitly in one list.
//!
//! Each entry names the paths it wants (glob patterns routed by the engine's
//! single glob set; the module's own `wants` refines where a glob cannot
//! say everything) and the parser that reads them. Bump an entry's version
//! whenever its output for the same file may change: that invalidates
//! exactly the cached layer reports it contributed to.

use wharf_types::Package;

use crate::engine::{Analyzer, AnalyzerSet, File, Output};
use crate::{
    ParseError, apk, bottlerocket, dotnet, dpkg, golang, java, julia, npm, os_release, php, python,
    rpm, ruby, rust,
};

type Parse = fn(&File<'_>) -> Result<Option<Output>, ParseError>;

/// A table-driven analyzer.
struct Entry {
    name: &'static str,
    version: u32,
    patterns: &'static [&'static str],
    executables: bool,
    max_size: u64,
    disk: bool,
    parse: Parse,
}

impl Analyzer for Entry {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn patterns(&self) -> &'static [&'static str] {
        self.patterns
    }
    fn wants_executables(&self) -> bool {
        self.executables
    }
    fn max_file_size(&self) -> u64 {
        self.max_size
    }
    fn needs_disk(&self) -> bool {
        self.disk
    }
    fn analyze(&self, file: &File<'_>) -> Result<Option<Output>, ParseError> {
        (self.parse)(file)
    }
}

const MIB: u64 = 1 << 20;

fn packages(r: Result<Vec<Package>, ParseError>) -> Result<Option<Output>, ParseError> {
    r.map(|packages| (!packages.is_empty()).then_some(Output::Packages { packages }))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn os_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    Ok(Some(Output::OsFile {
        content: String::from_utf8_lossy(f.bytes).into_owned(),
    }))
}

fn dpkg_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    let p = f.path;
    if p == "var/lib/dpkg/status" {
        return packages(dpkg::parse_status(p, f.bytes));
    }
    if let Some(name) = p.strip_prefix("var/lib/dpkg/status.d/") {
        if name.contains('.') {
            // `<pkg>.md5sums` beside distroless status files.
            return Ok(None);
        }
        return packages(dpkg::parse_status_d(p, f.bytes));
    }
    if let Some(list) = p
        .strip_prefix("var/lib/dpkg/info/")
        .and_then(|n| n.strip_suffix(".list"))
    {
        return Ok(Some(Output::InstalledFiles {
            package: list.to_owned(),
            files: dpkg::parse_file_list(f.bytes),
        }));
    }
    if let Some(pkg) = p
        .strip_prefix("usr/share/doc/")
        .and_then(|r| r.strip_suffix("/copyright"))
    {
        let licenses = dpkg::parse_copyright(f.bytes);
        return Ok((!licenses.is_empty()).then(|| Output::Licenses {
            package: pkg.to_owned(),
            licenses,
        }));
    }
    Ok(None)
}

fn rpm_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    let disk = f
        .disk
        .ok_or_else(|| ParseError::new(f.path, "rpm database not staged on disk"))?;
    packages(rpm::parse_database(f.path, disk))
}

fn python_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !python::wants(f.path) {
        return Ok(None);
    }
    packages(python::parse_metadata(f.path, f.bytes))
}

fn npm_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !npm::wants(f.path) {
        return Ok(None);
    }
    packages(npm::parse(f.path, f.bytes))
}

fn php_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !php::wants(f.path) {
        return Ok(None);
    }
    packages(match file_name(f.path) {
        "composer.lock" => php::parse_composer_lock(f.path, f.bytes),
        _ => php::parse_installed_json(f.path, f.bytes),
    })
}

fn ruby_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !ruby::wants(f.path) {
        return Ok(None);
    }
    packages(match file_name(f.path) {
        "Gemfile.lock" => ruby::parse_gemfile_lock(f.path, f.bytes),
        _ => ruby::parse_gemspec(f.path, f.bytes),
    })
}

fn java_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !java::wants(f.path) {
        return Ok(None);
    }
    packages(java::parse_archive(
        f.path,
        f.bytes,
        &java::ArchiveLimits::default(),
    ))
}

fn go_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !golang::looks_like_binary(f.bytes) {
        return Ok(None);
    }
    packages(golang::parse_binary(f.path, f.bytes))
}

fn rust_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if file_name(f.path) == "Cargo.lock" {
        return packages(rust::parse_cargo_lock(f.path, f.bytes));
    }
    if !rust::looks_like_binary(f.bytes) {
        return Ok(None);
    }
    packages(rust::parse_auditable(f.path, f.bytes))
}

fn bottlerocket_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    packages(bottlerocket::parse(f.path, f.bytes))
}

fn julia_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !julia::wants(f.path) {
        return Ok(None);
    }
    packages(julia::parse(f.path, f.bytes))
}

fn dotnet_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    if !dotnet::wants(f.path) {
        return Ok(None);
    }
    packages(dotnet::parse_deps_json(f.path, f.bytes))
}

fn apk_file(f: &File<'_>) -> Result<Option<Output>, ParseError> {
    packages(apk::parse_installed(f.path, f.bytes))
}

/// The default analyzers.
fn entries() -> Vec<Entry> {
    let e = |name, version, patterns, max_size, parse: Parse| Entry {
        name,
        version,
        patterns,
        executables: false,
        max_size,
        disk: false,
        parse,
    };
    vec![
        e("os-release", 3, os_release::PATHS, MIB, os_file),
        e(
            "dpkg",
            1,
            &[
                "var/lib/dpkg/status",
                "var/lib/dpkg/status.d/*",
                "var/lib/dpkg/info/*.list",
                "usr/share/doc/*/copyright",
            ],
            256 * MIB,
            dpkg_file,
        ),
        e("apk", 1, apk::PATHS, 256 * MIB, apk_file),
        Entry {
            disk: true,
            ..e("rpm", 1, rpm::PATHS, 2048 * MIB, rpm_file)
        },
        e(
            "bottlerocket",
            1,
            &[bottlerocket::PATH],
            16 * MIB,
            bottlerocket_file,
        ),
        e(
            "python",
            1,
            &[
                "**/*.dist-info/METADATA",
                "**/*.egg-info/PKG-INFO",
                "**/*.egg-info",
                "**/EGG-INFO/PKG-INFO",
            ],
            16 * MIB,
            python_file,
        ),
        e(
            "npm",
            1,
            &[
                "**/node_modules/**/package.json",
                "**/package-lock.json",
                "**/npm-shrinkwrap.json",
                "**/yarn.lock",
                "**/pnpm-lock.yaml",
            ],
            128 * MIB,
            npm_file,
        ),
        e(
            "composer",
            1,
            &["**/vendor/composer/installed.json", "**/composer.lock"],
            64 * MIB,
            php_file,
        ),
        e(
            "gem",
            1,
            &["**/specifications/*.gemspec", "**/Gemfile.lock"],
            16 * MIB,
            ruby_file,
        ),
        e(
            "java-archive",
            1,
            &[
                "**/*.jar", "**/*.war", "**/*.ear", "**/*.par", "**/*.hpi", "**/*.jpi",
            ],
            512 * MIB,
            java_file,
        ),
        Entry {
            executables: true,
            ..e("go-binary", 1, &[], 512 * MIB, go_file)
        },
        Entry {
            executables: true,
            ..e("rust", 1, &["**/Cargo.lock"], 512 * MIB, rust_file)
        },
        e("dotnet-deps", 1, &["**/*.deps.json"], 64 * MIB, dotnet_file),
        e(
            "julia",
            1,
            &[
                "**/Manifest.toml",
                "**/JuliaManifest.toml",
                "**/Manifest-v*.toml",
                "**/JuliaManifest-v*.toml",
            ],
            16 * MIB,
            julia_file,
        ),
    ]
}

/// The default analyzer set.
pub fn builtin() -> AnalyzerSet {
    let analyzers: Vec<Box<dyn Analyzer>> = entries()
        .into_iter()
        .map(|e| Box::new(e) as Box<dyn Analyzer>)
        .collect();
    // The patterns above are constants; a failure here is a bug caught by
    // the test below, never by users.
    match AnalyzerSet::new(analyzers) {
        Ok(set) => set,
        Err(e) => unreachable!("built-in analyzer patterns are invalid: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_set_compiles_and_names_are_unique() {
        let set = builtin();
        let versions = set.versions();
        let names: std::collections::BTreeSet<&str> = versions
            .iter()
            .filter_map(|v| v.split('@').next())
            .collect();
        assert_eq!(names.len(), versions.len());
        assert!(names.contains("dpkg") && names.contains("rpm") && names.contains("go-binary"));
    }
}
