//! Sessions looked up by token, cached so that a request with a bearer token or a session
//! cookie costs no database round trip.
//!
//! A cached session lives at most [`CACHE_TTL`] and never past its own expiry. Signing out ends
//! it at once on the node that served the sign-out and records the end in
//! `session_revocations`; every node reads that list each [`FOLLOW_EVERY`] and drops what it
//! names, so a revoked token stops working everywhere within about a second. Should a node miss
//! the list (database unreachable), the cache's lifetime still bounds how long it trusts a
//! token.

use std::{sync::Arc, time::Duration};

use moka::sync::Cache;
use tokio::sync::watch;

use super::{store, tokens, User};
use crate::{
    db::{time::now_ms, Db},
    error::Result,
};

/// How long a node trusts a session it looked up without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// How often a node reads the sessions ended elsewhere.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// How far back each read of the revocations looks: a revocation committed late (its clock
/// read before a slow commit) is still seen.
const FOLLOW_OVERLAP_MS: i64 = 10_000;

struct Live {
    user: User,
    expires_at: i64,
}

pub struct Sessions {
    live: Cache<String, Arc<Live>>,
    /// Token digests revoked within the cache's lifetime: a lookup that raced a revocation
    /// (read before the session was deleted) is not cached after it.
    revoked: Cache<String, ()>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            live: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CACHE_TTL)
                .build(),
            revoked: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }
}

impl Sessions {
    /// The user a live token belongs to.
    pub async fn user(&self, db: &Db, token: &str) -> Result<Option<User>> {
        let digest = tokens::digest(token);
        let now = now_ms();
        if let Some(live) = self.live.get(&digest) {
            if live.expires_at > now {
                return Ok(Some(live.user.clone()));
            }
            self.live.invalidate(&digest);
            return Ok(None);
        }
        let Some(row) = store::live_session(db, &digest, now).await? else {
            return Ok(None);
        };
        if !tokens::matches(token, &row.token_hash) {
            return Ok(None);
        }
        let live = Live {
            expires_at: row.expires_at,
            user: row.user,
        };
        let user = live.user.clone();
        if !self.revoked.contains_key(&digest) {
            self.live.insert(digest, Arc::new(live));
        }
        Ok(Some(user))
    }

    /// Ends the session of `token` here at once, and on every other node within a second.
    pub async fn revoke(&self, db: &Db, token: &str) -> Result<()> {
        let digest = tokens::digest(token);
        store::delete_session(db, &digest, now_ms()).await?;
        self.forget(digest);
        Ok(())
    }

    fn forget(&self, digest: String) {
        self.live.invalidate(&digest);
        self.revoked.insert(digest, ());
    }

    /// Drops the sessions ended (on any node) at or after `since`.
    async fn follow_once(&self, db: &Db, since: i64) -> Result<()> {
        for digest in store::revoked_since(db, since).await? {
            self.forget(digest);
        }
        Ok(())
    }
}

/// Follows the sessions other nodes end until `stop` turns true, and prunes the record of those
/// no cache can still hold.
pub async fn follow_revocations(sessions: Arc<Sessions>, db: Db, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut since = now_ms() - FOLLOW_OVERLAP_MS;
    let mut last_prune = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let started = now_ms();
        match sessions.follow_once(&db, since).await {
            Ok(()) => since = started - FOLLOW_OVERLAP_MS,
            Err(e) => tracing::warn!(error = %e, "reading ended sessions"),
        }
        if started - last_prune > CACHE_TTL.as_millis() as i64 {
            let keep_from = started - 2 * CACHE_TTL.as_millis() as i64;
            if let Err(e) = store::prune_revocations(&db, keep_from).await {
                tracing::warn!(error = %e, "pruning ended sessions");
            }
            last_prune = started;
        }
    }
}
