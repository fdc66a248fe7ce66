//! Helpers shared by the CLI tests: run the real `wharf` binary and
//! validate documents against the published JSON schemas.

#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::path::Path;
use std::process::Output;

/// Run `wharf` with `args` (and optional stdin) off the async runtime.
pub async fn wharf(args: Vec<String>, env: Vec<(String, String)>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(&args)
            .env_remove("WHARF_USERNAME")
            .env_remove("WHARF_PASSWORD")
            .env("HOME", "/nonexistent-wharf-home")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn wharf");
        // Dropping the handle closes stdin, so the child never waits on it.
        if let Some(mut input) = child.stdin.take()
            && let Some(s) = stdin
        {
            input.write_all(s.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("wait wharf")
    })
    .await
    .expect("join")
}

pub fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn validate_against_schema(json: &str, schema_file: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("report.json");
    std::fs::write(&doc, json).expect("write report");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schemas")
        .join(schema_file);
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1])))",
        ])
        .arg(&doc)
        .arg(&schema)
        .output()
        .expect("python3 with the jsonschema module (pip install jsonschema)");
    assert!(
        out.status.success(),
        "schema validation failed: {}",
        text(&out.stderr)
    );
}
