-- Login throttling by growing delays: one row per key (an account from an address, an
-- account, an address, a known device), locked while an attempt is charged to it.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key        TEXT PRIMARY KEY,
    -- The e-mail of the account the key protects (NULL for an address), for an admin's unlock.
    account    TEXT,
    failures   BIGINT NOT NULL,
    -- No attempt on this key before this time (epoch ms).
    next_at    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_account ON login_throttle(account) WHERE account IS NOT NULL;

-- Stored xAPI attachments belong to the tenant that sent them (an organisation, or a learner),
-- and are found only within it. Existing bytes go to every tenant whose statements name them.
CREATE TABLE xapi_tenant_attachments (
    tenant       TEXT NOT NULL,
    sha2         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    length       BIGINT NOT NULL,
    content      BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant, sha2)
);
INSERT INTO xapi_tenant_attachments
SELECT CASE WHEN s.authority_id LIKE 'user:%' THEN s.authority_id ELSE 'org:' || s.org_id END,
       a.sha2, a.content_type, a.length, a.content, a.created_at
FROM xapi_attachments a JOIN xapi_statements s ON s.body LIKE '%' || a.sha2 || '%'
ON CONFLICT DO NOTHING;
DROP TABLE xapi_attachments;
ALTER TABLE xapi_tenant_attachments RENAME TO xapi_attachments;

-- An admin who adds someone who already has an account invites them: the membership begins
-- when they accept (the admin never enrols another organisation's learner silently).
CREATE TABLE member_invitations (
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX member_invitations_user ON member_invitations(user_id);
