//! `Authorization: Bearer <token>` → the user it names (SPEC section 2, errors in order),
//! and the admin check for `/api/admin/...`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use defdrive_core::model::User;

/// The user a valid token names; the user must still exist.
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if header.is_empty() {
            return Err(ApiError::unauthorized("User not authenticated"));
        }
        let token = std::str::from_utf8(header)
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty() && !t.contains(' '))
            .ok_or_else(|| {
                ApiError::unauthorized("Authorization header format must be Bearer {token}")
            })?;
        let user_id = state
            .tokens
            .verify(token)
            .map_err(|_| ApiError::invalid_token())?;
        match state.repo.user(user_id).await {
            Ok(Some(user)) => Ok(Self(user)),
            Ok(None) => Err(ApiError::invalid_token()),
            Err(e) => Err(ApiError::internal("Failed to authenticate", e)),
        }
    }
}

/// An authenticated user who is an admin; others get 403 `Admin access required`.
pub struct AdminUser(pub User);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if !user.is_admin {
            return Err(ApiError::forbidden("Admin access required"));
        }
        Ok(Self(user))
    }
}
