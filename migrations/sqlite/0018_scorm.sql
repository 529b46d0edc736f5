-- SCORM 1.2 and 2004: imported packages, their launchable items (units of kind 'package'),
-- each learner's attempts with their runtime data, and the sessions (launches) of an attempt.
CREATE TABLE scorm_packages (
    id          TEXT PRIMARY KEY,
    course_id   TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,
    version     TEXT NOT NULL,
    title       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX scorm_packages_course ON scorm_packages (course_id);

CREATE TABLE scorm_scos (
    unit_id              TEXT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    package_id           TEXT NOT NULL REFERENCES scorm_packages(id) ON DELETE CASCADE,
    identifier           TEXT NOT NULL,
    href                 TEXT NOT NULL,
    query                TEXT NOT NULL,
    sco                  INTEGER NOT NULL,
    mastery_score        REAL,
    scaled_passing_score REAL,
    completion_threshold REAL,
    launch_data          TEXT,
    max_time_allowed     TEXT,
    time_limit_action    TEXT
);
CREATE INDEX scorm_scos_package ON scorm_scos (package_id);

-- runtime is the learner-written part of the data model (JSON), kept between sessions;
-- ended_at is set when the attempt is over (a new launch starts the next one).
CREATE TABLE scorm_attempts (
    id            TEXT PRIMARY KEY,
    unit_id       TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    runtime       TEXT NOT NULL,
    completion    TEXT NOT NULL,
    success       TEXT NOT NULL,
    score_scaled  REAL,
    total_secs    REAL NOT NULL,
    last_exit     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    UNIQUE (unit_id, user_id, number)
);

CREATE TABLE scorm_sessions (
    id          TEXT PRIMARY KEY,
    attempt_id  TEXT NOT NULL REFERENCES scorm_attempts(id) ON DELETE CASCADE,
    launch_mode TEXT NOT NULL,
    entry       TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX scorm_sessions_attempt ON scorm_sessions (attempt_id);
