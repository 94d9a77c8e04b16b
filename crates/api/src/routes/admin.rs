//! `/api/admin/...`: every user's limits, and changing them. Admins only.

use crate::error::{ApiError, ApiResult};
use crate::extract::auth::AdminUser;
use crate::extract::id::parse_id;
use crate::extract::json::Body;
use crate::state::AppState;
use crate::wire::{ErrorJson, UpdatedLimitsJson, UserLimitsJson};
use axum::Json;
use axum::extract::{Path, State};
use defdrive_core::repo::LimitsUpdate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UsersLimits {
    users: Vec<UserLimitsJson>,
}

#[utoipa::path(get, path = "/api/admin/users/limits", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Every user, ordered by id", body = UsersLimits),
        (status = 401, body = ErrorJson), (status = 403, description = "Admin access required", body = ErrorJson)))]
pub async fn list_limits(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<UsersLimits>> {
    let users = state
        .repo
        .users()
        .await
        .map_err(|e| ApiError::internal("Failed to list users", e))?;
    Ok(Json(UsersLimits {
        users: users.iter().map(UserLimitsJson::new).collect(),
    }))
}

/// Each field is optional: a missing one keeps the current value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LimitsBody {
    max_files: Option<i64>,
    max_storage: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct LimitsReply {
    message: &'static str,
    user: UpdatedLimitsJson,
}

#[utoipa::path(put, path = "/api/admin/users/{id}/limits", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User ID")), request_body = LimitsBody,
    responses((status = 200, body = LimitsReply),
        (status = 400, description = "Invalid user ID, body, or a negative limit", body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, description = "User not found", body = ErrorJson)))]
pub async fn set_limits(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(raw_id): Path<String>,
    body: Result<Body<LimitsBody>, ApiError>,
) -> ApiResult<Json<LimitsReply>> {
    let id = parse_id(&raw_id, "user")?;
    let Body(body) = body?;
    if body.max_files.is_some_and(|n| n < 0) {
        return Err(ApiError::bad_request("Max files cannot be negative"));
    }
    if body.max_storage.is_some_and(|n| n < 0) {
        return Err(ApiError::bad_request("Max storage cannot be negative"));
    }
    let update = LimitsUpdate {
        max_files: body.max_files,
        max_storage: body.max_storage,
    };
    let user = state
        .repo
        .set_limits(id, update)
        .await
        .map_err(|e| ApiError::internal("Failed to update user limits", e))?
        .ok_or_else(|| ApiError::not_found("User not found"))?;
    Ok(Json(LimitsReply {
        message: "User limits updated successfully",
        user: UpdatedLimitsJson {
            id: user.id,
            username: user.username,
            max_files: user.max_files,
            max_storage: user.max_storage,
        },
    }))
}
