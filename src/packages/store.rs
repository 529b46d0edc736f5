//! The SQL of imported packages: cmi5 structures, registrations, sessions and what each AU has
//! reached in a registration.

use sqlx::AnyConnection;

use crate::db::Db;

/// An AU with what launching and tracking it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuRow {
    pub unit_id: String,
    pub title: String,
    pub course_id: String,
    pub org_id: String,
    pub package_id: String,
    pub asset_id: Option<String>,
    pub block: Option<i64>,
    pub publisher_id: String,
    pub url: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub in_package: bool,
    pub move_on: String,
    pub mastery_score: Option<f64>,
    pub launch_method: String,
    pub launch_parameters: Option<String>,
    pub entitlement_key: Option<String>,
}

const AU_COLUMNS: &str = "a.unit_id, u.title, u.course_id, c.org_id, a.package_id, p.asset_id, \
    a.block, a.publisher_id, a.url, a.in_package, a.move_on, a.mastery_score, a.launch_method, \
    a.launch_parameters, a.entitlement_key";

const AU_FROM: &str = "FROM cmi5_aus a JOIN units u ON u.id = a.unit_id \
    JOIN courses c ON c.id = u.course_id JOIN cmi5_packages p ON p.id = a.package_id";

pub async fn au(db: &Db, unit_id: &str) -> sqlx::Result<Option<AuRow>> {
    sqlx::query_as(&format!(
        "SELECT {AU_COLUMNS} {AU_FROM} WHERE a.unit_id = $1"
    ))
    .bind(unit_id)
    .fetch_optional(&db.pool)
    .await
}

/// The package's AUs in course order.
pub async fn aus_of_package(db: &Db, package_id: &str) -> sqlx::Result<Vec<AuRow>> {
    sqlx::query_as(&format!(
        "SELECT {AU_COLUMNS} {AU_FROM} WHERE a.package_id = $1 ORDER BY u.position"
    ))
    .bind(package_id)
    .fetch_all(&db.pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlockRow {
    pub position: i64,
    pub parent: Option<i64>,
    pub publisher_id: String,
}

pub async fn blocks(db: &Db, package_id: &str) -> sqlx::Result<Vec<BlockRow>> {
    sqlx::query_as(
        "SELECT position, parent, publisher_id FROM cmi5_blocks WHERE package_id = $1 \
         ORDER BY position",
    )
    .bind(package_id)
    .fetch_all(&db.pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub publisher_id: String,
}

pub async fn package(db: &Db, id: &str) -> sqlx::Result<Option<PackageRow>> {
    sqlx::query_as("SELECT publisher_id FROM cmi5_packages WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub struct NewPackage<'a> {
    pub id: &'a str,
    pub course_id: &'a str,
    pub asset_id: Option<&'a str>,
    pub publisher_id: &'a str,
    pub title: &'a str,
    pub now: i64,
}

pub async fn insert_package(conn: &mut AnyConnection, p: NewPackage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cmi5_packages (id, course_id, asset_id, publisher_id, title, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(p.id)
    .bind(p.course_id)
    .bind(p.asset_id)
    .bind(p.publisher_id)
    .bind(p.title)
    .bind(p.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_block(
    conn: &mut AnyConnection,
    package_id: &str,
    position: i64,
    parent: Option<i64>,
    publisher_id: &str,
    title: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cmi5_blocks (package_id, position, parent, publisher_id, title) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(package_id)
    .bind(position)
    .bind(parent)
    .bind(publisher_id)
    .bind(title)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct NewAu<'a> {
    pub unit_id: &'a str,
    pub package_id: &'a str,
    pub block: Option<i64>,
    pub publisher_id: &'a str,
    pub url: &'a str,
    pub in_package: bool,
    pub move_on: &'a str,
    pub mastery_score: Option<f64>,
    pub launch_method: &'a str,
    pub launch_parameters: Option<&'a str>,
    pub entitlement_key: Option<&'a str>,
}

pub async fn insert_au(conn: &mut AnyConnection, a: NewAu<'_>) -> sqlx::Result<()> {
    // A NULL float cannot be bound through the Any driver on PostgreSQL.
    let (has_mastery, mastery) = crate::db::optional_float(a.mastery_score);
    sqlx::query(
        "INSERT INTO cmi5_aus (unit_id, package_id, block, publisher_id, url, in_package, \
         move_on, mastery_score, launch_method, launch_parameters, entitlement_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $12 THEN $8 END, $9, $10, $11)",
    )
    .bind(a.unit_id)
    .bind(a.package_id)
    .bind(a.block)
    .bind(a.publisher_id)
    .bind(a.url)
    .bind(a.in_package)
    .bind(a.move_on)
    .bind(mastery)
    .bind(a.launch_method)
    .bind(a.launch_parameters)
    .bind(a.entitlement_key)
    .bind(has_mastery)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    pub package_id: String,
    pub user_id: String,
}

pub async fn registration(db: &Db, id: &str) -> sqlx::Result<Option<RegistrationRow>> {
    sqlx::query_as("SELECT package_id, user_id FROM cmi5_registrations WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The learner's newest registration in the package.
pub async fn latest_registration(
    db: &Db,
    user_id: &str,
    package_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM cmi5_registrations WHERE user_id = $1 AND package_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(package_id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn insert_registration(
    db: &Db,
    id: &str,
    package_id: &str,
    user_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cmi5_registrations (id, package_id, user_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(package_id)
    .bind(user_id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub registration_id: String,
    pub unit_id: String,
    pub user_id: String,
    pub launch_mode: String,
    pub token_digest: Option<String>,
    pub launched_at: i64,
    pub initialized_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub ended_by: Option<String>,
}

const SESSION_COLUMNS: &str = "id, registration_id, unit_id, user_id, launch_mode, token_digest, \
    launched_at, initialized_at, ended_at, ended_by";

pub async fn session(db: &Db, id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM cmi5_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Open sessions of the registration's AU (a new launch abandons them).
pub async fn open_sessions(
    db: &Db,
    registration_id: &str,
    unit_id: &str,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM cmi5_sessions \
         WHERE registration_id = $1 AND unit_id = $2 AND ended_at IS NULL"
    ))
    .bind(registration_id)
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await
}

/// Open sessions not heard from since `before`.
pub async fn idle_sessions(db: &Db, before: i64, limit: i64) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM cmi5_sessions \
         WHERE ended_at IS NULL AND last_seen_at < $1 ORDER BY last_seen_at LIMIT $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub registration_id: &'a str,
    pub unit_id: &'a str,
    pub user_id: &'a str,
    pub launch_mode: &'a str,
    pub fetch_digest: &'a str,
    pub now: i64,
}

pub async fn insert_session(db: &Db, s: NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cmi5_sessions (id, registration_id, unit_id, user_id, launch_mode, \
         fetch_digest, launched_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(s.id)
    .bind(s.registration_id)
    .bind(s.unit_id)
    .bind(s.user_id)
    .bind(s.launch_mode)
    .bind(s.fetch_digest)
    .bind(s.now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The fetch secret's digest while it is unspent.
pub async fn fetch_digest(db: &Db, session_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT fetch_digest FROM cmi5_sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(&db.pool)
        .await
        .map(Option::flatten)
}

/// Spends the fetch secret and stores the auth token's digest; false if another call spent it.
pub async fn spend_fetch(
    db: &Db,
    session_id: &str,
    fetch_digest: &str,
    token_digest: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE cmi5_sessions SET fetch_digest = NULL, token_digest = $3 \
         WHERE id = $1 AND fetch_digest = $2 AND ended_at IS NULL",
    )
    .bind(session_id)
    .bind(fetch_digest)
    .bind(token_digest)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what a batch of the AU's statements did to its session.
pub async fn touch_session(
    db: &Db,
    id: &str,
    initialized: bool,
    terminated: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE cmi5_sessions SET last_seen_at = $2, \
         initialized_at = CASE WHEN $3 AND initialized_at IS NULL THEN $2 ELSE initialized_at END, \
         ended_at = CASE WHEN $4 AND ended_at IS NULL THEN $2 ELSE ended_at END, \
         ended_by = CASE WHEN $4 AND ended_at IS NULL THEN 'terminated' ELSE ended_by END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(initialized)
    .bind(terminated)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends an open session as abandoned; false if it had ended already.
pub async fn abandon_session(db: &Db, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE cmi5_sessions SET ended_at = $2, ended_by = 'abandoned' \
         WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct AuStateRow {
    pub unit_id: String,
    pub completed_at: Option<i64>,
    pub passed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub waived_at: Option<i64>,
}

/// What each AU of the registration has reached (AUs with nothing yet have no row).
pub async fn au_states(db: &Db, registration_id: &str) -> sqlx::Result<Vec<AuStateRow>> {
    sqlx::query_as(
        "SELECT unit_id, completed_at, passed_at, failed_at, waived_at FROM cmi5_au_states \
         WHERE registration_id = $1",
    )
    .bind(registration_id)
    .fetch_all(&db.pool)
    .await
}

/// Marks the AU completed, passed, failed or waived in the registration (the first time
/// counts); false if it was marked so already.
pub async fn reach(
    db: &Db,
    registration_id: &str,
    unit_id: &str,
    column: Reached,
    now: i64,
) -> sqlx::Result<bool> {
    let column = column.column();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO cmi5_au_states (registration_id, unit_id) VALUES ($1, $2) \
         ON CONFLICT (registration_id, unit_id) DO NOTHING",
    )
    .bind(registration_id)
    .bind(unit_id)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(&format!(
        "UPDATE cmi5_au_states SET {column} = $3 \
         WHERE registration_id = $1 AND unit_id = $2 AND {column} IS NULL"
    ))
    .bind(registration_id)
    .bind(unit_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// A column of `cmi5_au_states`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    Completed,
    Passed,
    Failed,
    Waived,
}

impl Reached {
    fn column(self) -> &'static str {
        match self {
            Self::Completed => "completed_at",
            Self::Passed => "passed_at",
            Self::Failed => "failed_at",
            Self::Waived => "waived_at",
        }
    }
}

/// Records a block or the course satisfied in the registration; false if it was already.
pub async fn satisfy(
    db: &Db,
    registration_id: &str,
    activity_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO cmi5_satisfied (registration_id, activity_id, at) VALUES ($1, $2, $3) \
         ON CONFLICT (registration_id, activity_id) DO NOTHING",
    )
    .bind(registration_id)
    .bind(activity_id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
