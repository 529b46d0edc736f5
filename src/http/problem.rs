//! The domain's errors as HTTP answers: a status per kind and an RFC 9457
//! `application/problem+json` body carrying the error's stable `code`.
//!
//! Internal causes are logged here, inside the request's span (so with its request id), and never
//! sent to the client.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

/// RFC 9457 problem details, as sent on the wire.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`about:blank` plus our `code`).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation-failed`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The status an error is answered with.
pub fn status(e: &Error) -> StatusCode {
    match e {
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden | Error::Denied { .. } => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict { .. } | Error::Refused { .. } => StatusCode::CONFLICT,
        Error::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
        Error::Protocol { status, .. } => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
        }
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document of an error.
pub fn problem(e: &Error) -> Problem {
    let status = status(e);
    let (detail, errors) = match e {
        Error::Validation(errors) => (
            Some("Some fields are missing or invalid.".to_owned()),
            errors.clone(),
        ),
        Error::Invalid { detail, .. }
        | Error::TooLarge { detail, .. }
        | Error::UnsupportedType { detail }
        | Error::Denied { detail, .. }
        | Error::Refused { detail, .. }
        | Error::PreconditionFailed { detail, .. }
        | Error::Protocol { detail, .. } => (Some(detail.clone()), vec![]),
        Error::Conflict { field, detail } => (
            Some(detail.clone()),
            vec![FieldError::new(*field, detail.clone())],
        ),
        Error::Unauthenticated => (Some("Log in or send a valid bearer token.".into()), vec![]),
        Error::Forbidden => (Some("Your role does not allow this.".into()), vec![]),
        Error::Throttled { retry_after_secs } => (
            Some(format!(
                "Too many attempts; try again in {retry_after_secs} seconds."
            )),
            vec![],
        ),
        Error::Unavailable(detail) => (Some(detail.clone()), vec![]),
        Error::RangeNotSatisfiable(len) => (Some(format!("This file has {len} bytes.")), vec![]),
        Error::NotFound | Error::MethodNotAllowed | Error::Internal(_) => (None, vec![]),
    };
    Problem {
        type_: format!("https://caravan.dev/problems/{}", e.code()),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        code: e.code().to_owned(),
        detail,
        errors,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = (status(&self), axum::Json(problem(&self))).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            Error::Throttled { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Error::RangeNotSatisfiable(len) => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        response
    }
}
