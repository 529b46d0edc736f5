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

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Another caller (or the caller itself) refuses this with a reason of its own, e.g. a
    /// learner writing someone else's statement, an expired link.
    #[error("{code}: {detail}")]
    Denied { code: &'static str, detail: String },
    #[error("conflict on {field}")]
    Conflict { field: &'static str, detail: String },
    /// The present state of the thing does not allow this, e.g. no quiz attempts left.
    #[error("{code}: {detail}")]
    Refused { code: &'static str, detail: String },
    /// A conditional request whose condition (an ETag, a protocol version) does not hold.
    #[error("{code}: {detail}")]
    PreconditionFailed { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge { code: &'static str, detail: String },
    #[error("unsupported media type")]
    UnsupportedMediaType { detail: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A byte range outside a representation of this many bytes.
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// A status outside the common set (tus's 460 Checksum Mismatch, 412, 410).
    #[error("{code}: {detail}")]
    Status {
        status: u16,
        code: &'static str,
        detail: String,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
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
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation-failed",
            Self::BadRequest { code, .. }
            | Self::PayloadTooLarge { code, .. }
            | Self::Denied { code, .. }
            | Self::Refused { code, .. }
            | Self::PreconditionFailed { code, .. }
            | Self::Status { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::Conflict { .. } => "conflict",
            Self::UnsupportedMediaType { .. } => "unsupported-media-type",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::RangeNotSatisfiable(_) => "range-not-satisfiable",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<object_store::Error> for AppError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Internal(other.into()),
        }
    }
}
