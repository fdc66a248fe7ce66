//! Findings over time: each evaluation of an inventory is synchronised into
//! the table (new, still there, changed, gone), so every finding keeps its
//! first and last seen and the store can say what changed.

use std::collections::HashMap;

use base64::Engine as _;
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::reeval::DeltaChange;
use crate::{Backend, Result, Store, StoreError, dynamic, flag, now};

/// One finding as an evaluation produced it, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// Stable fingerprint (same problem, same fingerprint across runs).
    pub fingerprint: String,
    /// `vulnerability`, `secret`, `malware`, …
    pub kind: String,
    /// The rule that raised it.
    pub rule_id: String,
    /// Severity name.
    pub severity: String,
    /// Severity rank (critical 4 … unknown 0), for sorting.
    pub severity_rank: i64,
    /// `open`, `accepted`, `not-affected`.
    pub status: String,
    /// One-line title.
    pub title: String,
    /// Vulnerability id, for vulnerabilities.
    pub vulnerability: Option<String>,
    /// `name@version` of the package concerned.
    pub package: Option<String>,
    /// On CISA's known-exploited list.
    pub kev: bool,
    /// The whole finding as JSON.
    pub data: String,
}

/// What synchronising one inventory's findings changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    /// (finding id, change, old severity, new severity).
    pub changes: Vec<(i64, DeltaChange, Option<String>, Option<String>)>,
}

/// Bound parameters per multi-row `INSERT`. PostgreSQL: many (one round
/// trip per statement; the limit is 65,535). SQLite: a few hundred —
/// sqlx looks every parameter's name up (`sqlite3_bind_parameter_name`, a
/// linear search), so binding is quadratic in the statement's parameters:
/// with 6,500 a statement, two thirds of a re-evaluation went there.
fn insert_params(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 520,
        Backend::Postgres => 6_500,
    }
}

/// Ids per inlined `IN (…)` list.
const ID_CHUNK: usize = 1000;

/// `1,2,3`: integer ids the store itself holds, for an inlined list.
fn id_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    list.join(",")
}

/// The stored name of a delta (as `finding_deltas.change` holds it).
fn delta_name(change: DeltaChange) -> &'static str {
    match change {
        DeltaChange::New => "new",
        DeltaChange::Resolved => "resolved",
        DeltaChange::SeverityChanged => "severity_changed",
    }
}

/// A stored finding.
#[derive(Debug, Clone, Serialize)]
pub struct StoredFinding {
    /// Id.
    pub id: i64,
    /// Image (tagged manifest) digest.
    pub image_digest: String,
    /// Platform.
    pub platform: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Kind.
    pub kind: String,
    /// Rule.
    pub rule_id: String,
    /// Severity.
    pub severity: String,
    /// `open`, `resolved`, `accepted`, `not-affected`.
    pub status: String,
    /// Title.
    pub title: String,
    /// Vulnerability id.
    pub vulnerability: Option<String>,
    /// Package.
    pub package: Option<String>,
    /// Known exploited.
    pub kev: bool,
    /// Database snapshot of the evaluation that last saw it.
    pub snapshot_id: Option<String>,
    /// First seen (Unix seconds).
    pub first_seen: i64,
    /// Last seen (Unix seconds).
    pub last_seen: i64,
    /// When it stopped being seen.
    pub resolved_at: Option<i64>,
    /// The full finding (remediation, locations, provenance…).
    pub detail: serde_json::Value,
}

/// How to order a findings listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Most severe first (then newest id).
    #[default]
    Severity,
    /// Newest first seen first.
    FirstSeen,
    /// Ascending id.
    Id,
}

impl FindingSort {
    /// Parse `severity` (most severe first), `first_seen` (newest first)
    /// or `id` (ascending).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "severity" => Self::Severity,
            "first_seen" => Self::FirstSeen,
            "id" => Self::Id,
            _ => return None,
        })
    }

    /// (column, descending).
    fn column(self) -> (&'static str, bool) {
        match self {
            Self::Severity => ("f.severity_rank", true),
            Self::FirstSeen => ("f.first_seen", true),
            Self::Id => ("f.id", false),
        }
    }
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Kinds (any of).
    pub kinds: Vec<String>,
    /// Severities (any of).
    pub severities: Vec<String>,
    /// Statuses (any of); empty: everything but `resolved`.
    pub statuses: Vec<String>,
    /// Only images tagged under this connector.
    pub connector_id: Option<i64>,
    /// Only images tagged in this repository (name).
    pub repository: Option<String>,
    /// Only this image digest.
    pub image: Option<String>,
    /// Only known-exploited (`true`) or not (`false`).
    pub kev: Option<bool>,
    /// Only this vulnerability id.
    pub vulnerability: Option<String>,
    /// Order.
    pub sort: FindingSort,
    /// Page size (1..=1000).
    pub limit: u32,
    /// Continue after this cursor (from the previous page).
    pub cursor: Option<String>,
}

/// One page of findings.
#[derive(Debug, Clone, Serialize)]
pub struct FindingPage {
    /// The findings.
    pub items: Vec<StoredFinding>,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

fn finding_row(row: &AnyRow) -> Result<StoredFinding> {
    let data: String = row.try_get("data")?;
    let kev: i64 = row.try_get("kev")?;
    Ok(StoredFinding {
        id: row.try_get("id")?,
        image_digest: row.try_get("image_digest")?,
        platform: row.try_get("platform")?,
        fingerprint: row.try_get("fingerprint")?,
        kind: row.try_get("kind")?,
        rule_id: row.try_get("rule_id")?,
        severity: row.try_get("severity")?,
        status: row.try_get("status")?,
        title: row.try_get("title")?,
        vulnerability: row.try_get("vulnerability")?,
        package: row.try_get("package")?,
        kev: kev != 0,
        snapshot_id: row.try_get("snapshot_id")?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        resolved_at: row.try_get("resolved_at")?,
        detail: serde_json::from_str(&data).map_err(StoreError::json("finding"))?,
    })
}

const FINDING_COLUMNS: &str = "f.id, f.image_digest, i.platform, f.fingerprint, f.kind, f.rule_id, \
    f.severity, f.severity_rank, f.status, f.title, f.vulnerability, f.package, f.kev, f.data, \
    CASE WHEN f.resolved_at IS NULL THEN COALESCE(i.snapshot_id, f.snapshot_id) ELSE f.snapshot_id END AS snapshot_id, \
    f.first_seen, \
    CASE WHEN f.resolved_at IS NULL THEN COALESCE(i.evaluated_at, f.last_seen) ELSE f.last_seen END AS last_seen, \
    f.resolved_at";

fn encode_cursor(value: i64, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{value}:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<(i64, i64)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (v, id) = text.split_once(':')?;
    Some((v.parse().ok()?, id.parse().ok()?))
}

impl Store {
    /// Synchronise an inventory's findings with a new evaluation: insert
    /// new ones, reopen ones that come back, update changed ones, resolve
    /// the ones no longer found, and record the evaluation time and
    /// snapshot on the inventory (an open finding's last seen). Rows whose
    /// stored JSON is unchanged are not rewritten.
    pub async fn sync_findings(
        &self,
        inventory_id: i64,
        image_digest: &str,
        snapshot_id: Option<&str>,
        findings: &[NewFinding],
    ) -> Result<SyncOutcome> {
        let mut out = self
            .sync_findings_batch(snapshot_id, None, &[(inventory_id, image_digest, findings)])
            .await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// [`Store::sync_findings`] for several inventories — (inventory id,
    /// image digest, findings) — in one transaction (one outcome per item,
    /// in order), with set-based statements: the stored findings of the
    /// whole batch are read at once, new findings
    /// inserted with multi-row `INSERT`s, resolved ones closed with one
    /// `UPDATE` per few hundred ids, and the inventories' evaluation time
    /// set with one statement. With `run`, the changes are also recorded as that run's
    /// deltas (as [`Store::record_deltas`] does), in the same transaction.
    /// The items' inventory ids must be distinct.
    pub async fn sync_findings_batch(
        &self,
        snapshot_id: Option<&str>,
        run: Option<i64>,
        items: &[(i64, &str, &[NewFinding])],
    ) -> Result<Vec<SyncOutcome>> {
        let t = now();
        let mut tx = self.pool.begin().await?;
        struct Old {
            id: i64,
            severity: String,
            status: String,
            data: String,
            resolved: bool,
        }
        let mut old: HashMap<i64, HashMap<String, Old>> = HashMap::with_capacity(items.len());
        let ids: Vec<i64> = items.iter().map(|i| i.0).collect();
        for chunk in ids.chunks(ID_CHUNK) {
            // Ids are integers we hold, not input: inlined.
            let rows = sqlx::query(dynamic(format!(
                "SELECT inventory_id, id, fingerprint, severity, status, data, resolved_at FROM findings
                 WHERE inventory_id IN ({})",
                id_list(chunk)
            )))
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let resolved: Option<i64> = row.try_get("resolved_at")?;
                old.entry(row.try_get("inventory_id")?).or_default().insert(
                    row.try_get("fingerprint")?,
                    Old {
                        id: row.try_get("id")?,
                        severity: row.try_get("severity")?,
                        status: row.try_get("status")?,
                        data: row.try_get("data")?,
                        resolved: resolved.is_some(),
                    },
                );
            }
        }
        let mut outs: Vec<SyncOutcome> = vec![SyncOutcome::default(); items.len()];
        // (item, index of its change, finding): inserted below, ids filled in.
        let mut inserts: Vec<(usize, usize, &NewFinding)> = Vec::new();
        let mut resolve: Vec<i64> = Vec::new();
        for (k, (inventory_id, _, findings)) in items.iter().enumerate() {
            let mut old = old.remove(inventory_id).unwrap_or_default();
            let out = &mut outs[k];
            for f in *findings {
                match old.remove(&f.fingerprint) {
                    None => {
                        inserts.push((k, out.changes.len(), f));
                        out.changes
                            .push((0, DeltaChange::New, None, Some(f.severity.clone())));
                    }
                    Some(o) => {
                        if o.resolved {
                            out.changes.push((
                                o.id,
                                DeltaChange::New,
                                None,
                                Some(f.severity.clone()),
                            ));
                        } else if o.severity != f.severity {
                            out.changes.push((
                                o.id,
                                DeltaChange::SeverityChanged,
                                Some(o.severity.clone()),
                                Some(f.severity.clone()),
                            ));
                        }
                        if o.resolved || o.data != f.data || o.status != f.status {
                            sqlx::query(
                                "UPDATE findings SET severity = $1, severity_rank = $2, status = $3, title = $4,
                                   kev = $5, data = $6, snapshot_id = $7, last_seen = $8, resolved_at = NULL,
                                   first_seen = CASE WHEN resolved_at IS NULL THEN first_seen ELSE $8 END
                                 WHERE id = $9",
                            )
                            .bind(&f.severity)
                            .bind(f.severity_rank)
                            .bind(&f.status)
                            .bind(&f.title)
                            .bind(flag(f.kev))
                            .bind(&f.data)
                            .bind(snapshot_id)
                            .bind(t)
                            .bind(o.id)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
            }
            // What is left was not found this time.
            for o in old.values().filter(|o| !o.resolved) {
                resolve.push(o.id);
                out.changes
                    .push((o.id, DeltaChange::Resolved, Some(o.severity.clone()), None));
            }
        }
        // New findings: multi-row inserts; ids matched back by fingerprint.
        for chunk in inserts.chunks((insert_params(self.backend) / 13).max(1)) {
            let mut sql = String::from(
                "INSERT INTO findings (inventory_id, image_digest, fingerprint, kind, rule_id, severity,
                   severity_rank, status, title, vulnerability, package, kev, data, snapshot_id,
                   first_seen, last_seen) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = 3 + i * 13;
                sql.push('(');
                for c in 0..13 {
                    sql.push_str(&format!("${}, ", b + c));
                }
                sql.push_str("$1, $2, $2)");
            }
            sql.push_str(" RETURNING id, inventory_id, fingerprint");
            let mut q = sqlx::query(dynamic(sql)).bind(snapshot_id).bind(t);
            for (k, _, f) in chunk {
                let (inventory_id, image_digest, _) = items[*k];
                q = q
                    .bind(inventory_id)
                    .bind(image_digest)
                    .bind(f.fingerprint.as_str())
                    .bind(f.kind.as_str())
                    .bind(f.rule_id.as_str())
                    .bind(f.severity.as_str())
                    .bind(f.severity_rank)
                    .bind(f.status.as_str())
                    .bind(f.title.as_str())
                    .bind(f.vulnerability.as_deref())
                    .bind(f.package.as_deref())
                    .bind(flag(f.kev))
                    .bind(f.data.as_str());
            }
            let rows = q.fetch_all(&mut *tx).await?;
            let mut new_ids: HashMap<(i64, String), i64> = HashMap::with_capacity(rows.len());
            for row in &rows {
                new_ids.insert(
                    (row.try_get("inventory_id")?, row.try_get("fingerprint")?),
                    row.try_get("id")?,
                );
            }
            for (k, change, f) in chunk {
                let key = (items[*k].0, f.fingerprint.clone());
                let id = new_ids
                    .get(&key)
                    .copied()
                    .ok_or_else(|| StoreError::NotFound {
                        kind: "inserted finding",
                        id: format!("{} of inventory {}", f.fingerprint, key.0),
                    })?;
                outs[*k].changes[*change].0 = id;
            }
        }
        for chunk in resolve.chunks(ID_CHUNK) {
            sqlx::query(dynamic(format!(
                "UPDATE findings SET status = 'resolved', resolved_at = $1 WHERE id IN ({})",
                id_list(chunk)
            )))
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        // Everything still found was seen now, with this snapshot: recorded
        // once per inventory (an open finding's last seen is its
        // inventory's last evaluation).
        for chunk in ids.chunks(ID_CHUNK) {
            sqlx::query(dynamic(format!(
                "UPDATE inventories SET evaluated_at = $1, snapshot_id = $2 WHERE id IN ({})",
                id_list(chunk)
            )))
            .bind(t)
            .bind(snapshot_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(run) = run {
            let changes: Vec<&(i64, DeltaChange, Option<String>, Option<String>)> =
                outs.iter().flat_map(|o| &o.changes).collect();
            for chunk in changes.chunks((insert_params(self.backend) / 4).max(1)) {
                let mut sql = String::from(
                    "INSERT INTO finding_deltas (run_id, finding_id, change, old_severity, new_severity) VALUES ",
                );
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push(',');
                    }
                    let b = 2 + i * 4;
                    sql.push_str(&format!("($1, ${}, ${}, ${}, ${})", b, b + 1, b + 2, b + 3));
                }
                let mut q = sqlx::query(dynamic(sql)).bind(run);
                for (finding, change, old_sev, new_sev) in chunk {
                    q = q
                        .bind(*finding)
                        .bind(delta_name(*change))
                        .bind(old_sev.as_deref())
                        .bind(new_sev.as_deref());
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(outs)
    }

    /// One finding.
    pub async fn finding(&self, id: i64) -> Result<StoredFinding> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN inventories i ON i.id = f.inventory_id WHERE f.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "finding",
            id: id.to_string(),
        })?;
        finding_row(&row)
    }

    /// A page of findings. Keyset pagination: pages stay fast however deep,
    /// and a finding inserted meanwhile does not shift the next page.
    pub async fn findings(&self, filter: &FindingFilter) -> Result<FindingPage> {
        let mut sql = format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN inventories i ON i.id = f.inventory_id WHERE 1 = 1"
        );
        let mut binds: Vec<Bind> = Vec::new();
        any_of(&mut sql, &mut binds, "f.kind", &filter.kinds);
        any_of(&mut sql, &mut binds, "f.severity", &filter.severities);
        // Under the severity sort, the same filter on the rank (derived
        // from the severity one to one), which that sort's indexes lead
        // with: a rare severity becomes an index seek instead of a walk
        // past every more severe finding. Under the other sorts it would
        // lure SQLite (no statistics) into reading every finding of those
        // severities through the rank index and sorting them, where
        // walking the sort's own index stops after a page of matches.
        let ranks: Vec<String> = filter
            .severities
            .iter()
            .filter_map(|s| wharf_types::Severity::parse(s))
            .map(|s| severity_rank(s).to_string())
            .collect();
        if filter.sort == FindingSort::Severity
            && !ranks.is_empty()
            && ranks.len() == filter.severities.len()
        {
            // Integers from a fixed table: inlined.
            sql.push_str(&format!(" AND f.severity_rank IN ({})", ranks.join(", ")));
        }
        if filter.statuses.is_empty() {
            sql.push_str(" AND f.resolved_at IS NULL");
        } else {
            any_of(&mut sql, &mut binds, "f.status", &filter.statuses);
        }
        if let Some(c) = filter.connector_id {
            let p = param(&mut binds, Bind::Int(c));
            // A connector holds a large share of the images: SQLite (no
            // statistics) would look every one up through findings_image and
            // sort them all; `+` keeps it on the sort order's index instead.
            let col = match self.backend {
                Backend::Sqlite => "+f.image_digest",
                Backend::Postgres => "f.image_digest",
            };
            sql.push_str(&format!(
                " AND {col} IN (SELECT t.digest FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.connector_id = {p})"
            ));
        }
        if let Some(r) = &filter.repository {
            let p = param(&mut binds, Bind::Text(r.clone()));
            sql.push_str(&format!(
                " AND f.image_digest IN (SELECT t.digest FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = {p})"
            ));
        }
        if let Some(d) = &filter.image {
            let p = param(&mut binds, Bind::Text(d.clone()));
            sql.push_str(&format!(" AND f.image_digest = {p}"));
        }
        if let Some(k) = filter.kev {
            // A literal (a flag, not caller text), so the planner can use
            // the partial index of known-exploited findings.
            sql.push_str(&format!(" AND f.kev = {}", flag(k)));
        }
        if let Some(v) = &filter.vulnerability {
            let p = param(&mut binds, Bind::Text(v.clone()));
            sql.push_str(&format!(" AND f.vulnerability = {p}"));
        }
        let (col, desc) = filter.sort.column();
        if let Some(cursor) = &filter.cursor {
            let (v, id) = decode_cursor(cursor).ok_or_else(|| StoreError::NotFound {
                kind: "cursor",
                id: cursor.clone(),
            })?;
            let pv = param(&mut binds, Bind::Int(v));
            let pi = param(&mut binds, Bind::Int(id));
            let op = if desc { "<" } else { ">" };
            if col == "f.id" {
                sql.push_str(&format!(" AND f.id {op} {pi}"));
            } else {
                // A row-value comparison (same rows as `col < v OR (col = v
                // AND id < i)`, the columns being NOT NULL): both backends
                // seek the (col, id) index to the cursor instead of
                // scanning from the first page.
                sql.push_str(&format!(" AND ({col}, f.id) {op} ({pv}, {pi})"));
            }
        }
        let dir = if desc { "DESC" } else { "ASC" };
        let limit = filter.limit.clamp(1, 1000);
        sql.push_str(&format!(
            " ORDER BY {col} {dir}, f.id {dir} LIMIT {}",
            limit + 1
        ));
        // Planned with the actual values every time: a cached generic plan
        // (PostgreSQL switches to one after five executions) does not know
        // that a connector or repository holds few images, walks the whole
        // severity index and tests each row — seconds to tens of seconds
        // with a million findings, against milliseconds with a custom plan.
        let mut q = sqlx::query(dynamic(sql.clone())).persistent(false);
        for b in binds {
            q = match b {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
            };
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_key = None;
        for row in rows.iter().take(limit as usize) {
            let f = finding_row(row)?;
            let key: i64 = match filter.sort {
                FindingSort::Severity => row.try_get("severity_rank")?,
                FindingSort::FirstSeen => f.first_seen,
                FindingSort::Id => f.id,
            };
            last_key = Some((key, f.id));
            items.push(f);
        }
        let next_cursor = if rows.len() > limit as usize {
            last_key.map(|(k, id)| encode_cursor(k, id))
        } else {
            None
        };
        Ok(FindingPage { items, next_cursor })
    }

    /// Open findings (not resolved, accepted or not affected) by kind and
    /// severity, for metrics and the dashboard.
    pub async fn finding_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, severity, COUNT(*) AS n FROM findings WHERE status = 'open'
             GROUP BY kind, severity ORDER BY kind, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("severity")?, r.try_get("n")?)))
            .collect()
    }
}

/// A severity's stored rank (`NewFinding::severity_rank`): critical 4 …
/// unknown 0; the findings listing sorts on it.
pub fn severity_rank(s: wharf_types::Severity) -> i64 {
    use wharf_types::Severity;
    match s {
        Severity::Critical => 4,
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Unknown => 0,
    }
}

/// A value bound to a dynamically built statement.
enum Bind {
    Text(String),
    Int(i64),
}

/// Add a bound value; its placeholder.
fn param(binds: &mut Vec<Bind>, b: Bind) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

/// ` AND col IN ($n, …)` for a non-empty list.
fn any_of(sql: &mut String, binds: &mut Vec<Bind>, col: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    let ps: Vec<String> = values
        .iter()
        .map(|v| param(binds, Bind::Text(v.clone())))
        .collect();
    sql.push_str(&format!(" AND {col} IN ({})", ps.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(4, 1234)), Some((4, 1234)));
        assert_eq!(decode_cursor(&encode_cursor(-1, 0)), Some((-1, 0)));
        assert_eq!(decode_cursor("not a cursor"), None);
    }
}
