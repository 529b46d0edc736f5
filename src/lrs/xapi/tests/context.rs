//! Result, Context (incl. 2.0 contextAgents/contextGroups) and Attachments.

use serde_json::{json, Value};

use super::{assert_invalid_at, assert_invalid_at_v, assert_valid, base, check, set};
use crate::lrs::xapi::XapiVersion::{V1_0_3, V2_0_0};

fn with_result(r: Value) -> Value {
    set(base(), "result", r)
}

fn with_context(c: Value) -> Value {
    set(base(), "context", c)
}

fn attachment() -> Value {
    json!({
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "description": {"en-US": "A test attachment (description)"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        "fileUrl": "http://over.there.com/file.txt"
    })
}

#[test]
fn full_result_is_valid() {
    assert_valid(&with_result(json!({
        "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
        "success": true,
        "completion": false,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0.1S",
        "extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": null}
    })));
}

// XAPI-00079/83: score is an object; scaled in [-1, 1] inclusive.
#[test]
fn score_scaled_bounds() {
    assert_valid(&with_result(json!({"score": {"scaled": -1.0}})));
    assert_valid(&with_result(json!({"score": {"scaled": 1}})));
    assert_invalid_at(
        &with_result(json!({"score": {"scaled": 1.01}})),
        "result.score.scaled",
    );
    assert_invalid_at(
        &with_result(json!({"score": {"scaled": -1.00001}})),
        "result.score.scaled",
    );
    assert_invalid_at(&with_result(json!({"score": 12345})), "result.score");
}

// XAPI-00080..82: raw within [min, max]; min < max.
#[test]
fn score_raw_min_max() {
    assert_invalid_at(
        &with_result(json!({"score": {"raw": 0.6767676, "max": 0.6567676}})),
        "result.score.raw",
    );
    assert_invalid_at(
        &with_result(json!({"score": {"raw": 0.6767676, "min": 1.4067676}})),
        "result.score.raw",
    );
    assert_invalid_at(
        &with_result(json!({"score": {"min": 5, "max": 4, "raw": 4.5}})),
        "result.score.min",
    );
    assert_invalid_at(
        &with_result(json!({"score": {"min": 5, "max": 5}})),
        "result.score.min",
    );
    assert_valid(&with_result(
        json!({"score": {"raw": 5, "min": 5, "max": 10}}),
    ));
}

// XAPI-00006: strings are not numbers or booleans, even "100" / "false".
#[test]
fn result_wrong_json_types() {
    assert_invalid_at(
        &with_result(json!({"score": {"max": "100"}})),
        "result.score.max",
    );
    assert_invalid_at(
        &with_result(json!({"completion": "false"})),
        "result.completion",
    );
    assert_invalid_at(&with_result(json!({"success": 1})), "result.success");
    assert_invalid_at(&with_result(json!({"response": 42})), "result.response");
    assert_invalid_at(
        &with_result(json!({"score": {"Raw": 1}})),
        "result.score.Raw",
    );
}

// XAPI-00124: ISO 8601 durations only.
#[test]
fn result_duration_format() {
    for bad in [
        json!("PA1H0M0S"),
        json!("should fail"),
        json!(12345),
        json!({"key": "invalid"}),
        json!("P4W1D"),
    ] {
        assert_invalid_at(&with_result(json!({"duration": bad})), "result.duration");
    }
    for good in ["PT4H35M59.14S", "P3Y1M29DT4H35M59.14S", "P4W"] {
        assert_valid(&with_result(json!({"duration": good})));
    }
}

#[test]
fn result_extension_keys_must_be_iris() {
    assert_invalid_at(
        &with_result(json!({"extensions": {"ext": 1}})),
        "result.extensions.ext",
    );
}

#[test]
fn full_context_is_valid() {
    assert_valid(&with_context(json!({
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {"objectType": "Agent", "mbox": "mailto:teacher@example.com"},
        "team": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
        "contextActivities": {
            "parent": [{"id": "http://example.com/course/rust"}],
            "grouping": {"objectType": "Activity", "id": "http://example.com/programme"},
            "category": [{"id": "http://example.com/profile", "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}],
            "other": []
        },
        "revision": "1.2",
        "platform": "Caravan",
        "language": "cmn",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
        "extensions": {"http://example.com/ext": {"a": [1, null]}}
    })));
}

#[test]
fn registration_must_be_uuid() {
    assert_invalid_at(
        &with_context(json!({"registration": "MA97B177-9383-4934-8543-0F91A7A02836"})),
        "context.registration",
    );
    assert_invalid_at(
        &with_context(json!({"registration": null})),
        "context.registration",
    );
}

#[test]
fn instructor_may_be_agent_or_group_team_must_be_group() {
    assert_valid(&with_context(
        json!({"instructor": {"objectType": "Group", "openid": "http://openid.example.org/12345"}}),
    ));
    assert_invalid_at(
        &with_context(json!({"instructor": {"mbox": "http://should.fail.com"}})),
        "context.instructor.mbox",
    );
    assert_invalid_at(
        &with_context(json!({"team": {"mbox": "mailto:team@example.com"}})),
        "context.team.objectType",
    );
    assert_invalid_at(
        &with_context(json!({"team": {"objectType": "Group"}})),
        "context.team.member",
    );
}

#[test]
fn context_activities_shapes() {
    assert_invalid_at(
        &with_context(json!({"contextActivities": {"parent": "http://x.example"}})),
        "context.contextActivities.parent",
    );
    assert_invalid_at(
        &with_context(json!({"contextActivities": {"parent": [{"id": "x"}]}})),
        "context.contextActivities.parent[0].id",
    );
    assert_invalid_at(
        &with_context(json!({"contextActivities": {"Parent": []}})),
        "context.contextActivities.Parent",
    );
    assert_invalid_at(
        &with_context(
            json!({"contextActivities": {"other": [{"objectType": "Agent", "mbox": "mailto:a@example.com"}]}}),
        ),
        "context.contextActivities.other[0].objectType",
    );
}

// Data 2.4.6: revision/platform only when the object is an Activity.
#[test]
fn revision_and_platform_need_activity_object() {
    let agent_object = set(
        base(),
        "object",
        json!({"objectType": "Agent", "mbox": "mailto:o@example.com"}),
    );
    assert_invalid_at(
        &set(agent_object.clone(), "context", json!({"revision": "1"})),
        "context.revision",
    );
    assert_invalid_at(
        &set(agent_object, "context", json!({"platform": "web"})),
        "context.platform",
    );
    assert_invalid_at(&with_context(json!({"platform": 1})), "context.platform");
}

#[test]
fn context_language_and_statement() {
    assert_invalid_at(
        &with_context(json!({"language": "something"})),
        "context.language",
    );
    assert_valid(&with_context(json!({"language": "fr-CA"})));
    assert_invalid_at(
        &with_context(json!({"statement": {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}})),
        "context.statement.objectType",
    );
    assert_invalid_at(
        &with_context(json!({"statement": {"objectType": "StatementRef", "id": 12345}})),
        "context.statement.id",
    );
    assert_invalid_at(
        &with_context(json!({"extensions": {"example.com/extension/wrong": 1234}})),
        "context.extensions.example.com/extension/wrong",
    );
}

fn context_agents() -> Value {
    json!({"contextAgents": [{
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/xapi/activity-types/team/a"]
    }]})
}

fn context_groups() -> Value {
    json!({"contextGroups": [{
        "objectType": "contextGroup",
        "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com",
                  "member": [{"objectType": "Agent", "mbox": "mailto:player-1@example.com"}]},
        "relevantTypes": ["https://example.com/xapi/activity-types/team/b"]
    }]})
}

// xAPI 2.0 Data 2.4.6.3/2.4.6.4: new properties, unknown to 1.0.3.
#[test]
fn context_agents_and_groups_are_2_0_only() {
    for c in [context_agents(), context_groups()] {
        let stmt = with_context(c);
        assert!(check(&stmt, V2_0_0).is_ok());
        let key = stmt["context"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        assert_invalid_at_v(&stmt, V1_0_3, &format!("context.{key}"));
    }
}

#[test]
fn context_agent_rules() {
    let p = "context.contextAgents[0]";
    let c = |pointer: &str, v: Value| with_context(set(context_agents(), pointer, v));
    assert_invalid_at_v(
        &c("contextAgents/0/objectType", json!("Should fail")),
        V2_0_0,
        &format!("{p}.objectType"),
    );
    assert_invalid_at_v(
        &c("contextAgents/0/agent", json!({"key": "Should fail"})),
        V2_0_0,
        &format!("{p}.agent.key"),
    );
    assert_invalid_at_v(
        &c("contextAgents/0/relevantTypes", json!([])),
        V2_0_0,
        &format!("{p}.relevantTypes"),
    );
    assert_invalid_at_v(
        &c("contextAgents/0/relevantTypes", json!(["abc"])),
        V2_0_0,
        &format!("{p}.relevantTypes[0]"),
    );
    assert_invalid_at_v(
        &c(
            "contextAgents/0/agent",
            json!({"objectType": "Group", "mbox": "mailto:g@example.com"}),
        ),
        V2_0_0,
        &format!("{p}.agent"),
    );
    assert_invalid_at_v(
        &with_context(json!({"contextAgents": {}})),
        V2_0_0,
        "context.contextAgents",
    );
}

#[test]
fn context_group_rules() {
    let p = "context.contextGroups[0]";
    let c = |pointer: &str, v: Value| with_context(set(context_groups(), pointer, v));
    assert_invalid_at_v(
        &c("contextGroups/0/objectType", json!("contextAgent")),
        V2_0_0,
        &format!("{p}.objectType"),
    );
    assert_invalid_at_v(
        &c("contextGroups/0/group", json!({"key": "Should fail"})),
        V2_0_0,
        &format!("{p}.group.objectType"),
    );
    assert_invalid_at_v(
        &c("contextGroups/0/relevantTypes", json!([])),
        V2_0_0,
        &format!("{p}.relevantTypes"),
    );
    assert_invalid_at_v(
        &c("contextGroups/0/member", json!([])),
        V2_0_0,
        &format!("{p}.member"),
    );
}

// Data 2.4.11: attachment metadata.
#[test]
fn attachment_is_valid() {
    assert_valid(&set(base(), "attachments", json!([attachment()])));
    let minimal = json!({"usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"es": "firma"}, "contentType": "application/octet-stream",
        "length": 0, "sha2": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"});
    assert_valid(&set(base(), "attachments", json!([minimal])));
}

#[test]
fn attachment_rules() {
    let a = |key: &str, v: Value| set(base(), "attachments", json!([set(attachment(), key, v)]));
    let p = "attachments[0]";
    assert_invalid_at(
        &a("usageType", json!("example.com/attachment-usage/test")),
        &format!("{p}.usageType"),
    );
    assert_invalid_at(
        &a("display", json!({"something": "x"})),
        &format!("{p}.display.something"),
    );
    assert_invalid_at(
        &a("description", json!({"en-US": "x", "something": "y"})),
        &format!("{p}.description.something"),
    );
    assert_invalid_at(
        &a("contentType", json!("plain text")),
        &format!("{p}.contentType"),
    );
    assert_invalid_at(&a("length", json!(27.5)), &format!("{p}.length"));
    assert_invalid_at(&a("length", json!("27")), &format!("{p}.length"));
    assert_invalid_at(&a("sha2", json!("not-hex")), &format!("{p}.sha2"));
    assert_invalid_at(
        &a("fileUrl", json!("over.there.com/file.txt")),
        &format!("{p}.fileUrl"),
    );
    assert_invalid_at(
        &a("FileUrl", json!("http://x.example")),
        &format!("{p}.FileUrl"),
    );
    assert_invalid_at(
        &set(base(), "attachments", json!(attachment())),
        "attachments",
    );
}

#[test]
fn attachment_required_fields() {
    for key in ["usageType", "display", "contentType", "length", "sha2"] {
        let mut att = attachment();
        att.as_object_mut().unwrap().remove(key);
        let stmt = set(base(), "attachments", json!([att]));
        assert_invalid_at(&stmt, &format!("attachments[0].{key}"));
    }
}
