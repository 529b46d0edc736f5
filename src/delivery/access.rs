//! Who may read a stored blob. Only renditions are served (an uploaded source is not), and a
//! rendition is readable by anyone when a published public course uses it, by members of its
//! organisation, and by anyone who can see a course that uses it. Answers are cached briefly:
//! this is the hot path, and a visibility change reaches every node within the cache's lifetime.

use std::time::Duration;

use moka::sync::Cache;

use crate::{accounts::User, blobs::Sha256Hex, db::Db, error::AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, so shared caches may keep it.
    Public,
    /// This user only: cache privately.
    Allowed,
    Denied,
}

pub struct AccessCache {
    cache: Cache<(String, String), Access>,
}

impl Default for AccessCache {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(30))
                .build(),
        }
    }
}

impl AccessCache {
    pub async fn check(&self, db: &Db, user: Option<&User>, sha: &Sha256Hex) -> AppResult<Access> {
        let key = (
            user.map(|u| u.id.clone()).unwrap_or_default(),
            sha.as_str().to_owned(),
        );
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let access = decide(db, user, sha).await?;
        self.cache.insert(key, access);
        Ok(access)
    }
}

async fn decide(db: &Db, user: Option<&User>, sha: &Sha256Hex) -> AppResult<Access> {
    if is_public(db, sha.as_str()).await? {
        return Ok(Access::Public);
    }
    let Some(user) = user else {
        return Ok(Access::Denied);
    };
    let member: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM renditions r JOIN assets a ON a.id = r.asset_id \
         WHERE r.sha256 = $1 AND ($2 OR EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = a.org_id AND m.user_id = $3))",
    )
    .bind(sha.as_str())
    .bind(user.is_superadmin)
    .bind(&user.id)
    .fetch_one(&db.pool)
    .await?;
    if member > 0 {
        return Ok(Access::Allowed);
    }
    let courses: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT u.course_id FROM renditions r JOIN units u ON u.asset_id = r.asset_id WHERE r.sha256 = $1",
    )
    .bind(sha.as_str())
    .fetch_all(&db.pool)
    .await?;
    for course in courses {
        if crate::catalogue::courses::is_visible(db, Some(user), &course).await? {
            return Ok(Access::Allowed);
        }
    }
    Ok(Access::Denied)
}

async fn is_public(db: &Db, sha: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM renditions r JOIN units u ON u.asset_id = r.asset_id \
         JOIN courses c ON c.id = u.course_id WHERE r.sha256 = $1 AND c.visibility = 'public'",
    )
    .bind(sha)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Is the asset used by a published public course (so its URLs need no signature)?
pub async fn asset_is_public(db: &Db, asset_id: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM units u JOIN courses c ON c.id = u.course_id \
         WHERE u.asset_id = $1 AND c.visibility = 'public'",
    )
    .bind(asset_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}
