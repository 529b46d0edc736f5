//! The `credentials` table: issued credentials, their status list positions, revocation and
//! share links.

use crate::{
    credentials::{document::Achievement, records::Record},
    db::Db,
};

const COLUMNS: &str = "id, org_id, user_id, course_id, kind, name, domain, level, hours, \
    credits, key_id, document, issued_at, revoked_at, revoked_reason, share_hash, share_version";

/// A credential row to insert.
pub(crate) struct NewCredential<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub course_id: Option<&'a str>,
    /// `course` or `external`.
    pub kind: &'a str,
    pub achievement: &'a Achievement,
    pub status_list: i64,
    pub status_index: i64,
    pub key_id: &'a str,
    pub document: &'a str,
    pub issued_at: i64,
}

/// Inserts the credential in the caller's transaction; fails with a unique violation when the
/// course is credited already or the status position is taken.
pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    c: &NewCredential<'_>,
) -> sqlx::Result<()> {
    let a = c.achievement;
    sqlx::query(
        "INSERT INTO credentials (id, org_id, user_id, course_id, kind, name, domain, level, \
         hours, credits, status_list, status_index, key_id, document, issued_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(c.id)
    .bind(c.org_id)
    .bind(c.user_id)
    .bind(c.course_id)
    .bind(c.kind)
    .bind(&a.name)
    .bind(a.domain.as_deref())
    .bind(a.level)
    .bind(a.hours)
    .bind(a.credits)
    .bind(c.status_list)
    .bind(c.status_index)
    .bind(c.key_id)
    .bind(c.document)
    .bind(c.issued_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The id of the learner's credential for the course, if one was issued.
pub(crate) async fn for_course(
    db: &Db,
    user_id: &str,
    course_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM credentials WHERE user_id = $1 AND course_id = $2 AND kind = 'course'",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_optional(&db.pool)
    .await
}

/// The credential, if it exists.
pub(crate) async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<Record>> {
    sqlx::query_as::<_, Record>(&format!("SELECT {COLUMNS} FROM credentials WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The credential shared under this link digest, if any.
pub(crate) async fn by_share_hash(db: &Db, hash: &str) -> sqlx::Result<Option<Record>> {
    sqlx::query_as::<_, Record>(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE share_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(&db.pool)
    .await
}

/// A learner's credentials, newest first.
pub(crate) async fn of_learner(db: &Db, user_id: &str) -> sqlx::Result<Vec<Record>> {
    sqlx::query_as::<_, Record>(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE user_id = $1 ORDER BY issued_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// Up to `limit` of an organisation's issued credentials, newest first.
pub(crate) async fn of_org(db: &Db, org_id: &str, limit: i64) -> sqlx::Result<Vec<Record>> {
    sqlx::query_as::<_, Record>(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE org_id = $1 \
         ORDER BY issued_at DESC, id DESC LIMIT $2"
    ))
    .bind(org_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Marks the credential revoked at `now`, unless it already is.
pub(crate) async fn revoke(
    db: &Db,
    id: &str,
    by: &str,
    reason: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credentials SET revoked_at = $1, revoked_reason = $2, revoked_by = $3, \
         updated_at = $1 WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(by)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// When the credential at this status position was revoked, if there is one and it was.
pub(crate) async fn revoked_at(
    db: &Db,
    key_id: &str,
    list: i64,
    index: i64,
) -> sqlx::Result<Option<i64>> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT revoked_at FROM credentials \
         WHERE key_id = $1 AND status_list = $2 AND status_index = $3",
    )
    .bind(key_id)
    .bind(list)
    .bind(index)
    .fetch_optional(&db.pool)
    .await?
    .flatten())
}

/// How many credentials the key has signed.
pub(crate) async fn count_of_key(db: &Db, key_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM credentials WHERE key_id = $1")
        .bind(key_id)
        .fetch_one(&db.pool)
        .await
}

/// The status indexes of the revoked credentials in a list of the key.
pub(crate) async fn revoked_indexes(db: &Db, key_id: &str, list: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT status_index FROM credentials \
         WHERE key_id = $1 AND status_list = $2 AND revoked_at IS NOT NULL",
    )
    .bind(key_id)
    .bind(list)
    .fetch_all(&db.pool)
    .await
}

/// Stores the digest of the credential's share link.
pub(crate) async fn set_share_hash(db: &Db, id: &str, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE credentials SET share_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forgets a live share link and bumps the counter its token is made from.
pub(crate) async fn clear_share(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credentials SET share_hash = NULL, share_version = share_version + 1 \
         WHERE id = $1 AND share_hash IS NOT NULL",
    )
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}
