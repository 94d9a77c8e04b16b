//! `GET /api/health`: liveness, no authentication and no database access.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, description = "The server is running", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}
