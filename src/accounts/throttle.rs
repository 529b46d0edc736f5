//! Failed-login throttling, counted in the database so every node sees the same counts.
//!
//! Each attempt is charged to a few keys before its password is checked: the account *from this
//! address*, the account, and the address — or, from a device that signed in to the account
//! before, that device alone. A key allows some failures freely, then makes each further attempt
//! wait, twice as long each time, up to [`MAX_DELAY_MS`]. So a guesser slows down fast, a
//! classroom behind one address is not locked out by one learner's typos, and a learner's own
//! phone still signs in while someone elsewhere guesses at their account. An admin can lift an
//! account's delays at once ([`unlock`]).
//!
//! The charge is reserved atomically (a locked row per key, in one transaction) before the slow
//! password check and released when the password was right, so parallel guesses cannot all slip
//! through before the first failure is counted.

use super::store;
use crate::{
    db::{time::now_ms, Db},
    error::{Error, Result},
};

/// Failures older than this are forgotten.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// The longest wait between two attempts on one key.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;

/// A throttled key and the failures it allows before attempts must wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    /// The e-mail of the account the key protects, for an admin's unlock.
    pub account: Option<String>,
    pub free: i64,
    /// The first wait once the free ones are used; each further attempt doubles it.
    pub first_delay_ms: i64,
    /// Cleared by a successful sign-in (else only one failure is taken back).
    pub cleared_on_success: bool,
}

impl Key {
    /// The account tried from one address: the key a guesser meets first.
    pub fn account_from(email: &str, addr: &str) -> Self {
        Self::new(format!("pair:{email}|{addr}"), Some(email), 5, true)
    }

    /// The account from anywhere (many addresses guessing at one account).
    pub fn account(email: &str) -> Self {
        Self::new(format!("account:{email}"), Some(email), 20, true)
    }

    /// One address trying many accounts; generous, since a classroom shares one.
    pub fn address(addr: &str) -> Self {
        Self::new(format!("address:{addr}"), None, 100, false)
    }

    /// Registrations asked from one address, each counted whatever came of it: a budget, then
    /// a minute's wait and more.
    pub fn registrations_from(addr: &str) -> Self {
        Self::budget(format!("register-from:{addr}"), 20)
    }

    /// Registrations asked for one e-mail address: mail sent to one mailbox.
    pub fn registrations_for(email: &str) -> Self {
        Self::budget(format!("register-for:{email}"), 3)
    }

    fn budget(name: String, free: i64) -> Self {
        Self {
            first_delay_ms: 60_000,
            ..Self::new(name, None, free, false)
        }
    }

    /// A device that signed in to this account before.
    pub fn device(email: &str, device: &str) -> Self {
        Self::new(format!("device:{email}|{device}"), Some(email), 5, true)
    }

    fn new(name: String, account: Option<&str>, free: i64, cleared_on_success: bool) -> Self {
        Self {
            name,
            account: account.map(str::to_owned),
            free,
            first_delay_ms: 1000,
            cleared_on_success,
        }
    }
}

/// The wait after `failures` failures on a key that allows `free`.
pub fn delay_ms(failures: i64, free: i64, first_delay_ms: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20) as u32;
    (first_delay_ms << doublings).min(MAX_DELAY_MS)
}

/// Charges one attempt to every key, or refuses with 429 (and charges nothing) when any key
/// must still wait. The charge stands as a failure unless [`release`]d.
pub async fn reserve(db: &Db, keys: &[Key]) -> Result<()> {
    let mut keys: Vec<&Key> = keys.iter().collect();
    // One lock order for every attempt, so two attempts never wait on each other's rows.
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    let now = now_ms();
    let _turn = db.write_turn().await;
    let mut tx = db.pool.begin().await?;
    let mut charged = Vec::with_capacity(keys.len());
    for key in keys {
        // Takes the key's row lock (PostgreSQL) or the write lock (SQLite) until commit.
        store::lock_throttle_key(&mut tx, &key.name, key.account.as_deref(), now).await?;
        let (failures, next_at, updated_at) = store::throttle_state(&mut tx, &key.name).await?;
        if now < next_at {
            return Err(Error::Throttled {
                retry_after_secs: ((next_at - now + 999) / 1000) as u64,
            });
        }
        let failures = if updated_at < now - WINDOW_MS {
            0
        } else {
            failures
        };
        charged.push((key, failures + 1));
    }
    for (key, failures) in charged {
        let next_at = now + delay_ms(failures, key.free, key.first_delay_ms);
        store::set_throttle(&mut tx, &key.name, failures, next_at, now).await?;
    }
    // Forgotten keys carry no information; pruning here keeps the table small without a timer.
    store::prune_throttle(&mut tx, now - WINDOW_MS, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The password was right: the account's keys start afresh, and shared keys take back the
/// failure this attempt was charged.
pub async fn release(db: &Db, keys: &[Key]) -> Result<()> {
    let now = now_ms();
    for key in keys {
        if key.cleared_on_success {
            store::delete_throttle_key(db, &key.name).await?;
            continue;
        }
        let _turn = db.write_turn().await;
        let mut tx = db.pool.begin().await?;
        if let Some(f) = store::take_back_failure(&mut tx, &key.name).await? {
            let wait = delay_ms(f, key.free, key.first_delay_ms);
            store::set_throttle_next_at(&mut tx, &key.name, now + wait).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Lifts every delay on an account (an admin's unlock): from any address and device.
pub async fn unlock(db: &Db, email: &str) -> Result<()> {
    Ok(store::delete_throttle_account(db, email).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_and_double_to_a_ceiling() {
        assert_eq!(delay_ms(4, 5, 1000), 0);
        assert_eq!(delay_ms(5, 5, 1000), 1000);
        assert_eq!(delay_ms(6, 5, 1000), 2000);
        assert_eq!(delay_ms(9, 5, 1000), 16_000);
        assert_eq!(delay_ms(500, 5, 1000), MAX_DELAY_MS);
    }
}
