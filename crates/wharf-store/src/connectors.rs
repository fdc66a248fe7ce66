//! Connectors: a registry, its sealed credentials and what to scan.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use wharf_types::SecretString;

use crate::{
    Connector, ConnectorSecret, ConnectorSpec, Result, SecretBox, SecretKind, Store, StoreError,
    dynamic, flag, now,
};

/// The associated data connector secrets are sealed with.
const PURPOSE: &str = "wharf/connector-secret/v1";

#[derive(Serialize, Deserialize)]
struct SealedSecret {
    kind: SecretKind,
    value: String,
}

const COLUMNS: &str = "id, name, spec, secret_kind, created_at, updated_at, last_discovery_at, \
                       next_discovery_at, last_error";

fn connector(row: &AnyRow) -> Result<Connector> {
    let spec: String = row.try_get("spec")?;
    let secret: Option<String> = row.try_get("secret_kind")?;
    Ok(Connector {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        spec: serde_json::from_str(&spec).map_err(StoreError::json("connector settings"))?,
        secret: secret.as_deref().map(|k| match k {
            "token" => SecretKind::Token,
            _ => SecretKind::Password,
        }),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_discovery_at: row.try_get("last_discovery_at")?,
        next_discovery_at: row.try_get("next_discovery_at")?,
        last_error: row.try_get("last_error")?,
    })
}

fn seal(keys: &SecretBox, secret: &ConnectorSecret) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(&SealedSecret {
        kind: secret.kind,
        value: secret.value.expose().to_owned(),
    })
    .map_err(StoreError::json("connector secret"))?;
    keys.seal(PURPOSE, &plain)
}

impl Store {
    /// Add a connector; its secret is sealed with `keys`. Discovery is due
    /// at once.
    pub async fn create_connector(
        &self,
        name: &str,
        spec: &ConnectorSpec,
        secret: Option<&ConnectorSecret>,
        keys: &SecretBox,
    ) -> Result<Connector> {
        let sealed = secret.map(|s| seal(keys, s)).transpose()?;
        let json = serde_json::to_string(spec).map_err(StoreError::json("connector settings"))?;
        let t = now();
        let row = sqlx::query(dynamic(format!(
            "INSERT INTO connectors (name, spec, secret, secret_kind, enabled, created_at, updated_at, next_discovery_at)
             VALUES ($1, $2, $3, $6, $4, $5, $5, $5) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
        )))
        .bind(name)
        .bind(json)
        .bind(sealed)
        .bind(flag(spec.enabled))
        .bind(t)
        .bind(secret.map(|s| s.kind.as_str()))
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| StoreError::Conflict {
            kind: "connector",
            id: name.to_owned(),
        })?;
        connector(&row)
    }

    /// Every connector, by name.
    pub async fn connectors(&self) -> Result<Vec<Connector>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {COLUMNS} FROM connectors ORDER BY name"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(connector).collect()
    }

    /// One connector by id or name.
    pub async fn connector(&self, id_or_name: &str) -> Result<Connector> {
        let row = match id_or_name.parse::<i64>() {
            Ok(id) => {
                sqlx::query(dynamic(format!(
                    "SELECT {COLUMNS} FROM connectors WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            }
            Err(_) => {
                sqlx::query(dynamic(format!(
                    "SELECT {COLUMNS} FROM connectors WHERE name = $1"
                )))
                .bind(id_or_name)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        let row = row.ok_or_else(|| StoreError::NotFound {
            kind: "connector",
            id: id_or_name.to_owned(),
        })?;
        connector(&row)
    }

    /// Change a connector's settings and, when `secret` is `Some`, its
    /// secret (`Some(None)` removes it). Discovery becomes due at once.
    pub async fn update_connector(
        &self,
        id: i64,
        spec: &ConnectorSpec,
        secret: Option<Option<&ConnectorSecret>>,
        keys: &SecretBox,
    ) -> Result<Connector> {
        let json = serde_json::to_string(spec).map_err(StoreError::json("connector settings"))?;
        let t = now();
        let result = match secret {
            None => {
                sqlx::query(
                    "UPDATE connectors SET spec = $1, enabled = $2, updated_at = $3, next_discovery_at = $3 WHERE id = $4",
                )
                .bind(json)
                .bind(flag(spec.enabled))
                .bind(t)
                .bind(id)
                .execute(&self.pool)
                .await?
            }
            Some(s) => {
                let sealed = s.map(|s| seal(keys, s)).transpose()?;
                sqlx::query(
                    "UPDATE connectors SET spec = $1, enabled = $2, updated_at = $3, next_discovery_at = $3, secret = $4, secret_kind = $6 WHERE id = $5",
                )
                .bind(json)
                .bind(flag(spec.enabled))
                .bind(t)
                .bind(sealed)
                .bind(id)
                .bind(s.map(|s| s.kind.as_str()))
                .execute(&self.pool)
                .await?
            }
        };
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "connector",
                id: id.to_string(),
            });
        }
        self.connector(&id.to_string()).await
    }

    /// Remove a connector with its repositories and tags. Images and their
    /// findings stay while another connector's tag points at them; the rest
    /// are removed.
    pub async fn remove_connector(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM tags WHERE repository_id IN (SELECT id FROM repositories WHERE connector_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM repositories WHERE connector_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM connectors WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "connector",
                id: id.to_string(),
            });
        }
        tx.commit().await?;
        self.remove_orphan_images().await
    }

    /// The connector's secret in clear, for the registry client only.
    pub async fn connector_secret(
        &self,
        id: i64,
        keys: &SecretBox,
    ) -> Result<Option<ConnectorSecret>> {
        let sealed: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT secret FROM connectors WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(sealed) = sealed.flatten() else {
            return Ok(None);
        };
        let plain = keys
            .open(PURPOSE, &sealed)
            .map_err(|_| StoreError::Decrypt(format!("of connector {id}")))?;
        let s: SealedSecret =
            serde_json::from_slice(&plain).map_err(StoreError::json("connector secret"))?;
        Ok(Some(ConnectorSecret {
            kind: s.kind,
            value: SecretString::new(s.value),
        }))
    }

    /// Enabled connectors whose discovery is due at `at`.
    pub async fn due_connectors(&self, at: i64) -> Result<Vec<Connector>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {COLUMNS} FROM connectors WHERE enabled = 1 AND next_discovery_at <= $1 ORDER BY next_discovery_at"
        )))
        .bind(at)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(connector).collect()
    }

    /// Record a discovery's end: when it finished, its error (if it
    /// failed) and when the next is due.
    pub async fn finish_discovery(&self, id: i64, error: Option<&str>, next_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE connectors SET last_discovery_at = $1, last_error = $2, next_discovery_at = $3 WHERE id = $4",
        )
        .bind(now())
        .bind(error)
        .bind(next_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Make a connector's discovery due now (the API's trigger, webhooks).
    pub async fn discover_now(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE connectors SET next_discovery_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
