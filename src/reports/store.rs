//! The reports area's SQL: one GROUP BY over course starts and completions.

use sqlx::{any::AnyRow, Row};

use super::{report::metrics, Dimension, Granularity, OrgScope, ReportRow, Spec};
use crate::{
    db::{Backend, CalendarLabel, Db, Placeholders},
    error::Result,
};

/// The period label (`2026-03`, `2026-Q1`, `2026`) of the epoch milliseconds in `at`, in UTC.
fn period_label(period: Granularity, backend: Backend, at: &str) -> String {
    backend.utc_label(
        at,
        match period {
            Granularity::Month => CalendarLabel::Month,
            Granularity::Quarter => CalendarLabel::Quarter,
            Granularity::Year => CalendarLabel::Year,
        },
    )
}

/// One SQL GROUP BY over the starts and completions in range; with no dimensions, one row.
pub(super) async fn aggregate(
    db: &Db,
    spec: &Spec,
    scope: &OrgScope,
    dims: &[Dimension],
) -> Result<Vec<ReportRow>> {
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
            "SELECT course_id, org_id, user_id, {at} AS at, {enrolled} AS enrolled \
             FROM course_progress WHERE {}",
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
            Dimension::LearnerGroup => {
                select.push(
                    "ltg.target_group AS learner_group, lg.label_en AS learner_group_en, \
                     lg.label_zh AS learner_group_zh",
                );
                joins.push(
                    "LEFT JOIN learner_target_groups ltg ON ltg.user_id = e.user_id \
                     LEFT JOIN target_groups lg ON lg.slug = ltg.target_group",
                );
                group.push("ltg.target_group, lg.label_en, lg.label_zh".to_owned());
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
            Dimension::Period => group.push(period_label(spec.period, db.backend, "e.at")),
        }
    }
    let mut columns: Vec<String> = select.iter().map(|s| (*s).to_owned()).collect();
    if dims.contains(&Dimension::Period) {
        columns.push(format!(
            "{} AS period",
            period_label(spec.period, db.backend, "e.at")
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

fn decode(r: &AnyRow, dims: &[Dimension]) -> Result<ReportRow> {
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
            Dimension::LearnerGroup => {
                row.learner_group = Some(r.try_get("learner_group")?);
                row.learner_group_en = Some(r.try_get("learner_group_en")?);
                row.learner_group_zh = Some(r.try_get("learner_group_zh")?);
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
