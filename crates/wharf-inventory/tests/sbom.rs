//! SBOM export, end to end: a realistic inventory exported as CycloneDX 1.6
//! and SPDX 2.3, validated against the official JSON schemas vendored in
//! `tests/fixtures/schemas/` (with Python's `jsonschema`, offline), checked
//! field by field, and snapshotted.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wharf_inventory::{
    INVENTORY_SCHEMA_VERSION, ImageMeta, Inventory, LayerMeta, SbomOptions, purl, to_cyclonedx,
    to_spdx,
};
use wharf_types::{Digest, Ecosystem, OsInfo, Package, SourcePackage};

const SERIAL: &str = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79";
const TIMESTAMP: &str = "2024-05-01T12:00:00Z";

fn options() -> SbomOptions {
    SbomOptions {
        serial: SERIAL.into(),
        timestamp: TIMESTAMP.into(),
        tool_version: "0.1.0".into(),
    }
}

fn layer(n: u8) -> Digest {
    Digest::sha256_of(&[b'l', n])
}

struct P(Package);

impl P {
    fn new(eco: Ecosystem, name: &str, version: &str, location: &str) -> Self {
        Self(Package::new(eco, name, version, location))
    }
    fn arch(mut self, a: &str) -> Self {
        self.0.arch = Some(a.into());
        self
    }
    fn source(mut self, name: &str, version: Option<&str>) -> Self {
        self.0.source = Some(SourcePackage {
            name: name.into(),
            version: version.map(Into::into),
        });
        self
    }
    fn licenses(mut self, l: &[&str]) -> Self {
        self.0.licenses = l.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    fn layer(mut self, n: u8) -> Self {
        self.0.layer = Some(layer(n));
        self
    }
    fn epoch(mut self, e: u32) -> Self {
        self.0.epoch = Some(e);
        self
    }
    fn vendor(mut self, v: &str) -> Self {
        self.0.vendor = Some(v.into());
        self
    }
    fn dev(mut self) -> Self {
        self.0.dev = true;
        self
    }
}

const DPKG: &str = "var/lib/dpkg/status";

/// A Debian-based application image with packages of every ecosystem.
fn inventory() -> Inventory {
    use Ecosystem::*;
    let mut packages: Vec<Package> = vec![
        P::new(Deb, "curl", "7.88.1-10+deb12u5", DPKG)
            .arch("amd64")
            .source("curl", None)
            .licenses(&["curl"])
            .layer(2),
        P::new(Deb, "zlib1g", "1:1.2.13.dfsg-1", DPKG)
            .arch("amd64")
            .source("zlib", Some("1:1.2.13.dfsg-1"))
            .licenses(&["Zlib"])
            .layer(1),
        P::new(Deb, "libc6", "2.36-9+deb12u4", DPKG)
            .arch("amd64")
            .source("glibc", None)
            .licenses(&[
                "LGPL-2.1-or-later",
                "GPL-2.0-or-later WITH GCC-exception-2.0",
            ])
            .layer(1),
        P::new(Deb, "perl-base", "5.36.0-7+deb12u1", DPKG)
            .arch("amd64")
            .source("perl", None)
            .licenses(&["GPL-1.0-or-later OR Artistic-1.0-Perl"])
            .layer(1),
        P::new(Deb, "bash", "5.2.15-2+b2", DPKG)
            .arch("amd64")
            .licenses(&["GPL-3+", "public-domain"])
            .layer(1),
        P::new(Deb, "ca-certificates", "20230311", DPKG)
            .arch("all")
            .layer(2),
        P::new(
            Apk,
            "musl",
            "1.2.4-r2",
            "opt/alpine-root/lib/apk/db/installed",
        )
        .arch("x86_64")
        .source("musl", None)
        .licenses(&["MIT"])
        .layer(3),
        P::new(
            Rpm,
            "openssl-libs",
            "3.0.7-25.el9_3",
            "opt/rhel-root/var/lib/rpm/rpmdb.sqlite",
        )
        .arch("x86_64")
        .epoch(1)
        .vendor("Red Hat, Inc.")
        .source("openssl", Some("3.0.7-25.el9_3"))
        .licenses(&["Apache-2.0"])
        .layer(3),
        P::new(
            Pypi,
            "Flask_SQLAlchemy",
            "3.1.1",
            "usr/lib/python3/dist-packages/Flask_SQLAlchemy-3.1.1.dist-info/METADATA",
        )
        .licenses(&["BSD-3-Clause"])
        .layer(3),
        P::new(
            Npm,
            "@babel/core",
            "7.24.0",
            "app/node_modules/@babel/core/package.json",
        )
        .licenses(&["MIT"])
        .layer(3),
        P::new(
            Npm,
            "lodash",
            "4.17.21",
            "app/node_modules/lodash/package.json",
        )
        .licenses(&["MIT"])
        .layer(3),
        P::new(
            Npm,
            "lodash",
            "4.17.21",
            "srv/node_modules/lodash/package.json",
        )
        .licenses(&["MIT"])
        .layer(3),
        P::new(Npm, "typescript", "5.4.2", "app/package-lock.json")
            .licenses(&["Apache-2.0"])
            .dev()
            .layer(3),
        P::new(
            Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.17.1",
            "app/lib/log4j-core-2.17.1.jar",
        )
        .licenses(&["Apache-2.0"])
        .layer(3),
        P::new(
            Golang,
            "github.com/Masterminds/semver/v3",
            "v3.2.1",
            "usr/local/bin/app",
        )
        .licenses(&["MIT"])
        .layer(3),
        P::new(Golang, "stdlib", "go1.22.1", "usr/local/bin/app").layer(3),
        P::new(Cargo, "serde_json", "1.0.114", "usr/local/bin/rusttool")
            .licenses(&["MIT OR Apache-2.0"])
            .layer(3),
        P::new(
            Gem,
            "nokogiri",
            "1.16.2",
            "usr/local/bundle/specifications/nokogiri-1.16.2.gemspec",
        )
        .licenses(&["MIT"])
        .layer(3),
        P::new(
            Composer,
            "symfony/console",
            "v6.4.4",
            "var/www/vendor/composer/installed.json",
        )
        .licenses(&["MIT", "Custom: see LICENSE.txt (c) ACME"])
        .layer(3),
        P::new(Nuget, "Newtonsoft.Json", "13.0.3", "app/App.deps.json")
            .licenses(&["MIT"])
            .layer(3),
    ]
    .into_iter()
    .map(|p| p.0)
    .collect();
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.locations).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.locations,
        ))
    });
    Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta {
            source: "registry.example.com/team/app:1.4.2".into(),
            digest: Some(Digest::sha256_of(b"manifest")),
            config_digest: Some(Digest::sha256_of(b"config")),
            platform: Some("linux/amd64".into()),
            created: Some("2024-04-30T08:00:00Z".into()),
            labels: Default::default(),
            layers: (1..=3)
                .map(|n| LayerMeta {
                    digest: Some(layer(n)),
                    diff_id: None,
                    size: 1000 * u64::from(n),
                    created_by: None,
                    cached: false,
                })
                .collect(),
            config: None,
        },
        os: Some(OsInfo {
            family: "debian".into(),
            version: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ..Default::default()
        }),
        packages,
        diagnostics: Vec::new(),
        analyzers: vec!["dpkg@1".into()],
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    }
}

/// An image from a directory: no digest, no OS, no packages.
fn bare_inventory() -> Inventory {
    Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        image: ImageMeta {
            source: "dir:/srv/rootfs".into(),
            ..ImageMeta::default()
        },
        os: None,
        packages: Vec::new(),
        diagnostics: Vec::new(),
        analyzers: Vec::new(),
        secrets: Vec::new(),
        malware: Vec::new(),
        files: Default::default(),
    }
}

// ---------------------------------------------------------------------------
// Schema validation with Python's jsonschema, offline.

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas")
}

/// Validates the documents named on the command line against one schema.
/// The CycloneDX schema's `$ref`s to `spdx.SNAPSHOT.schema.json` and
/// `jsf-0.82.SNAPSHOT.schema.json` resolve from the vendored files through a
/// `referencing` registry (a `RefResolver` store with jsonschema < 4.18);
/// nothing is fetched. Exit status: 0 valid, 1 invalid, 2 validator error,
/// 3 jsonschema missing.
const VALIDATOR: &str = r#"
import json, pathlib, sys
try:
    import jsonschema
except ImportError as e:
    sys.stderr.write(f"python3 lacks the jsonschema module ({e}); install it with: pip install jsonschema\n")
    sys.exit(3)
try:
    from referencing import Registry, Resource
except ImportError:
    # jsonschema before 4.18: resolve through a RefResolver store instead.
    Registry = None

schemas = pathlib.Path(sys.argv[1])
kind = sys.argv[2]

def load(name):
    return json.loads((schemas / name).read_text(encoding="utf-8"))

def make_validator(cls, schema, referenced):
    """A validator for `schema` resolving `referenced` ({uri: contents})
    locally; nothing is fetched."""
    checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    if Registry is not None:
        registry = Registry().with_resources(
            [(uri, Resource.from_contents(c)) for uri, c in referenced.items()]
        )
        return cls(schema, registry=registry, format_checker=checker)
    resolver = jsonschema.RefResolver.from_schema(schema, store=dict(referenced))
    return cls(schema, resolver=resolver, format_checker=checker)

try:
    referenced = {}
    if kind == "cyclonedx":
        schema = load("bom-1.6.SNAPSHOT.schema.json")
        for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
            contents = load(name)
            # The $ref as written (relative to the bom schema's $id) and the
            # referenced schema's own $id.
            referenced["http://cyclonedx.org/schema/" + name] = contents
            referenced[contents["$id"]] = contents
        cls = jsonschema.Draft7Validator
    elif kind == "spdx":
        schema = load("spdx-2.3.schema.json")
        cls = jsonschema.Draft201909Validator
    else:
        sys.exit(f"unknown kind {kind}")
    cls.check_schema(schema)
    validator = make_validator(cls, schema, referenced)
    failures = 0
    for path in sys.argv[3:]:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        for e in errors:
            where = "/".join(map(str, e.absolute_path))
            print(f"{path}: /{where}: {e.message[:300]}")
        failures += len(errors)
        if not errors:
            print(f"{path}: valid")
except Exception:
    # An unresolvable $ref or a broken schema is not an invalid document.
    import traceback
    traceback.print_exc()
    sys.exit(2)
sys.exit(1 if failures else 0)
"#;

/// Validate `docs` against the `kind` schema; `Err` with the validator's
/// report when any is invalid. Panics (fails the test) when python3 or
/// jsonschema is missing.
fn validate(kind: &str, docs: &[&Value]) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let path = dir.path().join(format!("{kind}-{i}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(doc).expect("serialize"))
            .expect("write document");
        paths.push(path);
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATOR)
        .arg(schemas_dir())
        .arg(kind)
        .args(&paths)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "schema validation needs python3 with the jsonschema module \
                 (pip install jsonschema), but python3 could not be run: {e}"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => {
            let valid = stdout.lines().filter(|l| l.ends_with(": valid")).count();
            assert_eq!(valid, docs.len(), "every document was validated: {stdout}");
            Ok(stdout)
        }
        Some(1) => Err(format!("{stdout}{stderr}")),
        Some(3) => panic!("schema validation needs python3 with jsonschema: {stderr}"),
        _ => panic!("the schema validator failed to run: {stdout}{stderr}"),
    }
}

#[test]
fn cyclonedx_is_valid_against_the_official_1_6_schema() {
    let full = to_cyclonedx(&inventory(), &options());
    let bare = to_cyclonedx(&bare_inventory(), &options());
    if let Err(report) = validate("cyclonedx", &[&full, &bare]) {
        panic!("CycloneDX 1.6 schema validation failed:\n{report}");
    }
}

#[test]
fn spdx_is_valid_against_the_official_2_3_schema() {
    let full = to_spdx(&inventory(), &options());
    let bare = to_spdx(&bare_inventory(), &options());
    if let Err(report) = validate("spdx", &[&full, &bare]) {
        panic!("SPDX 2.3 schema validation failed:\n{report}");
    }
}

/// The validator does reject invalid documents, including through the
/// `$ref` into the vendored SPDX licence-id enumeration.
#[test]
fn the_validator_rejects_invalid_documents() {
    let mut cdx = to_cyclonedx(&inventory(), &options());
    cdx["components"][1]["licenses"] = serde_json::json!([{"license": {"id": "Not-A-Licence"}}]);
    let report = validate("cyclonedx", &[&cdx]).expect_err("unknown SPDX id rejected");
    assert!(report.contains("/components/1/licenses"), "{report}");
    let mut cdx = to_cyclonedx(&inventory(), &options());
    cdx["serialNumber"] = "not-a-urn".into();
    let report = validate("cyclonedx", &[&cdx]).expect_err("bad serial rejected");
    assert!(report.contains("/serialNumber"), "{report}");

    let mut spdx = to_spdx(&inventory(), &options());
    spdx["packages"][2]
        .as_object_mut()
        .expect("package")
        .remove("downloadLocation");
    let report = validate("spdx", &[&spdx]).expect_err("missing downloadLocation rejected");
    assert!(report.contains("downloadLocation"), "{report}");
}

// ---------------------------------------------------------------------------
// Field checks.

fn strs<'a>(v: impl IntoIterator<Item = &'a Value>, key: &str) -> Vec<String> {
    v.into_iter()
        .filter_map(|x| x[key].as_str().map(str::to_owned))
        .collect()
}

fn by_purl<'a>(components: &'a [Value], purl: &str) -> &'a Value {
    components
        .iter()
        .find(|c| c["purl"] == purl)
        .unwrap_or_else(|| panic!("no component with purl {purl}"))
}

const PURLS: &[&str] = &[
    "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
    "pkg:deb/debian/ca-certificates@20230311?arch=all&distro=debian-12",
    "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
    "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
    "pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12",
    "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
    "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
    "pkg:rpm/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1",
    "pkg:pypi/flask-sqlalchemy@3.1.1",
    "pkg:npm/%40babel/core@7.24.0",
    "pkg:npm/lodash@4.17.21",
    "pkg:npm/typescript@5.4.2",
    "pkg:golang/github.com/masterminds/semver/v3@v3.2.1",
    "pkg:golang/stdlib@go1.22.1",
    "pkg:cargo/serde_json@1.0.114",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
    "pkg:gem/nokogiri@1.16.2",
    "pkg:composer/symfony/console@v6.4.4",
    "pkg:nuget/Newtonsoft.Json@13.0.3",
];

#[test]
fn purls_of_every_ecosystem() {
    let inv = inventory();
    let got: BTreeSet<String> = inv
        .packages
        .iter()
        .map(|p| purl(p, inv.os.as_ref()))
        .collect();
    let want: BTreeSet<String> = PURLS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(got, want);
}

#[test]
fn cyclonedx_fields() {
    let inv = inventory();
    let doc = to_cyclonedx(&inv, &options());
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["serialNumber"], SERIAL);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["metadata"]["timestamp"], TIMESTAMP);
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "wharf");
    assert_eq!(
        doc["metadata"]["tools"]["components"][0]["version"],
        "0.1.0"
    );

    let image = &doc["metadata"]["component"];
    let manifest = Digest::sha256_of(b"manifest");
    assert_eq!(image["type"], "container");
    assert_eq!(image["name"], "registry.example.com/team/app:1.4.2");
    assert_eq!(image["version"], manifest.to_string());
    assert_eq!(image["hashes"][0]["alg"], "SHA-256");
    assert_eq!(image["hashes"][0]["content"], manifest.hex());
    let image_purl = format!(
        "pkg:oci/app@{manifest}?arch=amd64\
         &repository_url=registry.example.com%2Fteam%2Fapp&tag=1.4.2"
    );
    assert_eq!(image["purl"], image_purl.as_str());
    assert_eq!(image["bom-ref"], image_purl.as_str());
    let props = image["properties"].as_array().expect("image properties");
    assert!(props.contains(&serde_json::json!({
        "name": "wharf:image:config-digest",
        "value": Digest::sha256_of(b"config").to_string(),
    })));
    assert!(props.contains(&serde_json::json!({
        "name": "wharf:image:platform", "value": "linux/amd64",
    })));

    let components = doc["components"].as_array().expect("components");
    assert_eq!(components.len(), inv.packages.len() + 1);
    assert_eq!(components[0]["type"], "operating-system");
    assert_eq!(components[0]["name"], "debian");
    assert_eq!(components[0]["version"], "12");
    assert!(components[1..].iter().all(|c| c["type"] == "library"));

    // bom-refs: unique, purl-based, the duplicate disambiguated by location.
    let refs = strs(components, "bom-ref");
    assert_eq!(refs.iter().collect::<HashSet<_>>().len(), refs.len());
    assert!(!refs.contains(&image_purl));
    assert!(refs.contains(&"pkg:npm/lodash@4.17.21|app/node_modules/lodash/package.json".into()));
    assert!(refs.contains(&"pkg:npm/lodash@4.17.21|srv/node_modules/lodash/package.json".into()));
    assert!(refs.contains(&"pkg:cargo/serde_json@1.0.114".into()));
    let purls: BTreeSet<String> = strs(&components[1..], "purl").into_iter().collect();
    assert_eq!(purls.len(), PURLS.len());

    // The image depends on every component.
    let deps = doc["dependencies"].as_array().expect("dependencies");
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0]["ref"], image_purl.as_str());
    let depends_on: Vec<String> = deps[0]["dependsOn"]
        .as_array()
        .expect("dependsOn")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(depends_on, refs);

    // Names, groups, versions.
    let log4j = by_purl(
        components,
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
    );
    assert_eq!(log4j["group"], "org.apache.logging.log4j");
    assert_eq!(log4j["name"], "log4j-core");
    let babel = by_purl(components, "pkg:npm/%40babel/core@7.24.0");
    assert_eq!(
        (&babel["group"], &babel["name"]),
        (&"@babel".into(), &"core".into())
    );
    let openssl = by_purl(
        components,
        "pkg:rpm/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1",
    );
    assert_eq!(openssl["version"], "1:3.0.7-25.el9_3");
    assert_eq!(openssl["publisher"], "Red Hat, Inc.");

    // Licences: ids, an expression, names.
    let licences = |purl: &str| by_purl(components, purl)["licenses"].clone();
    assert_eq!(
        licences("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"),
        serde_json::json!([{"license": {"id": "curl"}}])
    );
    assert_eq!(
        licences("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"),
        serde_json::json!([{
            "expression": "LGPL-2.1-or-later AND (GPL-2.0-or-later WITH GCC-exception-2.0)"
        }])
    );
    assert_eq!(
        licences("pkg:cargo/serde_json@1.0.114"),
        serde_json::json!([{"expression": "MIT OR Apache-2.0"}])
    );
    assert_eq!(
        licences("pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"),
        serde_json::json!([{"license": {"name": "GPL-3+"}}, {"license": {"name": "public-domain"}}])
    );
    assert_eq!(
        licences("pkg:composer/symfony/console@v6.4.4"),
        serde_json::json!([
            {"license": {"id": "MIT"}},
            {"license": {"name": "Custom: see LICENSE.txt (c) ACME"}}
        ])
    );
    assert!(
        by_purl(components, "pkg:golang/stdlib@go1.22.1")
            .get("licenses")
            .is_none()
    );

    // Properties: location, layer, source, arch.
    let curl = by_purl(
        components,
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
    );
    let props = curl["properties"].as_array().expect("properties");
    let prop = |name: &str| {
        props
            .iter()
            .filter(|p| p["name"] == name)
            .filter_map(|p| p["value"].as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(prop("wharf:package:location"), [DPKG]);
    assert_eq!(prop("wharf:layer:digest"), [layer(1).to_string()]);
    assert_eq!(prop("wharf:package:source-name"), ["zlib"]);
    assert_eq!(prop("wharf:package:source-version"), ["1:1.2.13.dfsg-1"]);
    assert_eq!(prop("wharf:package:arch"), ["amd64"]);
    assert_eq!(curl["evidence"]["occurrences"][0]["location"], DPKG);
    let typescript = by_purl(components, "pkg:npm/typescript@5.4.2");
    assert!(
        typescript["properties"]
            .as_array()
            .expect("properties")
            .contains(&serde_json::json!({"name": "wharf:package:dev", "value": "true"}))
    );
}

/// `SPDXRef-` followed by letters, digits, `.` and `-` only.
fn valid_spdx_id(id: &str) -> bool {
    id.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

/// The licence identifiers and references of an expression.
fn expression_terms(expr: &str) -> Vec<&str> {
    expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| !t.is_empty() && !["AND", "OR", "WITH"].contains(t))
        .collect()
}

#[test]
fn spdx_fields() {
    let inv = inventory();
    let doc = to_spdx(&inv, &options());
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "registry.example.com/team/app:1.4.2");
    assert_eq!(doc["documentNamespace"], SERIAL);
    assert_eq!(doc["creationInfo"]["created"], TIMESTAMP);
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!(["Tool: wharf-0.1.0"])
    );

    let packages = doc["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), inv.packages.len() + 2);
    let ids = strs(packages, "SPDXID");
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "{ids:?}"
    );
    for id in &ids {
        assert!(valid_spdx_id(id), "invalid SPDXID {id}");
    }
    assert_eq!(packages[0]["SPDXID"], "SPDXRef-Image");
    assert_eq!(packages[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(
        packages[0]["checksums"][0]["checksumValue"],
        Digest::sha256_of(b"manifest").hex()
    );
    assert_eq!(packages[1]["SPDXID"], "SPDXRef-OperatingSystem");
    assert_eq!(packages[1]["primaryPackagePurpose"], "OPERATING_SYSTEM");
    assert_eq!(
        (&packages[1]["name"], &packages[1]["versionInfo"]),
        (&"debian".into(), &"12".into())
    );
    for p in &packages[2..] {
        assert_eq!(p["primaryPackagePurpose"], "LIBRARY");
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        assert_eq!(p["filesAnalyzed"], false);
        assert_eq!(p["licenseConcluded"], "NOASSERTION");
        assert_eq!(p["externalRefs"][0]["referenceCategory"], "PACKAGE-MANAGER");
        assert_eq!(p["externalRefs"][0]["referenceType"], "purl");
        assert!(
            p["sourceInfo"]
                .as_str()
                .is_some_and(|s| s.starts_with("acquired package info from "))
        );
    }
    let locators: BTreeSet<String> = packages[2..]
        .iter()
        .filter_map(|p| {
            p["externalRefs"][0]["referenceLocator"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(locators, PURLS.iter().map(|s| (*s).to_owned()).collect());

    // The two lodash copies: distinct IDs, one per location.
    let lodash: Vec<&Value> = packages.iter().filter(|p| p["name"] == "lodash").collect();
    assert_eq!(lodash.len(), 2);
    assert_eq!(lodash[0]["SPDXID"], "SPDXRef-Package-npm-lodash-4.17.21");
    assert_eq!(lodash[1]["SPDXID"], "SPDXRef-Package-npm-lodash-4.17.21--2");
    assert_eq!(
        lodash[1]["sourceInfo"],
        format!(
            "acquired package info from srv/node_modules/lodash/package.json \
             (introduced by layer {})",
            layer(3)
        )
    );

    // Licences.
    let declared = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["licenseDeclared"].clone())
            .unwrap_or_else(|| panic!("no package {name}"))
    };
    assert_eq!(declared("curl"), "curl");
    assert_eq!(
        declared("perl-base"),
        "GPL-1.0-or-later OR Artistic-1.0-Perl"
    );
    assert_eq!(
        declared("libc6"),
        "LGPL-2.1-or-later AND (GPL-2.0-or-later WITH GCC-exception-2.0)"
    );
    assert_eq!(
        declared("bash"),
        "LicenseRef-GPL-3 AND LicenseRef-public-domain"
    );
    assert_eq!(
        declared("symfony/console"),
        "MIT AND LicenseRef-Custom-see-LICENSE.txt-c-ACME"
    );
    assert_eq!(declared("ca-certificates"), "NOASSERTION");
    let extracted = doc["hasExtractedLicensingInfos"]
        .as_array()
        .expect("extracted licensing infos");
    let defined: Vec<String> = strs(extracted, "licenseId");
    assert_eq!(
        defined,
        [
            "LicenseRef-GPL-3",
            "LicenseRef-public-domain",
            "LicenseRef-Custom-see-LICENSE.txt-c-ACME"
        ]
    );
    assert_eq!(extracted[0]["extractedText"], "GPL-3+");
    // Every LicenseRef used is defined, and every term is a licence id
    // shaped token.
    for p in packages {
        let expr = p["licenseDeclared"].as_str().expect("licenseDeclared");
        for term in expression_terms(expr) {
            if term.starts_with("LicenseRef-") {
                assert!(defined.iter().any(|d| d == term), "{term} undefined");
            }
            assert!(
                term.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.+".contains(&b)),
                "{term}"
            );
        }
    }

    // Relationships: the document describes the image, which contains
    // everything else.
    let rels = doc["relationships"].as_array().expect("relationships");
    assert_eq!(rels.len(), packages.len());
    assert_eq!(
        rels[0],
        serde_json::json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Image",
        })
    );
    let contained: Vec<String> = rels[1..]
        .iter()
        .inspect(|r| {
            assert_eq!(r["spdxElementId"], "SPDXRef-Image");
            assert_eq!(r["relationshipType"], "CONTAINS");
        })
        .filter_map(|r| r["relatedSpdxElement"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(contained, ids[1..]);
}

#[test]
fn bare_inventory_exports() {
    let cdx = to_cyclonedx(&bare_inventory(), &options());
    assert_eq!(cdx["metadata"]["component"]["bom-ref"], "wharf:image");
    assert_eq!(cdx["metadata"]["component"]["name"], "dir:/srv/rootfs");
    assert!(cdx["metadata"]["component"].get("purl").is_none());
    assert_eq!(cdx["components"], serde_json::json!([]));
    assert_eq!(cdx["dependencies"][0]["dependsOn"], serde_json::json!([]));
    let spdx = to_spdx(&bare_inventory(), &options());
    assert_eq!(spdx["packages"].as_array().map(Vec::len), Some(1));
    assert!(spdx.get("hasExtractedLicensingInfos").is_none());
}

#[test]
fn exports_are_deterministic() {
    let inv = inventory();
    assert_eq!(
        to_cyclonedx(&inv, &options()),
        to_cyclonedx(&inv, &options())
    );
    assert_eq!(to_spdx(&inv, &options()), to_spdx(&inv, &options()));
}

#[test]
fn snapshots() {
    let inv = inventory();
    insta::assert_json_snapshot!("cyclonedx", to_cyclonedx(&inv, &options()));
    insta::assert_json_snapshot!("spdx", to_spdx(&inv, &options()));
}
