//! The platform's vocabularies: course domains (extensible by admins) and target groups, each
//! term with an English and a Chinese label.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    db::{is_unique_violation, time::now_ms, Db},
    error::{AppError, AppResult},
    values::{Slug, Text},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Domains,
    TargetGroups,
}

impl Vocabulary {
    fn table(self) -> &'static str {
        match self {
            Self::Domains => "domains",
            Self::TargetGroups => "target_groups",
        }
    }

    /// Built-in domains first (the seeded list), then the ones admins added; each by slug.
    fn order(self) -> &'static str {
        match self {
            Self::Domains => "builtin DESC, slug",
            Self::TargetGroups => "slug",
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Term {
    pub slug: String,
    pub label_en: String,
    pub label_zh: String,
}

pub async fn list(db: &Db, vocabulary: Vocabulary) -> AppResult<Vec<Term>> {
    Ok(sqlx::query_as::<_, Term>(&format!(
        "SELECT slug, label_en, label_zh FROM {} ORDER BY {}",
        vocabulary.table(),
        vocabulary.order()
    ))
    .fetch_all(&db.pool)
    .await?)
}

/// slug → label in one language, in the vocabulary's order.
pub async fn labels(db: &Db, vocabulary: Vocabulary, zh: bool) -> AppResult<Vec<(String, String)>> {
    let column = if zh { "label_zh" } else { "label_en" };
    Ok(sqlx::query_as(&format!(
        "SELECT slug, {column} FROM {} ORDER BY {}",
        vocabulary.table(),
        vocabulary.order()
    ))
    .fetch_all(&db.pool)
    .await?)
}

pub async fn is_domain(db: &Db, slug: &str) -> AppResult<bool> {
    let known: Option<String> = sqlx::query_scalar("SELECT slug FROM domains WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&db.pool)
        .await?;
    Ok(known.is_some())
}

/// Adds a domain; 409 `conflict` on `slug` when it exists.
pub async fn add_domain(db: &Db, slug: &Slug, en: &Text, zh: &Text) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO domains (slug, label_en, label_zh, builtin, created_at) \
         VALUES ($1, $2, $3, FALSE, $4)",
    )
    .bind(slug.as_str())
    .bind(en.as_str())
    .bind(zh.as_str())
    .bind(now_ms())
    .execute(&db.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("slug", "This domain already exists.")
        } else {
            e.into()
        }
    })?;
    Ok(())
}
