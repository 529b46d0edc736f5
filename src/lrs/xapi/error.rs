//! The single error type produced by statement validation.

use std::fmt;

/// A statement failed validation.
///
/// `path` locates the offending value with dotted property names and `[n]`
/// array indices (e.g. `context.contextActivities.parent[0].id`); it is empty
/// when the statement as a whole is at fault. An LRS answers any such error
/// with `400 Bad Request` (xAPI Data 2.2 "Formatting Requirements").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub path: String,
    pub message: String,
}

impl StatementError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "statement: {}", self.message)
        } else {
            write!(f, "statement.{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for StatementError {}
