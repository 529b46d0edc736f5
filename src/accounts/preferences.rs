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

/// The language the user chose for pages and mail (`en` or `zh`), if they chose one.
pub async fn language(db: &Db, user_id: &str) -> Result<Option<String>> {
    Ok(store::language(db, user_id).await?.flatten())
}

pub async fn set_language(db: &Db, user_id: &str, language: &str) -> Result<()> {
    Ok(store::set_language(db, user_id, language, now_ms()).await?)
}

/// The target groups the learner said they belong to (kept only with their consent, used only
/// in aggregate reports).
pub async fn target_groups(db: &Db, user_id: &str) -> Result<Vec<String>> {
    Ok(store::target_groups(db, user_id).await?)
}

/// Replaces them; an empty list withdraws the consent and forgets them.
pub async fn set_target_groups(db: &Db, user_id: &str, groups: &[String]) -> Result<()> {
    Ok(store::set_target_groups(db, user_id, groups, now_ms()).await?)
}
