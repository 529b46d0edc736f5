//! Completing statements with what the LRS sets and extracting the columns the store indexes
//! (no SQL: the rows are written by `statements`).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::VOIDED;
use crate::{
    db::time::to_rfc3339,
    lrs::identity,
    lrs::xapi::{normalise_agent_ifi, XapiVersion},
};

/// Who writes a batch and when: what the LRS adds to every statement.
pub struct WriteContext<'a> {
    pub stored_ms: i64,
    pub authority: Value,
    pub authority_id: String,
    pub org_id: Option<&'a str>,
    pub version: XapiVersion,
    pub public_url: &'a str,
}

/// A validated statement, completed and ready to insert.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub body: Value,
    pub stored_ms: i64,
    /// Whether the client sent a timestamp (else the LRS filled in `stored`).
    pub timestamp_given: bool,
    pub authority_id: String,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub actor: String,
    pub verb: String,
    pub activity: Option<String>,
    pub registration: Option<String>,
    pub object_ref: Option<String>,
    pub voids: Option<String>,
    /// (value, kind) rows of `xapi_statement_refs`.
    pub refs: Vec<(String, &'static str)>,
}

/// Completes a validated statement: id, timestamp, stored, authority and version (Data 2.4).
pub fn prepare(mut stmt: Value, cx: &WriteContext<'_>) -> Prepared {
    let obj = stmt
        .as_object_mut()
        .expect("validated statements are objects");
    let id = match obj.get("id").and_then(Value::as_str) {
        Some(id) => id.to_ascii_lowercase(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    obj.insert("id".into(), Value::String(id.clone()));
    let timestamp_given = obj.contains_key("timestamp");
    arrays_of_context_activities(obj);
    if let Some(Value::Object(sub)) = obj.get_mut("object") {
        arrays_of_context_activities(sub);
    }
    if let Some(Value::String(t)) = obj.get_mut("timestamp") {
        if let Some(utc) = to_utc(t) {
            *t = utc;
        }
    }
    let stored = Value::String(to_rfc3339(cx.stored_ms));
    obj.entry("timestamp").or_insert_with(|| stored.clone());
    obj.insert("stored".into(), stored);
    obj.insert("authority".into(), cx.authority.clone());
    obj.entry("version").or_insert_with(|| {
        Value::String(match cx.version {
            XapiVersion::V1_0_3 => "1.0.0".into(),
            XapiVersion::V2_0_0 => "2.0.0".into(),
        })
    });
    let columns = Columns::of(&stmt, cx.public_url);
    Prepared {
        id,
        stored_ms: cx.stored_ms,
        timestamp_given,
        authority_id: cx.authority_id.clone(),
        org_id: cx.org_id.map(str::to_owned),
        user_id: columns.user_id,
        actor: columns.actor,
        verb: columns.verb,
        activity: columns.activity,
        registration: columns.registration,
        object_ref: columns.object_ref,
        voids: columns.voids,
        refs: columns.refs,
        body: stmt,
    }
}

struct Columns {
    user_id: Option<String>,
    actor: String,
    verb: String,
    activity: Option<String>,
    registration: Option<String>,
    object_ref: Option<String>,
    voids: Option<String>,
    refs: Vec<(String, &'static str)>,
}

impl Columns {
    fn of(stmt: &Value, public_url: &str) -> Self {
        let actor = &stmt["actor"];
        let object = &stmt["object"];
        let verb = stmt["verb"]["id"].as_str().unwrap_or_default().to_owned();
        let object_type = object.get("objectType").and_then(Value::as_str);
        let activity = match object_type {
            None | Some("Activity") => object["id"].as_str().map(str::to_owned),
            _ => None,
        };
        let object_ref = (object_type == Some("StatementRef"))
            .then(|| object["id"].as_str().map(str::to_ascii_lowercase))
            .flatten();
        let voids = (verb == VOIDED).then(|| object_ref.clone()).flatten();
        let mut refs = Refs::default();
        refs.direct_agent(actor);
        if matches!(object_type, Some("Agent") | Some("Group")) {
            refs.direct_agent(object);
        }
        refs.related_parts(stmt);
        if let Some(authority) = stmt.get("authority") {
            refs.agent(authority, "g");
        }
        Self {
            user_id: identity::local_user_id(actor, public_url).map(str::to_owned),
            actor: normalise_agent_ifi(actor).unwrap_or_default(),
            verb,
            activity,
            registration: stmt["context"]["registration"]
                .as_str()
                .map(str::to_ascii_lowercase),
            object_ref,
            voids,
            refs: refs.0.into_iter().collect(),
        }
    }
}

#[derive(Default)]
struct Refs(HashSet<(String, &'static str)>);

impl Refs {
    /// An agent or group and, for a group, its members.
    fn agent(&mut self, agent: &Value, kind: &'static str) {
        if let Some(ifi) = normalise_agent_ifi(agent) {
            self.0.insert((ifi, kind));
        }
        for member in agent["member"].as_array().into_iter().flatten() {
            if let Some(ifi) = normalise_agent_ifi(member) {
                self.0.insert((ifi, kind));
            }
        }
    }

    fn direct_agent(&mut self, agent: &Value) {
        self.agent(agent, "a");
        self.agent(agent, "g");
    }

    fn activity(&mut self, activity: &Value) {
        if let Some(id) = activity["id"].as_str() {
            self.0.insert((id.to_owned(), "c"));
        }
    }

    /// Everything a statement (or sub-statement) relates to besides its authority.
    fn related_parts(&mut self, stmt: &Value) {
        self.agent(&stmt["actor"], "g");
        let object = &stmt["object"];
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => self.activity(object),
            Some("Agent") | Some("Group") => self.agent(object, "g"),
            Some("SubStatement") => self.related_parts(object),
            _ => {}
        }
        let context = &stmt["context"];
        for key in ["instructor", "team"] {
            self.agent(&context[key], "g");
        }
        if let Some(activities) = context["contextActivities"].as_object() {
            for list in activities.values() {
                match list {
                    Value::Array(items) => items.iter().for_each(|a| self.activity(a)),
                    single => self.activity(single),
                }
            }
        }
    }
}

/// Data 2.4.6.2: a single context Activity is stored (and so returned) as an array of one.
fn arrays_of_context_activities(stmt: &mut Map<String, Value>) {
    let activities = stmt
        .get_mut("context")
        .and_then(|c| c.get_mut("contextActivities"))
        .and_then(Value::as_object_mut);
    for value in activities.into_iter().flat_map(|a| a.values_mut()) {
        if value.is_object() {
            *value = Value::Array(vec![value.take()]);
        }
    }
}

/// A timestamp with another offset, in UTC (Data 4.5: the LRS converts rather than rejects);
/// `None` when it is UTC already or not RFC 3339.
fn to_utc(timestamp: &str) -> Option<String> {
    use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};
    if timestamp.ends_with('Z') || timestamp.ends_with('z') {
        return None;
    }
    let parsed = OffsetDateTime::parse(timestamp, &Rfc3339).ok()?;
    if parsed.offset() == UtcOffset::UTC && timestamp.ends_with("+00:00") {
        return None;
    }
    parsed.to_offset(UtcOffset::UTC).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_kept_in_utc() {
        assert_eq!(
            super::to_utc("2026-11-27T16:30:00.250+08:00").as_deref(),
            Some("2026-11-27T08:30:00.25Z")
        );
        assert_eq!(super::to_utc("2026-11-27T08:30:00Z"), None);
        assert_eq!(super::to_utc("not a time"), None);
    }
}
