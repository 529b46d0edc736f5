//! JSON-LD → RDF → RDFC-1.0 canonical N-Quads, the input to Data Integrity hashing.
//!
//! Two deliberate departures from a general-purpose JSON-LD processor, both because whatever
//! is not in the N-Quads is not covered by a signature:
//! - contexts come only from [`super::contexts`]; any other URL is an error, never a fetch;
//! - a property or type that the contexts do not define, or a node id that is not an absolute
//!   IRI, is an error rather than being silently dropped from the RDF.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use json_ld::expansion::{Action, Policy};
use json_ld::object::FragmentRef;
use json_ld::rdf_types::{generator, Id as RdfId, LiteralType, Quad, Term};
use json_ld::{
    ExpandError, Id, Iri, IriBuf, JsonLdProcessor, LoadError, Loader, Options, RemoteDocument,
    ToRdfError, ValidId,
};
use oxrdf::{BlankNode, Dataset, GraphName, Literal, NamedNode, Subject};

/// Why a document has no canonical form.
#[derive(Debug, thiserror::Error)]
pub enum CanonError {
    /// `@context` names a context that is not bundled.
    #[error("unknown JSON-LD context {0}")]
    UnknownContext(String),
    /// A property that no context defines.
    #[error("undefined JSON-LD term `{0}`")]
    UndefinedTerm(String),
    /// Any other JSON-LD processing error (undefined type, relative IRI, bad context, …).
    #[error("invalid JSON-LD: {0}")]
    Invalid(String),
    /// RDFC-1.0 gave up (e.g. a blank-node graph built to exhaust the algorithm).
    #[error("RDF canonicalization failed: {0}")]
    Canonicalization(String),
}

/// The RDFC-1.0 canonical N-Quads of `doc`, expanded with the bundled contexts only.
///
/// Synchronous and CPU-bound; the JSON-LD processor is async only because its loader trait is,
/// and the bundled loader never waits, so `block_on` returns without parking. On a Tokio worker
/// it is fine for credential-sized documents.
pub fn canonicalize(doc: &serde_json::Value) -> Result<String, CanonError> {
    futures::executor::block_on(canonicalize_async(doc))
}

async fn canonicalize_async(doc: &serde_json::Value) -> Result<String, CanonError> {
    let input = RemoteDocument::new(None, None, json_syntax::Value::from_serde_json(doc.clone()));
    let loader = BundledLoader {
        missing: RefCell::new(None),
    };
    let options = Options {
        expansion_policy: Policy {
            invalid: Action::Reject,
            vocab: Action::Keep,
            allow_undefined: false,
        },
        ..Options::default()
    };
    let mut rdf = match input
        .to_rdf_using(generator::Blank::new(), &loader, options)
        .await
    {
        Ok(rdf) => rdf,
        Err(ToRdfError::Expand(e)) => {
            return Err(loader
                .missing
                .into_inner()
                .map_or_else(|| expand_error(e), CanonError::UnknownContext))
        }
    };
    reject_invalid_ids(rdf.document())?;
    let dataset: Dataset = rdf.quads().map(to_oxrdf).collect::<Result<_, _>>()?;
    rdf_canon::canonicalize(&dataset).map_err(|e| CanonError::Canonicalization(e.to_string()))
}

fn expand_error(e: ExpandError) -> CanonError {
    match e {
        ExpandError::Expansion(json_ld::expansion::Error::KeyExpansionFailed(key)) => {
            CanonError::UndefinedTerm(key)
        }
        ExpandError::Expansion(json_ld::expansion::Error::InvalidTypeValue) => CanonError::Invalid(
            "a @type value is undefined in the contexts or not an absolute IRI".into(),
        ),
        other => CanonError::Invalid(other.to_string()),
    }
}

/// The expansion policy rejects undefined keys and types but keeps a node id that is not an
/// absolute IRI (e.g. `"id": "1234"`), and toRdf then drops that node's statements silently.
fn reject_invalid_ids(doc: &json_ld::ExpandedDocument) -> Result<(), CanonError> {
    for fragment in doc.traverse() {
        if let FragmentRef::NodeFragment(f) = fragment {
            if let Some(Id::Invalid(id)) = f.as_id() {
                return Err(CanonError::Invalid(format!(
                    "`{id}` is not an absolute IRI"
                )));
            }
        }
    }
    Ok(())
}

/// Contexts parsed once per process; each load hands out a clone of the parsed tree.
fn parsed_contexts() -> &'static HashMap<IriBuf, json_syntax::Value> {
    static PARSED: OnceLock<HashMap<IriBuf, json_syntax::Value>> = OnceLock::new();
    PARSED.get_or_init(|| {
        super::contexts::all()
            .map(|(url, text)| {
                let iri = IriBuf::new(url.to_owned()).expect("bundled context URL is an IRI");
                let value: serde_json::Value =
                    serde_json::from_str(text).expect("bundled context is JSON");
                (iri, json_syntax::Value::from_serde_json(value))
            })
            .collect()
    })
}

/// Serves the bundled contexts and remembers the first URL it could not serve, which the
/// processor's own error type would otherwise bury in a context-processing message.
struct BundledLoader {
    missing: RefCell<Option<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("not a bundled context")]
struct NotBundled;

impl Loader for BundledLoader {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        match parsed_contexts().get(url) {
            Some(doc) => Ok(RemoteDocument::new(Some(url.to_owned()), None, doc.clone())),
            None => {
                self.missing
                    .borrow_mut()
                    .get_or_insert_with(|| url.as_str().to_owned());
                Err(LoadError::new(url.to_owned(), NotBundled))
            }
        }
    }
}

type JsonLdQuad<'a> =
    json_ld::rdf::QuadRef<'a, IriBuf, json_ld::BlankIdBuf, json_ld::rdf_types::Literal>;

fn to_oxrdf(quad: JsonLdQuad<'_>) -> Result<oxrdf::Quad, CanonError> {
    let Quad(s, p, o, g) = quad;
    let predicate = match p.as_ref() {
        RdfId::Iri(iri) => NamedNode::new_unchecked(iri.as_str()),
        RdfId::Blank(_) => return Err(CanonError::Invalid("blank-node predicate".into())),
    };
    let object: oxrdf::Term = match o {
        Term::Id(id) => subject(&id).into(),
        Term::Literal(lit) => match &lit.type_ {
            LiteralType::Any(dt) => {
                Literal::new_typed_literal(lit.value, NamedNode::new_unchecked(dt.as_str()))
            }
            LiteralType::LangString(tag) => {
                Literal::new_language_tagged_literal_unchecked(lit.value, tag.as_str())
            }
        }
        .into(),
    };
    let graph = g.map_or(GraphName::DefaultGraph, |g| match g {
        RdfId::Iri(iri) => NamedNode::new_unchecked(iri.as_str()).into(),
        RdfId::Blank(b) => BlankNode::new_unchecked(b.suffix()).into(),
    });
    Ok(oxrdf::Quad::new(subject(&s), predicate, object, graph))
}

fn subject(id: &ValidId) -> Subject {
    match id {
        RdfId::Iri(iri) => NamedNode::new_unchecked(iri.as_str()).into(),
        RdfId::Blank(b) => BlankNode::new_unchecked(b.suffix()).into(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// The expected file is jsonld.js 8.3.3 + rdf-canonize 3.4.0 output (safe mode, URDNA2015,
    /// which RDFC-1.0 renamed) for the same document and the same bundled contexts.
    #[test]
    fn open_badge_matches_jsonld_js() {
        let expected = include_str!("testdata/open-badge-credential.nq");
        assert_eq!(canonicalize(&open_badge()).unwrap(), expected);
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
    fn a_document_without_context_has_no_defined_terms() {
        let doc = json!({"id": "urn:x", "name": "x"});
        assert!(matches!(
            canonicalize(&doc),
            Err(CanonError::UndefinedTerm(_))
        ));
    }

    /// `cargo test --release --lib credentials::jsonld -- --ignored --nocapture`
    #[test]
    #[ignore = "timing only"]
    fn time_open_badge_canonicalization() {
        let doc = open_badge();
        canonicalize(&doc).unwrap();
        let runs = 200;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            canonicalize(&doc).unwrap();
        }
        let each = start.elapsed() / runs;
        println!(
            "canonicalize: {each:?} per {}-byte credential",
            doc.to_string().len()
        );
    }
}
