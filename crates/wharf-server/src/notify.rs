//! Outgoing notifications: a webhook per subscriber for new findings at or
//! above its severity, signed with HMAC-SHA256 and delivered through the
//! job queue (so deliveries are retried with backoff and survive restarts).
//!
//! The body is JSON; `X-Wharf-Signature: sha256=<hex>` is the HMAC of the
//! exact body bytes with the webhook's secret, and `X-Wharf-Delivery` a
//! unique id receivers can deduplicate on.

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use wharf_store::{DeltaChange, NewJob, SyncOutcome, now};
use wharf_types::Severity;

use crate::jobs::kind;
use crate::{App, ServerError};

/// A queued delivery.
#[derive(Debug, Serialize, Deserialize)]
pub struct Delivery {
    /// Webhook id.
    pub webhook_id: i64,
    /// Unique delivery id.
    pub delivery: String,
    /// The JSON body to send.
    pub body: serde_json::Value,
}

/// The signature header's value for `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Queue notifications for the new findings of `outcome`.
pub async fn new_findings(
    app: &App,
    image_digest: &str,
    outcome: &SyncOutcome,
) -> Result<(), ServerError> {
    let new: Vec<i64> = outcome
        .changes
        .iter()
        .filter(|c| c.1 == DeltaChange::New)
        .map(|c| c.0)
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let hooks = app.store.webhooks(&app.keys).await?;
    if hooks.iter().all(|(h, _)| !h.enabled) {
        return Ok(());
    }
    let mut findings = Vec::with_capacity(new.len());
    for id in new {
        findings.push(app.store.finding(id).await?);
    }
    let enabled: Vec<wharf_store::Webhook> = hooks
        .into_iter()
        .filter_map(|(h, _)| h.enabled.then_some(h))
        .collect();
    for hook in enabled {
        let min = Severity::parse(&hook.min_severity).unwrap_or(Severity::High);
        let selected: Vec<serde_json::Value> = findings
            .iter()
            .filter(|f| Severity::parse(&f.severity).is_some_and(|s| s >= min))
            .map(|f| {
                serde_json::json!({
                    "id": f.id, "kind": f.kind, "severity": f.severity, "title": f.title,
                    "rule_id": f.rule_id, "vulnerability": f.vulnerability, "package": f.package,
                    "kev": f.kev, "platform": f.platform,
                })
            })
            .collect();
        if selected.is_empty() {
            continue;
        }
        let delivery = format!("{}-{}-{}", hook.id, now(), random_id());
        let body = serde_json::json!({
            "event": "findings.new",
            "image": image_digest,
            "findings": selected,
        });
        app.store
            .enqueue(&NewJob {
                kind: kind::WEBHOOK.into(),
                key: format!("webhook:{delivery}"),
                lane: String::new(),
                payload: serde_json::json!(Delivery {
                    webhook_id: hook.id,
                    delivery,
                    body,
                }),
                priority: 25,
                max_attempts: 6,
                run_after: 0,
            })
            .await?;
    }
    Ok(())
}

/// 64 random bits in hex: part of a delivery id receivers can deduplicate on.
fn random_id() -> String {
    let mut b = [0u8; 8];
    let _ = aws_lc_rs::rand::fill(&mut b);
    hex::encode(b)
}

/// Deliver one queued notification.
pub async fn deliver(app: &App, d: &Delivery) -> Result<(), ServerError> {
    let hooks = app.store.webhooks(&app.keys).await?;
    let Some((hook, secret)) = hooks.into_iter().find(|(h, _)| h.id == d.webhook_id) else {
        return Ok(()); // deleted meanwhile
    };
    let body = serde_json::to_vec(&d.body).map_err(|e| ServerError::Invalid(e.to_string()))?;
    let resp = app
        .http
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-wharf-event", "findings.new")
        .header("x-wharf-delivery", &d.delivery)
        .header("x-wharf-signature", signature(&secret, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| ServerError::Webhook(format!("{}: {e}", hook.url)))?;
    if !resp.status().is_success() {
        return Err(ServerError::Webhook(format!(
            "{} answered {}",
            hook.url,
            resp.status()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
