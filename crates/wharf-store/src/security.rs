//! API tokens, the audit log, exceptions and webhooks.

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use sqlx::Row as _;

use crate::{Result, SecretBox, Store, StoreError, flag, now};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Read only.
    Viewer,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }

    /// Parse `admin` or `viewer`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }
}

/// An API token (never its value).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: i64,
    /// Last used.
    pub last_used_at: Option<i64>,
}

/// An audit-log entry.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Id.
    pub id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// Token name that acted.
    pub actor: String,
    /// `connector.create`, …
    pub action: String,
    /// What it acted on.
    pub target: String,
    /// Details (never a secret).
    pub detail: serde_json::Value,
}

/// A notification webhook (never its signing secret).
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    /// Id.
    pub id: i64,
    /// Where to POST.
    pub url: String,
    /// Lowest severity that notifies.
    pub min_severity: String,
    /// Active.
    pub enabled: bool,
    /// Created.
    pub created_at: i64,
}

/// A stored exception.
#[derive(Debug, Clone, Serialize)]
pub struct StoredException {
    /// Id.
    pub id: i64,
    /// The exception (`wharf_policy::Exception` JSON).
    pub spec: serde_json::Value,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub created_at: i64,
    /// Expires (Unix seconds).
    pub expires_at: Option<i64>,
}

const WEBHOOK_PURPOSE: &str = "wharf/webhook-secret/v1";

/// The stored form of a token: its SHA-256. Tokens are 256 random bits, so
/// a fast hash is as strong as a slow one and checks stay cheap.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Store a token's hash.
    pub async fn create_token(&self, name: &str, role: Role, token: &str) -> Result<ApiToken> {
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash(token))
        .bind(t)
        .fetch_one(&self.pool)
        .await?;
        Ok(ApiToken {
            id,
            name: name.to_owned(),
            role,
            created_at: t,
            last_used_at: None,
        })
    }

    /// The live token with this value, if any (and note its use).
    pub async fn authenticate(&self, token: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(
            "SELECT id, name, role, created_at, last_used_at FROM api_tokens
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let t = now();
        let last: Option<i64> = row.try_get("last_used_at")?;
        // At most one write a minute per token.
        if last.is_none_or(|l| t - l >= 60) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(t)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        let role: String = row.try_get("role")?;
        Ok(Some(ApiToken {
            id,
            name: row.try_get("name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            created_at: row.try_get("created_at")?,
            last_used_at: Some(t),
        }))
    }

    /// Live tokens.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, name, role, created_at, last_used_at FROM api_tokens WHERE revoked_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: Role::parse(&role).unwrap_or(Role::Viewer),
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Revoke a token.
    pub async fn revoke_token(&self, id: i64) -> Result<()> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "token",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Append to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: serde_json::from_str(&detail)
                        .map_err(StoreError::json("audit detail"))?,
                })
            })
            .collect()
    }

    /// Store an exception.
    pub async fn create_exception(
        &self,
        spec: &serde_json::Value,
        created_by: &str,
        expires_at: Option<i64>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO exceptions (spec, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(spec.to_string())
        .bind(created_by)
        .bind(now())
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every exception (expired ones too: evaluation ignores those).
    pub async fn exceptions(&self) -> Result<Vec<StoredException>> {
        let rows = sqlx::query(
            "SELECT id, spec, created_by, created_at, expires_at FROM exceptions ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let spec: String = r.try_get("spec")?;
                Ok(StoredException {
                    id: r.try_get("id")?,
                    spec: serde_json::from_str(&spec).map_err(StoreError::json("exception"))?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect()
    }

    /// Delete an exception.
    pub async fn delete_exception(&self, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM exceptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "exception",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Add a webhook; its signing secret is sealed.
    pub async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        min_severity: &str,
        keys: &SecretBox,
    ) -> Result<Webhook> {
        let t = now();
        let sealed = keys.seal(WEBHOOK_PURPOSE, secret.as_bytes())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, secret, min_severity, enabled, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(url)
        .bind(sealed)
        .bind(min_severity)
        .bind(flag(true))
        .bind(t)
        .fetch_one(&self.pool)
        .await?;
        Ok(Webhook {
            id,
            url: url.to_owned(),
            min_severity: min_severity.to_owned(),
            enabled: true,
            created_at: t,
        })
    }

    /// Webhooks with their signing secrets opened (for delivery only).
    pub async fn webhooks(&self, keys: &SecretBox) -> Result<Vec<(Webhook, String)>> {
        let rows = sqlx::query(
            "SELECT id, url, secret, min_severity, enabled, created_at FROM webhooks ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let sealed: Vec<u8> = r.try_get("secret")?;
                let secret = keys
                    .open(WEBHOOK_PURPOSE, &sealed)
                    .map_err(|_| StoreError::Decrypt(format!("of webhook {id}")))?;
                let enabled: i64 = r.try_get("enabled")?;
                Ok((
                    Webhook {
                        id,
                        url: r.try_get("url")?,
                        min_severity: r.try_get("min_severity")?,
                        enabled: enabled != 0,
                        created_at: r.try_get("created_at")?,
                    },
                    String::from_utf8_lossy(&secret).into_owned(),
                ))
            })
            .collect()
    }

    /// Delete a webhook.
    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "webhook",
                id: id.to_string(),
            });
        }
        Ok(())
    }
}
