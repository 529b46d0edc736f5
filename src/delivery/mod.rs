//! Serving stored bytes over HTTP: byte ranges, validators, access control and signed URLs, from
//! any store.

pub mod access;
pub mod offline;
pub mod range;
pub mod signing;
pub mod source;
pub(crate) mod store;
pub mod zip;

use crate::{db::Db, storage::Store};

/// How long URLs handed to an authorised learner stay valid.
pub const SIGNED_URL_TTL_SECS: i64 = 6 * 3600;

pub struct Delivery {
    pub signer: signing::Signer,
    pub access: access::AccessCache,
    pub source: source::Source,
}

impl Delivery {
    pub async fn new(db: &Db, store: Store) -> anyhow::Result<Self> {
        Ok(Self {
            signer: signing::Signer::load(db).await?,
            access: access::AccessCache::default(),
            source: source::Source::new(store),
        })
    }

    /// The URL of a blob for someone allowed to see it: plain when public, signed otherwise.
    pub fn media_url(&self, sha: &str, public: bool) -> String {
        let path = format!("/media/{sha}");
        if public {
            path
        } else {
            self.signer.signed_url(&path, SIGNED_URL_TTL_SECS)
        }
    }
}
