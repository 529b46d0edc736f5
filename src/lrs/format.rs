//! Statement result formats (Communication 2.1.3): `exact` as stored, `ids` with agents,
//! groups and activities reduced to their identifiers, `canonical` with language maps reduced
//! to the language the client prefers.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Exact,
    Ids,
    Canonical,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "exact" => Some(Format::Exact),
            "ids" => Some(Format::Ids),
            "canonical" => Some(Format::Canonical),
            _ => None,
        }
    }
}

pub fn apply(stmt: &mut Value, format: Format, languages: &[String]) {
    match format {
        Format::Exact => {}
        Format::Ids => ids(stmt),
        Format::Canonical => canonical(stmt, languages),
    }
}

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// XAPI-00171: an Agent keeps only its inverse functional identifier; a Group keeps its
/// identifier, or its members' when it is anonymous, and its `objectType` (without it a Group
/// would read as an Agent). An Agent's `objectType` stays only where the position requires it
/// (`keep_type`: a statement's object, which is otherwise an Activity).
fn agent_ids(agent: &mut Value, keep_type: bool) {
    let Some(obj) = agent.as_object_mut() else {
        return;
    };
    let is_group = obj.get("objectType").and_then(Value::as_str) == Some("Group");
    let has_ifi = IFIS.iter().any(|k| obj.contains_key(*k));
    let mut keep = Map::new();
    for (k, v) in obj.iter() {
        let wanted = match k.as_str() {
            "objectType" => is_group || keep_type,
            k => IFIS.contains(&k),
        };
        if wanted {
            keep.insert(k.clone(), v.clone());
        }
    }
    // An anonymous group is known only by its members.
    if is_group && !has_ifi {
        if let Some(Value::Array(members)) = obj.get("member") {
            let mut members = members.clone();
            members.iter_mut().for_each(|m| agent_ids(m, false));
            keep.insert("member".into(), Value::Array(members));
        }
    }
    *obj = keep;
}

/// An Activity is its `id` (its `objectType` is optional and the definition is not an id).
fn activity_ids(activity: &mut Value) {
    if let Some(obj) = activity.as_object_mut() {
        obj.retain(|k, _| k == "id");
    }
}

fn ids(stmt: &mut Value) {
    agent_ids(&mut stmt["actor"], false);
    if let Some(verb) = stmt.get_mut("verb").and_then(Value::as_object_mut) {
        verb.retain(|k, _| k == "id");
    }
    if stmt.get("authority").is_some() {
        agent_ids(&mut stmt["authority"], false);
    }
    let object = &mut stmt["object"];
    match object.get("objectType").and_then(Value::as_str) {
        None | Some("Activity") => activity_ids(object),
        Some("Agent" | "Group") => agent_ids(object, true),
        Some("SubStatement") => ids(object),
        _ => {}
    }
    if let Some(context) = stmt.get_mut("context").and_then(Value::as_object_mut) {
        for key in ["instructor", "team"] {
            if let Some(agent) = context.get_mut(key) {
                agent_ids(agent, false);
            }
        }
        if let Some(Value::Object(activities)) = context.get_mut("contextActivities") {
            for list in activities.values_mut() {
                match list {
                    Value::Array(items) => items.iter_mut().for_each(activity_ids),
                    single => activity_ids(single),
                }
            }
        }
    }
}

/// The keys whose values are language maps, wherever they appear.
const LANGUAGE_MAPS: [&str; 3] = ["display", "name", "description"];

fn canonical(value: &mut Value, languages: &[String]) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if LANGUAGE_MAPS.contains(&key.as_str()) && v.is_object() && key != "extensions" {
                    reduce(v, languages);
                } else if key != "extensions" {
                    canonical(v, languages);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| canonical(v, languages)),
        _ => {}
    }
}

/// Keeps the one entry of a language map that best matches the preferred languages.
fn reduce(map: &mut Value, languages: &[String]) {
    let Some(obj) = map.as_object() else {
        return;
    };
    if obj.len() <= 1 || !obj.values().all(Value::is_string) {
        return;
    }
    let pick = languages
        .iter()
        .find_map(|want| {
            obj.keys()
                .find(|k| k.eq_ignore_ascii_case(want))
                .or_else(|| {
                    obj.keys().find(|k| {
                        k.split('-').next().is_some_and(|p| {
                            p.eq_ignore_ascii_case(want.split('-').next().unwrap_or(""))
                        })
                    })
                })
        })
        .or_else(|| {
            obj.keys()
                .find(|k| k.to_ascii_lowercase().starts_with("en"))
        })
        .or_else(|| obj.keys().next())
        .cloned();
    if let Some(key) = pick {
        let value = obj[&key].clone();
        let mut one = Map::new();
        one.insert(key, value);
        *map = Value::Object(one);
    }
}

/// Language ranges of an `Accept-Language` header, most preferred first.
pub fn accept_languages(header: Option<&str>) -> Vec<String> {
    let mut ranges: Vec<(f32, String)> = header
        .unwrap_or_default()
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0);
            Some((q, tag.to_owned()))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    ranges.into_iter().map(|(_, t)| t).collect()
}
