//! The server's Prometheus metrics (OpenMetrics text at `/metrics`): requests by route
//! template and status, their latency, bytes uploaded and downloaded, uploads in progress,
//! and refused link downloads by reason. Labels are route templates (`/link/{token}`),
//! never raw paths, so their number stays bounded and no token or id appears.

use axum::http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The label the requests that matched no route get.
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Every metric, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    uploaded: Counter,
    downloaded: Counter,
    uploads_in_progress: Gauge,
    resumable_in_progress: Arc<AtomicUsize>,
    link_refusals: Family<ReasonLabels, Counter>,
}

/// Counts one resumable (tus) request with a body as an upload in progress while it lives.
pub struct InProgress(Arc<AtomicUsize>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms … about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("defdrive");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let uploaded = Counter::default();
        let downloaded = Counter::default();
        let uploads_in_progress = Gauge::default();
        let link_refusals = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request to its response head, by method and route template",
            latency.clone(),
        );
        registry.register(
            "uploaded_bytes",
            "File bytes received in upload bodies",
            uploaded.clone(),
        );
        registry.register(
            "downloaded_bytes",
            "File bytes sent in downloads (own files and share links)",
            downloaded.clone(),
        );
        registry.register(
            "uploads_in_progress",
            "Uploads being received by this process",
            uploads_in_progress.clone(),
        );
        registry.register(
            "link_refusals",
            "Share-link downloads refused, by reason",
            link_refusals.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            uploaded,
            downloaded,
            uploads_in_progress,
            resumable_in_progress: Arc::default(),
            link_refusals,
        }
    }

    /// Counts one answered request; `route` is the matched template or [`UNMATCHED`].
    pub fn observe_request(
        &self,
        method: &Method,
        route: &str,
        status: StatusCode,
        took: Duration,
    ) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn add_uploaded(&self, bytes: usize) {
        self.uploaded
            .inc_by(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    /// Marks a resumable upload's request as in progress until the guard is dropped.
    pub fn resumable_request(&self) -> InProgress {
        self.resumable_in_progress.fetch_add(1, Ordering::Relaxed);
        InProgress(self.resumable_in_progress.clone())
    }

    pub fn add_downloaded(&self, bytes: usize) {
        self.downloaded
            .inc_by(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    /// Counts a refused link download; `reason` is the refusal's short label.
    pub fn link_refused(&self, reason: &'static str) {
        self.link_refusals
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// The OpenMetrics text of every metric; `uploads_in_progress` (one-shot uploads) is
    /// given, resumable requests in progress are added to it.
    pub fn encode(&self, uploads_in_progress: usize) -> String {
        let running = uploads_in_progress + self.resumable_in_progress.load(Ordering::Relaxed);
        self.uploads_in_progress
            .set(i64::try_from(running).unwrap_or(i64::MAX));
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        text
    }
}

/// The standard methods by name; anything else is `other` (a client can send any token).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_counters_with_their_labels() {
        let metrics = Metrics::new();
        metrics.observe_request(
            &Method::GET,
            "/link/{token}",
            StatusCode::FORBIDDEN,
            Duration::from_millis(3),
        );
        metrics.observe_request(
            &Method::from_bytes(b"BREW").unwrap(),
            UNMATCHED,
            StatusCode::NOT_FOUND,
            Duration::from_millis(1),
        );
        metrics.add_uploaded(10);
        metrics.add_downloaded(7);
        metrics.link_refused("expired");
        let text = metrics.encode(2);
        for line in [
            r#"defdrive_http_requests_total{method="GET",route="/link/{token}",status="403"} 1"#,
            r#"defdrive_http_requests_total{method="other",route="unmatched",status="404"} 1"#,
            r#"defdrive_http_request_duration_seconds_count{method="GET",route="/link/{token}"} 1"#,
            "defdrive_uploaded_bytes_total 10",
            "defdrive_downloaded_bytes_total 7",
            "defdrive_uploads_in_progress 2",
            r#"defdrive_link_refusals_total{reason="expired"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
