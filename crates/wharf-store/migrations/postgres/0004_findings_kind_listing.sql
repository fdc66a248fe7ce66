-- Kept in step with migrations/sqlite/0004, which adds kind-led listing
-- indexes for SQLite (no statistics there). PostgreSQL plans a kind filter
-- from its statistics (listing p99 0.10 s at 1,000,000 findings without
-- these indexes, bench/results/listing-*), and each index would slow the
-- insertion of findings that dominates a first re-evaluation.
SELECT 1;
