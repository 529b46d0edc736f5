use ed25519_dalek::SigningKey;
use serde_json::json;

use super::*;
use crate::credentials::jsonld::tests::open_badge;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn kid(key: &SigningKey) -> String {
    did::verification_method(&key.verifying_key())
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn round_trips_with_registered_claims() {
    let key = key(3);
    let jwt = encode(&open_badge(), &key, &kid(&key)).unwrap();
    let (header, payload) = decode(&jwt).unwrap();
    assert_eq!(
        header,
        json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": kid(&key)})
    );

    let mut claims = payload.as_object().unwrap().clone();
    assert_eq!(claims.remove("iss").unwrap(), open_badge()["issuer"]["id"]);
    assert_eq!(claims.remove("jti").unwrap(), open_badge()["id"]);
    assert_eq!(claims.remove("sub").unwrap(), "did:example:learner-7f3c2a");
    // 2025-03-14T09:30:00Z and 2028-03-14T09:30:00Z.
    assert_eq!(claims.remove("iat").unwrap(), 1_741_944_600);
    assert_eq!(claims.remove("nbf").unwrap(), 1_741_944_600);
    assert_eq!(claims.remove("exp").unwrap(), 1_836_639_000);
    assert_eq!(
        Value::Object(claims),
        open_badge(),
        "the rest is the credential as given"
    );
}

#[test]
fn optional_claims_follow_the_credential() {
    let key = key(3);
    let mut vc = open_badge();
    let obj = vc.as_object_mut().unwrap();
    obj.remove("id");
    obj.remove("validUntil");
    obj.insert("issuer".into(), json!("https://caravan.example/issuer"));
    obj.insert(
        "credentialSubject".into(),
        json!([{"type": ["AchievementSubject"]}]),
    );
    let (_, payload) = decode(&encode(&vc, &key, &kid(&key)).unwrap()).unwrap();
    assert_eq!(payload["iss"], "https://caravan.example/issuer");
    for absent in ["jti", "sub", "exp"] {
        assert!(payload.get(absent).is_none(), "{absent}");
    }
}

#[test]
fn a_tampered_payload_is_rejected() {
    let key = key(3);
    let jwt = encode(&open_badge(), &key, &kid(&key)).unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    let (_, mut payload) = decode(&jwt).unwrap();
    payload["name"] = json!("Heavy Lifting Fundamentals");
    let forged = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_eq!(decode(&forged).unwrap_err().code(), "jwt-invalid-signature");

    // Re-signed by another key but still naming the first one.
    let forged = {
        let input = format!("{}.{}", parts[0], b64(&payload));
        let sig = self::key(4).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    };
    assert_eq!(decode(&forged).unwrap_err().code(), "jwt-invalid-signature");
}

#[test]
fn only_eddsa_is_accepted() {
    let key = key(3);
    let jwt = encode(&open_badge(), &key, &kid(&key)).unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let none = json!({"alg": "none", "typ": "vc+jwt", "kid": kid(&key)});
    let err = decode(&format!("{}.{payload}.", b64(&none))).unwrap_err();
    assert_eq!(err.code(), "jwt-unsupported-alg");

    // HS256 "signed" with the public key as the HMAC secret: the classic confusion attack.
    use hmac::{Mac, SimpleHmac};
    let hs = json!({"alg": "HS256", "typ": "vc+jwt", "kid": kid(&key)});
    let input = format!("{}.{payload}", b64(&hs));
    let mut mac =
        SimpleHmac::<sha2::Sha256>::new_from_slice(key.verifying_key().as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let err = decode(&format!("{input}.{tag}")).unwrap_err();
    assert_eq!(err.code(), "jwt-unsupported-alg");
}

#[test]
fn malformed_tokens_are_rejected() {
    let key = key(3);
    let jwt = encode(&open_badge(), &key, &kid(&key)).unwrap();
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        &format!("{jwt}.extra"),
        &format!("{jwt}="),
    ] {
        assert_eq!(decode(bad).unwrap_err().code(), "jwt-malformed", "{bad}");
    }
    let payload = jwt.split('.').nth(1).unwrap();
    let no_kid = json!({"alg": "EdDSA"});
    let err = decode(&format!("{}.{payload}.AAAA", b64(&no_kid))).unwrap_err();
    assert_eq!(err.code(), "jwt-malformed");
    let web_kid = json!({"alg": "EdDSA", "kid": "did:web:caravan.example#key-1"});
    let err = decode(&format!("{}.{payload}.AAAA", b64(&web_kid))).unwrap_err();
    assert_eq!(err.code(), "jwt-key");
}

#[test]
fn encode_refuses_inconsistent_input() {
    let key = key(3);
    let other = kid(&self::key(4));
    assert_eq!(
        encode(&open_badge(), &key, &other).unwrap_err().code(),
        "jwt-credential"
    );

    let mut with_proof = open_badge();
    with_proof["proof"] = json!({"type": "DataIntegrityProof"});
    let mut no_issuer = open_badge();
    no_issuer.as_object_mut().unwrap().remove("issuer");
    let mut clashing = open_badge();
    clashing.as_object_mut().unwrap().remove("validUntil");
    clashing["exp"] = json!(4_102_444_800_u64);
    let mut bad_date = open_badge();
    bad_date["validFrom"] = json!("14 March 2025");
    for vc in [with_proof, no_issuer, clashing, bad_date] {
        assert_eq!(
            encode(&vc, &key, &kid(&key)).unwrap_err().code(),
            "jwt-credential"
        );
    }
}
