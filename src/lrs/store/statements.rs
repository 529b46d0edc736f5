//! The statement rows: the bulk insert of a batch with its refs rows, the bodies already stored
//! under an id, voiding updates, stored attachments, and the organisation of a course or unit.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{in_list, voiding::VOIDER_MAY_VOID, Prepared};
use crate::{
    db::{Backend, Db, Placeholders},
    lrs::attachments::Received,
};

/// Stores an attachment's bytes for a tenant unless it holds that hash already.
pub(crate) async fn insert_attachment(
    conn: &mut sqlx::AnyConnection,
    tenant: Option<&str>,
    att: &Received,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO xapi_attachments (tenant, sha2, content_type, length, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, sha2) DO NOTHING",
    )
    .bind(tenant)
    .bind(&att.sha2)
    .bind(&att.content_type)
    .bind(att.bytes.len() as i64)
    .bind(att.bytes.to_vec())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a statement voided by the learner who wrote it (`authority` is theirs).
pub(crate) async fn void_own(
    conn: &mut sqlx::AnyConnection,
    target: &str,
    authority: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE xapi_statements SET voided = TRUE WHERE voids IS NULL AND id = $1 AND authority_id = $2",
    )
    .bind(target)
    .bind(authority)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a statement of the organisation `org` voided.
pub(crate) async fn void_in_org(
    conn: &mut sqlx::AnyConnection,
    target: &str,
    org: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE xapi_statements SET voided = TRUE WHERE voids IS NULL AND id = $1 AND org_id = $2",
    )
    .bind(target)
    .bind(org)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn insert_sql(backend: Backend, rows: usize) -> String {
    let mut ph = backend.bulk_placeholders();
    let values: Vec<String> = (0..rows)
        .map(|_| {
            let columns: Vec<String> = (0..11).map(|_| ph()).collect();
            let (id_again, org, auth, body) = (ph(), ph(), ph(), ph());
            let may_void = VOIDER_MAY_VOID
                .replace("{org}", &org)
                .replace("{auth}", &auth);
            format!(
                "({}, EXISTS (SELECT 1 FROM xapi_statements v WHERE v.voids = {id_again} \
                 AND {may_void}), {body})",
                columns.join(", ")
            )
        })
        .collect();
    format!(
        "INSERT INTO xapi_statements (id, org_id, user_id, authority_id, stored, actor, verb, \
         activity, registration, object_ref, voids, voided, body) VALUES {} \
         ON CONFLICT (id) DO NOTHING RETURNING seq, id",
        values.join(", ")
    )
}

/// The stored bodies of those of `ids` that exist.
pub(crate) async fn existing_bodies(
    conn: &mut sqlx::AnyConnection,
    ids: &[&str],
) -> sqlx::Result<HashMap<String, Value>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, body FROM xapi_statements WHERE id IN ({})",
            in_list(&mut Placeholders::default(), chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (id, body) in query.fetch_all(&mut *conn).await? {
            found.insert(id, serde_json::from_str(&body).unwrap_or(Value::Null));
        }
    }
    Ok(found)
}

/// The content type and bytes of the attachment with this hash stored for this tenant.
pub(crate) async fn attachment(
    db: &Db,
    tenant: &str,
    hash: &str,
) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as(
        "SELECT content_type, content FROM xapi_attachments WHERE tenant = $1 AND sha2 = $2",
    )
    .bind(tenant)
    .bind(hash)
    .fetch_optional(&db.pool)
    .await
}

/// Inserts statements not stored yet and their refs rows, and returns the ids it inserted. A
/// statement arriving after the statement voiding it is stored voided. Nothing else: no
/// validation, no comparison (the benchmark's raw insert is this function).
pub async fn write_rows(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    new: &[&Prepared],
) -> sqlx::Result<HashSet<String>> {
    let mut seqs: HashMap<String, i64> = HashMap::with_capacity(new.len());
    for chunk in new.chunks(500) {
        let sql = insert_sql(backend, chunk.len());
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
        for p in chunk {
            query = query
                .bind(&p.id)
                .bind(p.org_id.as_deref())
                .bind(p.user_id.as_deref())
                .bind(&p.authority_id)
                .bind(p.stored_ms)
                .bind(&p.actor)
                .bind(&p.verb)
                .bind(p.activity.as_deref())
                .bind(p.registration.as_deref())
                .bind(p.object_ref.as_deref())
                .bind(p.voids.as_deref())
                .bind(&p.id)
                .bind(p.org_id.as_deref())
                .bind(&p.authority_id)
                .bind(p.body.to_string());
        }
        for (seq, id) in query.fetch_all(&mut *conn).await? {
            seqs.insert(id, seq);
        }
    }
    let refs: Vec<(&str, &str, i64)> = new
        .iter()
        .filter_map(|p| seqs.get(&p.id).map(|seq| (p, *seq)))
        .flat_map(|(p, seq)| p.refs.iter().map(move |(v, k)| (v.as_str(), *k, seq)))
        .collect();
    for chunk in refs.chunks(2000) {
        let mut ph = backend.bulk_placeholders();
        let values: Vec<String> = chunk
            .iter()
            .map(|_| format!("({}, {}, {})", ph(), ph(), ph()))
            .collect();
        let sql = format!(
            "INSERT INTO xapi_statement_refs (value, kind, seq) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (value, kind, seq) in chunk {
            query = query.bind(*value).bind(*kind).bind(*seq);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(seqs.into_keys().collect())
}

/// The organisation of the course with this id.
pub(crate) async fn course_org(db: &Db, course: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT org_id FROM courses WHERE id = $1")
        .bind(course)
        .fetch_optional(&db.pool)
        .await
}

/// The organisation of the course the unit with this id belongs to.
pub(crate) async fn unit_org(db: &Db, unit: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT c.org_id FROM units u JOIN courses c ON c.id = u.course_id WHERE u.id = $1",
    )
    .bind(unit)
    .fetch_optional(&db.pool)
    .await
}
