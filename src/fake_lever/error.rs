//! Errors the fake's handlers answer with, in Lever's shape: `{"code": "ResourceNotFound", "message": "…"}`.
//!
//! Lever documents the codes `ResourceNotFound` and `RequestTimeout`; the others here follow
//! the same naming (the status's reason phrase without spaces).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// An id in the path or body names nothing (404).
    #[error("{collection} {id} was not found")]
    NotFound {
        /// Lever's name of the collection (`opportunities`, `stages`, …).
        collection: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The body or query is not what the endpoint takes (400).
    #[error("{0}")]
    BadRequest(String),
}

impl ApiError {
    /// A 404 for `id` in `collection`.
    pub(crate) fn not_found(collection: &'static str, id: &str) -> Self {
        Self::NotFound {
            collection,
            id: id.to_owned(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        lever_error(self.status_code(), &self.to_string())
    }
}

/// A Lever-shaped error response with `status`.
pub(crate) fn lever_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "code": code_for(status), "message": message }))
}

/// Lever's error `code` for a status.
pub(crate) fn code_for(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "ResourceNotFound".to_owned(),
        StatusCode::REQUEST_TIMEOUT => "RequestTimeout".to_owned(),
        other => other
            .canonical_reason()
            .unwrap_or("Error")
            .split([' ', '-'])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_lever_naming() {
        assert_eq!(code_for(StatusCode::NOT_FOUND), "ResourceNotFound");
        assert_eq!(code_for(StatusCode::BAD_REQUEST), "BadRequest");
        assert_eq!(code_for(StatusCode::TOO_MANY_REQUESTS), "TooManyRequests");
        assert_eq!(
            code_for(StatusCode::SERVICE_UNAVAILABLE),
            "ServiceUnavailable"
        );
    }
}
