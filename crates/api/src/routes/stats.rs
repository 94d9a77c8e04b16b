//! `GET /api/files/stats`: the caller's file count, storage and breakdown by file type.

use crate::error::{ApiError, ApiResult};
use crate::extract::auth::AuthUser;
use crate::state::AppState;
use crate::wire::{ErrorJson, StatsJson};
use axum::Json;
use axum::extract::State;

#[utoipa::path(get, path = "/api/files/stats", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "Counts live files only; file_types sorted by \
        total_size desc, count desc, extension asc", body = StatsJson),
        (status = 401, body = ErrorJson), (status = 500, body = ErrorJson)))]
pub async fn stats(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<Json<StatsJson>> {
    let stats = state
        .repo
        .stats(user.id)
        .await
        .map_err(|e| ApiError::internal("Failed to get file statistics", e))?;
    Ok(Json(stats.into()))
}
