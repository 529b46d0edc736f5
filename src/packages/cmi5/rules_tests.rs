//! Tests of `rules.rs`.
use super::*;
use serde_json::json;

const REG: &str = "760e3480-ba55-4991-94b0-01820dbd23a2";
const SID: &str = "session-1";
const PUB: &str = "https://example.com/au/1";

fn session(au: &AuState) -> Session<'_> {
    Session {
        session_id: SID,
        registration: REG,
        publisher_id: PUB,
        launch_mode: LaunchMode::Normal,
        mastery_score: None,
        initialized: true,
        terminated: false,
        au,
    }
}

/// A valid cmi5 defined statement with the verb `verb` ("passed", ...).
fn defined(verb: &str) -> Value {
    let result = match verb {
        "completed" => json!({"completion": true, "duration": "PT1M"}),
        "passed" => json!({"success": true, "duration": "PT1M"}),
        "failed" => json!({"success": false, "duration": "PT1M"}),
        "terminated" => json!({"duration": "PT1M"}),
        _ => Value::Null,
    };
    let mut category = vec![json!({"id": vocab::CATEGORY_CMI5})];
    if matches!(verb, "completed" | "passed" | "failed") {
        category.push(json!({"id": vocab::CATEGORY_MOVEON}));
    }
    let mut statement = json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.com", "name": "42"}},
        "verb": {"id": verb_iri(verb)},
        "object": {"id": "https://lms.example.com/activity/1"},
        "timestamp": "2024-01-01T00:00:00Z",
        "context": {
            "registration": REG,
            "contextActivities": {"category": category, "grouping": [{"id": PUB}]},
            "extensions": {vocab::EXT_SESSION_ID: SID}
        }
    });
    if !result.is_null() {
        statement["result"] = result;
    }
    statement
}

/// A cmi5 allowed statement: same context, no cmi5 category.
fn allowed(verb: &str) -> Value {
    let mut statement = defined(verb);
    statement["context"]["contextActivities"]["category"] = json!([]);
    if let Some(result) = statement.get_mut("result").and_then(Value::as_object_mut) {
        result.clear();
    }
    statement
}

fn verb_iri(verb: &str) -> String {
    match verb {
        "abandoned" | "waived" | "satisfied" => {
            format!("https://w3id.org/xapi/adl/verbs/{verb}")
        }
        "answered" => "http://adlnet.gov/expapi/verbs/answered".to_string(),
        _ => format!("http://adlnet.gov/expapi/verbs/{verb}"),
    }
}

fn rule(result: Result<Effect, Refusal>) -> &'static str {
    match result {
        Ok(effect) => panic!("expected a refusal, got {effect:?}"),
        Err(refusal) => refusal.rule,
    }
}

#[test]
fn accepts_the_cmi5_defined_verbs() {
    let au = AuState::default();
    let s = session(&au);
    assert_eq!(check(&s, &defined("completed")), Ok(Effect::Completed));
    assert_eq!(check(&s, &defined("passed")), Ok(Effect::Passed));
    assert_eq!(check(&s, &defined("failed")), Ok(Effect::Failed));
    assert_eq!(check(&s, &defined("terminated")), Ok(Effect::Terminated));
    let fresh = Session {
        initialized: false,
        ..s
    };
    assert_eq!(
        check(&fresh, &defined("initialized")),
        Ok(Effect::Initialized)
    );
}

#[test]
fn accepts_allowed_statements_with_any_verb() {
    let au = AuState::default();
    let s = session(&au);
    assert_eq!(check(&s, &allowed("answered")), Ok(Effect::Allowed));
    // Scenario 18 of the cmi5 samples: cmi5 verbs in allowed statements.
    assert_eq!(check(&s, &allowed("passed")), Ok(Effect::Allowed));
    assert_eq!(check(&s, &allowed("terminated")), Ok(Effect::Allowed));
    let browse = Session {
        launch_mode: LaunchMode::Browse,
        ..session(&au)
    };
    assert_eq!(check(&browse, &allowed("completed")), Ok(Effect::Allowed));
}

#[test]
fn refuses_anything_after_terminated() {
    let au = AuState::default();
    let s = Session {
        terminated: true,
        ..session(&au)
    };
    assert_eq!(
        rule(check(&s, &defined("terminated"))),
        "session-terminated"
    );
    assert_eq!(rule(check(&s, &allowed("answered"))), "session-terminated");
}

#[test]
fn refuses_lms_only_verbs() {
    let au = AuState::default();
    let s = session(&au);
    for verb in ["launched", "abandoned", "waived", "satisfied"] {
        assert_eq!(rule(check(&s, &defined(verb))), "lms-only-verb", "{verb}");
        assert_eq!(rule(check(&s, &allowed(verb))), "lms-only-verb", "{verb}");
    }
}

#[test]
fn requires_a_timestamp() {
    let au = AuState::default();
    let mut statement = allowed("answered");
    statement.as_object_mut().map(|o| o.remove("timestamp"));
    assert_eq!(rule(check(&session(&au), &statement)), "timestamp-required");
}

#[test]
fn requires_the_session_registration() {
    let au = AuState::default();
    let s = session(&au);
    for mut statement in [defined("passed"), allowed("answered")] {
        statement["context"]["registration"] = json!("00000000-0000-0000-0000-000000000000");
        assert_eq!(rule(check(&s, &statement)), "registration-mismatch");
        statement["context"]
            .as_object_mut()
            .map(|c| c.remove("registration"));
        assert_eq!(rule(check(&s, &statement)), "registration-mismatch");
    }
}

#[test]
fn requires_the_session_id() {
    let au = AuState::default();
    let s = session(&au);
    for mut statement in [defined("passed"), allowed("answered")] {
        statement["context"]["extensions"][vocab::EXT_SESSION_ID] = json!("other");
        assert_eq!(rule(check(&s, &statement)), "session-id-mismatch");
        statement["context"]["extensions"] = json!({});
        assert_eq!(rule(check(&s, &statement)), "session-id-mismatch");
    }
}

#[test]
fn requires_the_publisher_id_grouping() {
    let au = AuState::default();
    let s = session(&au);
    for mut statement in [defined("passed"), allowed("answered")] {
        statement["context"]["contextActivities"]["grouping"] = json!([{"id": "https://other"}]);
        assert_eq!(rule(check(&s, &statement)), "publisher-id-missing");
        // A single activity object is accepted as well as a list.
        statement["context"]["contextActivities"]["grouping"] = json!({"id": PUB});
        assert!(check(&s, &statement).is_ok());
    }
}

#[test]
fn refuses_the_cmi5_category_on_other_verbs() {
    let au = AuState::default();
    assert_eq!(
        rule(check(&session(&au), &defined("answered"))),
        "cmi5-category-misuse"
    );
}

#[test]
fn requires_initialized_first() {
    let au = AuState::default();
    let s = Session {
        initialized: false,
        ..session(&au)
    };
    assert_eq!(rule(check(&s, &defined("completed"))), "initialized-first");
    assert_eq!(rule(check(&s, &allowed("answered"))), "initialized-first");
    assert_eq!(
        rule(check(&s, &allowed("initialized"))),
        "initialized-first"
    );
    assert_eq!(check(&s, &defined("initialized")), Ok(Effect::Initialized));
}

#[test]
fn allows_initialized_once() {
    let au = AuState::default();
    assert_eq!(
        rule(check(&session(&au), &defined("initialized"))),
        "initialized-once"
    );
}

#[test]
fn requires_an_agent_with_an_account() {
    let au = AuState::default();
    let s = session(&au);
    let mut statement = defined("terminated");
    statement["actor"] = json!({"objectType": "Agent", "mbox": "mailto:a@example.com"});
    assert_eq!(rule(check(&s, &statement)), "actor-account-required");
    statement["actor"] = json!({"objectType": "Group", "account": {"homePage": "h", "name": "n"}});
    assert_eq!(rule(check(&s, &statement)), "actor-account-required");
    statement["actor"] = json!({"account": {"homePage": "h", "name": "n"}});
    assert!(check(&s, &statement).is_ok());
}

#[test]
fn refuses_judging_outside_normal_mode() {
    let au = AuState::default();
    for mode in [LaunchMode::Browse, LaunchMode::Review] {
        let s = Session {
            launch_mode: mode,
            ..session(&au)
        };
        for verb in ["completed", "passed", "failed"] {
            assert_eq!(rule(check(&s, &defined(verb))), "launch-mode", "{verb}");
        }
        assert_eq!(check(&s, &defined("terminated")), Ok(Effect::Terminated));
        let fresh = Session {
            initialized: false,
            ..s
        };
        assert_eq!(
            check(&fresh, &defined("initialized")),
            Ok(Effect::Initialized)
        );
    }
}

#[test]
fn allows_completed_once_per_registration() {
    let au = AuState {
        completed: true,
        ..AuState::default()
    };
    assert_eq!(
        rule(check(&session(&au), &defined("completed"))),
        "completed-once"
    );
}

#[test]
fn allows_passed_once_per_registration() {
    let au = AuState {
        passed: true,
        ..AuState::default()
    };
    assert_eq!(
        rule(check(&session(&au), &defined("passed"))),
        "passed-once"
    );
}

#[test]
fn refuses_failed_after_passed_but_not_passed_after_failed() {
    let passed = AuState {
        passed: true,
        ..AuState::default()
    };
    assert_eq!(
        rule(check(&session(&passed), &defined("failed"))),
        "failed-after-passed"
    );
    let failed = AuState {
        failed: true,
        ..AuState::default()
    };
    assert_eq!(
        check(&session(&failed), &defined("passed")),
        Ok(Effect::Passed)
    );
    assert_eq!(
        check(&session(&failed), &defined("failed")),
        Ok(Effect::Failed)
    );
}

#[test]
fn checks_completion() {
    let au = AuState::default();
    let s = session(&au);
    let mut statement = defined("completed");
    statement["result"]["completion"] = json!(false);
    assert_eq!(rule(check(&s, &statement)), "completion-required");
    statement["result"]
        .as_object_mut()
        .map(|r| r.remove("completion"));
    assert_eq!(rule(check(&s, &statement)), "completion-required");
    let mut statement = defined("passed");
    statement["result"]["completion"] = json!(true);
    assert_eq!(rule(check(&s, &statement)), "completion-not-allowed");
}

#[test]
fn checks_success() {
    let au = AuState::default();
    let s = session(&au);
    let mut statement = defined("passed");
    statement["result"]["success"] = json!(false);
    assert_eq!(rule(check(&s, &statement)), "success-required");
    let mut statement = defined("failed");
    statement["result"]["success"] = json!(true);
    assert_eq!(rule(check(&s, &statement)), "success-required");
    statement["result"]
        .as_object_mut()
        .map(|r| r.remove("success"));
    assert_eq!(rule(check(&s, &statement)), "success-required");
    let mut statement = defined("completed");
    statement["result"]["success"] = json!(true);
    assert_eq!(rule(check(&s, &statement)), "success-not-allowed");
    let mut statement = defined("terminated");
    statement["result"]["success"] = json!(true);
    assert_eq!(rule(check(&s, &statement)), "success-not-allowed");
}

#[test]
fn requires_a_duration() {
    let au = AuState::default();
    let s = session(&au);
    for verb in ["completed", "passed", "failed", "terminated"] {
        let mut statement = defined(verb);
        statement["result"]
            .as_object_mut()
            .map(|r| r.remove("duration"));
        assert_eq!(rule(check(&s, &statement)), "duration-required", "{verb}");
    }
    // Initialized MAY carry a duration but need not.
    let fresh = Session {
        initialized: false,
        ..s
    };
    assert!(check(&fresh, &defined("initialized")).is_ok());
}

#[test]
fn checks_the_moveon_category() {
    let au = AuState::default();
    let s = session(&au);
    for verb in ["completed", "passed", "failed"] {
        let mut statement = defined(verb);
        statement["context"]["contextActivities"]["category"] =
            json!([{"id": vocab::CATEGORY_CMI5}]);
        assert_eq!(
            rule(check(&s, &statement)),
            "moveon-category-missing",
            "{verb}"
        );
    }
    let mut statement = defined("terminated");
    if let Some(category) = statement["context"]["contextActivities"]["category"].as_array_mut() {
        category.push(json!({"id": vocab::CATEGORY_MOVEON}));
    }
    assert_eq!(rule(check(&s, &statement)), "moveon-category-not-allowed");
    let mut statement = allowed("answered");
    statement["context"]["contextActivities"]["category"] = json!([{"id": vocab::CATEGORY_MOVEON}]);
    assert_eq!(rule(check(&s, &statement)), "moveon-category-not-allowed");
}

#[test]
fn refuses_a_score_outside_passed_and_failed() {
    let au = AuState::default();
    let s = session(&au);
    for verb in ["completed", "terminated"] {
        let mut statement = defined(verb);
        statement["result"]["score"] = json!({"scaled": 0.5});
        assert_eq!(rule(check(&s, &statement)), "score-not-allowed", "{verb}");
    }
}

#[test]
fn checks_the_score_value_space() {
    let au = AuState::default();
    let s = session(&au);
    let with_score = |score: Value| {
        let mut statement = defined("passed");
        statement["result"]["score"] = score;
        check(&s, &statement)
    };
    assert_eq!(
        with_score(json!({"scaled": 1.0, "raw": 10, "min": 0, "max": 10})),
        Ok(Effect::Passed)
    );
    assert_eq!(rule(with_score(json!({"scaled": -0.5}))), "score-invalid");
    assert_eq!(rule(with_score(json!({"raw": 5}))), "score-invalid");
    assert_eq!(
        rule(with_score(json!({"raw": 5.5, "min": 0, "max": 10}))),
        "score-invalid"
    );
    assert_eq!(
        rule(with_score(json!({"raw": 11, "min": 0, "max": 10}))),
        "score-invalid"
    );
}

fn judged(verb: &str, scaled: f64, extension: Option<f64>) -> Value {
    let mut statement = defined(verb);
    statement["result"]["score"] = json!({"scaled": scaled});
    if let Some(m) = extension {
        statement["context"]["extensions"][vocab::EXT_MASTERY_SCORE] = json!(m);
    }
    statement
}

#[test]
fn keeps_passed_and_failed_consistent_with_mastery() {
    let au = AuState::default();
    let s = Session {
        mastery_score: Some(0.8),
        ..session(&au)
    };
    assert_eq!(
        check(&s, &judged("passed", 0.8, Some(0.8))),
        Ok(Effect::Passed)
    );
    assert_eq!(
        rule(check(&s, &judged("passed", 0.79, Some(0.8)))),
        "score-below-mastery"
    );
    assert_eq!(
        check(&s, &judged("failed", 0.79, Some(0.8))),
        Ok(Effect::Failed)
    );
    assert_eq!(
        rule(check(&s, &judged("failed", 0.8, Some(0.8)))),
        "score-not-below-mastery"
    );
    // Without a mastery score any scaled score goes with either verb.
    let free = session(&au);
    assert_eq!(
        check(&free, &judged("failed", 0.95, None)),
        Ok(Effect::Failed)
    );
    assert_eq!(
        check(&free, &judged("passed", 0.1, None)),
        Ok(Effect::Passed)
    );
}

#[test]
fn checks_the_mastery_score_extension() {
    let au = AuState::default();
    let s = Session {
        mastery_score: Some(0.8),
        ..session(&au)
    };
    assert_eq!(
        rule(check(&s, &judged("passed", 0.9, None))),
        "mastery-score-mismatch"
    );
    assert_eq!(
        rule(check(&s, &judged("passed", 0.9, Some(0.7)))),
        "mastery-score-mismatch"
    );
    let mut no_score = defined("failed");
    no_score["context"]["extensions"][vocab::EXT_MASTERY_SCORE] = json!(0.8);
    assert_eq!(check(&s, &no_score), Ok(Effect::Failed));
    let free = session(&au);
    assert_eq!(
        rule(check(&free, &judged("passed", 0.9, Some(0.8)))),
        "mastery-score-mismatch"
    );
}

#[test]
fn launch_mode_spellings_round_trip() {
    for mode in [LaunchMode::Normal, LaunchMode::Browse, LaunchMode::Review] {
        assert_eq!(LaunchMode::parse(mode.as_str()), Some(mode));
    }
    assert_eq!(LaunchMode::parse("normal"), None);
}

#[test]
fn evaluates_move_on() {
    let state = |completed, passed, waived| AuState {
        completed,
        passed,
        failed: false,
        waived,
    };
    let cases = [
        (MoveOn::Passed, state(true, false, false), false),
        (MoveOn::Passed, state(false, true, false), true),
        (MoveOn::Completed, state(false, true, false), false),
        (MoveOn::Completed, state(true, false, false), true),
        (MoveOn::CompletedAndPassed, state(true, false, false), false),
        (MoveOn::CompletedAndPassed, state(true, true, false), true),
        (MoveOn::CompletedOrPassed, state(false, false, false), false),
        (MoveOn::CompletedOrPassed, state(false, true, false), true),
        (MoveOn::CompletedAndPassed, state(false, false, true), true),
        (MoveOn::NotApplicable, state(false, false, false), true),
    ];
    for (move_on, au, met) in cases {
        assert_eq!(move_on_met(move_on, &au), met, "{move_on:?} {au:?}");
    }
}
