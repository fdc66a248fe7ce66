-- When an inventory was last evaluated and against which database
-- snapshot: an open finding was last seen then. Kept per inventory so a
-- re-evaluation that changes nothing writes one row per inventory instead
-- of one per finding; the per-finding columns keep the value for resolved
-- findings. The last_seen listing index goes with the per-finding refresh.
ALTER TABLE inventories ADD COLUMN evaluated_at BIGINT;
ALTER TABLE inventories ADD COLUMN snapshot_id TEXT;
DROP INDEX IF EXISTS findings_open_last_seen;
