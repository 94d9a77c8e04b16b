//! Sending a stored file: streamed from storage with its length, type and name.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use defdrive_core::model::File;
use defdrive_core::store::StoreError;

/// The whole file as a streamed 200.
pub async fn send(state: &AppState, file: &File) -> ApiResult<Response> {
    let stream = state
        .store
        .read(&file.storage_key, 0, None)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ApiError::internal("Stored bytes are missing", e),
            other => ApiError::internal("Failed to read file", other),
        })?;
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(file.size.max(0) as u64));
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
