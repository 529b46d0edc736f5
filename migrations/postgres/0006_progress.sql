-- Progress derived from statements: each learner's state per unit (with the watched segments
-- of a video and the resume position) and per course (enrolled when first started).

CREATE TABLE unit_progress (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    unit_id       TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    course_id     TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    -- Seconds-from-start pairs "s[.]e" joined by "[,]", as the xAPI video profile writes them.
    segments      TEXT NOT NULL DEFAULT '',
    position_secs DOUBLE PRECISION NOT NULL DEFAULT 0,
    score         DOUBLE PRECISION,
    started_at    BIGINT NOT NULL,
    completed_at  BIGINT,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, unit_id)
);
CREATE INDEX unit_progress_course ON unit_progress(course_id, user_id);

CREATE TABLE course_progress (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    course_id     TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    started_at    BIGINT NOT NULL,
    completed_at  BIGINT,
    -- The `completed` statement Caravan recorded for the course.
    completion_statement_id TEXT,
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX course_progress_org ON course_progress(org_id, started_at);
