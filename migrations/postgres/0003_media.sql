-- Media ingest: content-addressed blobs, resumable uploads, assets with renditions, durable jobs.

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    bytes      BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A tus upload. Received bytes are stored as part objects (uploads/{id}/{offset}); upload_offset
-- only advances after a part is durably stored, so a killed server resumes from it.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    unit_id       TEXT REFERENCES units(id) ON DELETE SET NULL,
    filename      TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    upload_length BIGINT NOT NULL,
    upload_offset BIGINT NOT NULL DEFAULT 0,
    parts         TEXT NOT NULL DEFAULT '[]',
    asset_id      TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX uploads_org ON uploads(org_id);
CREATE INDEX uploads_expires ON uploads(expires_at);

CREATE TABLE assets (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    source_sha256 TEXT NOT NULL,
    filename      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    mime          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    progress      BIGINT NOT NULL DEFAULT 0,
    error_code    TEXT,
    error_detail  TEXT,
    duration_ms   BIGINT,
    width         BIGINT,
    height        BIGINT,
    spherical     BOOLEAN NOT NULL DEFAULT FALSE,
    job_id        TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX assets_org ON assets(org_id);
CREATE INDEX assets_source ON assets(source_sha256);

CREATE TABLE renditions (
    asset_id   TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    width      BIGINT,
    height     BIGINT,
    bitrate    BIGINT,
    codecs     TEXT,
    language   TEXT,
    label      TEXT,
    fragments  TEXT,
    PRIMARY KEY (asset_id, name)
);
CREATE INDEX renditions_sha ON renditions(sha256);

-- Durable jobs, claimed with a lease that heartbeats extend; an expired lease makes the job
-- claimable again by any node.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    max_attempts     BIGINT NOT NULL,
    run_after        BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    progress         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX jobs_claim ON jobs(status, run_after);
