//! A learner's state in one unit, merged from the statements about it.

use super::{segments::Segments, store};
use crate::{
    catalogue::courses,
    db::{time::parse_rfc3339, Db},
    error::Result,
    lrs::store::Prepared,
};

/// Share of a video's duration that must have been played.
pub const WATCHED_THRESHOLD: f64 = 0.9;

pub mod verbs {
    pub const PLAYED: &str = "https://w3id.org/xapi/video/verbs/played";
    pub const PAUSED: &str = "https://w3id.org/xapi/video/verbs/paused";
    pub const SEEKED: &str = "https://w3id.org/xapi/video/verbs/seeked";
    pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
    pub const VIEWED: &str = "http://id.tincanapi.com/verb/viewed";
    pub const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";
    pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
    pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
}

mod ext {
    pub const PLAYED_SEGMENTS: &str = "https://w3id.org/xapi/video/extensions/played-segments";
    pub const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
    pub const TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";
}

/// What completion needs to know about a unit.
#[derive(Debug, sqlx::FromRow)]
pub struct UnitInfo {
    pub id: String,
    pub course_id: String,
    pub org_id: String,
    pub kind: String,
    pub duration_ms: Option<i64>,
    /// 1 for a cmi5 AU: it completes when the cmi5 LMS says its moveOn is met, never from the
    /// AU's own statements (a `completed` does not meet moveOn `Passed`).
    pub cmi5_au: i64,
    /// 1 for a SCORM item: it completes from what Caravan made of its run-time data (a
    /// `completed` or `passed` with the organisation as authority), never from statements the
    /// learner sends.
    pub scorm_item: i64,
}

impl UnitInfo {
    pub async fn load(db: &Db, unit_id: &str) -> Result<Option<Self>> {
        Ok(store::unit_info(db, unit_id).await?)
    }

    fn is_media(&self) -> bool {
        matches!(self.kind.as_str(), "video" | "audio")
    }

    fn duration_secs(&self) -> Option<f64> {
        self.duration_ms
            .filter(|ms| *ms > 0)
            .map(|ms| ms as f64 / 1000.0)
    }
}

/// What one statement says about a unit.
#[derive(Debug, Default)]
struct Observation {
    at_ms: i64,
    segments: Segments,
    position: Option<f64>,
    completes: bool,
    /// Percent, from a quiz attempt Caravan scored.
    score: Option<f64>,
}

/// Written by Caravan for an organisation (a scored quiz attempt), not by a learner or client.
pub fn is_caravan_authority(p: &Prepared) -> bool {
    p.authority_id.starts_with("org:")
}

fn observe(unit: &UnitInfo, p: &Prepared) -> Observation {
    let body = &p.body;
    let at_ms = body["timestamp"]
        .as_str()
        .and_then(parse_rfc3339)
        .unwrap_or(p.stored_ms);
    let mut o = Observation {
        at_ms,
        ..Default::default()
    };
    let verb = p.verb.as_str();
    let extensions = &body["result"]["extensions"];
    match unit.kind.as_str() {
        _ if unit.cmi5_au != 0 => {}
        _ if unit.scorm_item != 0 => {
            if is_caravan_authority(p) && matches!(verb, verbs::COMPLETED | verbs::PASSED) {
                o.completes = true;
                o.score = body["result"]["score"]["scaled"]
                    .as_f64()
                    .map(|s| (s * 100.0).clamp(0.0, 100.0));
            }
        }
        "video" | "audio" => {
            if let Some(s) = extensions[ext::PLAYED_SEGMENTS].as_str() {
                o.segments = Segments::parse(s);
            }
            let key = if verb == verbs::SEEKED {
                ext::TIME_TO
            } else {
                ext::TIME
            };
            o.position = extensions[key]
                .as_f64()
                .filter(|t| t.is_finite() && *t >= 0.0);
            o.completes = verb == verbs::COMPLETED && unit.duration_secs().is_none();
        }
        "quiz" => {
            if is_caravan_authority(p) && matches!(verb, verbs::PASSED | verbs::FAILED) {
                o.completes = verb == verbs::PASSED;
                o.score = body["result"]["score"]["scaled"]
                    .as_f64()
                    .map(|s| (s * 100.0).clamp(0.0, 100.0));
            }
        }
        _ => {
            o.completes = matches!(verb, verbs::VIEWED | verbs::EXPERIENCED | verbs::COMPLETED);
        }
    }
    o
}

#[derive(sqlx::FromRow)]
pub(crate) struct State {
    segments: String,
    pub(crate) position_secs: f64,
    pub(crate) position_at: i64,
    pub(crate) score: Option<f64>,
    pub(crate) completed_at: Option<i64>,
}

pub struct Applied {
    pub course_id: String,
    pub newly_completed: bool,
}

/// Merges statements about one unit into the learner's progress in one transaction (the row
/// is locked, so concurrent batches for the same learner and unit cannot lose segments).
/// `None` when the unit no longer exists or the learner may not see its course.
pub async fn apply(
    db: &Db,
    user_id: &str,
    unit_id: &str,
    stmts: &[&Prepared],
) -> Result<Option<Applied>> {
    merge(db, user_id, unit_id, stmts, false).await
}

/// Marks the unit complete for the learner, as the feature that owns the unit decided (a
/// cmi5 AU whose moveOn is met). `None` as for [`apply`].
pub async fn complete(db: &Db, user_id: &str, unit_id: &str) -> Result<Option<Applied>> {
    merge(db, user_id, unit_id, &[], true).await
}

async fn merge(
    db: &Db,
    user_id: &str,
    unit_id: &str,
    stmts: &[&Prepared],
    force_complete: bool,
) -> Result<Option<Applied>> {
    let Some(unit) = UnitInfo::load(db, unit_id).await? else {
        return Ok(None);
    };
    // Progress only in courses the learner may see: a unit id alone enrols nobody.
    let user = store::user(db, user_id).await?;
    let Some(user) = user else { return Ok(None) };
    if !courses::is_visible(db, Some(&user), &unit.course_id).await? {
        return Ok(None);
    }
    let now = crate::db::time::now_ms();
    let mut tx = db.pool.begin().await?;
    // Writing first takes SQLite's write lock before anything is read.
    store::start_unit(&mut tx, user_id, unit_id, &unit.course_id, now).await?;
    store::start_course(&mut tx, user_id, &unit.course_id, &unit.org_id, now).await?;
    let mut st = store::lock_unit_state(&mut tx, db.backend, user_id, unit_id).await?;
    let was_complete = st.completed_at.is_some();
    let mut segments = Segments::parse(&st.segments);
    let mut completes = force_complete;
    for p in stmts {
        let o = observe(&unit, p);
        segments.union(&o.segments);
        if let Some(pos) = o.position {
            if o.at_ms >= st.position_at {
                st.position_secs = pos;
                st.position_at = o.at_ms;
            }
        }
        if let Some(score) = o.score {
            st.score = Some(st.score.map_or(score, |s| s.max(score)));
        }
        completes |= o.completes;
    }
    if unit.is_media() {
        if let Some(duration) = unit.duration_secs() {
            // A millisecond of slack keeps float rounding from denying an exact 90 %.
            completes |= segments.covered(duration) + 0.001 >= WATCHED_THRESHOLD * duration;
        }
    }
    if completes && !was_complete {
        st.completed_at = Some(now);
    }
    store::save_unit_state(
        &mut tx,
        user_id,
        unit_id,
        segments.to_profile_string(),
        &st,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Applied {
        course_id: unit.course_id,
        newly_completed: st.completed_at.is_some() && !was_complete,
    }))
}

/// Percent of a media unit's duration covered by the stored segments.
pub fn percent_watched(segments: &str, duration_ms: Option<i64>) -> Option<f64> {
    let duration = duration_ms.filter(|d| *d > 0)? as f64 / 1000.0;
    let covered = Segments::parse(segments).covered(duration);
    Some(((covered / duration) * 1000.0).round() / 10.0)
}

#[cfg(test)]
mod store_tests {
    use super::*;

    /// A unit's state saved with no score and then with one, on the same connection: the
    /// second must not meet a statement PostgreSQL typed from the first's NULL.
    #[tokio::test]
    async fn a_state_without_a_score_then_one_with_it_on_one_connection() {
        let db = crate::db::scratch_postgres().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let mut st = State {
            segments: String::new(),
            position_secs: 1.5,
            position_at: 1,
            score: None,
            completed_at: None,
        };
        for score in [None, Some(0.8)] {
            st.score = score;
            store::save_unit_state(&mut conn, "nobody", "no-unit", String::new(), &st, 1)
                .await
                .unwrap();
        }
    }
}
