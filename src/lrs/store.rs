//! Writing statements: completing them with what the LRS sets, extracting the indexed columns,
//! and storing a batch in one transaction with multi-row inserts.
//!
//! A statement id is stored once. Resending the same statement is a no-op and a different
//! statement under a known id is a conflict (Data 2.3.1), which makes offline batches safe to
//! resend.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{attachments::Received, identity};
use crate::{
    db::{time::to_rfc3339, Backend, Db, Placeholders},
    error::{AppError, AppResult},
    lrs::xapi::{normalise_agent_ifi, XapiVersion},
};

pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// Who writes a batch and when: what the LRS adds to every statement.
pub struct WriteContext<'a> {
    pub stored_ms: i64,
    pub authority: Value,
    pub authority_id: String,
    pub org_id: Option<&'a str>,
    pub version: XapiVersion,
    pub public_url: &'a str,
}

/// A validated statement, completed and ready to insert.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub body: Value,
    pub stored_ms: i64,
    /// Whether the client sent a timestamp (else the LRS filled in `stored`).
    pub timestamp_given: bool,
    pub authority_id: String,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub actor: String,
    pub verb: String,
    pub activity: Option<String>,
    pub registration: Option<String>,
    pub object_ref: Option<String>,
    pub voids: Option<String>,
    /// (value, kind) rows of `xapi_statement_refs`.
    pub refs: Vec<(String, &'static str)>,
}

/// Completes a validated statement: id, timestamp, stored, authority and version (Data 2.4).
pub fn prepare(mut stmt: Value, cx: &WriteContext<'_>) -> Prepared {
    let obj = stmt
        .as_object_mut()
        .expect("validated statements are objects");
    let id = match obj.get("id").and_then(Value::as_str) {
        Some(id) => id.to_ascii_lowercase(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    obj.insert("id".into(), Value::String(id.clone()));
    let timestamp_given = obj.contains_key("timestamp");
    arrays_of_context_activities(obj);
    if let Some(Value::Object(sub)) = obj.get_mut("object") {
        arrays_of_context_activities(sub);
    }
    if let Some(Value::String(t)) = obj.get_mut("timestamp") {
        if let Some(utc) = to_utc(t) {
            *t = utc;
        }
    }
    let stored = Value::String(to_rfc3339(cx.stored_ms));
    obj.entry("timestamp").or_insert_with(|| stored.clone());
    obj.insert("stored".into(), stored);
    obj.insert("authority".into(), cx.authority.clone());
    obj.entry("version").or_insert_with(|| {
        Value::String(match cx.version {
            XapiVersion::V1_0_3 => "1.0.0".into(),
            XapiVersion::V2_0_0 => "2.0.0".into(),
        })
    });
    let columns = Columns::of(&stmt, cx.public_url);
    Prepared {
        id,
        stored_ms: cx.stored_ms,
        timestamp_given,
        authority_id: cx.authority_id.clone(),
        org_id: cx.org_id.map(str::to_owned),
        user_id: columns.user_id,
        actor: columns.actor,
        verb: columns.verb,
        activity: columns.activity,
        registration: columns.registration,
        object_ref: columns.object_ref,
        voids: columns.voids,
        refs: columns.refs,
        body: stmt,
    }
}

struct Columns {
    user_id: Option<String>,
    actor: String,
    verb: String,
    activity: Option<String>,
    registration: Option<String>,
    object_ref: Option<String>,
    voids: Option<String>,
    refs: Vec<(String, &'static str)>,
}

impl Columns {
    fn of(stmt: &Value, public_url: &str) -> Self {
        let actor = &stmt["actor"];
        let object = &stmt["object"];
        let verb = stmt["verb"]["id"].as_str().unwrap_or_default().to_owned();
        let object_type = object.get("objectType").and_then(Value::as_str);
        let activity = match object_type {
            None | Some("Activity") => object["id"].as_str().map(str::to_owned),
            _ => None,
        };
        let object_ref = (object_type == Some("StatementRef"))
            .then(|| object["id"].as_str().map(str::to_ascii_lowercase))
            .flatten();
        let voids = (verb == VOIDED).then(|| object_ref.clone()).flatten();
        let mut refs = Refs::default();
        refs.direct_agent(actor);
        if matches!(object_type, Some("Agent") | Some("Group")) {
            refs.direct_agent(object);
        }
        refs.related_parts(stmt);
        if let Some(authority) = stmt.get("authority") {
            refs.agent(authority, "g");
        }
        Self {
            user_id: identity::local_user_id(actor, public_url).map(str::to_owned),
            actor: normalise_agent_ifi(actor).unwrap_or_default(),
            verb,
            activity,
            registration: stmt["context"]["registration"]
                .as_str()
                .map(str::to_ascii_lowercase),
            object_ref,
            voids,
            refs: refs.0.into_iter().collect(),
        }
    }
}

#[derive(Default)]
struct Refs(HashSet<(String, &'static str)>);

impl Refs {
    /// An agent or group and, for a group, its members.
    fn agent(&mut self, agent: &Value, kind: &'static str) {
        if let Some(ifi) = normalise_agent_ifi(agent) {
            self.0.insert((ifi, kind));
        }
        for member in agent["member"].as_array().into_iter().flatten() {
            if let Some(ifi) = normalise_agent_ifi(member) {
                self.0.insert((ifi, kind));
            }
        }
    }

    fn direct_agent(&mut self, agent: &Value) {
        self.agent(agent, "a");
        self.agent(agent, "g");
    }

    fn activity(&mut self, activity: &Value) {
        if let Some(id) = activity["id"].as_str() {
            self.0.insert((id.to_owned(), "c"));
        }
    }

    /// Everything a statement (or sub-statement) relates to besides its authority.
    fn related_parts(&mut self, stmt: &Value) {
        self.agent(&stmt["actor"], "g");
        let object = &stmt["object"];
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => self.activity(object),
            Some("Agent") | Some("Group") => self.agent(object, "g"),
            Some("SubStatement") => self.related_parts(object),
            _ => {}
        }
        let context = &stmt["context"];
        for key in ["instructor", "team"] {
            self.agent(&context[key], "g");
        }
        if let Some(activities) = context["contextActivities"].as_object() {
            for list in activities.values() {
                match list {
                    Value::Array(items) => items.iter().for_each(|a| self.activity(a)),
                    single => self.activity(single),
                }
            }
        }
    }
}

/// What happened to each statement of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The same statement was already stored under this id.
    AlreadyStored,
}

/// Stores a batch atomically: all statements are accepted (new or unchanged resends) or none.
pub async fn insert(
    db: &Db,
    batch: &[Prepared],
    attachments: &[Received],
) -> AppResult<Vec<Outcome>> {
    for attempt in 0.. {
        match try_insert(db, batch, attachments).await {
            // Another request stored one of these ids between our check and our insert: check
            // again, now that it is visible.
            Err(AppError::Internal(e)) if attempt < 2 && is_unique(&e) => continue,
            other => return other,
        }
    }
    unreachable!()
}

fn is_unique(e: &anyhow::Error) -> bool {
    e.downcast_ref::<sqlx::Error>()
        .is_some_and(crate::db::is_unique_violation)
}

async fn try_insert(
    db: &Db,
    batch: &[Prepared],
    attachments: &[Received],
) -> AppResult<Vec<Outcome>> {
    let all: Vec<&Prepared> = batch.iter().collect();
    check_voiding_targets(db, &all).await?;

    let _turn = db.write_turn().await;
    let mut tx = db.pool.begin().await?;
    let tenant = batch
        .first()
        .map(|p| tenant_of(&p.authority_id, p.org_id.as_deref()));
    for att in attachments {
        sqlx::query(
            "INSERT INTO xapi_attachments (tenant, sha2, content_type, length, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, sha2) DO NOTHING",
        )
        .bind(tenant.as_deref())
        .bind(&att.sha2)
        .bind(&att.content_type)
        .bind(att.bytes.len() as i64)
        .bind(att.bytes.to_vec())
        .bind(crate::db::time::now_ms())
        .execute(&mut *tx)
        .await?;
    }
    // Insert what is new; ids already stored come back as not inserted and must hold the same
    // statement (else the whole batch is refused and the transaction rolls back).
    let inserted = write_rows(&mut tx, db.backend, &all).await?;
    let known: Vec<&str> = batch
        .iter()
        .filter(|p| !inserted.contains(&p.id))
        .map(|p| p.id.as_str())
        .collect();
    let existing = existing_bodies(&mut tx, &known).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for p in batch {
        if inserted.contains(&p.id) {
            outcomes.push(Outcome::Stored);
            continue;
        }
        match existing.get(&p.id) {
            Some(old) if equivalent(old, &p.body, p.timestamp_given) => {
                outcomes.push(Outcome::AlreadyStored)
            }
            _ => {
                return Err(AppError::conflict(
                    "statementId",
                    format!(
                        "Statement {} is already stored with different content.",
                        p.id
                    ),
                ))
            }
        }
    }
    // Targets were checked before the transaction; the condition holds the rule again for a
    // target stored in between.
    let voiders = batch
        .iter()
        .filter(|p| inserted.contains(&p.id))
        .filter_map(|p| p.voids.as_deref().map(|t| (t, p)));
    for (target, voider) in voiders {
        let sql = if voider.authority_id.starts_with("user:") {
            "UPDATE xapi_statements SET voided = TRUE WHERE voids IS NULL AND id = $1 AND authority_id = $2"
        } else {
            "UPDATE xapi_statements SET voided = TRUE WHERE voids IS NULL AND id = $1 AND org_id = $2"
        };
        let scope = match voider.authority_id.starts_with("user:") {
            true => Some(voider.authority_id.as_str()),
            false => voider.org_id.as_deref(),
        };
        sqlx::query(sql)
            .bind(target)
            .bind(scope)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
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

fn in_list(ph: &mut Placeholders, n: usize) -> String {
    (0..n).map(|_| ph.take()).collect::<Vec<_>>().join(", ")
}

/// The stored bodies of those of `ids` that exist.
async fn existing_bodies(
    conn: &mut sqlx::AnyConnection,
    ids: &[&str],
) -> AppResult<HashMap<String, Value>> {
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

/// Whose statements a voiding statement written by `voider` may void: a learner only those they
/// wrote themself (never what the organisation recorded about them), an LRS client or Caravan
/// only its own organisation's. The SQL twin of this rule is [`VOIDER_MAY_VOID`].
fn may_void(voider: &Prepared, target_org: Option<&str>, target_authority: &str) -> bool {
    if voider.authority_id.starts_with("user:") {
        return target_authority == voider.authority_id;
    }
    voider.org_id.is_some() && target_org == voider.org_id.as_deref()
}

/// The rule of [`may_void`] for a voiding row `v` and the statement being inserted, whose
/// `org_id` and `authority_id` are bound to the two placeholders (in that order).
/// (`{org}` comes first: SQLite's `?` placeholders bind in the order they appear.)
const VOIDER_MAY_VOID: &str = "((v.authority_id NOT LIKE 'user:%' AND v.org_id = {org}) \
     OR (v.authority_id LIKE 'user:%' AND v.authority_id = {auth}))";

/// Data 2.3.2: a voiding statement cannot target another voiding statement; and a caller may
/// only void statements it may reach (403, nothing stored).
async fn check_voiding_targets(db: &Db, new: &[&Prepared]) -> AppResult<()> {
    let voiders: HashMap<&str, &Prepared> = new
        .iter()
        .filter_map(|p| p.voids.as_deref().map(|t| (t, *p)))
        .collect();
    if voiders.is_empty() {
        return Ok(());
    }
    let in_batch: HashMap<&str, &Prepared> = new.iter().map(|p| (p.id.as_str(), *p)).collect();
    let mut found: Vec<(String, bool, Option<String>, String)> = Vec::new();
    for (&target, _) in voiders.iter().filter(|(t, _)| in_batch.contains_key(**t)) {
        let p = in_batch[target];
        found.push((
            target.to_owned(),
            p.voids.is_some(),
            p.org_id.clone(),
            p.authority_id.clone(),
        ));
    }
    let targets: Vec<&str> = voiders.keys().copied().collect();
    for chunk in targets.chunks(500) {
        let sql = format!(
            "SELECT id, voids IS NOT NULL, org_id, authority_id FROM xapi_statements WHERE id IN ({})",
            in_list(&mut Placeholders::default(), chunk.len())
        );
        let mut query =
            sqlx::query_as::<_, (String, crate::db::Flag, Option<String>, String)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (id, voiding, org, authority) in query.fetch_all(&db.pool).await? {
            found.push((id, voiding.into(), org, authority));
        }
    }
    for (id, _, org, authority) in &found {
        if !may_void(voiders[id.as_str()], org.as_deref(), authority) {
            return Err(AppError::Status {
                status: 403,
                code: "xapi-void-forbidden",
                detail: format!("Statement {id} is not one this caller may void."),
            });
        }
    }
    match found.iter().find(|(_, voiding, _, _)| *voiding) {
        None => Ok(()),
        Some((id, ..)) => Err(AppError::bad_request(
            "xapi-voids-voiding",
            format!("Statement {id} is itself a voiding statement and cannot be voided."),
        )),
    }
}

/// Same statement, ignoring what the LRS sets or may change (Data 2.3.1 immutability
/// exceptions): authority, stored, version, and a timestamp the LRS filled in.
pub fn equivalent(stored: &Value, new: &Value, compare_timestamp: bool) -> bool {
    fn strip(v: &Value) -> Map<String, Value> {
        let mut m = v.as_object().cloned().unwrap_or_default();
        for key in ["authority", "stored", "version", "timestamp"] {
            m.remove(key);
        }
        m
    }
    let same_time = match (stored.get("timestamp"), new.get("timestamp")) {
        (Some(a), Some(b)) if compare_timestamp => {
            let instant = |v: &Value| v.as_str().and_then(crate::db::time::parse_rfc3339);
            a == b || matches!((instant(a), instant(b)), (Some(x), Some(y)) if x == y)
        }
        _ => true,
    };
    same_time && strip(stored) == strip(new)
}

/// Whose stored attachments a writer's statements use: a learner's own, or the organisation's
/// (its LRS clients and Caravan share them). Bytes are found only within the tenant that sent
/// them, so declaring another tenant's hash with a `fileUrl` returns nothing.
pub fn tenant_of(authority_id: &str, org_id: Option<&str>) -> String {
    match org_id {
        _ if authority_id.starts_with("user:") => authority_id.to_owned(),
        Some(org) => format!("org:{org}"),
        None => authority_id.to_owned(),
    }
}

/// Stored attachments by tenant and hash (those that exist).
pub async fn attachments(
    db: &Db,
    wanted: &[(String, String)],
) -> AppResult<Vec<(String, String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (tenant, hash) in wanted {
        if out.iter().any(|(h, _, _)| h == hash) {
            continue;
        }
        let row: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT content_type, content FROM xapi_attachments WHERE tenant = $1 AND sha2 = $2",
        )
        .bind(tenant)
        .bind(hash)
        .fetch_optional(&db.pool)
        .await?;
        if let Some((content_type, bytes)) = row {
            out.push((hash.clone(), content_type, bytes));
        }
    }
    Ok(out)
}

/// Inserts statements not stored yet and their refs rows, and returns the ids it inserted. A
/// statement arriving after the statement voiding it is stored voided. Nothing else: no
/// validation, no comparison (the benchmark's raw insert is this function).
pub async fn write_rows(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    new: &[&Prepared],
) -> AppResult<HashSet<String>> {
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

/// Data 2.4.6.2: a single context Activity is stored (and so returned) as an array of one.
fn arrays_of_context_activities(stmt: &mut Map<String, Value>) {
    let activities = stmt
        .get_mut("context")
        .and_then(|c| c.get_mut("contextActivities"))
        .and_then(Value::as_object_mut);
    for value in activities.into_iter().flat_map(|a| a.values_mut()) {
        if value.is_object() {
            *value = Value::Array(vec![value.take()]);
        }
    }
}

/// A timestamp with another offset, in UTC (Data 4.5: the LRS converts rather than rejects);
/// `None` when it is UTC already or not RFC 3339.
fn to_utc(timestamp: &str) -> Option<String> {
    use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};
    if timestamp.ends_with('Z') || timestamp.ends_with('z') {
        return None;
    }
    let parsed = OffsetDateTime::parse(timestamp, &Rfc3339).ok()?;
    if parsed.offset() == UtcOffset::UTC && timestamp.ends_with("+00:00") {
        return None;
    }
    parsed.to_offset(UtcOffset::UTC).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_kept_in_utc() {
        assert_eq!(
            super::to_utc("2026-11-27T16:30:00.250+08:00").as_deref(),
            Some("2026-11-27T08:30:00.25Z")
        );
        assert_eq!(super::to_utc("2026-11-27T08:30:00Z"), None);
        assert_eq!(super::to_utc("not a time"), None);
    }
}
