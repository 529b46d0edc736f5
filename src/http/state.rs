//! What the HTTP handlers share: the [`Context`] every part of Caravan works with, plus what only
//! serving needs (the delivery cache, the LRS clients recently authenticated, the request
//! metrics).

use std::{ops::Deref, sync::Arc};

use super::metrics::Metrics;
use crate::{
    accounts::sessions::Sessions, context::Context, delivery::Delivery, lrs::clients::ClientCache,
};

/// Cloned for every request, so one reference count to bump (not one per part: those are
/// shared cache lines the HTTP threads would pass back and forth).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub ctx: Context,
    pub delivery: Arc<Delivery>,
    /// Recently authenticated LRS clients.
    pub lrs_clients: ClientCache,
    /// Recently looked-up sessions (bearer tokens and cookies).
    pub sessions: Arc<Sessions>,
    /// This node's request counts and latencies.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(ctx: Context, delivery: Arc<Delivery>) -> Self {
        Self(Arc::new(Shared {
            ctx,
            delivery,
            lrs_clients: ClientCache::default(),
            sessions: Arc::default(),
            metrics: Arc::default(),
        }))
    }
}

/// Handlers reach the serving parts as `state.delivery`, … and the context's parts as
/// `state.db`, `state.store`, …; they pass `&state` where a domain function takes `&Context`.
impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Deref for Shared {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}
