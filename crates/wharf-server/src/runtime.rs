//! The background side of the server: a scheduler tick and a pool of
//! workers draining the job queue.
//!
//! The scheduler, every `tick_secs`: puts back jobs whose worker died
//! (lease expired), enqueues discoveries that are due, and enqueues a
//! re-evaluation when the vulnerability database has a new snapshot
//! (targeted at the packages the update changed) or when the interval
//! since the last full run has passed. Workers claim jobs, renew their
//! lease while they run, and record success or failure (retried with
//! exponential backoff up to `max_attempts`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use wharf_store::{JobState, ScanState, now};

use crate::jobs::{self, ReevaluateJob, kind, priority};
use crate::{App, ServerError};

/// Run the scheduler until `stop` turns true.
pub async fn scheduler(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let tick = Duration::from_secs(app.config.tick_secs);
    loop {
        if let Err(e) = schedule_once(&app).await {
            tracing::warn!("scheduler: {e}");
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One scheduler pass.
pub async fn schedule_once(app: &App) -> Result<(), ServerError> {
    let requeued = app.store.requeue_expired().await?;
    if requeued > 0 {
        tracing::warn!(
            jobs = requeued,
            "jobs of a stopped worker put back in the queue"
        );
    }
    for c in app.store.due_connectors(now()).await? {
        app.store
            .enqueue(&jobs::discover_job(c.id, priority::DISCOVERY))
            .await?;
    }
    // A new database snapshot: re-evaluate what it changed.
    let evaluated = app.store.setting("reevaluated_snapshot").await?;
    if let Some(on_disk) = app.engine.current_snapshot_id()
        && evaluated.as_deref() != Some(on_disk.as_str())
    {
        let job = match app.refresh_snapshot().await? {
            Some((Some(previous), current)) if evaluated.as_deref() == Some(previous.id()) => {
                let (packages, cves) = previous.diff(&current);
                tracing::info!(
                    from = previous.id(),
                    to = current.id(),
                    packages = packages.len(),
                    kev_changes = cves.len(),
                    "database updated: targeted re-evaluation"
                );
                ReevaluateJob {
                    cause: "db_update".into(),
                    packages: Some(packages),
                    cves,
                }
            }
            // No earlier snapshot in memory to diff against: everything.
            _ => ReevaluateJob {
                cause: "db_update".into(),
                ..ReevaluateJob::default()
            },
        };
        app.store.enqueue(&jobs::reevaluate_job(&job)).await?;
        // Claimed by the job when it runs; noted now so the next tick does
        // not queue it again.
        app.store
            .set_setting("reevaluated_snapshot", &on_disk)
            .await?;
    }
    // The policy file changed: everything is evaluated again under it.
    let known = app.store.setting("policy_digest").await?;
    match app.engine.reload_policy(known.as_deref()) {
        Ok(Some(digest)) => {
            tracing::info!("policy file changed: full re-evaluation");
            app.store
                .enqueue(&jobs::reevaluate_job(&ReevaluateJob {
                    cause: "policy".into(),
                    ..ReevaluateJob::default()
                }))
                .await?;
            app.store.set_setting("policy_digest", &digest).await?;
        }
        Ok(None) => {}
        Err(e) => tracing::warn!("policy not reloaded, the previous one stays in force: {e}"),
    }
    // The periodic full run.
    let last: i64 = app
        .store
        .setting("last_scheduled_reevaluation")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let interval = i64::try_from(app.config.reevaluate_interval_secs).unwrap_or(i64::MAX);
    if last == 0 {
        // First start: the interval counts from now.
        app.store
            .set_setting("last_scheduled_reevaluation", &now().to_string())
            .await?;
    } else if now() - last >= interval {
        app.store
            .enqueue(&jobs::reevaluate_job(&ReevaluateJob {
                cause: "schedule".into(),
                ..ReevaluateJob::default()
            }))
            .await?;
        app.store
            .set_setting("last_scheduled_reevaluation", &now().to_string())
            .await?;
    }
    Ok(())
}

/// Run one worker until `stop` turns true.
pub async fn worker(app: Arc<App>, name: String, mut stop: watch::Receiver<bool>) {
    let lease = i64::try_from(app.config.lease_secs).unwrap_or(60);
    let lane_limit = i64::try_from(app.config.registry_concurrency).unwrap_or(1);
    let kinds = [kind::DISCOVER, kind::SCAN, kind::REEVALUATE, kind::WEBHOOK];
    loop {
        if *stop.borrow() {
            return;
        }
        let job = match app.store.claim(&name, &kinds, lease, lane_limit).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(worker = %name, "claiming a job: {e}");
                None
            }
        };
        let Some(job) = job else {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = app.wake.notified() => {}
                _ = stop.changed() => return,
            }
            continue;
        };
        // Renew the lease while the job runs.
        let beat = {
            let (app, name, id) = (app.clone(), name.clone(), job.id);
            tokio::spawn(async move {
                let every = Duration::from_secs((lease / 3).max(1) as u64);
                loop {
                    tokio::time::sleep(every).await;
                    if !matches!(app.store.heartbeat(id, &name, lease).await, Ok(true)) {
                        return;
                    }
                }
            })
        };
        let result = run(&app, &job.kind, &job.payload).await;
        beat.abort();
        match result {
            Ok(()) => {
                if let Err(e) = app.store.complete(job.id).await {
                    tracing::warn!(job = job.id, "recording completion: {e}");
                }
            }
            Err(e) => {
                app.metrics.job_failed();
                // After attempt n: base × 2^(n-1) (30 s, 60 s, 120 s … by
                // default), capped at an hour.
                let base = i64::try_from(app.config.retry_base_secs).unwrap_or(30);
                let backoff = base
                    .saturating_mul(1i64 << (job.attempts - 1).clamp(0, 16))
                    .min(3600);
                let state = app
                    .store
                    .fail(job.id, &e.to_string(), backoff)
                    .await
                    .unwrap_or(JobState::Failed);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, ?state, "job failed: {e}");
                if state == JobState::Failed
                    && job.kind == kind::SCAN
                    && let Some(digest) = job.payload["digest"].as_str()
                {
                    let _ = app
                        .store
                        .set_scan_state(digest, ScanState::Failed, None, Some(&e.to_string()))
                        .await;
                }
            }
        }
    }
}

async fn run(app: &App, kind: &str, payload: &serde_json::Value) -> Result<(), ServerError> {
    fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, ServerError> {
        serde_json::from_value(v.clone())
            .map_err(|e| ServerError::Stored(format!("job payload: {e}")))
    }
    match kind {
        kind::DISCOVER => jobs::discover(app, &parse(payload)?).await,
        kind::SCAN => jobs::scan(app, &parse(payload)?).await,
        kind::REEVALUATE => jobs::reevaluate(app, &parse(payload)?).await.map(|_| ()),
        kind::WEBHOOK => crate::notify::deliver(app, &parse(payload)?).await,
        other => Err(ServerError::Stored(format!("unknown job kind {other:?}"))),
    }
}
