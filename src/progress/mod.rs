//! Progress: from stored xAPI statements to unit and course completion.
//!
//! Rules (each unit kind):
//! - video and audio: complete when the union of played segments (the Video Profile's
//!   `played-segments` extension) covers at least 90 % of the asset's duration; a seek reports
//!   no played segment, so skipping ahead counts nothing. The resume position is the `time` (or
//!   `time-to` after a seek) of the newest statement. Without a known duration the player's
//!   own `completed` is trusted, since there is nothing to measure against.
//! - document, vr and package: complete on `viewed`, `experienced` or `completed`; except a
//!   cmi5 AU, which completes only when the cmi5 LMS finds its moveOn met
//!   (`packages::cmi5::track`), and a SCORM item, which completes on the `completed` or
//!   `passed` Caravan records from its run-time data (`packages::scorm`).
//! - quiz: complete on `passed` written by Caravan itself (authority the organisation, after
//!   scoring an attempt on the server); a learner's own `passed` statement counts for nothing.
//!
//! A course is complete when every required unit is; that is recorded once per learner (one
//! `completed` statement and one outbox event for the credentials feature).
//!
//! Everything is a merge (union of segments, newest position, best score, first completion),
//! so applying a statement twice changes nothing.

pub mod courses;
pub mod segments;
pub mod statements;
mod store;
pub mod units;
pub mod view;

use std::collections::BTreeMap;

use crate::{
    context::Context,
    lrs::{identity, store::Prepared},
};
pub use courses::{mark_consumed, pending_completions, CompletionEvent};

/// Derives progress from newly stored statements and returns the course completions they
/// made (each also waits in the outbox until the credentials feature consumes it). Statements
/// are already acknowledged when this runs, so failures are logged, never returned.
pub async fn record(state: &Context, statements: &[&Prepared]) -> Vec<CompletionEvent> {
    let public_url = &state.settings.public_url;
    let mut by_unit: BTreeMap<(String, String), Vec<&Prepared>> = BTreeMap::new();
    for &p in statements {
        let Some(user) = &p.user_id else { continue };
        if let Some(unit) = unit_of(&p.body, public_url) {
            by_unit
                .entry((user.clone(), unit.to_owned()))
                .or_default()
                .push(p);
        }
    }
    let mut completed = Vec::new();
    for ((user, unit), stmts) in by_unit {
        match units::apply(&state.db, &user, &unit, &stmts).await {
            Ok(Some(done)) if done.newly_completed => {
                match courses::check(state, &user, &done.course_id).await {
                    Ok(Some(event)) => completed.push(event),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(error = ?e, user, course = done.course_id, "course completion failed")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, user, unit, "unit progress failed"),
        }
    }
    completed
}

/// Completes a unit for the learner as the feature that owns it decided (a cmi5 AU whose moveOn
/// is met), returning the course completion that made, if any.
pub async fn complete_unit(
    state: &Context,
    user_id: &str,
    unit_id: &str,
) -> crate::error::Result<Option<CompletionEvent>> {
    match units::complete(&state.db, user_id, unit_id).await? {
        Some(done) if done.newly_completed => courses::check(state, user_id, &done.course_id).await,
        _ => Ok(None),
    }
}

/// The unit a statement is about: its object, else a parent or grouping activity.
fn unit_of<'a>(stmt: &'a serde_json::Value, public_url: &str) -> Option<&'a str> {
    let context = &stmt["context"]["contextActivities"];
    std::iter::once(&stmt["object"])
        .chain(context["parent"].as_array().into_iter().flatten())
        .chain(context["grouping"].as_array().into_iter().flatten())
        .filter_map(|a| a["id"].as_str())
        .find_map(|id| match identity::local_activity(id, public_url) {
            Some(identity::LocalActivity::Unit(unit)) => Some(unit),
            _ => None,
        })
}
