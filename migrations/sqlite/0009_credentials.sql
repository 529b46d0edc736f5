-- Open Badges 3.0 credentials, the organisations' signing keys, the learning account (credit
-- bank) and the organisations' conversion rules.

-- Ed25519 keys per organisation. The secret half is sealed (ChaCha20-Poly1305) with a key
-- derived from the server secret; rotating retires a key but keeps it for verification.
CREATE TABLE issuer_keys (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    -- Multibase Ed25519 public key (z6Mk…); its did:key is the issuer id.
    public_key     TEXT NOT NULL UNIQUE,
    sealed_secret  TEXT NOT NULL,
    active         INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    retired_at     INTEGER
);
-- At most one active key per organisation, even when two nodes create one at once.
CREATE UNIQUE INDEX issuer_keys_active ON issuer_keys(org_id) WHERE active = TRUE;

CREATE TABLE credentials (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Set for a completed course; NULL for learning recognised from elsewhere.
    course_id      TEXT REFERENCES courses(id) ON DELETE SET NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('course', 'external')),
    name           TEXT NOT NULL,
    domain         TEXT,
    level          INTEGER,
    hours          DOUBLE PRECISION NOT NULL,
    credits        DOUBLE PRECISION NOT NULL,
    status_list    INTEGER NOT NULL,
    status_index   INTEGER NOT NULL,
    key_id         TEXT NOT NULL REFERENCES issuer_keys(id),
    -- The signed credential exactly as issued (JSON-LD with its Data Integrity proof).
    document       TEXT NOT NULL,
    issued_at      INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT,
    revoked_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    -- Share links are derived from the id, this counter and the server secret; only their
    -- digest is stored, to find the credential. Stopping sharing bumps the counter.
    share_hash     TEXT UNIQUE,
    share_version  INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    -- Status lists belong to the key that signed their credentials (a list and its credentials
    -- must name the same issuer).
    UNIQUE (key_id, status_list, status_index)
);
-- One credential per learner and completed course, however often completion is processed.
CREATE UNIQUE INDEX credentials_course ON credentials(user_id, course_id) WHERE kind = 'course';
CREATE INDEX credentials_user ON credentials(user_id, issued_at);
CREATE INDEX credentials_org ON credentials(org_id, updated_at);

-- One learning-account entry per credential; totals leave out revoked credentials.
CREATE TABLE credit_entries (
    id            TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL UNIQUE REFERENCES credentials(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    course_id     TEXT,
    domain        TEXT,
    level         INTEGER,
    hours         DOUBLE PRECISION NOT NULL,
    -- The credential's credit value, and what the organisation's rules convert it to (0 when
    -- the rules do not count it), with the rule applied in words.
    credits       DOUBLE PRECISION NOT NULL,
    convertible   DOUBLE PRECISION NOT NULL,
    rule          TEXT NOT NULL,
    earned_at     INTEGER NOT NULL
);
CREATE INDEX credit_entries_user ON credit_entries(user_id, earned_at);

-- How an organisation turns learning into credits, as JSON (see credentials::rules).
CREATE TABLE credit_rules (
    org_id     TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    rules      TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    updated_at INTEGER NOT NULL
);

-- Learners choose whether their credentials name their plain email (default: a salted hash).
ALTER TABLE user_preferences ADD COLUMN credential_email INTEGER NOT NULL DEFAULT 0;
