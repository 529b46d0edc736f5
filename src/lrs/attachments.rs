//! Attachments (Data 2.4.11, Communication 1.5.2): every attachment without a `fileUrl` must
//! arrive as a part whose SHA-2 matches, and signature attachments must carry a JWS whose
//! payload is the statement that was signed.

use std::collections::HashMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::error::{Error, Result};

pub const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// An attachment's bytes as received, keyed by its verified hash.
#[derive(Debug, Clone)]
pub struct Received {
    pub sha2: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::bad_request("xapi-attachment-invalid", detail)
}

/// The SHA-2 of `bytes` with the same length as `claimed` (SHA-256, -384 or -512).
fn sha2_like(claimed: &str, bytes: &[u8]) -> Option<String> {
    Some(match claimed.len() {
        64 => hex::encode(Sha256::digest(bytes)),
        96 => hex::encode(Sha384::digest(bytes)),
        128 => hex::encode(Sha512::digest(bytes)),
        _ => return None,
    })
}

/// Checks parts against the attachments the statements declare; returns the parts by hash.
pub fn check(statements: &[Value], parts: Vec<Received>) -> Result<HashMap<String, Received>> {
    let mut by_hash = HashMap::new();
    for part in parts {
        let actual = sha2_like(&part.sha2, &part.bytes).ok_or_else(|| {
            bad(format!(
                "X-Experience-API-Hash {} is not a SHA-2 hash.",
                part.sha2
            ))
        })?;
        if actual != part.sha2 {
            return Err(bad(format!(
                "The part named {} does not have that SHA-2 hash.",
                part.sha2
            )));
        }
        by_hash.insert(part.sha2.clone(), part);
    }
    let mut used = std::collections::HashSet::new();
    // A SubStatement may carry attachments of its own.
    let carriers = statements
        .iter()
        .flat_map(|s| [s, &s["object"]])
        .filter(|s| s.get("attachments").is_some());
    for stmt in carriers {
        for att in stmt["attachments"].as_array().into_iter().flatten() {
            let sha2 = att["sha2"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let part = by_hash.get(&sha2);
            if part.is_none() && att.get("fileUrl").is_none() {
                return Err(bad(format!(
                    "Attachment {sha2} has no fileUrl and no part carrying its bytes."
                )));
            }
            if let Some(part) = part {
                used.insert(sha2.clone());
                if att["usageType"].as_str() == Some(SIGNATURE) {
                    if att["contentType"].as_str() != Some("application/octet-stream") {
                        return Err(bad("A signature attachment's contentType must be application/octet-stream."));
                    }
                    check_signature(stmt, &part.bytes)?;
                }
            }
        }
    }
    if let Some(extra) = by_hash.keys().find(|h| !used.contains(*h)) {
        return Err(bad(format!(
            "The part {extra} matches no attachment of the statements."
        )));
    }
    Ok(by_hash)
}

/// Data 2.6: a signature is a JWS (RS256/384/512) whose payload is the statement as signed.
fn check_signature(stmt: &Value, jws: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(jws).map_err(|_| bad("The signature is not a JWS."))?;
    let segments: Vec<&str> = text.trim().split('.').collect();
    if segments.len() != 3 {
        return Err(bad("The signature is not a compact JWS."));
    }
    let decode = |s: &str| -> Result<Value> {
        let raw = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| bad("The signature is not valid base64url."))?;
        serde_json::from_slice(&raw)
            .map_err(|_| bad("The signature's header or payload is not JSON."))
    };
    let header = decode(segments[0])?;
    let algorithm = match header["alg"].as_str() {
        Some("RS256") => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        Some("RS384") => webpki::ring::RSA_PKCS1_2048_8192_SHA384,
        Some("RS512") => webpki::ring::RSA_PKCS1_2048_8192_SHA512,
        _ => {
            return Err(bad(
                "The signature's algorithm must be RS256, RS384 or RS512.",
            ))
        }
    };
    let signature = URL_SAFE_NO_PAD
        .decode(segments[2].trim_end_matches('='))
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("The signature has no signature bytes."))?;
    // Data 2.6: with an x5c certificate chain the signature must verify against the first
    // certificate's key (no chain of trust is asked of the LRS).
    if let Some(chain) = header.get("x5c") {
        let first = chain
            .as_array()
            .and_then(|c| c.first())
            .and_then(Value::as_str)
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
            .ok_or_else(|| bad("The signature's x5c is not a base64 certificate chain."))?;
        let der = rustls_pki_types::CertificateDer::from(first);
        let cert = webpki::EndEntityCert::try_from(&der)
            .map_err(|_| bad("The signature's x5c certificate cannot be read."))?;
        let signed = &text.trim().as_bytes()[..segments[0].len() + 1 + segments[1].len()];
        cert.verify_signature(algorithm, signed, &signature)
            .map_err(|_| bad("The signature does not verify against its x5c certificate."))?;
    }
    let payload = decode(segments[1])?;
    if !same_signed_content(stmt, &payload) {
        return Err(bad("The signature's payload is not this statement."));
    }
    Ok(())
}

/// The statement minus what signing adds or the LRS sets, compared with the signed payload.
/// Durations compare at 0.01 s (Data 4.2.7): `PT1.2345S` matches a signed `PT1.23S`.
fn same_signed_content(stmt: &Value, payload: &Value) -> bool {
    fn strip(v: &Value, keep_id: bool) -> Value {
        let mut m = v.as_object().cloned().unwrap_or_default();
        for key in ["attachments", "authority", "stored", "version", "timestamp"] {
            m.remove(key);
        }
        if !keep_id {
            m.remove("id");
        }
        let mut v = Value::Object(m);
        centiseconds(&mut v["result"]);
        if v["object"]["objectType"] == "SubStatement" {
            centiseconds(&mut v["object"]["result"]);
        }
        v
    }
    let keep_id = payload.get("id").is_some();
    payload.is_object() && strip(stmt, keep_id) == strip(payload, keep_id)
}

/// A result's duration as whole hundredths of a second, precision beyond them dropped.
fn centiseconds(result: &mut Value) {
    let Some(result) = result.as_object_mut() else {
        return;
    };
    let Some(secs) = result
        .get("duration")
        .and_then(Value::as_str)
        .and_then(crate::lrs::xapi::parse_duration)
    else {
        return;
    };
    // The nudge keeps a value printed as 1.23 from flooring to 122.99… hundredths.
    let hundredths = (secs * 100.0 + 1e-6).floor() as i64;
    result.insert("duration".into(), Value::from(hundredths));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_duration(d: &str) -> Value {
        json!({"actor": {"mbox": "mailto:a@example.org"}, "verb": {"id": "http://example.org/v"},
            "object": {"id": "http://example.org/a"}, "result": {"duration": d}})
    }

    #[test]
    fn durations_compare_to_the_hundredth_of_a_second() {
        let signed = with_duration("PT1.23S");
        assert!(same_signed_content(&with_duration("PT1.2345S"), &signed));
        assert!(same_signed_content(&with_duration("PT1.239S"), &signed));
        assert!(same_signed_content(&with_duration("PT1.230S"), &signed));
        assert!(!same_signed_content(&with_duration("PT1.24S"), &signed));
        assert!(!same_signed_content(&with_duration("PT1.22S"), &signed));
        // Another way of writing the same length is still the same length.
        assert!(same_signed_content(
            &with_duration("PT60S"),
            &with_duration("PT1M")
        ));
    }

    #[test]
    fn sub_statement_durations_compare_the_same_way() {
        let sub = |d: &str| {
            json!({"actor": {"mbox": "mailto:a@example.org"}, "verb": {"id": "http://example.org/v"},
                "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:a@example.org"},
                    "verb": {"id": "http://example.org/v"}, "object": {"id": "http://example.org/a"},
                    "result": {"duration": d}}})
        };
        assert!(same_signed_content(&sub("PT2.0099S"), &sub("PT2S")));
        assert!(!same_signed_content(&sub("PT2.01S"), &sub("PT2S")));
    }
}
