//! What every part of Caravan works with: the database, the object store, the settings, the
//! bell that wakes this node's job workers, and the sealer of signing keys. Domain functions take
//! `&Context` (or just `&Db`); the HTTP edge's state wraps a `Context` and adds what only
//! serving needs. This module sits low: it imports no HTTP and no domain module.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::{config::Settings, db::Db, sealer::Sealer, storage::Store};

#[derive(Clone)]
pub struct Context {
    pub db: Db,
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Wakes this node's workers when it enqueues a job (other nodes poll).
    pub jobs_notify: Arc<Notify>,
    /// Opens the organisations' credential signing keys.
    pub sealer: Arc<Sealer>,
}

impl Context {
    pub fn new(db: Db, store: Store, settings: Settings) -> Self {
        let sealer = Arc::new(Sealer::new(settings.secret_key.expose()));
        Self {
            db,
            store,
            settings: Arc::new(settings),
            jobs_notify: Arc::new(Notify::new()),
            sealer,
        }
    }
}
