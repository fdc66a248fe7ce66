//! The REST API under `/api/v1` (documented in `/api/v1/openapi.json`),
//! the operational endpoints (`/healthz`, `/readyz`, `/metrics`) and the
//! dashboard at `/`.
//!
//! Errors are `application/problem+json` (RFC 9457). Every change is
//! written to the audit log with the acting token's name. Secrets are
//! accepted (connector password or token, webhook secret) but never
//! returned.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use wharf_store::{
    ConnectorSecret, ConnectorSpec, FindingFilter, FindingSort, InitialScope, Role, ScanState,
    SecretKind, StoreError,
};
use wharf_types::SecretString;

use crate::auth::Caller;
use crate::jobs::{self, ReevaluateJob, priority};
use crate::{App, ServerError};

/// An error response (`application/problem+json`).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
        }
    }

    pub(crate) fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    pub(crate) fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut resp = (self.status, Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"wharf\""),
            );
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "Not found", e.to_string())
            }
            StoreError::Conflict { .. } => {
                Self::new(StatusCode::CONFLICT, "Conflict", e.to_string())
            }
            _ => {
                tracing::error!("store: {e}");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "the database failed; see the server log",
                )
            }
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Store(s) => s.into(),
            ServerError::Invalid(m) => Self::bad_request(m),
            other => {
                tracing::error!("{other}");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    other.to_string(),
                )
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The whole router.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/connectors", get(list_connectors).post(create_connector))
        .route("/connectors/test", post(test_new_connector))
        .route(
            "/connectors/{id}",
            get(show_connector)
                .patch(update_connector)
                .delete(remove_connector),
        )
        .route("/connectors/{id}/test", post(test_connector))
        .route("/connectors/{id}/discover", post(discover_connector))
        .route("/repositories", get(list_repositories))
        .route("/repositories/{id}/tags", get(repository_tags))
        .route("/tags", get(list_tags))
        .route("/images", get(list_images))
        .route("/images/{digest}", get(show_image))
        .route("/images/{digest}/scan", post(scan_image))
        .route("/images/{digest}/sbom", get(image_sbom))
        .route("/scans", get(list_scans))
        .route("/jobs/{id}", get(show_job))
        .route("/findings", get(list_findings))
        .route("/findings/{id}", get(show_finding))
        .route("/exceptions", get(list_exceptions).post(create_exception))
        .route("/exceptions/{id}", axum::routing::delete(delete_exception))
        .route(
            "/reevaluations",
            get(list_reevaluations).post(trigger_reevaluation),
        )
        .route("/reevaluations/{id}", get(show_reevaluation))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", axum::routing::delete(delete_webhook))
        .route("/audit", get(audit_log))
        .route("/status", get(status))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::auth::require_token,
        ));
    let metrics =
        Router::new()
            .route("/metrics", get(metrics))
            .layer(axum::middleware::from_fn_with_state(
                app.clone(),
                crate::auth::require_token,
            ));
    Router::new()
        .nest("/api/v1", api)
        .route("/api/v1/openapi.json", get(openapi))
        // Authenticated in the handler: an admin token, or the connector's
        // event token in the query (registries that cannot send headers).
        .route("/api/v1/connectors/{id}/events", post(registry_event))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/", get(dashboard))
        .route("/ui/app.js", get(dashboard_js))
        .merge(metrics)
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "Not found", "no such endpoint")
        })
        .layer(axum::middleware::map_response(problem_for_rejections))
        .with_state(app)
}

/// Requests axum's extractors refuse (malformed JSON, a wrong content
/// type, an unparsable path or query value) answer in plain text; turn
/// those answers into problem documents like every other error.
async fn problem_for_rejections(resp: Response) -> Response {
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !status.is_client_error() || is_problem {
        return resp;
    }
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let title = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
        StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable request",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "Request too large",
        _ => "Bad request",
    };
    ApiError::new(status, title, String::from_utf8_lossy(&body).trim()).into_response()
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn readyz(State(app): State<Arc<App>>) -> ApiResult<&'static str> {
    app.store
        .ping()
        .await
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Not ready", e.to_string()))?;
    Ok("ready")
}

async fn metrics(State(app): State<Arc<App>>) -> ApiResult<Response> {
    let text = crate::metrics::render(&app).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Headers of the dashboard's files: only its own script and API, never
/// framed by another site, never sniffed, always revalidated.
const DASHBOARD_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CACHE_CONTROL, "no-cache"),
    (header::REFERRER_POLICY, "no-referrer"),
];

async fn dashboard() -> Response {
    (
        DASHBOARD_HEADERS,
        Html(include_str!("../assets/index.html")),
    )
        .into_response()
}

async fn dashboard_js() -> Response {
    (
        DASHBOARD_HEADERS,
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/app.js"),
    )
        .into_response()
}

async fn audit(
    app: &App,
    caller: &Caller,
    action: &str,
    target: &str,
    detail: Value,
) -> ApiResult<()> {
    app.store
        .audit(&caller.name, action, target, &detail)
        .await?;
    Ok(())
}

// --- connectors -----------------------------------------------------------

/// A connector as created or updated through the API: its settings plus
/// the secret (write-only).
#[derive(Debug, Deserialize)]
struct ConnectorBody {
    name: Option<String>,
    #[serde(flatten)]
    spec: ConnectorSpec,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

impl ConnectorBody {
    fn secret(&self) -> ApiResult<Option<ConnectorSecret>> {
        match (&self.password, &self.token) {
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "give a password or a token, not both",
            )),
            (Some(p), None) => Ok(Some(ConnectorSecret {
                kind: SecretKind::Password,
                value: SecretString::new(p.clone()),
            })),
            (None, Some(t)) => Ok(Some(ConnectorSecret {
                kind: SecretKind::Token,
                value: SecretString::new(t.clone()),
            })),
            (None, None) => Ok(None),
        }
    }
}

fn validate_spec(spec: &ConnectorSpec) -> ApiResult<()> {
    let insecure = spec.insecure || spec.url.starts_with("http://");
    wharf_registry::RegistryEndpoint::parse(&spec.url, insecure)
        .map_err(|e| ApiError::bad_request(format!("url: {e}")))?;
    if let InitialScope::ModifiedDays { days } = spec.scope
        && days > InitialScope::MAX_DAYS
    {
        return Err(ApiError::bad_request(format!(
            "scope.days must be between 0 and {}, got {days}",
            InitialScope::MAX_DAYS
        )));
    }
    if spec.discovery_interval_secs < 60 {
        return Err(ApiError::bad_request(
            "discovery_interval_secs must be at least 60",
        ));
    }
    for p in spec
        .repositories
        .include
        .iter()
        .chain(&spec.repositories.exclude)
        .chain(&spec.tags.include)
        .chain(&spec.tags.exclude)
    {
        globset::Glob::new(p).map_err(|e| ApiError::bad_request(format!("pattern {p:?}: {e}")))?;
    }
    if let Some(pem) = &spec.ca_cert
        && !pem.contains("-----BEGIN CERTIFICATE-----")
    {
        return Err(ApiError::bad_request(
            "ca_cert must be PEM (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(())
}

async fn list_connectors(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": app.store.connectors().await? })))
}

async fn create_connector(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ConnectorBody>,
) -> ApiResult<Response> {
    let name = body
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    if name.len() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a connector name is at most 100 bytes, without control characters",
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "a connector name cannot be all digits (it would read as an id)",
        ));
    }
    validate_spec(&body.spec)?;
    let secret = body.secret()?;
    let c = app
        .store
        .create_connector(&name, &body.spec, secret.as_ref(), &app.keys)
        .await?;
    audit(
        &app,
        &caller,
        "connector.create",
        &name,
        json!({ "id": c.id, "url": c.spec.url }),
    )
    .await?;
    app.store
        .enqueue(&jobs::discover_job(c.id, priority::MANUAL))
        .await?;
    app.wake.notify_waiters();
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

async fn show_connector(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = app.store.connector(&id).await?;
    let tags = app.store.connector_tags(c.id).await?;
    let repositories = app.store.repositories(Some(c.id)).await?.len();
    let mut doc = json!({ "connector": c, "repositories": repositories, "tags": tags.len() });
    // Where a registry sends push notifications when it cannot send an
    // Authorization header (Docker Hub): admins only.
    if caller.role == Role::Admin {
        doc["events_path"] = json!(format!(
            "/api/v1/connectors/{}/events?token={}",
            c.id,
            app.keys.capability(EVENTS, &c.id.to_string())
        ));
    }
    Ok(Json(doc))
}

/// A partial update: any settings given replace the stored ones; a
/// password or token replaces the secret; `"clear_secret": true` removes it.
#[derive(Debug, Deserialize)]
struct ConnectorPatch {
    #[serde(flatten)]
    changes: serde_json::Map<String, Value>,
}

async fn update_connector(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(patch): Json<ConnectorPatch>,
) -> ApiResult<Json<Value>> {
    let current = app.store.connector(&id).await?;
    let mut merged =
        serde_json::to_value(&current.spec).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut changes = patch.changes;
    const SETTINGS: [&str; 14] = [
        "url",
        "username",
        "ca_cert",
        "insecure",
        "mode",
        "repositories",
        "tags",
        "scope",
        "enabled",
        "discovery_interval_secs",
        "name",
        "password",
        "token",
        "clear_secret",
    ];
    if let Some(k) = changes.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown connector setting {k:?}"
        )));
    }
    if changes
        .get("name")
        .is_some_and(|n| n.as_str() != Some(current.name.as_str()))
    {
        return Err(ApiError::bad_request(
            "a connector cannot be renamed; remove it and add it again",
        ));
    }
    let text = |v: Option<Value>, what: &str| -> ApiResult<Option<String>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(format!("{what} must be a string"))),
        }
    };
    let password = text(changes.remove("password"), "password")?;
    let token = text(changes.remove("token"), "token")?;
    let clear = match changes.remove("clear_secret") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(ApiError::bad_request("clear_secret must be true or false")),
    };
    changes.remove("name");
    // Filters merge field by field: `{"tags": {"exclude": [...]}}` keeps
    // the include list.
    for key in ["repositories", "tags"] {
        if let (Some(Value::Object(new)), Some(Value::Object(old))) =
            (changes.get_mut(key), merged.get(key))
        {
            for (k, v) in old {
                new.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let changed_keys: Vec<String> = changes.keys().cloned().collect();
    if let Some(obj) = merged.as_object_mut() {
        for (k, v) in changes {
            obj.insert(k, v);
        }
    }
    let spec: ConnectorSpec = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("connector settings: {e}")))?;
    validate_spec(&spec)?;
    let body = ConnectorBody {
        name: None,
        spec: spec.clone(),
        password,
        token,
    };
    let secret = body.secret()?;
    let secret_change = match (&secret, clear) {
        (Some(s), _) => Some(Some(s)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let c = app
        .store
        .update_connector(current.id, &spec, secret_change, &app.keys)
        .await?;
    audit(
        &app,
        &caller,
        "connector.update",
        &c.name,
        json!({ "id": c.id, "changed": changed_keys, "secret_changed": secret_change.is_some() }),
    )
    .await?;
    Ok(Json(json!(c)))
}

async fn remove_connector(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let c = app.store.connector(&id).await?;
    app.store.remove_connector(c.id).await?;
    audit(
        &app,
        &caller,
        "connector.remove",
        &c.name,
        json!({ "id": c.id }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_connector(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = app.store.connector(&id).await?;
    Ok(Json(connector_check(&app, &c).await))
}

async fn test_new_connector(
    State(app): State<Arc<App>>,
    Json(body): Json<ConnectorBody>,
) -> ApiResult<Json<Value>> {
    validate_spec(&body.spec)?;
    // A throwaway connector that is never stored; its secret is sealed
    // only in memory.
    let secret = body.secret()?;
    let c = wharf_store::Connector {
        id: -1,
        name: body.name.clone().unwrap_or_else(|| "(test)".into()),
        spec: body.spec.clone(),
        secret: secret.as_ref().map(|s| s.kind),
        created_at: 0,
        updated_at: 0,
        last_discovery_at: None,
        next_discovery_at: 0,
        last_error: None,
    };
    Ok(Json(connector_check_with(&app, &c, secret).await))
}

async fn connector_check(app: &App, c: &wharf_store::Connector) -> Value {
    match app.store.connector_secret(c.id, &app.keys).await {
        Ok(secret) => connector_check_with(app, c, secret).await,
        Err(e) => {
            json!({ "ok": false, "steps": [{ "step": "secret", "ok": false, "message": e.to_string() }] })
        }
    }
}

/// Reachability, authentication, catalog: each step says what failed.
async fn connector_check_with(
    app: &App,
    c: &wharf_store::Connector,
    secret: Option<ConnectorSecret>,
) -> Value {
    let mut steps = Vec::new();
    let mut step = |name: &str, ok: bool, message: String| {
        steps.push(json!({ "step": name, "ok": ok, "message": message }));
        ok
    };
    let client = jobs::client_with(app, c, secret);
    let (endpoint, config) = match client {
        Ok(x) => x,
        Err(e) => {
            step("settings", false, e.to_string());
            return json!({ "ok": false, "steps": steps });
        }
    };
    let ok = async {
        let client = match wharf_registry::RegistryClient::new(endpoint.clone(), &config) {
            Ok(c) => c,
            Err(e) => return step("settings", false, e.to_string()),
        };
        match client.ping().await {
            Ok(()) => step(
                "reachability and authentication",
                true,
                format!("{} answers the V2 API and accepted the credentials", endpoint),
            ),
            Err(e) => {
                let auth = matches!(
                    e,
                    wharf_registry::RegistryError::Unauthorized { .. }
                        | wharf_registry::RegistryError::Forbidden { .. }
                );
                return step(
                    if auth { "authentication" } else { "reachability" },
                    false,
                    e.to_string(),
                );
            }
        };
        match client.catalog(1).await {
            Ok(repos) => step(
                "catalog",
                true,
                format!("/v2/_catalog is available ({} repositories on the first page)", repos.len()),
            ),
            Err(e) => step(
                "catalog",
                false,
                format!("/v2/_catalog refused ({e}): list repositories in the connector's include patterns"),
            ),
        }
    }
    .await;
    json!({ "ok": ok, "steps": steps })
}

async fn discover_connector(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = app.store.connector(&id).await?;
    let job = app
        .store
        .enqueue(&jobs::discover_job(c.id, priority::MANUAL))
        .await?;
    app.wake.notify_waiters();
    audit(
        &app,
        &caller,
        "connector.discover",
        &c.name,
        json!({ "id": c.id }),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "job": job, "already_queued": job.is_none() })),
    ))
}

/// Registry push notifications (Distribution, Harbor, Docker Hub): any of
/// them makes the connector's discovery due now, which finds the new
/// digest and queues its scan at push priority.
async fn registry_event(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<EventQuery>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let denied =
        || ApiError::unauthorized("an admin token or the connector's event token is required");
    // Unknown connectors look like bad tokens: no probing of ids.
    let c = app.store.connector(&id).await.map_err(|_| denied())?;
    let by_capability = q
        .token
        .as_deref()
        .is_some_and(|t| app.keys.verify_capability(EVENTS, &c.id.to_string(), t));
    if !by_capability {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let token = match bearer {
            Some(t) => app.store.authenticate(t).await?,
            None => None,
        };
        match token {
            Some(t) if t.role == Role::Admin => {}
            Some(_) => {
                return Err(ApiError::forbidden(
                    "push notifications need an admin token or the connector's event token",
                ));
            }
            None => return Err(denied()),
        }
    }
    let pushes = registry_pushes(&body);
    if pushes == 0 {
        return Ok((
            StatusCode::OK,
            Json(json!({ "pushes": 0, "discovery": false })),
        ));
    }
    app.store
        .enqueue(&jobs::discover_job(c.id, priority::NEW_PUSH))
        .await?;
    app.wake.notify_waiters();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "pushes": pushes, "discovery": true })),
    ))
}

/// The capability purpose of connector event tokens.
const EVENTS: &str = "connector-events";

/// `?token=` of a push notification.
#[derive(Debug, Deserialize)]
struct EventQuery {
    token: Option<String>,
}

/// Push events in a notification body of any of the supported registries.
fn registry_pushes(body: &Value) -> usize {
    // Distribution: {"events":[{"action":"push", ...}]}
    if let Some(events) = body["events"].as_array() {
        return events.iter().filter(|e| e["action"] == "push").count();
    }
    // Harbor: {"type":"PUSH_ARTIFACT", "event_data": {...}}
    if body["type"] == "PUSH_ARTIFACT" || body["type"] == "pushImage" {
        return 1;
    }
    // Docker Hub: {"push_data": {...}, "repository": {...}}
    usize::from(body.get("push_data").is_some())
}

// --- catalog --------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct ConnectorQuery {
    connector: Option<String>,
}

async fn connector_id(app: &App, c: &Option<String>) -> ApiResult<Option<i64>> {
    match c {
        None => Ok(None),
        Some(c) => Ok(Some(app.store.connector(c).await?.id)),
    }
}

async fn list_repositories(
    State(app): State<Arc<App>>,
    Query(q): Query<ConnectorQuery>,
) -> ApiResult<Json<Value>> {
    let id = connector_id(&app, &q.connector).await?;
    Ok(Json(json!({ "items": app.store.repositories(id).await? })))
}

async fn repository_tags(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": app.store.tags(Some(id)).await? })))
}

async fn list_tags(
    State(app): State<Arc<App>>,
    Query(q): Query<ConnectorQuery>,
) -> ApiResult<Json<Value>> {
    let items = match connector_id(&app, &q.connector).await? {
        Some(id) => app.store.connector_tags(id).await?,
        None => app.store.tags(None).await?,
    };
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
struct ImageQuery {
    state: Option<String>,
}

async fn list_images(
    State(app): State<Arc<App>>,
    Query(q): Query<ImageQuery>,
) -> ApiResult<Json<Value>> {
    let state = match q.state.as_deref() {
        None => None,
        Some("discovered") => Some(ScanState::Discovered),
        Some("queued") => Some(ScanState::Queued),
        Some("scanned") => Some(ScanState::Scanned),
        Some("failed") => Some(ScanState::Failed),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "state {other:?}: use discovered, queued, scanned or failed"
            )));
        }
    };
    Ok(Json(json!({ "items": app.store.images(state).await? })))
}

async fn show_image(
    State(app): State<Arc<App>>,
    Path(digest): Path<String>,
) -> ApiResult<Json<Value>> {
    let image = app.store.image(&digest).await?;
    let inventories: Vec<Value> = app
        .store
        .inventories_of(&digest)
        .await?
        .iter()
        .map(|i| {
            let packages = serde_json::from_slice::<Value>(&i.json)
                .ok()
                .and_then(|v| v["packages"].as_array().map(Vec::len))
                .unwrap_or(0);
            json!({ "platform": i.platform, "manifest_digest": i.manifest_digest, "packages": packages })
        })
        .collect();
    Ok(Json(json!({ "image": image, "inventories": inventories })))
}

async fn scan_image(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(digest): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    app.store.image(&digest).await?;
    // Any connector that holds it.
    let mut chosen = None;
    for c in app.store.connectors().await? {
        if app.store.repository_of(c.id, &digest).await?.is_some() {
            chosen = Some(c);
            break;
        }
    }
    let c =
        chosen.ok_or_else(|| ApiError::bad_request("no connector holds this image any more"))?;
    // A manual scan always runs, even if the image is already scanned.
    let lane = jobs::lane_of(&c)?;
    let queued = jobs::enqueue_scan(&app, &digest, c.id, &lane, priority::MANUAL, true).await?;
    app.wake.notify_waiters();
    audit(
        &app,
        &caller,
        "image.scan",
        &digest,
        json!({ "connector": c.name }),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

#[derive(Debug, Deserialize)]
struct SbomQuery {
    format: Option<String>,
    platform: Option<String>,
}

async fn image_sbom(
    State(app): State<Arc<App>>,
    Path(digest): Path<String>,
    Query(q): Query<SbomQuery>,
) -> ApiResult<Response> {
    let inventories = app.store.inventories_of(&digest).await?;
    let stored = match (&q.platform, inventories.as_slice()) {
        (_, []) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Not found",
                format!("image {digest} has no inventory yet"),
            ));
        }
        (None, [one]) => one,
        (Some(p), many) => many
            .iter()
            .find(|i| &i.platform == p)
            .ok_or_else(|| ApiError::bad_request(format!("no platform {p:?} in {digest}")))?,
        (None, many) => {
            return Err(ApiError::bad_request(format!(
                "{digest} has {} platform images: choose one with ?platform= ({})",
                many.len(),
                many.iter()
                    .map(|i| i.platform.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let inv: wharf_inventory::Inventory = serde_json::from_slice(&stored.json)
        .map_err(|e| ApiError::from(ServerError::Stored(format!("inventory: {e}"))))?;
    let options = wharf_inventory::SbomOptions::now(env!("CARGO_PKG_VERSION"));
    let (doc, ctype) = match q.format.as_deref().unwrap_or("cyclonedx") {
        "cyclonedx" => (
            wharf_inventory::to_cyclonedx(&inv, &options),
            "application/vnd.cyclonedx+json",
        ),
        "spdx" => (
            wharf_inventory::to_spdx(&inv, &options),
            "application/spdx+json",
        ),
        other => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: use cyclonedx or spdx"
            )));
        }
    };
    Ok(([(header::CONTENT_TYPE, ctype)], Json(doc)).into_response())
}

// --- scans and jobs -------------------------------------------------------

#[derive(Debug, Deserialize)]
struct JobQuery {
    state: Option<String>,
    limit: Option<i64>,
}

async fn list_scans(
    State(app): State<Arc<App>>,
    Query(q): Query<JobQuery>,
) -> ApiResult<Json<Value>> {
    let items = app
        .store
        .jobs(
            q.state.as_deref(),
            Some(jobs::kind::SCAN),
            q.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await?;
    let counts = app.store.job_counts().await?;
    let progress: serde_json::Map<String, Value> = counts
        .iter()
        .filter(|(k, _, _)| k == jobs::kind::SCAN)
        .map(|(_, s, n)| (s.clone(), json!(n)))
        .collect();
    Ok(Json(json!({ "progress": progress, "items": items })))
}

async fn show_job(State(app): State<Arc<App>>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.store.job(id).await?)))
}

// --- findings -------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct FindingQuery {
    kind: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    connector: Option<String>,
    repository: Option<String>,
    image: Option<String>,
    kev: Option<bool>,
    vulnerability: Option<String>,
    sort: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| {
            s.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

async fn list_findings(
    State(app): State<Arc<App>>,
    Query(q): Query<FindingQuery>,
) -> ApiResult<Json<Value>> {
    let sort = match q.sort.as_deref() {
        None => FindingSort::Severity,
        Some(s) => FindingSort::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("sort {s:?}: use severity, first_seen or id"))
        })?,
    };
    let severities = list(&q.severity);
    for s in &severities {
        if !["critical", "high", "medium", "low", "unknown"].contains(&s.as_str()) {
            return Err(ApiError::bad_request(format!(
                "severity {s:?}: use critical, high, medium, low, unknown"
            )));
        }
    }
    let filter = FindingFilter {
        kinds: list(&q.kind),
        severities,
        statuses: list(&q.status),
        connector_id: connector_id(&app, &q.connector).await?,
        repository: q.repository,
        image: q.image,
        kev: q.kev,
        vulnerability: q.vulnerability,
        sort,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        cursor: q.cursor,
    };
    let page = app.store.findings(&filter).await.map_err(|e| match e {
        StoreError::NotFound { kind: "cursor", .. } => ApiError::bad_request("cursor is not valid"),
        other => other.into(),
    })?;
    Ok(Json(json!(page)))
}

async fn show_finding(State(app): State<Arc<App>>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.store.finding(id).await?)))
}

// --- exceptions -----------------------------------------------------------

async fn list_exceptions(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": app.store.exceptions().await? })))
}

async fn create_exception(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let e: wharf_policy::Exception = serde_json::from_value(body.clone())
        .map_err(|e| ApiError::bad_request(format!("exception: {e}")))?;
    if e.justification.trim().is_empty() {
        return Err(ApiError::bad_request("an exception needs a justification"));
    }
    if e.id.is_none() && e.rule.is_none() && e.package.is_none() {
        return Err(ApiError::bad_request(
            "an exception needs an id, a rule or a package",
        ));
    }
    let expires_at = e.expires.map(|d| {
        jiff::tz::TimeZone::UTC
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map(|t| t.as_second())
            .unwrap_or(i64::MAX)
    });
    let mut spec = body;
    if spec.get("approved_by").is_none() {
        spec["approved_by"] = json!(caller.name);
    }
    let id = app
        .store
        .create_exception(&spec, &caller.name, expires_at)
        .await?;
    audit(
        &app,
        &caller,
        "exception.create",
        &id.to_string(),
        spec.clone(),
    )
    .await?;
    queue_reevaluation(&app, "exception").await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "spec": spec, "expires_at": expires_at })),
    ))
}

async fn delete_exception(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    app.store.delete_exception(id).await?;
    audit(
        &app,
        &caller,
        "exception.delete",
        &id.to_string(),
        json!({}),
    )
    .await?;
    queue_reevaluation(&app, "exception").await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn queue_reevaluation(app: &App, cause: &str) -> ApiResult<Option<i64>> {
    let id = app
        .store
        .enqueue(&jobs::reevaluate_job(&ReevaluateJob {
            cause: cause.into(),
            ..ReevaluateJob::default()
        }))
        .await?;
    app.wake.notify_waiters();
    Ok(id)
}

// --- re-evaluation --------------------------------------------------------

async fn list_reevaluations(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": app.store.reevaluations(100).await? }),
    ))
}

async fn trigger_reevaluation(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let job = queue_reevaluation(&app, "api").await?;
    audit(
        &app,
        &caller,
        "reevaluation.trigger",
        "all",
        json!({ "job": job }),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "job": job, "already_queued": job.is_none() })),
    ))
}

async fn show_reevaluation(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let run = app.store.reevaluation(id).await?;
    let deltas = app.store.deltas(id).await?;
    Ok(Json(json!({ "run": run, "deltas": deltas })))
}

// --- tokens, webhooks, audit, status --------------------------------------

async fn list_tokens(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": app.store.tokens().await? })))
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    name: String,
    role: String,
}

async fn create_token(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<TokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::bad_request("role must be admin or viewer"))?;
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("name is required"));
    }
    let value = crate::auth::new_token();
    let t = app.store.create_token(&body.name, role, &value).await?;
    audit(
        &app,
        &caller,
        "token.create",
        &body.name,
        json!({ "id": t.id, "role": role }),
    )
    .await?;
    // The only time the value is shown.
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": t, "value": value })),
    ))
}

async fn revoke_token(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    app.store.revoke_token(id).await?;
    audit(&app, &caller, "token.revoke", &id.to_string(), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_webhooks(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let items: Vec<_> = app
        .store
        .webhooks(&app.keys)
        .await?
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
struct WebhookBody {
    url: String,
    secret: String,
    #[serde(default = "default_min")]
    min_severity: String,
}

fn default_min() -> String {
    "high".into()
}

async fn create_webhook(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<WebhookBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    url::Url::parse(&body.url).map_err(|e| ApiError::bad_request(format!("url: {e}")))?;
    if body.secret.len() < 16 {
        return Err(ApiError::bad_request(
            "secret must be at least 16 characters",
        ));
    }
    let min = match wharf_types::Severity::parse(&body.min_severity) {
        Some(s) if s != wharf_types::Severity::Unknown => s.as_str(),
        _ => {
            return Err(ApiError::bad_request(
                "min_severity: use critical, high, medium or low",
            ));
        }
    };
    let w = app
        .store
        .create_webhook(&body.url, &body.secret, min, &app.keys)
        .await?;
    audit(
        &app,
        &caller,
        "webhook.create",
        &body.url,
        json!({ "id": w.id, "min_severity": w.min_severity }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(w))))
}

async fn delete_webhook(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    app.store.delete_webhook(id).await?;
    audit(&app, &caller, "webhook.delete", &id.to_string(), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit_log(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": app.store.audit_log(500).await? })))
}

async fn status(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let jobs: Vec<Value> = app
        .store
        .job_counts()
        .await?
        .into_iter()
        .map(|(k, s, n)| json!({ "kind": k, "state": s, "count": n }))
        .collect();
    let findings: Vec<Value> = app
        .store
        .finding_counts()
        .await?
        .into_iter()
        .map(|(k, s, n)| json!({ "kind": k, "severity": s, "count": n }))
        .collect();
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "backend": format!("{:?}", app.store.backend()).to_lowercase(),
        "snapshot_id": app.engine.snapshot().map(|s| s.id().to_owned()),
        "scanner": app.engine.scanner_version(),
        "caller": { "name": caller.name, "role": caller.role },
        "jobs": jobs,
        "findings": findings,
    })))
}
