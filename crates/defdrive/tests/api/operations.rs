//! Running defdrive in production: `/api/ready` (database and storage), `/metrics`
//! (route templates, refusal reasons, bytes), and storage settings that stop the start.

use crate::harness::{Backend, Server, status_json};
use crate::{all_storages, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

both!(
    metrics_count_routes_statuses_bytes_and_refusals,
    metrics_on_their_own_address
);

all_storages!(
    ready_when_database_and_storage_answer,
    ready_reports_a_lost_storage
);

async fn ready(server: &Server) -> (StatusCode, Value) {
    status_json(server.get("/api/ready", None).await).await
}

async fn ready_when_database_and_storage_answer(backend: Backend) {
    let server = Server::start(backend).await;
    let (status, body) = ready(&server).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"status": "ready", "database": "ok", "storage": "ok"})
    );
}

/// Waits until `/api/ready` answers `status`, failing after a while.
async fn ready_becomes(server: &Server, status: StatusCode) -> Value {
    let mut last = Value::Null;
    for _ in 0..60 {
        let (got, body) = ready(server).await;
        if got == status {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("/api/ready never answered {status}; last: {last}");
}

async fn ready_reports_a_lost_storage(backend: Backend) {
    let mut server = Server::start(backend).await;
    let token = server.user("alice").await;
    let file = server.upload_ok(&token, "a.txt", b"abc".to_vec()).await;
    assert_eq!(ready(&server).await.0, StatusCode::OK);
    let moved = server.data_path().join("blobs-away");
    // The storage goes away: the S3 server stops, or the folder disappears.
    match server.s3.as_mut() {
        Some(s3) => s3.halt(),
        None => std::fs::rename(server.blobs_path(), &moved).unwrap(),
    }
    let body = ready_becomes(&server, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["database"], "ok");
    assert_ne!(body["storage"], "ok");
    assert_eq!(body["error"], "storage not answering");
    // Liveness does not depend on it.
    let (status, health) = status_json(server.get("/api/health", None).await).await;
    assert_eq!((status, health), (StatusCode::OK, json!({"status": "ok"})));
    // It comes back (on the same address): ready again, and the bytes are all there.
    match server.s3.as_mut() {
        Some(s3) => s3.resume(),
        None => std::fs::rename(&moved, server.blobs_path()).unwrap(),
    }
    let body = ready_becomes(&server, StatusCode::OK).await;
    assert_eq!(body["storage"], "ok");
    let id = file["ID"].as_i64().unwrap();
    let download = server
        .get(&format!("/api/files/{id}/download"), Some(&token))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"abc");
}

/// The sample lines of `text` (no comments), for exact comparisons.
fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

fn sample_value(text: &str, series: &str) -> Option<f64> {
    samples(text).into_iter().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

async fn scrape(url: &str, client: &reqwest::Client) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

async fn metrics_count_routes_statuses_bytes_and_refusals(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let file = server.upload_ok(&token, "a.bin", vec![5; 1000]).await;
    let id = file["ID"].as_i64().unwrap();
    for _ in 0..2 {
        let download = server
            .get(&format!("/api/files/{id}/download"), Some(&token))
            .await;
        assert_eq!(download.bytes().await.unwrap().len(), 1000);
    }
    // A link to a private file is refused as not public; an unknown token as not found.
    let (status, created) = status_json(
        server
            .send_json(
                Method::POST,
                &format!("/api/files/{id}/access"),
                Some(&token),
                json!({"name": "l", "public": true}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let link = created["access"]["Link"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&format!("/link/{link}"), None).await.status(),
        StatusCode::FORBIDDEN
    );
    let unknown = "feedfacefeedfacefeedfacefeedface";
    assert_eq!(
        server.get(&format!("/link/{unknown}"), None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/no/such/page", None).await.status(),
        StatusCode::NOT_FOUND
    );

    let text = scrape(&format!("{}/metrics", server.url), &server.client).await;
    let count =
        |series: &str| sample_value(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert_eq!(
        count(r#"defdrive_http_requests_total{method="POST",route="/api/upload",status="200"}"#),
        1.0
    );
    assert_eq!(
        count(
            r#"defdrive_http_requests_total{method="GET",route="/api/files/{id}/download",status="200"}"#
        ),
        2.0
    );
    assert_eq!(
        count(r#"defdrive_http_requests_total{method="GET",route="/link/{token}",status="403"}"#),
        1.0
    );
    assert_eq!(
        count(r#"defdrive_http_requests_total{method="GET",route="/link/{token}",status="404"}"#),
        1.0
    );
    assert_eq!(
        count(r#"defdrive_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(
        count(
            r#"defdrive_http_request_duration_seconds_count{method="GET",route="/api/files/{id}/download"}"#
        ),
        2.0
    );
    assert_eq!(
        count(r#"defdrive_link_refusals_total{reason="not_public"}"#),
        1.0
    );
    assert_eq!(
        count(r#"defdrive_link_refusals_total{reason="no_such_link"}"#),
        1.0
    );
    assert_eq!(count("defdrive_uploaded_bytes_total"), 1000.0);
    assert_eq!(count("defdrive_downloaded_bytes_total"), 2000.0);
    assert_eq!(count("defdrive_uploads_in_progress"), 0.0);
    // Route templates only: no raw path, id, token or user name leaks into the labels.
    for leak in [
        format!("/api/files/{id}/"),
        link.clone(),
        unknown.to_owned(),
        "/no/such".into(),
        "alice".into(),
    ] {
        assert!(!text.contains(&leak), "{leak} in\n{text}");
    }
}

async fn metrics_on_their_own_address(backend: Backend) {
    let server = Server::start_with(backend, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let metrics_url = server.metrics_url.clone().expect("metrics address printed");
    assert_ne!(metrics_url, format!("{}/metrics", server.url));
    assert_eq!(
        server.get("/api/health", None).await.status(),
        StatusCode::OK
    );
    let text = scrape(&metrics_url, &server.client).await;
    assert_eq!(
        sample_value(
            &text,
            r#"defdrive_http_requests_total{method="GET",route="/api/health",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // Not on the main port then.
    let (status, body) = status_json(server.get("/metrics", None).await).await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"error": "Not found"}))
    );
}

/// Bad storage settings stop the start with one line naming the variable.
#[test]
fn bad_storage_settings_stop_the_start() {
    let data = tempfile::tempdir().unwrap();
    for (env, expected) in [
        (
            vec![("STORAGE_URL", "ftp://bucket")],
            "invalid STORAGE_URL: ",
        ),
        (
            vec![("STORAGE_URL", "s3://")],
            "invalid STORAGE_URL: bucket name",
        ),
        (
            vec![("STORAGE_URL", "s3://Bad_Bucket/x")],
            "invalid STORAGE_URL: bucket name",
        ),
        (
            vec![("STORAGE_URL", "s3://bucket/a/../b")],
            "invalid STORAGE_URL: prefix",
        ),
        (vec![("STORAGE_URL", "file://")], "invalid STORAGE_URL: "),
        (
            vec![
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ENDPOINT", "http://127.0.0.1:1"),
            ],
            "invalid AWS_ENDPOINT: ",
        ),
        (
            vec![("METRICS_ADDR", "everywhere")],
            "invalid METRICS_ADDR: ",
        ),
        (
            vec![("SHUTDOWN_GRACE", "a while")],
            "invalid SHUTDOWN_GRACE: ",
        ),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_defdrive"));
        cmd.current_dir(data.path())
            .env_clear()
            .env("DATA_PATH", data.path().join("data"))
            .env("PORT", "0");
        for (key, value) in &env {
            cmd.env(key, value);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{env:?} started");
        assert!(
            stderr.starts_with(&format!("defdrive: {expected}")),
            "{env:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
