//! The OpenAPI document (`GET /api/v1/openapi.json`) against what it
//! describes:
//!
//! - the router source (`src/api.rs`): every route with its methods is
//!   documented and every documented operation is routed, so the two cannot
//!   drift;
//! - itself: every `$ref` resolves, every component schema is used, path
//!   parameters match the path templates;
//! - the official OpenAPI 3.1 JSON Schema (`tests/fixtures`), with Python's
//!   `jsonschema`;
//! - a live server: every documented operation is called, and each answer's
//!   status and media type must be documented and its JSON body must match
//!   the documented schema (with undocumented fields refused), as must the
//!   request bodies sent.
//!
//! The schema checks need `python3` with `jsonschema` (Debian:
//! `python3-jsonschema`); without them the tests fail and say so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

// ------------------------------------------------------- router source

/// The byte index just past the bracket closing the one opened at
/// `open` (skipping string literals).
fn matching(src: &[u8], open: usize) -> Option<usize> {
    let (o, c) = match src.get(open)? {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        _ => return None,
    };
    let mut depth = 0usize;
    let mut i = open;
    while i < src.len() {
        match src[i] {
            b'"' => i = string_end(src, i)?,
            x if x == o => depth += 1,
            x if x == c => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the quote closing the string literal opening at `start`.
fn string_end(src: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Split at `sep` where no bracket is open (outside string literals).
fn split_top(text: &str, sep: u8) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start, mut i) = (0i32, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => i = string_end(b, i).unwrap_or(b.len()),
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            x if x == sep && depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&text[start..]);
    out
}

/// Methods called at the top level of a handler expression:
/// `get(a).patch(b)`, `axum::routing::delete(c)`, `get(|| async { "ok" })`.
fn methods_of(handler: &str) -> BTreeSet<String> {
    let b = handler.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            i = string_end(b, i).unwrap_or(b.len()) + 1;
            continue;
        }
        if b[i] == b'(' {
            let word_start = handler[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |p| p + 1);
            let word = &handler[word_start..i];
            if METHODS.contains(&word) {
                out.insert(word.to_owned());
            }
            i = matching(b, i).unwrap_or(b.len());
            continue;
        }
        i += 1;
    }
    out
}

/// The first string literal's content in `text`.
fn literal(text: &str) -> Option<String> {
    let start = text.find('"')?;
    let end = string_end(text.as_bytes(), start)?;
    Some(text[start + 1..end].to_owned())
}

/// Every `(path, method)` the router in `src/api.rs` serves: the
/// `.route(…)` calls of each `let NAME = Router::new()…;` statement and of
/// the returned router, with `.nest(PREFIX, NAME)` and `.merge(NAME)`
/// applied.
fn router_routes() -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api.rs");
    let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let start = src
        .find("pub fn router(")
        .ok_or("no `pub fn router(` in src/api.rs")?;
    let open = start + src[start..].find('{').ok_or("router has no body")?;
    let close = matching(src.as_bytes(), open).ok_or("router body not closed")?;
    let body = &src[open + 1..close - 1];

    struct Block {
        routes: BTreeMap<String, BTreeSet<String>>,
        includes: Vec<(String, String)>, // (prefix, router variable)
    }
    let mut blocks: BTreeMap<String, Block> = BTreeMap::new();
    for statement in split_top(body, b';') {
        let statement = statement.trim();
        if !statement.contains("Router::new()") {
            continue;
        }
        let name = match statement.strip_prefix("let ") {
            Some(rest) => rest
                .split(|c: char| c == '=' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned(),
            None => String::new(), // the router returned
        };
        let mut block = Block {
            routes: BTreeMap::new(),
            includes: Vec::new(),
        };
        let b = statement.as_bytes();
        for (call, is_route) in [(".route(", true), (".nest(", false), (".merge(", false)] {
            let mut from = 0;
            while let Some(at) = statement[from..].find(call) {
                let open = from + at + call.len() - 1;
                let end =
                    matching(b, open).ok_or_else(|| format!("unclosed {call} in {name:?}"))?;
                let args = split_top(&statement[open + 1..end - 1], b',');
                if is_route {
                    let path = literal(args[0])
                        .ok_or_else(|| format!("route without a path literal: {}", args[0]))?;
                    let handler = args
                        .get(1)
                        .ok_or_else(|| format!("route {path} has no handler"))?;
                    let methods = methods_of(handler);
                    if methods.is_empty() {
                        return Err(format!("route {path}: no method found in {handler:?}"));
                    }
                    block.routes.entry(path).or_default().extend(methods);
                } else if call == ".nest(" {
                    let prefix = literal(args[0]).ok_or("nest without a prefix literal")?;
                    let var = args
                        .get(1)
                        .map(|a| a.trim().to_owned())
                        .ok_or("nest without a router")?;
                    block.includes.push((prefix, var));
                } else {
                    block
                        .includes
                        .push((String::new(), args[0].trim().to_owned()));
                }
                from = end;
            }
        }
        blocks.insert(name, block);
    }

    fn resolve(
        blocks: &BTreeMap<String, Block>,
        name: &str,
        prefix: &str,
        out: &mut BTreeMap<String, BTreeSet<String>>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 8 {
            return Err("router nesting too deep".into());
        }
        let block = blocks
            .get(name)
            .ok_or_else(|| format!("router variable {name:?} not built with Router::new()"))?;
        for (path, methods) in &block.routes {
            out.entry(format!("{prefix}{path}"))
                .or_default()
                .extend(methods.iter().cloned());
        }
        for (p, var) in &block.includes {
            resolve(blocks, var, &format!("{prefix}{p}"), out, depth + 1)?;
        }
        Ok(())
    }
    let mut routes = BTreeMap::new();
    resolve(&blocks, "", "", &mut routes, 0)?;
    Ok(routes)
}

fn documented_operations(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .map(|(path, item)| {
                    let methods: BTreeSet<String> = item
                        .as_object()
                        .map(|o| {
                            o.keys()
                                .filter(|k| METHODS.contains(&k.as_str()))
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    (path.clone(), methods)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_router_parser_reads_the_shapes_api_rs_uses() -> TestResult {
    let src = r#"{
        let inner = Router::new()
            .route("/a/{id}", get(show).patch(update).delete(remove))
            .route("/b", axum::routing::delete(gone))
            .layer(x(app.clone(), y));
        let other = Router::new().route("/m", get(|| async { "ok)" }));
        Router::new()
            .nest("/api", inner)
            .route("/h", get(|| async { "ok" }))
            .merge(other)
            .fallback(|| async { 1 })
    }"#;
    let parts = split_top(&src[1..src.len() - 1], b';');
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert_eq!(
        methods_of("get(show).patch(update).delete(remove)"),
        ["delete", "get", "patch"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    );
    assert_eq!(
        methods_of("axum::routing::delete(delete_exception)").len(),
        1
    );
    assert_eq!(methods_of("get(|| async { post(\")\") })").len(), 1);
    // The real router: the API, the operational endpoints and the dashboard.
    let routes = router_routes()?;
    assert!(
        routes.len() >= 30,
        "only {} routes parsed: {routes:?}",
        routes.len()
    );
    assert!(routes.contains_key("/api/v1/connectors/{id}"), "{routes:?}");
    assert!(routes.contains_key("/metrics"), "{routes:?}");
    Ok(())
}

// ---------------------------------------------------------------- (a)

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() -> TestResult {
    let routes = router_routes()?;
    let doc = wharf_server::openapi::document();
    let documented = documented_operations(&doc);
    let mut problems = Vec::new();
    for (path, methods) in &routes {
        match documented.get(path) {
            None => problems.push(format!("route {path} {methods:?} is not documented")),
            Some(d) if d != methods => {
                problems.push(format!("{path}: routed {methods:?}, documented {d:?}"))
            }
            Some(_) => {}
        }
    }
    for (path, methods) in &documented {
        if !routes.contains_key(path) {
            problems.push(format!("documented {path} {methods:?} is not routed"));
        }
    }
    assert!(
        problems.is_empty(),
        "router and document differ:\n{}",
        problems.join("\n")
    );
    Ok(())
}

#[test]
fn path_parameters_match_templates_and_operation_ids_are_unique() {
    let doc = wharf_server::openapi::document();
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let in_template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            match op["operationId"].as_str() {
                Some(id) if ids.insert(id.to_owned()) => {}
                other => problems.push(format!(
                    "{method} {path}: operationId {other:?} missing or repeated"
                )),
            }
            let declared: BTreeSet<String> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            if declared != in_template {
                problems.push(format!(
                    "{method} {path}: path parameters {declared:?}, template {in_template:?}"
                ));
            }
            if op["responses"].as_object().is_none_or(|r| r.is_empty()) {
                problems.push(format!("{method} {path}: no responses"));
            }
            if method != "get" && path.starts_with("/api/v1/") {
                let responses = &op["responses"];
                if responses.get("403").is_none() {
                    problems.push(format!(
                        "{method} {path}: a change needs an admin token, 403 undocumented"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------- (b)

fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(s) = x.as_str()
                {
                    out.push((at.to_owned(), s.to_owned()));
                }
                collect_refs(x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_refs(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_ref_resolves_and_every_component_is_used() {
    let doc = wharf_server::openapi::document();
    let mut refs = Vec::new();
    collect_refs(&doc, "", &mut refs);
    assert!(refs.len() > 50, "suspiciously few $refs: {}", refs.len());
    let broken: Vec<String> = refs
        .iter()
        .filter(|(_, r)| !(r.starts_with("#/") && doc.pointer(&r[1..]).is_some()))
        .map(|(at, r)| format!("{at}: {r}"))
        .collect();
    assert!(
        broken.is_empty(),
        "unresolved $refs:\n{}",
        broken.join("\n")
    );
    let used: BTreeSet<&str> = refs.iter().map(|(_, r)| r.as_str()).collect();
    let mut unused = Vec::new();
    for section in ["schemas", "responses"] {
        for name in doc["components"][section]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            let target = format!("#/components/{section}/{name}");
            if !used.contains(target.as_str()) {
                unused.push(target);
            }
        }
    }
    assert!(
        unused.is_empty(),
        "components nothing refers to: {unused:?}"
    );
}

static NULL: Value = Value::Null;

/// A property of an object schema, also when it comes from an `allOf`.
fn property<'a>(schema: &'a Value, name: &str) -> &'a Value {
    std::iter::once(schema)
        .chain(schema["allOf"].as_array().into_iter().flatten())
        .map(|s| &s["properties"][name])
        .find(|p| !p.is_null())
        .unwrap_or(&NULL)
}

#[test]
fn secrets_are_write_only_and_errors_are_problem_json() {
    let doc = wharf_server::openapi::document();
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("ConnectorCreate", "password"),
        ("ConnectorCreate", "token"),
        ("ConnectorTestRequest", "password"),
        ("ConnectorTestRequest", "token"),
        ("ConnectorPatch", "password"),
        ("ConnectorPatch", "token"),
        ("ConnectorPatch", "clear_secret"),
        ("WebhookCreate", "secret"),
    ] {
        assert_eq!(
            property(&schemas[schema], field)["writeOnly"],
            json!(true),
            "{schema}.{field} must be writeOnly"
        );
    }
    for schema in ["Connector", "Webhook", "ApiToken"] {
        let props = &schemas[schema]["properties"];
        for secret in ["password", "token_hash", "secret"] {
            if schema == "Connector" && secret == "secret" {
                // The secret's kind (`password` or `token`), never its value.
                assert_eq!(
                    props["secret"]["oneOf"][0]["$ref"],
                    "#/components/schemas/SecretKind"
                );
                continue;
            }
            assert!(
                props.get(secret).is_none(),
                "{schema} must not show {secret}"
            );
        }
    }
    let responses = &doc["components"]["responses"];
    for name in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
    ] {
        assert_eq!(
            responses[name]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{name}"
        );
    }
    assert_eq!(doc["security"], json!([{ "bearerAuth": [] }]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
}

// ---------------------------------------------------------------- (c)

/// Run a Python script with `args`; its exit status and output.
fn python(script: &str, args: &[&Path]) -> (Option<i32>, String) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!(
            "python3 is needed to validate against JSON Schema and could not be run ({e}): \
             install python3 and python3-jsonschema"
        ),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) {
        panic!(
            "python3 has no usable jsonschema module (install python3-jsonschema or \
             `pip install jsonschema`): {text}"
        );
    }
    (out.status.code(), text)
}

const VALIDATE_DOCUMENT: &str = r##"
import json, sys
try:
    import jsonschema
    jsonschema.Draft202012Validator
except (ImportError, AttributeError) as e:
    print(e); sys.exit(3)
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
bad = []
for e in jsonschema.Draft202012Validator(schema).iter_errors(doc):
    bad.append("document /" + "/".join(map(str, e.absolute_path)) + ": " + e.message[:400])
for name, s in doc.get("components", {}).get("schemas", {}).items():
    try:
        jsonschema.Draft202012Validator.check_schema(s)
    except jsonschema.SchemaError as e:
        bad.append("schema " + name + ": " + e.message[:400])
print("\n".join(bad))
sys.exit(1 if bad else 0)
"##;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn the_document_is_valid_openapi_3_1() -> TestResult {
    let dir = tempfile::tempdir()?;
    let doc_path = dir.path().join("openapi.json");
    std::fs::write(
        &doc_path,
        serde_json::to_vec_pretty(&wharf_server::openapi::document())?,
    )?;
    let schema = fixture("openapi-3.1-schema.json");
    let (code, out) = python(VALIDATE_DOCUMENT, &[schema.as_path(), doc_path.as_path()]);
    assert_eq!(
        code,
        Some(0),
        "the document does not validate against the OpenAPI 3.1 schema:\n{out}"
    );

    // The validator itself rejects a broken document (the check is live).
    let mut broken = wharf_server::openapi::document();
    broken["paths"]["/healthz"]["get"]["responses"]["200"] = json!({ "content": {} });
    broken["info"] = json!({ "title": 1 });
    std::fs::write(&doc_path, serde_json::to_vec(&broken)?)?;
    let (code, out) = python(VALIDATE_DOCUMENT, &[schema.as_path(), doc_path.as_path()]);
    assert_eq!(code, Some(1), "a broken document passed:\n{out}");
    assert!(out.contains("info"), "{out}");
    Ok(())
}

// ---------------------------------------------------------------- (d)

/// Checks each recorded exchange against the document: the status and the
/// media type must be documented for the operation, a JSON body must match
/// the documented schema with undocumented fields refused, a request body
/// the server accepted must match the documented request schema, and one
/// it refused with 400 or 422 must not (the constraint is documented).
const VALIDATE_EXCHANGES: &str = r##"
import json, sys
try:
    import jsonschema
except ImportError as e:
    print(e); sys.exit(3)
doc = json.load(open(sys.argv[1]))
cases = json.load(open(sys.argv[2]))
PREFIX = "#/components/schemas/"

def rewrite(node, strict):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(PREFIX):
                out[k] = "#/$defs/" + v[len(PREFIX):]
            elif k in ("properties", "patternProperties", "$defs") and isinstance(v, dict):
                out[k] = {n: rewrite(s, strict) for n, s in v.items()}
            elif k in ("enum", "const", "default", "examples", "required"):
                out[k] = v
            else:
                out[k] = rewrite(v, strict)
        if strict and "properties" in out and "additionalProperties" not in out \
                and "unevaluatedProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [rewrite(x, strict) for x in node]
    return node

def standalone(schema, strict):
    defs = {n: rewrite(s, strict) for n, s in doc["components"]["schemas"].items()}
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}
    out.update(rewrite(schema, strict))
    return out

def deref(v):
    while isinstance(v, dict) and "$ref" in v:
        node = doc
        for part in v["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        v = node
    return v

def base(media):
    return media.split(";")[0].strip().lower()

bad = []
for c in cases:
    name = "%s %s -> %s (%s)" % (c["method"].upper(), c["url"], c["status"], c["name"])
    op = doc["paths"].get(c["template"], {}).get(c["method"])
    if op is None:
        bad.append(name + ": operation not documented"); continue
    if c.get("request") is not None:
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            bad.append(name + ": request body not documented")
        else:
            errors = list(jsonschema.Draft202012Validator(standalone(body["schema"], False)).iter_errors(c["request"]))
            if c["status"] < 300:
                for e in errors:
                    bad.append(name + ": request /" + "/".join(map(str, e.absolute_path)) + ": " + e.message[:300])
            elif c["status"] in (400, 422) and not errors:
                bad.append(name + ": the server refused this body but the documented request schema accepts it")
    resp = op["responses"].get(str(c["status"]))
    if resp is None:
        bad.append(name + ": status not documented (documented: %s)" % sorted(op["responses"])); continue
    resp = deref(resp)
    content = resp.get("content", {})
    if c["content_type"] is None:
        if content:
            bad.append(name + ": no body, documented %s" % sorted(content))
        continue
    media = {base(k): v for k, v in content.items()}.get(base(c["content_type"]))
    if media is None:
        bad.append(name + ": media type %s not documented (documented: %s)" % (c["content_type"], sorted(content)))
        continue
    if c["body"] is None:
        continue
    schema = standalone(media["schema"], True)
    for e in jsonschema.Draft202012Validator(schema).iter_errors(c["body"]):
        bad.append(name + ": /" + "/".join(map(str, e.absolute_path)) + ": " + e.message[:300])
print("\n".join(bad))
sys.exit(1 if bad else 0)
"##;

const ADMIN: &str = "wharf_test_admin";

/// One request and its answer, for the schema check.
struct Exchange {
    name: String,
    method: String,
    template: String,
    url: String,
    status: u16,
    content_type: Option<String>,
    body: Option<Value>,
    text: String,
    request: Option<Value>,
}

type Server = tokio::task::JoinHandle<Result<(), wharf_server::ServerError>>;

struct Live {
    base: String,
    http: reqwest::Client,
    exchanges: Vec<Exchange>,
    stop: Option<(tokio::sync::oneshot::Sender<()>, Server)>,
}

impl Live {
    /// Start a server on a fresh SQLite database in `dir`, with the admin
    /// token [`ADMIN`].
    async fn start(dir: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let config = wharf_server::Config {
            data_dir: dir.join("data"),
            listen: "127.0.0.1:0".parse()?,
            admin_token: Some(ADMIN.into()),
            malware: false,
            secrets: false,
            ..wharf_server::Config::default()
        };
        let app = wharf_server::App::open(config).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(wharf_server::serve(app, listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            exchanges: Vec::new(),
            stop: Some((stop, server)),
        })
    }

    /// Stop the server and check that it stopped cleanly.
    async fn stop(&mut self) {
        // Idle keep-alive connections would hold up the graceful shutdown.
        self.http = reqwest::Client::new();
        if let Some((stop, server)) = self.stop.take() {
            let _ = stop.send(());
            let served = tokio::time::timeout(Duration::from_secs(20), server).await;
            assert!(
                matches!(served, Ok(Ok(Ok(())))),
                "server did not stop cleanly: {served:?}"
            );
        }
    }

    /// Check every exchange against the document (`VALIDATE_EXCHANGES`);
    /// the cases and the files written to `dir`.
    fn check_against_document(
        &self,
        dir: &Path,
    ) -> Result<(Vec<Value>, PathBuf, PathBuf), Box<dyn std::error::Error>> {
        let cases: Vec<Value> = self
            .exchanges
            .iter()
            .map(|e| {
                json!({
                    "name": e.name, "method": e.method, "template": e.template, "url": e.url,
                    "status": e.status, "content_type": e.content_type, "body": e.body,
                    "request": e.request,
                })
            })
            .collect();
        let doc_path = dir.join("openapi.json");
        let cases_path = dir.join("cases.json");
        std::fs::write(
            &doc_path,
            serde_json::to_vec(&wharf_server::openapi::document())?,
        )?;
        std::fs::write(&cases_path, serde_json::to_vec(&cases)?)?;
        let (code, out) = python(
            VALIDATE_EXCHANGES,
            &[doc_path.as_path(), cases_path.as_path()],
        );
        assert_eq!(
            code,
            Some(0),
            "answers that differ from the document:\n{out}"
        );
        Ok((cases, doc_path, cases_path))
    }

    /// `method` `template` (with `{…}` replaced by `args` in order), with
    /// `token` and a JSON `body`; the answer is recorded and returned.
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &mut self,
        name: &str,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<&Exchange, Box<dyn std::error::Error>> {
        let mut url = String::new();
        let mut rest = template;
        let mut args = args.iter();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or("bad template")? + open;
            url.push_str(&rest[..open]);
            url.push_str(args.next().ok_or("too few path arguments")?);
            rest = &rest[close + 1..];
        }
        url.push_str(rest);
        url.push_str(query);
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())?;
        let mut req = self.http.request(m, format!("{}{url}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await?;
        let json_body = content_type
            .as_deref()
            .filter(|c| c.contains("json"))
            .map(|_| serde_json::from_str::<Value>(&text))
            .transpose()
            .map_err(|e| format!("{method} {url}: JSON body does not parse: {e}: {text}"))?;
        self.exchanges.push(Exchange {
            name: name.to_owned(),
            method: method.to_owned(),
            template: template.to_owned(),
            url,
            status,
            content_type: if text.is_empty() && status == 204 {
                None
            } else {
                content_type
            },
            body: json_body,
            text,
            request: body,
        });
        self.exchanges.last().ok_or_else(|| "no exchange".into())
    }
}

/// `call` and check the status.
macro_rules! expect {
    ($live:expr, $status:expr, $name:expr, $method:expr, $tpl:expr, [$($arg:expr),*], $query:expr, $token:expr, $body:expr) => {{
        let e = $live
            .call($name, $method, $tpl, &[$(AsRef::<str>::as_ref($arg)),*], $query, $token, $body)
            .await?;
        assert_eq!(e.status, $status, "{} {} ({}): {}", $method, e.url, $name, e.text);
        e.body.clone().unwrap_or(Value::Null)
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_responses_match_the_documented_schemas() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut live = Live::start(tmp.path()).await?;
    let l = &mut live;
    let admin = Some(ADMIN);

    // Operations and the dashboard, without a token.
    expect!(l, 200, "liveness", "get", "/healthz", [], "", None, None);
    expect!(l, 200, "readiness", "get", "/readyz", [], "", None, None);
    let served = expect!(
        l,
        200,
        "document",
        "get",
        "/api/v1/openapi.json",
        [],
        "",
        None,
        None
    );
    assert_eq!(
        served,
        wharf_server::openapi::document(),
        "the served document is document()"
    );
    expect!(l, 200, "dashboard", "get", "/", [], "", None, None);
    expect!(
        l,
        200,
        "dashboard script",
        "get",
        "/ui/app.js",
        [],
        "",
        None,
        None
    );
    expect!(
        l,
        401,
        "metrics without a token",
        "get",
        "/metrics",
        [],
        "",
        None,
        None
    );
    expect!(l, 200, "metrics", "get", "/metrics", [], "", admin, None);

    // Authentication.
    let p = expect!(
        l,
        401,
        "no token",
        "get",
        "/api/v1/status",
        [],
        "",
        None,
        None
    );
    assert_eq!(p["status"], 401);
    expect!(
        l,
        401,
        "unknown token",
        "get",
        "/api/v1/status",
        [],
        "",
        Some("wharf_nope"),
        None
    );
    let status = expect!(
        l,
        200,
        "status",
        "get",
        "/api/v1/status",
        [],
        "",
        admin,
        None
    );
    assert_eq!(status["caller"]["role"], "admin");

    // Connectors. Port 9 (discard) is closed: discovery and tests fail fast.
    let password = "hunter2-not-returned";
    let create = json!({
        "name": "local",
        "url": "http://127.0.0.1:9",
        "username": "robot",
        "password": password,
        "scope": { "kind": "modified_days", "days": 7 },
        "repositories": { "include": ["team/*"] },
        "discovery_interval_secs": 3600
    });
    let c = expect!(
        l,
        201,
        "create",
        "post",
        "/api/v1/connectors",
        [],
        "",
        admin,
        Some(create.clone())
    );
    assert_eq!(c["secret"], "password");
    let id = c["id"].as_i64().ok_or("connector id")?.to_string();
    expect!(
        l,
        409,
        "name taken",
        "post",
        "/api/v1/connectors",
        [],
        "",
        admin,
        Some(create)
    );
    expect!(
        l,
        400,
        "scope too wide",
        "post",
        "/api/v1/connectors",
        [],
        "",
        admin,
        Some(
            json!({ "name": "wide", "url": "https://r.example", "scope": { "kind": "modified_days", "days": 91 } })
        )
    );
    expect!(
        l,
        422,
        "body without a url",
        "post",
        "/api/v1/connectors",
        [],
        "",
        admin,
        Some(json!({ "name": "x" }))
    );
    let list = expect!(
        l,
        200,
        "list",
        "get",
        "/api/v1/connectors",
        [],
        "",
        admin,
        None
    );
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    expect!(
        l,
        200,
        "show by id",
        "get",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "show by name",
        "get",
        "/api/v1/connectors/{id}",
        ["local"],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "unknown connector",
        "get",
        "/api/v1/connectors/{id}",
        ["nope"],
        "",
        admin,
        None
    );
    let c = expect!(
        l,
        200,
        "patch",
        "patch",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        Some(
            json!({ "discovery_interval_secs": 600, "scope": { "kind": "latest_tag" }, "token": "tok-not-returned" })
        )
    );
    assert_eq!(
        (c["secret"].as_str(), c["discovery_interval_secs"].as_i64()),
        (Some("token"), Some(600))
    );
    let c = expect!(
        l,
        200,
        "clear secret",
        "patch",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        Some(json!({ "clear_secret": true, "mode": "direct" }))
    );
    assert_eq!(c["secret"], Value::Null);
    expect!(
        l,
        400,
        "bad patch",
        "patch",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        Some(json!({ "discovery_interval_secs": 5 }))
    );
    let t = expect!(
        l,
        200,
        "test new",
        "post",
        "/api/v1/connectors/test",
        [],
        "",
        admin,
        Some(json!({ "url": "http://127.0.0.1:9", "token": "t" }))
    );
    assert_eq!(t["ok"], false);
    expect!(
        l,
        200,
        "test stored",
        "post",
        "/api/v1/connectors/{id}/test",
        [&id],
        "",
        admin,
        None
    );
    expect!(
        l,
        202,
        "discover",
        "post",
        "/api/v1/connectors/{id}/discover",
        [&id],
        "",
        admin,
        None
    );
    let distribution = json!({ "events": [{ "action": "push", "target": { "repository": "team/app", "tag": "1" } }] });
    let e = expect!(
        l,
        202,
        "distribution push",
        "post",
        "/api/v1/connectors/{id}/events",
        [&id],
        "",
        admin,
        Some(distribution)
    );
    assert_eq!(
        (e["pushes"].as_i64(), e["discovery"].as_bool()),
        (Some(1), Some(true))
    );
    expect!(
        l,
        202,
        "harbor push",
        "post",
        "/api/v1/connectors/{id}/events",
        [&id],
        "",
        admin,
        Some(json!({ "type": "PUSH_ARTIFACT", "event_data": { "repository": { "name": "app" } } }))
    );
    expect!(
        l,
        200,
        "no push",
        "post",
        "/api/v1/connectors/{id}/events",
        [&id],
        "",
        admin,
        Some(json!({ "events": [] }))
    );

    // Catalog (empty: the registry is unreachable).
    expect!(
        l,
        200,
        "repositories",
        "get",
        "/api/v1/repositories",
        [],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "repositories of",
        "get",
        "/api/v1/repositories",
        [],
        "?connector=local",
        admin,
        None
    );
    expect!(
        l,
        404,
        "repositories of unknown",
        "get",
        "/api/v1/repositories",
        [],
        "?connector=nope",
        admin,
        None
    );
    expect!(
        l,
        200,
        "repository tags",
        "get",
        "/api/v1/repositories/{id}/tags",
        ["1"],
        "",
        admin,
        None
    );
    expect!(
        l,
        400,
        "repository id not a number",
        "get",
        "/api/v1/repositories/{id}/tags",
        ["x"],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "tags",
        "get",
        "/api/v1/tags",
        [],
        "?connector=local",
        admin,
        None
    );
    expect!(
        l,
        200,
        "images",
        "get",
        "/api/v1/images",
        [],
        "?state=scanned",
        admin,
        None
    );
    expect!(
        l,
        400,
        "bad state",
        "get",
        "/api/v1/images",
        [],
        "?state=lost",
        admin,
        None
    );
    let digest = format!("sha256:{}", "0".repeat(64));
    expect!(
        l,
        404,
        "unknown image",
        "get",
        "/api/v1/images/{digest}",
        [&digest],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "scan unknown image",
        "post",
        "/api/v1/images/{digest}/scan",
        [&digest],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "sbom without inventory",
        "get",
        "/api/v1/images/{digest}/sbom",
        [&digest],
        "?format=spdx",
        admin,
        None
    );
    expect!(
        l,
        200,
        "scans",
        "get",
        "/api/v1/scans",
        [],
        "?state=queued&limit=5",
        admin,
        None
    );
    let job = expect!(
        l,
        200,
        "first job",
        "get",
        "/api/v1/jobs/{id}",
        ["1"],
        "",
        admin,
        None
    );
    assert_eq!(job["kind"], "discover");
    expect!(
        l,
        404,
        "unknown job",
        "get",
        "/api/v1/jobs/{id}",
        ["999999"],
        "",
        admin,
        None
    );

    // Findings (none yet: nothing was scanned).
    let page = expect!(
        l,
        200,
        "findings",
        "get",
        "/api/v1/findings",
        [],
        "",
        admin,
        None
    );
    assert_eq!(page["next_cursor"], Value::Null);
    expect!(
        l,
        200,
        "filtered findings",
        "get",
        "/api/v1/findings",
        [],
        "?kind=vulnerability&severity=critical,high&status=open&kev=true&sort=first_seen&limit=5&connector=local&repository=team/app&vulnerability=CVE-2024-3094",
        admin,
        None
    );
    expect!(
        l,
        400,
        "bad sort",
        "get",
        "/api/v1/findings",
        [],
        "?sort=price",
        admin,
        None
    );
    expect!(
        l,
        400,
        "bad severity",
        "get",
        "/api/v1/findings",
        [],
        "?severity=dire",
        admin,
        None
    );
    expect!(
        l,
        400,
        "bad cursor",
        "get",
        "/api/v1/findings",
        [],
        "?cursor=%40%40",
        admin,
        None
    );
    expect!(
        l,
        404,
        "unknown finding",
        "get",
        "/api/v1/findings/{id}",
        ["7"],
        "",
        admin,
        None
    );

    // Exceptions.
    let ex = expect!(
        l,
        201,
        "exception",
        "post",
        "/api/v1/exceptions",
        [],
        "",
        admin,
        Some(
            json!({ "id": "CVE-2024-3094", "justification": "not reachable", "expires": "2030-01-31", "images": ["team/*"] })
        )
    );
    assert_eq!(ex["spec"]["approved_by"], "admin (environment)");
    let ex_id = ex["id"].as_i64().ok_or("exception id")?.to_string();
    expect!(
        l,
        400,
        "exception without a target",
        "post",
        "/api/v1/exceptions",
        [],
        "",
        admin,
        Some(json!({ "justification": "why" }))
    );
    expect!(
        l,
        200,
        "exceptions",
        "get",
        "/api/v1/exceptions",
        [],
        "",
        admin,
        None
    );
    expect!(
        l,
        204,
        "delete exception",
        "delete",
        "/api/v1/exceptions/{id}",
        [&ex_id],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "exception gone",
        "delete",
        "/api/v1/exceptions/{id}",
        [&ex_id],
        "",
        admin,
        None
    );

    // Re-evaluation: a run over no inventories finishes at once.
    expect!(
        l,
        202,
        "trigger",
        "post",
        "/api/v1/reevaluations",
        [],
        "",
        admin,
        None
    );
    let mut run = None;
    for _ in 0..120 {
        let runs = expect!(
            l,
            200,
            "runs",
            "get",
            "/api/v1/reevaluations",
            [],
            "",
            admin,
            None
        );
        if let Some(first) = runs["items"].as_array().and_then(|a| a.first())
            && first["state"] != "running"
        {
            run = first["id"].as_i64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let run = run
        .ok_or("no re-evaluation run finished within 30 s")?
        .to_string();
    expect!(
        l,
        200,
        "run",
        "get",
        "/api/v1/reevaluations/{id}",
        [&run],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "unknown run",
        "get",
        "/api/v1/reevaluations/{id}",
        ["424242"],
        "",
        admin,
        None
    );

    // Tokens and roles.
    let created = expect!(
        l,
        201,
        "viewer token",
        "post",
        "/api/v1/tokens",
        [],
        "",
        admin,
        Some(json!({ "name": "ci viewer", "role": "viewer" }))
    );
    let viewer = created["value"].as_str().ok_or("token value")?.to_owned();
    let viewer_id = created["token"]["id"]
        .as_i64()
        .ok_or("token id")?
        .to_string();
    expect!(
        l,
        400,
        "bad role",
        "post",
        "/api/v1/tokens",
        [],
        "",
        admin,
        Some(json!({ "name": "x", "role": "root" }))
    );
    expect!(
        l,
        422,
        "token without a role",
        "post",
        "/api/v1/tokens",
        [],
        "",
        admin,
        Some(json!({ "name": "x" }))
    );
    expect!(
        l,
        200,
        "tokens",
        "get",
        "/api/v1/tokens",
        [],
        "",
        admin,
        None
    );
    let s = expect!(
        l,
        200,
        "viewer status",
        "get",
        "/api/v1/status",
        [],
        "",
        Some(viewer.as_str()),
        None
    );
    assert_eq!(s["caller"]["role"], "viewer");
    expect!(
        l,
        403,
        "viewer cannot trigger",
        "post",
        "/api/v1/reevaluations",
        [],
        "",
        Some(viewer.as_str()),
        None
    );

    // Webhooks.
    let hook_secret = "0123456789abcdef-not-returned";
    let w = expect!(
        l,
        201,
        "webhook",
        "post",
        "/api/v1/webhooks",
        [],
        "",
        admin,
        Some(
            json!({ "url": "http://127.0.0.1:9/hook", "secret": hook_secret, "min_severity": "critical" })
        )
    );
    let hook = w["id"].as_i64().ok_or("webhook id")?.to_string();
    expect!(
        l,
        400,
        "short secret",
        "post",
        "/api/v1/webhooks",
        [],
        "",
        admin,
        Some(json!({ "url": "http://127.0.0.1:9/hook", "secret": "short" }))
    );
    expect!(
        l,
        200,
        "webhooks",
        "get",
        "/api/v1/webhooks",
        [],
        "",
        admin,
        None
    );
    expect!(
        l,
        204,
        "delete webhook",
        "delete",
        "/api/v1/webhooks/{id}",
        [&hook],
        "",
        admin,
        None
    );

    let audit = expect!(l, 200, "audit", "get", "/api/v1/audit", [], "", admin, None);
    assert!(
        audit["items"].as_array().is_some_and(|a| a.len() >= 5),
        "{audit}"
    );

    // Clean-up calls, checked too.
    expect!(
        l,
        204,
        "revoke",
        "delete",
        "/api/v1/tokens/{id}",
        [&viewer_id],
        "",
        admin,
        None
    );
    expect!(
        l,
        401,
        "revoked",
        "get",
        "/api/v1/status",
        [],
        "",
        Some(viewer.as_str()),
        None
    );
    expect!(
        l,
        204,
        "remove connector",
        "delete",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        None
    );
    expect!(
        l,
        404,
        "connector gone",
        "post",
        "/api/v1/connectors/{id}/discover",
        [&id],
        "",
        admin,
        None
    );

    live.stop().await;

    // No secret came back, in any answer.
    for e in &live.exchanges {
        for secret in [password, "tok-not-returned", hook_secret] {
            assert!(
                !e.text.contains(secret),
                "{} {} returned a secret: {}",
                e.method,
                e.url,
                e.text
            );
        }
    }

    // Statuses, media types and bodies against the document.
    let (cases, doc_path, cases_path) = live.check_against_document(tmp.path())?;
    let doc = wharf_server::openapi::document();

    // Every documented operation was exercised.
    let called: BTreeSet<(String, String)> = live
        .exchanges
        .iter()
        .map(|e| (e.template.clone(), e.method.clone()))
        .collect();
    let missed: Vec<String> = documented_operations(&doc)
        .into_iter()
        .flat_map(|(p, ms)| ms.into_iter().map(move |m| (p.clone(), m)))
        .filter(|op| !called.contains(op))
        .map(|(p, m)| format!("{m} {p}"))
        .collect();
    assert!(
        missed.is_empty(),
        "operations the live test does not call: {missed:?}"
    );

    // The check is live: an undocumented field or a wrong type is caught.
    let mut tampered = cases;
    let status_case = tampered
        .iter_mut()
        .find(|c| c["name"] == "status")
        .ok_or("status case")?;
    status_case["body"]["surprise"] = json!(1);
    status_case["body"]["version"] = json!(2);
    std::fs::write(&cases_path, serde_json::to_vec(&tampered)?)?;
    let (code, out) = python(
        VALIDATE_EXCHANGES,
        &[doc_path.as_path(), cases_path.as_path()],
    );
    assert_eq!(code, Some(1), "tampered answers passed: {out}");
    assert!(out.contains("surprise") && out.contains("version"), "{out}");
    Ok(())
}

/// With a real registry: discovery, a scan, inventories and findings, so
/// the catalog, image, SBOM, finding and re-evaluation schemas are checked
/// on real records rather than empty lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_records_of_a_scanned_image_match_the_documented_schemas() -> TestResult {
    use wharf_testkit::{ImageBuilder, LayerBuilder, PushAuth, RegistryOptions, TestRegistry};

    let registry = TestRegistry::start(RegistryOptions::default()).await?;
    let layer = LayerBuilder::new()
        .file(
            "usr/lib/python3/site-packages/requests-2.19.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
            0o644,
        )
        .build()?;
    // No USER (root) and no HEALTHCHECK: the built-in policy finds those.
    let image = ImageBuilder::new()
        .created("2024-01-01T00:00:00Z")
        .layer(layer)
        .build()?;
    let digest = registry
        .pusher(PushAuth::None)?
        .push_image("team/app", "1.0", &image)
        .await?;

    let tmp = tempfile::tempdir()?;
    let mut live = Live::start(tmp.path()).await?;
    let l = &mut live;
    let admin = Some(ADMIN);
    let c = expect!(
        l,
        201,
        "connector",
        "post",
        "/api/v1/connectors",
        [],
        "",
        admin,
        Some(json!({ "name": "reg", "url": registry.url(), "scope": { "kind": "all" } }))
    );
    let id = c["id"].as_i64().ok_or("connector id")?.to_string();

    // Discovery, then the scan, run in the background.
    let mut state = Value::Null;
    for _ in 0..240 {
        let images = expect!(
            l,
            200,
            "images",
            "get",
            "/api/v1/images",
            [],
            "",
            admin,
            None
        );
        state = images["items"][0]["scan_state"].clone();
        if state == "scanned" || state == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "scanned", "the image was not scanned within 60 s");

    let repos = expect!(
        l,
        200,
        "repositories",
        "get",
        "/api/v1/repositories",
        [],
        "?connector=reg",
        admin,
        None
    );
    let repo = repos["items"][0]["id"]
        .as_i64()
        .ok_or("repository id")?
        .to_string();
    let tags = expect!(
        l,
        200,
        "repository tags",
        "get",
        "/api/v1/repositories/{id}/tags",
        [&repo],
        "",
        admin,
        None
    );
    assert_eq!(tags["items"][0]["digest"], json!(digest));
    expect!(l, 200, "tags", "get", "/api/v1/tags", [], "", admin, None);
    expect!(
        l,
        200,
        "scanned images",
        "get",
        "/api/v1/images",
        [],
        "?state=scanned",
        admin,
        None
    );
    let shown = expect!(
        l,
        200,
        "image",
        "get",
        "/api/v1/images/{digest}",
        [&digest],
        "",
        admin,
        None
    );
    assert_eq!(shown["image"]["references"], json!(["team/app:1.0"]));
    assert!(
        shown["inventories"][0]["packages"].as_i64() >= Some(1),
        "{shown}"
    );
    expect!(
        l,
        200,
        "cyclonedx",
        "get",
        "/api/v1/images/{digest}/sbom",
        [&digest],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "spdx",
        "get",
        "/api/v1/images/{digest}/sbom",
        [&digest],
        "?format=spdx",
        admin,
        None
    );
    expect!(
        l,
        400,
        "bad sbom format",
        "get",
        "/api/v1/images/{digest}/sbom",
        [&digest],
        "?format=swid",
        admin,
        None
    );
    let scans = expect!(l, 200, "scans", "get", "/api/v1/scans", [], "", admin, None);
    assert_eq!(scans["progress"]["done"], 1, "{scans}");

    let page = expect!(
        l,
        200,
        "findings",
        "get",
        "/api/v1/findings",
        [],
        "?limit=1",
        admin,
        None
    );
    let finding = page["items"][0]["id"]
        .as_i64()
        .ok_or("no finding for a root image")?
        .to_string();
    let next = page["next_cursor"].as_str().map(str::to_owned);
    if let Some(cursor) = next {
        expect!(
            l,
            200,
            "next page",
            "get",
            "/api/v1/findings",
            [],
            &format!("?limit=1&cursor={cursor}"),
            admin,
            None
        );
    }
    expect!(
        l,
        200,
        "finding",
        "get",
        "/api/v1/findings/{id}",
        [&finding],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "findings of the repository",
        "get",
        "/api/v1/findings",
        [],
        "?repository=team/app&sort=first_seen",
        admin,
        None
    );

    // A re-evaluation of the stored inventory: no registry request.
    let queued = expect!(
        l,
        202,
        "rescan",
        "post",
        "/api/v1/images/{digest}/scan",
        [&digest],
        "",
        admin,
        None
    );
    assert_eq!(queued["queued"], true);
    expect!(
        l,
        202,
        "trigger",
        "post",
        "/api/v1/reevaluations",
        [],
        "",
        admin,
        None
    );
    let mut run = None;
    for _ in 0..240 {
        let runs = expect!(
            l,
            200,
            "runs",
            "get",
            "/api/v1/reevaluations",
            [],
            "",
            admin,
            None
        );
        if let Some(first) = runs["items"].as_array().and_then(|a| a.first())
            && first["state"] == "done"
        {
            run = first["id"].as_i64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let run = run
        .ok_or("no re-evaluation run finished within 60 s")?
        .to_string();
    let shown = expect!(
        l,
        200,
        "run",
        "get",
        "/api/v1/reevaluations/{id}",
        [&run],
        "",
        admin,
        None
    );
    assert!(shown["run"]["inventories"].as_i64() >= Some(1), "{shown}");
    expect!(
        l,
        200,
        "connector",
        "get",
        "/api/v1/connectors/{id}",
        [&id],
        "",
        admin,
        None
    );
    expect!(
        l,
        200,
        "status",
        "get",
        "/api/v1/status",
        [],
        "",
        admin,
        None
    );

    live.stop().await;
    live.check_against_document(tmp.path())?;
    Ok(())
}
