//! The vocabularies: course domains and target groups.

use crate::{
    catalogue::vocab::{Term, Vocabulary},
    db::Db,
};

fn table(vocabulary: Vocabulary) -> &'static str {
    match vocabulary {
        Vocabulary::Domains => "domains",
        Vocabulary::TargetGroups => "target_groups",
    }
}

/// Built-in domains first (the seeded list), then the ones admins added; each by slug.
fn order(vocabulary: Vocabulary) -> &'static str {
    match vocabulary {
        Vocabulary::Domains => "builtin DESC, slug",
        Vocabulary::TargetGroups => "slug",
    }
}

/// Every term of the vocabulary, in its order.
pub(crate) async fn list(db: &Db, vocabulary: Vocabulary) -> sqlx::Result<Vec<Term>> {
    sqlx::query_as::<_, Term>(&format!(
        "SELECT slug, label_en, label_zh FROM {} ORDER BY {}",
        table(vocabulary),
        order(vocabulary)
    ))
    .fetch_all(&db.pool)
    .await
}

/// slug → label (Chinese when `zh`, else English), in the vocabulary's order.
pub(crate) async fn labels(
    db: &Db,
    vocabulary: Vocabulary,
    zh: bool,
) -> sqlx::Result<Vec<(String, String)>> {
    let column = if zh { "label_zh" } else { "label_en" };
    sqlx::query_as(&format!(
        "SELECT slug, {column} FROM {} ORDER BY {}",
        table(vocabulary),
        order(vocabulary)
    ))
    .fetch_all(&db.pool)
    .await
}

/// The domain's slug, if it exists.
pub(crate) async fn domain(db: &Db, slug: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT slug FROM domains WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&db.pool)
        .await
}

/// How many domains have this slug (0 or 1).
pub(crate) async fn count_domains(db: &Db, slug: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM domains WHERE slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await
}

/// How many target groups have this slug (0 or 1).
pub(crate) async fn count_target_groups(db: &Db, slug: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM target_groups WHERE slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await
}

/// Inserts an admin-added (not built-in) domain.
pub(crate) async fn insert_domain(
    db: &Db,
    slug: &str,
    en: &str,
    zh: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO domains (slug, label_en, label_zh, builtin, created_at) \
         VALUES ($1, $2, $3, FALSE, $4)",
    )
    .bind(slug)
    .bind(en)
    .bind(zh)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}
