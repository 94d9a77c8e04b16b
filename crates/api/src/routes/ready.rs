//! `GET /api/ready`: readiness for a load balancer: 200 when the database and the storage
//! both answer within a short time, 503 naming the part that did not. The cause is logged,
//! not sent (it may name hosts or buckets).

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use utoipa::ToSchema;

/// How long each check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    #[schema(example = "ready")]
    status: &'static str,
    /// `ok`, `failing` or `timeout`.
    #[schema(example = "ok")]
    database: &'static str,
    /// `ok`, `failing` or `timeout`.
    #[schema(example = "ok")]
    storage: &'static str,
    /// When not ready: which part failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    error: Option<String>,
}

#[utoipa::path(get, path = "/api/ready", tag = "health",
    responses((status = 200, description = "The database and the storage answer", body = Readiness),
        (status = 503, description = "The database or the storage does not answer (named in `error`)", body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, storage) = tokio::join!(
        check("database", state.repo.ping()),
        check("storage", state.store.check()),
    );
    let failing: Vec<&str> = [("database", database), ("storage", storage)]
        .into_iter()
        .filter(|(_, outcome)| *outcome != "ok")
        .map(|(part, _)| part)
        .collect();
    let (status, text, error) = if failing.is_empty() {
        (StatusCode::OK, "ready", None)
    } else {
        let error = format!("{} not answering", failing.join(" and "));
        (StatusCode::SERVICE_UNAVAILABLE, "not ready", Some(error))
    };
    let body = Readiness {
        status: text,
        database,
        storage,
        error,
    };
    (status, Json(body))
}

/// `ok`, `failing` or `timeout`, logging why.
async fn check<E: Display>(part: &str, probe: impl Future<Output = Result<(), E>>) -> &'static str {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(part, error = %e, "readiness check failed");
            "failing"
        }
        Err(_) => {
            tracing::warn!(part, timeout = ?CHECK_TIMEOUT, "readiness check timed out");
            "timeout"
        }
    }
}
