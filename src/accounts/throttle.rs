//! Failed-login throttling, counted in the database so every node sees the same counts.

use crate::{
    db::{time::now_ms, Db},
    error::{AppError, AppResult},
};

/// Failures allowed per window before further attempts are refused.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 30;

pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_key(addr: &str) -> String {
    format!("address:{addr}")
}

/// Refuses with 429 when any key has reached its limit within the window.
pub async fn check(db: &Db, keys: &[(String, i64)]) -> AppResult<()> {
    let since = now_ms() - WINDOW_MS;
    for (key, limit) in keys {
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = $1 AND at > $2",
        )
        .bind(key)
        .bind(since)
        .fetch_one(&db.pool)
        .await?;
        if count >= *limit {
            let retry_ms = oldest.unwrap_or(since) + WINDOW_MS - now_ms();
            return Err(AppError::TooManyRequests {
                retry_after_secs: (retry_ms.max(1000) / 1000) as u64,
            });
        }
    }
    Ok(())
}

pub async fn record_failure(db: &Db, keys: &[(String, i64)]) -> AppResult<()> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    for (key, _) in keys {
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    // Old rows carry no information; pruning here keeps the table small without a timer.
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - WINDOW_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}
