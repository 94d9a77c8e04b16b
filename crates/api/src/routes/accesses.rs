//! Share-link management (SPEC 4.9), under both route forms: create and list on a file,
//! get, replace and delete one access. Rules are validated when written.

use crate::error::{ApiError, ApiResult};
use crate::extract::auth::AuthUser;
use crate::extract::json::Body;
use crate::routes::owned::{owned_access, owned_file};
use crate::state::AppState;
use crate::wire::{AccessJson, ErrorJson, MessageJson};
use axum::Json;
use axum::extract::{Path, State};
use defdrive_core::access::{AccessRules, RawRules, new_link_token};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What create and update take (all eight fields; update replaces them all). Keys match
/// case-insensitively, so a whole Access object sent back in PascalCase works.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AccessBody {
    name: String,
    /// CIDRs; a bare address means one host; blank entries are dropped.
    subnets: Vec<String>,
    ips: Vec<String>,
    /// RFC 3339 with an offset; `""` or `null`: never.
    expires: String,
    public: bool,
    #[serde(rename = "oneTimeUse")]
    one_time_use: bool,
    ttl: i64,
    #[serde(rename = "enableTTL")]
    enable_ttl: bool,
}

impl From<AccessBody> for RawRules {
    fn from(b: AccessBody) -> Self {
        Self {
            name: b.name,
            subnets: b.subnets,
            ips: b.ips,
            expires: b.expires,
            public: b.public,
            one_time_use: b.one_time_use,
            ttl: b.ttl,
            enable_ttl: b.enable_ttl,
        }
    }
}

fn validated(body: Result<Body<AccessBody>, ApiError>) -> ApiResult<AccessRules> {
    let Body(body) = body?;
    RawRules::from(body)
        .validate()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

#[derive(Serialize, ToSchema)]
pub struct CreateReply {
    message: &'static str,
    access: AccessJson,
    /// `HOST_URL/link/<token>`.
    link: String,
}

#[utoipa::path(post, path = "/api/files/{id}/access", tag = "accesses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "File ID")), request_body = AccessBody,
    responses((status = 200, body = CreateReply),
        (status = 400, description = "Invalid file ID, body, subnet, IP, expires or ttl", body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
    body: Result<Body<AccessBody>, ApiError>,
) -> ApiResult<Json<CreateReply>> {
    let file = owned_file(
        &state,
        &user,
        &raw_id,
        "You don't have permission to create access for this file",
    )
    .await?;
    let rules = validated(body)?;
    let access = state
        .repo
        .create_access(file.id, &new_link_token(), &rules)
        .await
        .map_err(|e| ApiError::internal("Failed to create access", e))?;
    Ok(Json(CreateReply {
        message: "Access created successfully",
        link: format!("{}/link/{}", state.config.host_url, access.token),
        access: AccessJson::new(&access),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AccessList {
    accesses: Vec<AccessJson>,
}

#[utoipa::path(get, path = "/api/files/{id}/access", tag = "accesses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "File ID")),
    responses((status = 200, description = "Ordered by ID", body = AccessList),
        (status = 400, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<AccessList>> {
    let file = owned_file(
        &state,
        &user,
        &raw_id,
        "You don't have permission to view accesses for this file",
    )
    .await?;
    let accesses = state
        .repo
        .accesses(file.id)
        .await
        .map_err(|e| ApiError::internal("Failed to list accesses", e))?;
    Ok(Json(AccessList {
        accesses: accesses.iter().map(AccessJson::new).collect(),
    }))
}

/// `{"access": {…}, …the same fields at the top level}`.
#[derive(Serialize, ToSchema)]
pub struct GetReply {
    access: AccessJson,
    #[serde(flatten)]
    fields: AccessJson,
}

#[utoipa::path(get, path = "/api/access/{id}", tag = "accesses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Access ID")),
    responses((status = 200, body = GetReply), (status = 400, body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<GetReply>> {
    let access = owned_access(
        &state,
        &user,
        &raw_id,
        "You don't have permission to view this access",
    )
    .await?;
    Ok(Json(GetReply {
        access: AccessJson::new(&access),
        fields: AccessJson::new(&access),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UpdateReply {
    message: &'static str,
    access: AccessJson,
    #[serde(flatten)]
    fields: AccessJson,
}

#[utoipa::path(put, path = "/api/access/{id}", tag = "accesses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Access ID")), request_body = AccessBody,
    responses((status = 200, description = "All eight fields replaced; Link, FileID and Used stay", body = UpdateReply),
        (status = 400, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
    body: Result<Body<AccessBody>, ApiError>,
) -> ApiResult<Json<UpdateReply>> {
    let access = owned_access(
        &state,
        &user,
        &raw_id,
        "You don't have permission to update this access",
    )
    .await?;
    let rules = validated(body)?;
    let access = state
        .repo
        .update_access(access.id, &rules)
        .await
        .map_err(|e| ApiError::internal("Failed to update access", e))?
        .ok_or_else(|| ApiError::not_found("Access record not found"))?;
    Ok(Json(UpdateReply {
        message: "Access updated successfully",
        access: AccessJson::new(&access),
        fields: AccessJson::new(&access),
    }))
}

#[utoipa::path(delete, path = "/api/access/{id}", tag = "accesses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Access ID")),
    responses((status = 200, body = MessageJson), (status = 400, body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<MessageJson>> {
    let access = owned_access(
        &state,
        &user,
        &raw_id,
        "You don't have permission to delete this access",
    )
    .await?;
    let deleted = state
        .repo
        .delete_access(access.id)
        .await
        .map_err(|e| ApiError::internal("Failed to delete access", e))?;
    if !deleted {
        return Err(ApiError::not_found("Access record not found"));
    }
    Ok(Json(MessageJson::new("Access deleted successfully")))
}
