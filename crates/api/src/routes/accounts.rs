//! `POST /api/signup` and `POST /api/login`.

use crate::error::{ApiError, ApiResult};
use crate::extract::client::ClientAddr;
use crate::extract::json::Body;
use crate::state::AppState;
use crate::wire::ErrorJson;
use crate::wire::{LoginUserJson, SignupUserJson};
use axum::Json;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use defdrive_core::model::NewUser;
use defdrive_core::names::{email_looks_valid, username_problem};
use defdrive_core::password::{self, Verified};
use defdrive_core::repo::RepoError;
use defdrive_core::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Minimum password length, in characters.
const MIN_PASSWORD_CHARS: usize = 8;

/// Only these four fields are taken; quotas and the admin flag cannot be set by a client.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SignupBody {
    name: String,
    email: String,
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupReply {
    #[schema(example = "User created successfully")]
    message: &'static str,
    user: SignupUserJson,
}

#[utoipa::path(post, path = "/api/signup", tag = "accounts", request_body = SignupBody,
    responses(
        (status = 200, body = SignupReply),
        (status = 400, description = "Invalid username, short password or bad e-mail", body = ErrorJson),
        (status = 403, description = "Signup is disabled", body = ErrorJson),
        (status = 409, description = "Username already taken", body = ErrorJson)))]
pub async fn signup(
    State(state): State<AppState>,
    Body(body): Body<SignupBody>,
) -> ApiResult<Json<SignupReply>> {
    if !state.config.allow_signup {
        return Err(ApiError::forbidden("Signup is disabled"));
    }
    if let Some(problem) = username_problem(&body.username) {
        return Err(ApiError::bad_request(format!(
            "Invalid username: {problem}"
        )));
    }
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(
            "Password must be at least 8 characters",
        ));
    }
    if !body.email.is_empty() && !email_looks_valid(&body.email) {
        return Err(ApiError::bad_request("Invalid email address"));
    }
    let password_hash = password::hash(body.password)
        .await
        .map_err(|e| ApiError::internal("Failed to create user", e))?;
    let user = state
        .repo
        .create_user(NewUser {
            name: body.name,
            email: body.email,
            username: body.username,
            password_hash,
            max_files: state.config.default_max_files,
            max_storage: state.config.default_max_storage,
        })
        .await
        .map_err(|e| match e {
            RepoError::UsernameTaken => ApiError::conflict("Username already taken"),
            other => ApiError::internal("Failed to create user", other),
        })?;
    Ok(Json(SignupReply {
        message: "User created successfully",
        user: SignupUserJson::new(&user),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginReply {
    #[schema(example = "Login successful")]
    message: &'static str,
    /// A JWT (HS256) to send as `Authorization: Bearer <token>`.
    token: String,
    user: LoginUserJson,
}

#[utoipa::path(post, path = "/api/login", tag = "accounts", request_body = LoginBody,
    responses(
        (status = 200, body = LoginReply),
        (status = 400, description = "Username or password missing", body = ErrorJson),
        (status = 401, description = "Invalid username or password", body = ErrorJson),
        (status = 429, description = "Too many failed logins for this username or address; see Retry-After", body = ErrorJson)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Body(body): Body<LoginBody>,
) -> ApiResult<Response> {
    if body.username.is_empty() || body.password.is_empty() {
        return Err(ApiError::bad_request("Username and password are required"));
    }
    if let Some(wait) = state.login_limiter.check(&body.username, client) {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many login attempts, try again later",
        )
        .into_response();
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return Ok(response);
    }
    let found = state
        .repo
        .credentials(&body.username)
        .await
        .map_err(|e| ApiError::internal("Failed to log in", e))?;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = password::verify(body.password.clone(), stored).await;
    let user = match (verified, user) {
        (Verified::Yes | Verified::YesRehash, Some(user)) => user,
        _ => {
            state.login_limiter.failed(&body.username, client);
            return Err(ApiError::unauthorized("Invalid username or password"));
        }
    };
    state.login_limiter.succeeded(&body.username);
    if verified == Verified::YesRehash {
        rehash(&state, user.id, body.password).await;
    }
    let token = state
        .tokens
        .issue(user.id, &user.username, Timestamp::now().as_secs())
        .map_err(|e| ApiError::internal("Failed to log in", e))?;
    Ok(Json(LoginReply {
        message: "Login successful",
        token,
        user: LoginUserJson {
            id: user.id,
            username: user.username,
            email: user.email,
            name: user.name,
        },
    })
    .into_response())
}

/// Replaces an imported bcrypt hash with Argon2id; a failure only costs a later retry.
async fn rehash(state: &AppState, user_id: i64, password: String) {
    let result = match password::hash(password).await {
        Ok(hash) => state
            .repo
            .set_password_hash(user_id, &hash)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        tracing::warn!(user_id, error = %e, "could not rehash an imported password");
    }
}
