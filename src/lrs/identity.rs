//! How Caravan names its learners and its content in xAPI statements.
//!
//! A learner is an Agent with an account on this server (`homePage` is the public URL, `name`
//! the user id), so statements never need an email address. Courses and units are activities
//! with IRIs under `{public_url}/xapi/activities/`.

use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::accounts::User;

pub fn learner_agent(public_url: &str, user: &User) -> Value {
    json!({
        "objectType": "Agent",
        "name": user.display_name,
        "account": {"homePage": public_url, "name": user.id},
    })
}

/// Is this Agent the given learner? By account on this server, mbox or mbox_sha1sum.
pub fn agent_is_user(agent: &Value, public_url: &str, user: &User) -> bool {
    let mailto = format!("mailto:{}", user.email);
    if let Some(account) = agent.get("account") {
        return account.get("homePage").and_then(Value::as_str) == Some(public_url)
            && account.get("name").and_then(Value::as_str) == Some(user.id.as_str());
    }
    if let Some(mbox) = agent.get("mbox").and_then(Value::as_str) {
        return mbox.eq_ignore_ascii_case(&mailto);
    }
    if let Some(sum) = agent.get("mbox_sha1sum").and_then(Value::as_str) {
        return sum.eq_ignore_ascii_case(&hex::encode(Sha1::digest(mailto.as_bytes())));
    }
    false
}

/// The user id an Agent names when it is an account on this server.
pub fn local_user_id<'a>(agent: &'a Value, public_url: &str) -> Option<&'a str> {
    let account = agent.get("account")?;
    (account.get("homePage").and_then(Value::as_str) == Some(public_url))
        .then(|| account.get("name").and_then(Value::as_str))
        .flatten()
}

pub fn course_activity(public_url: &str, course_id: &str) -> String {
    format!("{public_url}/xapi/activities/courses/{course_id}")
}

pub fn unit_activity(public_url: &str, unit_id: &str) -> String {
    format!("{public_url}/xapi/activities/units/{unit_id}")
}

/// The course or unit an activity IRI of this server names.
pub enum LocalActivity<'a> {
    Course(&'a str),
    Unit(&'a str),
}

pub fn local_activity<'a>(activity_id: &'a str, public_url: &str) -> Option<LocalActivity<'a>> {
    let rest = activity_id
        .strip_prefix(public_url)?
        .strip_prefix("/xapi/activities/")?;
    if let Some(id) = rest.strip_prefix("courses/") {
        return Some(LocalActivity::Course(id));
    }
    rest.strip_prefix("units/").map(LocalActivity::Unit)
}
