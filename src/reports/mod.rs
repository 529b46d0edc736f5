//! Training reports: how many learners started and completed courses, the hours and credits
//! they earned, grouped by domain, target group, organisation, course, level and period.
//!
//! Counts are *person-times*: a learner who started three courses counts three times. A start is
//! counted in the period of `course_progress.started_at`, a completion in the period of
//! `completed_at`, so a course started in March and completed in April adds to March's
//! `enrolled` and April's `completed`. Periods are UTC calendar months, quarters or years.
//!
//! Aggregation runs in SQL (`store`); the one expression that differs between the backends, the
//! period label of an epoch-millisecond timestamp, comes from `db::dialect`, and the same tests
//! run on both. Rows are sorted here, on byte order, because PostgreSQL sorts text by its
//! collation.

mod report;
mod store;

use serde::Serialize;
use time::{macros::format_description, Date, Duration};
use utoipa::ToSchema;

pub use report::{Metrics, Report, ReportRow, METRIC_COLUMNS};

use crate::{
    accounts::{self, OrgRole, User},
    authz,
    db::Db,
    error::{Error, FieldError, Result},
};

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Domain,
    TargetGroup,
    /// The target groups learners said they belong to (only with their consent); null for
    /// learners who named none.
    LearnerGroup,
    Org,
    Course,
    Level,
    Period,
}

impl Dimension {
    pub const ALL: [Self; 7] = [
        Self::Domain,
        Self::TargetGroup,
        Self::LearnerGroup,
        Self::Org,
        Self::Course,
        Self::Level,
        Self::Period,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::TargetGroup => "target_group",
            Self::LearnerGroup => "learner_group",
            Self::Org => "org",
            Self::Course => "course",
            Self::Level => "level",
            Self::Period => "period",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The columns a grouped row carries for this dimension: its key, then its labels.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Domain => &["domain", "domain_en", "domain_zh"],
            Self::TargetGroup => &["target_group", "target_group_en", "target_group_zh"],
            Self::LearnerGroup => &["learner_group", "learner_group_en", "learner_group_zh"],
            Self::Org => &["org", "org_name"],
            Self::Course => &["course", "course_title"],
            Self::Level => &["level"],
            Self::Period => &["period"],
        }
    }
}

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    Quarter,
    Year,
}

impl Granularity {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Self::Month),
            "quarter" => Some(Self::Quarter),
            "year" => Some(Self::Year),
            _ => None,
        }
    }
}

/// A parsed report request: valid by construction.
#[derive(Debug, Clone)]
pub struct Spec {
    pub group_by: Vec<Dimension>,
    pub period: Granularity,
    /// Inclusive lower bound, epoch milliseconds (start of the `from` day, UTC).
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, epoch milliseconds (end of the `to` day, UTC).
    pub until_ms: Option<i64>,
}

impl Spec {
    /// Parses the query parameters, listing every invalid one.
    pub fn parse(
        group_by: Option<&str>,
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut dims = Vec::new();
        for name in group_by.unwrap_or("").split(',').map(str::trim) {
            if name.is_empty() {
                continue;
            }
            match Dimension::parse(name) {
                Some(d) if dims.contains(&d) => errors.push(FieldError::new(
                    "group_by",
                    format!("{name} is listed twice"),
                )),
                Some(d) => dims.push(d),
                None => errors.push(FieldError::new(
                    "group_by",
                    format!(
                        "unknown dimension {name:?}; use domain, target_group, learner_group, \
                         org, course, level or period"
                    ),
                )),
            }
        }
        let granularity = match period.map(str::trim) {
            None | Some("") => Some(Granularity::Month),
            Some(p) => Granularity::parse(p),
        };
        if granularity.is_none() {
            errors.push(FieldError::new("period", "use month, quarter or year"));
        }
        let from_day = parse_day("from", from, &mut errors);
        let to_day = parse_day("to", to, &mut errors);
        if let (Some(f), Some(t)) = (from_day, to_day) {
            if f > t {
                errors.push(FieldError::new("to", "must not be before from"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            group_by: dims,
            period: granularity.unwrap_or(Granularity::Month),
            from_ms: from_day.map(day_start_ms),
            until_ms: to_day.map(|d| day_start_ms(d) + Duration::DAY.whole_milliseconds() as i64),
        })
    }
}

fn parse_day(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Date> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    match Date::parse(value, format_description!("[year]-[month]-[day]")) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "use a date such as 2026-01-31"));
            None
        }
    }
}

fn day_start_ms(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp() * 1000
}

/// The organisations a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgScope {
    All,
    Only(Vec<String>),
}

/// Superadmins may report on every organisation, an admin only on those they administer: one
/// named organisation, or by default all of theirs. Anyone else is refused.
pub async fn scope_for(db: &Db, user: &User, org_id: Option<&str>) -> Result<OrgScope> {
    if let Some(org_id) = org_id {
        authz::require_org_role(db, user, org_id, authz::admin).await?;
        return Ok(OrgScope::Only(vec![org_id.to_owned()]));
    }
    if user.is_superadmin {
        return Ok(OrgScope::All);
    }
    let administered: Vec<String> = accounts::memberships(db, &user.id)
        .await?
        .into_iter()
        .filter(|m| OrgRole::parse(&m.role) == Ok(OrgRole::Admin))
        .map(|m| m.org_id)
        .collect();
    if administered.is_empty() {
        return Err(Error::Forbidden);
    }
    Ok(OrgScope::Only(administered))
}

/// Builds the report for the organisations in `scope`.
#[tracing::instrument(skip(db))]
pub async fn training(db: &Db, spec: &Spec, scope: &OrgScope) -> Result<Report> {
    if scope == &OrgScope::Only(vec![]) {
        return Err(Error::Forbidden);
    }
    let mut rows = store::aggregate(db, spec, scope, &spec.group_by).await?;
    rows.sort_by_cached_key(|r| sort_key(r, &spec.group_by));
    let totals = store::aggregate(db, spec, scope, &[])
        .await?
        .pop()
        .map(|r| r.metrics)
        .unwrap_or_else(|| report::metrics(0, 0, 0, 0));
    Ok(Report {
        group_by: spec.group_by.clone(),
        period: spec
            .group_by
            .contains(&Dimension::Period)
            .then_some(spec.period),
        rows,
        totals,
    })
}

/// Byte-order keys, nulls last; levels compare as numbers.
fn sort_key(row: &ReportRow, dims: &[Dimension]) -> Vec<(bool, i64, String)> {
    dims.iter()
        .map(|d| match d {
            Dimension::Level => (false, row.level.unwrap_or_default(), String::new()),
            Dimension::TargetGroup => match row.target_group.clone().flatten() {
                Some(t) => (false, 0, t),
                None => (true, 0, String::new()),
            },
            Dimension::LearnerGroup => match row.learner_group.clone().flatten() {
                Some(t) => (false, 0, t),
                None => (true, 0, String::new()),
            },
            other => (false, 0, row.cell(other.columns()[0])),
        })
        .collect()
}
