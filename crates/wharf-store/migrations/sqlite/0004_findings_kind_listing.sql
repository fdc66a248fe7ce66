-- Findings listing filtered by kind (SQLite). Without statistics SQLite
-- walks a sort order's index and tests each row's kind, which reads the
-- whole index when the kind (with the other filters) matches little or
-- nothing — over a second at 1,000,000 findings. With the kind leading
-- one index per sort order, the walk covers only that kind's findings.
CREATE INDEX findings_open_kind_severity ON findings (kind, severity_rank, id) WHERE resolved_at IS NULL;
CREATE INDEX findings_open_kind_first_seen ON findings (kind, first_seen, id) WHERE resolved_at IS NULL;
CREATE INDEX findings_open_kind_id ON findings (kind, id) WHERE resolved_at IS NULL;
