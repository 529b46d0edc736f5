//! SCORM 1.2 and 2004 packages: their items imported as units, a learner's attempts launched
//! and resumed, and the run-time data a SCO commits kept per learner and attempt and turned into
//! xAPI statements that drive unit progress as any unit's do.
//!
//! A SCO runs in the learner's browser under a sandbox (an opaque origin that can read none of
//! Caravan's cookies), so it cannot reach an API object in the unit page. The page Caravan
//! serves as the SCO's launch file therefore carries the runtime itself (scorm-again's
//! `window.API` or `window.API_1484_11`, loaded with the attempt's data), and the runtime commits
//! to a URL that holds the session's grant: the same signature that lets the SCO's files load.

pub mod manifest;
pub mod runtime;
mod store;

use serde_json::{json, Value};

use self::{
    manifest::Version,
    runtime::{Committed, LaunchFacts, ScoSettings},
};
use super::{
    cmi5::{Launch, LaunchMode},
    content_prefix,
    import::{Imported, NewPackageUnit, Written},
};
use crate::{
    accounts::User,
    catalogue::courses,
    context::Context,
    db::time::{now_ms, to_rfc3339},
    delivery::signing::Signer,
    error::{Error, Result},
    lrs::identity,
    progress::{self, statements::record_for_org, CompletionEvent},
};
pub use store::{AttemptRow, ScoRow, SessionRow};

/// How long a launch's grant (its files and its commits) stays valid.
const GRANT_SECS: i64 = 12 * 3600;

/// The category of statements made from SCORM run-time data (the ADL SCORM profile).
const CATEGORY_SCORM: &str = "https://w3id.org/xapi/scorm";

mod verbs {
    pub const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
    pub const RESUMED: &str = "http://adlnet.gov/expapi/verbs/resumed";
    pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
    pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
    pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
    pub const SUSPENDED: &str = "http://adlnet.gov/expapi/verbs/suspended";
    pub const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
}

pub async fn sco(cx: &Context, unit_id: &str) -> Result<Option<ScoRow>> {
    Ok(store::sco(&cx.db, unit_id).await?)
}

pub async fn session(cx: &Context, id: &str) -> Result<Option<SessionRow>> {
    Ok(store::session(&cx.db, id).await?)
}

/// The learner's attempts at a SCO, oldest first.
pub async fn attempts(cx: &Context, unit_id: &str, user_id: &str) -> Result<Vec<AttemptRow>> {
    Ok(store::attempts(&cx.db, unit_id, user_id).await?)
}

impl ScoRow {
    pub fn version(&self) -> Version {
        Version::parse(&self.version).unwrap_or(Version::Scorm2004 { edition: 4 })
    }

    fn settings(&self) -> ScoSettings {
        ScoSettings {
            mastery_score: self.mastery_score,
            scaled_passing_score: self.scaled_passing_score,
            completion_threshold: self.completion_threshold,
            launch_data: self.launch_data.clone(),
            max_time_allowed: self.max_time_allowed.clone(),
            time_limit_action: self.time_limit_action.clone(),
        }
    }
}

/// Writes the units, package and items of an imported manifest (the ZIP's files are stored
/// already, as `asset_id`).
pub(super) async fn write_import(
    cx: &Context,
    manifest: &manifest::Manifest,
    asset_id: &str,
    written: &mut Written,
) -> Result<Imported> {
    let course_id = written.course_id().to_owned();
    let mut imported = Vec::new();
    for item in &manifest.items {
        let unit = NewPackageUnit {
            kind: "package",
            title: &item.title,
            required: true,
            asset_id: Some(asset_id),
            id_in_package: &item.identifier,
        };
        imported.push(written.add_unit(cx, unit).await?);
    }
    let package_id = uuid::Uuid::now_v7().to_string();
    let mut tx = cx.db.pool.begin().await?;
    store::insert_package(
        &mut tx,
        store::NewPackage {
            id: &package_id,
            course_id: &course_id,
            asset_id,
            identifier: &manifest.identifier,
            version: manifest.version.as_str(),
            title: &manifest.title,
            now: now_ms(),
        },
    )
    .await?;
    for (item, unit) in manifest.items.iter().zip(&imported) {
        store::insert_sco(
            &mut tx,
            store::NewSco {
                unit_id: &unit.id,
                package_id: &package_id,
                identifier: &item.identifier,
                href: &item.href,
                query: &item.query,
                sco: item.sco,
                mastery_score: item.mastery_score,
                scaled_passing_score: item.scaled_passing_score,
                completion_threshold: item.completion_threshold,
                launch_data: item.launch_data.as_deref(),
                max_time_allowed: item.max_time_allowed.as_deref(),
                time_limit_action: item.time_limit_action.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Imported {
        course_id,
        package_id,
        format: format!("scorm-{}", manifest.version.as_str()),
        units: imported,
    })
}

/// The grant of a session's files and commits: a signature of the package's folder and the
/// session, as one path segment.
fn grant(signer: &Signer, asset_id: &str, session_id: &str) -> String {
    let grant = signer.grant(
        &format!("{}{session_id}", content_prefix(asset_id)),
        GRANT_SECS,
    );
    format!("{session_id}~{grant}")
}

/// Checks a grant [`grant`] made: the session id it names, and when it expires.
pub fn verify_grant<'a>(signer: &Signer, asset_id: &str, grant: &'a str) -> Option<(&'a str, i64)> {
    let (session_id, signature) = grant.split_once('~')?;
    let exp = signer
        .verify_grant(
            &format!("{}{session_id}", content_prefix(asset_id)),
            signature,
        )
        .ok()?;
    Some((session_id, exp))
}

/// Launches a SCO for the learner: resumes their attempt, or starts the next one when the last
/// has ended (or `new_attempt` asks for it), and returns the URL of the SCO's launch file.
pub async fn launch(
    cx: &Context,
    signer: &Signer,
    user: &User,
    sco: &ScoRow,
    mode: LaunchMode,
    new_attempt: bool,
) -> Result<Launch> {
    let now = now_ms();
    let latest = store::latest_attempt(&cx.db, &sco.unit_id, &user.id).await?;
    let (attempt, entry) = match latest {
        // Browse and review look at the latest attempt, ended or not, and change nothing.
        Some(a) if mode != LaunchMode::Normal => (a, ""),
        Some(a) if a.ended_at.is_none() && !new_attempt => {
            let entry = if a.last_exit == "suspend" {
                "resume"
            } else {
                ""
            };
            (a, entry)
        }
        latest => {
            let number = latest.map_or(1, |a| a.number + 1);
            let id = uuid::Uuid::new_v4().to_string();
            store::insert_attempt(&cx.db, &id, &sco.unit_id, &user.id, number, now).await?;
            // Two launches at once both meant to start `number`: one of them did.
            let a = store::latest_attempt(&cx.db, &sco.unit_id, &user.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the attempt just started is gone"))?;
            (a, "ab-initio")
        }
    };
    store::end_open_sessions(&cx.db, &attempt.id, now).await?;
    let session_id = uuid::Uuid::new_v4().to_string();
    let mode_name = mode.as_str().to_ascii_lowercase();
    store::insert_session(&cx.db, &session_id, &attempt.id, &mode_name, entry, now).await?;
    if mode == LaunchMode::Normal {
        let verb = if entry == "resume" {
            verbs::RESUMED
        } else {
            verbs::ATTEMPTED
        };
        let stmt = statement(cx, sco, &attempt, &user.id, verb, None);
        record_for_org(cx, &sco.org_id, stmt).await?;
    }
    let path: Vec<String> = sco
        .href
        .split('/')
        .map(|p| percent_encoding::utf8_percent_encode(p, super::PATH_SEGMENT).to_string())
        .collect();
    let mut url = format!(
        "{}{}{}/{}",
        cx.settings.public_url,
        content_prefix(&sco.asset_id),
        grant(signer, &sco.asset_id, &session_id),
        path.join("/")
    );
    if !sco.query.is_empty() {
        url = format!("{url}?{}", sco.query);
    }
    Ok(Launch {
        url,
        registration: attempt.id,
        session_id,
        launch_method: "AnyWindow".into(),
    })
}

/// What the SCO's launch file carries: the runtime's version, its data and where it commits.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub version: Version,
    pub cmi: Value,
    pub commit_url: String,
    /// The SCO's launch file, by its path in the package.
    pub launch_path: String,
}

/// The runtime a session's launch file loads; `None` when the session has ended (the learner
/// starts again from the unit page).
pub async fn runtime(cx: &Context, session: &SessionRow, grant: &str) -> Result<Option<Runtime>> {
    if session.ended_at.is_some() {
        return Ok(None);
    }
    let (Some(sco), Some(attempt), Some(learner)) = (
        store::sco(&cx.db, &session.unit_id).await?,
        store::attempt(&cx.db, &session.attempt_id).await?,
        crate::accounts::find(&cx.db, &session.user_id).await?,
    ) else {
        return Ok(None);
    };
    let kept: Value = serde_json::from_str(&attempt.runtime).unwrap_or_else(|_| json!({}));
    let version = sco.version();
    let cmi = runtime::launch_data(
        version,
        &kept,
        &sco.settings(),
        &LaunchFacts {
            learner_id: &learner.id,
            learner_name: &learner.display_name,
            entry: &session.entry,
            mode: &session.launch_mode,
            total_secs: attempt.total_secs,
        },
    );
    Ok(Some(Runtime {
        version,
        cmi,
        commit_url: format!(
            "{}/api/v1/scorm/sessions/{}/commit",
            cx.settings.public_url, grant
        ),
        launch_path: sco.href,
    }))
}

/// The grant of a commit's URL, checked against the session's package.
pub async fn authorize_commit(
    cx: &Context,
    signer: &Signer,
    grant: &str,
) -> Result<(SessionRow, ScoRow)> {
    let session_id = grant
        .split_once('~')
        .map(|(s, _)| s)
        .ok_or(Error::NotFound)?;
    let session = store::session(&cx.db, session_id)
        .await?
        .ok_or(Error::NotFound)?;
    let sco = store::sco(&cx.db, &session.unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    if verify_grant(signer, &sco.asset_id, grant).map(|(id, _)| id) != Some(session_id) {
        return Err(Error::NotFound);
    }
    Ok((session, sco))
}

/// Keeps a commit of the session's run-time data (the SCO's `Commit`, or with `terminated` its
/// `Terminate`/`LMSFinish`), records what changed as xAPI statements and derives progress from
/// them. Returns the course completions they made.
pub async fn commit(
    cx: &Context,
    session: &SessionRow,
    sco: &ScoRow,
    body: &Value,
    terminated: bool,
) -> Result<Vec<CompletionEvent>> {
    if session.ended_at.is_some() {
        return Err(ended());
    }
    let version = sco.version();
    let c = runtime::read_commit(version, body, &sco.settings())
        .map_err(|p| Error::bad_request("scorm-data-invalid", format!("{p}.")))?;
    let attempt = store::attempt(&cx.db, &session.attempt_id)
        .await?
        .ok_or(Error::NotFound)?;
    let now = now_ms();
    // Browse and review launches change nothing that counts (SCORM 2004 RTE 4.2.13).
    let credited = session.launch_mode == "normal";
    // A session that terminates without saying how long it took took as long as it was open.
    let session_secs = match c.session_secs {
        s if s > 0.0 => s,
        _ => (now - session.started_at).max(0) as f64 / 1000.0,
    };
    let saved = store::save_commit(
        &cx.db,
        store::Commit {
            session_id: &session.id,
            attempt_id: &attempt.id,
            credited,
            runtime: &c.runtime.to_string(),
            completion: &c.completion,
            success: &c.success,
            score_scaled: c.score.as_ref().map(|s| s.scaled),
            terminated: terminated.then(|| store::Terminated {
                session_secs,
                exit: &c.exit,
                ends_attempt: c.ends_attempt(version),
            }),
            now,
        },
    )
    .await?;
    if !saved {
        return Err(ended());
    }
    if !credited {
        return Ok(Vec::new());
    }
    let mut recorded = Vec::new();
    for stmt in changes(cx, sco, &attempt, &session.user_id, &c, terminated) {
        match record_for_org(cx, &sco.org_id, stmt).await {
            Ok(p) => recorded.push(p),
            Err(e) => tracing::error!(error = ?e, "recording a SCORM statement failed"),
        }
    }
    let refs: Vec<_> = recorded.iter().collect();
    Ok(progress::record(cx, &refs).await)
}

fn ended() -> Error {
    Error::Refused {
        code: "session-ended",
        detail: "This launch has ended; start the unit again from its page.".into(),
    }
}

/// The statements a commit makes: a new success or completion, and how the session ended.
fn changes(
    cx: &Context,
    sco: &ScoRow,
    before: &AttemptRow,
    user_id: &str,
    c: &Committed,
    terminated: bool,
) -> Vec<Value> {
    let mut out = Vec::new();
    let result = |extra: Value| {
        let mut r = json!({"completion": c.completion == "completed"});
        if c.success != "unknown" {
            r["success"] = json!(c.success == "passed");
        }
        if let Some(s) = &c.score {
            let mut score = json!({"scaled": s.scaled});
            for (k, v) in [("raw", s.raw), ("min", s.min), ("max", s.max)] {
                if let Some(v) = v {
                    score[k] = json!(v);
                }
            }
            r["score"] = score;
        }
        if let (Value::Object(r), Value::Object(extra)) = (&mut r, extra) {
            r.extend(extra);
        }
        r
    };
    if c.success != before.success && c.success != "unknown" {
        let verb = if c.success == "passed" {
            verbs::PASSED
        } else {
            verbs::FAILED
        };
        out.push(statement(
            cx,
            sco,
            before,
            user_id,
            verb,
            Some(result(json!({}))),
        ));
    }
    let was_done = runtime::done(&before.completion, &before.success);
    if c.done() && !was_done && c.completion == "completed" {
        out.push(statement(
            cx,
            sco,
            before,
            user_id,
            verbs::COMPLETED,
            Some(result(json!({}))),
        ));
    }
    if terminated {
        let verb = if c.exit == "suspend" {
            verbs::SUSPENDED
        } else {
            verbs::TERMINATED
        };
        let duration = json!({"duration": runtime::format_duration(c.session_secs)});
        out.push(statement(
            cx,
            sco,
            before,
            user_id,
            verb,
            Some(result(duration)),
        ));
    }
    out
}

fn statement(
    cx: &Context,
    sco: &ScoRow,
    attempt: &AttemptRow,
    user_id: &str,
    verb: &str,
    result: Option<Value>,
) -> Value {
    let public = &cx.settings.public_url;
    let display = verb.rsplit('/').next().unwrap_or(verb);
    let mut stmt = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": progress::statements::learner_actor(public, user_id),
        "verb": {"id": verb, "display": {"en-US": display}},
        "object": {
            "objectType": "Activity",
            "id": identity::unit_activity(public, &sco.unit_id),
            "definition": {
                "name": {"und": sco.title},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
        "context": {
            "registration": attempt.id,
            "contextActivities": {
                "parent": [{"id": identity::course_activity(public, &sco.course_id), "objectType": "Activity"}],
                "category": [{"id": CATEGORY_SCORM, "objectType": "Activity"}],
            },
            "extensions": {format!("{public}/xapi/extensions/scorm-attempt"): attempt.number},
        },
        "timestamp": to_rfc3339(now_ms()),
    });
    if let Some(result) = result {
        stmt["result"] = result;
    }
    stmt
}

/// Whether the unit is a SCORM item of the course visible to the user.
pub async fn launchable(
    cx: &Context,
    user: &User,
    course_id: &str,
    unit_id: &str,
) -> Result<Option<ScoRow>> {
    let Some(sco) = store::sco(&cx.db, unit_id)
        .await?
        .filter(|s| s.course_id == course_id)
    else {
        return Ok(None);
    };
    if !courses::is_visible(&cx.db, Some(user), course_id).await? {
        return Err(Error::NotFound);
    }
    Ok(Some(sco))
}
