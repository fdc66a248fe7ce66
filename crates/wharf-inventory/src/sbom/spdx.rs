//! SPDX 2.3 JSON.
//!
//! Packages: the image (`SPDXRef-Image`, purpose `CONTAINER`, with its
//! manifest digest as version and checksum and its `pkg:oci` purl when
//! known), the operating system (`SPDXRef-OperatingSystem`, purpose
//! `OPERATING_SYSTEM`) and every package (`SPDXRef-Package-<ecosystem>-
//! <name>-<version>` reduced to the characters SPDX IDs allow — runs of
//! other characters become one `-` — and made unique with a `--<n>` suffix,
//! which sanitising cannot produce; purpose `LIBRARY`), none with files
//! analysed. The
//! document `DESCRIBES` the image, which `CONTAINS` everything else.
//!
//! A package's declared licences become `licenseDeclared`: valid SPDX
//! expressions as they are (in canonical case), joined with `AND`; any
//! other text a `LicenseRef-<sanitised text>` whose text is recorded in
//! `hasExtractedLicensingInfos`. Nothing is concluded (`NOASSERTION`).

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};
use wharf_types::{OsInfo, Package};

use super::license::{License, join_and, license_ref, sanitize_id};
use super::spdx_ids::LICENSE_LIST_VERSION;
use super::{SbomOptions, image_name, image_purl, layer_digests, purl, spdx_alg, uniquify};
use crate::{ImageMeta, Inventory};

const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// The SPDX 2.3 document of `inv`, as JSON.
///
/// Deterministic: the same inventory and options give the same document.
/// `options.serial` is the `documentNamespace` and must be a URI (a
/// `urn:uuid:` URN is).
pub fn to_spdx(inv: &Inventory, options: &SbomOptions) -> Value {
    let os = inv.os.as_ref();
    let ids = uniquify(
        inv.packages
            .iter()
            .map(|p| {
                let base = format!("{}-{}-{}", p.ecosystem, p.name, p.full_version());
                format!("SPDXRef-Package-{}", sanitize_id(&base, "unnamed"))
            })
            .collect(),
        "--",
    );

    let mut refs = LicenseRefs::default();
    let mut packages = vec![image_package(&inv.image)];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID)];
    if let Some(o) = os {
        packages.push(os_package(o));
        relationships.push(relationship(IMAGE_ID, "CONTAINS", OS_ID));
    }
    for (p, id) in inv.packages.iter().zip(&ids) {
        packages.push(package(p, id, &purl(p, os), &mut refs));
        relationships.push(relationship(IMAGE_ID, "CONTAINS", id));
    }

    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), json!("SPDX-2.3"));
    doc.insert("dataLicense".into(), json!("CC0-1.0"));
    doc.insert("SPDXID".into(), json!("SPDXRef-DOCUMENT"));
    doc.insert("name".into(), json!(image_name(&inv.image)));
    doc.insert("documentNamespace".into(), json!(options.serial));
    doc.insert(
        "creationInfo".into(),
        json!({
            "created": options.timestamp,
            "creators": [format!("Tool: wharf-{}", options.tool_version)],
            "licenseListVersion": LICENSE_LIST_VERSION,
        }),
    );
    doc.insert("packages".into(), Value::Array(packages));
    doc.insert("relationships".into(), Value::Array(relationships));
    if !refs.extracted.is_empty() {
        doc.insert(
            "hasExtractedLicensingInfos".into(),
            Value::Array(refs.extracted),
        );
    }
    Value::Object(doc)
}

fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

/// The fields every package shares: nothing downloaded, analysed or
/// concluded.
fn base(id: &str, name: &str, purpose: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("SPDXID".into(), json!(id));
    p.insert("name".into(), json!(name));
    p.insert("downloadLocation".into(), json!(NOASSERTION));
    p.insert("filesAnalyzed".into(), json!(false));
    p.insert("licenseConcluded".into(), json!(NOASSERTION));
    p.insert("licenseDeclared".into(), json!(NOASSERTION));
    p.insert("copyrightText".into(), json!(NOASSERTION));
    p.insert("primaryPackagePurpose".into(), json!(purpose));
    p
}

fn purl_ref(purl: &str) -> Value {
    json!([{
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": purl,
    }])
}

fn image_package(image: &ImageMeta) -> Value {
    let mut p = base(IMAGE_ID, image_name(image), "CONTAINER");
    if let Some(d) = &image.digest {
        p.insert("versionInfo".into(), json!(d.to_string()));
        p.insert(
            "checksums".into(),
            json!([{ "algorithm": spdx_alg(d.algorithm()), "checksumValue": d.hex() }]),
        );
    }
    if let Some(purl) = image_purl(image) {
        p.insert("externalRefs".into(), purl_ref(&purl));
    }
    let mut notes = Vec::new();
    if let Some(pl) = &image.platform {
        notes.push(format!("platform: {pl}"));
    }
    if let Some(d) = &image.config_digest {
        notes.push(format!("config digest: {d}"));
    }
    if let Some(t) = &image.created {
        notes.push(format!("created: {t}"));
    }
    let layers: Vec<String> = layer_digests(image).map(|d| d.to_string()).collect();
    if !layers.is_empty() {
        notes.push(format!("layers: {}", layers.join(", ")));
    }
    if !notes.is_empty() {
        p.insert("comment".into(), json!(notes.join("\n")));
    }
    Value::Object(p)
}

fn os_package(os: &OsInfo) -> Value {
    let mut p = base(OS_ID, &os.family, "OPERATING_SYSTEM");
    if !os.version.is_empty() {
        p.insert("versionInfo".into(), json!(os.version));
    }
    if let Some(d) = &os.pretty_name {
        p.insert("description".into(), json!(d));
    }
    Value::Object(p)
}

fn package(pkg: &Package, id: &str, purl: &str, refs: &mut LicenseRefs) -> Value {
    let mut p = base(id, &pkg.name, "LIBRARY");
    let version = pkg.full_version();
    if !version.is_empty() {
        p.insert("versionInfo".into(), json!(version));
    }
    p.insert(
        "supplier".into(),
        json!(match &pkg.vendor {
            Some(v) if !v.trim().is_empty() => format!("Organization: {}", v.trim()),
            _ => NOASSERTION.to_owned(),
        }),
    );
    if let Some(expr) = refs.declared(&pkg.licenses) {
        p.insert("licenseDeclared".into(), json!(expr));
    }
    p.insert("externalRefs".into(), purl_ref(purl));
    let locations = pkg.locations.join(", ");
    let info = match &pkg.layer {
        Some(d) => format!("acquired package info from {locations} (introduced by layer {d})"),
        None => format!("acquired package info from {locations}"),
    };
    p.insert("sourceInfo".into(), json!(info));
    Value::Object(p)
}

/// The `LicenseRef-`s of a document: one per distinct non-SPDX licence
/// text, in order of first use; texts that sanitise alike get `--<n>`.
#[derive(Default)]
struct LicenseRefs {
    by_text: BTreeMap<String, String>,
    used: HashSet<String>,
    extracted: Vec<Value>,
}

impl LicenseRefs {
    /// The `LicenseRef-` for `text`, recording it on first use.
    fn reference(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let base = license_ref(text);
        let mut id = base.clone();
        let mut n = 2u32;
        while !self.used.insert(id.clone()) {
            id = format!("{base}--{n}");
            n += 1;
        }
        self.by_text.insert(text.to_owned(), id.clone());
        self.extracted.push(json!({
            "licenseId": id,
            "name": text,
            "extractedText": text,
            "comment": "Declared licence that is not a valid SPDX licence expression, as found by wharf.",
        }));
        id
    }

    /// The `licenseDeclared` expression of `declared`, or `None` when no
    /// licence is declared.
    fn declared(&mut self, declared: &[String]) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        for l in declared {
            let t = l.trim();
            if t.is_empty() || t.eq_ignore_ascii_case(NOASSERTION) || t.eq_ignore_ascii_case("NONE")
            {
                continue;
            }
            let part = match License::classify(t) {
                License::Id(s) | License::Expression(s) => s,
                License::Other(text) => self.reference(&text),
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            return None;
        }
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        Some(join_and(&parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::license::parse;

    #[test]
    fn declared_licences_and_refs() {
        let mut refs = LicenseRefs::default();
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(refs.declared(&s(&[])), None);
        assert_eq!(refs.declared(&s(&["none"])), None);
        assert_eq!(refs.declared(&s(&["mit"])).as_deref(), Some("MIT"));
        let got = refs.declared(&s(&["GPL-2+ or Artistic", "MIT OR Apache-2.0", "MIT"]));
        assert_eq!(
            got.as_deref(),
            Some("LicenseRef-GPL-2-or-Artistic AND (MIT OR Apache-2.0) AND MIT")
        );
        // Same text, same reference; a different text sanitised alike gets
        // its own.
        let again = refs.declared(&s(&["GPL-2+ or Artistic"]));
        assert_eq!(again.as_deref(), Some("LicenseRef-GPL-2-or-Artistic"));
        let other = refs.declared(&s(&["GPL-2+ or Artistic!"]));
        assert_eq!(other.as_deref(), Some("LicenseRef-GPL-2-or-Artistic--2"));
        assert_eq!(refs.extracted.len(), 2);
        for e in [got, again, other].into_iter().flatten() {
            assert!(parse(&e).is_some(), "{e} is a valid expression");
        }
    }
}
