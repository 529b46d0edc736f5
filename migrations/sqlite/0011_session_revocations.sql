-- Sessions ended (sign-out) recently, so every node drops them from its session cache within
-- a second instead of at the cache's expiry. Rows older than the cache's lifetime are pruned.
CREATE TABLE session_revocations (
    token_hash TEXT NOT NULL,
    revoked_at INTEGER NOT NULL
);
CREATE INDEX session_revocations_at ON session_revocations(revoked_at);
