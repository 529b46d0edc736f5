//! Reading statements: one by id, or a filtered page in stored order (Communication 2.1.3).
//!
//! A statement that targets another (a StatementRef object, e.g. a voiding statement) matches
//! the non-time filters when its target does, so each page is the merge of two indexed,
//! limited queries: statements matching directly, and statements whose target matches.

use super::ReadScope;
use crate::{
    db::{Db, Placeholders},
    error::AppResult,
};

/// The filters of a statements GET, already parsed and normalised.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The agent's normalised inverse functional identifier.
    pub agent: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<String>,
    pub related_activities: bool,
    pub related_agents: bool,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: usize,
    pub ascending: bool,
    /// Continue after this `seq` (the `more` link).
    pub after: Option<i64>,
}

impl Filter {
    fn has_target_filters(&self) -> bool {
        self.agent.is_some()
            || self.verb.is_some()
            || self.activity.is_some()
            || self.registration.is_some()
    }
}

/// One stored statement as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub seq: i64,
    pub stored: i64,
    pub body: String,
}

/// A page of statements and whether more follow.
pub struct Page {
    pub rows: Vec<Row>,
    pub more: Option<i64>,
}

pub(super) fn scope_sql(scope: &ReadScope, ph: &mut Placeholders, alias: &str) -> (String, String) {
    let (column, value) = match scope {
        ReadScope::Org(org) => ("org_id", org),
        ReadScope::Authority(a) => ("authority_id", a),
        ReadScope::User(u) => ("user_id", u),
    };
    (format!("{alias}.{column} = {}", ph.take()), value.clone())
}

/// The statement with this id, if the scope may read it: not voided, or (with `voided`)
/// only a voided one.
pub async fn get(db: &Db, scope: &ReadScope, id: &str, voided: bool) -> AppResult<Option<Row>> {
    let mut ph = Placeholders::default();
    let id_ph = ph.take();
    let (scope_cond, scope_value) = scope_sql(scope, &mut ph, "s");
    let sql = format!(
        "SELECT seq, stored, body FROM xapi_statements s WHERE s.id = {id_ph} AND {scope_cond} \
         AND s.voided = {}",
        if voided { "TRUE" } else { "FALSE" }
    );
    Ok(sqlx::query_as::<_, Row>(&sql)
        .bind(id.to_ascii_lowercase())
        .bind(scope_value)
        .fetch_optional(&db.pool)
        .await?)
}

pub async fn page(db: &Db, scope: &ReadScope, f: &Filter) -> AppResult<Page> {
    let mut ph = Placeholders::default();
    let mut binds: Vec<Bind> = Vec::new();
    let (scope_cond, scope_value) = scope_sql(scope, &mut ph, "s");
    binds.push(Bind::Text(scope_value));
    let mut own = vec![scope_cond, "s.voided = FALSE".to_owned()];
    own.extend(time_conditions(f, &mut ph, &mut binds, "s"));
    let order = if f.ascending { "ASC" } else { "DESC" };
    let fetch = f.limit + 1;

    let direct = {
        let mut conds = own.clone();
        conds.extend(target_conditions(f, &mut ph, &mut binds, "s"));
        format!(
            "SELECT s.seq, s.stored, s.body FROM xapi_statements s WHERE {} \
             ORDER BY s.seq {order} LIMIT {fetch}",
            conds.join(" AND ")
        )
    };
    let sql = if f.has_target_filters() {
        // Repeat the statement's own conditions with fresh placeholders for the second query.
        let mut ph2_binds = Vec::new();
        let (scope_cond, scope_value) = scope_sql(scope, &mut ph, "s");
        ph2_binds.push(Bind::Text(scope_value));
        let mut conds = vec![
            scope_cond,
            "s.voided = FALSE".to_owned(),
            "s.object_ref IS NOT NULL".to_owned(),
        ];
        conds.extend(time_conditions(f, &mut ph, &mut ph2_binds, "s"));
        conds.extend(target_conditions(f, &mut ph, &mut ph2_binds, "t"));
        binds.extend(ph2_binds);
        let targeting = format!(
            "SELECT s.seq, s.stored, s.body FROM xapi_statements s \
             JOIN xapi_statements t ON t.id = s.object_ref WHERE {} \
             ORDER BY s.seq {order} LIMIT {fetch}",
            conds.join(" AND ")
        );
        format!("SELECT * FROM ({direct}) a UNION ALL SELECT * FROM ({targeting}) b")
    } else {
        direct
    };
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s),
            Bind::Int(i) => query.bind(i),
        };
    }
    let mut rows = query.fetch_all(&db.pool).await?;
    rows.sort_by_key(|r| if f.ascending { r.seq } else { -r.seq });
    rows.dedup_by_key(|r| r.seq);
    let more = if rows.len() > f.limit {
        rows.truncate(f.limit);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Page { rows, more })
}

enum Bind {
    Text(String),
    Int(i64),
}

fn time_conditions(
    f: &Filter,
    ph: &mut Placeholders,
    binds: &mut Vec<Bind>,
    alias: &str,
) -> Vec<String> {
    let mut conds = Vec::new();
    if let Some(since) = f.since {
        conds.push(format!("{alias}.stored > {}", ph.take()));
        binds.push(Bind::Int(since));
    }
    if let Some(until) = f.until {
        conds.push(format!("{alias}.stored <= {}", ph.take()));
        binds.push(Bind::Int(until));
    }
    if let Some(after) = f.after {
        let op = if f.ascending { ">" } else { "<" };
        conds.push(format!("{alias}.seq {op} {}", ph.take()));
        binds.push(Bind::Int(after));
    }
    conds
}

/// The filters a targeted statement can satisfy on behalf of the statement targeting it.
fn target_conditions(
    f: &Filter,
    ph: &mut Placeholders,
    binds: &mut Vec<Bind>,
    alias: &str,
) -> Vec<String> {
    let mut conds = Vec::new();
    if let Some(agent) = &f.agent {
        let kind = if f.related_agents { "g" } else { "a" };
        conds.push(format!(
            "{alias}.seq IN (SELECT seq FROM xapi_statement_refs WHERE value = {} AND kind = '{kind}')",
            ph.take()
        ));
        binds.push(Bind::Text(agent.clone()));
    }
    if let Some(verb) = &f.verb {
        conds.push(format!("{alias}.verb = {}", ph.take()));
        binds.push(Bind::Text(verb.clone()));
    }
    if let Some(activity) = &f.activity {
        if f.related_activities {
            conds.push(format!(
                "{alias}.seq IN (SELECT seq FROM xapi_statement_refs WHERE value = {} AND kind = 'c')",
                ph.take()
            ));
        } else {
            conds.push(format!("{alias}.activity = {}", ph.take()));
        }
        binds.push(Bind::Text(activity.clone()));
    }
    if let Some(registration) = &f.registration {
        conds.push(format!("{alias}.registration = {}", ph.take()));
        binds.push(Bind::Text(registration.to_ascii_lowercase()));
    }
    conds
}
