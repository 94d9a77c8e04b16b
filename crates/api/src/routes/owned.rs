//! Ownership lookups shared by the file and access routes: the caller's live file or
//! access by path id, 404 when missing and 403 (with the route's message) when another
//! user's.

use crate::error::{ApiError, ApiResult};
use crate::extract::id::parse_id;
use crate::state::AppState;
use defdrive_core::access::Access;
use defdrive_core::model::{File, User};

/// The caller's live file `raw_id` (404 when missing, 403 `forbidden` when another user's).
pub async fn owned_file(
    state: &AppState,
    user: &User,
    raw_id: &str,
    forbidden: &str,
) -> ApiResult<File> {
    let id = parse_id(raw_id, "file")?;
    let file = state
        .repo
        .file(id)
        .await
        .map_err(|e| ApiError::internal("Failed to find file", e))?
        .ok_or_else(|| ApiError::not_found("File not found"))?;
    if file.user_id != user.id {
        return Err(ApiError::forbidden(forbidden));
    }
    Ok(file)
}

/// The caller's live access `raw_id` (404 when missing, 403 `forbidden` when another user's).
pub async fn owned_access(
    state: &AppState,
    user: &User,
    raw_id: &str,
    forbidden: &str,
) -> ApiResult<Access> {
    let id = parse_id(raw_id, "access")?;
    let access = state
        .repo
        .access(id)
        .await
        .map_err(|e| ApiError::internal("Failed to find access", e))?
        .ok_or_else(|| ApiError::not_found("Access record not found"))?;
    let file = state
        .repo
        .file(access.file_id)
        .await
        .map_err(|e| ApiError::internal("Failed to find access", e))?
        .ok_or_else(|| ApiError::not_found("Access record not found"))?;
    if file.user_id != user.id {
        return Err(ApiError::forbidden(forbidden));
    }
    Ok(access)
}
