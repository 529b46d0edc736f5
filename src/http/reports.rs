//! Training reports for administrators, as JSON or CSV.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{negotiate, Caller, Format, Json, Query};
use crate::{
    error::{Error, FieldError, Result},
    http::AppState,
    reports::{self, Report, Spec},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(training_report))
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct TrainingQuery {
    /// Comma-separated dimensions, in order: `domain`, `target_group`, `learner_group` (the
    /// groups learners declared with consent), `org`, `course`,
    /// `level`, `period`. Empty: one row with everything.
    group_by: Option<String>,
    /// `month` (default), `quarter` or `year`; used when grouping by `period`.
    period: Option<String>,
    /// First day counted (`YYYY-MM-DD`, UTC), inclusive.
    from: Option<String>,
    /// Last day counted (`YYYY-MM-DD`, UTC), inclusive.
    to: Option<String>,
    /// Only this organisation. Without it: every organisation for a superadmin, the
    /// organisations they administer for an admin.
    org_id: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    format: Option<String>,
}

/// Training numbers (superadmins: every organisation; admins: the organisations they
/// administer).
///
/// Counts are person-times. `enrolled` counts learners who started a course in the period
/// (by when they started), `completed` those who completed one in the period (by when they
/// completed); `completion_rate` is `completed / enrolled` of the same row, to four decimals.
/// **Learning hours** are the course's `estimated_minutes` / 60 for each completion (not time
/// measured in the player), to 0.01 h. **Credits** are the course's `credit_value` for each
/// completion. Periods (`2026-03`, `2026-Q1`, `2026`) and the `from`/`to` days are UTC.
/// `org` is the organisation the learner trained under.
///
/// Grouped by `target_group`, a course with several target groups counts in each of them
/// (and one without any in a row whose `target_group` is null), so the rows may add up to more
/// than `totals`, which count each start and completion once.
///
/// With `Accept: text/csv` or `format=csv`: UTF-8 CSV (with a byte-order mark) whose header
/// row names the dimensions' columns (keys, then English and Chinese labels) and the metrics.
#[utoipa::path(get, path = "/api/v1/reports/training", tag = "reports", params(TrainingQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content((Report = "application/json"), (String = "text/csv"))),
        (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
async fn training_report(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<TrainingQuery>,
) -> Result<Response> {
    let user = caller.user()?;
    let org_id = q.org_id.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let scope = reports::scope_for(&state.db, user, org_id).await?;
    let spec = Spec::parse(
        q.group_by.as_deref(),
        q.period.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
    );
    let csv = negotiate(q.format.as_deref(), &headers, &["json", "csv"]).map(|f| f == Format::Csv);
    let (spec, csv) = match (spec, csv) {
        (Ok(spec), Ok(csv)) => (spec, csv),
        (spec, csv) => {
            let mut errors: Vec<FieldError> = spec.err().unwrap_or_default();
            errors.extend(csv.err());
            return Err(Error::Validation(errors));
        }
    };
    let report = reports::training(&state.db, &spec, &scope).await?;
    if csv {
        csv_response(&report)
    } else {
        Ok(Json(report).into_response())
    }
}

fn csv_response(report: &Report) -> Result<Response> {
    let body = report.to_csv()?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"training-report.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
