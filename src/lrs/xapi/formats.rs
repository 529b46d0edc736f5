//! Primitive value formats (IRI, UUID, mailto, SHA-1, language maps,
//! extensions) and the small JSON accessors every validator shares.

use serde_json::{Map, Value};

use super::error::StatementError;
use super::langtag::is_well_formed_language_tag;

pub(crate) type VResult = Result<(), StatementError>;
pub(crate) type JsonObject = Map<String, Value>;

pub(crate) fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, StatementError> {
    Err(StatementError::new(path, message))
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub(crate) fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a JsonObject, StatementError> {
    v.as_object()
        .ok_or_else(|| StatementError::new(path, "must be a JSON object"))
}

pub(crate) fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, StatementError> {
    v.as_array()
        .ok_or_else(|| StatementError::new(path, "must be an array"))
}

pub(crate) fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, StatementError> {
    v.as_str()
        .ok_or_else(|| StatementError::new(path, "must be a string"))
}

/// Data 2.2: keys are case-sensitive and an LRS rejects any key the
/// specification does not allow at that position (XAPI-00008, XAPI-00010).
pub(crate) fn check_keys(obj: &JsonObject, allowed: &[&str], path: &str) -> VResult {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => fail(&join(path, k), "property is not allowed here"),
        None => Ok(()),
    }
}

pub(crate) fn require<'a>(
    obj: &'a JsonObject,
    key: &str,
    path: &str,
) -> Result<&'a Value, StatementError> {
    obj.get(key)
        .ok_or_else(|| StatementError::new(join(path, key), "required property is missing"))
}

/// Absolute IRI check (RFC 3987 / RFC 3986 section 3.1). Data 2.2 requires
/// rejecting IRIs without a scheme (XAPI-00011); we also reject characters
/// that no IRI production allows and malformed percent-escapes, since such a
/// string cannot be an IRI at all.
pub fn is_absolute_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    if !sc.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    if !sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return false;
    }
    if rest.is_empty() {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    if rest.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    }) {
        return false;
    }
    // A hierarchical IRI ("scheme://") needs a host, except for `file:`.
    if let Some(after) = rest.strip_prefix("//") {
        let authority = after.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() && !scheme.eq_ignore_ascii_case("file") {
            return false;
        }
    }
    true
}

/// RFC 4122 string form: 8-4-4-4-12 hex digits, either case, any variant
/// (Data 4.1 leaves the variant open and the conformance suite only checks
/// shape: XAPI-00027/28).
pub fn is_valid_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Data 2.4.2.3: mbox is "mailto:email address". The suite rejects both a
/// non-mailto IRI and a mailto without an address (`mailto:should.fail.com`).
pub(crate) fn is_mailto_iri(s: &str) -> bool {
    let Some(prefix) = s.get(..7) else {
        return false;
    };
    if !prefix.eq_ignore_ascii_case("mailto:") || !is_absolute_iri(s) {
        return false;
    }
    let addr = &s[7..];
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains(['@', ':', '/', '?', '#'])
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Data 2.4.2.3: mbox_sha1sum is the hex-encoded SHA-1 of a mailto IRI.
pub(crate) fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

pub(crate) fn check_iri(v: &Value, path: &str) -> VResult {
    let s = as_str(v, path)?;
    if is_absolute_iri(s) {
        Ok(())
    } else {
        fail(path, format!("`{s}` is not an absolute IRI"))
    }
}

pub(crate) fn check_uuid(v: &Value, path: &str) -> VResult {
    let s = as_str(v, path)?;
    if is_valid_uuid(s) {
        Ok(())
    } else {
        fail(path, format!("`{s}` is not a UUID"))
    }
}

pub(crate) fn check_language_tag(v: &Value, path: &str) -> VResult {
    let s = as_str(v, path)?;
    if is_well_formed_language_tag(s) {
        Ok(())
    } else {
        fail(
            path,
            format!("`{s}` is not a well-formed RFC 5646 language tag"),
        )
    }
}

/// Data 4.2 Language Map: keys are RFC 5646 tags (XAPI-00013), values strings.
pub(crate) fn check_language_map(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    if obj.is_empty() {
        // The conformance suite's reading: a language map has at least one entry.
        return fail(path, "a language map needs at least one entry");
    }
    for (tag, text) in obj {
        let p = join(path, tag);
        if !is_well_formed_language_tag(tag) {
            return fail(&p, "language map key is not a well-formed RFC 5646 tag");
        }
        as_str(text, &p)?;
    }
    Ok(())
}

/// Data 2.4.6.4 / 4.1 Extensions: keys MUST be IRIs; values are free-form
/// JSON (including `null`, the one place Data 2.2 permits it).
pub(crate) fn check_extensions(v: &Value, path: &str) -> VResult {
    let obj = as_object(v, path)?;
    match obj.keys().find(|k| !is_absolute_iri(k)) {
        Some(k) => fail(&join(path, k), "extension key is not an absolute IRI"),
        None => Ok(()),
    }
}

/// Data 2.2: reject any `null` value except inside extensions (XAPI-00001).
pub(crate) fn reject_nulls(v: &Value, path: &str) -> VResult {
    match v {
        Value::Null => fail(path, "must not be null"),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| reject_nulls(item, &index(path, i))),
        Value::Object(obj) => obj.iter().try_for_each(|(k, item)| {
            let p = join(path, k);
            if k == "extensions" && item.is_object() {
                // Extension values are opaque; only their keys are checked.
                Ok(())
            } else {
                reject_nulls(item, &p)
            }
        }),
        _ => Ok(()),
    }
}
