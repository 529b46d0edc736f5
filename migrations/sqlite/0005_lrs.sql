-- The xAPI Learning Record Store: credentials for other systems, statements stored once with the
-- columns the filters need, the related agents and activities of each statement, and attachments.

CREATE TABLE lrs_clients (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    key           TEXT NOT NULL UNIQUE,
    secret_digest TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX lrs_clients_org ON lrs_clients(org_id);

CREATE TABLE xapi_statements (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    -- Who may read it: the organisation of the client that wrote it (or of the course it is
    -- about), the learner it is about, and the client itself for "read/mine".
    org_id       TEXT,
    user_id      TEXT,
    authority_id TEXT NOT NULL,
    stored       INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    verb         TEXT NOT NULL,
    activity     TEXT,
    registration TEXT,
    object_ref   TEXT,
    voids        TEXT,
    voided       INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL
);
CREATE INDEX xapi_statements_verb ON xapi_statements(verb, seq);
CREATE INDEX xapi_statements_activity ON xapi_statements(activity, seq);
CREATE INDEX xapi_statements_registration ON xapi_statements(registration, seq);
CREATE INDEX xapi_statements_org ON xapi_statements(org_id, seq);
CREATE INDEX xapi_statements_user ON xapi_statements(user_id, seq);
CREATE INDEX xapi_statements_stored ON xapi_statements(stored);
CREATE INDEX xapi_statements_object_ref ON xapi_statements(object_ref) WHERE object_ref IS NOT NULL;
CREATE INDEX xapi_statements_voids ON xapi_statements(voids) WHERE voids IS NOT NULL;

-- The agents and activities a statement matches in the `agent` and `related_*` filters:
-- 'a' an agent that is its actor or object (or a member of that group), 'g' any agent it
-- relates to (the 'a' ones included), 'c' any activity it relates to (its object included).
CREATE TABLE xapi_statement_refs (
    value TEXT NOT NULL,
    kind  TEXT NOT NULL,
    seq   INTEGER NOT NULL,
    PRIMARY KEY (value, kind, seq)
) WITHOUT ROWID;

CREATE TABLE xapi_attachments (
    sha2         TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    length       INTEGER NOT NULL,
    content      BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
