use serde_json::json;

use super::*;

const V12: Version = Version::Scorm12;
const V2004: Version = Version::Scorm2004 { edition: 4 };

fn facts(entry: &'static str) -> LaunchFacts<'static> {
    LaunchFacts {
        learner_id: "u1",
        learner_name: "Amina Yusuf",
        entry,
        mode: "normal",
        total_secs: 3725.5,
    }
}

#[test]
fn a_scorm12_launch_carries_the_kept_data_and_the_lms_elements() {
    let kept = json!({
        "core": {"lesson_location": "p3", "lesson_status": "incomplete", "student_id": "forged"},
        "suspend_data": "page=3",
        "interactions": {"0": {"id": "q1"}},
    });
    let sco = ScoSettings {
        mastery_score: Some(80.0),
        launch_data: Some("level=2".into()),
        ..Default::default()
    };
    let cmi = launch_data(V12, &kept, &sco, &facts("resume"));
    assert_eq!(cmi["core"]["student_id"], "u1");
    assert_eq!(cmi["core"]["student_name"], "Amina Yusuf");
    assert_eq!(cmi["core"]["entry"], "resume");
    assert_eq!(cmi["core"]["credit"], "credit");
    assert_eq!(cmi["core"]["lesson_location"], "p3");
    assert_eq!(cmi["core"]["lesson_status"], "incomplete");
    assert_eq!(cmi["core"]["total_time"], "0001:02:05.50");
    assert_eq!(cmi["suspend_data"], "page=3");
    assert_eq!(cmi["launch_data"], "level=2");
    assert_eq!(cmi["student_data"]["mastery_score"], "80");
    // Write-only in SCORM 1.2: not handed back.
    assert!(cmi.get("interactions").is_none());
}

#[test]
fn a_first_scorm12_launch_is_not_attempted_and_review_earns_no_credit() {
    let mut f = facts("ab-initio");
    f.mode = "review";
    let cmi = launch_data(V12, &json!({}), &ScoSettings::default(), &f);
    assert_eq!(cmi["core"]["lesson_status"], "not attempted");
    assert_eq!(cmi["core"]["lesson_mode"], "review");
    assert_eq!(cmi["core"]["credit"], "no-credit");
}

#[test]
fn a_scorm2004_launch_has_the_package_thresholds() {
    let sco = ScoSettings {
        scaled_passing_score: Some(0.8),
        completion_threshold: Some(0.75),
        ..Default::default()
    };
    let kept = json!({"location": "s2", "interactions": {"0": {"id": "q1"}}});
    let cmi = launch_data(V2004, &kept, &sco, &facts(""));
    assert_eq!(cmi["learner_id"], "u1");
    assert_eq!(cmi["scaled_passing_score"], "0.8");
    assert_eq!(cmi["completion_threshold"], "0.75");
    assert_eq!(cmi["total_time"], "PT1H2M5.50S");
    assert_eq!(cmi["time_limit_action"], "continue,no message");
    assert_eq!(cmi["location"], "s2");
    assert_eq!(cmi["interactions"]["0"]["id"], "q1");
}

#[test]
fn a_scorm12_mastery_score_decides_pass_or_fail() {
    let sco = ScoSettings {
        mastery_score: Some(80.0),
        ..Default::default()
    };
    let commit = |status: &str, raw: &str| {
        let body = json!({"cmi": {"core": {"lesson_status": status, "score": {"raw": raw, "max": "100"},
            "session_time": "00:01:30", "exit": ""}}});
        read_commit(V12, &body, &sco).unwrap()
    };
    let passed = commit("completed", "85");
    assert_eq!(
        (passed.completion.as_str(), passed.success.as_str()),
        ("completed", "passed")
    );
    assert_eq!(passed.score.as_ref().unwrap().scaled, 0.85);
    assert_eq!(passed.session_secs, 90.0);
    assert!(passed.done());
    let failed = commit("passed", "60");
    assert_eq!(failed.success, "failed");
    assert!(!failed.done());
    // No score yet: the SCO's own status stands.
    let incomplete = commit("incomplete", "");
    assert_eq!(incomplete.completion, "incomplete");
    assert!(incomplete.score.is_none());
}

#[test]
fn a_scorm2004_commit_is_judged_by_the_lms_thresholds() {
    let sco = ScoSettings {
        scaled_passing_score: Some(0.7),
        completion_threshold: Some(0.5),
        ..Default::default()
    };
    let body = json!({"cmi": {"completion_status": "incomplete", "success_status": "unknown",
        "progress_measure": "0.6", "score": {"scaled": "0.65"}, "session_time": "PT2M", "exit": "suspend"}});
    let c = read_commit(V2004, &body, &sco).unwrap();
    assert_eq!(c.completion, "completed");
    assert_eq!(c.success, "failed");
    assert!(!c.done());
    assert_eq!(c.session_secs, 120.0);
    assert!(!c.ends_attempt(V2004), "a suspended attempt goes on");
}

#[test]
fn only_what_a_sco_may_write_is_kept() {
    let body = json!({"cmi": {"core": {"lesson_status": "incomplete", "student_id": "forged",
        "total_time": "9999:00:00", "lesson_location": "p2"}, "suspend_data": "x",
        "student_data": {"mastery_score": "0"}}});
    let c = read_commit(V12, &body, &ScoSettings::default()).unwrap();
    assert_eq!(
        c.runtime,
        json!({"core": {"lesson_status": "incomplete", "lesson_location": "p2"}, "suspend_data": "x"})
    );
}

#[test]
fn oversized_and_malformed_commits_are_refused() {
    let long = "x".repeat(4097);
    let body = json!({"cmi": {"suspend_data": long}});
    let e = read_commit(V12, &body, &ScoSettings::default()).unwrap_err();
    assert!(e.contains("cmi.suspend_data"), "{e}");
    assert!(read_commit(V12, &json!({"core": {}}), &ScoSettings::default()).is_err());
    // SCORM 2004 allows 64000 characters of suspend data.
    let body = json!({"cmi": {"suspend_data": "x".repeat(64000)}});
    assert!(read_commit(V2004, &body, &ScoSettings::default()).is_ok());
}

#[test]
fn an_unfinished_scorm12_attempt_goes_on_after_a_normal_exit() {
    let body = json!({"cmi": {"core": {"lesson_status": "incomplete", "exit": ""}}});
    let c = read_commit(V12, &body, &ScoSettings::default()).unwrap();
    assert!(!c.ends_attempt(V12));
    let body = json!({"cmi": {"core": {"lesson_status": "completed", "exit": ""}}});
    assert!(read_commit(V12, &body, &ScoSettings::default())
        .unwrap()
        .ends_attempt(V12));
    let body = json!({"cmi": {"completion_status": "incomplete", "exit": "normal"}});
    assert!(read_commit(V2004, &body, &ScoSettings::default())
        .unwrap()
        .ends_attempt(V2004));
}

#[test]
fn a_score_xapi_could_not_hold_keeps_only_its_scaled_value() {
    let body = json!({"cmi": {"score": {"scaled": "0.5", "raw": "150", "min": "0", "max": "100"}}});
    let s = read_commit(V2004, &body, &ScoSettings::default())
        .unwrap()
        .score
        .unwrap();
    assert_eq!((s.scaled, s.raw, s.max), (0.5, None, None));
}

#[test]
fn times_are_read_and_written_in_both_formats() {
    assert_eq!(parse_scorm12_time("0001:02:03.5"), Some(3723.5));
    assert_eq!(parse_scorm12_time("00:61:00"), None);
    assert_eq!(parse_scorm12_time("1:2"), None);
    assert_eq!(format_scorm12_time(3723.5), "0001:02:03.50");
    assert_eq!(parse_duration("PT1H2M3.5S"), Some(3723.5));
    assert_eq!(parse_duration("P1DT1S"), Some(86401.0));
    assert_eq!(parse_duration("PT"), None);
    assert_eq!(parse_duration("P"), None);
    assert_eq!(parse_duration("PT1S2M"), None, "units out of order");
    assert_eq!(parse_duration("1H"), None);
    assert_eq!(format_duration(90.0), "PT0H1M30S");
}
