//! .NET: the `*.deps.json` file the SDK writes next to every published
//! application.
//!
//! [`parse_deps_json`] reports the `libraries` entries whose key is
//! `Name/Version` and whose `type` is:
//! - `package`: a NuGet package;
//! - `runtimepack`: the .NET runtime bundled into a self-contained app, keyed
//!   `runtimepack.Microsoft.NETCore.App.Runtime.<rid>/<version>`. It is
//!   reported without the synthetic `runtimepack.` prefix, i.e. under the name
//!   of the NuGet runtime package that advisories use, as Trivy does.
//!
//! `project` entries (the application and its project references: code built
//! from source, not NuGet packages) and other types (`reference`, …) are
//! skipped; `serviceable`, `sha512`, `path` and `hashPath` are ignored.
//!
//! As in Trivy, when the `targets` entry named by `runtimeTarget.name`
//! exists, a library listed there without any `runtime`, `runtimeTargets` or
//! `native` assets is skipped: nothing of it is deployed with the app (a
//! meta-package, a compile-time-only reference). A library missing from that
//! target is kept.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// Largest `.deps.json` accepted.
const MAX_DEPS_JSON_BYTES: usize = 64 << 20;
/// Most libraries accepted from one file.
const MAX_LIBRARIES: usize = 100_000;
/// Prefix the SDK gives the bundled runtime in self-contained apps.
const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

/// Whether the layer engine should hand the file at `path` (no leading
/// slash) to [`parse_deps_json`]: any file whose name ends in `.deps.json`.
pub fn wants(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.len() > ".deps.json".len() && name.ends_with(".deps.json")
}

#[derive(Deserialize)]
struct DepsJson {
    #[serde(default, rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    #[serde(default)]
    targets: Option<BTreeMap<String, BTreeMap<String, Value>>>,
    #[serde(default)]
    libraries: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
struct RuntimeTarget {
    #[serde(default)]
    name: Option<String>,
}

/// Parses the `.deps.json` at `path` (recorded in the packages' locations)
/// with content `content` into [`Ecosystem::Nuget`] packages.
///
/// Invalid JSON, a JSON value that is not a deps file (no `runtimeTarget`,
/// `targets` or `libraries`), or a file over the size/count caps is a
/// [`ParseError`]. A deps file without `libraries` has no packages.
pub fn parse_deps_json(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    crate::error::within(path, ".deps.json", content, MAX_DEPS_JSON_BYTES)?;
    // The SDK writes a UTF-8 byte-order mark on some platforms.
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let deps: DepsJson = serde_json::from_slice(content)
        .map_err(|e| ParseError::new(path, format!("invalid .deps.json: {e}")))?;
    if deps.runtime_target.is_none() && deps.targets.is_none() && deps.libraries.is_none() {
        return Err(ParseError::new(
            path,
            "not a .deps.json file: no runtimeTarget, targets or libraries",
        ));
    }
    let Some(libraries) = deps.libraries else {
        return Ok(Vec::new());
    };
    if libraries.len() > MAX_LIBRARIES {
        return Err(ParseError::new(
            path,
            format!(".deps.json lists more than {MAX_LIBRARIES} libraries"),
        ));
    }
    let runtime_libs = deps
        .runtime_target
        .and_then(|t| t.name)
        .and_then(|name| deps.targets.as_ref()?.get(&name));

    let mut packages = Vec::new();
    for (key, library) in &libraries {
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let kind = library
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = if kind.eq_ignore_ascii_case("package") {
            name
        } else if kind.eq_ignore_ascii_case("runtimepack") {
            name.strip_prefix(RUNTIME_PACK_PREFIX).unwrap_or(name)
        } else {
            continue;
        };
        if let Some(target) = runtime_libs.and_then(|libs| libs.get(key))
            && !has_runtime_assets(target)
        {
            continue;
        }
        packages.push(Package::new(Ecosystem::Nuget, name, version, path));
    }
    Ok(packages)
}

/// Whether a `targets` entry deploys anything: a non-null `runtime`,
/// `runtimeTargets` or `native`.
fn has_runtime_assets(target: &Value) -> bool {
    ["runtime", "runtimeTargets", "native"]
        .iter()
        .any(|k| target.get(k).is_some_and(|v| !v.is_null()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pkgs: &[Package]) -> Vec<(&str, &str)> {
        pkgs.iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    #[test]
    fn wants_deps_json() {
        assert!(wants("application1.deps.json"));
        assert!(wants("path/to/my/application1.deps.json"));
        assert!(wants("app/datacollector.deps.json"));
        for p in [
            "test.deps",
            "test.zip",
            ".deps.json",
            "x/.deps.json",
            "a.deps.json/b",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn packages_runtimepacks_and_filters() {
        let json = br#"{
          "runtimeTarget": {"name": "T"},
          "targets": {"T": {
            "App/1.0.0": {"runtime": {"App.dll": {}}},
            "A/1.0.0": {"runtime": {"lib/A.dll": {}}},
            "Meta/2.0.0": {"dependencies": {"A": "1.0.0"}},
            "Native/3.0.0": {"runtimeTargets": {"runtimes/x/native/n.so": {}}},
            "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"runtime": {"x.dll": {}}}
          }},
          "libraries": {
            "App/1.0.0": {"type": "project"},
            "A/1.0.0": {"type": "package", "serviceable": true},
            "Meta/2.0.0": {"type": "package"},
            "Native/3.0.0": {"type": "Package"},
            "NotInTarget/4.0.0": {"type": "package"},
            "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack"},
            "Ref/1.0.0": {"type": "reference"},
            "NoVersion": {"type": "package"},
            "Untyped/1.0.0": {}
          }
        }"#;
        let pkgs = parse_deps_json("app/App.deps.json", json).expect("parse");
        assert_eq!(
            names(&pkgs),
            [
                ("A", "1.0.0"),
                ("Native", "3.0.0"),
                ("NotInTarget", "4.0.0"),
                ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0"),
            ]
        );
        assert!(
            pkgs.iter()
                .all(|p| p.ecosystem == Ecosystem::Nuget && p.locations == ["app/App.deps.json"])
        );
    }

    #[test]
    fn missing_runtime_target_keeps_everything() {
        let json = br#"{"runtimeTarget": {"name": "Other"},
            "targets": {"T": {"Meta/2.0.0": {}}},
            "libraries": {"Meta/2.0.0": {"type": "package"}}}"#;
        assert_eq!(
            names(&parse_deps_json("x", json).expect("parse")),
            [("Meta", "2.0.0")]
        );
    }

    #[test]
    fn errors_and_empty() {
        assert!(parse_deps_json("x", b"").is_err());
        assert!(parse_deps_json("x", b"not\njson").is_err());
        assert!(parse_deps_json("x", b"{}").is_err());
        assert!(parse_deps_json("x", b"[]").is_err());
        assert!(parse_deps_json("x", br#"{"libraries": 5}"#).is_err());
        let e = parse_deps_json("a/b.deps.json", b"{\"targets\": {").expect_err("eof");
        assert_eq!(e.path, "a/b.deps.json");
        assert_eq!(parse_deps_json("x", br#"{"targets": {}}"#), Ok(vec![]));
        assert_eq!(
            names(
                &parse_deps_json(
                    "x",
                    b"\xef\xbb\xbf{\"libraries\":{\"A/1\":{\"type\":\"package\"}}}"
                )
                .expect("bom")
            ),
            [("A", "1")]
        );
    }
}
