//! API errors: a status and a JSON body `{"error": "..."}` (some with extra numeric keys).
//! Internal failures are logged with their cause and answered with a fixed message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use defdrive_core::quota::QuotaError;
use serde_json::{Value, json};
use std::fmt::Display;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// A 500 with `message`, logging `cause` (never sent to the client).
    pub fn internal(message: &str, cause: impl Display) -> Self {
        tracing::error!(error = %cause, "{message}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn invalid_body() -> Self {
        Self::bad_request("Invalid request body")
    }

    pub fn invalid_token() -> Self {
        Self::unauthorized("Invalid or expired token")
    }

    pub fn quota(error: &QuotaError) -> Self {
        let body = match *error {
            QuotaError::FileLimit {
                current_files,
                max_files,
            } => json!({
                "error": "File limit exceeded",
                "current_files": current_files,
                "max_files": max_files,
            }),
            QuotaError::StorageLimit {
                current_storage,
                max_storage,
                file_size,
            } => json!({
                "error": "Storage limit exceeded",
                "current_storage": current_storage,
                "max_storage": max_storage,
                "file_size": file_size,
            }),
        };
        Self {
            status: StatusCode::FORBIDDEN,
            body,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("Not found")
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}
