//! Progress: from stored xAPI statements to unit and course completion.

use crate::{app::AppState, lrs::store::Prepared};

/// Derives progress from newly stored statements. Statements are already acknowledged when
/// this runs, so failures are logged, never returned.
pub async fn record(_state: &AppState, _statements: &[Prepared]) {}
