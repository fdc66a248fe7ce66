//! Re-evaluation runs and the finding deltas each produced.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, SyncOutcome, dynamic, now};

/// How a finding changed in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaChange {
    /// Appeared (or came back).
    New,
    /// No longer found.
    Resolved,
    /// Its severity changed.
    SeverityChanged,
}

impl DeltaChange {
    fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Resolved => "resolved",
            Self::SeverityChanged => "severity_changed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "resolved" => Self::Resolved,
            "severity_changed" => Self::SeverityChanged,
            _ => Self::New,
        }
    }
}

/// A re-evaluation run.
#[derive(Debug, Clone, Serialize)]
pub struct Reevaluation {
    /// Id.
    pub id: i64,
    /// Why it ran: `schedule`, `db_update`, `policy`, `exception`, `api`.
    pub cause: String,
    /// `running`, `done`, `failed`.
    pub state: String,
    /// Database snapshot matched against.
    pub snapshot_id: Option<String>,
    /// Started (Unix seconds).
    pub started_at: i64,
    /// Finished.
    pub finished_at: Option<i64>,
    /// Inventories re-evaluated.
    pub inventories: i64,
    /// Findings that appeared.
    pub new_findings: i64,
    /// Findings no longer found.
    pub resolved_findings: i64,
    /// Findings whose severity changed.
    pub changed_findings: i64,
    /// Why it failed.
    pub error: Option<String>,
}

/// A run's totals, accumulated as inventories are synced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Inventories re-evaluated.
    pub inventories: i64,
    /// Findings that appeared.
    pub new: i64,
    /// Findings no longer found.
    pub resolved: i64,
    /// Findings whose severity changed.
    pub changed: i64,
}

impl RunCounts {
    /// Count one inventory's sync.
    pub fn add(&mut self, outcome: &SyncOutcome) {
        self.inventories += 1;
        for (_, change, _, _) in &outcome.changes {
            match change {
                DeltaChange::New => self.new += 1,
                DeltaChange::Resolved => self.resolved += 1,
                DeltaChange::SeverityChanged => self.changed += 1,
            }
        }
    }
}

/// One finding's change in a run.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// The finding.
    pub finding_id: i64,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: String,
    /// Its vulnerability id, for vulnerabilities.
    pub vulnerability: Option<String>,
    /// The image (manifest digest).
    pub image_digest: String,
    /// What happened.
    pub change: DeltaChange,
    /// Severity before.
    pub old_severity: Option<String>,
    /// Severity after.
    pub new_severity: Option<String>,
}

const RUN_COLUMNS: &str = "id, cause, state, snapshot_id, started_at, finished_at, inventories, \
    new_findings, resolved_findings, changed_findings, error";

fn run(row: &AnyRow) -> Result<Reevaluation> {
    Ok(Reevaluation {
        id: row.try_get("id")?,
        cause: row.try_get("cause")?,
        state: row.try_get("state")?,
        snapshot_id: row.try_get("snapshot_id")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        inventories: row.try_get("inventories")?,
        new_findings: row.try_get("new_findings")?,
        resolved_findings: row.try_get("resolved_findings")?,
        changed_findings: row.try_get("changed_findings")?,
        error: row.try_get("error")?,
    })
}

impl Store {
    /// Start a run.
    pub async fn start_reevaluation(&self, cause: &str, snapshot_id: Option<&str>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO reevaluations (cause, state, snapshot_id, started_at, inventories, new_findings,
               resolved_findings, changed_findings) VALUES ($1, 'running', $2, $3, 0, 0, 0, 0) RETURNING id",
        )
        .bind(cause)
        .bind(snapshot_id)
        .bind(now())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Record the deltas of one inventory's sync in a run.
    pub async fn record_deltas(&self, run_id: i64, outcome: &SyncOutcome) -> Result<()> {
        if outcome.changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (finding, change, old, new_sev) in &outcome.changes {
            sqlx::query(
                "INSERT INTO finding_deltas (run_id, finding_id, change, old_severity, new_severity)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(run_id)
            .bind(*finding)
            .bind(change.as_str())
            .bind(old.as_deref())
            .bind(new_sev.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Finish a run with its totals (`error`: it failed).
    pub async fn finish_reevaluation(
        &self,
        run_id: i64,
        counts: &RunCounts,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE reevaluations SET state = $1, error = $2, finished_at = $3, inventories = $4,
               new_findings = $5, resolved_findings = $6, changed_findings = $7 WHERE id = $8",
        )
        .bind(if error.is_some() { "failed" } else { "done" })
        .bind(error)
        .bind(now())
        .bind(counts.inventories)
        .bind(counts.new)
        .bind(counts.resolved)
        .bind(counts.changed)
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Runs, newest first.
    pub async fn reevaluations(&self, limit: i64) -> Result<Vec<Reevaluation>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {RUN_COLUMNS} FROM reevaluations ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run).collect()
    }

    /// One run.
    pub async fn reevaluation(&self, id: i64) -> Result<Reevaluation> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {RUN_COLUMNS} FROM reevaluations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "re-evaluation",
            id: id.to_string(),
        })?;
        run(&row)
    }

    /// A run's deltas, in order.
    pub async fn deltas(&self, run_id: i64) -> Result<Vec<Delta>> {
        let rows = sqlx::query(
            "SELECT d.finding_id, d.change, d.old_severity, d.new_severity, f.title, f.kind,
                    f.vulnerability, f.image_digest
             FROM finding_deltas d JOIN findings f ON f.id = d.finding_id
             WHERE d.run_id = $1 ORDER BY d.id",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let change: String = r.try_get("change")?;
                Ok(Delta {
                    finding_id: r.try_get("finding_id")?,
                    title: r.try_get("title")?,
                    kind: r.try_get("kind")?,
                    vulnerability: r.try_get("vulnerability")?,
                    image_digest: r.try_get("image_digest")?,
                    change: DeltaChange::parse(&change),
                    old_severity: r.try_get("old_severity")?,
                    new_severity: r.try_get("new_severity")?,
                })
            })
            .collect()
    }
}
