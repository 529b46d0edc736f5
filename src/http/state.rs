//! What the HTTP handlers share: the [`Context`] every part of Caravan works with, plus what only
//! serving needs (the delivery cache, the LRS clients recently authenticated, the request
//! metrics).

use std::{ops::Deref, sync::Arc};

use super::metrics::Metrics;
use crate::{context::Context, delivery::Delivery, lrs::clients::ClientCache};

#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    pub delivery: Arc<Delivery>,
    /// Recently authenticated LRS clients.
    pub lrs_clients: ClientCache,
    /// This node's request counts and latencies.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(ctx: Context, delivery: Arc<Delivery>) -> Self {
        Self {
            ctx,
            delivery,
            lrs_clients: ClientCache::default(),
            metrics: Arc::default(),
        }
    }
}

/// Handlers reach the context's parts as `state.db`, `state.store`, … and pass `&state` where a
/// domain function takes `&Context`.
impl Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}
