//! A user's own settings, one row each: how credentials name them, and the data-saver cap on
//! video quality.

use crate::{
    db::{time::now_ms, Db, Flag},
    error::AppResult,
};

/// Whether credentials issued from now on carry the plain e-mail address (instead of a salted
/// hash of it).
pub async fn credential_email(db: &Db, user_id: &str) -> AppResult<bool> {
    let plain: Option<Flag> =
        sqlx::query_scalar("SELECT credential_email FROM user_preferences WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(plain.is_some_and(bool::from))
}

pub async fn set_credential_email(db: &Db, user_id: &str, plain: bool) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, credential_email, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET credential_email = excluded.credential_email, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(plain)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Video rungs above this height are left out of the user's playlists; `None` for no cap.
pub async fn max_height(db: &Db, user_id: &str) -> AppResult<Option<i64>> {
    let cap: Option<Option<i64>> =
        sqlx::query_scalar("SELECT max_height FROM user_preferences WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(cap.flatten())
}

pub async fn set_max_height(db: &Db, user_id: &str, max_height: Option<i64>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, max_height, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET max_height = excluded.max_height, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(max_height)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}
