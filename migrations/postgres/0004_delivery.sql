-- Delivery: CRC-32 of every blob (so a ZIP bundle's layout is known without reading its files),
-- URL-signing keys shared by all nodes, and each learner's data-saver cap.
ALTER TABLE blobs ADD COLUMN crc32 BIGINT;

CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE user_preferences (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    max_height BIGINT,
    updated_at BIGINT NOT NULL
);
