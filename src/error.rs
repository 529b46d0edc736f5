//! The error the domain speaks: what went wrong, as a kind and a stable machine-readable `code`
//! that clients and tests rely on. It knows no HTTP: the edge (`http::problem`) alone turns a
//! kind into a status and an RFC 9457 `application/problem+json` body, and logs internal causes
//! there (inside the request's span, so with its request id) without sending them.

use serde::Serialize;
use utoipa::ToSchema;

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `level` or `units[2].kind`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What went wrong, by kind; each kind (or the `code` it carries) is stable on the wire.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields of the input are missing or invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The input cannot be understood at all (malformed JSON, an unknown query parameter).
    #[error("invalid: {detail}")]
    Invalid { code: &'static str, detail: String },
    /// No one is signed in (or the credential is not valid).
    #[error("authentication required")]
    Unauthenticated,
    /// The caller's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// The caller may not do this, for a reason of its own, e.g. a learner writing someone
    /// else's statement, an expired link.
    #[error("{code}: {detail}")]
    Denied { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    /// A value must be unique and is taken.
    #[error("conflict on {field}")]
    Conflict { field: &'static str, detail: String },
    /// The present state of the thing does not allow this, e.g. no quiz attempts left.
    #[error("{code}: {detail}")]
    Refused { code: &'static str, detail: String },
    /// A conditional request whose condition (an ETag, a protocol version) does not hold.
    #[error("{code}: {detail}")]
    PreconditionFailed { code: &'static str, detail: String },
    /// More bytes than a limit or a quota allows.
    #[error("too large: {detail}")]
    TooLarge { code: &'static str, detail: String },
    #[error("unsupported type")]
    UnsupportedType { detail: String },
    /// Too many attempts; the next may come after this many seconds.
    #[error("throttled")]
    Throttled { retry_after_secs: u64 },
    /// A dependency (the database, the store) cannot answer now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    // The edge's own protocol answers; `scripts/check-layers` keeps them out of the domain.
    /// A status outside the common set (tus's 460 Checksum Mismatch).
    #[error("{code}: {detail}")]
    Protocol {
        status: u16,
        code: &'static str,
        detail: String,
    },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A byte range outside a representation of this many bytes.
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
}

/// A result whose error is, by default, [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// For refusals that must not confirm the thing exists: `Forbidden` becomes `NotFound`.
    pub fn hidden(self) -> Self {
        match self {
            Self::Forbidden => Self::NotFound,
            other => other,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            detail: detail.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation-failed",
            Self::Invalid { code, .. }
            | Self::TooLarge { code, .. }
            | Self::Denied { code, .. }
            | Self::Refused { code, .. }
            | Self::PreconditionFailed { code, .. }
            | Self::Protocol { code, .. } => code,
            Self::Unauthenticated => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::Conflict { .. } => "conflict",
            Self::UnsupportedType { .. } => "unsupported-media-type",
            Self::Throttled { .. } => "too-many-requests",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::RangeNotSatisfiable(_) => "range-not-satisfiable",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Internal(other.into()),
        }
    }
}
