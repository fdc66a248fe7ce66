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

/// Validate `doc` against `schema_file` in `schema_dir` (the official
/// schemas vendored with the tests), offline: every `*.json` in the
/// directory is registered under its file name and under
/// `http://cyclonedx.org/schema/<name>`, so relative `$ref`s resolve
/// without a fetch. Fails the test when python3, jsonschema or
/// referencing is missing — validation is never skipped.
pub fn validate_with_schema_dir(doc: &[u8], schema_dir: &Path, schema_file: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.json");
    std::fs::write(&path, doc).expect("write document");
    let out = std::process::Command::new("python3")
        .current_dir(schema_dir)
        .args([
            "-c",
            "import json,sys,pathlib,jsonschema\n\
             from referencing import Registry, Resource\n\
             store=[(p.name, Resource.from_contents(json.loads(p.read_text(encoding='utf-8')))) for p in pathlib.Path('.').glob('*.json')]\n\
             reg=Registry().with_resources(store + [('http://cyclonedx.org/schema/'+n, r) for n, r in store])\n\
             schema=json.load(open(sys.argv[2], encoding='utf-8'))\n\
             cls=jsonschema.validators.validator_for(schema)\n\
             errors=sorted(cls(schema, registry=reg).iter_errors(json.load(open(sys.argv[1], encoding='utf-8'))), key=lambda e: list(e.path))\n\
             [print(list(e.absolute_path), e.message[:300], file=sys.stderr) for e in errors[:20]]\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(&path)
        .arg(schema_file)
        .output()
        .expect("schema validation needs python3 with jsonschema and referencing (pip install jsonschema)");
    assert!(
        out.status.success(),
        "{schema_file}: validation failed or could not run: {}",
        text(&out.stderr)
    );
}

/// A real Distribution registry on loopback with `image` pushed as
/// `repository:1`; returns the registry (stopped when dropped) and the
/// reference to scan.
pub async fn registry_with(
    image: &wharf_testkit::BuiltImage,
    repository: &str,
) -> (wharf_testkit::TestRegistry, String) {
    let registry = wharf_testkit::TestRegistry::start(wharf_testkit::RegistryOptions::default())
        .await
        .expect("start a Distribution registry (apt-get install docker-registry)");
    registry
        .pusher(wharf_testkit::PushAuth::None)
        .expect("pusher")
        .push_image(repository, "1", image)
        .await
        .expect("push the test image");
    let reference = format!("{}/{repository}:1", registry.host());
    (registry, reference)
}

/// The EICAR anti-malware test file, assembled at run time so that no
/// source file of the repository is itself flagged by antivirus software.
pub fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS",
        "-TEST-FILE!$H+H*",
    ]
    .concat()
    .into_bytes()
}
