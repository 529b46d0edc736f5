//! A learner's progress as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use super::{store, units::percent_watched};
use crate::{
    db::{time::to_rfc3339, Db},
    error::{Error, Result},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    NotStarted,
    InProgress,
    Completed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitProgress {
    pub unit_id: String,
    pub title: String,
    #[schema(value_type = crate::catalogue::UnitKind)]
    pub kind: String,
    pub required: bool,
    pub state: UnitState,
    /// Video and audio units with a known duration: percent of it played (0–100).
    pub percent_watched: Option<f64>,
    /// Video and audio units: where to resume, in seconds.
    pub resume_position_secs: Option<f64>,
    /// Quiz units: the best attempt's score in percent.
    pub best_score: Option<f64>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseProgress {
    pub course_id: String,
    pub org_id: String,
    pub title: String,
    pub user_id: String,
    /// When the learner's first statement about one of its units arrived (enrolment).
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub required_units: usize,
    pub completed_required_units: usize,
    pub units: Vec<UnitProgress>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressList {
    /// Courses the learner has started, most recently started first.
    pub items: Vec<CourseProgress>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    id: String,
    title: String,
    kind: String,
    #[sqlx(try_from = "crate::db::Flag")]
    required: bool,
    duration_ms: Option<i64>,
    segments: Option<String>,
    position_secs: Option<f64>,
    score: Option<f64>,
    started_at: Option<i64>,
    completed_at: Option<i64>,
}

impl From<UnitRow> for UnitProgress {
    fn from(r: UnitRow) -> Self {
        let media = matches!(r.kind.as_str(), "video" | "audio");
        let state = match (r.started_at, r.completed_at) {
            (_, Some(_)) => UnitState::Completed,
            (Some(_), None) => UnitState::InProgress,
            (None, None) => UnitState::NotStarted,
        };
        Self {
            percent_watched: media
                .then(|| percent_watched(r.segments.as_deref().unwrap_or(""), r.duration_ms))
                .flatten(),
            resume_position_secs: media.then(|| r.position_secs.unwrap_or(0.0)),
            best_score: (r.kind == "quiz").then_some(r.score).flatten(),
            unit_id: r.id,
            title: r.title,
            kind: r.kind,
            required: r.required,
            state,
            started_at: r.started_at.map(to_rfc3339),
            completed_at: r.completed_at.map(to_rfc3339),
        }
    }
}

/// One learner's progress in one course (every unit, started or not).
pub async fn course(db: &Db, user_id: &str, course_id: &str) -> Result<CourseProgress> {
    let (org_id, title, started_at, completed_at) = store::course_progress(db, course_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    let units: Vec<UnitProgress> = store::unit_rows(db, course_id, user_id)
        .await?
        .into_iter()
        .map(UnitProgress::from)
        .collect();
    let required = units.iter().filter(|u| u.required);
    Ok(CourseProgress {
        course_id: course_id.to_owned(),
        org_id,
        title,
        user_id: user_id.to_owned(),
        started_at: started_at.map(to_rfc3339),
        completed_at: completed_at.map(to_rfc3339),
        required_units: required.clone().count(),
        completed_required_units: required.filter(|u| u.state == UnitState::Completed).count(),
        units,
    })
}

/// Every course the learner has started.
pub async fn all(db: &Db, user_id: &str) -> Result<ProgressList> {
    let ids = store::started_courses(db, user_id).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(course(db, user_id, &id).await?);
    }
    Ok(ProgressList { items })
}
