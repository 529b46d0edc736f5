//! The SQL of SCORM packages: their launchable items, each learner's attempts and the sessions
//! (launches) of an attempt.

use sqlx::AnyConnection;

use crate::db::Db;

pub struct NewPackage<'a> {
    pub id: &'a str,
    pub course_id: &'a str,
    pub asset_id: &'a str,
    pub identifier: &'a str,
    pub version: &'a str,
    pub title: &'a str,
    pub now: i64,
}

pub async fn insert_package(conn: &mut AnyConnection, p: NewPackage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scorm_packages (id, course_id, asset_id, identifier, version, title, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(p.id)
    .bind(p.course_id)
    .bind(p.asset_id)
    .bind(p.identifier)
    .bind(p.version)
    .bind(p.title)
    .bind(p.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct NewSco<'a> {
    pub unit_id: &'a str,
    pub package_id: &'a str,
    pub identifier: &'a str,
    pub href: &'a str,
    pub query: &'a str,
    pub sco: bool,
    pub mastery_score: Option<f64>,
    pub scaled_passing_score: Option<f64>,
    pub completion_threshold: Option<f64>,
    pub launch_data: Option<&'a str>,
    pub max_time_allowed: Option<&'a str>,
    pub time_limit_action: Option<&'a str>,
}

pub async fn insert_sco(conn: &mut AnyConnection, s: NewSco<'_>) -> sqlx::Result<()> {
    // A NULL float cannot be bound through the Any driver on PostgreSQL (`db::optional_float`).
    let mastery = crate::db::optional_float(s.mastery_score);
    let passing = crate::db::optional_float(s.scaled_passing_score);
    let threshold = crate::db::optional_float(s.completion_threshold);
    sqlx::query(
        "INSERT INTO scorm_scos (unit_id, package_id, identifier, href, query, sco, \
         mastery_score, scaled_passing_score, completion_threshold, launch_data, \
         max_time_allowed, time_limit_action) \
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $13 THEN $7 END, CASE WHEN $14 THEN $8 END, \
         CASE WHEN $15 THEN $9 END, $10, $11, $12)",
    )
    .bind(s.unit_id)
    .bind(s.package_id)
    .bind(s.identifier)
    .bind(s.href)
    .bind(s.query)
    .bind(s.sco)
    .bind(mastery.1)
    .bind(passing.1)
    .bind(threshold.1)
    .bind(s.launch_data)
    .bind(s.max_time_allowed)
    .bind(s.time_limit_action)
    .bind(mastery.0)
    .bind(passing.0)
    .bind(threshold.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// A launchable item with what launching and tracking it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoRow {
    pub unit_id: String,
    pub title: String,
    pub course_id: String,
    pub org_id: String,
    pub package_id: String,
    pub asset_id: String,
    pub version: String,
    pub identifier: String,
    pub href: String,
    pub query: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub sco: bool,
    pub mastery_score: Option<f64>,
    pub scaled_passing_score: Option<f64>,
    pub completion_threshold: Option<f64>,
    pub launch_data: Option<String>,
    pub max_time_allowed: Option<String>,
    pub time_limit_action: Option<String>,
}

pub async fn sco(db: &Db, unit_id: &str) -> sqlx::Result<Option<ScoRow>> {
    sqlx::query_as(
        "SELECT s.unit_id, u.title, u.course_id, c.org_id, s.package_id, p.asset_id, p.version, \
         s.identifier, s.href, s.query, s.sco, s.mastery_score, s.scaled_passing_score, \
         s.completion_threshold, s.launch_data, s.max_time_allowed, s.time_limit_action \
         FROM scorm_scos s JOIN units u ON u.id = s.unit_id \
         JOIN courses c ON c.id = u.course_id JOIN scorm_packages p ON p.id = s.package_id \
         WHERE s.unit_id = $1",
    )
    .bind(unit_id)
    .fetch_optional(&db.pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AttemptRow {
    pub id: String,
    #[serde(skip)]
    pub unit_id: String,
    #[serde(skip)]
    pub user_id: String,
    /// 1 for the first attempt.
    pub number: i64,
    /// The learner-written data model kept between sessions (JSON text).
    #[serde(skip)]
    pub runtime: String,
    /// `completed`, `incomplete`, `not attempted` or `unknown`.
    pub completion: String,
    /// `passed`, `failed` or `unknown`.
    pub success: String,
    pub score_scaled: Option<f64>,
    pub total_secs: f64,
    /// How the last session ended (`suspend`, `logout`, `normal`, …); empty while none has.
    pub last_exit: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
}

const ATTEMPT_COLUMNS: &str = "id, unit_id, user_id, number, runtime, completion, success, \
    score_scaled, total_secs, last_exit, created_at, updated_at, ended_at";

pub async fn latest_attempt(
    db: &Db,
    unit_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<AttemptRow>> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM scorm_attempts WHERE unit_id = $1 AND user_id = $2 \
         ORDER BY number DESC LIMIT 1"
    ))
    .bind(unit_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn attempts(db: &Db, unit_id: &str, user_id: &str) -> sqlx::Result<Vec<AttemptRow>> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM scorm_attempts WHERE unit_id = $1 AND user_id = $2 \
         ORDER BY number"
    ))
    .bind(unit_id)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn attempt(db: &Db, id: &str) -> sqlx::Result<Option<AttemptRow>> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM scorm_attempts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Starts attempt `number`; false when another launch started that number first.
pub async fn insert_attempt(
    db: &Db,
    id: &str,
    unit_id: &str,
    user_id: &str,
    number: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO scorm_attempts (id, unit_id, user_id, number, runtime, completion, \
         success, total_secs, last_exit, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '{}', 'not attempted', 'unknown', 0, '', $5, $5) \
         ON CONFLICT (unit_id, user_id, number) DO NOTHING",
    )
    .bind(id)
    .bind(unit_id)
    .bind(user_id)
    .bind(number)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the attempt's open sessions (a new launch replaces them); what they did not commit is
/// lost, as when a browser closes.
pub async fn end_open_sessions(db: &Db, attempt_id: &str, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE scorm_sessions SET ended_at = $2 WHERE attempt_id = $1 AND ended_at IS NULL",
    )
    .bind(attempt_id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_session(
    db: &Db,
    id: &str,
    attempt_id: &str,
    mode: &str,
    entry: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scorm_sessions (id, attempt_id, launch_mode, entry, started_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(attempt_id)
    .bind(mode)
    .bind(entry)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub attempt_id: String,
    pub unit_id: String,
    pub user_id: String,
    pub launch_mode: String,
    pub entry: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

pub async fn session(db: &Db, id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.id, s.attempt_id, a.unit_id, a.user_id, s.launch_mode, s.entry, \
         s.started_at, s.ended_at \
         FROM scorm_sessions s JOIN scorm_attempts a ON a.id = s.attempt_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// What a commit writes to its attempt.
pub struct Commit<'a> {
    pub session_id: &'a str,
    pub attempt_id: &'a str,
    /// False for a browse or review launch: the session ends, the attempt stays as it was.
    pub credited: bool,
    pub runtime: &'a str,
    pub completion: &'a str,
    pub success: &'a str,
    pub score_scaled: Option<f64>,
    /// Set when the SCO terminated: the session's time, added to the attempt's total.
    pub terminated: Option<Terminated<'a>>,
    pub now: i64,
}

pub struct Terminated<'a> {
    pub session_secs: f64,
    pub exit: &'a str,
    pub ends_attempt: bool,
}

/// Writes a commit of an open session in one transaction; false if the session has ended.
pub async fn save_commit(db: &Db, c: Commit<'_>) -> sqlx::Result<bool> {
    let score = crate::db::optional_float(c.score_scaled);
    let mut tx = db.pool.begin().await?;
    let open = match &c.terminated {
        Some(_) => {
            sqlx::query(
                "UPDATE scorm_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
            )
            .bind(c.session_id)
            .bind(c.now)
            .execute(&mut *tx)
            .await?
        }
        // A no-op update rather than a SELECT: it locks the session's row for this transaction,
        // so a terminating commit cannot end the session between this check and the write.
        None => {
            sqlx::query(
                "UPDATE scorm_sessions SET entry = entry WHERE id = $1 AND ended_at IS NULL",
            )
            .bind(c.session_id)
            .execute(&mut *tx)
            .await?
        }
    };
    if open.rows_affected() != 1 {
        return Ok(false);
    }
    if !c.credited {
        tx.commit().await?;
        return Ok(true);
    }
    sqlx::query(
        "UPDATE scorm_attempts SET runtime = $2, completion = $3, success = $4, \
         score_scaled = CASE WHEN $7 THEN $5 END, updated_at = $6 WHERE id = $1",
    )
    .bind(c.attempt_id)
    .bind(c.runtime)
    .bind(c.completion)
    .bind(c.success)
    .bind(score.1)
    .bind(c.now)
    .bind(score.0)
    .execute(&mut *tx)
    .await?;
    if let Some(t) = &c.terminated {
        let ended = t.ends_attempt.then_some(c.now);
        sqlx::query(
            "UPDATE scorm_attempts SET total_secs = total_secs + $2, last_exit = $3, \
             ended_at = $4 WHERE id = $1",
        )
        .bind(c.attempt_id)
        .bind(t.session_secs)
        .bind(t.exit)
        .bind(ended)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}
