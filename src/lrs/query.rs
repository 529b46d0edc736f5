//! Reading statements: one by id, or a filtered page in stored order (Communication 2.1.3).
//!
//! A statement that targets another (a StatementRef object, e.g. a voiding statement) matches
//! the non-time filters when its target does, so each page is the merge of two indexed,
//! limited queries: statements matching directly, and statements whose target matches.

use super::{store, ReadScope};
use crate::{db::Db, error::Result};

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

/// One stored statement as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub seq: i64,
    pub stored: i64,
    pub body: String,
    /// Whose the statement's stored attachments are (`lrs::store::tenant_of` its writer).
    pub tenant: String,
}

/// A page of statements and whether more follow.
pub struct Page {
    pub rows: Vec<Row>,
    pub more: Option<i64>,
}

/// The statement with this id, if the scope may read it: not voided, or (with `voided`)
/// only a voided one.
pub async fn get(db: &Db, scope: &ReadScope, id: &str, voided: bool) -> Result<Option<Row>> {
    Ok(store::query::statement(db, scope, &id.to_ascii_lowercase(), voided).await?)
}

pub async fn page(db: &Db, scope: &ReadScope, f: &Filter) -> Result<Page> {
    let mut rows = store::query::page_rows(db, scope, f).await?;
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
