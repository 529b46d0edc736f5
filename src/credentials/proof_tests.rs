use serde_json::json;

use super::*;
use crate::credentials::jsonld::tests::{alumni_credential, open_badge, ALUMNI_NQUADS_SHA256};

// vc-di-eddsa (W3C Recommendation), §B.1 eddsa-rdfc-2022: key pair, proof options and output.
const SPEC_SECRET: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
const SPEC_PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
const SPEC_CREATED: &str = "2023-02-24T23:36:38Z";
const SPEC_PROOF_VALUE: &str =
    "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme";
const SPEC_PROOF_NQUADS: &str = concat!(
    "_:c14n0 <http://purl.org/dc/terms/created> \"2023-02-24T23:36:38Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n",
    "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n",
    "_:c14n0 <https://w3id.org/security#cryptosuite> \"eddsa-rdfc-2022\"^^<https://w3id.org/security#cryptosuiteString> .\n",
    "_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n",
    "_:c14n0 <https://w3id.org/security#verificationMethod> <did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2> .\n",
);
const SPEC_PROOF_NQUADS_SHA256: &str =
    "bea7b7acfbad0126b135104024a5f1733e705108f42d59668b05c0c50004c6b0";

/// The Ed25519 seed inside the spec's `secretKeyMultibase` (multicodec ed25519-priv, 0x1300).
fn spec_key() -> SigningKey {
    let bytes = bs58::decode(&SPEC_SECRET[1..]).into_vec().unwrap();
    let seed = bytes.strip_prefix(&[0x80, 0x26]).unwrap();
    SigningKey::from_bytes(seed.try_into().unwrap())
}

fn spec_vm() -> String {
    format!("did:key:{SPEC_PUBLIC}#{SPEC_PUBLIC}")
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn signed_badge(key: &SigningKey) -> Value {
    let vm = did::verification_method(&key.verifying_key());
    sign(&open_badge(), key, &vm, "2025-03-14T09:30:00Z").unwrap()
}

#[test]
fn reproduces_the_spec_test_vector() {
    let key = spec_key();
    assert_eq!(did::public_key_multibase(&key.verifying_key()), SPEC_PUBLIC);

    let mut config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": SPEC_CREATED,
        "verificationMethod": spec_vm(),
        "proofPurpose": "assertionMethod",
    });
    config["@context"] = alumni_credential()["@context"].clone();
    let canonical = jsonld::canonicalize(&config).unwrap();
    assert_eq!(canonical, SPEC_PROOF_NQUADS);
    assert_eq!(
        hex::encode(Sha256::digest(&canonical)),
        SPEC_PROOF_NQUADS_SHA256
    );

    let secured = sign(&alumni_credential(), &key, &spec_vm(), SPEC_CREATED).unwrap();
    assert_eq!(secured["proof"]["proofValue"], SPEC_PROOF_VALUE);
    let expected_hash = format!("{SPEC_PROOF_NQUADS_SHA256}{ALUMNI_NQUADS_SHA256}");
    let doc = secured.as_object().unwrap();
    let mut proof = doc["proof"].as_object().unwrap().clone();
    proof.remove("proofValue");
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    assert_eq!(
        hex::encode(hash_data(&unsecured, &proof).unwrap()),
        expected_hash
    );

    assert_eq!(verify(&secured).unwrap(), key.verifying_key());
    assert!(secured["proof"].get("@context").is_none());
}

/// The editors' draft re-issued the vector with an HTTPS verification method; its signed
/// document must verify as published, given the key.
#[test]
fn verifies_the_editors_draft_vector_with_a_given_key() {
    let mut secured = alumni_credential();
    secured["proof"] = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": SPEC_CREATED,
        "verificationMethod": format!("https://vc.example/issuers/5678#{SPEC_PUBLIC}"),
        "proofPurpose": "assertionMethod",
        "proofValue": "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9",
    });
    verify_with_key(&secured, &spec_key().verifying_key()).unwrap();
    let err = verify(&secured).unwrap_err();
    assert_eq!(err.code(), "proof-verification-method");
}

#[test]
fn round_trips_an_open_badge() {
    let key = key(7);
    let secured = signed_badge(&key);
    assert_eq!(verify(&secured).unwrap(), key.verifying_key());
    assert_eq!(
        secured["proof"]["verificationMethod"],
        did::verification_method(&key.verifying_key())
    );
}

#[test]
fn tampering_with_any_signed_field_breaks_the_signature() {
    let secured = signed_badge(&key(7));
    let edits: [(&str, Value); 9] = [
        ("/name", json!("Heavy Lifting Fundamentals")),
        ("/validFrom", json!("2025-03-14T09:30:01Z")),
        ("/validUntil", json!("2099-01-01T00:00:00Z")),
        ("/credentialSubject/id", json!("did:example:someone-else")),
        ("/credentialSubject/result/0/value", json!("100")),
        (
            "/credentialSubject/achievement/criteria/narrative",
            json!("Just turn up."),
        ),
        ("/credentialStatus/statusListIndex", json!("1")),
        ("/issuer/name", json!("Someone Else")),
        ("/proof/created", json!("2025-03-14T09:30:01Z")),
    ];
    for (path, value) in edits {
        let mut tampered = secured.clone();
        *tampered.pointer_mut(path).unwrap() = value;
        let err = verify(&tampered).unwrap_err();
        assert_eq!(err.code(), "proof-invalid-signature", "{path}: {err}");
    }
    // Dropping a defined property is as much a change as editing one.
    let mut tampered = secured.clone();
    tampered.as_object_mut().unwrap().remove("credentialStatus");
    assert_eq!(
        verify(&tampered).unwrap_err().code(),
        "proof-invalid-signature"
    );
    // So is an extra, signed-looking proof option.
    let mut tampered = secured.clone();
    tampered["proof"]["expires"] = json!("2030-01-01T00:00:00Z");
    assert_eq!(
        verify(&tampered).unwrap_err().code(),
        "proof-invalid-signature"
    );
}

#[test]
fn a_flipped_signature_bit_is_rejected() {
    let mut secured = signed_badge(&key(7));
    let sig = decode_proof_value(secured["proof"]["proofValue"].as_str().unwrap()).unwrap();
    let mut bytes = sig.to_bytes();
    bytes[10] ^= 1;
    secured["proof"]["proofValue"] = json!(format!("z{}", bs58::encode(bytes).into_string()));
    assert_eq!(
        verify(&secured).unwrap_err().code(),
        "proof-invalid-signature"
    );
}

#[test]
fn an_undefined_term_cannot_be_signed_or_slipped_in() {
    let mut doc = open_badge();
    doc["credentialSubject"]["favouriteColour"] = json!("green");
    let err = sign(&doc, &key(7), "did:key:x", "2025-03-14T09:30:00Z").unwrap_err();
    assert_eq!(err.code(), "proof-canonicalization");

    let mut secured = signed_badge(&key(7));
    secured["credentialSubject"]["favouriteColour"] = json!("green");
    assert_eq!(
        verify(&secured).unwrap_err().code(),
        "proof-canonicalization"
    );
}

#[test]
fn a_different_key_is_rejected() {
    // Signed by key 7 but claiming key 8's verification method.
    let vm = did::verification_method(&key(8).verifying_key());
    let secured = sign(&open_badge(), &key(7), &vm, "2025-03-14T09:30:00Z").unwrap();
    assert_eq!(
        verify(&secured).unwrap_err().code(),
        "proof-invalid-signature"
    );

    let secured = signed_badge(&key(7));
    let err = verify_with_key(&secured, &key(8).verifying_key()).unwrap_err();
    assert_eq!(err.code(), "proof-invalid-signature");
}

#[test]
fn unsupported_or_malformed_proofs_are_told_apart() {
    let secured = signed_badge(&key(7));
    let cases: [(&str, Value, &str); 8] = [
        (
            "/proof/type",
            json!("Ed25519Signature2020"),
            "proof-unsupported",
        ),
        (
            "/proof/cryptosuite",
            json!("eddsa-jcs-2022"),
            "proof-unsupported",
        ),
        (
            "/proof/proofPurpose",
            json!("authentication"),
            "proof-unsupported",
        ),
        ("/proof/proofValue", json!("uAAAA"), "proof-malformed"),
        (
            "/proof/proofValue",
            json!("z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM35jj"),
            "proof-malformed",
        ),
        ("/proof/created", json!("yesterday"), "proof-malformed"),
        (
            "/proof/verificationMethod",
            json!("did:web:caravan.example#key-1"),
            "proof-verification-method",
        ),
        ("/proof", json!([]), "proof-unsupported"),
    ];
    for (path, value, code) in cases {
        let mut doc = secured.clone();
        *doc.pointer_mut(path).unwrap() = value;
        assert_eq!(verify(&doc).unwrap_err().code(), code, "{path}");
    }
    assert_eq!(verify(&open_badge()).unwrap_err().code(), "proof-missing");
    let mut doc = secured.clone();
    doc["proof"].as_object_mut().unwrap().remove("proofValue");
    assert_eq!(verify(&doc).unwrap_err().code(), "proof-malformed");
    let mut doc = secured.clone();
    doc["proof"]["@context"] = json!(["https://www.w3.org/ns/did/v1"]);
    assert_eq!(verify(&doc).unwrap_err().code(), "proof-malformed");
}

#[test]
fn a_proof_may_repeat_the_document_context() {
    let mut secured = signed_badge(&key(7));
    secured["proof"]["@context"] = secured["@context"].clone();
    verify(&secured).unwrap();
}

#[test]
fn sign_refuses_what_it_cannot_sign_correctly() {
    let secured = signed_badge(&key(7));
    let err = sign(&secured, &key(7), "did:key:x", "2025-03-14T09:30:00Z").unwrap_err();
    assert_eq!(err.code(), "proof-malformed");
    let err = sign(&open_badge(), &key(7), "did:key:x", "14/03/2025").unwrap_err();
    assert_eq!(err.code(), "proof-malformed");
    let err = sign(&json!(["not", "an", "object"]), &key(7), "x", SPEC_CREATED).unwrap_err();
    assert_eq!(err.code(), "proof-malformed");
}
