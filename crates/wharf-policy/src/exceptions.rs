//! Exceptions (accepted risks) and VEX statements (OpenVEX 0.2.0,
//! CycloneDX 1.5/1.6 VEX).

use std::path::Path;

use globset::Glob;
use serde::{Deserialize, Serialize};

use crate::error::PolicyError;

/// One exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A vulnerability id (or alias), a finding id (`wf-…`) or fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A rule id (`CIS-4.1`): every finding of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Only findings in this package (name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Image scope: globs matched against the repository
    /// (`registry.example.com/team/*`) and against the source as given;
    /// empty means every image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Why the risk is accepted (required).
    pub justification: String,
    /// Last day it applies (`YYYY-MM-DD`); none means no expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<jiff::civil::Date>,
    /// Who accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// An exception file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionFile {
    #[serde(default, rename = "exception", alias = "exceptions")]
    exceptions: Vec<Exception>,
}

/// Exceptions loaded from files.
#[derive(Debug, Clone, Default)]
pub struct Exceptions {
    /// `(source file, exception)`.
    pub entries: Vec<(String, Exception)>,
    /// The image globs of each entry, compiled once (entries pushed
    /// directly are compiled when looked up).
    globs: Vec<Vec<globset::GlobMatcher>>,
}

fn compile(images: &[String]) -> Vec<globset::GlobMatcher> {
    images
        .iter()
        .filter_map(|g| Glob::new(g).ok())
        .map(|g| g.compile_matcher())
        .collect()
}

/// What an exception does to a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExceptionOutcome<'a> {
    /// It applies.
    Applies(&'a str, &'a Exception),
    /// It would apply but expired.
    Expired(&'a str, &'a Exception),
}

impl Exceptions {
    /// Parse a file's text: TOML (`[[exception]]`) or, for `.yaml`/`.yml`
    /// names, YAML (`exceptions:` list).
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), PolicyError> {
        let parse_err = |message: String| PolicyError::Parse {
            file: name.to_owned(),
            message,
        };
        let file: ExceptionFile = if name.ends_with(".yaml") || name.ends_with(".yml") {
            yaml_serde::from_str(text).map_err(|e| parse_err(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| parse_err(e.to_string()))?
        };
        for (i, e) in file.exceptions.into_iter().enumerate() {
            if e.id.is_none() && e.rule.is_none() {
                return Err(parse_err(format!(
                    "exception #{}: needs `id` or `rule`",
                    i + 1
                )));
            }
            if e.justification.trim().is_empty() {
                return Err(parse_err(format!(
                    "exception #{}: empty justification",
                    i + 1
                )));
            }
            for g in &e.images {
                Glob::new(g).map_err(|err| parse_err(format!("exception #{}: {err}", i + 1)))?;
            }
            self.globs.resize(self.entries.len(), Vec::new());
            self.globs.push(compile(&e.images));
            self.entries.push((name.to_owned(), e));
        }
        Ok(())
    }

    /// Load an exception file.
    pub fn load(&mut self, path: &Path) -> Result<(), PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            file: path.display().to_string(),
            source: e,
        })?;
        self.parse(&path.display().to_string(), &text)
    }

    /// The exception for a finding: the first that applies, else the first
    /// matching one that expired.
    pub(crate) fn lookup<'a>(
        &'a self,
        subject: &Subject<'_>,
        today: jiff::civil::Date,
    ) -> Option<ExceptionOutcome<'a>> {
        let mut expired = None;
        for (i, (file, e)) in self.entries.iter().enumerate() {
            let matches = match self.globs.get(i) {
                Some(globs) if globs.len() == e.images.len() => e.matches(subject, globs),
                _ => e.matches(subject, &compile(&e.images)),
            };
            if !matches {
                continue;
            }
            match e.expires {
                Some(d) if d < today => {
                    expired.get_or_insert(ExceptionOutcome::Expired(file, e));
                }
                _ => return Some(ExceptionOutcome::Applies(file, e)),
            }
        }
        expired
    }
}

/// What exceptions and VEX statements are matched against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject<'a> {
    pub(crate) ids: Vec<&'a str>,
    pub(crate) rule: &'a str,
    pub(crate) package: Option<&'a str>,
    pub(crate) purl: Option<&'a str>,
    pub(crate) repository: Option<&'a str>,
    pub(crate) source: &'a str,
    pub(crate) digest: Option<&'a str>,
}

impl Exception {
    fn matches(&self, s: &Subject<'_>, images: &[globset::GlobMatcher]) -> bool {
        if let Some(id) = &self.id
            && !s.ids.iter().any(|i| i.eq_ignore_ascii_case(id))
        {
            return false;
        }
        if let Some(rule) = &self.rule
            && !rule.eq_ignore_ascii_case(s.rule)
        {
            return false;
        }
        if let Some(p) = &self.package
            && s.package != Some(p.as_str())
        {
            return false;
        }
        self.images.is_empty()
            || images
                .iter()
                .any(|m| s.repository.is_some_and(|r| m.is_match(r)) || m.is_match(s.source))
    }
}

/// A VEX statement, from either format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// Vulnerability id and aliases.
    pub vulnerabilities: Vec<String>,
    /// Products: purls, image digests, `pkg:oci/…` purls.
    pub products: Vec<String>,
    /// OpenVEX status (`not_affected`, `affected`, `fixed`,
    /// `under_investigation`); CycloneDX states are mapped to these
    /// (`not_affected`, `false_positive` → `not_affected`; `resolved` →
    /// `fixed`; `exploitable` → `affected`; `in_triage` →
    /// `under_investigation`).
    pub status: String,
    /// Justification and impact statement / detail.
    pub justification: String,
}

/// A VEX document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vex {
    /// Where it was read from.
    pub source: String,
    /// `openvex` or `cyclonedx`.
    pub format: String,
    /// Statements, in document order (a later statement about the same
    /// vulnerability and product wins, as OpenVEX specifies).
    pub statements: Vec<VexStatement>,
}

fn strs(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

impl Vex {
    /// Parse an OpenVEX 0.2.0 or CycloneDX 1.5/1.6 VEX document.
    pub fn parse(source: &str, text: &str) -> Result<Vex, PolicyError> {
        let err = |message: String| PolicyError::Parse {
            file: source.to_owned(),
            message,
        };
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        if doc.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
            return Ok(Vex {
                source: source.to_owned(),
                format: "cyclonedx".into(),
                statements: cyclonedx(&doc),
            });
        }
        let context = doc
            .get("@context")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if !context.starts_with("https://openvex.dev/ns") {
            return Err(err(
                "neither an OpenVEX (@context https://openvex.dev/ns/…) nor a CycloneDX document"
                    .into(),
            ));
        }
        let mut statements = Vec::new();
        for s in doc
            .get("statements")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let v = s.get("vulnerability");
            let mut vulns: Vec<String> = v
                .and_then(|v| v.get("name").or_else(|| v.get("@id")))
                .and_then(|n| n.as_str())
                .map(str::to_owned)
                .into_iter()
                .collect();
            // 0.0.x wrote the id as a string.
            if let Some(name) = v.and_then(|v| v.as_str()) {
                vulns.push(name.to_owned());
            }
            vulns.extend(strs(v.and_then(|v| v.get("aliases"))));
            let mut products = Vec::new();
            for p in s
                .get("products")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(id) = p.as_str().or_else(|| p.get("@id").and_then(|v| v.as_str())) {
                    products.push(id.to_owned());
                }
                if let Some(ids) = p.get("identifiers").and_then(|v| v.as_object()) {
                    products.extend(ids.values().filter_map(|v| v.as_str().map(str::to_owned)));
                }
                if let Some(h) = p.get("hashes").and_then(|v| v.as_object()) {
                    for (alg, v) in h {
                        if let Some(v) = v.as_str() {
                            products.push(format!("{}:{v}", alg.replace('-', "")));
                        }
                    }
                }
                for sub in p
                    .get("subcomponents")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = sub.get("@id").and_then(|v| v.as_str()) {
                        products.push(id.to_owned());
                    }
                    if let Some(ids) = sub.get("identifiers").and_then(|v| v.as_object()) {
                        products.extend(ids.values().filter_map(|v| v.as_str().map(str::to_owned)));
                    }
                }
            }
            let text = |k: &str| {
                s.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let justification = [
                text("justification"),
                text("impact_statement"),
                text("status_notes"),
            ]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
            statements.push(VexStatement {
                vulnerabilities: vulns,
                products,
                status: text("status"),
                justification,
            });
        }
        Ok(Vex {
            source: source.to_owned(),
            format: "openvex".into(),
            statements,
        })
    }

    /// Read and parse a VEX file.
    pub fn load(path: &Path) -> Result<Vex, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            file: path.display().to_string(),
            source: e,
        })?;
        Vex::parse(&path.display().to_string(), &text)
    }

    /// The last statement about one of `subject`'s vulnerability ids and
    /// its package or image.
    pub(crate) fn lookup(&self, subject: &Subject<'_>) -> Option<&VexStatement> {
        self.statements.iter().rev().find(|st| {
            st.vulnerabilities
                .iter()
                .any(|v| subject.ids.iter().any(|i| i.eq_ignore_ascii_case(v)))
                && st.products.iter().any(|p| product_matches(p, subject))
        })
    }
}

fn cyclonedx(doc: &serde_json::Value) -> Vec<VexStatement> {
    // bom-ref → purl of the document's components.
    let mut refs = std::collections::HashMap::new();
    let mut stack: Vec<&serde_json::Value> = Vec::new();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    stack.extend(
        doc.get("components")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten(),
    );
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(|v| v.as_str()),
            c.get("purl").and_then(|v| v.as_str()),
        ) {
            refs.insert(r.to_owned(), p.to_owned());
        }
        stack.extend(
            c.get("components")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten(),
        );
    }
    let mut out = Vec::new();
    for v in doc
        .get("vulnerabilities")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let Some(analysis) = v.get("analysis") else {
            continue;
        };
        let mut ids: Vec<String> = v
            .get("id")
            .and_then(|i| i.as_str())
            .map(str::to_owned)
            .into_iter()
            .collect();
        for r in v
            .get("references")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(id) = r.get("id").and_then(|i| i.as_str()) {
                ids.push(id.to_owned());
            }
        }
        let products = v
            .get("affects")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("ref").and_then(|r| r.as_str()))
            .map(|r| refs.get(r).cloned().unwrap_or_else(|| r.to_owned()))
            .collect();
        let state = analysis
            .get("state")
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        let status = match state {
            "not_affected" | "false_positive" => "not_affected",
            "resolved" | "resolved_with_pedigree" => "fixed",
            "exploitable" => "affected",
            _ => "under_investigation",
        };
        let t = |k: &str| {
            analysis
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let justification = [t("justification"), t("detail")]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        out.push(VexStatement {
            vulnerabilities: ids,
            products,
            status: status.into(),
            justification: if justification.is_empty() {
                state.to_owned()
            } else {
                justification
            },
        });
    }
    out
}

/// `pkg:type/namespace/name@version?qualifiers#subpath` → (`type/namespace/name`, version).
fn purl_parts(p: &str) -> Option<(String, Option<String>)> {
    let rest = p.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (path, version) = match rest.rsplit_once('@') {
        Some((a, v)) => (a, Some(v.replace("%3A", ":").replace("%3a", ":"))),
        None => (rest, None),
    };
    Some((path.to_ascii_lowercase(), version))
}

fn product_matches(product: &str, s: &Subject<'_>) -> bool {
    // The image, by digest anywhere in the product id (`pkg:oci/app@sha256%3A…`,
    // `sha256:…`, a reference `repo@sha256:…`).
    if let Some(d) = s.digest {
        let hex = d.split_once(':').map_or(d, |(_, h)| h);
        if product.to_ascii_lowercase().contains(hex) {
            return true;
        }
    }
    // The package, by purl (version must agree when the product has one).
    if let (Some(pp), Some(sp)) = (purl_parts(product), s.purl.and_then(purl_parts)) {
        return pp.0 == sp.0 && pp.1.as_ref().is_none_or(|v| Some(v) == sp.1.as_ref());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_compare_without_qualifiers() {
        let s = Subject {
            purl: Some("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"),
            ..Subject::default()
        };
        assert!(product_matches("pkg:deb/debian/libssl3", &s));
        assert!(product_matches(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2",
            &s
        ));
        assert!(!product_matches("pkg:deb/debian/libssl3@3.0.9", &s));
        assert!(!product_matches("pkg:deb/debian/openssl", &s));
    }
}
