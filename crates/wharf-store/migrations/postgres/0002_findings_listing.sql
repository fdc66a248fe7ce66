-- Findings listing (GET /api/v1/findings) over large tables (PostgreSQL): one
-- index per sort order over the open findings (the default listing) on
-- (value, id), so a keyset page (ORDER BY value DESC, id DESC from the
-- cursor's (value, id)) is a backward index range scan instead of a sort
-- of every open finding. findings_severity (severity_rank DESC, id ASC)
-- cannot serve ORDER BY severity_rank DESC, id DESC without sorting each
-- rank's rows.
CREATE INDEX findings_open_severity ON findings (severity_rank, id) WHERE resolved_at IS NULL;
CREATE INDEX findings_open_first_seen ON findings (first_seen, id) WHERE resolved_at IS NULL;
CREATE INDEX findings_open_last_seen ON findings (last_seen, id) WHERE resolved_at IS NULL;
-- Filters that keep few rows: by vulnerability id (also how a change in
-- the known-exploited list finds the inventories to re-evaluate) and
-- known-exploited findings, which a scan in sort order would otherwise
-- look for through most of the table.
CREATE INDEX findings_vulnerability ON findings (vulnerability);
CREATE INDEX findings_open_kev ON findings (severity_rank, id) WHERE resolved_at IS NULL AND kev = 1;
