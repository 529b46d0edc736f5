-- Self-registration: an address confirms by the link mailed to it before an account exists.
CREATE TABLE registrations (
    token_hash    TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL,
    -- JSON list of target-group slugs, empty without consent.
    target_groups TEXT NOT NULL,
    consented_at  BIGINT,
    org_id        TEXT REFERENCES orgs(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX registrations_email ON registrations (email);
CREATE INDEX registrations_expiry ON registrations (expires_at);

-- An organisation may let anyone register into it as a learner.
ALTER TABLE orgs ADD COLUMN open_registration BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE user_preferences ADD COLUMN language TEXT;

-- The target groups a learner said they belong to, kept only with their consent and used only
-- in aggregate reports.
CREATE TABLE learner_target_groups (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target_group TEXT NOT NULL,
    consented_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, target_group)
);
