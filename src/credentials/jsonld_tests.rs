use super::*;
use serde_json::json;
use sha2::{Digest, Sha256};

/// vc-di-eddsa (W3C Recommendation), §B.1 eddsa-rdfc-2022: the unsecured credential.
pub(crate) fn alumni_credential() -> serde_json::Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:abcdefgh",
            "alumniOf": "The School of Examples"
        }
    })
}

/// The same section's canonical form of that credential, and its published SHA-256.
pub(crate) const ALUMNI_NQUADS: &str = concat!(
    "<did:example:abcdefgh> <https://www.w3.org/ns/credentials/examples#alumniOf> \"The School of Examples\" .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/credentials/examples#AlumniCredential> .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://schema.org/description> \"A minimum viable example of an Alumni Credential.\" .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://schema.org/name> \"Alumni Credential\" .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#credentialSubject> <did:example:abcdefgh> .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#issuer> <https://vc.example/issuers/5678> .\n",
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#validFrom> \"2023-01-01T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n",
);
pub(crate) const ALUMNI_NQUADS_SHA256: &str =
    "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017";

/// A ~3 KB Open Badges 3.0 credential touching most of the OB context's scoped terms.
pub(crate) fn open_badge() -> serde_json::Value {
    serde_json::from_str(include_str!("testdata/open-badge-credential.json")).unwrap()
}

#[test]
fn reproduces_the_spec_canonical_form() {
    assert_eq!(
        hex::encode(Sha256::digest(ALUMNI_NQUADS)),
        ALUMNI_NQUADS_SHA256
    );
    assert_eq!(canonicalize(&alumni_credential()).unwrap(), ALUMNI_NQUADS);
}

/// The expected file is what jsonld.js produces (8.3.3 with rdf-canonize 3.4.0, and 9.0.0 with
/// rdf-canonize 5.0.0; safe mode) for the same document and the same bundled contexts.
#[test]
fn open_badge_matches_jsonld_js() {
    let expected = include_str!("testdata/open-badge-credential.nq");
    assert_eq!(canonicalize(&open_badge()).unwrap(), expected);
}

/// An inline context is processed on every call rather than cached; defining the two example
/// terms inline must give exactly the spec's N-Quads.
#[test]
fn inline_context_terms_work_without_the_cache() {
    let mut doc = alumni_credential();
    doc["@context"][1] = json!({
        "AlumniCredential": "https://www.w3.org/ns/credentials/examples#AlumniCredential",
        "alumniOf": "https://www.w3.org/ns/credentials/examples#alumniOf",
    });
    for _ in 0..2 {
        assert_eq!(canonicalize(&doc).unwrap(), ALUMNI_NQUADS);
    }
    // A protected term of the base context cannot be redefined inline.
    doc["@context"][1]["name"] = json!("https://evil.example/name");
    assert!(matches!(canonicalize(&doc), Err(CanonError::Invalid(_))));
}

#[test]
fn set_order_does_not_matter() {
    let mut doc = open_badge();
    doc["type"] = json!(["OpenBadgeCredential", "VerifiableCredential"]);
    doc["credentialSubject"]["achievement"]["tag"] =
        json!(["warehouse", "workplace safety", "manual handling"]);
    assert_eq!(
        canonicalize(&doc).unwrap(),
        canonicalize(&open_badge()).unwrap()
    );
}

#[test]
fn an_unknown_context_is_not_fetched() {
    let mut doc = alumni_credential();
    doc["@context"][1] = json!("https://example.com/my-context.jsonld");
    match canonicalize(&doc) {
        Err(CanonError::UnknownContext(url)) => {
            assert_eq!(url, "https://example.com/my-context.jsonld")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_undefined_property_is_an_error_not_a_silent_drop() {
    let mut doc = open_badge();
    doc["credentialSubject"]["favouriteColour"] = json!("green");
    match canonicalize(&doc) {
        Err(CanonError::UndefinedTerm(term)) => assert_eq!(term, "favouriteColour"),
        other => panic!("{other:?}"),
    }
    // `@vocab` in the examples context makes the same property defined there.
    let mut alumni = alumni_credential();
    alumni["credentialSubject"]["favouriteColour"] = json!("green");
    assert!(canonicalize(&alumni)
        .unwrap()
        .contains("examples#favouriteColour"));
}

#[test]
fn an_undefined_type_is_an_error() {
    let mut doc = open_badge();
    doc["type"] = json!(["VerifiableCredential", "MysteryCredential"]);
    assert!(
        matches!(canonicalize(&doc), Err(CanonError::Invalid(_))),
        "type"
    );
}

#[test]
fn a_relative_node_id_is_an_error() {
    for (path, value) in [
        ("/credentialSubject/id", "learner-7"),
        ("/issuer/id", "caravan"),
    ] {
        let mut doc = open_badge();
        *doc.pointer_mut(path).unwrap() = json!(value);
        match canonicalize(&doc) {
            Err(CanonError::Invalid(msg)) => assert!(msg.contains(value), "{msg}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn language_tags_are_lower_cased_and_direction_is_refused() {
    let mut doc = alumni_credential();
    doc["name"] = json!({"@value": "Alumni Credential", "@language": "en-GB"});
    assert!(canonicalize(&doc)
        .unwrap()
        .contains("\"Alumni Credential\"@en-gb ."));
    doc["name"]["@language"] = json!("not a tag!");
    assert!(matches!(canonicalize(&doc), Err(CanonError::Invalid(_))));
    doc["name"] = json!({"@value": "Alumni Credential", "@language": "en", "@direction": "ltr"});
    assert!(matches!(canonicalize(&doc), Err(CanonError::Invalid(_))));
}

/// RDFC-1.0 escapes control characters (jsonld.js agrees from rdf-canonize 4 on).
#[test]
fn control_characters_are_escaped() {
    let mut doc = alumni_credential();
    doc["name"] = json!("a\tb\u{7}c\"d\\e\nf");
    let canonical = canonicalize(&doc).unwrap();
    assert!(canonical.contains(r#"<https://schema.org/name> "a\tb\u0007c\"d\\e\nf" ."#));
}

#[test]
fn a_document_without_context_has_no_defined_terms() {
    let doc = json!({"id": "urn:x", "name": "x"});
    assert!(matches!(
        canonicalize(&doc),
        Err(CanonError::UndefinedTerm(_))
    ));
}

/// Nested node objects `levels` deep (counting the credential itself).
fn nested(levels: usize) -> serde_json::Value {
    let mut subject = json!({"name": "leaf"});
    for _ in 2..levels {
        subject = json!({"knows": subject});
    }
    let mut doc = alumni_credential();
    doc["credentialSubject"] = subject;
    doc
}

#[test]
fn deep_nesting_is_refused_rather_than_overflowing_the_stack() {
    // Called from a thread with a Tokio worker's stack size.
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            (
                canonicalize(&nested(MAX_DEPTH)),
                canonicalize(&nested(MAX_DEPTH + 1)),
            )
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(outcome.0.is_ok(), "{:?}", outcome.0);
    assert!(
        matches!(outcome.1, Err(CanonError::Invalid(_))),
        "{:?}",
        outcome.1
    );
}
