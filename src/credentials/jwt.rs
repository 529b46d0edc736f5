//! Verifiable credentials secured as JWTs (VC-JOSE-COSE, <https://www.w3.org/TR/vc-jose-cose/>):
//! the credential itself is the JWT payload, signed with EdDSA (Ed25519).
//!
//! `decode` checks the signature only; whether `nbf`/`exp` make the credential currently
//! valid, and whether `kid` belongs to `iss`, is left to the caller.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::did::{self, DidError};

/// Why a credential could not be encoded as, or recovered from, a JWT.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed JWT: {0}")]
    Malformed(String),
    #[error("unsupported JWT algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("cannot resolve the JWT key: {0}")]
    Key(#[from] DidError),
    #[error("the JWT signature does not verify")]
    InvalidSignature,
    #[error("cannot encode the credential: {0}")]
    Credential(String),
}

impl JwtError {
    /// A stable identifier for API responses and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "jwt-malformed",
            Self::UnsupportedAlgorithm(_) => "jwt-unsupported-alg",
            Self::Key(_) => "jwt-key",
            Self::InvalidSignature => "jwt-invalid-signature",
            Self::Credential(_) => "jwt-credential",
        }
    }
}

/// JWT claim names (RFC 7519 §4.1) that must not come from the credential body.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

fn credential_error(msg: &str) -> JwtError {
    JwtError::Credential(msg.to_owned())
}

fn malformed(msg: &str) -> JwtError {
    JwtError::Malformed(msg.to_owned())
}

/// The compact JWS of `credential` (unsecured, without `proof`), signed by `key` under `kid`.
///
/// Registered claims are derived from the credential: `iss` from `issuer`, `jti` from `id`,
/// `sub` from `credentialSubject.id`, `iat`/`nbf` from `validFrom`, `exp` from `validUntil`.
pub fn encode(credential: &Value, key: &SigningKey, kid: &str) -> Result<String, JwtError> {
    let vc = credential
        .as_object()
        .ok_or_else(|| credential_error("not a JSON object"))?;
    if vc.contains_key("proof") {
        return Err(credential_error("it already has a Data Integrity proof"));
    }
    // A did:key kid that names another key would produce a JWT nobody can verify.
    if kid.starts_with("did:key:") && did::resolve(kid)? != key.verifying_key() {
        return Err(credential_error("kid does not name the signing key"));
    }
    // Claims come only from the credential's own fields, so a stray `exp` cannot outlive it.
    if let Some(claim) = REGISTERED.iter().find(|c| vc.contains_key(**c)) {
        return Err(JwtError::Credential(format!("it has a `{claim}` property")));
    }
    let mut payload = vc.clone();
    payload.extend(
        registered_claims(vc)?
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        b64_json(&header),
        b64_json(&Value::Object(payload))
    );
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

fn registered_claims(vc: &Map<String, Value>) -> Result<Vec<(&'static str, Value)>, JwtError> {
    let issuer = match vc.get("issuer") {
        Some(Value::String(id)) => id,
        Some(Value::Object(issuer)) => issuer
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| credential_error("issuer has no id"))?,
        _ => return Err(credential_error("it has no issuer")),
    };
    let mut claims = vec![("iss", json!(issuer))];
    if let Some(id) = vc.get("id").and_then(Value::as_str) {
        claims.push(("jti", json!(id)));
    }
    let subject = match vc.get("credentialSubject") {
        Some(Value::Array(subjects)) if subjects.len() == 1 => subjects.first(),
        other => other,
    };
    if let Some(sub) = subject.and_then(|s| s.get("id")).and_then(Value::as_str) {
        claims.push(("sub", json!(sub)));
    }
    if let Some(from) = timestamp(vc, "validFrom")? {
        claims.push(("iat", json!(from)));
        claims.push(("nbf", json!(from)));
    }
    if let Some(until) = timestamp(vc, "validUntil")? {
        claims.push(("exp", json!(until)));
    }
    Ok(claims)
}

/// Seconds since the epoch of a date-time property, if present.
fn timestamp(vc: &Map<String, Value>, field: &str) -> Result<Option<i64>, JwtError> {
    let Some(value) = vc.get(field) else {
        return Ok(None);
    };
    value
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .map(|t| Some(t.unix_timestamp()))
        .ok_or_else(|| JwtError::Credential(format!("{field} is not an RFC 3339 date-time")))
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The protected header and payload of `jwt` once its EdDSA signature verifies against the
/// `did:key` named by the header's `kid`.
pub fn decode(jwt: &str) -> Result<(Value, Value), JwtError> {
    let mut parts = jwt.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not three dot-separated parts"));
    };
    let header = decode_json(header_b64, "header")?;
    // The algorithm is fixed, never taken from the token: this is where `none`/HS256 die.
    match header.get("alg").and_then(Value::as_str) {
        Some("EdDSA") => {}
        Some(other) => return Err(JwtError::UnsupportedAlgorithm(other.to_owned())),
        None => return Err(malformed("the header has no alg")),
    }
    if header.get("crit").is_some() {
        return Err(malformed("critical header parameters are not supported"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the header has no kid"))?;
    let key = did::resolve(kid)?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| malformed("the signature is not 64 base64url bytes"))?;
    let signing_input = &jwt[..header_b64.len() + 1 + payload_b64.len()];
    key.verify_strict(signing_input.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| JwtError::InvalidSignature)?;
    let payload = decode_json(payload_b64, "payload")?;
    Ok((header, payload))
}

fn decode_json(part: &str, what: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed(format!("the {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(JwtError::Malformed(format!(
            "the {what} is not a JSON object"
        ))),
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
