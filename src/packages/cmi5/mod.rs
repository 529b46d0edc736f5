//! cmi5 with Caravan as the LMS and its own LRS as the LRS.
//!
//! A launch makes (or reuses) the learner's registration in the package, opens a session with a
//! one-time fetch secret, writes `LMS.LaunchData` and the learner preferences, records
//! `launched`, and hands back the AU's URL with the cmi5 launch parameters. The AU trades the
//! fetch secret for an auth token once (`fetch`), and writes to the LRS with it: those requests
//! are [`Session`]s, whose statements [`track`] checks against the AU statement rules and turns
//! into moveOn, `satisfied` statements and unit progress.

pub mod rules;
pub mod structure;
pub mod track;
pub mod vocab;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use super::store::{self, AuRow, SessionRow};
use crate::{
    accounts::{tokens, User},
    catalogue::courses,
    context::Context,
    db::time::{now_ms, to_rfc3339},
    delivery::signing::Signer,
    error::{Error, Result},
    lrs::{documents, identity, xapi::normalise_agent_ifi},
    progress::statements::record_for_org,
};
pub use rules::LaunchMode;

/// How long a launched AU's file grant lasts.
const CONTENT_TTL_SECS: i64 = 12 * 3600;

/// What the learner asked for.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchRequest {
    /// Continue this registration (one of the learner's in the package); a new one otherwise,
    /// or the newest one there is.
    pub registration: Option<String>,
    /// `Normal` (the default), `Browse` or `Review`.
    pub launch_mode: Option<String>,
    /// SCORM only: start a new attempt even though the last one was suspended.
    pub new_attempt: Option<bool>,
}

impl LaunchRequest {
    /// The launch mode asked for (`Normal` when none was).
    pub fn mode(&self) -> Result<LaunchMode> {
        match self.launch_mode.as_deref() {
            None => Ok(LaunchMode::Normal),
            Some(m) => LaunchMode::parse(m)
                .ok_or_else(|| Error::field("launch_mode", "must be Normal, Browse or Review")),
        }
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Launch {
    /// The AU's URL with the cmi5 launch parameters, or a SCORM item's launch file.
    pub url: String,
    pub registration: String,
    pub session_id: String,
    /// `AnyWindow` or `OwnWindow`, as a cmi5 package says (`AnyWindow` for a SCORM item).
    pub launch_method: String,
}

/// An LRS request made with a session's auth token.
#[derive(Debug, Clone)]
pub struct Session {
    pub row: SessionRow,
}

/// The AU behind a unit, if the unit is one.
pub async fn au(cx: &Context, unit_id: &str) -> Result<Option<AuRow>> {
    Ok(store::au(&cx.db, unit_id).await?)
}

/// A session by its id.
pub async fn session(cx: &Context, id: &str) -> Result<Option<SessionRow>> {
    Ok(store::session(&cx.db, id).await?)
}

/// The package's LMS activity id (a course in cmi5 terms), distinct from the publisher's.
pub fn course_activity(public_url: &str, package_id: &str) -> String {
    format!("{public_url}/xapi/activities/cmi5/{package_id}")
}

/// A block's LMS activity id.
pub fn block_activity(public_url: &str, package_id: &str, position: i64) -> String {
    format!("{public_url}/xapi/activities/cmi5/{package_id}/blocks/{position}")
}

/// Launches the AU of `unit_id` for the learner.
pub async fn launch(
    cx: &Context,
    signer: &Signer,
    user: &User,
    course_id: &str,
    unit_id: &str,
    req: LaunchRequest,
) -> Result<Launch> {
    let au = store::au(&cx.db, unit_id)
        .await?
        .filter(|a| a.course_id == course_id)
        .ok_or(Error::NotFound)?;
    if !courses::is_visible(&cx.db, Some(user), course_id).await? {
        return Err(Error::NotFound);
    }
    let mode = req.mode()?;
    let now = now_ms();
    let registration = match req.registration {
        Some(id) => {
            let row = store::registration(&cx.db, &id).await?;
            if !row.is_some_and(|r| r.user_id == user.id && r.package_id == au.package_id) {
                return Err(Error::field(
                    "registration",
                    "must be one of your registrations in this course",
                ));
            }
            id
        }
        None => match store::latest_registration(&cx.db, &user.id, &au.package_id).await? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                store::insert_registration(&cx.db, &id, &au.package_id, &user.id, now).await?;
                id
            }
        },
    };
    // A new launch ends the sessions the AU left open (cmi5 9.3.6).
    for open in store::open_sessions(&cx.db, &registration, unit_id).await? {
        track::abandon(cx, &open).await?;
    }
    let session_id = uuid::Uuid::new_v4().to_string();
    let fetch_secret = tokens::generate();
    store::insert_session(
        &cx.db,
        store::NewSession {
            id: &session_id,
            registration_id: &registration,
            unit_id,
            user_id: &user.id,
            launch_mode: mode.as_str(),
            fetch_digest: &tokens::digest(&fetch_secret),
            now,
        },
    )
    .await?;
    let public = &cx.settings.public_url;
    let actor = account_actor(public, user);
    let base = match (&au.asset_id, au.in_package) {
        (Some(asset), true) => super::content_url(public, signer, asset, &au.url, CONTENT_TTL_SECS),
        _ => au.url.clone(),
    };
    write_launch_data(cx, user, &au, &registration, &session_id, mode).await?;
    record_launched(cx, user, &au, &registration, &session_id, mode, &base).await?;
    let fetch = format!("{public}/api/v1/cmi5/fetch/{session_id}.{fetch_secret}");
    let params = form_urlencoded::Serializer::new(String::new())
        .append_pair("endpoint", &format!("{public}/xapi/"))
        .append_pair("fetch", &fetch)
        .append_pair("actor", &actor.to_string())
        .append_pair("registration", &registration)
        .append_pair("activityId", &identity::unit_activity(public, unit_id))
        .finish();
    let url = if base.contains('?') {
        format!("{base}&{params}")
    } else {
        format!("{base}?{params}")
    };
    Ok(Launch {
        url,
        registration,
        session_id,
        launch_method: au.launch_method.clone(),
    })
}

/// The learner as cmi5 wants the actor: an Agent with an account (cmi5 8.1.2), no name.
fn account_actor(public_url: &str, user: &User) -> Value {
    json!({"objectType": "Agent", "account": {"homePage": public_url, "name": user.id}})
}

/// The session's context template (cmi5 10.2.1): the publisher's id in grouping, the session.
fn context_template(au: &AuRow, session_id: &str) -> Value {
    json!({
        "contextActivities": {"grouping": [{"id": au.publisher_id, "objectType": "Activity"}]},
        "extensions": {vocab::EXT_SESSION_ID: session_id},
    })
}

fn document_context(
    user: &User,
    kind: documents::Kind,
    activity: String,
    registration: &str,
    public: &str,
) -> documents::Context {
    documents::Context {
        tenant: format!("user:{}", user.id),
        kind,
        activity_id: activity,
        agent: normalise_agent_ifi(&account_actor(public, user)).unwrap_or_default(),
        registration: registration.to_owned(),
    }
}

/// `LMS.LaunchData` (cmi5 10) and, if the learner has none, `cmi5LearnerPreferences` (cmi5 11).
async fn write_launch_data(
    cx: &Context,
    user: &User,
    au: &AuRow,
    registration: &str,
    session_id: &str,
    mode: LaunchMode,
) -> Result<()> {
    let public = &cx.settings.public_url;
    let mut data = json!({
        "contextTemplate": context_template(au, session_id),
        "launchMode": mode.as_str(),
        "moveOn": au.move_on,
        "returnURL": format!("{public}/courses/{}/units/{}", au.course_id, au.unit_id),
    });
    if let Some(p) = &au.launch_parameters {
        data["launchParameters"] = json!(p);
    }
    if let Some(score) = au.mastery_score {
        data["masteryScore"] = json!(score);
    }
    if let Some(key) = &au.entitlement_key {
        data["entitlementKey"] = json!({"courseStructure": key});
    }
    let state = document_context(
        user,
        documents::Kind::State,
        identity::unit_activity(public, &au.unit_id),
        registration,
        public,
    );
    let bytes = serde_json::to_vec(&data).map_err(anyhow::Error::from)?;
    documents::write(
        &cx.db,
        &state,
        vocab::STATE_LAUNCH_DATA,
        &Default::default(),
        documents::Write::Replace {
            require_precondition: false,
        },
        bytes,
        "application/json",
    )
    .await
    .map_err(anyhow::Error::from)?;
    let profile = document_context(
        user,
        documents::Kind::AgentProfile,
        String::new(),
        "",
        public,
    );
    let existing = documents::get(&cx.db, &profile, vocab::PROFILE_LEARNER_PREFERENCES)
        .await
        .map_err(anyhow::Error::from)?;
    if existing.is_none() {
        let prefs = json!({"languagePreference": "", "audioPreference": "on"});
        let written = documents::write(
            &cx.db,
            &profile,
            vocab::PROFILE_LEARNER_PREFERENCES,
            &documents::Preconditions {
                if_match: None,
                if_none_match: Some(documents::Tags::parse("*")),
            },
            documents::Write::Replace {
                require_precondition: false,
            },
            serde_json::to_vec(&prefs).map_err(anyhow::Error::from)?,
            "application/json",
        )
        .await;
        // Another launch may have written it a moment ago; either is the learner's.
        if let Err(e) = written {
            if !matches!(e, documents::DocumentError::PreconditionFailed(_)) {
                return Err(anyhow::Error::from(e).into());
            }
        }
    }
    Ok(())
}

/// The statement an LMS records for a session, with the cmi5 context (cmi5 9.6).
pub(crate) fn lms_statement(
    public: &str,
    user_id: &str,
    verb: &str,
    object_id: &str,
    registration: &str,
    publisher_id: &str,
    session_id: &str,
) -> Value {
    let display = verb.rsplit('/').next().unwrap_or(verb);
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "account": {"homePage": public, "name": user_id}},
        "verb": {"id": verb, "display": {"en-US": display}},
        "object": {"objectType": "Activity", "id": object_id},
        "context": {
            "registration": registration,
            "contextActivities": {
                "category": [{"id": vocab::CATEGORY_CMI5, "objectType": "Activity"}],
                "grouping": [{"id": publisher_id, "objectType": "Activity"}],
            },
            "extensions": {vocab::EXT_SESSION_ID: session_id},
        },
        "timestamp": to_rfc3339(now_ms()),
    })
}

async fn record_launched(
    cx: &Context,
    user: &User,
    au: &AuRow,
    registration: &str,
    session_id: &str,
    mode: LaunchMode,
    launch_url: &str,
) -> Result<()> {
    let public = &cx.settings.public_url;
    let mut stmt = lms_statement(
        public,
        &user.id,
        vocab::VERB_LAUNCHED,
        &identity::unit_activity(public, &au.unit_id),
        registration,
        &au.publisher_id,
        session_id,
    );
    let ext = &mut stmt["context"]["extensions"];
    ext[vocab::EXT_LAUNCH_MODE] = json!(mode.as_str());
    // The URL without its grant: the statement outlives it, and it is no secret to keep.
    ext[vocab::EXT_LAUNCH_URL] = json!(launch_url);
    ext[vocab::EXT_MOVE_ON] = json!(au.move_on);
    if let Some(p) = &au.launch_parameters {
        ext[vocab::EXT_LAUNCH_PARAMETERS] = json!(p);
    }
    if let Some(score) = au.mastery_score {
        ext[vocab::EXT_MASTERY_SCORE] = json!(score);
    }
    record_for_org(cx, &au.org_id, stmt).await?;
    Ok(())
}

/// The fetch URL's one answer (cmi5 8.2.3): the auth token, or the error document.
pub async fn fetch(cx: &Context, grant: &str) -> Result<Value> {
    let error = |code: u8, text: &str| json!({"error-code": code.to_string(), "error-text": text});
    let Some((session_id, secret)) = grant.split_once('.') else {
        return Ok(error(2, "This fetch URL is not valid."));
    };
    let Some(digest) = store::fetch_digest(&cx.db, session_id).await? else {
        return Ok(error(1, "This fetch URL has been used already."));
    };
    if !tokens::matches(secret, &digest) {
        return Ok(error(2, "This fetch URL is not valid."));
    }
    let token = tokens::generate();
    if !store::spend_fetch(&cx.db, session_id, &digest, &tokens::digest(&token)).await? {
        return Ok(error(1, "This fetch URL has been used already."));
    }
    let basic = STANDARD.encode(format!("{}{session_id}:{token}", TOKEN_KEY_PREFIX));
    Ok(json!({"auth-token": basic}))
}

/// The Basic user name of a session's token starts with this.
pub const TOKEN_KEY_PREFIX: &str = "cmi5.";

/// The session and learner of an auth token (`cmi5.{session}` and the token).
pub async fn authenticate(
    cx: &Context,
    key: &str,
    secret: &str,
) -> Result<Option<(User, Session)>> {
    let Some(session_id) = key.strip_prefix(TOKEN_KEY_PREFIX) else {
        return Ok(None);
    };
    let Some(row) = store::session(&cx.db, session_id).await? else {
        return Ok(None);
    };
    if !row
        .token_digest
        .as_deref()
        .is_some_and(|d| tokens::matches(secret, d))
    {
        return Ok(None);
    }
    // A session that was terminated or abandoned has no more use for its token (cmi5
    // 8.1.2.0-2); a token not yet fetched has no digest and matched nothing above.
    if row.ended_at.is_some() {
        return Ok(None);
    }
    let Some(user) = crate::accounts::find(&cx.db, &row.user_id).await? else {
        return Ok(None);
    };
    Ok(Some((user, Session { row })))
}
