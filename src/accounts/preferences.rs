//! A user's own settings, one row each: how credentials name them, and the data-saver cap on
//! video quality.

use super::store;
use crate::{
    db::{time::now_ms, Db},
    error::Result,
};

/// Whether credentials issued from now on carry the plain e-mail address (instead of a salted
/// hash of it).
pub async fn credential_email(db: &Db, user_id: &str) -> Result<bool> {
    let plain = store::credential_email(db, user_id).await?;
    Ok(plain.is_some_and(bool::from))
}

pub async fn set_credential_email(db: &Db, user_id: &str, plain: bool) -> Result<()> {
    Ok(store::set_credential_email(db, user_id, plain, now_ms()).await?)
}

/// Video rungs above this height are left out of the user's playlists; `None` for no cap.
pub async fn max_height(db: &Db, user_id: &str) -> Result<Option<i64>> {
    let cap = store::max_height(db, user_id).await?;
    Ok(cap.flatten())
}

pub async fn set_max_height(db: &Db, user_id: &str, max_height: Option<i64>) -> Result<()> {
    Ok(store::set_max_height(db, user_id, max_height, now_ms()).await?)
}
