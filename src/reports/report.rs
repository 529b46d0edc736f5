//! A report as it is answered: rows of keys, labels and numbers, totals, and its CSV form.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Dimension, Granularity};

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
    /// Target group a learner said they belong to (with consent); null for learners who named
    /// none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub learner_group: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub learner_group_en: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub learner_group_zh: Option<Option<String>>,
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
            "learner_group" => nested(&self.learner_group),
            "learner_group_en" => nested(&self.learner_group_en),
            "learner_group_zh" => nested(&self.learner_group_zh),
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

pub(super) fn metrics(enrolled: i64, completed: i64, minutes: i64, centicredits: i64) -> Metrics {
    Metrics {
        enrolled,
        completed,
        learning_hours: (minutes as f64 / 60.0 * 100.0).round() / 100.0,
        credits: centicredits as f64 / 100.0,
        completion_rate: (enrolled > 0)
            .then(|| (completed as f64 / enrolled as f64 * 10_000.0).round() / 10_000.0),
    }
}
