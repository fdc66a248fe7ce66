//! CycloneDX 1.6 JSON.
//!
//! The image is the BOM's subject (`metadata.component`, `type: container`:
//! name the source, version the manifest digest, its SHA-256 hash and
//! `pkg:oci` purl when the digest is known, platform, config digest,
//! creation time and layers as `wharf:image:*` properties). The operating
//! system is an `operating-system` component, every package a `library`
//! with its purl, licences, the files it was found in (as
//! `evidence.occurrences` and `wharf:package:location` properties), the
//! layer that introduced it and its source package and architecture. The
//! image depends on every component.
//!
//! `bom-ref`s: a package's is its purl, or for a purl shared by several
//! packages (one package found at several locations) the purl, `|` and the
//! first location; the image's is its purl (`wharf:image` without one); the
//! operating system's is `os:<family>@<version>`.

use serde_json::{Map, Value, json};
use wharf_types::{Ecosystem, OsInfo, Package};

use super::license::{License, join_and};
use super::{
    SbomOptions, cyclonedx_alg, image_name, image_purl, layer_digests, package_refs, purl,
};
use crate::{ImageMeta, Inventory};

/// The JSON schema the document declares (`$schema`).
const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// The CycloneDX 1.6 BOM of `inv`, as JSON.
///
/// Deterministic: the same inventory and options give the same document.
/// `options.serial` must be a lowercase `urn:uuid:` URN for the document to
/// be schema-valid.
pub fn to_cyclonedx(inv: &Inventory, options: &SbomOptions) -> Value {
    let os = inv.os.as_ref();
    let purls: Vec<String> = inv.packages.iter().map(|p| purl(p, os)).collect();
    let refs = refs_of(inv, &purls);

    let image_purl = image_purl(&inv.image);
    let image_ref = image_purl
        .clone()
        .unwrap_or_else(|| "wharf:image".to_owned());

    let mut components = Vec::with_capacity(inv.packages.len() + 1);
    let mut depends_on = Vec::with_capacity(inv.packages.len() + 1);
    if let Some(o) = os {
        let (component, bom_ref) = os_component(o);
        components.push(component);
        depends_on.push(bom_ref);
    }
    for ((p, purl), bom_ref) in inv.packages.iter().zip(purls).zip(refs) {
        components.push(package_component(p, purl, &bom_ref));
        depends_on.push(bom_ref);
    }

    json!({
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": options.serial,
        "version": 1,
        "metadata": {
            "timestamp": options.timestamp,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "wharf",
                    "version": options.tool_version,
                }],
            },
            "component": image_component(&inv.image, image_purl, &image_ref),
        },
        "components": components,
        "dependencies": [{
            "ref": image_ref,
            "dependsOn": depends_on,
        }],
    })
}

/// The `bom-ref` [`to_cyclonedx`] gives each package of `inv`, in the
/// order of `inv.packages` (so a package's ref is at its index).
///
/// For documents that point at the BOM's components, such as a
/// vulnerability report's `affects`.
pub fn cyclonedx_package_refs(inv: &Inventory) -> Vec<String> {
    let os = inv.os.as_ref();
    let purls: Vec<String> = inv.packages.iter().map(|p| purl(p, os)).collect();
    refs_of(inv, &purls)
}

/// Package `bom-ref`s from the packages' purls (see the module docs).
fn refs_of(inv: &Inventory, purls: &[String]) -> Vec<String> {
    let first_locations: Vec<Option<&str>> = inv
        .packages
        .iter()
        .map(|p| p.locations.first().map(String::as_str))
        .collect();
    package_refs(purls, &first_locations)
}

/// A `{"name": …, "value": …}` property.
fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn image_component(image: &ImageMeta, purl: Option<String>, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("container"));
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("name".into(), json!(image_name(image)));
    if let Some(d) = &image.digest {
        c.insert("version".into(), json!(d.to_string()));
        c.insert(
            "hashes".into(),
            json!([{ "alg": cyclonedx_alg(d.algorithm()), "content": d.hex() }]),
        );
    }
    if let Some(p) = purl {
        c.insert("purl".into(), json!(p));
    }
    let mut props = Vec::new();
    if let Some(p) = &image.platform {
        props.push(property("wharf:image:platform", p));
    }
    if let Some(d) = &image.config_digest {
        props.push(property("wharf:image:config-digest", d.to_string()));
    }
    if let Some(t) = &image.created {
        props.push(property("wharf:image:created", t));
    }
    for d in layer_digests(image) {
        props.push(property("wharf:image:layer", d.to_string()));
    }
    if !props.is_empty() {
        c.insert("properties".into(), Value::Array(props));
    }
    Value::Object(c)
}

fn os_component(os: &OsInfo) -> (Value, String) {
    let bom_ref = format!("os:{}@{}", os.family, os.version);
    let mut c = Map::new();
    c.insert("type".into(), json!("operating-system"));
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("name".into(), json!(os.family));
    if !os.version.is_empty() {
        c.insert("version".into(), json!(os.version));
    }
    if let Some(d) = &os.pretty_name {
        c.insert("description".into(), json!(d));
    }
    let mut props = Vec::new();
    if let Some(n) = &os.codename {
        props.push(property("wharf:os:codename", n));
    }
    if os.distroless {
        props.push(property("wharf:os:distroless", "true"));
    }
    if !props.is_empty() {
        c.insert("properties".into(), Value::Array(props));
    }
    (Value::Object(c), bom_ref)
}

/// The CycloneDX `group` and `name` of a package: Maven `group:artifact`,
/// npm `@scope/name` and Composer `vendor/name` are split; any other name
/// is whole.
fn group_and_name(p: &Package) -> (Option<&str>, &str) {
    let split = match p.ecosystem {
        Ecosystem::Maven => p
            .name
            .split_once(':')
            .map(|(g, rest)| (g, rest.split(':').next().unwrap_or(rest))),
        Ecosystem::Npm => p.name.split_once('/').filter(|(s, _)| s.starts_with('@')),
        Ecosystem::Composer => p.name.split_once('/'),
        _ => None,
    };
    match split {
        Some((g, n)) if !g.is_empty() && !n.is_empty() => (Some(g), n),
        _ => (None, &p.name),
    }
}

fn package_component(p: &Package, purl: String, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("library"));
    c.insert("bom-ref".into(), json!(bom_ref));
    let (group, name) = group_and_name(p);
    if let Some(g) = group {
        c.insert("group".into(), json!(g));
    }
    c.insert("name".into(), json!(name));
    let version = p.full_version();
    if !version.is_empty() {
        c.insert("version".into(), json!(version));
    }
    if let Some(v) = &p.vendor {
        c.insert("publisher".into(), json!(v));
    }
    if let Some(l) = licenses(&p.licenses) {
        c.insert("licenses".into(), l);
    }
    c.insert("purl".into(), json!(purl));
    if !p.locations.is_empty() {
        let occurrences: Vec<Value> = p
            .locations
            .iter()
            .map(|l| json!({ "location": l }))
            .collect();
        c.insert("evidence".into(), json!({ "occurrences": occurrences }));
    }

    let mut props: Vec<Value> = p
        .locations
        .iter()
        .map(|l| property("wharf:package:location", l))
        .collect();
    if let Some(d) = &p.layer {
        props.push(property("wharf:layer:digest", d.to_string()));
    }
    if let Some(s) = &p.source {
        props.push(property("wharf:package:source-name", &s.name));
        if let Some(v) = &s.version {
            props.push(property("wharf:package:source-version", v));
        }
    }
    if let Some(a) = &p.arch {
        props.push(property("wharf:package:arch", a));
    }
    if let Some(m) = &p.modularity_label {
        props.push(property("wharf:package:modularity-label", m));
    }
    if p.dev {
        props.push(property("wharf:package:dev", "true"));
    }
    if !props.is_empty() {
        c.insert("properties".into(), Value::Array(props));
    }
    Value::Object(c)
}

/// The `licenses` of a package's declared licences, if any.
///
/// Listed SPDX identifiers become `{"license": {"id": …}}` and free text
/// `{"license": {"name": …}}`. When a licence is a compound (or otherwise
/// non-identifier) expression and every licence is valid SPDX, they are
/// joined with `AND` into the single `{"expression": …}` CycloneDX allows;
/// with free text among them, expressions are kept as named licences.
fn licenses(declared: &[String]) -> Option<Value> {
    let mut classified: Vec<License> = Vec::new();
    for l in declared {
        if l.trim().is_empty()
            || l.trim().eq_ignore_ascii_case("NOASSERTION")
            || l.trim().eq_ignore_ascii_case("NONE")
        {
            continue;
        }
        let c = License::classify(l);
        if !classified.contains(&c) {
            classified.push(c);
        }
    }
    if classified.is_empty() {
        return None;
    }
    let has_expression = classified
        .iter()
        .any(|c| matches!(c, License::Expression(_)));
    let has_other = classified.iter().any(|c| matches!(c, License::Other(_)));
    if has_expression && !has_other {
        let parts: Vec<&str> = classified
            .iter()
            .map(|c| match c {
                License::Id(s) | License::Expression(s) | License::Other(s) => s.as_str(),
            })
            .collect();
        return Some(json!([{ "expression": join_and(&parts) }]));
    }
    let list: Vec<Value> = classified
        .into_iter()
        .map(|c| match c {
            License::Id(id) => json!({ "license": { "id": id } }),
            License::Expression(s) | License::Other(s) => json!({ "license": { "name": s } }),
        })
        .collect();
    Some(Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lic(list: &[&str]) -> Option<Value> {
        licenses(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn licence_choices() {
        assert_eq!(lic(&[]), None);
        assert_eq!(lic(&["NOASSERTION", " "]), None);
        assert_eq!(
            lic(&["mit", "Zlib", "MIT"]),
            Some(json!([{"license": {"id": "MIT"}}, {"license": {"id": "Zlib"}}]))
        );
        assert_eq!(
            lic(&["MIT OR Apache-2.0"]),
            Some(json!([{"expression": "MIT OR Apache-2.0"}]))
        );
        assert_eq!(
            lic(&["MIT OR Apache-2.0", "BSD-3-Clause"]),
            Some(json!([{"expression": "(MIT OR Apache-2.0) AND BSD-3-Clause"}]))
        );
        assert_eq!(
            lic(&["GPL-2.0-only", "GPL-2+ or Artistic"]),
            Some(json!([
                {"license": {"id": "GPL-2.0-only"}},
                {"license": {"name": "GPL-2+ or Artistic"}}
            ]))
        );
        assert_eq!(
            lic(&["MIT OR Apache-2.0", "public-domain"]),
            Some(json!([
                {"license": {"name": "MIT OR Apache-2.0"}},
                {"license": {"name": "public-domain"}}
            ]))
        );
    }

    #[test]
    fn groups() {
        let p = |eco, name: &str| Package::new(eco, name, "1", "x");
        let maven = p(Ecosystem::Maven, "org.slf4j:slf4j-api");
        assert_eq!(group_and_name(&maven), (Some("org.slf4j"), "slf4j-api"));
        let npm = p(Ecosystem::Npm, "@types/node");
        assert_eq!(group_and_name(&npm), (Some("@types"), "node"));
        let plain_npm = p(Ecosystem::Npm, "left/pad");
        assert_eq!(group_and_name(&plain_npm), (None, "left/pad"));
        let composer = p(Ecosystem::Composer, "monolog/monolog");
        assert_eq!(group_and_name(&composer), (Some("monolog"), "monolog"));
        let go = p(Ecosystem::Golang, "github.com/a/b");
        assert_eq!(group_and_name(&go), (None, "github.com/a/b"));
    }
}
