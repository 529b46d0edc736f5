//! The accounts area's SQL: users, sessions, login throttling and preferences.
//!
//! A user's role in an organisation and their list of memberships are read here too, since
//! `accounts` is below `orgs` (the organisations area imports this one, never the reverse).

use sqlx::AnyConnection;

use super::{Membership, User};
use crate::db::{Db, Flag};

const USER_COLUMNS: &str = "id, email, display_name, is_superadmin, created_at";

/// Inserts a user and returns it; fails with a unique violation when the e-mail is taken.
pub(crate) async fn insert_user(
    db: &Db,
    id: &str,
    email: &str,
    display_name: &str,
    password_hash: &str,
    is_superadmin: bool,
    created_at: i64,
) -> sqlx::Result<User> {
    sqlx::query_as::<_, User>(&format!(
        "INSERT INTO users (id, email, display_name, password_hash, is_superadmin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .bind(is_superadmin)
    .bind(created_at)
    .fetch_one(&db.pool)
    .await
}

/// The user with this e-mail address.
pub(crate) async fn user_by_email(db: &Db, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(&db.pool)
    .await
}

pub(crate) async fn user_by_id(db: &Db, id: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The stored password hash of a user.
pub(crate) async fn password_hash(db: &Db, user_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}

/// The stored role of the user in the organisation, if a member.
pub(crate) async fn role_in(db: &Db, user_id: &str, org_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await
}

/// The user's memberships with their organisations' slugs and names, by organisation name.
pub(crate) async fn memberships(db: &Db, user_id: &str) -> sqlx::Result<Vec<Membership>> {
    sqlx::query_as::<_, Membership>(
        "SELECT o.id AS org_id, o.slug AS org_slug, o.name AS org_name, m.role \
         FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// Inserts a session under the hash of its token.
pub(crate) async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    created_at: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(created_at)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A session's stored token hash and expiry with its user.
#[derive(sqlx::FromRow)]
pub(crate) struct SessionUser {
    pub token_hash: String,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub user: User,
}

/// The session stored under `token_hash` and its user, if it expires after `now`.
pub(crate) async fn live_session(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<SessionUser>> {
    sqlx::query_as::<_, SessionUser>(
        "SELECT s.token_hash, s.expires_at, u.id, u.email, u.display_name, u.is_superadmin, u.created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await
}

/// Deletes the session stored under `token_hash` and records its end for the other nodes'
/// session caches, in one transaction.
pub(crate) async fn delete_session(db: &Db, token_hash: &str, now: i64) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO session_revocations (token_hash, revoked_at) VALUES ($1, $2)")
        .bind(token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Token hashes of the sessions ended at or after `since`.
pub(crate) async fn revoked_since(db: &Db, since: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT token_hash FROM session_revocations WHERE revoked_at >= $1")
        .bind(since)
        .fetch_all(&db.pool)
        .await
}

/// Forgets revocations from before `before`: no session cache still holds what they name.
pub(crate) async fn prune_revocations(db: &Db, before: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM session_revocations WHERE revoked_at < $1")
            .bind(before)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// Makes sure the throttle key has a row, taking its row lock (PostgreSQL) or the write lock
/// (SQLite) until the transaction ends.
pub(crate) async fn lock_throttle_key(
    conn: &mut AnyConnection,
    key: &str,
    account: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_throttle (key, account, failures, next_at, updated_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (key) DO UPDATE SET key = excluded.key",
    )
    .bind(key)
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A throttle key's (failures, next_at, updated_at).
pub(crate) async fn throttle_state(
    conn: &mut AnyConnection,
    key: &str,
) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as("SELECT failures, next_at, updated_at FROM login_throttle WHERE key = $1")
        .bind(key)
        .fetch_one(conn)
        .await
}

/// Sets a throttle key's failures and the time of its next allowed attempt.
pub(crate) async fn set_throttle(
    conn: &mut AnyConnection,
    key: &str,
    failures: i64,
    next_at: i64,
    updated_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = $1, next_at = $2, updated_at = $3 WHERE key = $4",
    )
    .bind(failures)
    .bind(next_at)
    .bind(updated_at)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the throttle keys last updated before `updated_before` that no longer delay anyone
/// at `now`.
pub(crate) async fn prune_throttle(
    conn: &mut AnyConnection,
    updated_before: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE updated_at < $1 AND next_at < $2")
        .bind(updated_before)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes one throttle key.
pub(crate) async fn delete_throttle_key(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Takes one failure back from a throttle key that has any; returns the failures left.
pub(crate) async fn take_back_failure(
    conn: &mut AnyConnection,
    key: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0 \
         RETURNING failures",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Sets the time of a throttle key's next allowed attempt.
pub(crate) async fn set_throttle_next_at(
    conn: &mut AnyConnection,
    key: &str,
    next_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_throttle SET next_at = $1 WHERE key = $2")
        .bind(next_at)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes every throttle key that protects the account with this e-mail.
pub(crate) async fn delete_throttle_account(db: &Db, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE account = $1")
        .bind(email)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The user's stored `credential_email` preference, if they have a preferences row.
pub(crate) async fn credential_email(db: &Db, user_id: &str) -> sqlx::Result<Option<Flag>> {
    sqlx::query_scalar("SELECT credential_email FROM user_preferences WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}

/// Sets the user's `credential_email` preference, creating their preferences row if needed.
pub(crate) async fn set_credential_email(
    db: &Db,
    user_id: &str,
    plain: bool,
    updated_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, credential_email, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET credential_email = excluded.credential_email, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(plain)
    .bind(updated_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The user's stored `max_height` preference (outer `None`: no preferences row).
pub(crate) async fn max_height(db: &Db, user_id: &str) -> sqlx::Result<Option<Option<i64>>> {
    sqlx::query_scalar("SELECT max_height FROM user_preferences WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}

/// Sets the user's `max_height` preference, creating their preferences row if needed.
pub(crate) async fn set_max_height(
    db: &Db,
    user_id: &str,
    max_height: Option<i64>,
    updated_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, max_height, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET max_height = excluded.max_height, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(max_height)
    .bind(updated_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub(crate) async fn set_language(
    db: &Db,
    user_id: &str,
    language: &str,
    updated_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, language, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(language)
    .bind(updated_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub(crate) async fn language(db: &Db, user_id: &str) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar("SELECT language FROM user_preferences WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}

/// Replaces the learner's target groups (each kept with the time of their consent).
pub(crate) async fn set_target_groups(
    db: &Db,
    user_id: &str,
    groups: &[String],
    consented_at: i64,
) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM learner_target_groups WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for group in groups {
        sqlx::query(
            "INSERT INTO learner_target_groups (user_id, target_group, consented_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(group)
        .bind(consented_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

pub(crate) async fn target_groups(db: &Db, user_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT target_group FROM learner_target_groups WHERE user_id = $1 ORDER BY target_group",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}
