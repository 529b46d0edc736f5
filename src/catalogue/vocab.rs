//! The platform's vocabularies: course domains (extensible by admins) and target groups, each
//! term with an English and a Chinese label.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store;
use crate::{
    db::{is_unique_violation, time::now_ms, Db},
    error::{Error, Result},
    values::{Slug, Text},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Domains,
    TargetGroups,
}

#[derive(Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Term {
    pub slug: String,
    pub label_en: String,
    pub label_zh: String,
}

/// The vocabulary's terms: built-in domains first (the seeded list), then the ones admins added;
/// each by slug.
pub async fn list(db: &Db, vocabulary: Vocabulary) -> Result<Vec<Term>> {
    Ok(store::vocab::list(db, vocabulary).await?)
}

/// slug → label in one language, in the vocabulary's order.
pub async fn labels(db: &Db, vocabulary: Vocabulary, zh: bool) -> Result<Vec<(String, String)>> {
    Ok(store::vocab::labels(db, vocabulary, zh).await?)
}

pub async fn is_domain(db: &Db, slug: &str) -> Result<bool> {
    Ok(store::vocab::domain(db, slug).await?.is_some())
}

/// Adds a domain; 409 `conflict` on `slug` when it exists.
pub async fn add_domain(db: &Db, slug: &Slug, en: &Text, zh: &Text) -> Result<()> {
    store::vocab::insert_domain(db, slug.as_str(), en.as_str(), zh.as_str(), now_ms())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict("slug", "This domain already exists.")
            } else {
                e.into()
            }
        })?;
    Ok(())
}
