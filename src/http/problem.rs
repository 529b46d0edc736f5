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

use crate::error::{AppError, FieldError};

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
pub fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::Denied { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } | AppError::Refused { .. } => StatusCode::CONFLICT,
        AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        AppError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
        AppError::Status { status, .. } => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
        }
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document of an error.
pub fn problem(e: &AppError) -> Problem {
    let status = status(e);
    let (detail, errors) = match e {
        AppError::Validation(errors) => (
            Some("Some fields are missing or invalid.".to_owned()),
            errors.clone(),
        ),
        AppError::BadRequest { detail, .. }
        | AppError::PayloadTooLarge { detail, .. }
        | AppError::UnsupportedMediaType { detail }
        | AppError::Denied { detail, .. }
        | AppError::Refused { detail, .. }
        | AppError::PreconditionFailed { detail, .. }
        | AppError::Status { detail, .. } => (Some(detail.clone()), vec![]),
        AppError::Conflict { field, detail } => (
            Some(detail.clone()),
            vec![FieldError::new(*field, detail.clone())],
        ),
        AppError::Unauthorized => (Some("Log in or send a valid bearer token.".into()), vec![]),
        AppError::Forbidden => (Some("Your role does not allow this.".into()), vec![]),
        AppError::TooManyRequests { retry_after_secs } => (
            Some(format!(
                "Too many attempts; try again in {retry_after_secs} seconds."
            )),
            vec![],
        ),
        AppError::Unavailable(detail) => (Some(detail.clone()), vec![]),
        AppError::RangeNotSatisfiable(len) => (Some(format!("This file has {len} bytes.")), vec![]),
        AppError::NotFound | AppError::MethodNotAllowed | AppError::Internal(_) => (None, vec![]),
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = (status(&self), axum::Json(problem(&self))).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            AppError::RangeNotSatisfiable(len) => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        response
    }
}
