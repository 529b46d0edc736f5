//! The learning account's tables: `credit_entries` (one per credential) and `credit_rules`.

use crate::{
    credentials::{
        account::{Entry, ExportRow},
        document::Achievement,
        rules::Conversion,
    },
    db::Db,
};

const SELECT: &str = "SELECT e.id, e.credential_id, e.org_id, o.name AS org_name, e.course_id, \
    c.name, e.domain, e.level, e.hours, e.credits, e.convertible, e.rule, e.earned_at, \
    c.revoked_at FROM credit_entries e JOIN credentials c ON c.id = e.credential_id \
    JOIN orgs o ON o.id = e.org_id";

/// A learning account entry to insert, for the credential just inserted.
pub(crate) struct NewEntry<'a> {
    pub id: &'a str,
    pub credential_id: &'a str,
    pub user_id: &'a str,
    pub org_id: &'a str,
    pub course_id: Option<&'a str>,
    pub achievement: &'a Achievement,
    pub conversion: &'a Conversion,
    pub earned_at: i64,
}

/// Inserts the entry in the caller's transaction.
pub(crate) async fn insert_entry(
    conn: &mut sqlx::AnyConnection,
    e: &NewEntry<'_>,
) -> sqlx::Result<()> {
    let a = e.achievement;
    sqlx::query(
        "INSERT INTO credit_entries (id, credential_id, user_id, org_id, course_id, domain, \
         level, hours, credits, convertible, rule, earned_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(e.id)
    .bind(e.credential_id)
    .bind(e.user_id)
    .bind(e.org_id)
    .bind(e.course_id)
    .bind(a.domain.as_deref())
    .bind(a.level)
    .bind(a.hours)
    .bind(a.credits)
    .bind(e.conversion.convertible)
    .bind(&e.conversion.rule)
    .bind(e.earned_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A learner's entries, newest first, revoked ones included.
pub(crate) async fn entries(db: &Db, user_id: &str) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as::<_, Entry>(&format!(
        "{SELECT} WHERE e.user_id = $1 ORDER BY e.earned_at DESC, e.id DESC"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// The organisation's entries changed at or after `since`, oldest change first.
pub(crate) async fn export(db: &Db, org_id: &str, since: i64) -> sqlx::Result<Vec<ExportRow>> {
    sqlx::query_as::<_, ExportRow>(
        "SELECT e.id AS entry_id, e.credential_id, e.user_id AS learner_id, e.org_id, \
         e.course_id, c.name AS achievement, e.domain, e.level, e.hours, e.credits, \
         e.convertible, e.earned_at, c.revoked_at, c.updated_at \
         FROM credit_entries e JOIN credentials c ON c.id = e.credential_id \
         WHERE e.org_id = $1 AND c.updated_at >= $2 ORDER BY c.updated_at, e.id",
    )
    .bind(org_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await
}

/// The organisation's conversion rules as stored (JSON), if it has set any.
pub(crate) async fn rules(db: &Db, org_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT rules FROM credit_rules WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await
}

/// Stores the organisation's conversion rules (JSON), replacing any.
pub(crate) async fn save_rules(
    db: &Db,
    org_id: &str,
    rules: &str,
    by: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credit_rules (org_id, rules, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id) DO UPDATE SET rules = excluded.rules, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(rules)
    .bind(by)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}
