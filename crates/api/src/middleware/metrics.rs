//! Counts every routed request by method, route template (axum's `MatchedPath`, never the
//! raw path) and status, and times it to the response head.

use crate::metrics::{Metrics, UNMATCHED};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    metrics.observe_request(&method, &route, response.status(), started.elapsed());
    response
}
