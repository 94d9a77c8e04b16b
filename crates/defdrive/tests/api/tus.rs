//! Resumable uploads over tus 1.0.0 (`/api/tus/`): discovery, creation (with upload),
//! offsets, completion into a file, the protocol's refusals (none of which harms stored
//! bytes), names and quotas as for `POST /api/upload` (reserved at creation, also under
//! concurrency), interruption and resumption (also across a restart and a crash),
//! termination and the expiry sweep.

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

both!(
    discovery_and_cors,
    upload_in_several_patches_becomes_a_file,
    creation_with_upload_and_empty_files,
    protocol_refusals_leave_stored_bytes_intact,
    names_follow_the_upload_rules,
    name_taken_at_completion_can_be_retried,
    quota_is_reserved_at_creation,
    termination_releases_the_reservation,
    parallel_creations_and_uploads_never_overshoot,
    interrupted_patch_keeps_what_arrived,
    resumes_after_restart_and_crash,
    concurrent_patches_to_one_upload,
    expired_uploads_are_swept,
    live_segments_survive_the_orphan_sweep,
    metrics_count_resumable_uploads,
    shutdown_keeps_what_a_patch_delivered,
);

const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");
const OFFSET_STREAM: &str = "application/offset+octet-stream";

fn metadata(name: &str) -> String {
    format!(
        "filename {},filetype {}",
        STANDARD.encode(name),
        STANDARD.encode("application/octet-stream")
    )
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `POST /api/tus` for `name` of `length` bytes.
async fn create(server: &Server, token: &str, name: &str, length: usize) -> Response {
    server
        .request(Method::POST, "/api/tus", Some(token))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata(name))
        .send()
        .await
        .unwrap()
}

/// Creates an upload and returns its path (`/api/tus/<id>`).
async fn create_ok(server: &Server, token: &str, name: &str, length: usize) -> String {
    let response = create(server, token, name, length).await;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let location = location.expect("Location");
    assert!(location.starts_with(&server.url), "{location}");
    location[server.url.len()..].to_owned()
}

async fn patch(server: &Server, token: &str, path: &str, offset: usize, chunk: &[u8]) -> Response {
    server
        .request(Method::PATCH, path, Some(token))
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", OFFSET_STREAM)
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap()
}

async fn patch_ok(
    server: &Server,
    token: &str,
    path: &str,
    offset: usize,
    chunk: &[u8],
) -> Response {
    let response = patch(server, token, path, offset, chunk).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "PATCH at {offset}"
    );
    assert_eq!(
        header(&response, "upload-offset"),
        Some((offset + chunk.len()).to_string())
    );
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    response
}

/// A PATCH after an interruption: the server may still be finishing the broken request
/// (423), as real clients see; they retry.
async fn patch_after_interruption(
    server: &Server,
    token: &str,
    path: &str,
    offset: usize,
    chunk: &[u8],
) {
    for _ in 0..50 {
        let response = patch(server, token, path, offset, chunk).await;
        if response.status() != StatusCode::LOCKED {
            assert_eq!(
                response.status(),
                StatusCode::NO_CONTENT,
                "PATCH at {offset}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the upload stayed busy");
}

async fn head(server: &Server, token: &str, path: &str) -> Response {
    server
        .request(Method::HEAD, path, Some(token))
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap()
}

/// The stored offset of an upload.
async fn offset_of(server: &Server, token: &str, path: &str) -> usize {
    let response = head(server, token, path).await;
    assert_eq!(response.status(), StatusCode::OK);
    header(&response, "upload-offset").unwrap().parse().unwrap()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The caller's files.
async fn files(server: &Server, token: &str) -> Vec<Value> {
    let (_, body) = status_json(server.get("/api/files", Some(token)).await).await;
    body["files"].as_array().unwrap().clone()
}

async fn download(server: &Server, token: &str, id: i64) -> Vec<u8> {
    let response = server
        .get(&format!("/api/files/{id}/download"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

/// Sends the head of a PATCH announcing `total` bytes and `sent` of them over a raw
/// connection, which the caller drops (or keeps while the server dies).
fn start_partial_patch(
    server: &Server,
    token: &str,
    path: &str,
    offset: usize,
    total: usize,
    chunk: &[u8],
) -> std::net::TcpStream {
    let address = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: {OFFSET_STREAM}\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(chunk).unwrap();
    stream.flush().unwrap();
    stream
}

/// Waits until an unfinished write shows in the storage folder.
async fn wait_for_unfinished_write(server: &Server) {
    for _ in 0..200 {
        let tmp = server.blobs_path().join(".tmp");
        if std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the PATCH never reached storage");
}

/// Polls `HEAD` until the offset is above `above`, returning it.
async fn wait_for_offset_above(server: &Server, token: &str, path: &str, above: usize) -> usize {
    for _ in 0..200 {
        let offset = offset_of(server, token, path).await;
        if offset > above {
            return offset;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the offset of {path} never went past {above}");
}

/// Waits until exactly `expected` objects are stored.
async fn settle(server: &Server, expected: usize) {
    for _ in 0..100 {
        if server.stored_objects().len() == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "stored objects: {:?}, expected {expected}",
        server.stored_objects()
    );
}

async fn discovery_and_cors(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    // Discovery needs no token; with one, the caller's storage limit is the largest upload.
    let response = server
        .request(Method::OPTIONS, "/api/tus", None)
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&response, "tus-extension").as_deref(),
        Some("creation,creation-with-upload,termination,checksum,expiration")
    );
    assert_eq!(
        header(&response, "tus-checksum-algorithm").as_deref(),
        Some("sha256")
    );
    assert_eq!(header(&response, "tus-max-size"), None);
    assert!(
        header(&response, "access-control-allow-methods")
            .unwrap()
            .contains("PATCH")
    );
    let allowed = header(&response, "access-control-allow-headers").unwrap();
    for name in [
        "Tus-Resumable",
        "Upload-Length",
        "Upload-Offset",
        "Upload-Metadata",
        "Upload-Checksum",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }
    let exposed = header(&response, "access-control-expose-headers").unwrap();
    for name in [
        "Location",
        "Upload-Offset",
        "Upload-Length",
        "Tus-Version",
        "Defdrive-File-Id",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
    let response = server
        .request(Method::OPTIONS, "//api/tus/", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "tus-max-size").as_deref(),
        Some("1073741824")
    );
    // Errors carry the tus and CORS headers too.
    let path = create_ok(&server, &token, "a.bin", 10).await;
    let response = patch(&server, &token, &path, 3, b"x").await;
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(
        header(&response, "access-control-expose-headers")
            .unwrap()
            .contains("Upload-Offset")
    );
    // Other routes keep the contract's CORS headers.
    let response = server.get("/api/health", None).await;
    assert_eq!(
        header(&response, "access-control-allow-methods").as_deref(),
        Some("GET, POST, PUT, DELETE, OPTIONS")
    );
}

async fn upload_in_several_patches_becomes_a_file(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(700_000, 1);
    let path = create_ok(&server, &token, "video.MP4", data.len()).await;
    let response = head(&server, &token, &path).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "upload-offset").as_deref(), Some("0"));
    assert_eq!(
        header(&response, "upload-length").as_deref(),
        Some("700000")
    );
    assert_eq!(
        header(&response, "upload-metadata"),
        Some(metadata("video.MP4"))
    );
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(
        header(&response, "upload-expires")
            .unwrap()
            .ends_with(" GMT")
    );
    for (start, end) in [(0, 250_000), (250_000, 500_000)] {
        patch_ok(&server, &token, &path, start, &data[start..end]).await;
    }
    assert_eq!(offset_of(&server, &token, &path).await, 500_000);
    // A partial upload is in no list and no statistics.
    assert!(files(&server, &token).await.is_empty());
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        stats,
        json!({"file_count": 0, "total_storage": 0, "file_types": []})
    );
    let response = patch_ok(&server, &token, &path, 500_000, &data[500_000..]).await;
    let file_id: i64 = header(&response, "defdrive-file-id")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(header(&response, "upload-expires"), None);
    let listed = files(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["ID"], file_id);
    assert_eq!(listed[0]["Name"], "video.MP4");
    assert_eq!(listed[0]["Size"], 700_000);
    assert_eq!(listed[0]["Hash"], sha(&data));
    assert_eq!(listed[0]["Public"], false);
    assert_eq!(download(&server, &token, file_id).await, data);
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        stats,
        json!({"file_count": 1, "total_storage": 700_000,
               "file_types": [{"extension": "mp4", "count": 1, "total_size": 700_000}]})
    );
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(
        (
            limits["current_files"].clone(),
            limits["current_storage"].clone()
        ),
        (json!(1), json!(700_000))
    );
    // The segments were assembled into the file's one object.
    settle(&server, 1).await;
    // The completed upload still answers HEAD with its file; more bytes are refused.
    let response = head(&server, &token, &path).await;
    assert_eq!(
        header(&response, "upload-offset").as_deref(),
        Some("700000")
    );
    assert_eq!(
        header(&response, "defdrive-file-id"),
        Some(file_id.to_string())
    );
    let response = patch(&server, &token, &path, 700_000, b"more").await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Terminating a completed upload forgets it and keeps the file.
    let response = server
        .request(Method::DELETE, &path, Some(&token))
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        head(&server, &token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(download(&server, &token, file_id).await, data);
}

async fn creation_with_upload_and_empty_files(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    // The whole file in the creation request.
    let data = bytes(123_456, 2);
    let response = server
        .request(Method::POST, "/api/tus", Some(&token))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", data.len().to_string())
        .header("Upload-Metadata", metadata("whole.bin"))
        .header("Content-Type", OFFSET_STREAM)
        .header(
            "Upload-Checksum",
            format!("sha256 {}", STANDARD.encode(Sha256::digest(&data))),
        )
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header(&response, "upload-offset").as_deref(),
        Some("123456")
    );
    let id: i64 = header(&response, "defdrive-file-id")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(download(&server, &token, id).await, data);
    // Part of it in the creation request, the rest in a PATCH.
    let response = server
        .request(Method::POST, "/api/tus", Some(&token))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", data.len().to_string())
        .header("Upload-Metadata", metadata("half.bin"))
        .header("Content-Type", OFFSET_STREAM)
        .body(data[..60_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "upload-offset").as_deref(), Some("60000"));
    let path = header(&response, "location").unwrap()[server.url.len()..].to_owned();
    patch_ok(&server, &token, &path, 60_000, &data[60_000..]).await;
    // An empty file completes at creation.
    let response = create(&server, &token, "empty.txt", 0).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id: i64 = header(&response, "defdrive-file-id")
        .unwrap()
        .parse()
        .unwrap();
    assert!(download(&server, &token, id).await.is_empty());
    let listed = files(&server, &token).await;
    let names: Vec<_> = listed.iter().map(|f| f["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["whole.bin", "half.bin", "empty.txt"]);
    assert_eq!(listed[1]["Hash"], sha(&data));
    assert_eq!(listed[2]["Hash"], sha(b""));
    settle(&server, 3).await;
}

async fn protocol_refusals_leave_stored_bytes_intact(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let other = server.user("bob").await;
    let data = bytes(100_000, 3);
    let path = create_ok(&server, &token, "data.bin", data.len()).await;
    patch_ok(&server, &token, &path, 0, &data[..40_000]).await;

    // No token, or another user's token.
    let response = server
        .request(Method::HEAD, &path, None)
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = server
        .request(Method::PATCH, &path, None)
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "User not authenticated").await;
    assert_error(
        patch(&server, &other, &path, 40_000, b"x").await,
        StatusCode::NOT_FOUND,
        "Upload not found",
    )
    .await;
    assert_eq!(
        head(&server, &other, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    // An unknown upload.
    let unknown = "/api/tus/0123456789abcdef0123456789abcdef";
    assert_error(
        patch(&server, &token, unknown, 0, b"x").await,
        StatusCode::NOT_FOUND,
        "Upload not found",
    )
    .await;
    assert_eq!(
        head(&server, &token, unknown).await.status(),
        StatusCode::NOT_FOUND
    );
    // Missing or unsupported Tus-Resumable: 412 with the supported version.
    for version in [None, Some("0.2.2")] {
        let mut request = server
            .request(Method::PATCH, &path, Some(&token))
            .header("Upload-Offset", "40000")
            .header("Content-Type", OFFSET_STREAM)
            .body(b"x".to_vec());
        if let Some(version) = version {
            request = request.header("Tus-Resumable", version);
        }
        let response = request.send().await.unwrap();
        assert_eq!(header(&response, "tus-version").as_deref(), Some("1.0.0"));
        assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    }
    // Wrong content type.
    let response = server
        .request(Method::PATCH, &path, Some(&token))
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", "40000")
        .header("Content-Type", "application/octet-stream")
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be application/offset+octet-stream",
    )
    .await;
    // Missing or malformed offset.
    for offset in [None, Some("-1"), Some("ten")] {
        let mut request = server
            .request(Method::PATCH, &path, Some(&token))
            .header(TUS.0, TUS.1)
            .header("Content-Type", OFFSET_STREAM)
            .body(b"x".to_vec());
        if let Some(offset) = offset {
            request = request.header("Upload-Offset", offset);
        }
        assert_error(
            request.send().await.unwrap(),
            StatusCode::BAD_REQUEST,
            "Invalid or missing Upload-Offset",
        )
        .await;
    }
    // A wrong offset: 409, naming the right one.
    for offset in [0, 39_999, 40_001] {
        let response = patch(&server, &token, &path, offset, &data[offset..offset + 10]).await;
        assert_eq!(header(&response, "upload-offset").as_deref(), Some("40000"));
        let body = assert_error(
            response,
            StatusCode::CONFLICT,
            &format!("Upload-Offset {offset} does not match the upload's offset 40000"),
        )
        .await;
        assert!(body.is_object());
    }
    // Past the declared length: 413, from Content-Length or while streaming.
    let response = patch(&server, &token, &path, 40_000, &vec![0; 60_001]).await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request goes past the upload's Upload-Length",
    )
    .await;
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(vec![0u8; 60_001])]);
    let response = server
        .request(Method::PATCH, &path, Some(&token))
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", "40000")
        .header("Content-Type", OFFSET_STREAM)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request goes past the upload's Upload-Length",
    )
    .await;
    // Checksums: a mismatch is 460 and stores nothing; unknown algorithms are 400.
    let chunk = &data[40_000..70_000];
    let checked = |digest: String| {
        server
            .request(Method::PATCH, &path, Some(&token))
            .header(TUS.0, TUS.1)
            .header("Upload-Offset", "40000")
            .header("Content-Type", OFFSET_STREAM)
            .header("Upload-Checksum", digest)
            .body(chunk.to_vec())
            .send()
    };
    let wrong = format!(
        "sha256 {}",
        STANDARD.encode(Sha256::digest(b"something else"))
    );
    let response = checked(wrong).await.unwrap();
    assert_eq!(response.status().as_u16(), 460);
    assert_error(
        response,
        StatusCode::from_u16(460).unwrap(),
        "Checksum mismatch",
    )
    .await;
    let response = checked("md5 1B2M2Y8AsgTpgAmY7PhCfg==".into())
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "Unsupported checksum algorithm (supported: sha256)",
    )
    .await;
    let response = checked("sha256 bm90IGEgZGlnZXN0".into()).await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid Upload-Checksum").await;
    assert_eq!(offset_of(&server, &token, &path).await, 40_000);
    let right = format!("sha256 {}", STANDARD.encode(Sha256::digest(chunk)));
    assert_eq!(
        checked(right).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    // Creation refusals.
    let bare = || {
        server
            .request(Method::POST, "/api/tus", Some(&token))
            .header(TUS.0, TUS.1)
    };
    let response = bare()
        .header("Upload-Metadata", metadata("x.bin"))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "Upload-Length is required",
    )
    .await;
    let response = bare()
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", metadata("x.bin"))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "Upload-Defer-Length is not supported; send Upload-Length",
    )
    .await;
    let response = bare()
        .header("Upload-Length", "-5")
        .header("Upload-Metadata", metadata("x.bin"))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid Upload-Length").await;
    let response = bare().header("Upload-Length", "5").send().await.unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "Upload-Metadata must carry a filename",
    )
    .await;
    let response = bare()
        .header("Upload-Length", "5")
        .header("Upload-Metadata", "filename %%%")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid Upload-Metadata").await;
    let response = bare().header("Upload-Length", "5").send().await.unwrap();
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    // After all of that the upload finishes with the right bytes.
    patch_ok(&server, &token, &path, 70_000, &data[70_000..]).await;
    let listed = files(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["Hash"], sha(&data));
    settle(&server, 1).await;
}

async fn names_follow_the_upload_rules(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    for (raw, stored) in [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\notes.txt", "notes.txt"),
        ("ünïcødé €.TXT", "ünïcødé €.TXT"),
    ] {
        let response = server
            .request(Method::POST, "/api/tus", Some(&token))
            .header(TUS.0, TUS.1)
            .header("Upload-Length", "1")
            .header("Upload-Metadata", metadata(raw))
            .header("Content-Type", OFFSET_STREAM)
            .body(b"x".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{raw}");
        let listed = files(&server, &token).await;
        assert_eq!(listed.last().unwrap()["Name"], stored, "from {raw:?}");
    }
    for raw in ["..", ".", "dir/", "bad\u{1}name.txt", &"n".repeat(256)] {
        assert_error(
            create(&server, &token, raw, 10).await,
            StatusCode::BAD_REQUEST,
            "Invalid file name",
        )
        .await;
    }
    // Uppy's `name` key works as well.
    let response = server
        .request(Method::POST, "/api/tus", Some(&token))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", "3")
        .header(
            "Upload-Metadata",
            format!("name {}", STANDARD.encode("uppy.txt")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // A live name is refused at creation.
    assert_error(
        create(&server, &token, "notes.txt", 10).await,
        StatusCode::CONFLICT,
        "A file with this name already exists in your folder",
    )
    .await;
    assert!(!server.data_path().join("passwd").exists());
}

async fn name_taken_at_completion_can_be_retried(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(50_000, 4);
    let path = create_ok(&server, &token, "report.pdf", data.len()).await;
    patch_ok(&server, &token, &path, 0, &data[..20_000]).await;
    // The name is taken by a one-shot upload meanwhile.
    let taken = server
        .upload_ok(&token, "report.pdf", b"other".to_vec())
        .await;
    let response = patch(&server, &token, &path, 20_000, &data[20_000..]).await;
    assert_error(
        response,
        StatusCode::CONFLICT,
        "A file with this name already exists in your folder",
    )
    .await;
    // The bytes are kept: the upload is complete but not yet a file.
    let response = head(&server, &token, &path).await;
    assert_eq!(header(&response, "upload-offset").as_deref(), Some("50000"));
    assert_eq!(header(&response, "defdrive-file-id"), None);
    assert_eq!(files(&server, &token).await.len(), 1);
    // Once the name is free, an empty PATCH at the end completes it.
    let id = taken["ID"].as_i64().unwrap();
    let response = server
        .request(Method::DELETE, &format!("/api/files/{id}"), Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = patch(&server, &token, &path, 50_000, b"").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let file_id: i64 = header(&response, "defdrive-file-id")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(download(&server, &token, file_id).await, data);
    settle(&server, 1).await;
}

async fn quota_is_reserved_at_creation(backend: Backend) {
    let server = Server::start_with(
        backend,
        &[
            ("DEFAULT_MAX_STORAGE", "100000"),
            ("DEFAULT_MAX_FILES", "3"),
        ],
    )
    .await;
    let token = server.user("alice").await;
    let big = create_ok(&server, &token, "big.bin", 60_000).await;
    // The reservation counts for both ways of uploading.
    let body = assert_error(
        server.upload(&token, "post.bin", vec![1; 50_000]).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
    assert_eq!(
        (
            body["current_storage"].clone(),
            body["max_storage"].clone(),
            body["file_size"].clone()
        ),
        (json!(60_000), json!(100_000), json!(50_000))
    );
    let body = assert_error(
        create(&server, &token, "tus.bin", 40_001).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
    assert_eq!(
        (
            body["current_storage"].clone(),
            body["max_storage"].clone(),
            body["file_size"].clone()
        ),
        (json!(60_000), json!(100_000), json!(40_001))
    );
    // Exactly at the limit is accepted.
    let exact = create_ok(&server, &token, "exact.bin", 40_000).await;
    // Reservations are not usage.
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(
        (
            limits["current_files"].clone(),
            limits["current_storage"].clone()
        ),
        (json!(0), json!(0))
    );
    // The file limit counts reserved slots as well.
    server.upload_ok(&token, "tiny.txt", Vec::new()).await;
    let body = assert_error(
        create(&server, &token, "four.txt", 0).await,
        StatusCode::FORBIDDEN,
        "File limit exceeded",
    )
    .await;
    assert_eq!(
        (body["current_files"].clone(), body["max_files"].clone()),
        (json!(3), json!(3))
    );
    assert_error(
        server.upload(&token, "four.txt", Vec::new()).await,
        StatusCode::FORBIDDEN,
        "File limit exceeded",
    )
    .await;
    // Completing turns the reservation into usage; the sum never passes the limit.
    patch_ok(&server, &token, &big, 0, &vec![5; 60_000]).await;
    patch_ok(&server, &token, &exact, 0, &vec![6; 40_000]).await;
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(
        (
            limits["current_files"].clone(),
            limits["current_storage"].clone(),
            limits["remaining_storage"].clone()
        ),
        (json!(3), json!(100_000), json!(0))
    );
    assert_error(
        create(&server, &token, "more.bin", 1).await,
        StatusCode::FORBIDDEN,
        "File limit exceeded",
    )
    .await;
}

async fn termination_releases_the_reservation(backend: Backend) {
    let server = Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "100000")]).await;
    let token = server.user("alice").await;
    let path = create_ok(&server, &token, "all.bin", 100_000).await;
    patch_ok(&server, &token, &path, 0, &vec![1; 30_000]).await;
    patch_ok(&server, &token, &path, 30_000, &vec![2; 30_000]).await;
    settle(&server, 2).await;
    assert_error(
        server.upload(&token, "x.bin", vec![1; 1]).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
    let terminate = |token: &str| {
        server
            .request(Method::DELETE, &path, Some(token))
            .header(TUS.0, TUS.1)
            .send()
    };
    let other = server.user("bob").await;
    assert_error(
        terminate(&other).await.unwrap(),
        StatusCode::NOT_FOUND,
        "Upload not found",
    )
    .await;
    let response = terminate(&token).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_error(
        terminate(&token).await.unwrap(),
        StatusCode::NOT_FOUND,
        "Upload not found",
    )
    .await;
    assert_eq!(
        head(&server, &token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_error(
        patch(&server, &token, &path, 60_000, b"x").await,
        StatusCode::NOT_FOUND,
        "Upload not found",
    )
    .await;
    // Its segments are gone and the whole quota is free again.
    settle(&server, 0).await;
    server.upload_ok(&token, "all.bin", vec![3; 100_000]).await;
}

async fn parallel_creations_and_uploads_never_overshoot(backend: Backend) {
    let server = Arc::new(Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "100000")]).await);
    let token = server.user("alice").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(12));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (server, barrier, token) = (server.clone(), barrier.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            if i % 2 == 0 {
                let response = create(&server, &token, &format!("t{i}.bin"), 30_000).await;
                let location = header(&response, "location");
                (response.status(), location)
            } else {
                (
                    server
                        .upload(&token, &format!("p{i}.bin"), vec![i as u8; 30_000])
                        .await
                        .status(),
                    None,
                )
            }
        }));
    }
    let mut created = Vec::new();
    let mut accepted = 0;
    for task in tasks {
        let (status, location) = task.await.unwrap();
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::CREATED => {
                accepted += 1;
                created.push(location.unwrap()[server.url.len()..].to_owned());
            }
            StatusCode::FORBIDDEN => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, 3, "three of 30 000 bytes fit in 100 000");
    for path in &created {
        patch_ok(&server, &token, path, 0, &vec![9; 30_000]).await;
    }
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        (stats["file_count"].clone(), stats["total_storage"].clone()),
        (json!(3), json!(90_000))
    );
    assert_error(
        create(&server, &token, "last.bin", 10_001).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
    create_ok(&server, &token, "last.bin", 10_000).await;
}

async fn interrupted_patch_keeps_what_arrived(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(3_000_000, 5);
    let path = create_ok(&server, &token, "big.iso", data.len()).await;
    let stream = start_partial_patch(&server, &token, &path, 0, data.len(), &data[..1_200_000]);
    wait_for_unfinished_write(&server).await;
    drop(stream);
    // What arrived is stored and the offset says so.
    let offset = wait_for_offset_above(&server, &token, &path, 0).await;
    assert!(offset <= 1_200_000, "{offset}");
    assert!(files(&server, &token).await.is_empty());
    // A second interruption, then the rest.
    let stream = start_partial_patch(
        &server,
        &token,
        &path,
        offset,
        data.len() - offset,
        &data[offset..offset + 500_000],
    );
    wait_for_offset_or_drop(stream).await;
    let second = wait_for_offset_above(&server, &token, &path, offset).await;
    assert!(second <= offset + 500_000, "{second}");
    patch_after_interruption(&server, &token, &path, second, &data[second..]).await;
    let listed = files(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["Hash"], sha(&data));
    assert_eq!(listed[0]["Size"], 3_000_000);
    settle(&server, 1).await;
}

/// Gives the server a moment to read what was sent, then drops the connection.
async fn wait_for_offset_or_drop(stream: std::net::TcpStream) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
}

async fn resumes_after_restart_and_crash(backend: Backend) {
    let mut server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(2_000_000, 6);
    let path = create_ok(&server, &token, "movie.mkv", data.len()).await;
    patch_ok(&server, &token, &path, 0, &data[..700_000]).await;
    server.restart();
    assert_eq!(offset_of(&server, &token, &path).await, 700_000);
    patch_ok(&server, &token, &path, 700_000, &data[700_000..1_000_000]).await;
    // A crash in the middle of a PATCH loses only that PATCH's unfinished bytes.
    let stream = start_partial_patch(
        &server,
        &token,
        &path,
        1_000_000,
        1_000_000,
        &data[1_000_000..1_500_000],
    );
    wait_for_unfinished_write(&server).await;
    server.kill();
    drop(stream);
    server.start_again();
    let offset = offset_of(&server, &token, &path).await;
    assert_eq!(offset, 1_000_000);
    patch_ok(&server, &token, &path, offset, &data[offset..]).await;
    let listed = files(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["Hash"], sha(&data));
    assert_eq!(
        download(&server, &token, listed[0]["ID"].as_i64().unwrap()).await,
        data
    );
}

async fn concurrent_patches_to_one_upload(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(1_000_000, 7);
    let path = create_ok(&server, &token, "one.bin", data.len()).await;
    let mut first = start_partial_patch(&server, &token, &path, 0, data.len(), &data[..300_000]);
    wait_for_unfinished_write(&server).await;
    // While one request writes, another at the same offset is turned away.
    let response = patch(&server, &token, &path, 0, &data).await;
    assert_error(
        response,
        StatusCode::LOCKED,
        "Another request is writing to this upload; try again",
    )
    .await;
    first.write_all(&data[300_000..]).unwrap();
    let mut reply = String::new();
    let _ = first.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 204"), "{reply}");
    // The loser's retry finds the upload complete.
    let response = patch(&server, &token, &path, 0, &data).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let listed = files(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["Hash"], sha(&data));
    settle(&server, 1).await;
}

async fn expired_uploads_are_swept(backend: Backend) {
    let server = Server::start_with(
        backend,
        &[
            // Long enough that creating and patching never take longer, even on a busy
            // machine; the sweep runs every TUS_EXPIRE_AFTER.
            ("TUS_EXPIRE_AFTER", "5s"),
            ("DEFAULT_MAX_STORAGE", "100000"),
        ],
    )
    .await;
    let token = server.user("alice").await;
    let path = create_ok(&server, &token, "gone.bin", 100_000).await;
    patch_ok(&server, &token, &path, 0, &vec![1; 10_000]).await;
    patch_ok(&server, &token, &path, 10_000, &vec![2; 10_000]).await;
    // Without progress for longer than TUS_EXPIRE_AFTER: removed with its bytes.
    let mut swept = false;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if head(&server, &token, &path).await.status() == StatusCode::NOT_FOUND {
            swept = true;
            break;
        }
    }
    assert!(swept, "the expired upload is still there");
    settle(&server, 0).await;
    assert!(
        server.log().contains("swept expired resumable uploads"),
        "{}",
        server.log()
    );
    // Its reservation is released.
    server.upload_ok(&token, "full.bin", vec![3; 100_000]).await;
}

async fn live_segments_survive_the_orphan_sweep(backend: Backend) {
    let server = Server::start_with(backend, &[("UPLOAD_STALE_AFTER", "1s")]).await;
    let token = server.user("alice").await;
    let data = bytes(90_000, 8);
    let path = create_ok(&server, &token, "kept.bin", data.len()).await;
    patch_ok(&server, &token, &path, 0, &data[..30_000]).await;
    patch_ok(&server, &token, &path, 30_000, &data[30_000..60_000]).await;
    // Several sweeps of orphaned bytes run meanwhile.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(server.stored_objects().len(), 2);
    patch_ok(&server, &token, &path, 60_000, &data[60_000..]).await;
    assert_eq!(files(&server, &token).await[0]["Hash"], sha(&data));
    settle(&server, 1).await;
}

/// One value of the server's `/metrics`.
async fn metric(server: &Server, name: &str) -> f64 {
    let text = server.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

async fn metrics_count_resumable_uploads(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let data = bytes(2_000_000, 9);
    let path = create_ok(&server, &token, "counted.bin", data.len()).await;
    // A PATCH still receiving is an upload in progress.
    let stream = start_partial_patch(&server, &token, &path, 0, data.len(), &data[..700_000]);
    wait_for_unfinished_write(&server).await;
    assert_eq!(metric(&server, "defdrive_uploads_in_progress").await, 1.0);
    drop(stream);
    let offset = wait_for_offset_above(&server, &token, &path, 0).await;
    patch_after_interruption(&server, &token, &path, offset, &data[offset..]).await;
    assert_eq!(metric(&server, "defdrive_uploads_in_progress").await, 0.0);
    // Every byte that arrived is counted, also those of the broken request.
    let uploaded = metric(&server, "defdrive_uploaded_bytes_total").await;
    assert!(
        uploaded >= data.len() as f64 && uploaded <= (data.len() + 700_000) as f64,
        "{uploaded}"
    );
}

async fn shutdown_keeps_what_a_patch_delivered(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SHUTDOWN_GRACE", "1s")]).await;
    let token = server.user("alice").await;
    let data = bytes(2_000_000, 10);
    let path = create_ok(&server, &token, "restart.iso", data.len()).await;
    let stream = start_partial_patch(&server, &token, &path, 0, data.len(), &data[..800_000]);
    wait_for_unfinished_write(&server).await;
    // SIGTERM while the PATCH waits for more bytes: after the grace period its body ends
    // as if broken off, and what arrived is recorded before the process exits.
    server.stop();
    drop(stream);
    server.start_again();
    let offset = wait_for_offset_above(&server, &token, &path, 0).await;
    assert!(offset > 0 && offset <= 800_000, "{offset}");
    patch_ok(&server, &token, &path, offset, &data[offset..]).await;
    assert_eq!(files(&server, &token).await[0]["Hash"], sha(&data));
    settle(&server, 1).await;
}
