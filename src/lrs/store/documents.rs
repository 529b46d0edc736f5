//! The `xapi_documents` rows: State, Activity Profile and Agent Profile documents, keyed by
//! their context and id; every change is conditional on the ETag the caller checked.

use crate::{
    db::Db,
    lrs::documents::{Context, Document, Kind},
};

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::ActivityProfile => "activity_profile",
            Kind::AgentProfile => "agent_profile",
        }
    }
}

/// A document's new content, as written.
pub(crate) struct Content<'a> {
    pub bytes: Vec<u8>,
    pub content_type: &'a str,
    pub etag: &'a str,
    pub updated_at: i64,
}

/// Binds a document's context to `$1`–`$5` of [`KEY`] (or of an INSERT's first five columns).
macro_rules! keyed {
    ($query:expr, $cx:expr) => {
        $query
            .bind(&$cx.tenant)
            .bind($cx.kind.as_str())
            .bind(&$cx.activity_id)
            .bind(&$cx.agent)
            .bind(&$cx.registration)
    };
}

const COLUMNS: &str = "content, content_type, etag, updated_at";
const KEY: &str =
    "tenant = $1 AND kind = $2 AND activity_id = $3 AND agent = $4 AND registration = $5";

/// The document with this id in the context.
pub(crate) async fn get(db: &Db, cx: &Context, id: &str) -> sqlx::Result<Option<Document>> {
    keyed!(
        sqlx::query_as::<_, Document>(&format!(
            "SELECT {COLUMNS} FROM xapi_documents WHERE {KEY} AND doc_id = $6"
        )),
        cx
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// (id, updated_at) of the context's documents changed after `since`, oldest first.
pub(crate) async fn changed_since(
    db: &Db,
    cx: &Context,
    since: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    keyed!(
        sqlx::query_as(&format!(
            "SELECT doc_id, updated_at FROM xapi_documents WHERE {KEY} AND updated_at > $6 \
         ORDER BY updated_at, doc_id"
        )),
        cx
    )
    .bind(since)
    .fetch_all(&db.pool)
    .await
}

/// Inserts a document unless one with this id appeared; true when it did insert.
pub(crate) async fn insert(
    db: &Db,
    cx: &Context,
    id: &str,
    new: Content<'_>,
) -> sqlx::Result<bool> {
    let done =
        keyed!(sqlx::query(
        "INSERT INTO xapi_documents (tenant, kind, activity_id, agent, registration, doc_id, \
         content, content_type, etag, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT DO NOTHING",
    ), cx)
        .bind(id)
        .bind(new.bytes)
        .bind(new.content_type)
        .bind(new.etag)
        .bind(new.updated_at)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a document only if it still has the ETag `expected`; true when it did.
pub(crate) async fn update(
    db: &Db,
    cx: &Context,
    id: &str,
    expected: &str,
    new: Content<'_>,
) -> sqlx::Result<bool> {
    let done = keyed!(
        sqlx::query(&format!(
        "UPDATE xapi_documents SET content = $8, content_type = $9, etag = $10, updated_at = $11 \
         WHERE {KEY} AND doc_id = $6 AND etag = $7"
    )),
        cx
    )
    .bind(id)
    .bind(expected)
    .bind(new.bytes)
    .bind(new.content_type)
    .bind(new.etag)
    .bind(new.updated_at)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a document only if it still has the ETag `etag`; true when it did.
pub(crate) async fn delete(db: &Db, cx: &Context, id: &str, etag: &str) -> sqlx::Result<bool> {
    let done = keyed!(
        sqlx::query(&format!(
            "DELETE FROM xapi_documents WHERE {KEY} AND doc_id = $6 AND etag = $7"
        )),
        cx
    )
    .bind(id)
    .bind(etag)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() != 0)
}

/// Deletes every document of a context.
pub(crate) async fn delete_all(db: &Db, cx: &Context) -> sqlx::Result<()> {
    keyed!(
        sqlx::query(&format!("DELETE FROM xapi_documents WHERE {KEY}")),
        cx
    )
    .execute(&db.pool)
    .await?;
    Ok(())
}
