//! The LMS's checks of the statements an AU sends during a session.
//!
//! Section numbers refer to the cmi5 specification. Section 6.3: "The LMS
//! SHOULD reject statements that conflict with the Statement API
//! requirements as defined in Section 9."
//!
//! Section 7.1.3 sorts AU statements in two kinds: "cmi5 defined" ones carry
//! the cmi5 category activity and a cmi5 verb; "cmi5 allowed" ones use any
//! verb (cmi5 verbs included) without that category, and do not count for
//! session management or completion.

use serde_json::Value;

use super::structure::MoveOn;
use super::vocab;

/// The launch mode chosen by the LMS (section 10, launchMode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchMode {
    Normal,
    Browse,
    Review,
}

impl LaunchMode {
    /// The cmi5 spelling, e.g. `"Normal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Browse => "Browse",
            Self::Review => "Review",
        }
    }

    /// Parses the cmi5 spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Normal" => Some(Self::Normal),
            "Browse" => Some(Self::Browse),
            "Review" => Some(Self::Review),
            _ => None,
        }
    }
}

/// What the registration has recorded so far for one AU.
#[derive(Clone, Debug, Default)]
pub struct AuState {
    pub completed: bool,
    pub passed: bool,
    pub failed: bool,
    pub waived: bool,
}

/// The session a statement is sent in, as the LMS knows it.
#[derive(Clone, Debug)]
pub struct Session<'a> {
    pub session_id: &'a str,
    pub registration: &'a str,
    /// The AU's id from cmi5.xml.
    pub publisher_id: &'a str,
    pub launch_mode: LaunchMode,
    /// The masteryScore given in the launch data, if any.
    pub mastery_score: Option<f64>,
    /// Whether a cmi5 defined "Initialized" was accepted in this session.
    pub initialized: bool,
    /// Whether a cmi5 defined "Terminated" was accepted in this session.
    pub terminated: bool,
    pub au: &'a AuState,
}

/// What an accepted statement means for the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Initialized,
    Completed,
    Passed,
    Failed,
    Terminated,
    /// A "cmi5 allowed" statement, which changes nothing.
    Allowed,
}

/// Why a statement was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// A short stable slug such as `"initialized-first"`.
    pub rule: &'static str,
    /// A human-readable explanation.
    pub detail: String,
}

type Checked = Result<(), Refusal>;

fn refuse(rule: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        detail: detail.into(),
    }
}

/// Whether the AU's moveOn criterion is met (section 13.1.4, moveOn).
/// A waived AU counts as met; NotApplicable is always met.
pub fn move_on_met(move_on: MoveOn, au: &AuState) -> bool {
    au.waived
        || match move_on {
            MoveOn::Passed => au.passed,
            MoveOn::Completed => au.completed,
            MoveOn::CompletedAndPassed => au.completed && au.passed,
            MoveOn::CompletedOrPassed => au.completed || au.passed,
            MoveOn::NotApplicable => true,
        }
}

/// Checks a statement sent by the AU in `session` and says what it means.
pub fn check(session: &Session, statement: &Value) -> Result<Effect, Refusal> {
    // 9.3.8: after "Terminated" the LMS "MUST reject statements (of any kind)".
    if session.terminated {
        return Err(refuse(
            "session-terminated",
            "the session has already terminated",
        ));
    }
    let verb = statement
        .pointer("/verb/id")
        .and_then(Value::as_str)
        .unwrap_or("");
    check_not_lms_verb(verb)?;
    check_context(session, statement)?;
    let defined = has_activity(statement, "category", vocab::CATEGORY_CMI5);
    let effect = if defined {
        defined_effect(verb)?
    } else {
        Effect::Allowed
    };
    check_order(session, effect)?;
    if effect == Effect::Allowed {
        // 9.6.2.2: statements other than cmi5 defined ones with success or
        // completion "MUST NOT include this Activity".
        if has_activity(statement, "category", vocab::CATEGORY_MOVEON) {
            return Err(refuse(
                "moveon-category-not-allowed",
                "a cmi5 allowed statement must not carry the moveon category",
            ));
        }
        return Ok(Effect::Allowed);
    }
    check_actor(statement)?;
    check_verb(session, effect)?;
    check_result(session, effect, statement)?;
    Ok(effect)
}

/// Verbs only the LMS may use (9.3.1, 9.3.6, 9.3.7, 9.3.9).
fn check_not_lms_verb(verb: &str) -> Checked {
    let lms_only = [
        vocab::VERB_LAUNCHED,
        vocab::VERB_ABANDONED,
        vocab::VERB_WAIVED,
        vocab::VERB_SATISFIED,
    ];
    if lms_only.contains(&verb) {
        return Err(refuse(
            "lms-only-verb",
            format!("only the LMS may use the verb {verb}"),
        ));
    }
    Ok(())
}

/// Context and timestamp every AU statement needs, defined or allowed.
fn check_context(session: &Session, statement: &Value) -> Checked {
    // 9.7: "all statements MUST include a timestamp property".
    if statement.get("timestamp").and_then(Value::as_str).is_none() {
        return Err(refuse(
            "timestamp-required",
            "the statement has no timestamp",
        ));
    }
    // 9.6.1 and 8.1: the registration is the one the LMS provided.
    let registration = statement
        .pointer("/context/registration")
        .and_then(Value::as_str);
    if registration != Some(session.registration) {
        return Err(refuse(
            "registration-mismatch",
            format!("context.registration must be {}", session.registration),
        ));
    }
    // 9.6.3.1: "An AU MUST include the session ID ... for all cmi5 defined
    // and cmi5 allowed statements".
    let session_id = statement
        .pointer("/context/extensions")
        .and_then(|e| e.get(vocab::EXT_SESSION_ID))
        .and_then(Value::as_str);
    if session_id != Some(session.session_id) {
        return Err(refuse(
            "session-id-mismatch",
            format!(
                "the sessionid context extension must be {}",
                session.session_id
            ),
        ));
    }
    // 10 (contextTemplate): the AU "MUST use the contextTemplate as a template
    // for the context property in all xAPI statements", which holds the
    // publisher id grouping activity of 9.6.2.3.
    if !has_activity(statement, "grouping", session.publisher_id) {
        return Err(refuse(
            "publisher-id-missing",
            format!(
                "context.contextActivities.grouping must hold {}",
                session.publisher_id
            ),
        ));
    }
    Ok(())
}

/// The effect of a statement with the cmi5 category (7.1.3).
fn defined_effect(verb: &str) -> Result<Effect, Refusal> {
    match verb {
        vocab::VERB_INITIALIZED => Ok(Effect::Initialized),
        vocab::VERB_COMPLETED => Ok(Effect::Completed),
        vocab::VERB_PASSED => Ok(Effect::Passed),
        vocab::VERB_FAILED => Ok(Effect::Failed),
        vocab::VERB_TERMINATED => Ok(Effect::Terminated),
        _ => Err(refuse(
            "cmi5-category-misuse",
            format!("the cmi5 category is only for cmi5 defined verbs, not {verb}"),
        )),
    }
}

/// Session ordering (7.1.3, 9.3, 9.3.2).
fn check_order(session: &Session, effect: Effect) -> Checked {
    match (session.initialized, effect) {
        (false, Effect::Initialized) => Ok(()),
        // 9.3: "The Initialized verb MUST be the first statement (cmi5
        // allowed or defined)."
        (false, _) => Err(refuse(
            "initialized-first",
            "the first statement of a session must be a cmi5 defined Initialized",
        )),
        // 9.3.2: "The AU MUST NOT issue multiple statements with Initialized".
        (true, Effect::Initialized) => Err(refuse(
            "initialized-once",
            "the session has already been initialized",
        )),
        (true, _) => Ok(()),
    }
}

/// 9.2: the actor of a cmi5 defined statement is an Agent with an account.
fn check_actor(statement: &Value) -> Checked {
    let actor = statement.get("actor");
    let kind = actor
        .and_then(|a| a.get("objectType"))
        .and_then(Value::as_str);
    let has_account = actor
        .and_then(|a| a.get("account"))
        .is_some_and(Value::is_object);
    if matches!(kind, None | Some("Agent")) && has_account {
        return Ok(());
    }
    Err(refuse(
        "actor-account-required",
        "the actor must be an Agent with an account",
    ))
}

/// Launch mode and registration ordering rules of the judging verbs.
fn check_verb(session: &Session, effect: Effect) -> Checked {
    let judging = matches!(effect, Effect::Completed | Effect::Passed | Effect::Failed);
    // 10 (launchMode): in Browse and Review "The AU MUST NOT send other cmi5
    // defined statements" than Initialized and Terminated.
    if judging && session.launch_mode != LaunchMode::Normal {
        return Err(refuse(
            "launch-mode",
            format!(
                "{:?} is not allowed in {} mode",
                effect,
                session.launch_mode.as_str()
            ),
        ));
    }
    // 9.3, ordering within a registration.
    let au = session.au;
    match effect {
        Effect::Completed if au.completed => Err(refuse(
            "completed-once",
            "the AU has already been completed",
        )),
        Effect::Passed if au.passed => Err(refuse("passed-once", "the AU has already been passed")),
        Effect::Failed if au.passed => Err(refuse(
            "failed-after-passed",
            "a Failed statement must not follow a Passed one",
        )),
        _ => Ok(()),
    }
}

/// Result rules of a cmi5 defined statement (9.5, 9.6.2.2, 9.6.3.2).
fn check_result(session: &Session, effect: Effect, statement: &Value) -> Checked {
    let result = statement.get("result");
    let field = |name: &str| result.and_then(|r| r.get(name));
    check_success(effect, field("success"))?;
    check_completion(effect, field("completion"))?;
    // 9.5.4.1: the AU MUST include duration in these statements.
    let needs_duration = effect != Effect::Initialized;
    if needs_duration && field("duration").and_then(Value::as_str).is_none() {
        return Err(refuse(
            "duration-required",
            format!("a {effect:?} statement must carry result.duration"),
        ));
    }
    check_moveon_category(
        statement,
        field("success").is_some() || field("completion").is_some(),
    )?;
    let judged = matches!(effect, Effect::Passed | Effect::Failed);
    match field("score") {
        // 9.5.1: "Other cmi5 defined statements MUST NOT include the score".
        Some(_) if !judged => Err(refuse(
            "score-not-allowed",
            format!("a {effect:?} statement must not carry a score"),
        )),
        Some(score) => check_score(session, effect, score),
        None => Ok(()),
    }?;
    if judged {
        check_mastery_extension(session, statement)?;
    }
    Ok(())
}

/// 9.5.2: success is true for Passed, false for Failed, absent otherwise.
fn check_success(effect: Effect, success: Option<&Value>) -> Checked {
    let wanted = match effect {
        Effect::Passed => Some(true),
        Effect::Failed => Some(false),
        _ => None,
    };
    match (wanted, success) {
        (Some(w), Some(v)) if v.as_bool() == Some(w) => Ok(()),
        (Some(w), _) => Err(refuse(
            "success-required",
            format!("a {effect:?} statement must carry result.success {w}"),
        )),
        (None, Some(_)) => Err(refuse(
            "success-not-allowed",
            format!("a {effect:?} statement must not carry result.success"),
        )),
        (None, None) => Ok(()),
    }
}

/// 9.5.3: completion is true for Completed and absent otherwise.
fn check_completion(effect: Effect, completion: Option<&Value>) -> Checked {
    match (effect == Effect::Completed, completion) {
        (true, Some(Value::Bool(true))) | (false, None) => Ok(()),
        (true, _) => Err(refuse(
            "completion-required",
            "a Completed statement must carry result.completion true",
        )),
        (false, Some(_)) => Err(refuse(
            "completion-not-allowed",
            format!("a {effect:?} statement must not carry result.completion"),
        )),
    }
}

/// 9.6.2.2: the moveon category goes with success or completion, only.
fn check_moveon_category(statement: &Value, wanted: bool) -> Checked {
    match (
        wanted,
        has_activity(statement, "category", vocab::CATEGORY_MOVEON),
    ) {
        (true, false) => Err(refuse(
            "moveon-category-missing",
            "a statement with success or completion must carry the moveon category",
        )),
        (false, true) => Err(refuse(
            "moveon-category-not-allowed",
            "only statements with success or completion may carry the moveon category",
        )),
        _ => Ok(()),
    }
}

/// 9.5.1 (score value space) and 9.3.4/9.3.5 (consistency with mastery).
fn check_score(session: &Session, effect: Effect, score: &Value) -> Checked {
    let number = |name: &str| score.get(name).and_then(Value::as_f64);
    let is_integer = |name: &str| {
        score
            .get(name)
            .is_none_or(|v| v.as_f64().is_some_and(|f| f.fract() == 0.0))
    };
    let invalid = |detail: &str| Err(refuse("score-invalid", detail));
    if ["raw", "min", "max"].iter().any(|name| !is_integer(name)) {
        return invalid("score raw, min and max must be integers");
    }
    if let Some(raw) = number("raw") {
        // "When the raw value is provided, the AU MUST also provide the min
        // and max values".
        let (Some(min), Some(max)) = (number("min"), number("max")) else {
            return invalid("a raw score needs min and max");
        };
        if raw < min || raw > max {
            return invalid("the raw score must lie between min and max");
        }
    }
    let Some(scaled) = number("scaled") else {
        return Ok(());
    };
    if !(0.0..=1.0).contains(&scaled) {
        return invalid("the scaled score must lie between 0 and 1");
    }
    let Some(mastery) = session.mastery_score else {
        return Ok(());
    };
    match effect {
        Effect::Passed if scaled < mastery => Err(refuse(
            "score-below-mastery",
            format!("a Passed score of {scaled} is below the mastery score {mastery}"),
        )),
        Effect::Failed if scaled >= mastery => Err(refuse(
            "score-not-below-mastery",
            format!("a Failed score of {scaled} is not below the mastery score {mastery}"),
        )),
        _ => Ok(()),
    }
}

/// 9.6.3.2 and 10 (masteryScore): Passed and Failed "MUST be based on the
/// masteryScore if provided", and the AU "MUST include the masteryScore value
/// provided by the LMS" in such statements.
fn check_mastery_extension(session: &Session, statement: &Value) -> Checked {
    let sent = statement
        .pointer("/context/extensions")
        .and_then(|e| e.get(vocab::EXT_MASTERY_SCORE));
    match (session.mastery_score, sent) {
        (None, None) => Ok(()),
        (Some(m), Some(v)) if v.as_f64().is_some_and(|s| (s - m).abs() < 1e-9) => Ok(()),
        (Some(m), _) => Err(refuse(
            "mastery-score-mismatch",
            format!("the masteryscore context extension must be {m}"),
        )),
        (None, Some(_)) => Err(refuse(
            "mastery-score-mismatch",
            "the launch data gives no masteryScore, so the statement must not carry one",
        )),
    }
}

/// Whether `context.contextActivities.<list>` holds an activity with `id`.
/// A single object is accepted as well as an array (xAPI 1.0 allows both).
fn has_activity(statement: &Value, list: &str, id: &str) -> bool {
    let Some(value) = statement
        .pointer("/context/contextActivities")
        .and_then(|c| c.get(list))
    else {
        return false;
    };
    let matches = |a: &Value| a.get("id").and_then(Value::as_str) == Some(id);
    match value {
        Value::Array(items) => items.iter().any(matches),
        other => matches(other),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
