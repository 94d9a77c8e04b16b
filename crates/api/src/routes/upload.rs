//! `POST /api/upload`: one multipart part named `file`, streamed through the core's upload
//! pipeline (quota checked early and reserved atomically, ack after durable).

use crate::error::{ApiError, ApiResult};
use crate::extract::auth::AuthUser;
use crate::state::AppState;
use crate::wire::{ErrorJson, FileJson};
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::http::header::CONTENT_DISPOSITION;
use defdrive_core::upload::UploadError;
use futures_util::TryStreamExt;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UploadReply {
    #[schema(example = "File uploaded successfully")]
    message: &'static str,
    file: FileJson,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/upload", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Stored, durable and recorded; new files are private", body = UploadReply),
        (status = 400, description = "No file provided / Invalid file name", body = ErrorJson),
        (status = 403, description = "File limit exceeded (current_files, max_files) or Storage limit \
            exceeded (current_storage, max_storage, file_size)", body = ErrorJson),
        (status = 409, description = "A live file of that name exists", body = ErrorJson),
        (status = 503, description = "The server is shutting down; nothing was stored", body = ErrorJson)))]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UploadReply>> {
    let mut multipart = multipart.map_err(|_| ApiError::bad_request("No file provided"))?;
    let outcome = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Err(e) if is_bad_part_header(&e.body_text()) => {
                break Err(ApiError::bad_request("Invalid file name"));
            }
            Ok(None) | Err(_) => break Err(ApiError::bad_request("No file provided")),
        };
        if field.name() != Some("file") {
            continue;
        }
        let Some(raw_name) = field.file_name().map(str::to_owned) else {
            // A `filename` that is there but not text (not UTF-8) is a bad name, not a
            // missing file.
            let named = field
                .headers()
                .get(CONTENT_DISPOSITION)
                .is_some_and(|v| v.as_bytes().windows(8).any(|w| w == b"filename"));
            let message = if named {
                "Invalid file name"
            } else {
                "No file provided"
            };
            break Err(ApiError::bad_request(message));
        };
        let metrics = state.metrics.clone();
        let body = field.inspect_ok(move |chunk| metrics.add_uploaded(chunk.len()));
        break state
            .uploads
            .receive(user.id, &raw_name, body)
            .await
            .map_err(upload_error);
    };
    // Read what is left of the body so the client is sure to get the answer.
    while let Ok(Some(_)) = multipart.next_field().await {}
    let file = outcome?;
    Ok(Json(UploadReply {
        message: "File uploaded successfully",
        file: FileJson::new(&file, &user.username),
    }))
}

/// A part header that does not parse: in practice a file name with raw control characters
/// (browsers escape them, other clients may not).
fn is_bad_part_header(text: &str) -> bool {
    text.contains("failed to read headers")
        || text.contains("failed to decode field's raw header value")
}

fn upload_error(error: UploadError) -> ApiError {
    match error {
        UploadError::InvalidName => ApiError::bad_request("Invalid file name"),
        UploadError::NameTaken => {
            ApiError::conflict("A file with this name already exists in your folder")
        }
        UploadError::Quota(q) => ApiError::quota(&q),
        UploadError::NoSuchUser => ApiError::invalid_token(),
        UploadError::Abandoned => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "Upload abandoned: no progress for longer than the server allows",
        ),
        UploadError::ShuttingDown => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Upload cancelled: the server is shutting down",
        ),
        UploadError::Body(reason) => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Upload interrupted: {reason}"),
        ),
        other @ (UploadError::Repo(_) | UploadError::Store(_)) => {
            ApiError::internal("Failed to upload file", other)
        }
    }
}
