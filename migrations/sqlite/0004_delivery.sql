-- Delivery: CRC-32 of every blob (so a ZIP bundle's layout is known without reading its files),
-- URL-signing keys shared by all nodes, and each learner's data-saver cap.
ALTER TABLE blobs ADD COLUMN crc32 INTEGER;

CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_preferences (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    max_height INTEGER,
    updated_at INTEGER NOT NULL
);
