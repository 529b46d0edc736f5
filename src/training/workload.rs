//! Teachers' training workload for a period: the sessions they taught (hours, times their share
//! of each class), the person-times and learners trained at them, the completions by their
//! classes' learners, and the evaluations of their classes' courses. A teacher sees their own
//! figures (the statement they hand in for the performance review); admins see every teacher's.

use serde::Serialize;
use utoipa::ToSchema;

use super::{evaluations::MIN_GROUP, store};
use crate::{
    accounts::{self, User},
    authz,
    context::Context,
    error::{Error, FieldError, Result},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TeacherWorkload {
    pub teacher_id: String,
    pub teacher_name: String,
    /// Sessions of the teacher's classes that started in the period.
    pub sessions: i64,
    /// Their hours, each times the teacher's share of the class.
    pub hours: f64,
    /// Attendances at those sessions.
    pub person_times: i64,
    /// Different learners among them.
    pub learners: i64,
    /// Courses of the teacher's classes completed in the period by the classes' learners.
    pub completions: i64,
    /// Evaluations given in the period to those courses.
    pub evaluations: i64,
    /// The mean of all their ratings; null below five evaluations.
    pub evaluation_average: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Workload {
    pub org_id: String,
    pub from: String,
    pub to: String,
    pub teachers: Vec<TeacherWorkload>,
}

/// Unix ms of a date's start (UTC).
fn day_start(field: &str, s: &str) -> std::result::Result<i64, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| FieldError::new(field, "must be a date, YYYY-MM-DD"))
}

/// The workload from `from` to `to` (both days included): the caller's own, or with `teacher`
/// (admins) one teacher's, or (admins, no teacher) every teacher's with a class.
pub async fn workload(
    cx: &Context,
    user: &User,
    org_id: &str,
    from: &str,
    to: &str,
    teacher: Option<&str>,
) -> Result<Workload> {
    authz::require_org_role(&cx.db, user, org_id, authz::author).await?;
    let is_admin = user.is_superadmin
        || accounts::role_in(&cx.db, &user.id, org_id)
            .await?
            .is_some_and(authz::admin);
    let (start, end) = match (day_start("from", from), day_start("to", to)) {
        (Ok(a), Ok(b)) if b >= a => (a, b + 86_400_000),
        (Ok(_), Ok(_)) => return Err(Error::field("to", "must not be before from")),
        (a, b) => {
            return Err(Error::Validation(
                [a.err(), b.err()].into_iter().flatten().collect(),
            ))
        }
    };
    let teachers: Vec<(String, String)> = match (teacher, is_admin) {
        (None, true) => store::class_teachers_of_org(&cx.db, org_id).await?,
        (Some(t), admin) if admin || t == user.id => {
            if accounts::role_in(&cx.db, t, org_id).await?.is_none() {
                return Err(Error::NotFound);
            }
            let name = accounts::find(&cx.db, t)
                .await?
                .map(|u| u.display_name)
                .ok_or(Error::NotFound)?;
            vec![(t.to_owned(), name)]
        }
        (None, false) => vec![(user.id.clone(), user.display_name.clone())],
        (Some(_), _) => return Err(Error::Forbidden),
    };
    let mut rows = Vec::new();
    for (id, name) in teachers {
        let scope = store::Scope {
            org_id,
            teacher: &id,
            from: start,
            to: end,
        };
        let taught = store::taught(&cx.db, &scope).await?;
        let (person_times, learners) = store::trained(&cx.db, &scope).await?;
        let completions = store::completions(&cx.db, &scope).await?;
        let ratings = store::teacher_ratings(&cx.db, &scope).await?;
        let all: Vec<i64> = ratings
            .iter()
            .filter_map(|r| serde_json::from_str::<std::collections::BTreeMap<String, i64>>(r).ok())
            .flat_map(|m| m.into_values())
            .collect();
        let evaluations = ratings.len() as i64;
        let evaluation_average = (evaluations >= MIN_GROUP && !all.is_empty()).then(|| {
            let mean = all.iter().sum::<i64>() as f64 / all.len() as f64;
            (mean * 100.0).round() / 100.0
        });
        rows.push(TeacherWorkload {
            teacher_id: id,
            teacher_name: name,
            sessions: taught.sessions,
            hours: (taught.hours * 100.0).round() / 100.0,
            person_times,
            learners,
            completions,
            evaluations,
            evaluation_average,
        });
    }
    Ok(Workload {
        org_id: org_id.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        teachers: rows,
    })
}
