//! Training reports: how many learners started and completed courses, the hours and credits
//! they earned, grouped by domain, target group, organisation, course, level and period.
//!
//! Counts are *person-times*: a learner who started three courses counts three times. A start is
//! counted in the period of `course_progress.started_at`, a completion in the period of
//! `completed_at`, so a course started in March and completed in April adds to March's
//! `enrolled` and April's `completed`. Periods are UTC calendar months, quarters or years.
//!
//! Aggregation runs in SQL. The one expression that differs between the backends, the period
//! bucket of an epoch-millisecond timestamp, is written once per backend and the same tests run
//! on both; rows are sorted here, on byte order, because PostgreSQL sorts text by its collation.

use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use time::{macros::format_description, Date, Duration};
use utoipa::ToSchema;

use crate::{
    accounts::{self, OrgRole, User},
    authz,
    db::{Backend, CalendarLabel, Db, Placeholders},
    error::{AppError, AppResult, FieldError},
};

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Domain,
    TargetGroup,
    Org,
    Course,
    Level,
    Period,
}

impl Dimension {
    pub const ALL: [Self; 6] = [
        Self::Domain,
        Self::TargetGroup,
        Self::Org,
        Self::Course,
        Self::Level,
        Self::Period,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::TargetGroup => "target_group",
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

    /// The period label (`2026-03`, `2026-Q1`, `2026`) of the epoch milliseconds in `at`, in UTC.
    fn bucket_sql(self, backend: Backend, at: &str) -> String {
        backend.utc_label(
            at,
            match self {
                Self::Month => CalendarLabel::Month,
                Self::Quarter => CalendarLabel::Quarter,
                Self::Year => CalendarLabel::Year,
            },
        )
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
                        "unknown dimension {name:?}; use domain, target_group, org, course, \
                         level or period"
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
pub async fn scope_for(db: &Db, user: &User, org_id: Option<&str>) -> AppResult<OrgScope> {
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
        return Err(AppError::Forbidden);
    }
    Ok(OrgScope::Only(administered))
}

/// The numbers of one group (or of all groups together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Metrics {
    /// Person-times started in the period.
    pub enrolled: i64,
    /// Person-times completed in the period.
    pub completed: i64,
    /// The course's `estimated_minutes` / 60 for each completion, to 0.01 h.
    pub learning_hours: f64,
    /// The course's `credit_value` for each completion (each to 0.01), summed.
    pub credits: f64,
    /// `completed / enrolled` to four decimals; null when nothing was started. Both are counted
    /// by their own dates, so a period's rate can exceed 1.
    pub completion_rate: Option<f64>,
}

/// One group: its keys and labels (only those of the requested dimensions), then its numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ReportRow {
    /// Domain slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_zh: Option<String>,
    /// Target group slug; null for courses that name no target group.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub target_group: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub target_group_en: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub target_group_zh: Option<Option<String>>,
    /// Id of the organisation the learner trained under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    /// Course id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<i64>,
    /// `2026-03`, `2026-Q1` or `2026`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(flatten)]
    pub metrics: Metrics,
}

impl ReportRow {
    /// The text of one column, for CSV: empty for null.
    pub fn cell(&self, column: &str) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let nested = |v: &Option<Option<String>>| v.clone().flatten().unwrap_or_default();
        match column {
            "domain" => text(&self.domain),
            "domain_en" => text(&self.domain_en),
            "domain_zh" => text(&self.domain_zh),
            "target_group" => nested(&self.target_group),
            "target_group_en" => nested(&self.target_group_en),
            "target_group_zh" => nested(&self.target_group_zh),
            "org" => text(&self.org),
            "org_name" => text(&self.org_name),
            "course" => text(&self.course),
            "course_title" => text(&self.course_title),
            "level" => self.level.map(|l| l.to_string()).unwrap_or_default(),
            "period" => text(&self.period),
            "enrolled" => self.metrics.enrolled.to_string(),
            "completed" => self.metrics.completed.to_string(),
            "learning_hours" => self.metrics.learning_hours.to_string(),
            "credits" => self.metrics.credits.to_string(),
            "completion_rate" => self
                .metrics
                .completion_rate
                .map(|r| r.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// A training report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub group_by: Vec<Dimension>,
    /// The period length used when grouping by period; null otherwise.
    pub period: Option<Granularity>,
    /// Sorted by the grouping keys in `group_by` order.
    pub rows: Vec<ReportRow>,
    /// Every start and completion counted once. Grouped by target group, a course counts in
    /// each of its groups, so the rows can add up to more than the totals.
    pub totals: Metrics,
}

pub const METRIC_COLUMNS: [&str; 5] = [
    "enrolled",
    "completed",
    "learning_hours",
    "credits",
    "completion_rate",
];

impl Report {
    /// The CSV header: the requested dimensions' columns, then the metrics.
    pub fn columns(&self) -> Vec<&'static str> {
        self.group_by
            .iter()
            .flat_map(|d| d.columns().iter().copied())
            .chain(METRIC_COLUMNS)
            .collect()
    }

    /// CSV with a header row, for spreadsheet programs (`spreadsheet::Sheet`).
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = crate::spreadsheet::Sheet::default();
        let columns = self.columns();
        out.row(&columns)?;
        for row in &self.rows {
            out.row(columns.iter().map(|c| row.cell(c)))?;
        }
        out.finish()
    }
}

/// Builds the report for the organisations in `scope`.
#[tracing::instrument(skip(db))]
pub async fn training(db: &Db, spec: &Spec, scope: &OrgScope) -> AppResult<Report> {
    if scope == &OrgScope::Only(vec![]) {
        return Err(AppError::Forbidden);
    }
    let mut rows = aggregate(db, spec, scope, &spec.group_by).await?;
    rows.sort_by_cached_key(|r| sort_key(r, &spec.group_by));
    let totals = aggregate(db, spec, scope, &[])
        .await?
        .pop()
        .map(|r| r.metrics)
        .unwrap_or_else(|| metrics(0, 0, 0, 0));
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
            other => (false, 0, row.cell(other.columns()[0])),
        })
        .collect()
}

fn metrics(enrolled: i64, completed: i64, minutes: i64, centicredits: i64) -> Metrics {
    Metrics {
        enrolled,
        completed,
        learning_hours: (minutes as f64 / 60.0 * 100.0).round() / 100.0,
        credits: centicredits as f64 / 100.0,
        completion_rate: (enrolled > 0)
            .then(|| (completed as f64 / enrolled as f64 * 10_000.0).round() / 10_000.0),
    }
}

/// One SQL GROUP BY over the starts and completions in range; with no dimensions, one row.
async fn aggregate(
    db: &Db,
    spec: &Spec,
    scope: &OrgScope,
    dims: &[Dimension],
) -> AppResult<Vec<ReportRow>> {
    let mut p = Placeholders::default();
    let mut binds: Vec<BindValue> = Vec::new();
    let mut branch = |at: &str, enrolled: i64| {
        let mut conds = vec![format!("{at} IS NOT NULL")];
        if let OrgScope::Only(orgs) = scope {
            let list: Vec<String> = orgs
                .iter()
                .map(|o| {
                    binds.push(BindValue::Text(o.clone()));
                    p.take()
                })
                .collect();
            conds.push(format!("org_id IN ({})", list.join(", ")));
        }
        if let Some(from) = spec.from_ms {
            binds.push(BindValue::Int(from));
            conds.push(format!("{at} >= {}", p.take()));
        }
        if let Some(until) = spec.until_ms {
            binds.push(BindValue::Int(until));
            conds.push(format!("{at} < {}", p.take()));
        }
        format!(
            "SELECT course_id, org_id, {at} AS at, {enrolled} AS enrolled FROM course_progress \
             WHERE {}",
            conds.join(" AND ")
        )
    };
    let started = branch("started_at", 1);
    let completed = branch("completed_at", 0);

    let mut select = Vec::new();
    let mut joins = Vec::new();
    let mut group = Vec::new();
    for d in dims {
        match d {
            Dimension::Domain => {
                select.push("c.domain AS domain, d.label_en AS domain_en, d.label_zh AS domain_zh");
                joins.push("JOIN domains d ON d.slug = c.domain");
                group.push("c.domain, d.label_en, d.label_zh".to_owned());
            }
            Dimension::TargetGroup => {
                select.push(
                    "ctg.target_group AS target_group, tg.label_en AS target_group_en, \
                     tg.label_zh AS target_group_zh",
                );
                joins.push(
                    "LEFT JOIN course_target_groups ctg ON ctg.course_id = c.id \
                     LEFT JOIN target_groups tg ON tg.slug = ctg.target_group",
                );
                group.push("ctg.target_group, tg.label_en, tg.label_zh".to_owned());
            }
            Dimension::Org => {
                select.push("e.org_id AS org, o.name AS org_name");
                joins.push("JOIN orgs o ON o.id = e.org_id");
                group.push("e.org_id, o.name".to_owned());
            }
            Dimension::Course => {
                select.push("c.id AS course, c.title AS course_title");
                group.push("c.id, c.title".to_owned());
            }
            Dimension::Level => {
                select.push("CAST(c.level AS BIGINT) AS level");
                group.push("c.level".to_owned());
            }
            Dimension::Period => group.push(spec.period.bucket_sql(db.backend, "e.at")),
        }
    }
    let mut columns: Vec<String> = select.iter().map(|s| (*s).to_owned()).collect();
    if dims.contains(&Dimension::Period) {
        columns.push(format!(
            "{} AS period",
            spec.period.bucket_sql(db.backend, "e.at")
        ));
    }
    // Sums are cast so both backends return BIGINT (PostgreSQL's SUM of BIGINT is NUMERIC);
    // credits are summed in exact hundredths so float order cannot make the backends differ.
    columns.push(
        "COUNT(CASE WHEN e.enrolled = 1 THEN 1 END) AS enrolled, \
         COUNT(CASE WHEN e.enrolled = 0 THEN 1 END) AS completed, \
         CAST(COALESCE(SUM(CASE WHEN e.enrolled = 0 THEN c.estimated_minutes ELSE 0 END), 0) \
              AS BIGINT) AS minutes, \
         CAST(COALESCE(SUM(CASE WHEN e.enrolled = 0 \
              THEN CAST(ROUND(c.credit_value * 100) AS BIGINT) ELSE 0 END), 0) AS BIGINT) \
              AS centicredits"
            .to_owned(),
    );
    let mut sql = format!(
        "WITH e AS ({started} UNION ALL {completed}) SELECT {} FROM e \
         JOIN courses c ON c.id = e.course_id {}",
        columns.join(", "),
        joins.join(" ")
    );
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group.join(", "));
    }
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = match b {
            BindValue::Text(s) => query.bind(s),
            BindValue::Int(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter().map(|r| decode(r, dims)).collect()
}

enum BindValue {
    Text(String),
    Int(i64),
}

fn decode(r: &AnyRow, dims: &[Dimension]) -> AppResult<ReportRow> {
    let mut row = ReportRow {
        metrics: metrics(
            r.try_get("enrolled")?,
            r.try_get("completed")?,
            r.try_get("minutes")?,
            r.try_get("centicredits")?,
        ),
        ..Default::default()
    };
    for d in dims {
        match d {
            Dimension::Domain => {
                row.domain = Some(r.try_get("domain")?);
                row.domain_en = Some(r.try_get("domain_en")?);
                row.domain_zh = Some(r.try_get("domain_zh")?);
            }
            Dimension::TargetGroup => {
                row.target_group = Some(r.try_get("target_group")?);
                row.target_group_en = Some(r.try_get("target_group_en")?);
                row.target_group_zh = Some(r.try_get("target_group_zh")?);
            }
            Dimension::Org => {
                row.org = Some(r.try_get("org")?);
                row.org_name = Some(r.try_get("org_name")?);
            }
            Dimension::Course => {
                row.course = Some(r.try_get("course")?);
                row.course_title = Some(r.try_get("course_title")?);
            }
            Dimension::Level => row.level = Some(r.try_get("level")?),
            Dimension::Period => row.period = Some(r.try_get("period")?),
        }
    }
    Ok(row)
}
