-- Administrative actions, as rows an organisation's admins can read: who did what, when.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    actor_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
