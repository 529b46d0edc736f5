//! What the LRS knows of an Activity or an Agent (Communication 2.4 and 2.5), drawn from the
//! statements the caller may read and, for learners of this server, from their accounts.

use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};

use super::{
    identity,
    store::{
        self,
        definitions::{recent_bodies, Named, Viewer},
    },
    ReadScope,
};
use crate::{db::Db, error::Result, lrs::xapi::normalise_agent_ifi};

/// The Activity with this id as the LRS knows it: the definitions of every readable statement
/// that names it merged, newer over older, language maps and extensions key by key. An unknown
/// Activity is still an Activity object (Communication 2.5.s2.b1).
pub async fn activity(db: &Db, scope: &ReadScope, id: &str) -> Result<Value> {
    let mut definition = Map::new();
    for body in recent_bodies(db, scope, id, "c").await? {
        let Ok(stmt) = serde_json::from_str::<Value>(&body) else {
            continue;
        };
        let mut found = Vec::new();
        activities_in(&stmt, id, &mut found);
        if let Value::Object(sub) = &stmt["object"] {
            if sub.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
                activities_in(&stmt["object"], id, &mut found);
            }
        }
        for def in found {
            merge_definition(&mut definition, def);
        }
    }
    let mut activity = json!({"objectType": "Activity", "id": id});
    if !definition.is_empty() {
        activity["definition"] = Value::Object(definition);
    }
    Ok(activity)
}

/// The definitions of the activities with this id in a statement's object and context.
fn activities_in<'a>(stmt: &'a Value, id: &str, out: &mut Vec<&'a Map<String, Value>>) {
    let context = &stmt["context"]["contextActivities"];
    let listed = ["parent", "grouping", "category", "other"]
        .into_iter()
        .flat_map(|k| match &context[k] {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            one @ Value::Object(_) => vec![one],
            _ => vec![],
        });
    for activity in std::iter::once(&stmt["object"]).chain(listed) {
        let is_activity = matches!(
            activity.get("objectType").and_then(Value::as_str),
            None | Some("Activity")
        );
        if is_activity && activity["id"].as_str() == Some(id) {
            if let Some(def) = activity["definition"].as_object() {
                out.push(def);
            }
        }
    }
}

fn merge_definition(into: &mut Map<String, Value>, newer: &Map<String, Value>) {
    for (key, value) in newer {
        match (into.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new))
                if matches!(key.as_str(), "name" | "description" | "extensions") =>
            {
                old.extend(new.clone());
            }
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// A learner of this server as far as the caller may know them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

/// The user an Agent names (by account on this server or by e-mail), if the caller may know
/// them: the learner themselves, or a member of the calling client's organisation.
pub async fn known_user(
    db: &Db,
    agent: &Value,
    public_url: &str,
    viewer: &ReadScope,
) -> Result<Option<KnownUser>> {
    let named = if let Some(id) = identity::local_user_id(agent, public_url) {
        Named::Id(id)
    } else if let Some(mbox) = agent["mbox"].as_str() {
        Named::Email(mbox.get(7..).unwrap_or_default())
    } else {
        return Ok(None);
    };
    let viewer = match viewer {
        ReadScope::User(user) => Viewer::User(user),
        ReadScope::Org(org) => Viewer::Org(org),
        ReadScope::Authority(_) => return Ok(None),
    };
    Ok(store::definitions::known_user(db, named, viewer).await?)
}

/// The Person object for an Agent (Communication 2.4): its own identifier and name, the
/// names readable statements give it, and the identifiers of the learner it is, if any.
pub async fn person(db: &Db, agent: &Value, public_url: &str, viewer: &ReadScope) -> Result<Value> {
    let mut p = Person::default();
    p.add_agent(agent);
    if let Some(ifi) = normalise_agent_ifi(agent) {
        for body in recent_bodies(db, viewer, &ifi, "a").await?.iter().rev() {
            let Ok(stmt) = serde_json::from_str::<Value>(body) else {
                continue;
            };
            for who in [&stmt["actor"], &stmt["object"]] {
                if normalise_agent_ifi(who).as_deref() == Some(ifi.as_str()) {
                    if let Some(name) = who["name"].as_str() {
                        p.push_name(name);
                    }
                }
            }
        }
    }
    if let Some(user) = known_user(db, agent, public_url, viewer).await? {
        let mailto = format!("mailto:{}", user.email);
        p.add_agent(&json!({
            "name": user.display_name,
            "mbox": mailto,
            "mbox_sha1sum": hex::encode(Sha1::digest(mailto.as_bytes())),
            "account": {"homePage": public_url, "name": user.id},
        }));
    }
    Ok(p.into_value())
}

#[derive(Default)]
struct Person {
    name: Vec<Value>,
    mbox: Vec<Value>,
    mbox_sha1sum: Vec<Value>,
    openid: Vec<Value>,
    account: Vec<Value>,
}

fn push_unique(list: &mut Vec<Value>, value: Value) {
    if !list.contains(&value) {
        list.push(value);
    }
}

impl Person {
    fn push_name(&mut self, name: &str) {
        push_unique(&mut self.name, Value::String(name.to_owned()));
    }

    fn add_agent(&mut self, agent: &Value) {
        if let Some(name) = agent["name"].as_str() {
            self.push_name(name);
        }
        if let Some(v) = agent.get("mbox").filter(|v| v.is_string()) {
            push_unique(&mut self.mbox, v.clone());
        }
        if let Some(v) = agent["mbox_sha1sum"].as_str() {
            push_unique(
                &mut self.mbox_sha1sum,
                Value::String(v.to_ascii_lowercase()),
            );
        }
        if let Some(v) = agent.get("openid").filter(|v| v.is_string()) {
            push_unique(&mut self.openid, v.clone());
        }
        if let Some(v) = agent.get("account").filter(|v| v.is_object()) {
            push_unique(&mut self.account, v.clone());
        }
    }

    fn into_value(self) -> Value {
        let mut out = Map::new();
        out.insert("objectType".into(), Value::String("Person".into()));
        for (key, list) in [
            ("name", self.name),
            ("mbox", self.mbox),
            ("mbox_sha1sum", self.mbox_sha1sum),
            ("openid", self.openid),
            ("account", self.account),
        ] {
            if !list.is_empty() {
                out.insert(key.into(), Value::Array(list));
            }
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn definitions_merge_language_maps_and_replace_the_rest() {
        let mut def = json!({"name": {"en-US": "meeting"}, "type": "http://a"})
            .as_object()
            .unwrap()
            .clone();
        let newer = json!({"name": {"fr-FR": "réunion"}, "type": "http://b"});
        super::merge_definition(&mut def, newer.as_object().unwrap());
        assert_eq!(
            serde_json::Value::Object(def),
            json!({"name": {"en-US": "meeting", "fr-FR": "réunion"}, "type": "http://b"})
        );
    }
}
