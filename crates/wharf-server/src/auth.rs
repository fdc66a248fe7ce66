//! API authentication: bearer tokens, stored as SHA-256 hashes, with two
//! roles. `GET` needs any live token (viewer or admin); everything that
//! changes state needs an admin token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use wharf_store::Role;

use crate::App;
use crate::api::ApiError;

/// Who is calling (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The token's name (the audit log's actor).
    pub(crate) name: String,
    /// Its role.
    pub(crate) role: Role,
}

/// A new random token: `wharf_` + 32 random bytes, URL-safe base64.
pub(crate) fn new_token() -> String {
    let mut b = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut b);
    format!(
        "wharf_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// Middleware: authenticate, then authorise by method.
pub(crate) async fn require_token(
    State(app): State<Arc<App>>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ApiError::unauthorized(
            "an API token is required: Authorization: Bearer TOKEN",
        ));
    };
    let Some(t) = app.store.authenticate(token).await? else {
        return Err(ApiError::unauthorized(
            "the API token is not valid (unknown or revoked)",
        ));
    };
    let read_only = matches!(*req.method(), Method::GET | Method::HEAD);
    if !read_only && t.role != Role::Admin {
        return Err(ApiError::forbidden(&format!(
            "token {:?} has role viewer: {} {} needs an admin token",
            t.name,
            req.method(),
            req.uri().path()
        )));
    }
    req.extensions_mut().insert(Caller {
        name: t.name,
        role: t.role,
    });
    app.metrics.http_request();
    Ok(next.run(req).await)
}
