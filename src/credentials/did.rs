//! `did:key` for Ed25519 keys (<https://w3c-ccg.github.io/did-key-spec/>).
//!
//! A did:key embeds the public key itself, so resolving one is pure decoding: no registry, no
//! network. Other DID methods are out of scope here.

use ed25519_dalek::VerifyingKey;
use serde_json::{json, Value};

/// The multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const PREFIX: &str = "did:key:";

/// Why a DID or verification-method URL could not be turned into a key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DidError {
    #[error("not a did:key identifier")]
    NotDidKey,
    #[error("the did:key is not base58btc multibase")]
    Encoding,
    #[error("the did:key does not hold an Ed25519 public key")]
    UnsupportedKeyType,
    #[error("the fragment does not name the key of this did:key")]
    FragmentMismatch,
    #[error("the public key is not a valid Ed25519 point")]
    InvalidKey,
}

/// The multibase (base58btc, `z…`) Multikey encoding of `pk`, as used in `publicKeyMultibase`.
pub fn public_key_multibase(pk: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(pk.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

/// `did:key:z6Mk…` for `pk`.
pub fn did_key(pk: &VerifyingKey) -> String {
    format!("{PREFIX}{}", public_key_multibase(pk))
}

/// The verification-method URL of `pk`'s did:key: `did:key:z6Mk…#z6Mk…`.
pub fn verification_method(pk: &VerifyingKey) -> String {
    let mb = public_key_multibase(pk);
    format!("{PREFIX}{mb}#{mb}")
}

/// The Ed25519 key named by a `did:key:…` DID or its `did:key:…#…` verification method.
pub fn resolve(vm_or_did: &str) -> Result<VerifyingKey, DidError> {
    let rest = vm_or_did.strip_prefix(PREFIX).ok_or(DidError::NotDidKey)?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, fragment)) => (id, Some(fragment)),
        None => (rest, None),
    };
    // A fragment naming any other key would let a proof claim a method the DID lacks.
    if fragment.is_some_and(|f| f != id) {
        return Err(DidError::FragmentMismatch);
    }
    let encoded = id.strip_prefix('z').ok_or(DidError::Encoding)?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| DidError::Encoding)?;
    let key = bytes
        .strip_prefix(&ED25519_PUB)
        .ok_or(DidError::UnsupportedKeyType)?;
    let key: &[u8; 32] = key.try_into().map_err(|_| DidError::InvalidKey)?;
    let pk = VerifyingKey::from_bytes(key).map_err(|_| DidError::InvalidKey)?;
    // Small-order keys verify forged signatures over many messages.
    if pk.is_weak() {
        return Err(DidError::InvalidKey);
    }
    Ok(pk)
}

/// The DID document a did:key resolver produces for `pk`, with one Multikey method.
pub fn did_document(pk: &VerifyingKey) -> Value {
    let did = did_key(pk);
    let vm = verification_method(pk);
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{
            "id": vm,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": public_key_multibase(pk),
        }],
        "authentication": [vm],
        "assertionMethod": [vm],
        "capabilityDelegation": [vm],
        "capabilityInvocation": [vm],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vc-di-eddsa test-vector key pair.
    const SPEC_PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const SPEC_PUBLIC_HEX: &str =
        "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f";

    fn spec_key() -> VerifyingKey {
        let bytes: [u8; 32] = hex::decode(SPEC_PUBLIC_HEX).unwrap().try_into().unwrap();
        VerifyingKey::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn encodes_the_spec_key() {
        let pk = spec_key();
        assert_eq!(public_key_multibase(&pk), SPEC_PUBLIC);
        assert_eq!(did_key(&pk), format!("did:key:{SPEC_PUBLIC}"));
        assert_eq!(
            verification_method(&pk),
            format!("did:key:{SPEC_PUBLIC}#{SPEC_PUBLIC}")
        );
    }

    #[test]
    fn resolves_both_forms() {
        let pk = spec_key();
        assert_eq!(resolve(&did_key(&pk)), Ok(pk));
        assert_eq!(resolve(&verification_method(&pk)), Ok(pk));
    }

    #[test]
    fn rejects_what_is_not_an_ed25519_did_key() {
        let did = format!("did:key:{SPEC_PUBLIC}");
        assert_eq!(
            resolve(&format!("{did}#key-1")),
            Err(DidError::FragmentMismatch)
        );
        assert_eq!(resolve("did:web:example.com"), Err(DidError::NotDidKey));
        assert_eq!(resolve("did:key:u7QE"), Err(DidError::Encoding));
        assert_eq!(resolve("did:key:z0OIl"), Err(DidError::Encoding));
        // A P-256 did:key (multicodec 0x1200) from the did:key spec.
        let p256 = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169";
        assert_eq!(resolve(p256), Err(DidError::UnsupportedKeyType));
        let short = format!(
            "did:key:z{}",
            bs58::encode([0xed, 0x01, 1, 2, 3]).into_string()
        );
        assert_eq!(resolve(&short), Err(DidError::InvalidKey));
        // The identity point has small order.
        let mut identity = vec![0xed, 0x01, 1];
        identity.extend([0; 31]);
        let weak = format!("did:key:z{}", bs58::encode(identity).into_string());
        assert_eq!(resolve(&weak), Err(DidError::InvalidKey));
    }

    #[test]
    fn did_document_lists_the_key_under_every_relationship() {
        let pk = spec_key();
        let doc = did_document(&pk);
        let vm = verification_method(&pk);
        assert_eq!(doc["id"], did_key(&pk));
        assert_eq!(doc["verificationMethod"][0]["id"], vm);
        assert_eq!(doc["verificationMethod"][0]["type"], "Multikey");
        assert_eq!(doc["verificationMethod"][0]["controller"], did_key(&pk));
        assert_eq!(
            doc["verificationMethod"][0]["publicKeyMultibase"],
            SPEC_PUBLIC
        );
        for rel in ["authentication", "assertionMethod", "capabilityDelegation"] {
            assert_eq!(doc[rel], json!([vm]), "{rel}");
        }
        assert_eq!(doc["capabilityInvocation"], json!([vm]));
    }
}
