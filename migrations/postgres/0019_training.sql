-- Training classes (cohorts) of an organisation, their dated in-person or live sessions, and
-- who attended each (by the session's rotating code, or marked by a teacher).
CREATE TABLE classes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    place       TEXT NOT NULL,
    online      BOOLEAN NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    capacity    BIGINT,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX classes_org ON classes (org_id);

CREATE TABLE class_courses (
    class_id  TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, course_id)
);

-- share: the teacher's part of the class's teaching (the shares of a class add up to 1).
CREATE TABLE class_teachers (
    class_id TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    share    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (class_id, user_id)
);

CREATE TABLE class_members (
    class_id  TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_members_user ON class_members (user_id);

-- secret keys the session's rotating attendance code; never sent to a learner.
CREATE TABLE class_sessions (
    id         TEXT PRIMARY KEY,
    class_id   TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    starts_at  BIGINT NOT NULL,
    hours      DOUBLE PRECISION NOT NULL,
    place      TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX class_sessions_class ON class_sessions (class_id, starts_at);

CREATE TABLE attendance (
    session_id   TEXT NOT NULL REFERENCES class_sessions(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method       TEXT NOT NULL CHECK (method IN ('code', 'teacher')),
    attended_at  BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
