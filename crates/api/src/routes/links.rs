//! `GET`/`HEAD /link/{token}`: the public share download. The core's `decide` is the only
//! judge; an allowed GET that sends content first consumes one use with a single
//! conditional statement, so limits hold across concurrent requests and servers.

use crate::error::{ApiError, ApiResult};
use crate::extract::client::ClientAddr;
use crate::extract::connection::Connection;
use crate::routes::download::Prepared;
use crate::state::AppState;
use crate::wire::ErrorJson;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use defdrive_core::access::{Allowed, Refusal, decide};
use defdrive_core::timestamp::Timestamp;

#[utoipa::path(get, path = "/link/{token}", tag = "links",
    params(("token" = String, Path, description = "The link's 32-hex token")),
    responses((status = 200, description = "The file (206 for a Range, 304, 416)", content_type = "application/octet-stream"),
        (status = 403, description = "Not public, address not allowed, expired, used, or TTL reached", body = ErrorJson),
        (status = 404, description = "No such link, or its file is deleted", body = ErrorJson)))]
pub async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
    method: Method,
    headers: HeaderMap,
    Connection(sink): Connection,
) -> ApiResult<Response> {
    let lookup = |e| ApiError::internal("Failed to find access link", e);
    let access = state.repo.access_by_token(&token).await.map_err(lookup)?;
    let file = match &access {
        Some(access) => state.repo.file(access.file_id).await.map_err(lookup)?,
        None => None,
    };
    let allowed = decide(access.as_ref(), file.as_ref(), client, Timestamp::now())
        .map_err(|r| refused(&state, r))?;
    let (Some(access), Some(file)) = (access, file) else {
        return Err(refused(&state, Refusal::NoSuchLink));
    };
    let prepared = Prepared::new(&file, &method, &headers);
    if allowed == Allowed::Consuming && prepared.sends_content() {
        let consumed = state
            .repo
            .consume_access(access.id)
            .await
            .map_err(|e| ApiError::internal("Failed to use access link", e))?;
        if !consumed {
            // Another request took the last use between the check and now: decide again on
            // the fresh record to name the exact refusal.
            let fresh = state.repo.access_by_token(&token).await.map_err(lookup)?;
            let refusal = match decide(fresh.as_ref(), Some(&file), client, Timestamp::now()) {
                Err(refusal) => refusal,
                Ok(_) if access.rules.one_time_use => Refusal::AlreadyUsed,
                Ok(_) => Refusal::TtlReached,
            };
            return Err(refused(&state, refusal));
        }
    }
    prepared.respond(&state, &file, sink).await
}

/// The refusal's error, counted in the metrics by reason.
fn refused(state: &AppState, refusal: Refusal) -> ApiError {
    state.metrics.link_refused(refusal.reason());
    let status = if refusal.is_not_found() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::FORBIDDEN
    };
    ApiError::new(status, refusal.to_string())
}
