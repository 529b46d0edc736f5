//! The training office: classes (cohorts taking one or more courses over a period, at a place or
//! online, with their teachers and learners), their dated in-person or live sessions, and who
//! attended each session: by scanning the session's rotating code on their phone (see
//! [`code`]), or marked by a teacher from the roster. Every attendance is also an xAPI
//! `attended` statement in the LRS, so it counts wherever statements do.

pub mod code;
pub mod evaluations;
mod store;
pub mod workload;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{
    accounts::User,
    authz,
    catalogue::courses,
    context::Context,
    db::time::{now_ms, parse_rfc3339, to_rfc3339},
    error::{Error, FieldError, Result},
    progress::statements::{learner_actor, record_for_org},
    values::Text,
};
pub use store::RosterRow;

/// How long after a session ends a scan made offline may still be synced.
const OFFLINE_SYNC_SECS: i64 = 7 * 86_400;
/// How early before its start and how late after its end a session takes attendance.
const SESSION_SLACK_SECS: i64 = 3600;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassInput {
    pub title: String,
    /// Courses of the organisation the class takes.
    #[serde(default)]
    pub course_ids: Vec<String>,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    /// `YYYY-MM-DD`, not before `starts_on`.
    pub ends_on: String,
    /// Where it meets; empty for an online class.
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online: bool,
    pub capacity: Option<i64>,
    /// Teachers of the organisation with their share of the teaching (shares add up to 1); the
    /// creator alone, with all of it, when absent.
    #[serde(default)]
    pub teachers: Vec<TeacherShare>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeacherShare {
    pub user_id: String,
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassView {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub place: String,
    pub online: bool,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: Option<i64>,
    pub course_ids: Vec<String>,
    pub teachers: Vec<TeacherShare>,
    pub members: i64,
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub class_id: String,
    pub starts_at: String,
    pub hours: f64,
    pub place: String,
}

impl From<&store::SessionRow> for SessionView {
    fn from(s: &store::SessionRow) -> Self {
        Self {
            id: s.id.clone(),
            class_id: s.class_id.clone(),
            starts_at: to_rfc3339(s.starts_at),
            hours: s.hours,
            place: s.place.clone(),
        }
    }
}

fn date(field: &str, s: &str, errors: &mut Vec<FieldError>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if time::Date::parse(s, &format).is_err() {
        errors.push(FieldError::new(field, "must be a date, YYYY-MM-DD"));
    }
    s.to_owned()
}

/// Creates a class of the organisation (teachers and admins).
pub async fn create(
    cx: &Context,
    user: &User,
    org_id: &str,
    input: ClassInput,
) -> Result<ClassView> {
    authz::require_org_role(&cx.db, user, org_id, authz::author).await?;
    let mut errors = Vec::new();
    let title = Text::parse(&input.title, 200)
        .map_err(|e| errors.push(FieldError::new("title", e.to_string())))
        .ok();
    let starts_on = date("starts_on", &input.starts_on, &mut errors);
    let ends_on = date("ends_on", &input.ends_on, &mut errors);
    if ends_on < starts_on {
        errors.push(FieldError::new("ends_on", "must not be before starts_on"));
    }
    if !input.online && input.place.trim().is_empty() {
        errors.push(FieldError::new(
            "place",
            "is needed unless the class is online",
        ));
    }
    if input.capacity.is_some_and(|c| c < 1) {
        errors.push(FieldError::new("capacity", "must be at least 1"));
    }
    for id in &input.course_ids {
        if !courses::row(&cx.db, id)
            .await
            .is_ok_and(|c| c.org_id == org_id)
        {
            errors.push(FieldError::new(
                "course_ids",
                format!("{id} is not a course of this organisation"),
            ));
        }
    }
    let teachers: Vec<(String, f64)> = match input.teachers.is_empty() {
        true => vec![(user.id.clone(), 1.0)],
        false => input
            .teachers
            .iter()
            .map(|t| (t.user_id.clone(), t.share))
            .collect(),
    };
    for (id, _) in &teachers {
        let role = crate::accounts::role_in(&cx.db, id, org_id).await?;
        if !role.is_some_and(|r| r.can_author()) {
            errors.push(FieldError::new(
                "teachers",
                format!("{id} is not a teacher of this organisation"),
            ));
        }
    }
    let total: f64 = teachers.iter().map(|(_, s)| s).sum();
    if teachers.iter().any(|(_, s)| !(*s > 0.0 && *s <= 1.0)) || (total - 1.0).abs() > 1e-6 {
        errors.push(FieldError::new(
            "teachers",
            "shares must be above 0 and add up to 1",
        ));
    }
    let Some(title) = title.filter(|_| errors.is_empty()) else {
        return Err(Error::Validation(errors));
    };
    let id = uuid::Uuid::now_v7().to_string();
    store::insert_class(
        &cx.db,
        store::NewClass {
            id: &id,
            org_id,
            title: title.as_str(),
            place: input.place.trim(),
            online: input.online,
            starts_on: &starts_on,
            ends_on: &ends_on,
            capacity: input.capacity,
            created_by: &user.id,
            course_ids: &input.course_ids,
            teachers: &teachers,
            now: now_ms(),
        },
    )
    .await?;
    view(cx, &id).await
}

async fn view(cx: &Context, id: &str) -> Result<ClassView> {
    let c = store::class(&cx.db, id).await?.ok_or(Error::NotFound)?;
    let sessions = store::sessions_of(&cx.db, id).await?;
    Ok(ClassView {
        course_ids: store::course_ids(&cx.db, id).await?,
        teachers: store::teachers(&cx.db, id)
            .await?
            .into_iter()
            .map(|(user_id, share)| TeacherShare { user_id, share })
            .collect(),
        members: store::member_count(&cx.db, id).await?,
        sessions: sessions.iter().map(SessionView::from).collect(),
        id: c.id,
        org_id: c.org_id,
        title: c.title,
        place: c.place,
        online: c.online,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        capacity: c.capacity,
    })
}

/// The class, for the organisation's staff. Its other members are refused; anyone else learns
/// nothing (`NotFound`): a class is the organisation's business.
async fn staff_class(cx: &Context, user: &User, id: &str) -> Result<store::ClassRow> {
    let c = store::class(&cx.db, id).await?.ok_or(Error::NotFound)?;
    match authz::require_org_role(&cx.db, user, &c.org_id, authz::author).await {
        Ok(()) => Ok(c),
        Err(Error::Forbidden)
            if crate::accounts::role_in(&cx.db, &user.id, &c.org_id)
                .await?
                .is_none() =>
        {
            Err(Error::NotFound)
        }
        Err(e) => Err(e),
    }
}

/// The organisation's classes (teachers and admins).
pub async fn list(cx: &Context, user: &User, org_id: &str) -> Result<Vec<ClassView>> {
    authz::require_org_role(&cx.db, user, org_id, authz::author).await?;
    let mut out = Vec::new();
    for c in store::classes_of_org(&cx.db, org_id).await? {
        out.push(view(cx, &c.id).await?);
    }
    Ok(out)
}

/// A class, for its organisation's staff and its learners.
pub async fn get(cx: &Context, user: &User, id: &str) -> Result<ClassView> {
    if !store::is_member(&cx.db, id, &user.id).await? {
        staff_class(cx, user, id).await?;
    }
    view(cx, id).await
}

/// Enrols members of the organisation (teachers and admins); the number newly enrolled.
pub async fn enrol(cx: &Context, user: &User, id: &str, user_ids: &[String]) -> Result<usize> {
    let c = staff_class(cx, user, id).await?;
    let mut errors = Vec::new();
    for learner in user_ids {
        if crate::accounts::role_in(&cx.db, learner, &c.org_id)
            .await?
            .is_none()
        {
            errors.push(FieldError::new(
                "user_ids",
                format!("{learner} is not a member of the organisation"),
            ));
        }
    }
    let members = store::member_count(&cx.db, id).await? as usize;
    if let Some(cap) = c.capacity {
        if members + user_ids.len() > cap as usize {
            errors.push(FieldError::new(
                "user_ids",
                format!("the class holds {cap}, and has {members}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = now_ms();
    let mut added = 0;
    for learner in user_ids {
        added += usize::from(store::enrol(&cx.db, id, learner, now).await?);
    }
    Ok(added)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// RFC 3339.
    pub starts_at: String,
    /// Its length in hours (0 < hours ≤ 24).
    pub hours: f64,
    /// Where; the class's place when absent.
    pub place: Option<String>,
}

/// Adds a session to the class (teachers and admins).
pub async fn add_session(
    cx: &Context,
    user: &User,
    id: &str,
    input: SessionInput,
) -> Result<SessionView> {
    let c = staff_class(cx, user, id).await?;
    let mut errors = Vec::new();
    let starts_at = parse_rfc3339(&input.starts_at);
    if starts_at.is_none() {
        errors.push(FieldError::new(
            "starts_at",
            "must be an RFC 3339 date and time",
        ));
    }
    if !(input.hours > 0.0 && input.hours <= 24.0) {
        errors.push(FieldError::new("hours", "must be above 0 and at most 24"));
    }
    let (Some(starts_at), true) = (starts_at, errors.is_empty()) else {
        return Err(Error::Validation(errors));
    };
    let secret: [u8; 32] = rand::random();
    let session = store::SessionRow {
        id: uuid::Uuid::now_v7().to_string(),
        class_id: id.to_owned(),
        starts_at,
        hours: input.hours,
        place: input.place.map(|p| p.trim().to_owned()).unwrap_or(c.place),
        secret: hex::encode(secret),
    };
    store::insert_session(&cx.db, &session, now_ms()).await?;
    Ok(SessionView::from(&session))
}

async fn session_and_class(
    cx: &Context,
    session_id: &str,
) -> Result<(store::SessionRow, store::ClassRow)> {
    let s = store::session(&cx.db, session_id)
        .await?
        .ok_or(Error::NotFound)?;
    let c = store::class(&cx.db, &s.class_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((s, c))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeView {
    /// Six digits, valid for this window and the next.
    pub code: String,
    /// When the next code replaces it (RFC 3339).
    pub changes_at: String,
}

/// The session's current attendance code, for its teachers' screen (teachers and admins).
pub async fn current_code(cx: &Context, user: &User, session_id: &str) -> Result<CodeView> {
    let (s, _) = session_and_class(cx, session_id).await?;
    staff_class(cx, user, &s.class_id).await?;
    let now = now_ms() / 1000;
    let w = code::window(now);
    Ok(CodeView {
        code: code::code(s.secret.as_bytes(), w),
        changes_at: to_rfc3339((w + 1) * code::WINDOW_SECS * 1000),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendInput {
    pub code: String,
    /// For a scan made offline and synced later: when it was scanned, by the device's clock.
    pub scanned_at: Option<String>,
    /// With `scanned_at`: the device's clock now, to correct for its error.
    pub device_now: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attended {
    pub session_id: String,
    /// When, on the server's clock.
    pub attended_at: String,
    /// False when this attendance was recorded already.
    pub new: bool,
}

/// The learner scanned the session's code (now, or offline at `scanned_at`).
pub async fn attend(
    cx: &Context,
    user: &User,
    session_id: &str,
    input: AttendInput,
) -> Result<Attended> {
    let (s, c) = session_and_class(cx, session_id).await?;
    if !store::is_member(&cx.db, &c.id, &user.id).await? {
        return Err(Error::NotFound);
    }
    let now = now_ms() / 1000;
    let at = match (&input.scanned_at, &input.device_now) {
        (None, None) => now,
        (Some(scanned), Some(device)) => {
            let (Some(scanned), Some(device)) = (parse_rfc3339(scanned), parse_rfc3339(device))
            else {
                return Err(Error::field(
                    "scanned_at",
                    "scanned_at and device_now must be RFC 3339",
                ));
            };
            code::on_server_clock(scanned / 1000, device / 1000, now)
        }
        _ => {
            return Err(Error::field(
                "device_now",
                "comes with scanned_at, and only with it",
            ))
        }
    };
    let start = s.starts_at / 1000;
    let end = start + (s.hours * 3600.0) as i64;
    let in_session =
        at >= start - SESSION_SLACK_SECS && at <= end + SESSION_SLACK_SECS && at <= now;
    let synced_in_time = now <= end + OFFLINE_SYNC_SECS;
    if !in_session || !synced_in_time || !code::matches(s.secret.as_bytes(), &input.code, at) {
        return Err(Error::Denied {
            code: "attendance-code-invalid",
            detail: "This code is not the session's code for that moment: scan the code the teacher shows now.".into(),
        });
    }
    record(cx, &s, &c, &user.id, "code", &user.id, at * 1000).await
}

/// A teacher marks a learner of the class present (teachers and admins).
pub async fn mark(cx: &Context, user: &User, session_id: &str, learner: &str) -> Result<Attended> {
    let (s, c) = session_and_class(cx, session_id).await?;
    staff_class(cx, user, &c.id).await?;
    if !store::is_member(&cx.db, &c.id, learner).await? {
        return Err(Error::field("user_id", "is not a learner of this class"));
    }
    record(cx, &s, &c, learner, "teacher", &user.id, now_ms()).await
}

/// The class's learners and who attended the session (teachers and admins).
pub async fn roster(cx: &Context, user: &User, session_id: &str) -> Result<Vec<RosterRow>> {
    let (s, c) = session_and_class(cx, session_id).await?;
    staff_class(cx, user, &c.id).await?;
    Ok(store::roster(&cx.db, &c.id, &s.id).await?)
}

async fn record(
    cx: &Context,
    s: &store::SessionRow,
    c: &store::ClassRow,
    learner: &str,
    method: &str,
    recorded_by: &str,
    at_ms: i64,
) -> Result<Attended> {
    let statement_id = uuid::Uuid::new_v4().to_string();
    let new = store::insert_attendance(
        &cx.db,
        store::NewAttendance {
            session_id: &s.id,
            user_id: learner,
            method,
            attended_at: at_ms,
            recorded_by,
            statement_id: &statement_id,
        },
    )
    .await?;
    if new {
        let public = &cx.settings.public_url;
        let stmt = json!({
            "id": statement_id,
            "actor": learner_actor(public, learner),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
            "object": {"objectType": "Activity", "id": format!("{public}/xapi/activities/class-sessions/{}", s.id),
                "definition": {"type": "http://adlnet.gov/expapi/activities/meeting",
                    "name": {"und": format!("{} ({})", c.title, to_rfc3339(s.starts_at))}}},
            "result": {"duration": format!("PT{}S", (s.hours * 3600.0).round() as i64)},
            "context": {"contextActivities": {"parent": [{"id": format!("{public}/xapi/activities/classes/{}", c.id),
                "objectType": "Activity"}]}},
            "timestamp": to_rfc3339(at_ms),
        });
        record_for_org(cx, &c.org_id, stmt).await?;
    }
    Ok(Attended {
        session_id: s.id.clone(),
        attended_at: to_rfc3339(at_ms),
        new,
    })
}
