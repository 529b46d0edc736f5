//! W3C Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite
//! (<https://www.w3.org/TR/vc-di-eddsa/>): Ed25519 over the SHA-256 hashes of the
//! RDFC-1.0 canonical forms of the proof configuration and of the document.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::did::{self, DidError};
use super::jsonld::{self, CanonError};

type Object = Map<String, Value>;

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// Why a document could not be signed or its proof did not verify.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("the document has no proof")]
    Missing,
    #[error("unsupported proof: {0}")]
    Unsupported(String),
    #[error("cannot resolve the verification method: {0}")]
    VerificationMethod(#[from] DidError),
    #[error("malformed document or proof: {0}")]
    Malformed(String),
    #[error(transparent)]
    Canonicalization(#[from] CanonError),
    #[error("the signature does not verify")]
    InvalidSignature,
}

impl ProofError {
    /// A stable identifier for API responses and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "proof-missing",
            Self::Unsupported(_) => "proof-unsupported",
            Self::VerificationMethod(_) => "proof-verification-method",
            Self::Malformed(_) => "proof-malformed",
            Self::Canonicalization(_) => "proof-canonicalization",
            Self::InvalidSignature => "proof-invalid-signature",
        }
    }
}

fn malformed(msg: &str) -> ProofError {
    ProofError::Malformed(msg.to_owned())
}

/// `unsecured` with an `eddsa-rdfc-2022` proof by `key` added under `proof`.
///
/// `created` must be an RFC 3339 / XML Schema dateTimeStamp (e.g. `2025-01-01T00:00:00Z`).
pub fn sign(
    unsecured: &Value,
    key: &SigningKey,
    verification_method: &str,
    created: &str,
) -> Result<Value, ProofError> {
    let doc = unsecured
        .as_object()
        .ok_or_else(|| malformed("the document is not an object"))?;
    if doc.contains_key("proof") {
        return Err(malformed("the document already has a proof"));
    }
    check_created(created)?;
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("created".into(), created.into());
    proof.insert("verificationMethod".into(), verification_method.into());
    proof.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    let signature = key.sign(&hash_data(doc, &proof)?);
    let proof_value = format!("z{}", bs58::encode(signature.to_bytes()).into_string());
    proof.insert("proofValue".into(), proof_value.into());
    let mut secured = doc.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// Verifies the proof of `secured`, resolving its `did:key` verification method offline, and
/// returns the key that signed it.
///
/// This establishes who signed, not that they may: checking that the key belongs to the
/// credential's `issuer` is the caller's job.
pub fn verify(secured: &Value) -> Result<VerifyingKey, ProofError> {
    let (_, proof) = parse(secured)?;
    let vm = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the proof has no verificationMethod"))?;
    let key = did::resolve(vm)?;
    verify_with_key(secured, &key)?;
    Ok(key)
}

/// Verifies the proof of `secured` against a key the caller already resolved (for
/// verification methods other than `did:key`).
pub fn verify_with_key(secured: &Value, key: &VerifyingKey) -> Result<(), ProofError> {
    let (doc, proof) = parse(secured)?;
    let proof_value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the proof has no proofValue"))?;
    let signature = decode_proof_value(proof_value)?;
    if let Some(created) = proof.get("created") {
        let created = created
            .as_str()
            .ok_or_else(|| malformed("created is not a string"))?;
        check_created(created)?;
    }
    // Every proof option other than the value itself is signed, not just the ones we write.
    let mut config = proof.clone();
    config.remove("proofValue");
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    // A proof may carry its own @context; the spec then canonicalises under that one, after
    // checking it is a prefix of the document's.
    if let Some(context) = config.remove("@context") {
        check_context_prefix(&context, doc.get("@context"))?;
        unsecured.insert("@context".into(), context);
    }
    let hash = hash_data(&unsecured, &config)?;
    key.verify_strict(&hash, &signature)
        .map_err(|_| ProofError::InvalidSignature)
}

/// The document and its single proof, with type, cryptosuite and purpose checked.
fn parse(secured: &Value) -> Result<(&Object, &Object), ProofError> {
    let doc = secured
        .as_object()
        .ok_or_else(|| malformed("the document is not an object"))?;
    let proof = match doc.get("proof") {
        None => return Err(ProofError::Missing),
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(_)) => return Err(ProofError::Unsupported("proof sets".into())),
        Some(_) => return Err(malformed("proof is not an object")),
    };
    for (field, expected) in [
        ("type", PROOF_TYPE),
        ("cryptosuite", CRYPTOSUITE),
        ("proofPurpose", PROOF_PURPOSE),
    ] {
        match proof.get(field).and_then(Value::as_str) {
            Some(value) if value == expected => {}
            Some(value) => return Err(ProofError::Unsupported(format!("{field} {value}"))),
            None => return Err(ProofError::Malformed(format!("the proof has no {field}"))),
        }
    }
    Ok((doc, proof))
}

/// hashData = SHA-256(canonical proof config) ‖ SHA-256(canonical document); the proof
/// config is canonicalised under the document's `@context`.
fn hash_data(doc: &Object, proof: &Object) -> Result<[u8; 64], ProofError> {
    let context = doc
        .get("@context")
        .ok_or_else(|| malformed("the document has no @context"))?;
    let mut config = proof.clone();
    config.insert("@context".into(), context.clone());
    let config_hash = Sha256::digest(jsonld::canonicalize(&Value::Object(config))?);
    let doc_hash = Sha256::digest(jsonld::canonicalize(&Value::Object(doc.clone()))?);
    let mut out = [0; 64];
    out[..32].copy_from_slice(&config_hash);
    out[32..].copy_from_slice(&doc_hash);
    Ok(out)
}

fn decode_proof_value(value: &str) -> Result<Signature, ProofError> {
    let bytes = value
        .strip_prefix('z')
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .ok_or_else(|| malformed("proofValue is not base58btc multibase"))?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| malformed("proofValue is not a 64-byte signature"))?;
    Ok(Signature::from_bytes(&bytes))
}

fn check_created(created: &str) -> Result<(), ProofError> {
    OffsetDateTime::parse(created, &Rfc3339)
        .map(drop)
        .map_err(|_| malformed("created is not an RFC 3339 date-time"))
}

/// A proof that carries its own `@context` must not be verifiable under a different one.
fn check_context_prefix(proof_ctx: &Value, doc_ctx: Option<&Value>) -> Result<(), ProofError> {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let proof_ctx = as_list(proof_ctx);
    let doc_ctx = doc_ctx.map(as_list).unwrap_or_default();
    if doc_ctx.starts_with(&proof_ctx) {
        Ok(())
    } else {
        Err(malformed(
            "the proof's @context does not prefix the document's",
        ))
    }
}

#[cfg(test)]
#[path = "proof_tests.rs"]
mod tests;
