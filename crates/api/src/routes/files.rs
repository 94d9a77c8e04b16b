//! The caller's files: `GET /api/files`, `PUT /api/files/{id}/access`,
//! `DELETE /api/files/{id}` and `GET /api/files/{id}/download`.

use crate::error::{ApiError, ApiResult};
use crate::extract::auth::AuthUser;
use crate::extract::connection::Connection;
use crate::extract::json::Body;
use crate::routes::download;
use crate::routes::owned::owned_file;
use crate::state::AppState;
use crate::wire::{ErrorJson, FileJson, MessageJson};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct FileList {
    files: Vec<FileJson>,
}

#[utoipa::path(get, path = "/api/files", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "The caller's live files, ordered by ID", body = FileList),
        (status = 401, body = ErrorJson)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<Json<FileList>> {
    let files = state
        .repo
        .files(user.id)
        .await
        .map_err(|e| ApiError::internal("Failed to list files", e))?;
    Ok(Json(FileList {
        files: files
            .iter()
            .map(|f| FileJson::new(f, &user.username))
            .collect(),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AccessBody {
    public: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FileReply {
    message: &'static str,
    file: FileJson,
}

#[utoipa::path(put, path = "/api/files/{id}/access", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path, description = "File ID")), request_body = AccessBody,
    responses((status = 200, body = FileReply),
        (status = 400, description = "Invalid file ID or request body", body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn set_access(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
    body: Result<Body<AccessBody>, ApiError>,
) -> ApiResult<Json<FileReply>> {
    let file = owned_file(
        &state,
        &user,
        &raw_id,
        "You don't have permission to modify this file",
    )
    .await?;
    let Body(body) = body?;
    let file = state
        .repo
        .set_file_public(file.id, body.public)
        .await
        .map_err(|e| ApiError::internal("Failed to update file access", e))?
        .ok_or_else(|| ApiError::not_found("File not found"))?;
    Ok(Json(FileReply {
        message: "File access updated successfully",
        file: FileJson::new(&file, &user.username),
    }))
}

#[utoipa::path(delete, path = "/api/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path, description = "File ID")),
    responses((status = 200, body = MessageJson), (status = 400, body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<MessageJson>> {
    let file = owned_file(
        &state,
        &user,
        &raw_id,
        "You don't have permission to delete this file",
    )
    .await?;
    let deleted = state
        .repo
        .delete_file(file.id)
        .await
        .map_err(|e| ApiError::internal("Failed to delete file", e))?
        .ok_or_else(|| ApiError::not_found("File not found"))?;
    if let Err(e) = state.store.delete(&deleted.storage_key).await {
        tracing::warn!(file_id = deleted.id, error = %e, "bytes of a deleted file stay until the sweep");
    }
    Ok(Json(MessageJson::new("File deleted successfully")))
}

#[utoipa::path(get, path = "/api/files/{id}/download", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path, description = "File ID")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 400, body = ErrorJson), (status = 404, description = "Not the caller's file", body = ErrorJson)))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
    method: Method,
    headers: HeaderMap,
    Connection(sink): Connection,
) -> ApiResult<Response> {
    let file = owned_file(&state, &user, &raw_id, "File not found")
        .await
        .map_err(|e| {
            if e.status == axum::http::StatusCode::FORBIDDEN {
                ApiError::not_found("File not found")
            } else {
                e
            }
        })?;
    download::Prepared::new(&file, &method, &headers)
        .respond(&state, &file, sink)
        .await
}
