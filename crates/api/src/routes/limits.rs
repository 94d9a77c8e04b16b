//! `GET /api/user/limits`: the caller's quota and usage.

use crate::error::ApiResult;
use crate::extract::auth::AuthUser;
use crate::wire::{ErrorJson, LimitsJson};
use axum::Json;
use defdrive_core::quota::Limits;

#[utoipa::path(get, path = "/api/user/limits", tag = "limits", security(("bearer" = [])),
    responses((status = 200, description = "remaining = max - current (negative after an admin \
        lowered a limit)", body = LimitsJson), (status = 401, body = ErrorJson)))]
pub async fn mine(AuthUser(user): AuthUser) -> ApiResult<Json<LimitsJson>> {
    Ok(Json(Limits::of(&user).into()))
}
