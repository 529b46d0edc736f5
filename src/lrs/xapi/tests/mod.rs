//! Statement validation tests. Each test starts from a minimal valid
//! statement and changes one thing, so a failure points at one rule.

mod actor;
mod context;
mod object;
mod statement;

use serde_json::{json, Value};

use super::{normalise_agent_ifi, validate_statement, StatementError, XapiVersion};

pub(super) const BOTH: [XapiVersion; 2] = [XapiVersion::V1_0_3, XapiVersion::V2_0_0];

pub(super) fn base() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": { "objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com" },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": { "en-US": "completed" }
        },
        "object": { "objectType": "Activity", "id": "http://example.com/activities/rust-101" }
    })
}

/// Sets `value` at a `/`-separated pointer, creating objects on the way.
pub(super) fn set(mut stmt: Value, pointer: &str, value: Value) -> Value {
    put(&mut stmt, &pointer.split('/').collect::<Vec<_>>(), value);
    stmt
}

fn put(cur: &mut Value, parts: &[&str], value: Value) {
    let (head, rest) = parts.split_first().expect("non-empty pointer");
    let slot = match cur {
        Value::Array(arr) => &mut arr[head.parse::<usize>().expect("array index")],
        Value::Object(obj) => obj.entry(*head).or_insert_with(|| json!({})),
        _ => panic!("pointer walks through a scalar"),
    };
    if rest.is_empty() {
        *slot = value;
    } else {
        put(slot, rest, value);
    }
}

pub(super) fn remove(mut stmt: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = if parent.is_empty() {
        &mut stmt
    } else {
        stmt.pointer_mut(&format!("/{parent}"))
            .expect("parent exists")
    };
    target.as_object_mut().expect("object").remove(key);
    stmt
}

pub(super) fn check(stmt: &Value, v: XapiVersion) -> Result<(), StatementError> {
    validate_statement(stmt, v)
}

#[track_caller]
pub(super) fn assert_valid(stmt: &Value) {
    for v in BOTH {
        if let Err(e) = check(stmt, v) {
            panic!("expected valid under {v:?}, got {e}");
        }
    }
}

#[track_caller]
pub(super) fn assert_invalid_at(stmt: &Value, path: &str) {
    for v in BOTH {
        assert_invalid_at_v(stmt, v, path);
    }
}

#[track_caller]
pub(super) fn assert_invalid_at_v(stmt: &Value, v: XapiVersion, path: &str) {
    match check(stmt, v) {
        Ok(()) => panic!("expected error at `{path}` under {v:?}, statement was accepted"),
        Err(e) => assert_eq!(e.path, path, "under {v:?}: {e}"),
    }
}

#[test]
fn header_versions() {
    for h in [
        "1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", " 1.0.3 ", "1.0.9",
    ] {
        assert_eq!(
            XapiVersion::parse_header(h),
            Some(XapiVersion::V1_0_3),
            "{h}"
        );
    }
    for h in ["2.0", "2.0.0", "2.0.1"] {
        assert_eq!(
            XapiVersion::parse_header(h),
            Some(XapiVersion::V2_0_0),
            "{h}"
        );
    }
    for h in [
        "1", "1.0.", "1.0.x", "1.01", "0.95", "2.1.0", "1.1.0", "3.0.0", "",
    ] {
        assert_eq!(XapiVersion::parse_header(h), None, "{h}");
    }
    assert_eq!(XapiVersion::V2_0_0.as_str(), "2.0.0");
}

#[test]
fn error_display_uses_statement_prefix() {
    let e = StatementError::new("actor.mbox", "bad");
    assert_eq!(e.to_string(), "statement.actor.mbox: bad");
    assert_eq!(StatementError::new("", "bad").to_string(), "statement: bad");
}

#[test]
fn base_statement_is_valid() {
    assert_valid(&base());
}

#[test]
fn ifi_keys_are_canonical() {
    let cases = [
        (json!({"mbox": "mailto:a@b.c"}), "mbox:mailto:a@b.c"),
        (json!({"mbox": "MAILTO:a@b.c"}), "mbox:mailto:a@b.c"),
        (
            json!({"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}),
            "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
        ),
        (
            json!({"openid": "http://openid.example.org/12345"}),
            "openid:http://openid.example.org/12345",
        ),
        (
            json!({"objectType": "Group", "account": {"homePage": "https://home", "name": "n"}}),
            "account:https://home|n",
        ),
    ];
    for (agent, key) in cases {
        assert_eq!(normalise_agent_ifi(&agent).as_deref(), Some(key));
    }
}

#[test]
fn ifi_key_requires_exactly_one_valid_ifi() {
    for agent in [
        json!({"name": "nobody"}),
        json!({"mbox": "mailto:a@b.c", "openid": "http://x.example"}),
        json!({"mbox": "a@b.c"}),
        json!({"account": {"homePage": "home", "name": "n"}}),
        json!({"account": {"homePage": "https://home"}}),
        json!({"mbox_sha1sum": "abc"}),
        json!("mailto:a@b.c"),
    ] {
        assert_eq!(normalise_agent_ifi(&agent), None, "{agent}");
    }
}
