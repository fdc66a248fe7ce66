//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
//!
//! It describes every route of [`crate::api::router`]: the REST API under
//! `/api/v1`, the operational endpoints and the dashboard. Schemas follow
//! the serde output of the store's records field for field;
//! `tests/openapi.rs` checks the document against the router source, the
//! official OpenAPI 3.1 schema and live responses.

use serde_json::{Map, Value, json};

/// `{"$ref": "#/components/schemas/NAME"}`.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A nullable value of a JSON type (`Option<T>` serialised as `null`).
fn nullable(ty: &str) -> Value {
    json!({ "type": [ty, "null"] })
}

/// Unix seconds.
fn time(description: &str) -> Value {
    json!({ "type": "integer", "format": "int64", "description": description })
}

/// Unix seconds or `null`.
fn time_or_null(description: &str) -> Value {
    json!({ "type": ["integer", "null"], "format": "int64", "description": description })
}

/// An object with `properties`, every one of them required.
fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `{"items": [NAME]}`: the shape of every plain listing.
fn list_of(name: &str) -> Value {
    object(json!({ "items": { "type": "array", "items": r(name) } }))
}

/// A JSON response.
fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// A JSON request body.
fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// A path parameter.
fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

/// A numeric id in the path.
fn id_param(what: &str) -> Value {
    path_param(
        "id",
        &format!("The {what}'s id."),
        json!({ "type": "integer", "format": "int64" }),
    )
}

/// A connector's id or name in the path.
fn connector_param() -> Value {
    path_param(
        "id",
        "The connector's id or its name.",
        json!({ "type": "string" }),
    )
}

/// An image's manifest digest in the path.
fn digest_param() -> Value {
    path_param(
        "digest",
        "Manifest digest of the image (`sha256:…`).",
        json!({ "type": "string", "pattern": "^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$" }),
    )
}

/// A query parameter.
fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

/// The `connector` query filter.
fn connector_query() -> Value {
    query(
        "connector",
        "Only this connector (id or name).",
        json!({ "type": "string" }),
    )
}

/// An operation: summary, tag, success responses and the error responses
/// it can give by status code. Every authenticated operation may also
/// answer 401 (no or bad token) and 500.
fn op(tag: &str, id: &str, summary: &str, success: Value, errors: &[u16]) -> Value {
    let mut responses = match success {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for code in errors.iter().chain(&[401, 500]) {
        let name = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            415 => "UnsupportedMediaType",
            422 => "UnprocessableEntity",
            503 => "NotReady",
            _ => "InternalError",
        };
        responses.insert(
            code.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        );
    }
    json!({ "tags": [tag], "operationId": id, "summary": summary, "responses": responses })
}

/// One object from several (big `json!` literals exceed the macro
/// recursion limit, so long maps are written in parts).
fn merge<const N: usize>(parts: [Value; N]) -> Value {
    let mut out = Map::new();
    for part in parts {
        if let Value::Object(m) = part {
            out.extend(m);
        }
    }
    Value::Object(out)
}

/// `op` with extra fields (parameters, requestBody, description…).
fn with(mut operation: Value, extra: Value) -> Value {
    if let (Some(o), Value::Object(e)) = (operation.as_object_mut(), extra) {
        o.extend(e);
    }
    operation
}

/// A problem+json error response.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": r("Problem") } }
    })
}

/// The settings of a connector, as the API accepts and returns them.
fn connector_settings() -> Map<String, Value> {
    let filters = r("Filters");
    let props = json!({
        "url": { "type": "string", "description": "Registry URL (`https://ghcr.io`, `http://127.0.0.1:5000`); `http://` implies `insecure`." },
        "username": { "type": "string", "description": "User name for the password or token; absent when there is none." },
        "ca_cert": { "type": "string", "description": "PEM CA certificate(s) to trust for this registry; absent when none." },
        "insecure": { "type": "boolean", "default": false, "description": "Skip TLS verification and allow plain HTTP." },
        "mode": r("ScanMode"),
        "repositories": { "allOf": [filters.clone()], "description": "Repository filters (globs such as `team/*`)." },
        "tags": { "allOf": [filters], "description": "Tag filters (globs such as `v1.*`)." },
        "scope": r("InitialScope"),
        "enabled": { "type": "boolean", "default": true, "description": "Whether discovery and scans run." },
        "discovery_interval_secs": { "type": "integer", "minimum": 60, "default": 3600, "description": "Seconds between scheduled discoveries." },
    });
    match props {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The write-only secret fields of connector requests.
fn connector_secrets(map: &mut Map<String, Value>, patch: bool) {
    map.insert(
        "password".into(),
        json!({ "type": "string", "writeOnly": true, "description": "Registry password (with `username`). Sealed with AES-256-GCM; never returned. Not together with `token`." }),
    );
    map.insert(
        "token".into(),
        json!({ "type": "string", "writeOnly": true, "description": "Registry token: a personal access token with `username`, or a bearer token without. Sealed; never returned. Not together with `password`." }),
    );
    if patch {
        map.insert(
            "clear_secret".into(),
            json!({ "type": "boolean", "writeOnly": true, "default": false, "description": "Remove the stored secret (ignored when `password` or `token` is given)." }),
        );
    }
}

fn schemas() -> Value {
    let settings = connector_settings();

    let mut spec = json!({
        "type": "object",
        "description": "A connector's settings (everything but its secret). Omitted fields take their defaults.",
        "required": ["url"],
    });
    spec["properties"] = Value::Object(settings.clone());

    let mut create_props = Map::new();
    create_props.insert(
        "name".into(),
        json!({ "type": "string", "minLength": 1, "description": "Unique name." }),
    );
    connector_secrets(&mut create_props, false);
    let create = json!({
        "description": "A new connector: its settings, a name and the secret, if any.",
        "allOf": [r("ConnectorSpec"), { "type": "object", "required": ["name"], "properties": create_props }],
    });

    let mut test_props = Map::new();
    test_props.insert("name".into(), json!({ "type": "string" }));
    connector_secrets(&mut test_props, false);
    let test = json!({
        "description": "Settings to test without storing a connector (`name` optional).",
        "allOf": [r("ConnectorSpec"), { "type": "object", "properties": test_props }],
    });

    let mut patch_props = settings.clone();
    connector_secrets(&mut patch_props, true);
    let mut patch = json!({
        "type": "object",
        "description": "A partial update: the settings given replace the stored ones (the name cannot change). `password` or `token` replaces the secret; `clear_secret: true` removes it.",
    });
    patch["properties"] = Value::Object(patch_props);

    let mut connector_props = Map::new();
    connector_props.insert("id".into(), json!({ "type": "integer", "format": "int64" }));
    connector_props.insert("name".into(), json!({ "type": "string" }));
    connector_props.extend(settings);
    connector_props.insert(
        "secret".into(),
        json!({ "oneOf": [r("SecretKind"), { "type": "null" }], "description": "Which secret it holds (never its value)." }),
    );
    connector_props.insert("created_at".into(), time("Created (Unix seconds)."));
    connector_props.insert("updated_at".into(), time("Last changed (Unix seconds)."));
    connector_props.insert(
        "last_discovery_at".into(),
        time_or_null("Last discovery finished (Unix seconds)."),
    );
    connector_props.insert(
        "next_discovery_at".into(),
        time("Next discovery due (Unix seconds)."),
    );
    connector_props.insert(
        "last_error".into(),
        json!({ "type": ["string", "null"], "description": "The last discovery's error." }),
    );
    let connector = json!({
        "type": "object",
        "description": "A stored connector: its settings flattened beside its state.",
        "required": ["id", "name", "url", "insecure", "mode", "repositories", "tags", "scope", "enabled",
                     "discovery_interval_secs", "secret", "created_at", "updated_at", "last_discovery_at",
                     "next_discovery_at", "last_error"],
        "properties": connector_props,
    });

    let severity =
        json!({ "type": "string", "enum": ["critical", "high", "medium", "low", "unknown"] });
    let job_kind =
        json!({ "type": "string", "enum": ["discover", "scan", "reevaluate", "webhook"] });

    merge([
        json!({
            "Problem": {
                "type": "object",
                "description": "An error (RFC 9457 problem details).",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": { "type": "string", "const": "about:blank" },
                    "title": { "type": "string", "examples": ["Not found"] },
                    "status": { "type": "integer", "minimum": 400, "maximum": 599 },
                    "detail": { "type": "string" },
                }
            },
            "ScanMode": {
                "type": "string",
                "enum": ["direct", "outpost", "broker"],
                "default": "direct",
                "description": "How images are pulled: `direct` (the server's workers). `outpost` and `broker` are accepted and stored but not implemented: such connectors are never discovered."
            },
            "InitialScope": {
                "description": "Which tags the first discovery sends to scanning (later pushes are always scanned).",
                "default": { "kind": "all" },
                "oneOf": [
                    { "type": "object", "required": ["kind"], "properties": { "kind": { "const": "all", "description": "Every tag." } } },
                    { "type": "object", "required": ["kind"], "properties": { "kind": { "const": "latest_tag", "description": "The newest tag of each repository." } } },
                    {
                        "type": "object",
                        "required": ["kind", "days"],
                        "properties": {
                            "kind": { "const": "modified_days", "description": "Tags whose image was created in the last `days` days." },
                            "days": { "type": "integer", "minimum": 0, "maximum": 90 }
                        }
                    }
                ]
            },
            "Filters": {
                "type": "object",
                "description": "Glob patterns. An empty `include` keeps everything; `exclude` wins.",
                "properties": {
                    "include": { "type": "array", "items": { "type": "string" }, "default": [] },
                    "exclude": { "type": "array", "items": { "type": "string" }, "default": [] },
                }
            },
            "SecretKind": { "type": "string", "enum": ["password", "token"] },
            "ConnectorSpec": spec,
            "ConnectorCreate": create,
            "ConnectorTestRequest": test,
            "ConnectorPatch": patch,
        }),
        json!({
            "Connector": connector,
            "ConnectorDetail": {
                "type": "object",
                "additionalProperties": false,
                "required": ["connector", "repositories", "tags"],
                "properties": {
                    "connector": r("Connector"),
                    "repositories": { "type": "integer", "description": "Repositories discovered." },
                    "tags": { "type": "integer", "description": "Tags discovered." },
                    "events_path": { "type": "string", "description": "Admins only: the path (with the connector's event token) a registry can POST push notifications to without an Authorization header, e.g. a Docker Hub webhook. Treat it as a secret: it lets its holder trigger discoveries." },
                }
            },
            "ConnectorTest": object(json!({
                "ok": { "type": "boolean" },
                "steps": {
                    "type": "array",
                    "description": "`settings`, `secret`, `reachability`, `authentication`, `reachability and authentication`, `catalog`: each says what passed or failed.",
                    "items": object(json!({
                        "step": { "type": "string" },
                        "ok": { "type": "boolean" },
                        "message": { "type": "string" },
                    }))
                }
            })),
            "JobQueued": object(json!({
                "job": { "type": ["integer", "null"], "format": "int64", "description": "The queued job, or null when the same job was already queued or running." },
                "already_queued": { "type": "boolean" },
            })),
            "RegistryEventResult": object(json!({
                "pushes": { "type": "integer", "minimum": 0, "description": "Push events found in the body." },
                "discovery": { "type": "boolean", "description": "Whether a discovery was queued." },
            })),
            "RegistryEvent": {
                "description": "A registry's push notification. Distribution: `{\"events\":[{\"action\":\"push\",…}]}`; Harbor: `{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{…}}` (or `pushImage`); Docker Hub: `{\"push_data\":{…},\"repository\":{…}}`. Anything else counts zero pushes.",
                "type": "object",
                "properties": {
                    "events": { "type": "array", "items": { "type": "object", "properties": { "action": { "type": "string" } } } },
                    "type": { "type": "string" },
                    "push_data": { "type": "object" },
                }
            },
            "Repository": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "connector_id": { "type": "integer", "format": "int64" },
                "name": { "type": "string", "examples": ["library/nginx"] },
                "tags": { "type": "integer", "description": "Tags now." },
                "first_seen": time("First discovered."),
                "last_seen": time("Last seen in a discovery."),
            })),
            "Tag": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "repository_id": { "type": "integer", "format": "int64" },
                "repository": { "type": "string" },
                "name": { "type": "string" },
                "digest": { "type": "string", "description": "Manifest digest it points at." },
                "image_created": time_or_null("Image creation time from its config."),
                "first_seen": time("First discovered."),
                "updated_at": time("Last moved to a new digest (or first seen)."),
                "last_seen": time("Last seen in a discovery."),
            })),
        }),
        json!({
            "ScanState": { "type": "string", "enum": ["discovered", "queued", "scanned", "failed"] },
            "ImagePlatform": {
                "type": "object",
                "required": ["platform", "digest"],
                "properties": {
                    "platform": { "type": "string", "examples": ["linux/amd64"] },
                    "digest": { "type": "string" },
                    "created": { "type": "string", "description": "Creation time (RFC 3339) from its config; absent when unknown." },
                }
            },
            "Image": object(json!({
                "digest": { "type": "string" },
                "media_type": nullable("string"),
                "kind": { "type": ["string", "null"], "enum": ["index", "image", "artifact", null] },
                "platforms": { "type": "array", "items": r("ImagePlatform") },
                "first_seen": time("First discovered."),
                "scan_state": r("ScanState"),
                "scanned_at": time_or_null("Last scanned."),
                "scanner": { "type": ["string", "null"], "description": "The scanner version that produced its inventories." },
                "scan_error": nullable("string"),
                "references": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": "`repository:tag` references pointing at it (filled by `GET /images/{digest}`; empty in listings)."
                },
            })),
            "ImageDetail": object(json!({
                "image": r("Image"),
                "inventories": {
                    "type": "array",
                    "items": object(json!({
                        "platform": { "type": "string" },
                        "manifest_digest": { "type": "string" },
                        "packages": { "type": "integer", "minimum": 0 },
                    }))
                }
            })),
            "ScanQueued": object(json!({
                "queued": { "type": "boolean", "description": "False when a scan of this digest was already queued or running." }
            })),
            "JobState": { "type": "string", "enum": ["queued", "running", "done", "failed"] },
            "Job": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "kind": job_kind,
                "key": { "type": "string", "description": "Deduplication key (`scan:sha256:…`)." },
                "lane": { "type": "string", "description": "Concurrency lane (the registry host), or empty." },
                "payload": { "type": "object" },
                "priority": { "type": "integer", "description": "Higher runs first." },
                "state": r("JobState"),
                "attempts": { "type": "integer" },
                "max_attempts": { "type": "integer" },
                "last_error": nullable("string"),
                "created_at": time("Created."),
                "updated_at": time("Last changed."),
            })),
            "ScanList": object(json!({
                "progress": {
                    "type": "object",
                    "description": "Scan jobs per state (`queued`, `running`, `done`, `failed`); states with none are absent.",
                    "additionalProperties": { "type": "integer" }
                },
                "items": { "type": "array", "items": r("Job") },
            })),
        }),
        json!({
            "Severity": severity,
            "Finding": {
                "description": "A stored finding (`StoredFinding`).",
                "type": "object",
                "required": ["id", "image_digest", "platform", "fingerprint", "kind", "rule_id", "severity", "status",
                             "title", "vulnerability", "package", "kev", "snapshot_id", "first_seen", "last_seen",
                             "resolved_at", "detail"],
                "properties": {
                    "id": { "type": "integer", "format": "int64" },
                    "image_digest": { "type": "string" },
                    "platform": { "type": "string" },
                    "fingerprint": { "type": "string" },
                    "kind": { "type": "string", "examples": ["vulnerability", "secret", "malware"] },
                    "rule_id": { "type": "string" },
                    "severity": r("Severity"),
                    "status": { "type": "string", "enum": ["open", "resolved", "accepted", "not-affected"] },
                    "title": { "type": "string" },
                    "vulnerability": nullable("string"),
                    "package": { "type": ["string", "null"], "description": "`name@version`." },
                    "kev": { "type": "boolean", "description": "On CISA's known-exploited list." },
                    "snapshot_id": { "type": ["string", "null"], "description": "Database snapshot of the evaluation that last saw it." },
                    "first_seen": time("First seen."),
                    "last_seen": time("Last seen."),
                    "resolved_at": time_or_null("When it stopped being seen."),
                    "detail": { "type": "object", "description": "The full finding (docs/findings-json.md)." },
                }
            },
            "FindingPage": object(json!({
                "items": { "type": "array", "items": r("Finding") },
                "next_cursor": { "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last." },
            })),
            "Reevaluation": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "cause": { "type": "string", "examples": ["schedule", "db_update", "exception", "api"] },
                "state": { "type": "string", "enum": ["running", "done", "failed"] },
                "snapshot_id": nullable("string"),
                "started_at": time("Started."),
                "finished_at": time_or_null("Finished."),
                "inventories": { "type": "integer" },
                "new_findings": { "type": "integer" },
                "resolved_findings": { "type": "integer" },
                "changed_findings": { "type": "integer" },
                "error": nullable("string"),
            })),
            "Delta": object(json!({
                "finding_id": { "type": "integer", "format": "int64" },
                "title": { "type": "string" },
                "kind": { "type": "string" },
                "vulnerability": { "type": ["string", "null"] },
                "image_digest": { "type": "string" },
                "change": { "type": "string", "enum": ["new", "resolved", "severity_changed"] },
                "old_severity": { "oneOf": [r("Severity"), { "type": "null" }] },
                "new_severity": { "oneOf": [r("Severity"), { "type": "null" }] },
            })),
            "ReevaluationDetail": object(json!({
                "run": r("Reevaluation"),
                "deltas": { "type": "array", "items": r("Delta") },
            })),
            "ExceptionSpec": {
                "type": "object",
                "description": "An accepted risk (as in exception files). Needs `justification` and one of `id`, `rule`, `package`.",
                "required": ["justification"],
                "anyOf": [{ "required": ["id"] }, { "required": ["rule"] }, { "required": ["package"] }],
                "properties": {
                    "id": { "type": "string", "description": "A vulnerability id (or alias), a finding id (`wf-…`) or fingerprint." },
                    "rule": { "type": "string", "description": "A rule id: every finding of the rule." },
                    "package": { "type": "string", "description": "Only findings in this package (name)." },
                    "images": { "type": "array", "items": { "type": "string" }, "description": "Globs matched against the repository; empty: every image." },
                    "justification": { "type": "string", "minLength": 1 },
                    "expires": { "type": "string", "format": "date", "description": "Last day it applies." },
                    "approved_by": { "type": "string", "description": "Default: the token's name." },
                }
            },
            "StoredException": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "spec": r("ExceptionSpec"),
                "created_by": { "type": "string" },
                "created_at": time("Created."),
                "expires_at": time_or_null("Expires (midnight UTC after `expires`)."),
            })),
            "ExceptionCreated": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "spec": r("ExceptionSpec"),
                "expires_at": time_or_null("Expires."),
            })),
        }),
        json!({
            "Role": { "type": "string", "enum": ["admin", "viewer"] },
            "ApiToken": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "name": { "type": "string" },
                "role": r("Role"),
                "created_at": time("Created."),
                "last_used_at": time_or_null("Last used (updated at most once a minute)."),
            })),
            "TokenCreate": {
                "type": "object",
                "required": ["name", "role"],
                "properties": {
                    "name": { "type": "string", "minLength": 1 },
                    "role": r("Role"),
                }
            },
            "TokenCreated": object(json!({
                "token": r("ApiToken"),
                "value": { "type": "string", "readOnly": true, "description": "The token (`wharf_…`): shown this once, stored only as a hash." },
            })),
            "Webhook": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "url": { "type": "string" },
                "min_severity": { "type": "string", "description": "Lowest severity that notifies." },
                "enabled": { "type": "boolean" },
                "created_at": time("Created."),
            })),
            "WebhookCreate": {
                "type": "object",
                "required": ["url", "secret"],
                "properties": {
                    "url": { "type": "string", "format": "uri" },
                    "secret": { "type": "string", "minLength": 16, "writeOnly": true, "description": "HMAC-SHA256 signing key (`X-Wharf-Signature`). Sealed; never returned." },
                    "min_severity": { "type": "string", "default": "high", "enum": ["critical", "high", "medium", "low", "unknown"] },
                }
            },
            "AuditEntry": object(json!({
                "id": { "type": "integer", "format": "int64" },
                "at": time("When."),
                "actor": { "type": "string", "description": "The acting token's name." },
                "action": { "type": "string", "examples": ["connector.create"] },
                "target": { "type": "string" },
                "detail": { "description": "Details (never a secret)." },
            })),
            "Status": object(json!({
                "version": { "type": "string" },
                "backend": { "type": "string", "enum": ["sqlite", "postgres"] },
                "snapshot_id": { "type": ["string", "null"], "description": "Vulnerability database snapshot loaded, if any." },
                "scanner": { "type": "string", "description": "Scanner version (analyzers and content scanners)." },
                "caller": object(json!({ "name": { "type": "string" }, "role": r("Role") })),
                "jobs": {
                    "type": "array",
                    "items": object(json!({ "kind": { "type": "string" }, "state": r("JobState"), "count": { "type": "integer" } }))
                },
                "findings": {
                    "type": "array",
                    "description": "Open (unresolved) findings.",
                    "items": object(json!({ "kind": { "type": "string" }, "severity": { "type": "string" }, "count": { "type": "integer" } }))
                },
            })),
        }),
    ])
}

fn paths() -> Value {
    let sbom = json!({ "type": "object", "description": "The SBOM document (docs/sbom-json.md)." });
    let text = |d: &str| json!({ "description": d, "content": { "text/plain": { "schema": { "type": "string" } } } });
    let open = json!([]);
    merge([
        json!({
            "/healthz": {
                "get": {
                    "tags": ["operations"], "operationId": "healthz", "security": open,
                    "summary": "Liveness: the process answers.",
                    "responses": { "200": text("`ok`") }
                }
            },
            "/readyz": {
                "get": {
                    "tags": ["operations"], "operationId": "readyz", "security": open,
                    "summary": "Readiness: the database answers.",
                    "responses": {
                        "200": text("`ready`"),
                        "503": { "$ref": "#/components/responses/NotReady" }
                    }
                }
            },
            "/metrics": {
                "get": op("operations", "metrics", "Prometheus metrics (any token).", json!({
                    "200": { "description": "Exposition format 0.0.4.",
                             "content": { "text/plain; version=0.0.4": { "schema": { "type": "string" } } } }
                }), &[])
            },
            "/api/v1/openapi.json": {
                "get": {
                    "tags": ["operations"], "operationId": "openapi", "security": open,
                    "summary": "This document.",
                    "responses": { "200": json_response("OpenAPI 3.1 document.", json!({ "type": "object" })) }
                }
            },
            "/": {
                "get": {
                    "tags": ["dashboard"], "operationId": "dashboard", "security": open,
                    "summary": "The dashboard (it asks for a token and calls the API).",
                    "responses": { "200": { "description": "HTML page.", "content": { "text/html": { "schema": { "type": "string" } } } } }
                }
            },
            "/ui/app.js": {
                "get": {
                    "tags": ["dashboard"], "operationId": "dashboardScript", "security": open,
                    "summary": "The dashboard's script.",
                    "responses": { "200": { "description": "JavaScript.", "content": { "text/javascript": { "schema": { "type": "string" } } } } }
                }
            },
        }),
        json!({
            "/api/v1/connectors": {
                "get": op("connectors", "listConnectors", "Every connector, by name.",
                    json!({ "200": json_response("Connectors.", list_of("Connector")) }), &[]),
                "post": with(op("connectors", "createConnector", "Add a connector; its first discovery is queued at once.",
                    json!({ "201": json_response("Created.", r("Connector")) }), &[400, 403, 409, 415, 422]),
                    json!({ "requestBody": json_body(r("ConnectorCreate")) })),
            },
            "/api/v1/connectors/test": {
                "post": with(op("connectors", "testNewConnector", "Check settings without storing them: reachability, authentication, catalog.",
                    json!({ "200": json_response("The check (it ran; `ok` says whether it passed).", r("ConnectorTest")) }), &[400, 403, 415, 422]),
                    json!({ "requestBody": json_body(r("ConnectorTestRequest")) })),
            },
            "/api/v1/connectors/{id}": {
                "parameters": [connector_param()],
                "get": op("connectors", "showConnector", "A connector with its repository and tag counts.",
                    json!({ "200": json_response("The connector.", r("ConnectorDetail")) }), &[404]),
                "patch": with(op("connectors", "updateConnector", "Change settings or the secret; discovery becomes due at once.",
                    json!({ "200": json_response("The updated connector.", r("Connector")) }), &[400, 403, 404, 415, 422]),
                    json!({ "requestBody": json_body(r("ConnectorPatch")) })),
                "delete": op("connectors", "removeConnector", "Remove a connector and what only it discovered.",
                    json!({ "204": { "description": "Removed." } }), &[403, 404]),
            },
            "/api/v1/connectors/{id}/test": {
                "parameters": [connector_param()],
                "post": op("connectors", "testConnector", "Check a stored connector: reachability, authentication, catalog.",
                    json!({ "200": json_response("The check.", r("ConnectorTest")) }), &[403, 404]),
            },
            "/api/v1/connectors/{id}/discover": {
                "parameters": [connector_param()],
                "post": op("connectors", "discoverConnector", "Queue a discovery now.",
                    json!({ "202": json_response("Queued (or already queued).", r("JobQueued")) }), &[403, 404]),
            },
            "/api/v1/connectors/{id}/events": {
                "parameters": [connector_param()],
                "post": with(op("connectors", "registryEvent",
                    "Registry push notification (Distribution, Harbor, Docker Hub): a push makes the connector's discovery due now. Authenticated by an admin token or by the connector's event token in `?token=` (for registries that cannot send headers); an unknown connector answers 401 like a bad token.",
                    json!({
                        "200": json_response("No push event in the body: nothing queued.", r("RegistryEventResult")),
                        "202": json_response("A discovery was queued.", r("RegistryEventResult")),
                    }), &[400, 403, 415, 422]),
                    json!({
                        "requestBody": json_body(r("RegistryEvent")),
                        "security": [{ "bearerAuth": [] }, { "eventToken": [] }],
                        "parameters": [{ "name": "token", "in": "query", "required": false,
                            "description": "The connector's event token (`events_path` of the connector).",
                            "schema": { "type": "string" } }],
                    })),
            },
        }),
        json!({
            "/api/v1/repositories": {
                "get": with(op("catalog", "listRepositories", "Discovered repositories, by name.",
                    json!({ "200": json_response("Repositories.", list_of("Repository")) }), &[404]),
                    json!({ "parameters": [connector_query()] })),
            },
            "/api/v1/repositories/{id}/tags": {
                "parameters": [id_param("repository")],
                "get": op("catalog", "repositoryTags", "Tags of one repository (empty for an unknown id).",
                    json!({ "200": json_response("Tags.", list_of("Tag")) }), &[400]),
            },
            "/api/v1/tags": {
                "get": with(op("catalog", "listTags", "Discovered tags, by repository and name.",
                    json!({ "200": json_response("Tags.", list_of("Tag")) }), &[404]),
                    json!({ "parameters": [connector_query()] })),
            },
            "/api/v1/images": {
                "get": with(op("catalog", "listImages", "Distinct images (manifest digests), by digest.",
                    json!({ "200": json_response("Images.", list_of("Image")) }), &[400]),
                    json!({ "parameters": [query("state", "Only images in this scan state.", r("ScanState"))] })),
            },
            "/api/v1/images/{digest}": {
                "parameters": [digest_param()],
                "get": op("catalog", "showImage", "One image with its references and stored inventories.",
                    json!({ "200": json_response("The image.", r("ImageDetail")) }), &[404]),
            },
            "/api/v1/images/{digest}/scan": {
                "parameters": [digest_param()],
                "post": op("catalog", "scanImage", "Scan an image again now (through any connector that holds it).",
                    json!({ "202": json_response("Queued.", r("ScanQueued")) }), &[400, 403, 404]),
            },
            "/api/v1/images/{digest}/sbom": {
                "parameters": [digest_param()],
                "get": with(op("catalog", "imageSbom", "The SBOM of a scanned image, from its stored inventory.",
                    json!({ "200": {
                        "description": "CycloneDX 1.6 or SPDX 2.3 JSON.",
                        "content": { "application/vnd.cyclonedx+json": { "schema": sbom.clone() }, "application/spdx+json": { "schema": sbom } }
                    } }), &[400, 404]),
                    json!({ "parameters": [
                        query("format", "SBOM format.", json!({ "type": "string", "enum": ["cyclonedx", "spdx"], "default": "cyclonedx" })),
                        query("platform", "Platform image (`linux/amd64`); required when the image has several.", json!({ "type": "string" })),
                    ] })),
            },
            "/api/v1/scans": {
                "get": with(op("scans", "listScans", "Scan jobs, newest first, with progress counts.",
                    json!({ "200": json_response("Scan jobs.", r("ScanList")) }), &[400]),
                    json!({ "parameters": [
                        query("state", "Only jobs in this state.", r("JobState")),
                        query("limit", "Page size.", json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 })),
                    ] })),
            },
            "/api/v1/jobs/{id}": {
                "parameters": [id_param("job")],
                "get": op("scans", "showJob", "One job (discovery, scan, re-evaluation, webhook delivery).",
                    json!({ "200": json_response("The job.", r("Job")) }), &[400, 404]),
            },
        }),
        json!({
            "/api/v1/findings": {
                "get": with(op("findings", "listFindings", "A page of findings (keyset pagination).",
                    json!({ "200": json_response("A page.", r("FindingPage")) }), &[400, 404]),
                    json!({ "parameters": [
                        query("kind", "Kinds, comma-separated (`vulnerability,secret`).", json!({ "type": "string" })),
                        query("severity", "Severities, comma-separated, of `critical`, `high`, `medium`, `low`, `unknown`.", json!({ "type": "string" })),
                        query("status", "Statuses, comma-separated (`open`, `resolved`, `accepted`, `not-affected`); default: all but `resolved`.", json!({ "type": "string" })),
                        query("connector", "Only images tagged under this connector (id or name).", json!({ "type": "string" })),
                        query("repository", "Only images tagged in this repository (name).", json!({ "type": "string" })),
                        query("image", "Only this image digest.", json!({ "type": "string" })),
                        query("kev", "Only known-exploited (`true`) or not (`false`).", json!({ "type": "boolean" })),
                        query("vulnerability", "Only this vulnerability id.", json!({ "type": "string" })),
                        query("sort", "Order: `severity` (most severe first, the default), `first_seen` (newest first) or `id` (ascending).",
                            json!({ "type": "string", "enum": ["severity", "first_seen", "id"], "default": "severity" })),
                        query("limit", "Page size.", json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 })),
                        query("cursor", "`next_cursor` of the previous page (same filters and sort).", json!({ "type": "string" })),
                    ] })),
            },
            "/api/v1/findings/{id}": {
                "parameters": [id_param("finding")],
                "get": op("findings", "showFinding", "One finding.",
                    json!({ "200": json_response("The finding.", r("Finding")) }), &[400, 404]),
            },
            "/api/v1/exceptions": {
                "get": op("exceptions", "listExceptions", "Every exception (expired ones too).",
                    json!({ "200": json_response("Exceptions.", list_of("StoredException")) }), &[]),
                "post": with(op("exceptions", "createException", "Accept a risk; a full re-evaluation is queued.",
                    json!({ "201": json_response("Created.", r("ExceptionCreated")) }), &[400, 403, 415]),
                    json!({ "requestBody": json_body(r("ExceptionSpec")) })),
            },
            "/api/v1/exceptions/{id}": {
                "parameters": [id_param("exception")],
                "delete": op("exceptions", "deleteException", "Delete an exception; a full re-evaluation is queued.",
                    json!({ "204": { "description": "Deleted." } }), &[400, 403, 404]),
            },
            "/api/v1/reevaluations": {
                "get": op("reevaluations", "listReevaluations", "The last 100 re-evaluation runs, newest first.",
                    json!({ "200": json_response("Runs.", list_of("Reevaluation")) }), &[]),
                "post": op("reevaluations", "triggerReevaluation", "Queue a full re-evaluation now (no registry request).",
                    json!({ "202": json_response("Queued (or already queued).", r("JobQueued")) }), &[403]),
            },
            "/api/v1/reevaluations/{id}": {
                "parameters": [id_param("re-evaluation run")],
                "get": op("reevaluations", "showReevaluation", "One run with its finding deltas.",
                    json!({ "200": json_response("The run.", r("ReevaluationDetail")) }), &[400, 404]),
            },
        }),
        json!({
            "/api/v1/tokens": {
                "get": op("tokens", "listTokens", "Live API tokens (never their values).",
                    json!({ "200": json_response("Tokens.", list_of("ApiToken")) }), &[]),
                "post": with(op("tokens", "createToken", "Create a token; its value is shown this once.",
                    json!({ "201": json_response("Created.", r("TokenCreated")) }), &[400, 403, 415, 422]),
                    json!({ "requestBody": json_body(r("TokenCreate")) })),
            },
            "/api/v1/tokens/{id}": {
                "parameters": [id_param("token")],
                "delete": op("tokens", "revokeToken", "Revoke a token.",
                    json!({ "204": { "description": "Revoked." } }), &[400, 403, 404]),
            },
            "/api/v1/webhooks": {
                "get": op("webhooks", "listWebhooks", "Notification webhooks (never their secrets).",
                    json!({ "200": json_response("Webhooks.", list_of("Webhook")) }), &[]),
                "post": with(op("webhooks", "createWebhook", "Add a webhook for new findings at or above a severity.",
                    json!({ "201": json_response("Created.", r("Webhook")) }), &[400, 403, 415, 422]),
                    json!({ "requestBody": json_body(r("WebhookCreate")) })),
            },
            "/api/v1/webhooks/{id}": {
                "parameters": [id_param("webhook")],
                "delete": op("webhooks", "deleteWebhook", "Delete a webhook.",
                    json!({ "204": { "description": "Deleted." } }), &[400, 403, 404]),
            },
            "/api/v1/audit": {
                "get": op("audit", "auditLog", "The last 500 audit entries, newest first.",
                    json!({ "200": json_response("Entries.", list_of("AuditEntry")) }), &[]),
            },
            "/api/v1/status": {
                "get": op("operations", "status", "Version, backend, database snapshot, the caller, job and finding counts.",
                    json!({ "200": json_response("Status.", r("Status")) }), &[]),
            },
        }),
    ])
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wharf",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "The wharf service: connectors, discovery, scans, findings and re-evaluation.",
            "description": "Every `/api/v1` request needs `Authorization: Bearer TOKEN`: `GET` works with any live token, everything else needs an admin token. Errors are `application/problem+json` (RFC 9457). Times are Unix seconds. See docs/server.md.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "tags": [
            { "name": "connectors", "description": "Registries to watch." },
            { "name": "catalog", "description": "What discovery found." },
            { "name": "scans", "description": "The job queue." },
            { "name": "findings" },
            { "name": "exceptions" },
            { "name": "reevaluations" },
            { "name": "tokens" },
            { "name": "webhooks" },
            { "name": "audit" },
            { "name": "operations" },
            { "name": "dashboard" }
        ],
        "security": [{ "bearerAuth": [] }],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`wharf_…`): the bootstrap admin token in `DATA_DIR/admin.token`, `WHARF_ADMIN_TOKEN`, or one made with `POST /api/v1/tokens`."
                },
                "eventToken": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "token",
                    "description": "A connector's event token (see `events_path` of `GET /api/v1/connectors/{id}`): accepted only by that connector's push-notification endpoint."
                }
            },
            "responses": {
                "BadRequest": problem("The request is invalid: a bad value, malformed JSON, a path or query value of the wrong type (an id that is not a number, `kev=maybe`)."),
                "UnsupportedMediaType": problem("The body is not sent as JSON (`Content-Type: application/json`)."),
                "UnprocessableEntity": problem("The JSON body does not have the expected shape (a missing or mistyped field)."),
                "Unauthorized": {
                    "description": "No token, or an unknown or revoked one.",
                    "headers": { "WWW-Authenticate": { "schema": { "type": "string", "const": "Bearer realm=\"wharf\"" } } },
                    "content": { "application/problem+json": { "schema": r("Problem") } }
                },
                "Forbidden": problem("A viewer token cannot change anything."),
                "NotFound": problem("No such object."),
                "Conflict": problem("The name is taken."),
                "NotReady": problem("The database does not answer."),
                "InternalError": problem("The server failed; the log says why."),
            },
            "schemas": schemas(),
        }
    })
}
