//! JSON-LD → RDF → RDFC-1.0 canonical N-Quads, the input to Data Integrity hashing.
//!
//! Two deliberate departures from a general-purpose JSON-LD processor, both because whatever
//! is not in the N-Quads is not covered by a signature:
//! - contexts come only from [`super::contexts`]; any other URL is an error, never a fetch;
//! - a property or type that the contexts do not define, or a node id that is not an absolute
//!   IRI, is an error rather than being silently dropped from the RDF.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use json_ld::expansion::{self, Action, Policy};
use json_ld::object::{FragmentRef, Ref};
use json_ld::rdf_types::{generator, Id as RdfId, LiteralType, Quad, Term};
use json_ld::syntax::context::Context as SyntaxContext;
use json_ld::syntax::TryFromJson;
use json_ld::{
    context_processing, Expand, Id, Iri, IriBuf, LoadError, Loader, Process, RdfQuads,
    RemoteDocument, ValidId,
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

/// Deeper JSON than any credential needs; bounds the processor's recursion.
const MAX_DEPTH: usize = 32;
/// The JSON-LD expander recurses with large frames (about 180 KB a nesting level in a debug
/// build), so a dozen levels overflow a 2 MiB Tokio worker stack and abort the process.
/// The stack is reserved, not committed: untouched pages cost nothing.
const STACK_SIZE: usize = 32 << 20;

/// The RDFC-1.0 canonical N-Quads of `doc`, expanded with the bundled contexts only.
///
/// Synchronous and CPU-bound (a few milliseconds for a credential); it runs on a short-lived
/// thread of its own for the stack reason above. The JSON-LD processor is async only because its
/// loader trait is; the bundled loader never waits, so `block_on` never parks.
pub fn canonicalize(doc: &serde_json::Value) -> Result<String, CanonError> {
    if nested_deeper_than(doc, MAX_DEPTH) {
        return Err(CanonError::Invalid(format!(
            "nested deeper than {MAX_DEPTH} levels"
        )));
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("jsonld-canon".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || {
                futures::executor::block_on(canonicalize_async(doc))
            })
            .map_err(|e| CanonError::Canonicalization(format!("no thread: {e}")))?;
        // Documents come from untrusted holders; a bug in the processor is a refusal, not a crash.
        worker.join().unwrap_or_else(|_| {
            Err(CanonError::Canonicalization(
                "the JSON-LD processor panicked".into(),
            ))
        })
    })
}

fn nested_deeper_than(value: &serde_json::Value, levels: usize) -> bool {
    use serde_json::Value::{Array, Object};
    match value {
        Array(_) | Object(_) if levels == 0 => true,
        Array(items) => items.iter().any(|v| nested_deeper_than(v, levels - 1)),
        Object(entries) => entries.values().any(|v| nested_deeper_than(v, levels - 1)),
        _ => false,
    }
}

async fn canonicalize_async(doc: &serde_json::Value) -> Result<String, CanonError> {
    let loader = BundledLoader {
        missing: RefCell::new(None),
    };
    let expanded = expand(doc, &loader).await;
    // An unbundled URL surfaces as whatever processing step needed it; name it instead.
    let mut expanded = match (expanded, loader.missing.into_inner()) {
        (Err(_), Some(url)) => return Err(CanonError::UnknownContext(url)),
        (result, _) => result?,
    };
    reject_dropped(&expanded)?;
    let mut blank_ids = generator::Blank::new();
    expanded.relabel_and_canonicalize_with(&mut (), &mut blank_ids);
    let dataset: Dataset = expanded
        .rdf_quads_full(&mut (), &mut blank_ids, None, false)
        .map(to_oxrdf)
        .collect::<Result<_, _>>()?;
    rdf_canon::canonicalize(&dataset).map_err(|e| CanonError::Canonicalization(e.to_string()))
}

/// JSON-LD expansion, with the document's top-level `@context` processed separately so that
/// the result can be cached: processing the VC and Open Badges contexts is about half the
/// cost of canonicalising a credential. Expanding `{"@context": c, ...}` from the empty
/// context is, by definition, expanding `{...}` from the result of processing `c`.
async fn expand(
    doc: &serde_json::Value,
    loader: &BundledLoader,
) -> Result<json_ld::ExpandedDocument, CanonError> {
    let mut body = doc.clone();
    let context = match body.as_object_mut().and_then(|o| o.remove("@context")) {
        Some(local) => active_context(local, loader).await?,
        None => json_ld::Context::new(None),
    };
    let options = expansion::Options {
        policy: Policy {
            invalid: Action::Reject,
            vocab: Action::Keep,
            allow_undefined: false,
        },
        ..expansion::Options::default()
    };
    json_syntax::Value::from_serde_json(body)
        .expand_full(&mut (), context, None, loader, options, ())
        .await
        .map_err(|e| match e {
            expansion::Error::KeyExpansionFailed(key) => CanonError::UndefinedTerm(key),
            expansion::Error::InvalidTypeValue => CanonError::Invalid(
                "a @type value is undefined in the contexts or not an absolute IRI".into(),
            ),
            other => CanonError::Invalid(other.to_string()),
        })
}

/// Processed top-level contexts, keyed by their JSON. Only lists of URLs are cached, and only
/// so many, so that documents with inline contexts cannot grow the cache.
const CONTEXT_CACHE_ENTRIES: usize = 64;

async fn active_context(
    local: serde_json::Value,
    loader: &BundledLoader,
) -> Result<json_ld::Context, CanonError> {
    static CACHE: OnceLock<Mutex<HashMap<String, json_ld::Context>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let cacheable = match &local {
        serde_json::Value::String(_) => true,
        serde_json::Value::Array(items) => items.iter().all(serde_json::Value::is_string),
        _ => false,
    };
    let key = cacheable.then(|| local.to_string());
    if let Some(hit) = key.as_ref().and_then(|k| lock(cache).get(k).cloned()) {
        return Ok(hit);
    }
    let invalid = |e: &dyn std::fmt::Display| CanonError::Invalid(e.to_string());
    let processed = SyntaxContext::try_from_json(json_syntax::Value::from_serde_json(local))
        .map_err(|e| invalid(&e))?
        .process_full(
            &mut (),
            &json_ld::Context::new(None),
            loader,
            None,
            context_processing::Options::default(),
            (),
        )
        .await
        .map_err(|e| invalid(&e))?
        .into_processed();
    if let Some(key) = key {
        let mut cache = lock(cache);
        if cache.len() < CONTEXT_CACHE_ENTRIES {
            cache.insert(key, processed.clone());
        }
    }
    Ok(processed)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Catches what the expansion policy lets through but toRdf would then drop without a word:
/// statements about a node whose id is not an absolute IRI (e.g. `"id": "1234"`), strings with
/// an ill-formed language tag, and `@direction` (which has no RDF form in the default mode;
/// jsonld.js in safe mode rejects it too).
fn reject_dropped(doc: &json_ld::ExpandedDocument) -> Result<(), CanonError> {
    for fragment in doc.traverse() {
        if let FragmentRef::NodeFragment(f) = &fragment {
            if let Some(Id::Invalid(id)) = f.as_id() {
                return Err(CanonError::Invalid(format!(
                    "`{id}` is not an absolute IRI"
                )));
            }
        }
        if let Some(Ref::Value(json_ld::Value::LangString(s))) = fragment.into_ref() {
            if s.direction().is_some() {
                return Err(CanonError::Invalid("@direction is not supported".into()));
            }
            if let Some(lang) = s.language().filter(|l| l.as_well_formed().is_none()) {
                return Err(CanonError::Invalid(format!(
                    "`{lang}` is not a language tag"
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
            // Lower-cased, as jsonld.js does, so both sign the same bytes.
            LiteralType::LangString(tag) => {
                Literal::new_language_tagged_literal(lit.value, tag.as_str())
                    .map_err(|e| CanonError::Invalid(e.to_string()))?
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
#[path = "jsonld_tests.rs"]
pub(crate) mod tests;
