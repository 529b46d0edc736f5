//! What an AU's statements do: the AU statement rules checked before they are stored, then the
//! session and the AU's state updated, moveOn evaluated, and `satisfied` recorded for the blocks
//! and the course that became satisfied, all within the request that sent the statements.
//! Waiving an AU and abandoning a session are the LMS's own statements on the same path.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{
    block_activity, course_activity, lms_statement,
    rules::{self, AuState, Effect, LaunchMode},
    structure::MoveOn,
    vocab, Session,
};
use crate::{
    context::Context,
    db::time::now_ms,
    error::{Error, Result},
    lrs::identity,
    packages::store::{self, AuRow, AuStateRow, Reached, SessionRow},
    progress::{self, statements::record_for_org, CompletionEvent},
};

/// A batch that passed the rules, and what each statement does.
pub struct Checked {
    session: SessionRow,
    au: AuRow,
    effects: Vec<Effect>,
}

fn state_of(row: Option<&AuStateRow>) -> AuState {
    row.map(|r| AuState {
        completed: r.completed_at.is_some(),
        passed: r.passed_at.is_some(),
        failed: r.failed_at.is_some(),
        waived: r.waived_at.is_some(),
    })
    .unwrap_or_default()
}

/// Checks the statements an AU sends with its session's token, in order, as the LMS must
/// (cmi5 9): the first refused one refuses the batch (403, naming the rule).
pub async fn check(cx: &Context, session: &Session, statements: &[Value]) -> Result<Checked> {
    let row = store::session(&cx.db, &session.row.id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let au = store::au(&cx.db, &row.unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    let states = store::au_states(&cx.db, &row.registration_id).await?;
    let mut state = state_of(states.iter().find(|s| s.unit_id == row.unit_id));
    let mode = LaunchMode::parse(&row.launch_mode).unwrap_or(LaunchMode::Normal);
    let mut initialized = row.initialized_at.is_some();
    let mut ended = row.ended_at.is_some();
    let activity = identity::unit_activity(&cx.settings.public_url, &row.unit_id);
    let mut effects = Vec::with_capacity(statements.len());
    for (i, stmt) in statements.iter().enumerate() {
        let view = rules::Session {
            session_id: &row.id,
            registration: &row.registration_id,
            publisher_id: &au.publisher_id,
            launch_mode: mode,
            mastery_score: au.mastery_score,
            initialized,
            terminated: ended,
            au: &state,
        };
        let refused = |rule: &str, detail: &str| Error::Denied {
            code: "cmi5-statement-refused",
            detail: format!("Statement {i} breaks the cmi5 rule \"{rule}\": {detail}"),
        };
        let effect = rules::check(&view, stmt).map_err(|r| refused(r.rule, &r.detail))?;
        if effect != Effect::Allowed && stmt["object"]["id"].as_str() != Some(activity.as_str()) {
            return Err(refused(
                "object-is-activity-id",
                "the object of a cmi5 defined statement must be the activityId the AU was launched with",
            ));
        }
        match effect {
            Effect::Initialized => initialized = true,
            Effect::Terminated => ended = true,
            Effect::Completed => state.completed = true,
            Effect::Passed => state.passed = true,
            Effect::Failed => state.failed = true,
            Effect::Allowed => {}
        }
        effects.push(effect);
    }
    Ok(Checked {
        session: row,
        au,
        effects,
    })
}

/// After the checked statements are stored: the session, the AU's state, moveOn and what it
/// satisfies. Returns the course completions this made.
pub async fn apply(cx: &Context, checked: Checked) -> Result<Vec<CompletionEvent>> {
    let Checked {
        session,
        au,
        effects,
    } = checked;
    let now = now_ms();
    let has = |e: Effect| effects.contains(&e);
    store::touch_session(
        &cx.db,
        &session.id,
        has(Effect::Initialized),
        has(Effect::Terminated),
        now,
    )
    .await?;
    let mut changed = false;
    for (effect, reached) in [
        (Effect::Completed, Reached::Completed),
        (Effect::Passed, Reached::Passed),
        (Effect::Failed, Reached::Failed),
    ] {
        if has(effect) {
            changed |=
                store::reach(&cx.db, &session.registration_id, &au.unit_id, reached, now).await?;
        }
    }
    if !changed && !has(Effect::Initialized) {
        return Ok(Vec::new());
    }
    evaluate(
        cx,
        &session.user_id,
        &session.registration_id,
        &au.package_id,
        &session.id,
    )
    .await
}

/// Evaluates moveOn for every AU of the registration: units of AUs that met it complete, and
/// blocks and the course whose AUs all met it are recorded `satisfied` (once each).
pub async fn evaluate(
    cx: &Context,
    user_id: &str,
    registration: &str,
    package_id: &str,
    session_id: &str,
) -> Result<Vec<CompletionEvent>> {
    let aus = store::aus_of_package(&cx.db, package_id).await?;
    let states = store::au_states(&cx.db, registration).await?;
    let by_unit: HashMap<&str, &AuStateRow> =
        states.iter().map(|s| (s.unit_id.as_str(), s)).collect();
    let met: Vec<bool> = aus
        .iter()
        .map(|a| {
            let move_on = MoveOn::parse(&a.move_on).unwrap_or(MoveOn::NotApplicable);
            rules::move_on_met(move_on, &state_of(by_unit.get(a.unit_id.as_str()).copied()))
        })
        .collect();
    let mut completions = Vec::new();
    for (au, _) in aus.iter().zip(&met).filter(|(_, m)| **m) {
        completions.extend(progress::complete_unit(cx, user_id, &au.unit_id).await?);
    }
    let Some(package) = store::package(&cx.db, package_id).await? else {
        return Ok(completions);
    };
    let blocks = store::blocks(&cx.db, package_id).await?;
    // Each AU counts for its block and every block around it.
    let parent: HashMap<i64, Option<i64>> = blocks.iter().map(|b| (b.position, b.parent)).collect();
    let mut all_met: HashMap<i64, bool> = HashMap::new();
    for (au, met) in aus.iter().zip(&met) {
        let mut block = au.block;
        while let Some(b) = block {
            let entry = all_met.entry(b).or_insert(true);
            *entry &= *met;
            block = parent.get(&b).copied().flatten();
        }
    }
    let public = &cx.settings.public_url;
    let org_id = aus.first().map(|a| a.org_id.clone()).unwrap_or_default();
    // Inner blocks first (they come later in document order), then the course.
    for block in blocks.iter().rev() {
        if all_met.get(&block.position) == Some(&true) {
            let id = block_activity(public, package_id, block.position);
            satisfied(
                cx,
                &org_id,
                user_id,
                registration,
                session_id,
                &id,
                vocab::ACTIVITY_TYPE_BLOCK,
                &block.publisher_id,
            )
            .await?;
        }
    }
    if !aus.is_empty() && met.iter().all(|m| *m) {
        let id = course_activity(public, package_id);
        satisfied(
            cx,
            &org_id,
            user_id,
            registration,
            session_id,
            &id,
            vocab::ACTIVITY_TYPE_COURSE,
            &package.publisher_id,
        )
        .await?;
    }
    Ok(completions)
}

/// Records `satisfied` for a block or the course unless it was already (cmi5 9.3.9).
#[allow(clippy::too_many_arguments)]
async fn satisfied(
    cx: &Context,
    org_id: &str,
    user_id: &str,
    registration: &str,
    session_id: &str,
    activity_id: &str,
    activity_type: &str,
    publisher_id: &str,
) -> Result<()> {
    if !store::satisfy(&cx.db, registration, activity_id, now_ms()).await? {
        return Ok(());
    }
    let mut stmt = lms_statement(
        &cx.settings.public_url,
        user_id,
        vocab::VERB_SATISFIED,
        activity_id,
        registration,
        publisher_id,
        session_id,
    );
    stmt["object"]["definition"] = json!({"type": activity_type});
    record_for_org(cx, org_id, stmt).await?;
    Ok(())
}

/// Why an AU was waived (cmi5 9.3.7).
pub const WAIVE_REASONS: [&str; 4] = [
    "Tested Out",
    "Equivalent AU",
    "Equivalent Outside Activity",
    "Administrative",
];

/// Waives the AU in the registration: `waived` recorded once, then moveOn evaluated.
pub async fn waive(
    cx: &Context,
    au: &AuRow,
    registration: &str,
    reason: &str,
) -> Result<Vec<CompletionEvent>> {
    if !WAIVE_REASONS.contains(&reason) {
        return Err(Error::field(
            "reason",
            "must be Tested Out, Equivalent AU, Equivalent Outside Activity or Administrative",
        ));
    }
    let reg = store::registration(&cx.db, registration)
        .await?
        .filter(|r| r.package_id == au.package_id)
        .ok_or_else(|| Error::field("registration", "no such registration in this course"))?;
    if !store::reach(&cx.db, registration, &au.unit_id, Reached::Waived, now_ms()).await? {
        return Err(Error::Refused {
            code: "already-waived",
            detail: "This AU is waived in this registration already.".into(),
        });
    }
    // The LMS's statement outside any launch has a session of its own (cmi5 9.6.3.1).
    let session_id = uuid::Uuid::new_v4().to_string();
    let public = &cx.settings.public_url;
    let mut stmt = lms_statement(
        public,
        &reg.user_id,
        vocab::VERB_WAIVED,
        &identity::unit_activity(public, &au.unit_id),
        registration,
        &au.publisher_id,
        &session_id,
    );
    stmt["result"] = json!({
        "success": true,
        "completion": true,
        "extensions": {vocab::RESULT_REASON: reason},
    });
    add_moveon_category(&mut stmt);
    record_for_org(cx, &au.org_id, stmt).await?;
    evaluate(cx, &reg.user_id, registration, &au.package_id, &session_id).await
}

fn add_moveon_category(stmt: &mut Value) {
    if let Some(category) = stmt["context"]["contextActivities"]["category"].as_array_mut() {
        category.push(json!({"id": vocab::CATEGORY_MOVEON, "objectType": "Activity"}));
    }
}

/// Ends an open session as abandoned and records `abandoned` with its duration (cmi5 9.3.6);
/// false if it had ended already.
pub async fn abandon(cx: &Context, session: &SessionRow) -> Result<bool> {
    let now = now_ms();
    if !store::abandon_session(&cx.db, &session.id, now).await? {
        return Ok(false);
    }
    let Some(au) = store::au(&cx.db, &session.unit_id).await? else {
        return Ok(true);
    };
    let public = &cx.settings.public_url;
    let mut stmt = lms_statement(
        public,
        &session.user_id,
        vocab::VERB_ABANDONED,
        &identity::unit_activity(public, &au.unit_id),
        &session.registration_id,
        &au.publisher_id,
        &session.id,
    );
    let secs = (now - session.launched_at).max(0) as f64 / 1000.0;
    stmt["result"] = json!({"duration": format!("PT{secs:.2}S")});
    record_for_org(cx, &au.org_id, stmt).await?;
    Ok(true)
}

/// Abandons sessions not heard from for `idle_ms` (housekeeping); returns how many.
pub async fn abandon_idle(cx: &Context, idle_ms: i64) -> Result<usize> {
    let mut n = 0;
    for session in store::idle_sessions(&cx.db, now_ms() - idle_ms, 100).await? {
        n += usize::from(abandon(cx, &session).await?);
    }
    Ok(n)
}
