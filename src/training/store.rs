//! The SQL of training classes, their sessions and attendance.

use crate::db::Db;

pub struct NewClass<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub title: &'a str,
    pub place: &'a str,
    pub online: bool,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub capacity: Option<i64>,
    pub created_by: &'a str,
    pub course_ids: &'a [String],
    pub teachers: &'a [(String, f64)],
    pub now: i64,
}

pub async fn insert_class(db: &Db, c: NewClass<'_>) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO classes (id, org_id, title, place, online, starts_on, ends_on, capacity, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(c.org_id)
    .bind(c.title)
    .bind(c.place)
    .bind(c.online)
    .bind(c.starts_on)
    .bind(c.ends_on)
    .bind(c.capacity)
    .bind(c.created_by)
    .bind(c.now)
    .execute(&mut *tx)
    .await?;
    for course in c.course_ids {
        sqlx::query("INSERT INTO class_courses (class_id, course_id) VALUES ($1, $2)")
            .bind(c.id)
            .bind(course)
            .execute(&mut *tx)
            .await?;
    }
    for (user, share) in c.teachers {
        sqlx::query("INSERT INTO class_teachers (class_id, user_id, share) VALUES ($1, $2, $3)")
            .bind(c.id)
            .bind(user)
            .bind(*share)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClassRow {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub place: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub online: bool,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: Option<i64>,
}

const CLASS_COLUMNS: &str = "id, org_id, title, place, online, starts_on, ends_on, capacity";

pub async fn class(db: &Db, id: &str) -> sqlx::Result<Option<ClassRow>> {
    sqlx::query_as(&format!(
        "SELECT {CLASS_COLUMNS} FROM classes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn classes_of_org(db: &Db, org_id: &str) -> sqlx::Result<Vec<ClassRow>> {
    sqlx::query_as(&format!(
        "SELECT {CLASS_COLUMNS} FROM classes WHERE org_id = $1 ORDER BY starts_on DESC, id"
    ))
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn course_ids(db: &Db, class_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT course_id FROM class_courses WHERE class_id = $1 ORDER BY course_id")
        .bind(class_id)
        .fetch_all(&db.pool)
        .await
}

pub async fn teachers(db: &Db, class_id: &str) -> sqlx::Result<Vec<(String, f64)>> {
    sqlx::query_as("SELECT user_id, share FROM class_teachers WHERE class_id = $1 ORDER BY user_id")
        .bind(class_id)
        .fetch_all(&db.pool)
        .await
}

pub async fn member_count(db: &Db, class_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM class_members WHERE class_id = $1")
        .bind(class_id)
        .fetch_one(&db.pool)
        .await
}

pub async fn is_member(db: &Db, class_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM class_members WHERE class_id = $1 AND user_id = $2",
    )
    .bind(class_id)
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Enrols the user; false if they were already.
pub async fn enrol(db: &Db, class_id: &str, user_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO class_members (class_id, user_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (class_id, user_id) DO NOTHING",
    )
    .bind(class_id)
    .bind(user_id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub class_id: String,
    pub starts_at: i64,
    pub hours: f64,
    pub place: String,
    pub secret: String,
}

pub async fn insert_session(db: &Db, s: &SessionRow, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO class_sessions (id, class_id, starts_at, hours, place, secret, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&s.id)
    .bind(&s.class_id)
    .bind(s.starts_at)
    .bind(s.hours)
    .bind(&s.place)
    .bind(&s.secret)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

const SESSION_COLUMNS: &str = "id, class_id, starts_at, hours, place, secret";

pub async fn session(db: &Db, id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM class_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn sessions_of(db: &Db, class_id: &str) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM class_sessions WHERE class_id = $1 ORDER BY starts_at, id"
    ))
    .bind(class_id)
    .fetch_all(&db.pool)
    .await
}

pub struct NewAttendance<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
    pub method: &'a str,
    pub attended_at: i64,
    pub recorded_by: &'a str,
    pub statement_id: &'a str,
}

/// Records attendance once; false if it was recorded already.
pub async fn insert_attendance(db: &Db, a: NewAttendance<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO attendance (session_id, user_id, method, attended_at, recorded_by, \
         statement_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, user_id) DO NOTHING",
    )
    .bind(a.session_id)
    .bind(a.user_id)
    .bind(a.method)
    .bind(a.attended_at)
    .bind(a.recorded_by)
    .bind(a.statement_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct RosterRow {
    pub user_id: String,
    pub display_name: String,
    /// `code` (scanned) or `teacher` (marked); null: not present.
    pub method: Option<String>,
    pub attended_at: Option<i64>,
}

/// The class's members with their attendance at the session.
pub async fn roster(db: &Db, class_id: &str, session_id: &str) -> sqlx::Result<Vec<RosterRow>> {
    sqlx::query_as(
        "SELECT m.user_id, u.display_name, a.method, a.attended_at FROM class_members m \
         JOIN users u ON u.id = m.user_id \
         LEFT JOIN attendance a ON a.session_id = $2 AND a.user_id = m.user_id \
         WHERE m.class_id = $1 ORDER BY u.display_name, m.user_id",
    )
    .bind(class_id)
    .bind(session_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn evaluation_questions(
    db: &Db,
    org_id: &str,
) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT question, text_en, text_zh FROM evaluation_questions WHERE org_id = $1 \
         ORDER BY position",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn set_evaluation_questions(
    db: &Db,
    org_id: &str,
    questions: &[(String, String, String)],
) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM evaluation_questions WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    for (i, (key, en, zh)) in questions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO evaluation_questions (org_id, position, question, text_en, text_zh) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org_id)
        .bind(i as i64)
        .bind(key)
        .bind(en)
        .bind(zh)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Stores an evaluation once; false if the learner gave one already.
pub async fn insert_evaluation(
    db: &Db,
    id: &str,
    course_id: &str,
    user_id: &str,
    ratings: &str,
    comment: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO evaluations (id, course_id, user_id, ratings, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (course_id, user_id) DO NOTHING",
    )
    .bind(id)
    .bind(course_id)
    .bind(user_id)
    .bind(ratings)
    .bind(comment)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A course's evaluations, ratings (JSON) and comments, without who gave them.
pub async fn evaluations(db: &Db, course_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT ratings, comment FROM evaluations WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(&db.pool)
        .await
}

/// A teacher's classes of an organisation, and a period (Unix ms, `from` included).
pub struct Scope<'a> {
    pub org_id: &'a str,
    pub teacher: &'a str,
    pub from: i64,
    pub to: i64,
}

/// What a teacher's classes did in a period, from the sessions that started in it.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct TaughtRow {
    pub sessions: i64,
    /// Hours of the sessions, each times the teacher's share of its class.
    pub hours: f64,
}

const TEACHES: &str = "JOIN class_teachers t ON t.class_id = c.id AND t.user_id = $2";

pub async fn taught(db: &Db, s: &Scope<'_>) -> sqlx::Result<TaughtRow> {
    sqlx::query_as(&format!(
        "SELECT COUNT(*) AS sessions, COALESCE(SUM(s.hours * t.share), 0.0) AS hours \
         FROM class_sessions s JOIN classes c ON c.id = s.class_id {TEACHES} \
         WHERE c.org_id = $1 AND s.starts_at >= $3 AND s.starts_at < $4"
    ))
    .bind(s.org_id)
    .bind(s.teacher)
    .bind(s.from)
    .bind(s.to)
    .fetch_one(&db.pool)
    .await
}

/// Attendances at the teacher's sessions in the period (person-times) and how many learners.
pub async fn trained(db: &Db, s: &Scope<'_>) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(&format!(
        "SELECT COUNT(*), COUNT(DISTINCT a.user_id) FROM attendance a \
         JOIN class_sessions s ON s.id = a.session_id JOIN classes c ON c.id = s.class_id \
         {TEACHES} WHERE c.org_id = $1 AND s.starts_at >= $3 AND s.starts_at < $4"
    ))
    .bind(s.org_id)
    .bind(s.teacher)
    .bind(s.from)
    .bind(s.to)
    .fetch_one(&db.pool)
    .await
}

/// Completions in the period of a course of the teacher's classes by a learner of that class.
pub async fn completions(db: &Db, s: &Scope<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM completion_events e WHERE e.completed_at >= $3 \
         AND e.completed_at < $4 AND e.id IN (SELECT e2.id FROM completion_events e2 \
         JOIN class_courses cc ON cc.course_id = e2.course_id \
         JOIN class_members m ON m.class_id = cc.class_id AND m.user_id = e2.user_id \
         JOIN classes c ON c.id = cc.class_id {TEACHES} WHERE c.org_id = $1)"
    ))
    .bind(s.org_id)
    .bind(s.teacher)
    .bind(s.from)
    .bind(s.to)
    .fetch_one(&db.pool)
    .await
}

/// The ratings (JSON) given in the period to the courses of the teacher's classes.
pub async fn teacher_ratings(db: &Db, s: &Scope<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(&format!(
        "SELECT v.ratings FROM evaluations v WHERE v.created_at >= $3 AND v.created_at < $4 \
         AND v.course_id IN (SELECT cc.course_id FROM class_courses cc \
         JOIN classes c ON c.id = cc.class_id {TEACHES} WHERE c.org_id = $1)"
    ))
    .bind(s.org_id)
    .bind(s.teacher)
    .bind(s.from)
    .bind(s.to)
    .fetch_all(&db.pool)
    .await
}

/// The organisation's teachers who teach a class of it.
pub async fn class_teachers_of_org(db: &Db, org_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT DISTINCT t.user_id, u.display_name FROM class_teachers t \
         JOIN classes c ON c.id = t.class_id JOIN users u ON u.id = t.user_id \
         WHERE c.org_id = $1 ORDER BY u.display_name, t.user_id",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}
