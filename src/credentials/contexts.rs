//! JSON-LD contexts compiled into the binary, so that canonicalising a credential never
//! depends on the network or on what a remote server serves today. Where each file came from
//! is recorded in `contexts/README.md`.

/// The W3C Verifiable Credentials Data Model 2.0 base context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The Open Badges 3.0 context, revision 3.0.3.
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The Multikey verification-method context, used by did:key documents.
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// The Data Integrity context (a subset of what CREDENTIALS_V2 already defines).
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";
/// The DID Core 1.0 context.
pub const DID_V1: &str = "https://www.w3.org/ns/did/v1";

const BUNDLED: [(&str, &str); 5] = [
    (
        CREDENTIALS_V2,
        include_str!("contexts/credentials-v2.jsonld"),
    ),
    (
        OPEN_BADGES_V3,
        include_str!("contexts/ob-v3p0-context-3.0.3.json"),
    ),
    (MULTIKEY_V1, include_str!("contexts/multikey-v1.jsonld")),
    (
        DATA_INTEGRITY_V2,
        include_str!("contexts/data-integrity-v2.jsonld"),
    ),
    (DID_V1, include_str!("contexts/did-v1.jsonld")),
];

/// The examples context maps every term through `@vocab`; letting it into production would
/// let any property through unchecked, so it exists for the spec's test vectors only.
#[cfg(test)]
const TEST_ONLY: [(&str, &str); 1] = [(
    "https://www.w3.org/ns/credentials/examples/v2",
    include_str!("contexts/test/credentials-examples-v2.jsonld"),
)];
#[cfg(not(test))]
const TEST_ONLY: [(&str, &str); 0] = [];

/// The bundled context document (JSON text) for `url`, if there is one.
pub fn bundled(url: &str) -> Option<&'static str> {
    all().find(|(u, _)| *u == url).map(|(_, text)| text)
}

/// Every bundled `(url, document)` pair.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUNDLED.into_iter().chain(TEST_ONLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_context_is_a_json_ld_context_document() {
        for (url, text) in all() {
            let doc: serde_json::Value = serde_json::from_str(text).expect(url);
            assert!(doc["@context"].is_object(), "{url}");
        }
    }

    #[test]
    fn lookup_is_exact() {
        assert!(bundled(CREDENTIALS_V2)
            .unwrap()
            .contains("DataIntegrityProof"));
        let v2 = bundled(CREDENTIALS_V2).unwrap();
        assert!(v2.contains("BitstringStatusListCredential"));
        assert!(v2.contains("BitstringStatusListEntry"));
        assert!(bundled(OPEN_BADGES_V3)
            .unwrap()
            .contains("OpenBadgeCredential"));
        assert_eq!(bundled("https://www.w3.org/ns/credentials/v2/"), None);
        assert_eq!(
            bundled("https://www.w3.org/ns/credentials/undefined-terms/v2"),
            None
        );
    }
}
