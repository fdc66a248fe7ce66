-- Fills a migrated wharf database (SQLite or PostgreSQL) with the
-- findings-listing benchmark population, deterministically and with SQL
-- only (no scan, no re-evaluation): 3 connectors, 100 repositories,
-- 10,000 images with one tag and one inventory each, 1,000,000 open
-- findings, 100 per image. Severities 5 % critical / 20 % high / 40 %
-- medium / 30 % low / 5 % unknown; kinds 85 % vulnerability / 10 %
-- misconfiguration / 5 % secret; 1 % known-exploited; first seen spread
-- over 90 days. Used by bench/listing.sh.
INSERT INTO connectors (id, name, spec, enabled, created_at, updated_at, next_discovery_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3)
SELECT i, 'c' || i,
       '{"url":"http://127.0.0.1:9/","enabled":false}',
       0, 1700000000, 1700000000, 4000000000
FROM n;

INSERT INTO repositories (id, connector_id, name, first_seen, last_seen)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
SELECT i, 1 + (i - 1) % 3, 'team/repo' || i, 1700000000, 1700000000 FROM n;

INSERT INTO images (digest, media_type, kind, platforms, first_seen, scan_state, scanned_at, scanner)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
SELECT 'sha256:' || substr('0000000000' || i, -10, 10), 'application/vnd.oci.image.manifest.v1+json',
       'image', '["linux/amd64"]', 1700000000, 'done', 1700000000, 'bench'
FROM n;

INSERT INTO tags (repository_id, name, digest, image_created, first_seen, updated_at, last_seen)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
SELECT 1 + (i - 1) % 100, 'v' || i, 'sha256:' || substr('0000000000' || i, -10, 10),
       1700000000, 1700000000, 1700000000, 1700000000
FROM n;

INSERT INTO inventories (id, image_digest, platform, manifest_digest, data, packages, created_at, evaluated_at, snapshot_id)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
SELECT i, 'sha256:' || substr('0000000000' || i, -10, 10), 'linux/amd64',
       'sha256:' || substr('0000000000' || i, -10, 10), X'00', 300, 1700000000, 1700000000, 'bench'
FROM n;

-- s (severity), k (kind) and e (KEV) are deterministic and vary
-- independently: every severity occurs with every kind, in every image.
INSERT INTO findings (inventory_id, image_digest, fingerprint, kind, rule_id, severity, severity_rank,
                      status, title, vulnerability, package, kev, data, snapshot_id, first_seen, last_seen)
WITH RECURSIVE n(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < 999999),
h(i, inv, s, k, e) AS (
  SELECT i, 1 + i / 100, (i * 37) % 100, ((i / 100) * 53 + (i % 100) * 7) % 100, ((i / 7) * 13 + i / 1000) % 100 FROM n
)
SELECT inv, 'sha256:' || substr('0000000000' || inv, -10, 10), 'fp' || i,
       CASE WHEN k < 85 THEN 'vulnerability' WHEN k < 95 THEN 'misconfiguration' ELSE 'secret' END,
       'rule-' || (i % 500),
       CASE WHEN s < 5 THEN 'critical' WHEN s < 25 THEN 'high' WHEN s < 65 THEN 'medium' WHEN s < 95 THEN 'low' ELSE 'unknown' END,
       CASE WHEN s < 5 THEN 4 WHEN s < 25 THEN 3 WHEN s < 65 THEN 2 WHEN s < 95 THEN 1 ELSE 0 END,
       'open', 'finding ' || i,
       CASE WHEN k < 85 THEN 'CVE-2024-' || (10000 + i % 20000) END,
       CASE WHEN k < 85 THEN 'pkg' || (i % 3000) END,
       CASE WHEN e = 0 THEN 1 ELSE 0 END,
       '{}', 'bench', 1700000000 + (i * 7777) % 7776000, 1700000000
FROM h;
