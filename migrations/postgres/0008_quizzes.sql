-- Quizzes scored on the server, their attempts, when a video's resume position was reported,
-- and the outbox of course completions that the credentials feature consumes.

CREATE TABLE quizzes (
    unit_id      TEXT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    -- Percent of the questions answered correctly that passes (0..100).
    pass_mark    INTEGER NOT NULL,
    max_attempts INTEGER,
    -- The questions with their answer key, as JSON (never sent to learners as stored).
    questions    TEXT NOT NULL,
    updated_by   TEXT NOT NULL REFERENCES users(id),
    updated_at   BIGINT NOT NULL
);

-- One row per scored attempt; the unique number makes the attempts limit hold under
-- concurrent submissions.
CREATE TABLE quiz_attempts (
    id           TEXT PRIMARY KEY,
    unit_id      TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    answers      TEXT NOT NULL,
    raw          INTEGER NOT NULL,
    max          INTEGER NOT NULL,
    percent      DOUBLE PRECISION NOT NULL,
    passed       BOOLEAN NOT NULL,
    statement_id TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (unit_id, user_id, number)
);

-- The statement time of the reported resume position, so an older statement that arrives
-- late (an offline batch) does not move it back.
ALTER TABLE unit_progress ADD COLUMN position_at BIGINT NOT NULL DEFAULT 0;

-- Outbox: one event per learner and course, written in the transaction that completes it.
CREATE TABLE completion_events (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    course_id    TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    completed_at BIGINT NOT NULL,
    consumed_at  BIGINT,
    UNIQUE (user_id, course_id)
);
CREATE INDEX completion_events_pending ON completion_events(consumed_at, completed_at);
