-- wharf service schema, PostgreSQL. Times are Unix seconds (BIGINT); JSON is
-- TEXT; booleans are 0/1. Keep in step with migrations/sqlite.

CREATE TABLE connectors (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    secret BYTEA,
    secret_kind TEXT,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_discovery_at BIGINT NOT NULL,
    last_discovery_at BIGINT,
    last_error TEXT
);

CREATE TABLE repositories (
    id BIGSERIAL PRIMARY KEY,
    connector_id BIGINT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (connector_id, name)
);

CREATE TABLE tags (
    id BIGSERIAL PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    image_created BIGINT,
    first_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (repository_id, name)
);
CREATE INDEX tags_digest ON tags (digest);

CREATE TABLE images (
    digest TEXT PRIMARY KEY,
    media_type TEXT,
    kind TEXT,
    platforms TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    scan_state TEXT NOT NULL,
    scanned_at BIGINT,
    scanner TEXT,
    scan_error TEXT
);

CREATE TABLE inventories (
    id BIGSERIAL PRIMARY KEY,
    image_digest TEXT NOT NULL,
    platform TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    data BYTEA NOT NULL,
    packages BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (image_digest, platform)
);

CREATE TABLE inventory_packages (
    inventory_id BIGINT NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, inventory_id)
);
CREATE INDEX inventory_packages_inventory ON inventory_packages (inventory_id);

CREATE TABLE findings (
    id BIGSERIAL PRIMARY KEY,
    inventory_id BIGINT NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
    image_digest TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    vulnerability TEXT,
    package TEXT,
    kev BIGINT NOT NULL,
    data TEXT NOT NULL,
    snapshot_id TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    resolved_at BIGINT,
    UNIQUE (inventory_id, fingerprint)
);
CREATE INDEX findings_severity ON findings (severity_rank DESC, id);
CREATE INDEX findings_image ON findings (image_digest);
CREATE INDEX findings_status ON findings (status, severity_rank DESC, id);

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    job_key TEXT NOT NULL,
    lane TEXT NOT NULL,
    payload TEXT NOT NULL,
    priority BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_until BIGINT,
    worker TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_active_key ON jobs (job_key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_claim ON jobs (state, priority DESC, id);

CREATE TABLE reevaluations (
    id BIGSERIAL PRIMARY KEY,
    cause TEXT NOT NULL,
    state TEXT NOT NULL,
    snapshot_id TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    inventories BIGINT NOT NULL,
    new_findings BIGINT NOT NULL,
    resolved_findings BIGINT NOT NULL,
    changed_findings BIGINT NOT NULL,
    error TEXT
);

CREATE TABLE finding_deltas (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES reevaluations(id) ON DELETE CASCADE,
    finding_id BIGINT NOT NULL,
    change TEXT NOT NULL,
    old_severity TEXT,
    new_severity TEXT
);
CREATE INDEX finding_deltas_run ON finding_deltas (run_id, id);

CREATE TABLE exceptions (
    id BIGSERIAL PRIMARY KEY,
    spec TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    secret BYTEA NOT NULL,
    min_severity TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
