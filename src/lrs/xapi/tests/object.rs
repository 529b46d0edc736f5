//! Object rules: Activity + Definition + interactions, Agent/Group as
//! object, StatementRef, SubStatement (Data 2.4.4).

use serde_json::{json, Value};

use super::{assert_invalid_at, assert_valid, base, remove, set};

fn with_definition(def: Value) -> Value {
    set(base(), "object/definition", def)
}

fn substatement() -> Value {
    json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}},
        "object": {"id": "http://www.example.com/meetings/occurances/34534"}
    })
}

#[test]
fn activity_with_full_definition_is_valid() {
    let def = json!({
        "name": {"en-GB": "example meeting", "de-DE": "Beispiel"},
        "description": {"zh-Hant": "說明"},
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "moreInfo": "http://virtualmeeting.example.com/345256",
        "extensions": {"http://example.com/profiles/meetings/extension/location": "X:\\meetings"}
    });
    assert_valid(&with_definition(def));
}

// Data 2.4.4.1: objectType is optional for Activities.
#[test]
fn activity_object_type_optional() {
    assert_valid(&remove(base(), "object/objectType"));
}

#[test]
fn activity_id_required_and_iri() {
    assert_invalid_at(&remove(base(), "object/id"), "object.id");
    assert_invalid_at(
        &set(base(), "object/id", json!("ab=c://should.fail.com")),
        "object.id",
    );
    assert_invalid_at(&set(base(), "object/id", json!(12345)), "object.id");
    assert_invalid_at(&set(base(), "object", json!({})), "object.id");
}

#[test]
fn activity_unknown_key_and_bad_object_type() {
    assert_invalid_at(&set(base(), "object/name", json!("x")), "object.name");
    assert_invalid_at(
        &set(base(), "object/objectType", json!("activity")),
        "object.objectType",
    );
    assert_invalid_at(
        &set(base(), "object/objectType", json!("Statement")),
        "object.objectType",
    );
}

/// Data 2.4.4.1.s2: a definition *uses* these properties; none of them (`{}`) is valid.
#[test]
fn definition_must_be_an_object_and_may_be_empty() {
    assert_invalid_at(&with_definition(json!("should error")), "object.definition");
    assert_valid(&with_definition(json!({})));
    let mut sub = substatement();
    sub["object"]["definition"] = json!({});
    assert_valid(&set(base(), "object", sub));
    assert_invalid_at(
        &with_definition(json!({"title": {"en": "x"}})),
        "object.definition.title",
    );
}

#[test]
fn definition_language_maps_checked() {
    assert_invalid_at(
        &with_definition(json!({"name": 12345})),
        "object.definition.name",
    );
    assert_invalid_at(
        &with_definition(json!({"name": {"something": "x"}})),
        "object.definition.name.something",
    );
    assert_invalid_at(
        &with_definition(json!({"description": {"en": 1}})),
        "object.definition.description.en",
    );
}

#[test]
fn definition_type_and_more_info_need_scheme() {
    assert_invalid_at(
        &with_definition(json!({"type": "should error"})),
        "object.definition.type",
    );
    assert_invalid_at(
        &with_definition(json!({"moreInfo": "virtualmeeting.example.com"})),
        "object.definition.moreInfo",
    );
    assert_invalid_at(
        &with_definition(json!({"moreInfo": null})),
        "object.definition.moreInfo",
    );
}

// Data 2.4.6.4 applies to activity extensions too; values may be null.
#[test]
fn definition_extensions_keys_are_iris_values_free() {
    assert_invalid_at(
        &with_definition(json!({"extensions": {"not.valid.com/extension": 1234}})),
        "object.definition.extensions.not.valid.com/extension",
    );
    assert_valid(&with_definition(
        json!({"extensions": {"http://example.com/null": null}}),
    ));
    assert_invalid_at(
        &with_definition(json!({"extensions": []})),
        "object.definition.extensions",
    );
}

#[test]
fn every_interaction_type_is_accepted() {
    for t in [
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    ] {
        let def = json!({"interactionType": t, "correctResponsesPattern": ["x"]});
        assert_valid(&with_definition(def));
    }
}

// XAPI-00009: interactionType values are case-sensitive.
#[test]
fn interaction_type_case_and_value() {
    for t in [
        json!("true-faLse"),
        json!("choiCe"),
        json!("Other"),
        json!("essay"),
        json!(1),
    ] {
        assert_invalid_at(
            &with_definition(json!({"interactionType": t})),
            "object.definition.interactionType",
        );
    }
}

#[test]
fn choice_and_sequencing_use_choices() {
    for t in ["choice", "sequencing"] {
        let def = json!({
            "interactionType": t,
            "correctResponsesPattern": ["golf[,]tetris"],
            "choices": [
                {"id": "golf", "description": {"en-US": "Golf Example"}},
                {"id": "tetris", "description": {"ja": "テトリス"}}
            ]
        });
        assert_valid(&with_definition(def));
    }
}

#[test]
fn likert_matching_performance_components() {
    let likert = json!({"interactionType": "likert", "scale": [{"id": "likert_0", "description": {"sr-Latn-RS": "x"}}]});
    assert_valid(&with_definition(likert));
    let matching = json!({"interactionType": "matching",
        "source": [{"id": "ben"}], "target": [{"id": "3"}], "correctResponsesPattern": ["ben[.]3"]});
    assert_valid(&with_definition(matching));
    let performance = json!({"interactionType": "performance", "steps": [{"id": "pong"}]});
    assert_valid(&with_definition(performance));
}

// Components are only valid for the interaction types that define them.
#[test]
fn components_must_match_interaction_type() {
    let def = json!({"interactionType": "performance", "scale": [{"id": "x"}]});
    assert_invalid_at(&with_definition(def), "object.definition.scale");
    let def = json!({"interactionType": "true-false", "choices": [{"id": "x"}]});
    assert_invalid_at(&with_definition(def), "object.definition.choices");
    let def = json!({"choices": [{"id": "x"}]});
    assert_invalid_at(&with_definition(def), "object.definition.choices");
    let def = json!({"correctResponsesPattern": ["x"]});
    assert_invalid_at(
        &with_definition(def),
        "object.definition.correctResponsesPattern",
    );
}

#[test]
fn component_shape_rules() {
    let list = |c: Value| with_definition(json!({"interactionType": "choice", "choices": c}));
    assert_invalid_at(&list(json!({"id": "valid"})), "object.definition.choices");
    assert_invalid_at(
        &list(json!([{"description": {"en-US": "x"}}])),
        "object.definition.choices[0].id",
    );
    assert_invalid_at(
        &list(json!([{"id": {"test": "value"}}])),
        "object.definition.choices[0].id",
    );
    assert_invalid_at(
        &list(json!([{"id": "a", "description": "x"}])),
        "object.definition.choices[0].description",
    );
    assert_invalid_at(
        &list(json!([{"id": "a", "description": {"test": "value"}}])),
        "object.definition.choices[0].description.test",
    );
    assert_invalid_at(
        &list(json!([{"id": "a"}, {"id": "a"}])),
        "object.definition.choices[1].id",
    );
}

#[test]
fn correct_responses_pattern_is_array_of_strings() {
    let def = json!({"interactionType": "fill-in", "correctResponsesPattern": "Bob"});
    assert_invalid_at(
        &with_definition(def),
        "object.definition.correctResponsesPattern",
    );
    let def = json!({"interactionType": "numeric", "correctResponsesPattern": [4]});
    assert_invalid_at(
        &with_definition(def),
        "object.definition.correctResponsesPattern[0]",
    );
}

// Data 2.4.4.2: Agents/Groups as object need an explicit objectType.
#[test]
fn agent_and_group_as_object() {
    assert_valid(&set(
        base(),
        "object",
        json!({"objectType": "Agent", "mbox": "mailto:o@example.com"}),
    ));
    assert_valid(&set(
        base(),
        "object",
        json!({"objectType": "Group", "member": [{"mbox": "mailto:o@example.com"}]}),
    ));
    // Without objectType the object is read as an Activity and fails there.
    assert_invalid_at(
        &set(base(), "object", json!({"mbox": "mailto:o@example.com"})),
        "object.mbox",
    );
    assert_invalid_at(
        &set(base(), "object", json!({"objectType": "Group"})),
        "object.member",
    );
}

#[test]
fn statement_ref_rules() {
    let good = json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"});
    assert_valid(&set(base(), "object", good.clone()));
    assert_invalid_at(
        &set(
            base(),
            "object",
            set(
                good.clone(),
                "id",
                json!("AA97B177-9383-4934-8543-0F91A7A028368"),
            ),
        ),
        "object.id",
    );
    assert_invalid_at(
        &set(base(), "object", remove(good.clone(), "id")),
        "object.id",
    );
    assert_invalid_at(
        &set(base(), "object", set(good, "definition", json!({}))),
        "object.definition",
    );
}

#[test]
fn substatement_is_valid() {
    let sub = set(
        substatement(),
        "timestamp",
        json!("2013-05-18T05:32:34.804Z"),
    );
    let sub = set(sub, "result", json!({"success": true}));
    assert_valid(&set(base(), "object", sub));
}

// Data 2.4.4.3: a SubStatement MUST NOT have id, stored, version, authority.
#[test]
fn substatement_forbidden_properties() {
    for (key, value) in [
        ("id", json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0")),
        ("stored", json!("2013-05-18T05:32:34.804Z")),
        ("version", json!("1.0.0")),
        ("authority", json!({"mbox": "mailto:a@example.com"})),
    ] {
        let stmt = set(base(), "object", set(substatement(), key, value));
        assert_invalid_at(&stmt, &format!("object.{key}"));
    }
}

#[test]
fn substatement_cannot_nest() {
    let inner = substatement();
    let outer = set(substatement(), "object", inner);
    assert_invalid_at(&set(base(), "object", outer), "object.object.objectType");
}

#[test]
fn substatement_parts_are_validated() {
    let sub = set(substatement(), "verb/display", json!({"something": "x"}));
    assert_invalid_at(&set(base(), "object", sub), "object.verb.display.something");
    let sub = remove(substatement(), "actor");
    assert_invalid_at(&set(base(), "object", sub), "object.actor");
    let sub = set(
        substatement(),
        "timestamp",
        json!("2008-09-15T15:53:00.601-00:00"),
    );
    assert_invalid_at(&set(base(), "object", sub), "object.timestamp");
}
