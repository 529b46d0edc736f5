-- Learners' evaluations of a course they completed: ratings 1–5 on the organisation's questions
-- (the defaults when it set none), with an optional comment; one per learner and course.
CREATE TABLE evaluation_questions (
    org_id   TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    text_en  TEXT NOT NULL,
    text_zh  TEXT NOT NULL,
    PRIMARY KEY (org_id, position)
);

CREATE TABLE evaluations (
    id         TEXT PRIMARY KEY,
    course_id  TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ratings    TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (course_id, user_id)
);
