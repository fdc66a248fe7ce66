//! Custom rules written in Rego, evaluated with `regorus` against the
//! versioned input document (`docs/policy-input.md`).
//!
//! Convention: a module in a package under `wharf.custom` (`package
//! wharf.custom.labels`) with a `deny` set rule; each element is an object
//! `{"id", "title", "severity", "action", "remediation", "message"}` (only
//! `id` or `message` is needed) or a string (the message).

use std::path::Path;

use serde::{Deserialize, Serialize};
use wharf_types::Severity;

use crate::error::PolicyError;
use crate::finding::Action;

/// Wall-clock limit of one evaluation of the custom rules.
pub const EVAL_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Custom rules: the compiled modules.
#[derive(Debug, Clone, Default)]
pub struct CustomRules {
    engine: Option<regorus::Engine>,
    files: Vec<String>,
}

/// One element of a `deny` set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    /// Rule id (default `CUSTOM-<package>`).
    pub id: String,
    /// Title (default: the message).
    pub title: String,
    /// Severity (default medium).
    pub severity: Severity,
    /// Action (default issue).
    pub action: Action,
    /// Remediation (default empty).
    pub remediation: String,
    /// Message.
    pub message: String,
    /// The Rego package (`wharf.custom.labels`).
    pub package: String,
}

/// The line a regorus error message points at (`--> file:LINE:COL`).
fn error_line(message: &str, file: &str) -> u32 {
    let needle = format!("{file}:");
    message
        .find(&needle)
        .map(|i| &message[i + needle.len()..])
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0)
}

impl CustomRules {
    /// Whether no custom rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The loaded files.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Add one Rego module from text (`file` names it in errors).
    pub fn add_source(&mut self, file: &str, text: &str) -> Result<(), PolicyError> {
        let engine = self.engine.get_or_insert_with(|| {
            let mut e = regorus::Engine::new();
            e.set_strict_builtin_errors(false);
            // A runaway rule ends with an error instead of hanging a scan.
            e.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit: EVAL_TIME_LIMIT,
                check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
            });
            e
        });
        let package = engine
            .add_policy(file.to_owned(), text.to_owned())
            .map_err(|e| {
                let message = e.to_string();
                PolicyError::Rego {
                    file: file.to_owned(),
                    line: error_line(&message, file),
                    message: message.trim().to_owned(),
                }
            })?;
        if !package.starts_with("data.wharf.custom.") {
            return Err(PolicyError::Rego {
                file: file.to_owned(),
                line: 1,
                message: format!(
                    "package `{}` is not under `wharf.custom` (write `package wharf.custom.<name>`)",
                    package.trim_start_matches("data.")
                ),
            });
        }
        self.files.push(file.to_owned());
        Ok(())
    }

    /// Add one Rego file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            file: path.display().to_string(),
            source: e,
        })?;
        self.add_source(&path.display().to_string(), &text)
    }

    /// Evaluate every `deny` rule against `input` (the JSON input document).
    pub fn evaluate(&self, input: &serde_json::Value) -> Result<Vec<Denial>, PolicyError> {
        let Some(engine) = &self.engine else {
            return Ok(Vec::new());
        };
        let mut engine = engine.clone();
        let err = |message: String| PolicyError::Rego {
            file: self.files.join(", "),
            line: 0,
            message,
        };
        engine
            .set_input_json(&input.to_string())
            .map_err(|e| err(e.to_string()))?;
        let mut packages = engine.get_packages().map_err(|e| err(e.to_string()))?;
        packages.sort();
        packages.dedup();
        let mut out = Vec::new();
        for package in packages {
            let results = engine
                .eval_query(format!("{package}.deny"), false)
                .map_err(|e| err(format!("{package}.deny: {e}")))?;
            let name = package.trim_start_matches("data.");
            for r in &results.result {
                for v in &r.expressions {
                    let json = v.value.to_json_str().map_err(|e| err(e.to_string()))?;
                    let items: serde_json::Value =
                        serde_json::from_str(&json).map_err(|e| err(e.to_string()))?;
                    for item in items.as_array().into_iter().flatten() {
                        out.push(denial(item, name));
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.package, &a.id, &a.message).cmp(&(&b.package, &b.id, &b.message)));
        out.dedup();
        Ok(out)
    }
}

fn denial(item: &serde_json::Value, package: &str) -> Denial {
    let default_id = format!(
        "CUSTOM-{}",
        package
            .trim_start_matches("wharf.custom.")
            .replace('.', "-")
    );
    let s = |k: &str| item.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let message = item
        .as_str()
        .map(str::to_owned)
        .or_else(|| s("message"))
        .or_else(|| s("title"))
        .unwrap_or_else(|| item.to_string());
    Denial {
        id: s("id").unwrap_or(default_id),
        title: s("title").unwrap_or_else(|| message.clone()),
        severity: s("severity")
            .and_then(|v| Severity::parse(&v))
            .unwrap_or(Severity::Medium),
        action: match s("action").as_deref() {
            Some("block") => Action::Block,
            _ => Action::Issue,
        },
        remediation: s("remediation").unwrap_or_default(),
        message,
        package: package.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_objects() {
        let mut c = CustomRules::default();
        c.add_source(
            "t.rego",
            r#"package wharf.custom.t
deny contains "plain message" if { input.x == 1 }
deny contains {"id": "T-1", "severity": "high", "action": "block", "message": "obj"} if { input.x == 1 }
"#,
        )
        .expect("compile");
        let d = c.evaluate(&serde_json::json!({"x": 1})).expect("eval");
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].id.as_str(), d[0].message.as_str()),
            ("CUSTOM-t", "plain message")
        );
        assert_eq!(
            (d[1].id.as_str(), d[1].severity, d[1].action),
            ("T-1", Severity::High, Action::Block)
        );
        assert!(
            c.evaluate(&serde_json::json!({"x": 2}))
                .expect("eval")
                .is_empty()
        );
    }

    #[test]
    fn wrong_package_is_refused() {
        let mut c = CustomRules::default();
        let err = c
            .add_source("p.rego", "package other\ndeny contains 1 if { true }\n")
            .expect_err("package");
        assert!(err.to_string().contains("wharf.custom"), "{err}");
    }
}
