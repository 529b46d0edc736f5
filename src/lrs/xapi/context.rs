//! `result` (Data 2.4.5) and `context` (Data 2.4.6) validation.

use serde_json::Value;

use super::activity::validate_activity;
use super::agent::{validate_actor, validate_agent, validate_group};
use super::duration::parse_duration;
use super::formats::{
    as_array, as_object, as_str, check_extensions, check_iri, check_keys, check_language_tag,
    check_uuid, fail, index, join, require, VResult,
};
use super::validate::validate_statement_ref;
use super::XapiVersion;

const RESULT_KEYS: &[&str] = &[
    "score",
    "success",
    "completion",
    "response",
    "duration",
    "extensions",
];
const CONTEXT_KEYS_1: &[&str] = &[
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
];
const CONTEXT_KEYS_2: &[&str] = &[
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
    "contextAgents",
    "contextGroups",
];

pub(crate) fn validate_result(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, RESULT_KEYS, path)?;
    if let Some(s) = obj.get("score") {
        validate_score(s, &join(path, "score"))?;
    }
    // Data 2.2: wrong JSON types are rejected even when the string spells a
    // boolean (XAPI-00006: `"false"`).
    for key in ["success", "completion"] {
        if obj.get(key).is_some_and(|b| !b.is_boolean()) {
            return fail(&join(path, key), "must be a boolean");
        }
    }
    if let Some(r) = obj.get("response") {
        as_str(r, &join(path, "response"))?;
    }
    if let Some(d) = obj.get("duration") {
        let p = join(path, "duration");
        if parse_duration(as_str(d, &p)?).is_none() {
            return fail(&p, "must be an ISO 8601 duration (e.g. PT1H2M3.5S)");
        }
    }
    if let Some(e) = obj.get("extensions") {
        check_extensions(e, &join(path, "extensions"))?;
    }
    Ok(())
}

/// Data 2.4.5.1: scaled in [-1, 1]; min < max; min <= raw <= max
/// (XAPI-00080..83). Numbers sent as strings are rejected (XAPI-00006).
fn validate_score(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, &["scaled", "raw", "min", "max"], path)?;
    let mut n = [None; 4];
    for (slot, key) in n.iter_mut().zip(["scaled", "raw", "min", "max"]) {
        if let Some(x) = obj.get(key) {
            match x.as_f64() {
                Some(f) => *slot = Some(f),
                None => return fail(&join(path, key), "must be a number"),
            }
        }
    }
    let [scaled, raw, min, max] = n;
    if scaled.is_some_and(|s| !(-1.0..=1.0).contains(&s)) {
        return fail(&join(path, "scaled"), "must be between -1 and 1");
    }
    if matches!((min, max), (Some(lo), Some(hi)) if lo >= hi) {
        return fail(&join(path, "min"), "must be less than max");
    }
    if let Some(r) = raw {
        if min.is_some_and(|lo| r < lo) {
            return fail(&join(path, "raw"), "must not be less than min");
        }
        if max.is_some_and(|hi| r > hi) {
            return fail(&join(path, "raw"), "must not be greater than max");
        }
    }
    Ok(())
}

/// Data 2.4.6. `object_is_activity` enforces "revision"/"platform" only
/// being used when the Statement's object is an Activity (Data 2.4.6,
/// "revision" and "platform" rows).
pub(crate) fn validate_context(
    v: &Value,
    path: &str,
    version: XapiVersion,
    object_is_activity: bool,
) -> VResult {
    let obj = as_object(v, path)?;
    let allowed = match version {
        XapiVersion::V1_0_3 => CONTEXT_KEYS_1,
        XapiVersion::V2_0_0 => CONTEXT_KEYS_2,
    };
    check_keys(obj, allowed, path)?;
    if let Some(r) = obj.get("registration") {
        check_uuid(r, &join(path, "registration"))?;
    }
    if let Some(i) = obj.get("instructor") {
        validate_actor(i, &join(path, "instructor"))?;
    }
    if let Some(t) = obj.get("team") {
        validate_group(t, &join(path, "team"))?;
    }
    if let Some(ca) = obj.get("contextActivities") {
        validate_context_activities(ca, &join(path, "contextActivities"))?;
    }
    for key in ["revision", "platform"] {
        if let Some(x) = obj.get(key) {
            let p = join(path, key);
            as_str(x, &p)?;
            if !object_is_activity {
                return fail(
                    &p,
                    "only allowed when the Statement's object is an Activity",
                );
            }
        }
    }
    if let Some(l) = obj.get("language") {
        check_language_tag(l, &join(path, "language"))?;
    }
    if let Some(s) = obj.get("statement") {
        validate_statement_ref(s, &join(path, "statement"))?;
    }
    if let Some(e) = obj.get("extensions") {
        check_extensions(e, &join(path, "extensions"))?;
    }
    if let Some(a) = obj.get("contextAgents") {
        validate_context_members(a, &join(path, "contextAgents"), "contextAgent", "agent")?;
    }
    if let Some(g) = obj.get("contextGroups") {
        validate_context_members(g, &join(path, "contextGroups"), "contextGroup", "group")?;
    }
    Ok(())
}

/// Data 2.4.6.2: each key maps to one Activity or an array of Activities
/// (the single form is legal input; normalising it is a storage concern).
fn validate_context_activities(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, &["parent", "grouping", "category", "other"], path)?;
    for (key, value) in obj {
        let p = join(path, key);
        match value {
            Value::Array(list) => {
                for (i, a) in list.iter().enumerate() {
                    validate_activity(a, &index(&p, i))?;
                }
            }
            Value::Object(_) => validate_activity(value, &p)?,
            _ => return fail(&p, "must be an Activity or an array of Activities"),
        }
    }
    Ok(())
}

/// xAPI 2.0 Data 2.4.6.3/2.4.6.4: arrays of `contextAgent` / `contextGroup`
/// objects: objectType required and exact, a valid Agent/Group, and an
/// optional non-empty `relevantTypes` array of IRIs.
fn validate_context_members(v: &Value, path: &str, object_type: &str, member: &str) -> VResult {
    for (i, item) in as_array(v, path)?.iter().enumerate() {
        let p = index(path, i);
        let obj = as_object(item, &p)?;
        check_keys(obj, &["objectType", member, "relevantTypes"], &p)?;
        let t = require(obj, "objectType", &p)?;
        if t.as_str() != Some(object_type) {
            return fail(
                &join(&p, "objectType"),
                format!("must be \"{object_type}\""),
            );
        }
        let m = require(obj, member, &p)?;
        let mp = join(&p, member);
        if member == "agent" {
            validate_agent(m, &mp)?;
        } else {
            validate_group(m, &mp)?;
        }
        if let Some(rt) = obj.get("relevantTypes") {
            let rp = join(&p, "relevantTypes");
            let list = as_array(rt, &rp)?;
            if list.is_empty() {
                return fail(&rp, "must not be empty");
            }
            for (j, iri) in list.iter().enumerate() {
                check_iri(iri, &index(&rp, j))?;
            }
        }
    }
    Ok(())
}
