//! Agents, Groups and their Inverse Functional Identifiers
//! (xAPI Data 2.4.2 "Actor", 2.4.2.3 "Inverse Functional Identifier").

use serde_json::Value;

use super::error::StatementError;
use super::formats::{
    as_array, as_object, as_str, check_iri, check_keys, fail, index, is_absolute_iri,
    is_mailto_iri, is_sha1_hex, join, JsonObject, VResult,
};

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];
const AGENT_KEYS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_KEYS: &[&str] = &[
    "objectType",
    "name",
    "member",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];

/// What a validated Group turned out to be; `authority` needs both facts.
pub(crate) struct GroupShape {
    pub identified: bool,
    pub members: usize,
}

/// Validates an Actor: an Agent (objectType absent or "Agent") or a Group
/// (objectType "Group", which Data 2.4.2.2 makes mandatory for Groups).
pub(crate) fn validate_actor(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    match obj.get("objectType") {
        Some(Value::String(t)) if t == "Group" => validate_group(v, path).map(|_| ()),
        Some(Value::String(t)) if t == "Agent" => validate_agent(v, path),
        None => validate_agent(v, path),
        Some(_) => fail(
            &join(path, "objectType"),
            "must be \"Agent\" or \"Group\" (case-sensitive)",
        ),
    }
}

/// Validates the `agent` parameter of the document, Agents and Activities resources
/// (Communication 2.3, 2.4, 2.6): an Agent, or with `allow_group` also a Group. Whether it has
/// the single identifier a document key needs is `normalise_agent_ifi`'s question.
pub fn validate_agent_param(v: &Value, allow_group: bool) -> Result<(), StatementError> {
    if allow_group {
        validate_actor(v, "")
    } else {
        validate_agent(v, "")
    }
}

/// Data 2.4.2.1: an Agent has exactly one IFI; `name` is a string.
pub(crate) fn validate_agent(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    if let Some(t) = obj.get("objectType") {
        if t.as_str() == Some("Group") {
            return fail(path, "must be an Agent, not a Group");
        }
        if t.as_str() != Some("Agent") {
            return fail(&join(path, "objectType"), "must be \"Agent\"");
        }
    }
    check_keys(obj, AGENT_KEYS, path)?;
    check_name(obj, path)?;
    match count_ifis(obj, path)? {
        1 => Ok(()),
        0 => fail(
            path,
            "an Agent needs one of mbox, mbox_sha1sum, openid, account",
        ),
        _ => fail(
            path,
            "an Agent must use exactly one inverse functional identifier",
        ),
    }
}

/// Data 2.4.2.2: objectType "Group" is required. Anonymous Groups (no IFI)
/// MUST list their Agents in `member` (XAPI-00035/37); identified Groups have
/// exactly one IFI and MAY list members. Members are Agents, never Groups.
pub(crate) fn validate_group(v: &Value, path: &str) -> Result<GroupShape, StatementError> {
    let obj = as_object(v, path)?;
    match obj.get("objectType").map(Value::as_str) {
        Some(Some("Group")) => {}
        None => {
            return fail(
                &join(path, "objectType"),
                "a Group requires objectType \"Group\"",
            );
        }
        Some(_) => return fail(&join(path, "objectType"), "must be \"Group\""),
    }
    check_keys(obj, GROUP_KEYS, path)?;
    check_name(obj, path)?;
    let ifis = count_ifis(obj, path)?;
    if ifis > 1 {
        return fail(
            path,
            "a Group must use at most one inverse functional identifier",
        );
    }
    let members = match obj.get("member") {
        Some(m) => {
            let p = join(path, "member");
            let list = as_array(m, &p)?;
            for (i, agent) in list.iter().enumerate() {
                validate_agent(agent, &index(&p, i))?;
            }
            list.len()
        }
        None => 0,
    };
    if ifis == 0 && members == 0 {
        return fail(
            &join(path, "member"),
            "an anonymous Group must list at least one member",
        );
    }
    Ok(GroupShape {
        identified: ifis == 1,
        members,
    })
}

/// Data 2.4.9: authority is an Agent, or (3-legged OAuth) an anonymous Group
/// of exactly two Agents (XAPI-00098; the suite rejects identified Groups).
pub(crate) fn validate_authority(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    if obj.get("objectType").and_then(Value::as_str) != Some("Group") {
        return validate_agent(v, path);
    }
    let shape = validate_group(v, path)?;
    if shape.identified || shape.members != 2 {
        return fail(
            path,
            "a Group authority must be anonymous with exactly two Agents",
        );
    }
    Ok(())
}

fn check_name(obj: &JsonObject, path: &str) -> VResult {
    match obj.get("name") {
        Some(n) => as_str(n, &join(path, "name")).map(|_| ()),
        None => Ok(()),
    }
}

/// Validates each IFI present and returns how many there are.
fn count_ifis(obj: &JsonObject, path: &str) -> Result<usize, StatementError> {
    let mut count = 0;
    for key in IFIS {
        let Some(v) = obj.get(key) else { continue };
        let p = join(path, key);
        count += 1;
        match key {
            "mbox" => {
                let s = as_str(v, &p)?;
                if !is_mailto_iri(s) {
                    return fail(&p, "must be a mailto: IRI with an email address");
                }
            }
            "mbox_sha1sum" => {
                if !is_sha1_hex(as_str(v, &p)?) {
                    return fail(&p, "must be 40 hexadecimal characters");
                }
            }
            "openid" => check_iri(v, &p)?,
            _ => validate_account(v, &p)?,
        }
    }
    Ok(count)
}

/// Data 2.4.2.4: account = { homePage: IRL, name: string }, both required.
fn validate_account(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, &["homePage", "name"], path)?;
    match obj.get("homePage") {
        Some(h) => check_iri(h, &join(path, "homePage"))?,
        None => return fail(&join(path, "homePage"), "required property is missing"),
    }
    match obj.get("name") {
        Some(n) => as_str(n, &join(path, "name")).map(|_| ()),
        None => fail(&join(path, "name"), "required property is missing"),
    }
}

/// Canonical key for an Agent's or identified Group's IFI, for indexing and
/// for the `agent` query parameter: `mbox:mailto:a@b.c`,
/// `mbox_sha1sum:<lowercase hex>`, `openid:<iri>`, `account:<homePage>|<name>`.
///
/// Returns `None` unless the value carries exactly one well-formed IFI. The
/// `mailto:` scheme and the SHA-1 hex are lower-cased (both case-insensitive);
/// the address itself is kept verbatim, as xAPI compares IFIs as given.
pub fn normalise_agent_ifi(agent: &Value) -> Option<String> {
    let obj = agent.as_object()?;
    let mut found = IFIS.iter().filter(|k| obj.contains_key(**k));
    let key = *found.next()?;
    if found.next().is_some() {
        return None;
    }
    let v = &obj[key];
    match key {
        "mbox" => {
            let s = v.as_str().filter(|s| is_mailto_iri(s))?;
            Some(format!("mbox:mailto:{}", &s[7..]))
        }
        "mbox_sha1sum" => {
            let s = v.as_str().filter(|s| is_sha1_hex(s))?;
            Some(format!("mbox_sha1sum:{}", s.to_ascii_lowercase()))
        }
        "openid" => {
            let s = v.as_str().filter(|s| is_absolute_iri(s))?;
            Some(format!("openid:{s}"))
        }
        _ => {
            let acc = v.as_object()?;
            let home = acc
                .get("homePage")?
                .as_str()
                .filter(|s| is_absolute_iri(s))?;
            let name = acc.get("name")?.as_str()?;
            Some(format!("account:{home}|{name}"))
        }
    }
}
