//! What the LRS knows of an Activity or an Agent (Communication 2.4 and 2.5), drawn from the
//! statements the caller may read and, for learners of this server, from their accounts.

use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};

use super::{identity, query, ReadScope};
use crate::{
    db::{Db, Placeholders},
    error::AppResult,
    lrs::xapi::normalise_agent_ifi,
};

/// How many recent statements feed a definition: enough for every language a course is
/// described in, bounded so one popular activity cannot make the request slow.
const SOURCES: i64 = 100;

async fn recent_bodies(
    db: &Db,
    scope: &ReadScope,
    value: &str,
    kind: &str,
) -> AppResult<Vec<String>> {
    let mut ph = Placeholders::default();
    let value_ph = ph.take();
    let (scope_cond, scope_value) = query::scope_sql(scope, &mut ph, "s");
    let sql = format!(
        "SELECT s.body FROM xapi_statements s WHERE s.seq IN \
         (SELECT seq FROM xapi_statement_refs WHERE value = {value_ph} AND kind = '{kind}') \
         AND {scope_cond} AND s.voided = FALSE ORDER BY s.seq DESC LIMIT {SOURCES}"
    );
    let mut bodies: Vec<String> = sqlx::query_scalar(&sql)
        .bind(value)
        .bind(scope_value)
        .fetch_all(&db.pool)
        .await?;
    bodies.reverse();
    Ok(bodies)
}

/// The Activity with this id as the LRS knows it: the definitions of every readable statement
/// that names it merged, newer over older, language maps and extensions key by key. An unknown
/// Activity is still an Activity object (Communication 2.5.s2.b1).
pub async fn activity(db: &Db, scope: &ReadScope, id: &str) -> AppResult<Value> {
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
) -> AppResult<Option<KnownUser>> {
    let (cond, value) = if let Some(id) = identity::local_user_id(agent, public_url) {
        ("u.id = $1", id.to_owned())
    } else if let Some(mbox) = agent["mbox"].as_str() {
        let email = mbox.get(7..).unwrap_or_default();
        ("LOWER(u.email) = LOWER($1)", email.to_owned())
    } else {
        return Ok(None);
    };
    let (visible, viewer_value) = match viewer {
        ReadScope::User(user) => ("u.id = $2", user.clone()),
        ReadScope::Org(org) => (
            "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id = $2)",
            org.clone(),
        ),
        ReadScope::Authority(_) => return Ok(None),
    };
    Ok(sqlx::query_as::<_, KnownUser>(&format!(
        "SELECT u.id, u.email, u.display_name FROM users u WHERE {cond} AND {visible}"
    ))
    .bind(value)
    .bind(viewer_value)
    .fetch_optional(&db.pool)
    .await?)
}

/// The Person object for an Agent (Communication 2.4): its own identifier and name, the
/// names readable statements give it, and the identifiers of the learner it is, if any.
pub async fn person(
    db: &Db,
    agent: &Value,
    public_url: &str,
    viewer: &ReadScope,
) -> AppResult<Value> {
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
