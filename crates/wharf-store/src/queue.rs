//! The job queue: durable, leased, deduplicated.
//!
//! A job is claimed by setting a lease (`lease_until`); a worker that dies
//! (kill -9, a lost node) stops renewing it and [`Store::requeue_expired`]
//! puts the job back, so it runs again and nothing is lost. A job's key
//! (`scan:sha256:…`) is unique among queued and running jobs, so the same
//! work is never queued twice; its handler must be idempotent, which the
//! store's upserts make it. On PostgreSQL, claims use `FOR UPDATE SKIP
//! LOCKED` so any number of processes can share the queue; SQLite
//! serialises writers, which makes the same statement atomic there.
//! Lanes (one per registry) bound how many jobs of one registry run at
//! once.

use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Backend, Result, Store, dynamic, now};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// `discover`, `scan`, `reevaluate`, `webhook`.
    pub kind: String,
    /// Deduplication key.
    pub key: String,
    /// Concurrency lane (the registry host), or `""`.
    pub lane: String,
    /// JSON payload.
    pub payload: serde_json::Value,
    /// Higher runs first.
    pub priority: i64,
    /// Attempts before giving up.
    pub max_attempts: i64,
    /// Not before (Unix seconds).
    pub run_after: i64,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting.
    Queued,
    /// Claimed by a worker.
    Running,
    /// Finished.
    Done,
    /// Gave up after its attempts.
    Failed,
}

impl JobState {
    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => Self::Queued,
        }
    }
}

/// A job.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Key.
    pub key: String,
    /// Lane.
    pub lane: String,
    /// Payload.
    pub payload: serde_json::Value,
    /// Priority.
    pub priority: i64,
    /// State.
    pub state: JobState,
    /// Attempts so far (including the running one).
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

const JOB_COLUMNS: &str = "id, kind, job_key, lane, payload, priority, state, attempts, \
    max_attempts, last_error, created_at, updated_at";

fn job(row: &AnyRow) -> Result<Job> {
    let payload: String = row.try_get("payload")?;
    let state: String = row.try_get("state")?;
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        key: row.try_get("job_key")?,
        lane: row.try_get("lane")?,
        payload: serde_json::from_str(&payload).map_err(crate::StoreError::json("job payload"))?,
        priority: row.try_get("priority")?,
        state: JobState::parse(&state),
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Enqueue a job unless one with the same key is queued or running.
    /// Returns the new job's id, or `None` when it was a duplicate. A
    /// duplicate with a lower priority is raised to this one's.
    pub async fn enqueue(&self, j: &NewJob) -> Result<Option<i64>> {
        let t = now();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, job_key, lane, payload, priority, state, attempts, max_attempts,
               run_after, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $8)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&j.kind)
        .bind(&j.key)
        .bind(&j.lane)
        .bind(j.payload.to_string())
        .bind(j.priority)
        .bind(j.max_attempts)
        .bind(j.run_after)
        .bind(t)
        .fetch_optional(&self.pool)
        .await?;
        if id.is_none() {
            sqlx::query(
                "UPDATE jobs SET priority = $1 WHERE job_key = $2 AND state = 'queued' AND priority < $1",
            )
            .bind(j.priority)
            .bind(&j.key)
            .execute(&self.pool)
            .await?;
        }
        Ok(id)
    }

    /// Claim the next due job of one of `kinds` for `worker`, leased for
    /// `lease_secs`, skipping lanes that already run `lane_limit` jobs.
    pub async fn claim(
        &self,
        worker: &str,
        kinds: &[&str],
        lease_secs: i64,
        lane_limit: i64,
    ) -> Result<Option<Job>> {
        let t = now();
        let kinds_sql: Vec<String> = kinds
            .iter()
            .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|k| format!("'{k}'"))
            .collect();
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1,
               updated_at = $3
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $3
                           AND kind IN ({kinds})
                           AND (lane = '' OR lane NOT IN (SELECT lane FROM jobs WHERE state = 'running'
                                                          GROUP BY lane HAVING COUNT(*) >= $4))
                         ORDER BY priority DESC, id LIMIT 1{lock})
               AND state = 'queued'
             RETURNING {JOB_COLUMNS}",
            kinds = kinds_sql.join(", "),
        );
        let row = sqlx::query(dynamic(sql.clone()))
            .bind(worker)
            .bind(t + lease_secs)
            .bind(t)
            .bind(lane_limit)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job).transpose()
    }

    /// Extend a running job's lease (the worker is alive).
    pub async fn heartbeat(&self, id: i64, worker: &str, lease_secs: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
        )
        .bind(now() + lease_secs)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Mark a job done.
    pub async fn complete(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Record a failed attempt: requeue after `retry_in` seconds while
    /// attempts remain, else mark it failed. Returns the new state.
    pub async fn fail(&self, id: i64, error: &str, retry_in: i64) -> Result<JobState> {
        let t = now();
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
               run_after = $1, last_error = $2, lease_until = NULL, worker = NULL, updated_at = $3
             WHERE id = $4 RETURNING state",
        )
        .bind(t + retry_in)
        .bind(error)
        .bind(t)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(state.as_deref().map_or(JobState::Failed, JobState::parse))
    }

    /// Put running jobs whose lease ran out back in the queue (their worker
    /// died). Returns how many.
    pub async fn requeue_expired(&self) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = $1
             WHERE state = 'running' AND lease_until < $1",
        )
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Jobs, newest first, optionally in one state and of one kind.
    pub async fn jobs(
        &self,
        state: Option<&str>,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2)
             ORDER BY id DESC LIMIT $3"
        )))
        .bind(state)
        .bind(kind)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job).collect()
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Job> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| crate::StoreError::NotFound {
            kind: "job",
            id: id.to_string(),
        })?;
        job(&row)
    }

    /// Jobs per (kind, state), for metrics and progress.
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }
}
