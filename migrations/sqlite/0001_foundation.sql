-- Accounts, organisations, consortia and the course catalogue.
-- Ids are UUIDv7 text (time-ordered, so they double as cursors); times are epoch milliseconds.
-- Booleans are INTEGER 0/1 here (sqlx's Any driver maps no SQLite BOOLEAN); see db::Flag.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_superadmin INTEGER NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'learner')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE join_codes (
    code       TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('learner')),
    max_uses   INTEGER,
    uses       INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER,
    revoked    INTEGER NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX join_codes_org ON join_codes(org_id);

CREATE TABLE consortia (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES orgs(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE consortium_members (
    consortium_id TEXT NOT NULL REFERENCES consortia(id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('invited', 'active')),
    invited_at    INTEGER NOT NULL,
    joined_at     INTEGER,
    PRIMARY KEY (consortium_id, org_id)
);
CREATE INDEX consortium_members_org ON consortium_members(org_id);

CREATE TABLE domains (
    slug       TEXT PRIMARY KEY,
    label_en   TEXT NOT NULL,
    label_zh   TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

CREATE TABLE target_groups (
    slug     TEXT PRIMARY KEY,
    label_en TEXT NOT NULL,
    label_zh TEXT NOT NULL
);

CREATE TABLE courses (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL DEFAULT '',
    domain            TEXT NOT NULL REFERENCES domains(slug),
    level             INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    language          TEXT NOT NULL,
    credit_value      DOUBLE PRECISION NOT NULL DEFAULT 0,
    estimated_minutes INTEGER NOT NULL DEFAULT 0,
    visibility        TEXT NOT NULL CHECK (visibility IN ('draft', 'org', 'consortium', 'public')),
    published_at      INTEGER,
    created_by        TEXT NOT NULL REFERENCES users(id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX courses_org ON courses(org_id);
CREATE INDEX courses_visibility ON courses(visibility);

CREATE TABLE course_target_groups (
    course_id    TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    target_group TEXT NOT NULL REFERENCES target_groups(slug),
    PRIMARY KEY (course_id, target_group)
);

CREATE TABLE course_tags (
    course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (course_id, tag)
);

-- A unit reused from another course keeps pointing at the original (source_unit_id) and shares
-- its asset: no bytes are copied.
CREATE TABLE units (
    id             TEXT PRIMARY KEY,
    course_id      TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('video', 'audio', 'document', 'vr', 'quiz', 'package')),
    title          TEXT NOT NULL,
    required       INTEGER NOT NULL DEFAULT TRUE,
    source_unit_id TEXT REFERENCES units(id) ON DELETE SET NULL,
    asset_id       TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX units_course ON units(course_id, position);
