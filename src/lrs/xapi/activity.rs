//! Activities and Activity Definitions, including interaction activities
//! (xAPI Data 2.4.4.1 "When the ObjectType is Activity").

use serde_json::Value;

use super::formats::{
    as_array, as_object, as_str, check_extensions, check_iri, check_keys, check_language_map, fail,
    index, join, require, VResult,
};

const ACTIVITY_KEYS: &[&str] = &["objectType", "id", "definition"];
const DEFINITION_KEYS: &[&str] = &[
    "name",
    "description",
    "type",
    "moreInfo",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
    "extensions",
];
const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];

/// Data 2.4.4.1 table "Interaction Types" plus the component lists each one
/// may carry ("Interaction Components" table). Matching is case-sensitive
/// (XAPI-00009 rejects `choiCe`).
fn allowed_components(interaction_type: &str) -> Option<&'static [&'static str]> {
    Some(match interaction_type {
        "choice" | "sequencing" => &["choices"],
        "likert" => &["scale"],
        "matching" => &["source", "target"],
        "performance" => &["steps"],
        "true-false" | "fill-in" | "long-fill-in" | "numeric" | "other" => &[],
        _ => return None,
    })
}

/// An Activity: `id` IRI required; objectType, when present, is "Activity".
pub(crate) fn validate_activity(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    if obj
        .get("objectType")
        .is_some_and(|t| t.as_str() != Some("Activity"))
    {
        return fail(&join(path, "objectType"), "must be \"Activity\"");
    }
    check_keys(obj, ACTIVITY_KEYS, path)?;
    check_iri(require(obj, "id", path)?, &join(path, "id"))?;
    if let Some(def) = obj.get("definition") {
        validate_definition(def, &join(path, "definition"))?;
    }
    Ok(())
}

/// Data 2.4.4.1 Activity Definition: an object that *uses* these properties, so one with none
/// of them (`{}`) is valid (Data 2.4.4.1.s2), in statements and sub-statements alike.
fn validate_definition(v: &Value, path: &str) -> VResult {
    let def = as_object(v, path)?;
    check_keys(def, DEFINITION_KEYS, path)?;
    for key in ["name", "description"] {
        if let Some(m) = def.get(key) {
            check_language_map(m, &join(path, key))?;
        }
    }
    // type is an IRI, moreInfo an IRL; both need a scheme (XAPI-00011).
    for key in ["type", "moreInfo"] {
        if let Some(i) = def.get(key) {
            check_iri(i, &join(path, key))?;
        }
    }
    if let Some(e) = def.get("extensions") {
        check_extensions(e, &join(path, "extensions"))?;
    }
    let allowed: &[&str] = match def.get("interactionType") {
        Some(t) => {
            let p = join(path, "interactionType");
            let s = as_str(t, &p)?;
            match allowed_components(s) {
                Some(a) => a,
                None => return fail(&p, format!("`{s}` is not an xAPI interaction type")),
            }
        }
        None => {
            // Interaction properties only make sense on an interaction Activity.
            let stray = COMPONENT_LISTS
                .iter()
                .chain(["correctResponsesPattern"].iter())
                .find(|k| def.contains_key(**k));
            if let Some(k) = stray {
                return fail(&join(path, k), "requires an interactionType");
            }
            return Ok(());
        }
    };
    if let Some(crp) = def.get("correctResponsesPattern") {
        let p = join(path, "correctResponsesPattern");
        for (i, item) in as_array(crp, &p)?.iter().enumerate() {
            as_str(item, &index(&p, i))?;
        }
    }
    for key in COMPONENT_LISTS {
        let Some(list) = def.get(key) else { continue };
        let p = join(path, key);
        if !allowed.contains(&key) {
            return fail(&p, "not allowed for this interactionType");
        }
        validate_components(list, &p)?;
    }
    Ok(())
}

/// Interaction Component: `id` string required, `description` a Language
/// Map; ids are unique within one list (Data 2.4.4.1, "Interaction
/// Components" requirements).
fn validate_components(v: &Value, path: &str) -> VResult {
    let list = as_array(v, path)?;
    let mut seen: Vec<&str> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let p = index(path, i);
        let c = as_object(item, &p)?;
        check_keys(c, &["id", "description"], &p)?;
        let id_path = join(&p, "id");
        let id = as_str(require(c, "id", &p)?, &id_path)?;
        if id.is_empty() {
            return fail(&id_path, "must not be empty");
        }
        if seen.contains(&id) {
            return fail(
                &id_path,
                format!("duplicate interaction component id `{id}`"),
            );
        }
        seen.push(id);
        if let Some(d) = c.get("description") {
            check_language_map(d, &join(&p, "description"))?;
        }
    }
    Ok(())
}
