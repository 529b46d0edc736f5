//! Agent / Group / IFI rules (Data 2.4.2).

use serde_json::json;

use super::{assert_invalid_at, assert_valid, base, set};

#[test]
fn agent_with_each_ifi_is_valid() {
    for actor in [
        json!({"mbox": "mailto:xapi@adlnet.gov"}),
        json!({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}),
        json!({"openid": "http://openid.example.org/12345"}),
        json!({"account": {"homePage": "http://www.example.com", "name": "xAPI account name"}}),
    ] {
        assert_valid(&set(base(), "actor", actor));
    }
}

// Data 2.4.2.1: exactly one IFI.
#[test]
fn agent_needs_exactly_one_ifi() {
    assert_invalid_at(&set(base(), "actor", json!({"name": "nobody"})), "actor");
    let two = json!({"mbox": "mailto:a@example.com", "openid": "http://openid.example.org/1"});
    assert_invalid_at(&set(base(), "actor", two), "actor");
    assert_invalid_at(&set(base(), "actor", json!({})), "actor");
}

// XAPI-00038: mbox is a mailto IRI carrying an address.
#[test]
fn mbox_must_be_mailto_address() {
    for bad in [
        "http://should.fail.com",
        "mailto:should.fail.com",
        "xapi@adlnet.gov",
        "mailto:",
    ] {
        assert_invalid_at(&set(base(), "actor/mbox", json!(bad)), "actor.mbox");
    }
}

// XAPI-00039: mbox_sha1sum is a string of 40 hex digits.
#[test]
fn mbox_sha1sum_must_be_hex_string() {
    for bad in [
        json!({"key": "value"}),
        json!("cd9b00a5611f94eaa7b1661edab976068e36497"),
        json!("zz9b00a5611f94eaa7b1661edab976068e364975"),
    ] {
        let actor = json!({"mbox_sha1sum": bad});
        assert_invalid_at(&set(base(), "actor", actor), "actor.mbox_sha1sum");
    }
}

#[test]
fn openid_must_be_uri() {
    let actor = json!({"openid": "open.id.com/testUser"});
    assert_invalid_at(&set(base(), "actor", actor), "actor.openid");
}

// Data 2.4.2.4: account needs an IRL homePage and a string name, nothing else.
#[test]
fn account_rules() {
    let no_home = json!({"account": {"name": "n"}});
    assert_invalid_at(&set(base(), "actor", no_home), "actor.account.homePage");
    let bad_home = json!({"account": {"homePage": "homePage.com/testUser", "name": "123456"}});
    assert_invalid_at(&set(base(), "actor", bad_home), "actor.account.homePage");
    let no_name = json!({"account": {"homePage": "http://example.com"}});
    assert_invalid_at(&set(base(), "actor", no_name), "actor.account.name");
    let obj_name = json!({"account": {"homePage": "http://example.com", "name": {"key": "x"}}});
    assert_invalid_at(&set(base(), "actor", obj_name), "actor.account.name");
    let extra = json!({"account": {"homePage": "http://example.com", "name": "n", "id": 1}});
    assert_invalid_at(&set(base(), "actor", extra), "actor.account.id");
}

#[test]
fn agent_name_must_be_string_and_keys_known() {
    assert_invalid_at(&set(base(), "actor/name", json!(123)), "actor.name");
    assert_invalid_at(&set(base(), "actor/member", json!([])), "actor.member");
    assert_invalid_at(
        &set(base(), "actor/Mbox", json!("mailto:a@b.c")),
        "actor.Mbox",
    );
}

// XAPI-00009: enumerated objectType values are case-sensitive.
#[test]
fn actor_object_type_values() {
    assert_invalid_at(
        &set(base(), "actor/objectType", json!("agent")),
        "actor.objectType",
    );
    assert_invalid_at(
        &set(base(), "actor/objectType", json!("Activity")),
        "actor.objectType",
    );
    assert_invalid_at(
        &set(base(), "actor/objectType", json!(123)),
        "actor.objectType",
    );
    assert_valid(&set(
        base(),
        "actor",
        json!({"mbox": "mailto:a@example.com"}),
    ));
}

#[test]
fn identified_groups_with_and_without_members_are_valid() {
    let g = json!({"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com"});
    assert_valid(&set(base(), "actor", g.clone()));
    let with_members = set(g, "member", json!([{"mbox": "mailto:a@example.com"}]));
    assert_valid(&set(base(), "actor", with_members));
}

#[test]
fn anonymous_group_with_members_is_valid() {
    let g = json!({"objectType": "Group", "member": [
        {"objectType": "Agent", "mbox": "mailto:a@example.com"},
        {"account": {"homePage": "http://example.com", "name": "b"}}
    ]});
    assert_valid(&set(base(), "actor", g));
}

// XAPI-00035: an anonymous Group must list members.
#[test]
fn anonymous_group_needs_members() {
    let none = json!({"objectType": "Group", "name": "nobody"});
    assert_invalid_at(&set(base(), "actor", none), "actor.member");
    let empty = json!({"objectType": "Group", "member": []});
    assert_invalid_at(&set(base(), "actor", empty), "actor.member");
}

// XAPI-00036: member is an array of Agents.
#[test]
fn group_member_must_be_array_of_agents() {
    let not_array = json!({"objectType": "Group", "member": {"mbox": "mailto:a@example.com"}});
    assert_invalid_at(&set(base(), "actor", not_array), "actor.member");
    let nested = json!({"objectType": "Group", "member": [
        {"objectType": "Group", "mbox": "mailto:inner@example.com"}
    ]});
    assert_invalid_at(&set(base(), "actor", nested), "actor.member[0]");
    let bad_agent = json!({"objectType": "Group", "member": [{"name": "no ifi"}]});
    assert_invalid_at(&set(base(), "actor", bad_agent), "actor.member[0]");
}

// XAPI-00037: a Group uses at most one IFI.
#[test]
fn group_with_two_ifis_rejected() {
    let g = json!({"objectType": "Group", "mbox": "mailto:t@example.com",
        "openid": "http://openid.example.org/1"});
    assert_invalid_at(&set(base(), "actor", g), "actor");
}

#[test]
fn group_with_invalid_ifi_rejected() {
    let g = json!({"objectType": "Group", "account": {"name": {"key": "x"}, "homePage": "http://x.example"}});
    assert_invalid_at(&set(base(), "actor", g), "actor.account.name");
}

// Groups used as the statement object follow the same member rules.
#[test]
fn group_object_member_rules() {
    let g = json!({"objectType": "Group", "member": [{"objectType": "Group", "member": []}]});
    assert_invalid_at(&set(base(), "object", g), "object.member[0]");
}

// The mailto scheme is case-insensitive (RFC 3986 3.1).
#[test]
fn mailto_scheme_case_insensitive() {
    assert_valid(&set(base(), "actor/mbox", json!("MailTo:ada@example.com")));
}
