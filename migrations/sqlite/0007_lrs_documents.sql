-- The xAPI document resources (State, Activity Profile, Agent Profile): one row per document.
-- `tenant` is `org:{id}` for an organisation's LRS clients and `user:{id}` for a learner, so
-- neither sees the other's documents. Parts a resource does not use are '' rather than NULL so
-- the primary key makes each document unique on both backends. `agent` is the normalised IFI.
CREATE TABLE xapi_documents (
    tenant       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('state', 'activity_profile', 'agent_profile')),
    activity_id  TEXT NOT NULL,
    agent        TEXT NOT NULL,
    registration TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    content      BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag         TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, activity_id, agent, registration, doc_id)
);
