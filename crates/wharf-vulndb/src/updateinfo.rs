//! rpm repository errata (`updateinfo.xml`, optionally gzipped) →
//! [`Advisory`].
//!
//! `updateinfo.xml` is the errata document of yum/dnf repositories:
//! `<updates><update type="security"><id>RLSA-2021:2575</id><severity>…
//! <references><reference type="cve" id="CVE-…"/>…<pkglist><collection>
//! [<module name stream/>]<package name version release epoch arch/>…`.
//! Bottlerocket publishes its advisories only in this form
//! (`https://advisories.bottlerocket.aws/updateinfo.xml.gz`); it is also
//! the native errata format of Rocky Linux and Amazon Linux (with the
//! architecture of every fix, which the OSV export drops).
//!
//! The distribution is told by the erratum id, as each names its errata:
//!
//! | id prefix | ecosystem |
//! |---|---|
//! | `BRSA-` | `Bottlerocket` |
//! | `RLSA-` | `Rocky Linux:<N>` |
//! | `ALSA-` | `AlmaLinux:<N>` |
//! | `ELSA-` | `Oracle Linux:<N>` |
//! | `ALAS2-`, `ALAS2022-`, `ALAS2023-` | `Amazon Linux:2`, `…:2022`, `…:2023` |
//!
//! (`<N>` from each package's `elN` release tag). Security errata of
//! another prefix (including Amazon Linux AMI's plain `ALAS-`, end of
//! life) are skipped with the reason; other types (bug fix, enhancement)
//! are ignored. Records become advisories as
//! [`crate::errata`] describes.

use std::collections::BTreeMap;
use std::path::Path;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::model::Advisory;
use crate::{Error, ImportReport, Skipped, errata, limits, sources};

/// Imports an `updateinfo.xml` (or `.xml.gz`) file.
pub fn import_path(path: &Path) -> Result<ImportReport, Error> {
    let (data, name) = crate::read_feed(path)?;
    parse_bytes(&data, &name)
}

/// One `<update>` as read, before validation.
#[derive(Debug, Default)]
struct RawUpdate {
    kind: String,
    id: String,
    title: String,
    severity: String,
    cves: Vec<String>,
    module: Option<String>,
    /// (name, epoch, version, release, arch).
    packages: Vec<[String; 5]>,
}

/// The element whose text is being read.
#[derive(Clone, Copy)]
enum Field {
    Id,
    Title,
    Severity,
}

/// Parses an `updateinfo.xml` document. Malformed XML or a document
/// without `<updates>` is an [`Error::Format`]; a bad erratum or package
/// is skipped (or warned about) with the reason.
pub fn parse_bytes(data: &[u8], origin: &str) -> Result<ImportReport, Error> {
    let fmt_err = |reason: String| Error::Format {
        path: origin.into(),
        format: "updateinfo.xml",
        reason,
    };
    let mut reader = quick_xml::Reader::from_reader(data);
    let mut buf = Vec::new();
    let mut updates = Vec::new();
    let mut current: Option<RawUpdate> = None;
    let mut field: Option<Field> = None;
    let mut saw_root = false;
    let mut depth = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| fmt_err(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty {
                    depth += 1;
                }
                match e.local_name().into_inner() {
                    "updates" => saw_root = true,
                    "update" => {
                        current = Some(RawUpdate {
                            kind: attr(e, "type"),
                            ..RawUpdate::default()
                        });
                    }
                    name => {
                        if let Some(u) = current.as_mut() {
                            field = None;
                            match name {
                                "id" if !empty => field = Some(Field::Id),
                                "title" if !empty => field = Some(Field::Title),
                                "severity" if !empty => field = Some(Field::Severity),
                                "reference" if attr(e, "type") == "cve" => {
                                    u.cves.push(attr(e, "id"));
                                }
                                "module" => {
                                    let (n, s) = (attr(e, "name"), attr(e, "stream"));
                                    if !n.is_empty() && !s.is_empty() {
                                        u.module = Some(format!("{n}:{s}"));
                                    }
                                }
                                "package" => u.packages.push(
                                    ["name", "epoch", "version", "release", "arch"]
                                        .map(|k| attr(e, k)),
                                ),
                                _ => {}
                            }
                        }
                    }
                }
            }
            Event::Text(ref t) => {
                let text = t.xml10_content();
                push_text(current.as_mut(), field, &text);
            }
            Event::CData(ref t) => push_text(current.as_mut(), field, &t.xml10_content()),
            Event::GeneralRef(ref r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r.xml10_content() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    push_text(current.as_mut(), field, c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                field = None;
                if e.local_name().into_inner() == "update" {
                    updates.extend(current.take());
                }
            }
            Event::Eof if depth > 0 => {
                return Err(fmt_err(
                    "truncated: the document ends inside an element".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(fmt_err("no <updates> element".into()));
    }
    let mut report = ImportReport::default();
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (i, u) in updates.iter().enumerate() {
        if u.kind != "security" {
            continue;
        }
        let id = u.id.trim();
        let what = if id.is_empty() {
            format!("{origin}: update[{i}]")
        } else {
            id.to_owned()
        };
        match advisories(u, id, &mut report.warnings) {
            Ok(advisories) => {
                for a in advisories {
                    errata::merge_into(&mut by_id, a);
                }
            }
            Err(reason) => report.skipped.push(Skipped::new(what, reason)),
        }
    }
    report.imported = by_id.into_values().collect();
    Ok(report)
}

/// How an erratum prefix names the feed ecosystem.
enum Release {
    /// One ecosystem for the whole feed.
    None(&'static str),
    /// `<name>:<N>`, `N` from each package's `elN` release tag.
    El(&'static str),
}

/// Appends text to the field being read, within a sane length.
fn push_text(u: Option<&mut RawUpdate>, field: Option<Field>, text: &str) {
    let (Some(u), Some(f)) = (u, field) else {
        return;
    };
    let target = match f {
        Field::Id => &mut u.id,
        Field::Title => &mut u.title,
        Field::Severity => &mut u.severity,
    };
    if target.len() + text.len() <= limits::MAX_ID_LEN * 8 {
        target.push_str(text);
    }
}

/// The advisories of one security `<update>`.
fn advisories(
    u: &RawUpdate,
    id: &str,
    warnings: &mut Vec<Skipped>,
) -> Result<Vec<Advisory>, String> {
    let prefix = id.split('-').next().unwrap_or_default();
    let distribution = match prefix {
        "BRSA" => Release::None("Bottlerocket"),
        "RLSA" => Release::El("Rocky Linux"),
        "ALSA" => Release::El("AlmaLinux"),
        "ELSA" => Release::El("Oracle Linux"),
        "ALAS2" => Release::None("Amazon Linux:2"),
        "ALAS2022" => Release::None("Amazon Linux:2022"),
        "ALAS2023" => Release::None("Amazon Linux:2023"),
        _ => {
            return Err(format!(
                "unknown distribution for erratum prefix {:?}",
                prefix.chars().take(16).collect::<String>()
            ));
        }
    };
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let erratum = errata::Erratum {
        id,
        title: non_empty(&u.title),
        severity: non_empty(&u.severity).filter(|s| s != "None"),
        module: u.module.clone(),
        cves: u.cves.iter().map(String::as_str).collect(),
        packages: u
            .packages
            .iter()
            .map(
                |[name, epoch, version, release, arch]| errata::ListedPackage {
                    name,
                    epoch: Some(epoch.as_str()),
                    version,
                    release,
                    arch,
                },
            )
            .collect(),
        reference: None,
    };
    errata::advisories(
        &erratum,
        sources::UPDATEINFO,
        |p| match distribution {
            Release::None(ecosystem) => Ok(ecosystem.to_owned()),
            Release::El(d) => errata::el_ecosystem(d, p),
        },
        warnings,
    )
}

/// An attribute's unescaped value, or empty.
fn attr(e: &BytesStart<'_>, key: &str) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == key)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_prefixes_bad_xml_and_other_types() {
        let doc = br#"<?xml version="1.0"?><updates>
          <update type="security"><id>XYZA-1</id><pkglist><collection>
            <package name="a" version="1" release="1.el8" epoch="0" arch="x86_64"/></collection></pkglist></update>
          <update type="bugfix"><id>RLBA-2</id></update>
          <update type="security"><id>ALAS2-2018-939</id><references><reference type="cve" id="CVE-2017-5754"/></references>
            <pkglist><collection><package name="kernel" version="4.9.76" release="38.79.amzn2" epoch="0" arch="x86_64"/></collection></pkglist></update>
          <update type="security"><id>RLSA-3</id><severity>Important</severity>
            <references><reference type="cve" id="CVE-2024-3"/></references>
            <pkglist><collection>
            <package name="b" version="2" release="1.el9" epoch="0" arch="x86_64"/>
            <package name="c" version="2" release="1.fc40" epoch="0" arch="x86_64"/></collection></pkglist></update>
        </updates>"#;
        let r = parse_bytes(doc, "t").expect("parse");
        assert_eq!(r.imported.len(), 2);
        assert_eq!(r.imported[0].affected[0].ecosystem, "Amazon Linux:2");
        let a = &r.imported[1];
        assert_eq!(
            (a.id.as_str(), a.related.as_slice()),
            ("CVE-2024-3", &["RLSA-3".to_owned()][..])
        );
        assert_eq!(a.affected[0].ecosystem, "Rocky Linux:9");
        assert_eq!(a.affected[0].distro_severity.as_deref(), Some("Important"));
        assert_eq!(r.skipped.len(), 1, "{:?}", r.skipped);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(parse_bytes(b"<updates><update>", "t").is_err());
        assert!(parse_bytes(b"<html/>", "t").is_err());
        assert!(parse_bytes(b"\xff\xfe", "t").is_err());
    }
}
