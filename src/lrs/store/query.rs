//! The statement reads: one by id, and the dynamic SQL of a filtered page (the merge of the
//! statements matching directly and those whose StatementRef target matches).

use crate::{
    db::{Db, Placeholders},
    lrs::query::{Filter, Row},
    lrs::ReadScope,
};

impl Filter {
    fn has_target_filters(&self) -> bool {
        self.agent.is_some()
            || self.verb.is_some()
            || self.activity.is_some()
            || self.registration.is_some()
    }
}

/// The `tenant` column of [`Row`], for a statement aliased `s`.
const TENANT: &str =
    "CASE WHEN s.authority_id LIKE 'user:%' THEN s.authority_id ELSE 'org:' || s.org_id END AS tenant";

/// The `xapi_statements` column a read scope limits, and the value it must hold.
fn scope_column(scope: &ReadScope) -> (&'static str, &str) {
    match scope {
        ReadScope::Org(org) => ("org_id", org),
        ReadScope::Authority(a) => ("authority_id", a),
        ReadScope::User(u) => ("user_id", u),
    }
}

pub(super) fn scope_sql(scope: &ReadScope, ph: &mut Placeholders, alias: &str) -> (String, String) {
    let (column, value) = scope_column(scope);
    (
        format!("{alias}.{column} = {}", ph.take()),
        value.to_owned(),
    )
}

/// The statement with this (lowercase) id, if the scope may read it: not voided, or (with
/// `voided`) only a voided one.
pub(crate) async fn statement(
    db: &Db,
    scope: &ReadScope,
    id: &str,
    voided: bool,
) -> sqlx::Result<Option<Row>> {
    let mut ph = Placeholders::default();
    let id_ph = ph.take();
    let (scope_cond, scope_value) = scope_sql(scope, &mut ph, "s");
    let sql = format!(
        "SELECT s.seq, s.stored, s.body, {TENANT} FROM xapi_statements s \
         WHERE s.id = {id_ph} AND {scope_cond} \
         AND s.voided = {}",
        if voided { "TRUE" } else { "FALSE" }
    );
    sqlx::query_as::<_, Row>(&sql)
        .bind(id)
        .bind(scope_value)
        .fetch_optional(&db.pool)
        .await
}

/// Up to `f.limit + 1` statements of each merged query, unsorted (they may repeat).
pub(crate) async fn page_rows(db: &Db, scope: &ReadScope, f: &Filter) -> sqlx::Result<Vec<Row>> {
    let mut q = Sql {
        ph: Placeholders::default(),
        binds: Vec::new(),
        hint: db.backend.index_hint(),
    };
    let order = if f.ascending { "ASC" } else { "DESC" };
    let fetch = f.limit + 1;
    let direct = q.direct(scope, f, order, fetch);
    let sql = if f.has_target_filters() {
        let targeting = q.targeting(scope, f, order, fetch);
        format!("SELECT * FROM ({direct}) a UNION ALL SELECT * FROM ({targeting}) b")
    } else {
        direct
    };
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for bind in q.binds {
        query = match bind {
            Bind::Text(s) => query.bind(s),
            Bind::Int(i) => query.bind(i),
        };
    }
    query.fetch_all(&db.pool).await
}

enum Bind {
    Text(String),
    Int(i64),
}

struct Sql {
    ph: Placeholders,
    binds: Vec<Bind>,
    hint: &'static str,
}

impl Sql {
    fn text(&mut self, value: &str) -> String {
        self.binds.push(Bind::Text(value.to_owned()));
        self.ph.take()
    }

    fn int(&mut self, value: i64) -> String {
        self.binds.push(Bind::Int(value));
        self.ph.take()
    }

    /// Conditions on the statement itself: who may read it, not voided, time and cursor.
    fn own(&mut self, scope: &ReadScope, f: &Filter, hinted: bool) -> Vec<String> {
        let h = if hinted { self.hint } else { "" };
        let (column, value) = scope_column(scope);
        let mut conds = vec![
            format!("{h}s.{column} = {}", self.text(value)),
            "s.voided = FALSE".to_owned(),
        ];
        if let Some(since) = f.since {
            conds.push(format!("{h}s.stored > {}", self.int(since)));
        }
        if let Some(until) = f.until {
            conds.push(format!("{h}s.stored <= {}", self.int(until)));
        }
        if let Some(after) = f.after {
            let op = if f.ascending { ">" } else { "<" };
            conds.push(format!("s.seq {op} {}", self.int(after)));
        }
        conds
    }

    /// Statements matching the filters themselves. An agent or related-activity filter drives
    /// the query from the refs index (ordered by seq); otherwise a column index does.
    fn direct(&mut self, scope: &ReadScope, f: &Filter, order: &str, fetch: usize) -> String {
        let driver = match (&f.agent, &f.activity) {
            (Some(agent), _) => Some((agent.clone(), if f.related_agents { "g" } else { "a" })),
            (None, Some(activity)) if f.related_activities => Some((activity.clone(), "c")),
            _ => None,
        };
        let has_column_filter = f.verb.is_some()
            || f.registration.is_some()
            || (f.activity.is_some() && !f.related_activities);
        let mut conds = self.own(scope, f, driver.is_some() || has_column_filter);
        let from = match &driver {
            Some((value, kind)) => {
                conds.push(format!("r.value = {}", self.text(value)));
                conds.push(format!("r.kind = '{kind}'"));
                "xapi_statement_refs r JOIN xapi_statements s ON s.seq = r.seq"
            }
            None => "xapi_statements s",
        };
        let h = if driver.is_some() { self.hint } else { "" };
        conds.extend(self.target(f, "s", h, driver.as_ref().map(|d| d.1)));
        let order_by = if driver.is_some() { "r.seq" } else { "s.seq" };
        format!(
            "SELECT s.seq, s.stored, s.body, {TENANT} FROM {from} WHERE {} \
             ORDER BY {order_by} {order} LIMIT {fetch}",
            conds.join(" AND ")
        )
    }

    /// Statements whose StatementRef target matches the filters (Communication 2.1.3). They
    /// are few (voiding mostly), so the query starts from the partial index of references.
    fn targeting(&mut self, scope: &ReadScope, f: &Filter, order: &str, fetch: usize) -> String {
        let mut conds = self.own(scope, f, true);
        conds.extend(self.target(f, "t", self.hint, None));
        format!(
            "SELECT s.seq, s.stored, s.body, {TENANT} FROM xapi_statements s \
             JOIN xapi_statements t ON t.id = s.object_ref \
             WHERE s.object_ref IS NOT NULL AND {} ORDER BY s.seq {order} LIMIT {fetch}",
            conds.join(" AND ")
        )
    }

    /// The filters a statement (or the target of a targeting statement) must satisfy; the one
    /// that drives the query (`driven`, a refs kind) is left out.
    fn target(&mut self, f: &Filter, alias: &str, h: &str, driven: Option<&str>) -> Vec<String> {
        let mut conds = Vec::new();
        if let Some(agent) = &f.agent {
            let kind = if f.related_agents { "g" } else { "a" };
            if driven != Some(kind) {
                conds.push(format!(
                    "{alias}.seq IN (SELECT seq FROM xapi_statement_refs WHERE value = {} AND kind = '{kind}')",
                    self.text(agent)
                ));
            }
        }
        if let Some(verb) = &f.verb {
            conds.push(format!("{h}{alias}.verb = {}", self.text(verb)));
        }
        if let Some(activity) = &f.activity {
            if !f.related_activities {
                conds.push(format!("{h}{alias}.activity = {}", self.text(activity)));
            } else if driven != Some("c") {
                conds.push(format!(
                    "{alias}.seq IN (SELECT seq FROM xapi_statement_refs WHERE value = {} AND kind = 'c')",
                    self.text(activity)
                ));
            }
        }
        if let Some(registration) = &f.registration {
            conds.push(format!(
                "{h}{alias}.registration = {}",
                self.text(&registration.to_ascii_lowercase())
            ));
        }
        conds
    }
}
