//! A real third-party tus client against the server: tus-js-client (pinned in
//! `tests/tus-js/package.json`), run by Node, uploads in several PATCHes, and goes on with an
//! upload another client started. Node and npm must be installed; `npm ci` runs when
//! `node_modules` is missing.

use crate::both;
use crate::harness::{Backend, Server, status_json};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

both!(
    tus_js_client_uploads_in_several_patches,
    tus_js_client_resumes_an_upload
);

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tus-js")
}

/// Installs the pinned packages once per test process.
fn install() {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return;
    }
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "these tests need Node.js (`node` on PATH) to run tus-js-client; install nodejs and npm"
    );
    if !project().join("node_modules/tus-js-client").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(project())
            .output()
            .expect("npm (install npm next to node)");
        assert!(
            out.status.success(),
            "npm ci failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    *installed = true;
}

/// Runs the upload script; returns its JSON report.
fn run_client(
    server: &Server,
    token: &str,
    file: &std::path::Path,
    chunk: usize,
    upload_url: Option<&str>,
) -> Value {
    install();
    let out = Command::new("node")
        .arg("upload.mjs")
        .current_dir(project())
        .env("DEFDRIVE_URL", &server.url)
        .env("DEFDRIVE_TOKEN", token)
        .env("FILE", file)
        .env("CHUNK_SIZE", chunk.to_string())
        .env("UPLOAD_URL", upload_url.unwrap_or(""))
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "tus-js-client: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

async fn tus_js_client_uploads_in_several_patches(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("from node.bin");
    let data = content(1_100_000);
    std::fs::write(&file, &data).unwrap();
    let report = run_client(&server, &token, &file, 256 * 1024, None);
    assert_eq!(report["patches"], 5, "{report}");
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    let stored = &files["files"][0];
    assert_eq!(stored["Name"], "from node.bin");
    assert_eq!(stored["Size"], 1_100_000);
    assert_eq!(stored["Hash"], hex::encode(Sha256::digest(&data)));
    assert_eq!(report["fileId"], stored["ID"].to_string());
}

async fn tus_js_client_resumes_an_upload(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resumed.bin");
    let data = content(600_000);
    std::fs::write(&file, &data).unwrap();
    // Another client stored the first 250 000 bytes.
    let response = server
        .request(Method::POST, "/api/tus", Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "600000")
        .header("Upload-Metadata", "filename cmVzdW1lZC5iaW4=")
        .header("Content-Type", "application/offset+octet-stream")
        .body(data[..250_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let url = response.headers()["location"].to_str().unwrap().to_owned();
    let report = run_client(&server, &token, &file, 200_000, Some(&url));
    assert_eq!(report["patches"], 2, "{report}");
    assert_eq!(report["url"], url);
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(
        files["files"][0]["Hash"],
        hex::encode(Sha256::digest(&data))
    );
}
