//! Who may read an asset and the blobs of its renditions: the one audience rule behind the
//! asset API, playlists, model files and `/media`.
//!
//! - teachers and admins of the asset's organisation, and superadmins;
//! - anyone who can see a course with a unit that carries the asset — and, when that unit
//!   reuses another organisation's unit, who can also see that source course *now*. Sharing lends a
//!   unit to a partner's course; it never widens the owner's audience, and it ends when the
//!   owner unpublishes or leaves the consortium.
//!
//! An asset is public (shared caches may keep its bytes) when that holds for a visitor. Only
//! renditions are served (an uploaded source is not). Blob answers are cached briefly: this is
//! the hot path, and a visibility change reaches every node within the cache's lifetime.

use std::time::Duration;

use moka::sync::Cache;

use super::store::{self, Carrier};
use crate::{accounts::User, blobs::Sha256Hex, db::Db, error::Result};

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
    pub async fn check(&self, db: &Db, user: Option<&User>, sha: &Sha256Hex) -> Result<Access> {
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

async fn decide(db: &Db, user: Option<&User>, sha: &Sha256Hex) -> Result<Access> {
    audience(db, user, Carrier::Blob(sha.as_str())).await
}

async fn audience(db: &Db, user: Option<&User>, carrier: Carrier<'_>) -> Result<Access> {
    if reaches(db, None, carrier).await? {
        return Ok(Access::Public);
    }
    let Some(user) = user else {
        return Ok(Access::Denied);
    };
    if user.is_superadmin
        || authors(db, user, carrier).await?
        || reaches(db, Some(user), carrier).await?
    {
        return Ok(Access::Allowed);
    }
    Ok(Access::Denied)
}

/// Is the viewer a teacher or admin of an organisation owning one of the assets?
async fn authors(db: &Db, user: &User, carrier: Carrier<'_>) -> Result<bool> {
    Ok(store::staff_of_owner(db, user, carrier).await?)
}

/// Does a unit carrying one of the assets reach the viewer (see the module's rule)?
async fn reaches(db: &Db, viewer: Option<&User>, carrier: Carrier<'_>) -> Result<bool> {
    Ok(store::reaches(db, viewer, carrier).await?)
}

/// May the user see this asset? [`asset_access`] as a yes or no.
pub async fn asset_visible(db: &Db, user: Option<&User>, asset_id: &str) -> Result<bool> {
    Ok(asset_access(db, user, asset_id).await? != Access::Denied)
}

/// Who may use this asset through the API (uncached: rare next to blob reads).
pub async fn asset_access(db: &Db, user: Option<&User>, asset_id: &str) -> Result<Access> {
    audience(db, user, Carrier::Asset(asset_id)).await
}

/// Is the asset public (so its URLs need no signature)?
pub async fn asset_is_public(db: &Db, asset_id: &str) -> Result<bool> {
    reaches(db, None, Carrier::Asset(asset_id)).await
}
