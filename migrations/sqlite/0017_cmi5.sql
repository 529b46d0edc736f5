-- cmi5: imported course structures, learners' registrations and AU sessions.
CREATE TABLE cmi5_packages (
    id           TEXT PRIMARY KEY,
    course_id    TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    asset_id     TEXT REFERENCES assets(id) ON DELETE SET NULL,
    publisher_id TEXT NOT NULL,
    title        TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX cmi5_packages_course ON cmi5_packages (course_id);

-- Blocks in document order; parent is the position of the enclosing block (NULL at top level).
CREATE TABLE cmi5_blocks (
    package_id   TEXT NOT NULL REFERENCES cmi5_packages(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    parent       INTEGER,
    publisher_id TEXT NOT NULL,
    title        TEXT NOT NULL,
    PRIMARY KEY (package_id, position)
);

-- One row per AU; the AU is a unit of kind 'package'.
CREATE TABLE cmi5_aus (
    unit_id           TEXT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    package_id        TEXT NOT NULL REFERENCES cmi5_packages(id) ON DELETE CASCADE,
    block             INTEGER,
    publisher_id      TEXT NOT NULL,
    url               TEXT NOT NULL,
    in_package        INTEGER NOT NULL,
    move_on           TEXT NOT NULL,
    mastery_score     REAL,
    launch_method     TEXT NOT NULL,
    launch_parameters TEXT,
    entitlement_key   TEXT
);
CREATE INDEX cmi5_aus_package ON cmi5_aus (package_id);

CREATE TABLE cmi5_registrations (
    id           TEXT PRIMARY KEY,
    package_id   TEXT NOT NULL REFERENCES cmi5_packages(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL
);
CREATE INDEX cmi5_registrations_user ON cmi5_registrations (user_id, package_id);

-- A launch. fetch_digest is spent (NULL) once the fetch URL has answered.
CREATE TABLE cmi5_sessions (
    id              TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES cmi5_registrations(id) ON DELETE CASCADE,
    unit_id         TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    launch_mode     TEXT NOT NULL,
    fetch_digest    TEXT,
    token_digest    TEXT,
    launched_at     INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    initialized_at  INTEGER,
    ended_at        INTEGER,
    ended_by        TEXT
);
CREATE INDEX cmi5_sessions_open ON cmi5_sessions (ended_at, last_seen_at);
CREATE INDEX cmi5_sessions_registration ON cmi5_sessions (registration_id, unit_id);

-- What an AU has reached in a registration.
CREATE TABLE cmi5_au_states (
    registration_id TEXT NOT NULL REFERENCES cmi5_registrations(id) ON DELETE CASCADE,
    unit_id         TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    completed_at    INTEGER,
    passed_at       INTEGER,
    failed_at       INTEGER,
    waived_at       INTEGER,
    PRIMARY KEY (registration_id, unit_id)
);

-- Blocks and courses recorded satisfied, by their LMS activity id.
CREATE TABLE cmi5_satisfied (
    registration_id TEXT NOT NULL REFERENCES cmi5_registrations(id) ON DELETE CASCADE,
    activity_id     TEXT NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (registration_id, activity_id)
);
