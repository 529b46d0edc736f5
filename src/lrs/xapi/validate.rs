//! Statement-level validation (xAPI Data 2.2 "Formatting Requirements" and
//! 2.4 "Statement Properties"), the entry point of this module.

use serde_json::Value;

use super::activity::validate_activity;
use super::agent::{validate_actor, validate_agent, validate_authority, validate_group};
use super::context::{validate_context, validate_result};
use super::error::StatementError;
use super::formats::{
    as_array, as_object, as_str, check_iri, check_keys, check_language_map, check_uuid, fail,
    index, join, reject_nulls, require, VResult,
};
use super::timestamp::is_valid_timestamp;
use super::XapiVersion;

const STATEMENT_KEYS: &[&str] = &[
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];
/// Data 2.4.4.3: a SubStatement MUST NOT have id, stored, version, authority.
const SUBSTATEMENT_KEYS: &[&str] = &[
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
];
const ATTACHMENT_KEYS: &[&str] = &[
    "usageType",
    "display",
    "description",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
];
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Activity,
    Actor,
    StatementRef,
    SubStatement,
}

/// Validates one Statement as received from a client under the request's
/// `X-Experience-API-Version`. Returns the first violation found.
///
/// Only the content of the Statement is judged: duplicate JSON keys (lost by
/// the parser), attachment/multipart consistency, voiding targets and the
/// LRS-assigned `stored`/`authority` are the caller's concern.
pub fn validate_statement(stmt: &Value, version: XapiVersion) -> Result<(), StatementError> {
    reject_nulls(stmt, "")?;
    let obj = as_object(stmt, "")?;
    check_keys(obj, STATEMENT_KEYS, "")?;
    if let Some(id) = obj.get("id") {
        check_uuid(id, "id")?;
    }
    let kind = validate_core(stmt, "", version, false)?;
    // Data 2.3.2: a voiding Statement's object MUST be a StatementRef.
    let verb_id = obj["verb"].get("id").and_then(Value::as_str);
    if verb_id == Some(VOIDED) && kind != ObjectKind::StatementRef {
        return fail(
            "object",
            "a voiding Statement's object must be a StatementRef",
        );
    }
    if let Some(s) = obj.get("stored") {
        check_timestamp(s, "stored", version)?;
    }
    if let Some(a) = obj.get("authority") {
        validate_authority(a, "authority")?;
    }
    if let Some(v) = obj.get("version") {
        let s = as_str(v, "version")?;
        if !version_ok(s, version) {
            return fail("version", format!("`{s}` is not an accepted xAPI version"));
        }
    }
    Ok(())
}

/// Data 2.4.10 (XAPI-00101): "1.0" or "1.0.x"; a 2.0 LRS additionally takes
/// "2.0" / "2.0.x" (2.0 Communication 3.3 keeps accepting 1.0.x content).
fn version_ok(s: &str, version: XapiVersion) -> bool {
    let family = |prefix: &str| match s.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    };
    family("1.0") || (version == XapiVersion::V2_0_0 && family("2.0"))
}

/// Properties shared by Statements and SubStatements.
fn validate_core(
    v: &Value,
    path: &str,
    version: XapiVersion,
    sub: bool,
) -> Result<ObjectKind, StatementError> {
    let obj = as_object(v, path)?;
    validate_actor(require(obj, "actor", path)?, &join(path, "actor"))?;
    validate_verb(require(obj, "verb", path)?, &join(path, "verb"))?;
    let object = require(obj, "object", path)?;
    let kind = validate_object(object, &join(path, "object"), version, sub)?;
    if let Some(r) = obj.get("result") {
        validate_result(r, &join(path, "result"))?;
    }
    if let Some(c) = obj.get("context") {
        let is_activity = kind == ObjectKind::Activity;
        validate_context(c, &join(path, "context"), version, is_activity)?;
    }
    if let Some(t) = obj.get("timestamp") {
        check_timestamp(t, &join(path, "timestamp"), version)?;
    }
    if let Some(a) = obj.get("attachments") {
        validate_attachments(a, &join(path, "attachments"))?;
    }
    Ok(kind)
}

fn check_timestamp(v: &Value, path: &str, version: XapiVersion) -> VResult {
    let s = as_str(v, path)?;
    if is_valid_timestamp(s, version) {
        Ok(())
    } else {
        fail(
            path,
            format!(
                "`{s}` is not a valid timestamp for xAPI {}",
                version.as_str()
            ),
        )
    }
}

/// Data 2.4.3: verb = { id: IRI (required), display: Language Map }.
fn validate_verb(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, &["id", "display"], path)?;
    check_iri(require(obj, "id", path)?, &join(path, "id"))?;
    if let Some(d) = obj.get("display") {
        check_language_map(d, &join(path, "display"))?;
    }
    Ok(())
}

/// Data 2.4.4: the object is an Activity (objectType optional), an Agent or
/// Group (objectType required), a StatementRef or a SubStatement; a
/// SubStatement cannot nest another SubStatement.
fn validate_object(
    v: &Value,
    path: &str,
    version: XapiVersion,
    sub: bool,
) -> Result<ObjectKind, StatementError> {
    let obj = as_object(v, path)?;
    let type_path = join(path, "objectType");
    let object_type = match obj.get("objectType") {
        None => "Activity",
        Some(t) => as_str(t, &type_path)?,
    };
    match object_type {
        "Activity" => validate_activity(v, path).map(|_| ObjectKind::Activity),
        "Agent" => validate_agent(v, path).map(|_| ObjectKind::Actor),
        "Group" => validate_group(v, path).map(|_| ObjectKind::Actor),
        "StatementRef" => validate_statement_ref(v, path).map(|_| ObjectKind::StatementRef),
        "SubStatement" if sub => fail(&type_path, "a SubStatement must not contain a SubStatement"),
        "SubStatement" => {
            for forbidden in ["id", "stored", "version", "authority"] {
                if obj.contains_key(forbidden) {
                    return fail(
                        &join(path, forbidden),
                        "a SubStatement must not have this property",
                    );
                }
            }
            check_keys(obj, SUBSTATEMENT_KEYS, path)?;
            validate_core(v, path, version, true)?;
            Ok(ObjectKind::SubStatement)
        }
        other => fail(&type_path, format!("`{other}` is not a valid object type")),
    }
}

/// Data 2.4.4.2 Statement Reference: objectType "StatementRef" (required)
/// and a UUID id.
pub(crate) fn validate_statement_ref(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    check_keys(obj, &["objectType", "id"], path)?;
    let t = require(obj, "objectType", path)?;
    if t.as_str() != Some("StatementRef") {
        return fail(&join(path, "objectType"), "must be \"StatementRef\"");
    }
    check_uuid(require(obj, "id", path)?, &join(path, "id"))
}

/// Data 2.4.11 Attachments: usageType IRI, display Language Map,
/// contentType, length (integer) and sha2 are required; description and
/// fileUrl (IRL) optional.
fn validate_attachments(v: &Value, path: &str) -> VResult {
    for (i, item) in as_array(v, path)?.iter().enumerate() {
        let p = index(path, i);
        let obj = as_object(item, &p)?;
        check_keys(obj, ATTACHMENT_KEYS, &p)?;
        check_iri(require(obj, "usageType", &p)?, &join(&p, "usageType"))?;
        check_language_map(require(obj, "display", &p)?, &join(&p, "display"))?;
        if let Some(d) = obj.get("description") {
            check_language_map(d, &join(&p, "description"))?;
        }
        let ct_path = join(&p, "contentType");
        let ct = as_str(require(obj, "contentType", &p)?, &ct_path)?;
        if !is_media_type(ct) {
            return fail(&ct_path, "must be an Internet Media Type");
        }
        let len_path = join(&p, "length");
        if !require(obj, "length", &p)?.is_u64() {
            return fail(&len_path, "must be a non-negative integer");
        }
        let sha_path = join(&p, "sha2");
        let sha = as_str(require(obj, "sha2", &p)?, &sha_path)?;
        if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return fail(&sha_path, "must be a hex-encoded SHA-2 hash");
        }
        if let Some(u) = obj.get("fileUrl") {
            check_iri(u, &join(&p, "fileUrl"))?;
        }
    }
    Ok(())
}

/// RFC 2046 shape `type/subtype[; params]`, without registry lookup.
fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or("").trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    matches!(essence.split_once('/'), Some((t, st)) if token(t) && token(st))
}
