//! Top-level Statement rules: allowed keys, id, version, timestamps, nulls,
//! voiding, authority.

use serde_json::json;

use super::{assert_invalid_at, assert_invalid_at_v, assert_valid, base, check, remove, set};
use crate::lrs::xapi::XapiVersion::{V1_0_3, V2_0_0};

// Data 2.2 (XAPI-00003..05): actor, verb and object are required.
#[test]
fn actor_verb_object_are_required() {
    for key in ["actor", "verb", "object"] {
        assert_invalid_at(&remove(base(), key), key);
    }
}

// Data 2.4.1: id is optional on input; the LRS assigns one.
#[test]
fn id_is_optional() {
    assert_valid(&remove(base(), "id"));
}

// Data 4.1 / XAPI-00027: any RFC 4122 string form, either case.
#[test]
fn id_accepts_upper_case_and_any_variant() {
    assert_valid(&set(
        base(),
        "id",
        json!("AA97B177-9383-4934-8543-0F91A7A02836"),
    ));
    assert_valid(&set(
        base(),
        "id",
        json!("00000000-0000-0000-0000-000000000000"),
    ));
}

// XAPI-00007 / uuids.js: too many digits, non-hex letters, wrong JSON types.
#[test]
fn id_rejects_malformed_uuids() {
    for bad in [
        json!("AA97B177-9383-4934-8543-0F91A7A028368"),
        json!("MA97B177-9383-4934-8543-0F91A7A02836"),
        json!("aa97b17793834934854 30f91a7a02836"),
        json!(""),
        json!(12345),
        json!({"key": "should fail"}),
    ] {
        assert_invalid_at(&set(base(), "id", bad), "id");
    }
}

// XAPI-00008/00010: keys are case-sensitive and unknown keys are refused.
#[test]
fn unknown_or_miscased_top_level_keys_rejected() {
    for key in [
        "iD",
        "Actor",
        "veRb",
        "timeStamp",
        "Version",
        "attachmentS",
        "objectType",
    ] {
        assert_invalid_at(&set(base(), key, json!("x")), key);
    }
}

// XAPI-00001: null is never a value, outside extensions.
#[test]
fn null_values_rejected() {
    assert_invalid_at(&set(base(), "actor/name", json!(null)), "actor.name");
    assert_invalid_at(
        &set(base(), "verb/display/en-US", json!(null)),
        "verb.display.en-US",
    );
    assert_invalid_at(&set(base(), "timestamp", json!(null)), "timestamp");
}

// The statement itself must be an object.
#[test]
fn non_object_statement_rejected() {
    assert_invalid_at(&json!([base()]), "");
    assert_invalid_at(&json!("statement"), "");
}

// Data 2.4.10 (XAPI-00101): "1.0" or "1.0.x" under 1.0.3.
#[test]
fn version_1_0_family_accepted_by_both() {
    for v in ["1.0", "1.0.0", "1.0.3", "1.0.9"] {
        assert_valid(&set(base(), "version", json!(v)));
    }
}

// 2.0.0 statements are only meaningful to a 2.0 LRS.
#[test]
fn version_2_0_only_under_2_0_header() {
    let stmt = set(base(), "version", json!("2.0.0"));
    assert!(check(&stmt, V2_0_0).is_ok());
    assert_invalid_at_v(&stmt, V1_0_3, "version");
}

#[test]
fn version_rejects_other_values() {
    for v in [
        json!("0.9.9"),
        json!("1.1.0"),
        json!("should fail"),
        json!("1.0."),
        json!(1.0),
    ] {
        assert_invalid_at(&set(base(), "version", v), "version");
    }
}

// Data 4.5 (XAPI-00123): ISO 8601 timestamps; timestamp and stored alike.
#[test]
fn timestamp_and_stored_accept_rfc3339() {
    let stmt = set(base(), "timestamp", json!("2008-09-15T15:53:00.601Z"));
    let stmt = set(stmt, "stored", json!("2008-09-15 15:53:00.601+00:00"));
    assert_valid(&stmt);
}

#[test]
fn timestamp_rejects_invalid_strings_and_negative_zero_offsets() {
    for bad in [
        json!("should fail"),
        json!("01/011/2015"),
        json!("2008-09-15T15:53:00.601-00"),
        json!("2008-09-15T15:53:00.601-0000"),
        json!("2008-09-15T15:53:00.601-00:00"),
        json!(1_221_494_000),
    ] {
        assert_invalid_at(&set(base(), "timestamp", bad.clone()), "timestamp");
        assert_invalid_at(&set(base(), "stored", bad), "stored");
    }
}

// 1.0.3 (4.1.7) only says a time zone SHOULD be present; 2.0 requires RFC 3339.
#[test]
fn timestamp_without_offset_only_under_1_0_3() {
    let stmt = set(base(), "timestamp", json!("2008-09-15T15:53:00"));
    assert!(check(&stmt, V1_0_3).is_ok());
    assert_invalid_at_v(&stmt, V2_0_0, "timestamp");
}

#[test]
fn timestamp_basic_format_only_under_1_0_3() {
    let stmt = set(base(), "timestamp", json!("20080915T155300Z"));
    assert!(check(&stmt, V1_0_3).is_ok());
    assert_invalid_at_v(&stmt, V2_0_0, "timestamp");
}

// Data 2.3.2: a voiding statement targets a StatementRef.
#[test]
fn voiding_requires_statement_ref() {
    let voiding = set(
        base(),
        "verb/id",
        json!("http://adlnet.gov/expapi/verbs/voided"),
    );
    assert_invalid_at(&voiding, "object");
    let ok = set(
        voiding,
        "object",
        json!({"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"}),
    );
    assert_valid(&ok);
}

// Data 2.4.9 (XAPI-00024/98): Agent, or anonymous Group of exactly two.
#[test]
fn authority_agent_and_two_member_group_accepted() {
    assert_valid(&set(
        base(),
        "authority",
        json!({"mbox": "mailto:lrs@example.com"}),
    ));
    let group = json!({
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
            {"mbox": "mailto:bob@example.com"}
        ]
    });
    assert_valid(&set(base(), "authority", group));
}

#[test]
fn authority_group_must_be_anonymous_with_two_members() {
    let one = json!({"objectType": "Group", "member": [{"mbox": "mailto:bob@example.com"}]});
    assert_invalid_at(&set(base(), "authority", one), "authority");
    let three = json!({"objectType": "Group", "member": [
        {"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}, {"mbox": "mailto:c@example.com"}
    ]});
    assert_invalid_at(&set(base(), "authority", three), "authority");
    let identified = json!({"objectType": "Group", "openid": "http://openid.example.org/12345",
        "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]});
    assert_invalid_at(&set(base(), "authority", identified), "authority");
}

#[test]
fn authority_must_be_valid_agent() {
    let bad = json!({"mbox": "mailto:lrs@example.com", "account": {"name": "x"}});
    assert_invalid_at(&set(base(), "authority", bad), "authority.account.homePage");
}

// Data 2.4.3: verb id is a required IRI; display is a language map.
#[test]
fn verb_rules() {
    assert_invalid_at(&remove(base(), "verb/id"), "verb.id");
    assert_invalid_at(
        &set(
            base(),
            "verb/id",
            json!("adlnet.gov/expapi/verbs/completed"),
        ),
        "verb.id",
    );
    assert_invalid_at(
        &set(base(), "verb/display", json!("completed")),
        "verb.display",
    );
    assert_invalid_at(
        &set(base(), "verb/display", json!({"something": "x"})),
        "verb.display.something",
    );
    assert_invalid_at(
        &set(base(), "verb/Display", json!({"en": "x"})),
        "verb.Display",
    );
    assert_invalid_at(&set(base(), "verb", json!({})), "verb.id");
    assert_valid(&set(
        base(),
        "verb/display",
        json!({"de": "besucht", "sr-Cyrl": "x"}),
    ));
    assert_valid(&remove(base(), "verb/display"));
}

// XAPI-00011: IRIs need a syntactically valid scheme.
#[test]
fn iri_scheme_rules() {
    assert_invalid_at(
        &set(base(), "verb/id", json!("ab=c://should.fail.com")),
        "verb.id",
    );
    assert_invalid_at(
        &set(base(), "verb/id", json!("http://exa mple.com")),
        "verb.id",
    );
    assert_invalid_at(&set(base(), "verb/id", json!("http://")), "verb.id");
    assert_valid(&set(base(), "verb/id", json!("urn:x-caravan:verb:watched")));
    assert_valid(&set(base(), "verb/id", json!("http://例え.jp/動詞")));
}

// A statement using every top-level property at once, as an LRS echoes it.
#[test]
fn kitchen_sink_statement_is_valid() {
    let stmt = json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"objectType": "Group", "name": "Pair", "member": [
            {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"},
            {"mbox": "MAILTO:b@example.com"}
        ]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"i-klingon": "x"}},
        "object": {"id": "http://example.com/video/intro", "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
        "result": {"extensions": {"https://w3id.org/xapi/video/extensions/progress": 0.5}},
        "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7", "platform": "Caravan"},
        "timestamp": "2024-01-01T00:00:00Z",
        "stored": "2024-01-01T00:00:01.123+01:00",
        "authority": {"account": {"homePage": "https://caravan.example", "name": "lrs"}},
        "version": "1.0.3",
        "attachments": []
    });
    assert_valid(&stmt);
}

// Data 2.4.6: with a SubStatement object, the outer context may not carry
// revision/platform even when the SubStatement's own object is an Activity.
#[test]
fn revision_on_outer_context_of_substatement_rejected() {
    let sub = json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://example.com/a"},
        "context": {"revision": "2"}
    });
    let stmt = set(base(), "object", sub);
    assert_valid(&stmt);
    assert_invalid_at(
        &set(stmt, "context", json!({"revision": "1"})),
        "context.revision",
    );
}

// 2.0 contextAgents are validated inside SubStatements too.
#[test]
fn substatement_context_agents_under_2_0() {
    let sub = json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://example.com/a"},
        "context": {"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@example.com"}}]}
    });
    let stmt = set(base(), "object", sub);
    assert!(check(&stmt, V2_0_0).is_ok());
    assert_invalid_at_v(&stmt, V1_0_3, "object.context.contextAgents");
    let bad = set(
        stmt,
        "object/context/contextAgents/0/relevantTypes",
        json!(["abc"]),
    );
    assert_invalid_at_v(
        &bad,
        V2_0_0,
        "object.context.contextAgents[0].relevantTypes[0]",
    );
}

// Extension values may be null, but a null extensions map itself may not.
#[test]
fn extensions_map_itself_cannot_be_null() {
    assert_invalid_at(
        &set(base(), "result", json!({"extensions": null})),
        "result.extensions",
    );
    assert_valid(&set(
        base(),
        "result",
        json!({"extensions": {"http://example.com/e": null}}),
    ));
}

#[test]
fn public_format_helpers() {
    use crate::lrs::xapi::{is_absolute_iri, is_valid_uuid, is_well_formed_language_tag};
    assert!(is_absolute_iri("mailto:a@b.c"));
    assert!(!is_absolute_iri("http://x.example/%zz"));
    assert!(is_valid_uuid("fd41c918-b88b-4b20-a0a5-a4c32391aaa0"));
    assert!(!is_valid_uuid("fd41c918b88b4b20a0a5a4c32391aaa0"));
    assert!(is_well_formed_language_tag("en-GB-oed"));
}
