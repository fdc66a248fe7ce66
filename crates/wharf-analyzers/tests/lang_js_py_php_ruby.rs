//! Fixture-driven tests of the npm, Python, Composer and RubyGems analyzers.
//!
//! The fixtures under `tests/fixtures/lang/{npm,python,php,ruby}` are copies
//! of Trivy's and osv-scalibr's test data with our JSON transcription of
//! their expected results (`<suite>.expected.json`, see
//! `tests/fixtures/lang/SOURCES-js-py-php-ruby.md`). Each suite below runs
//! every upstream case of one expected file:
//!
//! - parse cases: our package set (name, version, and where the suite says
//!   so dev flag and licences) must equal the upstream one;
//! - path cases (`…Required`, `IsPackageRoot`): `wants()` must agree.
//!
//! Where wharf deliberately differs from upstream, the case has a
//! [`Deviation`] saying how and why; a deviation that no longer applies
//! fails the suite, so the list stays honest. Upstream tests of internal
//! helpers (key parsers, metadata protos…) are not parse or path cases and
//! are ignored; size-limit path cases are skipped (sizes are the layer
//! engine's business).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;
use wharf_analyzers::{ParseError, npm, php, python, ruby};
use wharf_types::{Ecosystem, Package};

type ParseFn = fn(&str, &[u8]) -> Result<Vec<Package>, ParseError>;
type WantsFn = fn(&str) -> bool;
type Key = (String, String);

/// How wharf deliberately differs from upstream on one case.
#[derive(Debug, Clone, Copy)]
struct Deviation {
    /// The case: its input path, its name, or its path (path cases).
    case: &'static str,
    /// Do not run the (parse) case at all.
    skip: bool,
    /// Upstream packages we do not report (name, version).
    missing: &'static [(&'static str, &'static str)],
    /// Packages we report that upstream does not.
    extra: &'static [(&'static str, &'static str)],
    /// Upstream expects an error; we return packages (or nothing) instead.
    no_error: bool,
    /// Upstream drops dev packages; compare only our non-dev ones.
    only_non_dev: bool,
    /// Our licences where they differ from upstream's (name, licences).
    licenses: &'static [(&'static str, &'static [&'static str])],
    /// Our dev flag where it differs from upstream's (name, dev).
    dev: &'static [(&'static str, bool)],
    /// Path case: our `wants()` answer. Set for path-case deviations only.
    wants: Option<bool>,
    /// Why.
    why: &'static str,
}

const D: Deviation = Deviation {
    case: "",
    skip: false,
    missing: &[],
    extra: &[],
    no_error: false,
    only_non_dev: false,
    licenses: &[],
    dev: &[],
    wants: None,
    why: "",
};

/// One expected-results file and how to check it.
struct Suite {
    /// Expected file, relative to `tests/fixtures/lang`; inputs are relative
    /// to the folder of the same name without `.expected.json`.
    expected: &'static str,
    parse: ParseFn,
    /// The upstream analyzer's file selection, in terms of our `wants()`.
    wants: WantsFn,
    /// Upstream test functions whose cases parse a file.
    parse_tests: &'static [&'static str],
    /// Upstream test functions whose cases check a path.
    wants_tests: &'static [&'static str],
    compare_dev: bool,
    compare_licenses: bool,
    deviations: &'static [Deviation],
}

/// An expected package.
#[derive(Debug, Clone)]
struct Expected {
    dev: bool,
    licenses: Vec<String>,
}

fn lang_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lang")
}

fn str_field<'a>(case: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| case.get(*k).and_then(Value::as_str))
}

/// The expected packages of an upstream list, merged by name@version (dev
/// only if every copy is), without the project root and workspace members
/// an analyzer adds from package.json.
fn expected_packages(list: &[Value]) -> BTreeMap<Key, Expected> {
    let mut out: BTreeMap<Key, Expected> = BTreeMap::new();
    for p in list {
        let rel = p.get("Relationship").and_then(Value::as_str).unwrap_or("");
        if rel == "RelationshipRoot" || rel == "RelationshipWorkspace" {
            continue;
        }
        let name = p
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let version = p
            .get("Version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let dev = p.get("Dev").and_then(Value::as_bool).unwrap_or(false)
            || p.pointer("/Metadata/DepGroupVals")
                .and_then(Value::as_array)
                .is_some_and(|g| g.iter().any(|v| v == "dev"));
        let licenses: Vec<String> = p
            .get("Licenses")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        out.entry((name, version))
            .and_modify(|e| {
                e.dev &= dev;
                if e.licenses.is_empty() {
                    e.licenses.clone_from(&licenses);
                }
            })
            .or_insert(Expected { dev, licenses });
    }
    out
}

fn key_set(list: &[(&str, &str)]) -> BTreeSet<Key> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Outcome counters of a suite.
#[derive(Debug, Default)]
struct Tally {
    parse_cases: usize,
    path_cases: usize,
    skipped: Vec<String>,
    deviating: Vec<String>,
}

impl Suite {
    /// The deviation of a path case (`path_case`) or parse case with one of
    /// these keys. Path-case deviations are those that set `wants`.
    fn deviation(
        &self,
        keys: &[&str],
        path_case: bool,
        used: &mut BTreeSet<&'static str>,
    ) -> Deviation {
        for d in self.deviations {
            if keys.contains(&d.case) && d.wants.is_some() == path_case {
                used.insert(d.case);
                return *d;
            }
        }
        D
    }

    fn run(&self) {
        let expected_path = lang_dir().join(self.expected);
        let text = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let doc: Value = serde_json::from_str(&text).expect("expected file is JSON");
        let base = lang_dir().join(
            self.expected
                .strip_suffix(".expected.json")
                .expect("expected file name"),
        );
        let cases = doc["cases"].as_array().expect("cases array");
        let mut used = BTreeSet::new();
        let mut tally = Tally::default();
        let mut failures = Vec::new();
        for case in cases {
            let test = str_field(case, &["go_test"]).unwrap_or("");
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if self.wants_tests.contains(&test) {
                    self.run_path_case(test, case, &mut used, &mut tally);
                } else if self.parse_tests.contains(&test) {
                    self.run_parse_case(case, &base, &mut used, &mut tally);
                }
            }));
            if let Err(panic) = outcome {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(message);
            }
        }
        assert!(
            failures.is_empty(),
            "{} failing case(s):\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
        for d in self.deviations {
            assert!(
                used.contains(d.case),
                "{}: deviation for {:?} matches no case",
                self.expected,
                d.case
            );
        }
        assert!(
            tally.parse_cases + tally.path_cases > 0,
            "{}: no case ran",
            self.expected
        );
        report(self.expected, &tally);
    }

    fn run_path_case(
        &self,
        test: &str,
        case: &Value,
        used: &mut BTreeSet<&'static str>,
        tally: &mut Tally,
    ) {
        let path = str_field(case, &["filePath", "path", "inputPath"]).unwrap_or("");
        let Some(want) = ["want", "wantRequired"]
            .iter()
            .find_map(|k| case.get(*k).and_then(Value::as_bool))
        else {
            panic!("{}: path case without a boolean: {case}", self.expected);
        };
        if case.get("maxFileSizeBytes").is_some() {
            tally.skipped.push(format!("{path} (size limit)"));
            return;
        }
        let qualified = format!("{test}:{path}");
        let d = self.deviation(&[path, &qualified], true, used);
        let want = match d.wants {
            Some(ours) => {
                assert_ne!(
                    ours, want,
                    "{}: useless wants deviation for {path}",
                    self.expected
                );
                tally.deviating.push(format!("{path}: {}", d.why));
                ours
            }
            None => want,
        };
        assert_eq!(
            (self.wants)(path),
            want,
            "{}: wants({path:?})",
            self.expected
        );
        tally.path_cases += 1;
    }

    fn run_parse_case(
        &self,
        case: &Value,
        base: &Path,
        used: &mut BTreeSet<&'static str>,
        tally: &mut Tally,
    ) {
        let name = str_field(case, &["name", "Name", "desc"]).unwrap_or("");
        let input = str_field(case, &["file", "input", "inputFile", "path", "dir"])
            .or_else(|| {
                ["InputConfig", "inputConfig"]
                    .iter()
                    .find_map(|k| case.get(*k)?.get("Path")?.as_str())
            })
            .unwrap_or_else(|| panic!("{}: case without input: {case}", self.expected));
        let label = format!("{}: {name} ({input})", self.expected);
        let d = self.deviation(&[input, name], false, used);
        if d.skip {
            tally.skipped.push(format!("{name} ({input}): {}", d.why));
            return;
        }
        if !d.why.is_empty() {
            tally.deviating.push(format!("{name} ({input}): {}", d.why));
        }
        tally.parse_cases += 1;

        let want_err = ["wantErr", "WantErr"]
            .iter()
            .find_map(|k| case.get(*k))
            .is_some_and(|e| e != "NoError" && e != false);
        let want = ["want", "wantPkgs", "wantPackages", "WantPackages"]
            .iter()
            .find_map(|k| case.get(*k));

        if let Some(dir) = case.get("dir").and_then(Value::as_str) {
            self.run_analyzer_case(&label, &base.join(dir), want, d, true);
            return;
        }
        if want.is_some_and(|w| w.get("Applications").is_some()) {
            self.run_analyzer_case(&label, base, want, d, false);
            return;
        }
        let content = fs::read(base.join(input)).unwrap_or_else(|e| panic!("{label}: {e}"));
        let result = (self.parse)(input, &content);
        if want_err && !d.no_error {
            assert!(
                result.is_err(),
                "{label}: expected an error, got {result:?}"
            );
            return;
        }
        assert!(
            !d.no_error || want_err,
            "{label}: useless no_error deviation"
        );
        let got = result.unwrap_or_else(|e| panic!("{label}: {e}"));
        let list: Vec<Value> = match want {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list.clone(),
            // A single package (package.json parsers).
            Some(Value::Object(o)) if o.contains_key("Name") => vec![Value::Object(o.clone())],
            Some(Value::Object(o)) if o.contains_key("Package") => {
                let p = &o["Package"];
                if p.get("Name").is_some() && p.get("Version").is_some() {
                    vec![p.clone()]
                } else {
                    Vec::new() // no name or version: not a package
                }
            }
            Some(other) => panic!("{label}: unusable expectation {other}"),
        };
        self.compare(&label, &got, &expected_packages(&list), d);
    }

    /// A Trivy analyzer case: the `Applications` files (paths relative to
    /// `dir`) and, for a directory case, the installed package.json files
    /// the analyzer took licences from.
    fn run_analyzer_case(
        &self,
        label: &str,
        dir: &Path,
        want: Option<&Value>,
        d: Deviation,
        walk: bool,
    ) {
        let wanted = if walk {
            wanted_files(dir, self.wants)
        } else {
            Vec::new()
        };
        let Some(apps) = want
            .and_then(|w| w.get("Applications"))
            .and_then(Value::as_array)
        else {
            // Upstream finds nothing: every wanted file fails or is empty.
            for (rel, content) in &wanted {
                if let Ok(pkgs) = (self.parse)(rel, content) {
                    assert!(pkgs.is_empty(), "{label}: {rel} gave {pkgs:?}");
                }
            }
            return;
        };
        for app in apps {
            let file = app["FilePath"].as_str().expect("FilePath");
            let content = fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{label}: {e}"));
            let got = (self.parse)(file, &content).unwrap_or_else(|e| panic!("{label}: {e}"));
            let list = app["Packages"].as_array().cloned().unwrap_or_default();
            let expected = expected_packages(&list);
            self.compare(&format!("{label} {file}"), &got, &expected, d);

            // Licences the analyzer took from installed package.json files.
            for (rel, content) in &wanted {
                if !rel.ends_with("/package.json") || rel == file {
                    continue;
                }
                let installed =
                    (self.parse)(rel, content).unwrap_or_else(|e| panic!("{label}: {rel}: {e}"));
                for p in installed {
                    let Some(e) = expected.get(&(p.name.clone(), p.version.clone())) else {
                        continue;
                    };
                    match d.licenses.iter().find(|(n, _)| *n == p.name) {
                        Some((_, ours)) => {
                            assert_eq!(p.licenses, *ours, "{label}: licences of {rel}")
                        }
                        None if !e.licenses.is_empty() => {
                            assert_eq!(p.licenses, e.licenses, "{label}: licences of {rel}");
                        }
                        None => {}
                    }
                }
            }
        }
    }

    fn compare(
        &self,
        label: &str,
        got: &[Package],
        expected: &BTreeMap<Key, Expected>,
        d: Deviation,
    ) {
        for p in got {
            assert_eq!(p.ecosystem, ecosystem_of(self.expected), "{label}: {p:?}");
            assert!(!p.locations.is_empty(), "{label}: {p:?} without location");
        }
        let got: BTreeMap<Key, &Package> = got
            .iter()
            .filter(|p| !(d.only_non_dev && p.dev))
            .map(|p| ((p.name.clone(), p.version.clone()), p))
            .collect();
        let mut want: BTreeSet<Key> = expected.keys().cloned().collect();
        let missing = key_set(d.missing);
        let extra = key_set(d.extra);
        for k in &missing {
            assert!(
                want.remove(k),
                "{label}: deviation lists {k:?} as missing but upstream has no such package"
            );
        }
        for k in &extra {
            assert!(
                want.insert(k.clone()),
                "{label}: deviation lists {k:?} as extra but upstream has it"
            );
        }
        let got_keys: BTreeSet<Key> = got.keys().cloned().collect();
        assert_eq!(
            got_keys.iter().collect::<Vec<_>>(),
            want.iter().collect::<Vec<_>>(),
            "{label}: packages (left: ours, right: upstream ± deviations)"
        );
        for (k, p) in &got {
            let Some(e) = expected.get(k) else { continue };
            if self.compare_dev {
                let want_dev = d
                    .dev
                    .iter()
                    .find(|(n, _)| *n == k.0)
                    .map_or(e.dev, |(_, ours)| *ours);
                assert_eq!(p.dev, want_dev, "{label}: dev flag of {k:?}");
            }
            if self.compare_licenses {
                let want_licenses: Vec<String> = match d.licenses.iter().find(|(n, _)| *n == k.0) {
                    Some((_, ours)) => ours.iter().map(|s| (*s).to_owned()).collect(),
                    None => e.licenses.clone(),
                };
                assert_eq!(p.licenses, want_licenses, "{label}: licences of {k:?}");
            }
        }
    }
}

fn ecosystem_of(expected: &str) -> Ecosystem {
    match expected.split('/').next() {
        Some("npm") => Ecosystem::Npm,
        Some("python") => Ecosystem::Pypi,
        Some("php") => Ecosystem::Composer,
        Some("ruby") => Ecosystem::Gem,
        other => panic!("unknown ecosystem folder {other:?}"),
    }
}

/// Files under `dir` (paths relative to it) that `wants` selects.
fn wanted_files(dir: &Path, wants: WantsFn) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if wants(&rel) {
                    out.push((rel, fs::read(&path).expect("read fixture")));
                }
            }
        }
    }
    out.sort();
    out
}

#[allow(
    clippy::print_stderr,
    reason = "a summary for `cargo test -- --nocapture`"
)]
fn report(suite: &str, tally: &Tally) {
    eprintln!(
        "{suite}: {} parse cases, {} path cases, {} deviating, {} skipped",
        tally.parse_cases,
        tally.path_cases,
        tally.deviating.len(),
        tally.skipped.len()
    );
    for s in &tally.deviating {
        eprintln!("  deviates: {s}");
    }
    for s in &tally.skipped {
        eprintln!("  skipped:  {s}");
    }
}

// ---------------------------------------------------------------------------
// Reasons shared by several deviations.

const LOCAL: &str = "local packages (workspace members, file:/link:/portal: directories and \
                     tarballs, Bundler PATH gems) are the project's own code and are skipped";
const NO_VERSION: &str = "entries whose lockfile records no concrete version (lockfile v1 keeps \
                          git dependencies as URLs) are skipped; osv-scalibr reports them with \
                          an empty version";
const REMOTE: &str = "packages from git and tarball URLs are reported with the version the \
                      lockfile records (Trivy drops them, osv-scalibr keeps them)";
const INCLUDE_DEPS: &str = "osv-scalibr's includeDeps option guesses packages from a manifest's \
                            dependency ranges; wharf reports only installed packages";
const PROJECT_MANIFEST: &str = "only installed packages' own package.json (directly under a \
                                node_modules root) is wanted; a project's package.json is not \
                                an installed package";
const LICENSE_FILE: &str = "licences found only in a LICENSE file need a licence classifier, \
                            which is not a parser's job";
const ARCHIVES: &str = "zipped eggs, wheels and Yarn PnP cache zips are not handled by these \
                        text parsers (and the archives are not kept in the fixtures)";
const UNKNOWN: &str = "`License: UNKNOWN` carries no information and is dropped";

// ---------------------------------------------------------------------------
// Python

#[test]
fn python_trivy_parser() {
    Suite {
        expected: "python/trivy-parser/python-packaging.expected.json",
        parse: python::parse_metadata,
        wants: python::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: false,
        compare_licenses: true,
        deviations: PYTHON_TRIVY_PARSER,
    }
    .run();
}

const PYTHON_TRIVY_PARSER: &[Deviation] = &[
    Deviation {
        case: "setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
        licenses: &[("setuptools", &[])],
        why: UNKNOWN,
        ..D
    },
    Deviation {
        case: "unidecode-egg-info.PKG-INFO",
        licenses: &[("Unidecode", &[])],
        why: UNKNOWN,
        ..D
    },
    Deviation {
        case: "distlib-0.3.1.METADATA",
        licenses: &[("distlib", &["Python license"])],
        why: "the License header is preferred over licence classifiers, which are less \
              specific (Trivy prefers the classifiers)",
        ..D
    },
    Deviation {
        case: "networkx-3.0.METADATA",
        licenses: &[("networkx", &[])],
        why: "License-File only names a file; Trivy reports it as `file://LICENSE.txt`",
        ..D
    },
];

#[test]
fn python_trivy_analyzer() {
    Suite {
        expected: "python/trivy-analyzer/python-packaging.expected.json",
        parse: python::parse_metadata,
        wants: python::wants,
        parse_tests: &["Test_packagingAnalyzer_Analyze", "Test_eggAnalyzer_Analyze"],
        wants_tests: &[
            "Test_packagingAnalyzer_Required",
            "Test_eggAnalyzer_Required",
        ],
        compare_dev: false,
        compare_licenses: true,
        deviations: PYTHON_TRIVY_ANALYZER,
    }
    .run();
}

const PYTHON_TRIVY_ANALYZER: &[Deviation] = &[
    Deviation {
        case: "egg-zip/kitchen-1.2.6-py2.7.egg",
        skip: true,
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "egg-zip-with-license-file/sample_package.egg",
        skip: true,
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "no-req-files/no-required-files.egg",
        skip: true,
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "python2.7/site-packages/cssutils-1.0-py2.7.egg",
        wants: Some(false),
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "Test_eggAnalyzer_Required:python3.8/site-packages/wrapt-1.12.1.egg-info/PKG-INFO",
        wants: Some(true),
        why: "one module handles every metadata file (Trivy's zip-egg analyzer does not want \
              it, its packaging analyzer does)",
        ..D
    },
    Deviation {
        case: "python3.8/site-packages/wrapt-1.12.1.dist-info/LICENSE",
        wants: Some(false),
        why: LICENSE_FILE,
        ..D
    },
    Deviation {
        case: "license-file-dist",
        licenses: &[("typing_extensions", &[])],
        why: LICENSE_FILE,
        ..D
    },
];

#[test]
fn python_osv_wheelegg() {
    Suite {
        expected: "python/osv-scalibr/wheelegg.expected.json",
        parse: python::parse_metadata,
        wants: python::wants,
        parse_tests: &["TestExtract"],
        wants_tests: &["TestFileRequired"],
        compare_dev: false,
        compare_licenses: false,
        deviations: PYTHON_OSV,
    }
    .run();
}

const PYTHON_OSV: &[Deviation] = &[
    Deviation {
        case: "python3.10/site-packages/monotonic-1.6-py3.10.egg",
        wants: Some(false),
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "python3.10/site-packages/monotonic-1.6-py3.10.whl",
        wants: Some(false),
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "monotonic-1.6-py3.10.egg",
        skip: true,
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "monotonic-1.6-py2.py3-none-any.whl",
        skip: true,
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "monotonic_no_pkginfo-1.6-py3.10.egg",
        skip: true,
        why: ARCHIVES,
        ..D
    },
];

// ---------------------------------------------------------------------------
// npm

#[test]
fn npm_trivy_parser_package_lock() {
    Suite {
        expected: "npm/trivy-parser/nodejs-npm.expected.json",
        parse: npm::parse_package_lock,
        wants: npm::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: true,
        compare_licenses: true,
        deviations: NPM_TRIVY_LOCK,
    }
    .run();
}

const NPM_TRIVY_LOCK: &[Deviation] = &[
    Deviation {
        case: "package-lock_v3_with_workspace.json",
        missing: &[("function1", ""), ("nested_func", "1.0.0")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "package-lock_v3_with_workspace_as_object.json",
        missing: &[("testapp", "1.0.0")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "package-lock_v3_without_root_deps_field.json",
        missing: &[("func1", "1.0.0")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "package-lock_v3_with_legacy_licenses.json",
        licenses: &[("pause-stream", &["MIT", "Apache2"])],
        why: "a `license` array of strings is read (Trivy ignores it)",
        ..D
    },
];

#[test]
fn npm_trivy_parser_yarn() {
    Suite {
        expected: "npm/trivy-parser/nodejs-yarn.expected.json",
        parse: npm::parse_yarn_lock,
        wants: npm::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_TRIVY_YARN,
    }
    .run();
}

const NPM_TRIVY_YARN: &[Deviation] = &[Deviation {
    case: "yarn_with_git.lock",
    extra: &[("mapbox-gl-feature-drag-and-drop", "1.1.1")],
    why: REMOTE,
    ..D
}];

#[test]
fn npm_trivy_parser_pnpm() {
    Suite {
        expected: "npm/trivy-parser/nodejs-pnpm.expected.json",
        parse: npm::parse_pnpm_lock,
        wants: npm::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_TRIVY_PNPM,
    }
    .run();
}

const TRIVY_DROPS_DEV: &str = "Trivy drops dev packages of lockfile v5/v6; wharf reports them \
                               with dev set, so only our non-dev ones are compared";

const NPM_TRIVY_PNPM: &[Deviation] = &[
    Deviation {
        case: "pnpm-lock_with_dev.yaml",
        only_non_dev: true,
        why: TRIVY_DROPS_DEV,
        ..D
    },
    Deviation {
        case: "pnpm-lock_many.yaml",
        only_non_dev: true,
        why: TRIVY_DROPS_DEV,
        ..D
    },
    Deviation {
        case: "pnpm-lock_v6_with_dev.yaml",
        only_non_dev: true,
        why: TRIVY_DROPS_DEV,
        ..D
    },
    Deviation {
        case: "pnpm-lock_archives.yaml",
        missing: &[("lodash", "4.17.21"), ("package1", "1.0.0")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "pnpm-lock_v9.yaml",
        missing: &[("lodash", "4.17.21"), ("package1", "")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "pnpm-lock_v6.yaml",
        skip: true,
        why: "the expectation is a Go variable (pnpmV6) that was not transcribed; \
              pnpm_v6_fixture_summary checks this file instead",
        ..D
    },
];

#[test]
fn npm_trivy_parser_package_json() {
    Suite {
        expected: "npm/trivy-parser/nodejs-packagejson.expected.json",
        parse: npm::parse_package_json,
        wants: npm::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: false,
        compare_licenses: true,
        deviations: NPM_TRIVY_PACKAGE_JSON,
    }
    .run();
}

const NPM_TRIVY_PACKAGE_JSON: &[Deviation] = &[];

#[test]
fn npm_trivy_analyzer_npm() {
    Suite {
        expected: "npm/trivy-analyzer/nodejs-npm.expected.json",
        parse: npm::parse,
        wants: |p| {
            npm::wants(p) && (p.ends_with("package-lock.json") || p.ends_with("package.json"))
        },
        parse_tests: &["Test_npmLibraryAnalyzer_Analyze"],
        wants_tests: &["Test_nodePkgLibraryAnalyzer_Required"],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_TRIVY_ANALYZER_NPM,
    }
    .run();
}

const NPM_TRIVY_ANALYZER_NPM: &[Deviation] = &[];

#[test]
fn npm_trivy_analyzer_pnpm() {
    Suite {
        expected: "npm/trivy-analyzer/nodejs-pnpm.expected.json",
        parse: npm::parse,
        wants: |p| npm::wants(p) && (p.ends_with("pnpm-lock.yaml") || p.ends_with("package.json")),
        parse_tests: &["Test_pnpmPkgLibraryAnalyzer_Analyze"],
        wants_tests: &["Test_pnpmPkgLibraryAnalyzer_Required"],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_TRIVY_ANALYZER_PNPM,
    }
    .run();
}

const NPM_TRIVY_ANALYZER_PNPM: &[Deviation] = &[];

#[test]
fn npm_trivy_analyzer_yarn() {
    Suite {
        expected: "npm/trivy-analyzer/nodejs-yarn.expected.json",
        parse: npm::parse,
        wants: |p| npm::wants(p) && (p.ends_with("yarn.lock") || p.ends_with("package.json")),
        parse_tests: &["Test_yarnLibraryAnalyzer_Analyze"],
        wants_tests: &["Test_yarnLibraryAnalyzer_Required"],
        // Dev flags come from the project's package.json, which a lockfile
        // parser does not read.
        compare_dev: false,
        compare_licenses: false,
        deviations: NPM_TRIVY_ANALYZER_YARN,
    }
    .run();
}

const NPM_TRIVY_ANALYZER_YARN: &[Deviation] = &[
    Deviation {
        case: "yarn-classic-licenses",
        licenses: &[("@vue/compiler-sfc", &[])],
        why: LICENSE_FILE,
        ..D
    },
    Deviation {
        case: ".yarn/cache/websocket-driver-npm-0.7.4-a72739da70-fffe5a33fe.zip",
        wants: Some(false),
        why: ARCHIVES,
        ..D
    },
    Deviation {
        case: "node_modules/@vue/compiler-sfc/LICENSE",
        wants: Some(false),
        why: LICENSE_FILE,
        ..D
    },
    Deviation {
        case: "node_modules/@vue/compiler-sfc/LICENSE.txt",
        wants: Some(false),
        why: LICENSE_FILE,
        ..D
    },
];

#[test]
fn npm_trivy_analyzer_pkg_and_license() {
    Suite {
        expected: "npm/trivy-analyzer/nodejs-pkg.expected.json",
        parse: npm::parse_package_json,
        wants: |p| npm::wants(p) && p.ends_with("package.json"),
        parse_tests: &["Test_nodePkgLibraryAnalyzer_Analyze"],
        wants_tests: &["Test_nodePkgLibraryAnalyzer_Required", "TestIsPackageRoot"],
        compare_dev: false,
        compare_licenses: true,
        deviations: NPM_TRIVY_ANALYZER_PKG,
    }
    .run();
}

const NPM_TRIVY_ANALYZER_PKG: &[Deviation] = &[
    Deviation {
        case: "nodejs/package.json",
        wants: Some(false),
        why: PROJECT_MANIFEST,
        ..D
    },
    Deviation {
        case: "package.json",
        wants: Some(false),
        why: PROJECT_MANIFEST,
        ..D
    },
    Deviation {
        case: "packages/foo/package.json",
        wants: Some(false),
        why: PROJECT_MANIFEST,
        ..D
    },
];

#[test]
fn npm_osv_package_lock() {
    Suite {
        expected: "npm/osv-scalibr/packagelockjson.expected.json",
        parse: npm::parse_package_lock,
        wants: npm::wants,
        parse_tests: &[
            "TestNPMLockExtractor_Extract_V1",
            "TestNPMLockExtractor_Extract_V2",
            "TestExtractor_Extract_Shrinkwrap_JSON",
            "TestExtractor_Extract_V1_LineNumbers",
        ],
        wants_tests: &["TestExtractor_FileRequired"],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_OSV_LOCK,
    }
    .run();
}

const NPM_OSV_LOCK: &[Deviation] = &[
    Deviation {
        case: "commits.v1.json",
        missing: &[
            ("@segment/analytics.js-integration-facebook-pixel", ""),
            ("babel-preset-php", ""),
            ("is-number-1", ""),
            ("is-number-2", ""),
            ("is-number-3", ""),
            ("is-number-4", ""),
            ("is-number-5", ""),
            ("is-number-6", ""),
            ("raven-js", ""),
            ("slick-carousel", ""),
        ],
        why: NO_VERSION,
        ..D
    },
    Deviation {
        case: "commits.v2.json",
        missing: &[("raven-js", "")],
        why: NO_VERSION,
        ..D
    },
    Deviation {
        case: "files.v1.json",
        missing: &[("other_package", "")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "files.v2.json",
        missing: &[("etag", "1.8.0")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "optional-package.v2.json",
        dev: &[("supports-color", false)],
        why: "`devOptional` packages are installed in production when optional dependencies \
              are, so they are not dev",
        ..D
    },
    Deviation {
        case: "both/package-lock.json",
        extra: &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
        why: "osv-scalibr ignores a package-lock.json next to an npm-shrinkwrap.json; a \
              single-file parser cannot see the sibling (the layer engine could)",
        ..D
    },
];

#[test]
fn npm_osv_yarn() {
    Suite {
        expected: "npm/osv-scalibr/yarnlock.expected.json",
        parse: npm::parse_yarn_lock,
        wants: npm::wants,
        parse_tests: &["TestExtractor_Extract_v1", "TestExtractor_Extract_v2"],
        wants_tests: &["TestExtractor_FileRequired"],
        compare_dev: true,
        compare_licenses: false,
        deviations: NPM_OSV_YARN,
    }
    .run();
}

const NPM_OSV_YARN: &[Deviation] = &[
    Deviation {
        case: "files.v1.lock",
        missing: &[
            ("etag", "1.8.0"),
            ("filedep", "1.2.0"),
            ("other_package", "0.0.2"),
            ("sprintf-js", "0.0.0"),
        ],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "files.v2.lock",
        missing: &[("my-package", "0.0.2")],
        why: LOCAL,
        ..D
    },
    Deviation {
        case: "exclude-root.v2.lock",
        missing: &[("@ws/ansi-regex", "0.0.0-use.local")],
        why: LOCAL,
        ..D
    },
];

#[test]
fn npm_osv_pnpm() {
    Suite {
        expected: "npm/osv-scalibr/pnpmlock.expected.json",
        parse: npm::parse_pnpm_lock,
        wants: npm::wants,
        parse_tests: &["TestExtractor_Extract", "TestExtractor_Extract_v9"],
        wants_tests: &["TestExtractor_FileRequired"],
        // The transcription does not carry osv-scalibr's dev groups here.
        compare_dev: false,
        compare_licenses: false,
        deviations: NPM_OSV_PNPM,
    }
    .run();
}

const SKIP_BAD_KEYS: &str = "package keys that cannot be parsed are skipped and the rest is \
                             reported; osv-scalibr returns the packages and an error";

const NPM_OSV_PNPM: &[Deviation] = &[
    Deviation {
        case: "invalid-path.yaml",
        no_error: true,
        why: SKIP_BAD_KEYS,
        ..D
    },
    Deviation {
        case: "invalid-paths.yaml",
        no_error: true,
        why: SKIP_BAD_KEYS,
        ..D
    },
    Deviation {
        case: "files.yaml",
        missing: &[
            ("a-local-package", "1.0.0"),
            ("a-nested-local-package", "1.0.0"),
            ("my-file-package", "0.0.0"),
            ("one-up", "1.0.0"),
            ("one-up-with-peer", "1.0.0"),
        ],
        why: LOCAL,
        ..D
    },
];

#[test]
fn npm_osv_package_json() {
    Suite {
        expected: "npm/osv-scalibr/packagejson.expected.json",
        parse: npm::parse_package_json,
        wants: npm::wants,
        parse_tests: &["TestExtract"],
        wants_tests: &["TestFileRequired"],
        compare_dev: false,
        compare_licenses: false,
        deviations: NPM_OSV_PACKAGE_JSON,
    }
    .run();
}

const NPM_OSV_PACKAGE_JSON: &[Deviation] = &[
    Deviation {
        case: "package.json",
        wants: Some(false),
        why: PROJECT_MANIFEST,
        ..D
    },
    Deviation {
        case: "deps/accepts/package.json",
        wants: Some(false),
        why: PROJECT_MANIFEST,
        ..D
    },
    Deviation {
        case: "package-with-deps.json",
        missing: &[
            ("dep1", "1.0.0"),
            ("dep2", "2.0.1"),
            ("dep3", "3.1.0"),
            ("dep4", "0.4.2"),
            ("dep5", "5.0.0"),
            ("dep7", "1.0.0"),
        ],
        why: INCLUDE_DEPS,
        ..D
    },
    Deviation {
        case: "duplicate-keys.json",
        missing: &[("my-dep", "1.0.0")],
        why: INCLUDE_DEPS,
        ..D
    },
];

// ---------------------------------------------------------------------------
// PHP

#[test]
fn php_trivy_parser() {
    Suite {
        expected: "php/trivy-parser/php-composer.expected.json",
        parse: php::parse_composer_lock,
        wants: php::wants,
        parse_tests: &["TestParse"],
        wants_tests: &[],
        compare_dev: true,
        compare_licenses: true,
        deviations: &[Deviation {
            case: "composer_happy.lock",
            licenses: &[("symfony/polyfill-php72", &["MIT or BSD-2-Clause"])],
            why: "licence strings are kept as written (Trivy splits `MIT or BSD-2-Clause`)",
            ..D
        }],
    }
    .run();
}

#[test]
fn php_trivy_analyzer() {
    Suite {
        expected: "php/trivy-analyzer/php-composer.expected.json",
        parse: php::parse,
        wants: php::wants,
        parse_tests: &[
            "Test_composerAnalyzer_PostAnalyze",
            "Test_composerVendorAnalyzer_Analyze",
        ],
        wants_tests: &["Test_composerVendorAnalyzer_Required"],
        compare_dev: true,
        compare_licenses: true,
        deviations: PHP_TRIVY_ANALYZER,
    }
    .run();
}

const PHP_TRIVY_ANALYZER: &[Deviation] = &[];

#[test]
fn php_osv_composer_lock() {
    Suite {
        expected: "php/osv-scalibr/composerlock.expected.json",
        parse: php::parse_composer_lock,
        wants: php::wants,
        parse_tests: &["TestExtractor_Extract"],
        wants_tests: &["TestExtractor_FileRequired"],
        compare_dev: true,
        compare_licenses: false,
        deviations: &[],
    }
    .run();
}

// ---------------------------------------------------------------------------
// Ruby

#[test]
fn ruby_trivy_parser() {
    Suite {
        expected: "ruby/trivy-parser/ruby-bundler.expected.json",
        parse: ruby::parse_gemfile_lock,
        wants: ruby::wants,
        parse_tests: &["TestParser_Parse"],
        wants_tests: &[],
        compare_dev: true,
        compare_licenses: false,
        deviations: &[],
    }
    .run();
}

#[test]
fn ruby_osv_gemfile_lock() {
    Suite {
        expected: "ruby/osv-scalibr/gemfilelock.expected.json",
        parse: ruby::parse_gemfile_lock,
        wants: ruby::wants,
        parse_tests: &["TestExtractor_Extract"],
        wants_tests: &["TestExtractor_FileRequired"],
        compare_dev: true,
        compare_licenses: false,
        deviations: RUBY_OSV,
    }
    .run();
}

const RUBY_OSV: &[Deviation] = &[Deviation {
    case: "has-local-gem.lock",
    missing: &[("backbone-on-rails", "1.2.0.0")],
    why: LOCAL,
    ..D
}];

#[test]
fn ruby_wharf_gemspecs() {
    Suite {
        expected: "ruby/wharf-gemspec.expected.json",
        parse: ruby::parse_gemspec,
        wants: ruby::wants,
        parse_tests: &["TestGemspec"],
        wants_tests: &["TestRequired"],
        compare_dev: true,
        compare_licenses: true,
        deviations: &[],
    }
    .run();
}

/// Trivy's licence analyzer case: licences as package.json declares them.
/// Trivy then resolves `SEE LICENSE IN <file>`, `LicenseRef-<file>` and a
/// missing licence by classifying the named or default LICENSE file; a
/// parser reports the declaration as written (see `LICENSE_FILE`).
#[test]
fn npm_trivy_license_as_declared() {
    let expected = "npm/trivy-analyzer/nodejs-license.expected.json";
    let doc: Value =
        serde_json::from_slice(&fs::read(lang_dir().join(expected)).expect("read")).expect("JSON");
    let case = doc["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["go_test"] == "Test_ParseLicenses"))
        .expect("Test_ParseLicenses case");
    let dir = lang_dir()
        .join("npm/trivy-analyzer/nodejs-license")
        .join(case["dir"].as_str().expect("dir"));
    let ours: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("package-b@0.0.1", &["LicenseRef-LICENSE.txt"][..]), // Trivy: MIT, from LICENSE.txt
        ("package-c@0.0.1", &["SEE LICENSE IN LICENSE.md"][..]), // Trivy: BSD-3-Clause
        ("package-d@0.0.1", &[][..]),                         // Trivy: BSD-3-Clause, from LICENSE
    ]);
    let files = wanted_files(&dir, npm::wants);
    assert_eq!(files.len(), 6, "six installed packages");
    for (rel, content) in files {
        let pkgs = npm::parse_package_json(&rel, &content).expect("parse");
        let [p] = pkgs.as_slice() else {
            panic!("{rel}: {pkgs:?}")
        };
        let id = format!("{}@{}", p.name, p.version);
        let want: Vec<String> = match ours.get(id.as_str()) {
            Some(list) => list.iter().map(|s| (*s).to_owned()).collect(),
            None => case["want"]
                .get(&id)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        };
        assert_eq!(p.licenses, want, "{rel}");
    }
}

/// Trivy's expectation for `pnpm-lock_v6.yaml` is a Go variable that was not
/// transcribed; the file is small enough to state it here.
#[test]
fn pnpm_v6_fixture_summary() {
    let path = "npm/trivy-parser/nodejs-pnpm/pnpm-lock_v6.yaml";
    let content = fs::read(lang_dir().join(path)).expect("fixture");
    let got: Vec<(String, String, bool)> = npm::parse_pnpm_lock("pnpm-lock.yaml", &content)
        .expect("parse")
        .into_iter()
        .map(|p| (p.name, p.version, p.dev))
        .collect();
    let want = [("asap", "2.0.6"), ("jquery", "3.6.0"), ("promise", "8.1.0")]
        .map(|(n, v)| (n.to_owned(), v.to_owned(), false));
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------
// Routing: every fixture a module wants parses without panicking, through
// the module's `parse` dispatcher.

#[test]
fn dispatchers_accept_every_wanted_fixture() {
    let modules: [(&str, WantsFn, ParseFn); 4] = [
        ("npm", npm::wants, npm::parse),
        ("python", python::wants, python::parse),
        ("php", php::wants, php::parse),
        ("ruby", ruby::wants, ruby::parse),
    ];
    for (folder, wants, parse) in modules {
        let files = wanted_files(&lang_dir().join(folder), wants);
        assert!(!files.is_empty(), "{folder}: no wanted fixture");
        for (rel, content) in files {
            let _ = parse(&rel, &content);
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile input: no parser panics, whatever the bytes.

const ALL_PARSERS: [(&str, ParseFn); 9] = [
    ("python metadata", python::parse_metadata),
    ("package.json", npm::parse_package_json),
    ("package-lock", npm::parse_package_lock),
    ("yarn.lock", npm::parse_yarn_lock),
    ("pnpm-lock", npm::parse_pnpm_lock),
    ("installed.json", php::parse_installed_json),
    ("composer.lock", php::parse_composer_lock),
    ("gemspec", ruby::parse_gemspec),
    ("Gemfile.lock", ruby::parse_gemfile_lock),
];

/// Fragments of the formats, so that random input reaches past the first
/// syntax check.
const TOKENS: &[&str] = &[
    "\n",
    "\n  ",
    "\n    ",
    " ",
    ":",
    ",",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "@",
    "/",
    "_",
    "-",
    ".",
    "#",
    "\\",
    "1.0.0",
    "0",
    "npm:",
    "file:",
    "link:",
    "workspace:",
    "patch:",
    "git+ssh://",
    "\"name\":",
    "\"version\":",
    "\"dev\":true",
    "\"link\":true",
    "\"license\":",
    "\"licenses\":",
    "\"packages\":",
    "\"packages-dev\":",
    "\"dependencies\":",
    "\"node_modules/",
    "\"resolved\":",
    "\"type\":",
    "null",
    "version ",
    "resolved ",
    "__metadata:",
    "resolution: ",
    "version: ",
    "lockfileVersion: 5.4",
    "lockfileVersion: '6.0'",
    "lockfileVersion: '9.0'",
    "packages:",
    "importers:",
    "snapshots:",
    "devDependencies:",
    "dev: true",
    "/a/1.0.0",
    "a@1.0.0(b@2.0.0)",
    "&x",
    "*x",
    "---",
    "GEM",
    "GIT",
    "PATH",
    "specs:",
    "a (1.0.0-x86_64-linux)",
    "Name: a",
    "Version: 1",
    "License: MIT",
    "Classifier: License :: OSI Approved :: MIT License",
    "License-Expression: MIT",
    "Gem::Specification.new do |s|",
    "s.name = ",
    "s.version = ",
    "s.licenses = [",
    ".freeze",
    "%q{",
    "%w[",
    "Gem::Version.new(",
    "# stub: a 1.0",
    "\u{feff}",
    "\u{e9}",
    "\u{1F600}",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..300)
        .prop_map(|t| t.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        for (_, parse) in ALL_PARSERS {
            let _ = parse("fuzz/input", &bytes);
        }
        for wants in [npm::wants, python::wants, php::wants, ruby::wants] {
            let _ = wants(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn parsers_never_panic_on_format_fragments(bytes in token_soup()) {
        for (_, parse) in ALL_PARSERS {
            if let Ok(pkgs) = parse("fuzz/input", &bytes) {
                for p in pkgs {
                    prop_assert!(!p.name.is_empty() && !p.version.is_empty());
                    prop_assert_eq!(p.locations, vec!["fuzz/input".to_owned()]);
                }
            }
        }
    }
}

/// Deeply nested and oversized inputs fail cleanly.
#[test]
fn hostile_shapes_fail_cleanly() {
    let deep_json = format!(
        "{}{}",
        "{\"dependencies\":{\"a\":".repeat(10_000),
        "}".repeat(20_000)
    );
    assert!(npm::parse_package_lock("package-lock.json", deep_json.as_bytes()).is_err());
    let deep_yaml = format!("packages:\n{}", "[".repeat(10_000));
    assert!(npm::parse_pnpm_lock("pnpm-lock.yaml", deep_yaml.as_bytes()).is_err());
    let bomb = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n\
                b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    assert!(npm::parse_pnpm_lock("pnpm-lock.yaml", bomb.as_bytes()).is_err());
    assert!(npm::parse_yarn_lock("yarn.lock", format!("__metadata:\n{bomb}").as_bytes()).is_err());
    let huge = vec![b' '; 129 * 1024 * 1024];
    assert!(npm::parse_package_lock("package-lock.json", &huge).is_err());
    assert!(npm::parse_yarn_lock("yarn.lock", &huge).is_err());
    assert!(npm::parse_pnpm_lock("pnpm-lock.yaml", &huge).is_err());
    assert!(php::parse_composer_lock("composer.lock", &huge).is_err());
    assert!(ruby::parse_gemfile_lock("Gemfile.lock", &huge).is_err());
    assert!(python::parse_metadata("METADATA", &huge).is_err());
}
