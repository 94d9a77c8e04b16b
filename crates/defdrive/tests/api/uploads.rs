//! `POST /api/upload`: the reply, names, quotas (also under concurrency and through two
//! servers), the unique live name, uploads larger than one S3 part, and what an aborted,
//! crashed or shut-down upload leaves behind (nothing).

use crate::harness::{Backend, Server, assert_error, status_json};
use crate::{all_storages, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

both!(
    path_like_names_keep_the_last_component,
    bad_names_and_missing_parts,
    file_limit_refusal,
    parallel_uploads_never_pass_the_file_limit,
    parallel_uploads_of_one_name_give_one_file,
    crashed_upload_is_swept_at_start,
    stalled_upload_is_abandoned_with_408,
);

all_storages!(
    upload_reply_and_round_trip,
    exactly_at_quota_is_accepted_one_byte_more_is_not,
    parallel_uploads_never_pass_the_storage_limit,
    parallel_uploads_through_two_servers_never_pass_the_quota,
    upload_larger_than_one_part,
    aborted_upload_leaves_nothing,
    orphaned_bytes_are_swept_at_start,
    shutdown_cancels_an_unfinished_upload,
    shutdown_lets_an_upload_in_flight_finish,
);

/// A partial upload's (total, sent) sizes: on S3 more than one part must have been sent
/// for anything to reach storage before the upload completes.
fn partial_sizes(backend: Backend) -> (usize, usize) {
    if backend.is_s3() {
        (30_000_000, 12_000_000)
    } else {
        (5_000_000, 1_000_000)
    }
}

async fn upload_reply_and_round_trip(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let file = server.upload_ok(&token, "data.bin", bytes.clone()).await;
    assert_eq!(file["Name"], "data.bin");
    assert_eq!(file["Location"], "alice/data.bin");
    assert_eq!(file["Size"], 300_000);
    assert_eq!(file["Hash"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(file["Public"], false);
    assert_eq!(file["DeletedAt"], Value::Null);
    assert!(file["ID"].as_i64().unwrap() > 0);
    assert!(file["UserID"].as_i64().unwrap() > 0);
    assert!(file["CreatedAt"].as_str().unwrap().ends_with('Z'));
    let id = file["ID"].as_i64().unwrap();
    let download = server
        .get(&format!("/api/files/{id}/download"), Some(&token))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());
    // Only the bytes of this file are stored, under an opaque key.
    let objects = server.stored_objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(!objects[0].to_string_lossy().contains("data.bin"));
}

async fn path_like_names_keep_the_last_component(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    for (raw, stored) in [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\notes.txt", "notes.txt"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("quote%22d.txt", "quote\"d.txt"),
        ("ünïcødé €.TXT", "ünïcødé €.TXT"),
    ] {
        let file = server.upload_ok(&token, raw, b"x".to_vec()).await;
        assert_eq!(file["Name"], stored, "from {raw:?}");
        assert_eq!(file["Location"], format!("alice/{stored}"));
    }
    // Nothing was written outside the storage folder.
    assert!(!server.data_path().join("passwd").exists());
    assert_eq!(server.stored_objects().len(), 5);
}

async fn bad_names_and_missing_parts(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    for raw in [
        "..",
        ".",
        "dir/",
        "a/..",
        "bad\u{1}name.txt",
        "cr%0Dlf.txt",
        "tab\tname",
        "   ",
        "invoice\u{202E}fdp.exe",
        &"n".repeat(256),
    ] {
        let (status, body) = status_json(server.upload(&token, raw, b"x".to_vec()).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("Invalid file name")),
            "name {raw:?}"
        );
    }
    // A name that is not UTF-8 (Latin-1 `é`), sent raw.
    let mut stream =
        std::net::TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    let body: &[u8] = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf\xe9.txt\"\r\n\r\nx\r\n--B--\r\n";
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(&[head.as_bytes(), body].concat()).unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut stream, &mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(
        reply.ends_with(r#"{"error":"Invalid file name"}"#),
        "{reply}"
    );
    // No part named `file`.
    let form = reqwest::multipart::Form::new().part(
        "other",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
    );
    let response = server
        .request(Method::POST, "/api/upload", Some(&token))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "No file provided").await;
    // Not multipart at all.
    let response = server
        .send_json(
            Method::POST,
            "/api/upload",
            Some(&token),
            json!({"file": "x"}),
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "No file provided").await;
    // Nothing was stored for any of them.
    assert!(server.stored_objects().is_empty());
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], json!([]));
}

async fn exactly_at_quota_is_accepted_one_byte_more_is_not(backend: Backend) {
    let server = Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "100000")]).await;
    let token = server.user("alice").await;
    server.upload_ok(&token, "first.bin", vec![1; 40_000]).await;
    let refused = server.upload(&token, "over.bin", vec![2; 60_001]).await;
    let body = assert_error(refused, StatusCode::FORBIDDEN, "Storage limit exceeded").await;
    assert_eq!(body["current_storage"], 40_000);
    assert_eq!(body["max_storage"], 100_000);
    assert_eq!(body["file_size"], 60_001);
    server.upload_ok(&token, "exact.bin", vec![3; 60_000]).await;
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(limits["current_storage"], 100_000);
    assert_eq!(limits["remaining_storage"], 0);
    // A full quota refuses even one byte, and the refused bytes were not kept.
    let refused = server.upload(&token, "one.bin", vec![4; 1]).await;
    assert_error(refused, StatusCode::FORBIDDEN, "Storage limit exceeded").await;
    assert_eq!(server.stored_objects().len(), 2);
}

async fn file_limit_refusal(backend: Backend) {
    let server = Server::start_with(backend, &[("DEFAULT_MAX_FILES", "2")]).await;
    let token = server.user("alice").await;
    server.upload_ok(&token, "a.txt", b"a".to_vec()).await;
    server.upload_ok(&token, "b.txt", b"b".to_vec()).await;
    let body = assert_error(
        server.upload(&token, "c.txt", b"c".to_vec()).await,
        StatusCode::FORBIDDEN,
        "File limit exceeded",
    )
    .await;
    assert_eq!(body["current_files"], 2);
    assert_eq!(body["max_files"], 2);
    assert_eq!(server.stored_objects().len(), 2);
}

/// Runs `count` uploads at once (after a barrier) and returns their statuses.
async fn upload_at_once(
    server: &Arc<Server>,
    token: &str,
    count: usize,
    name: impl Fn(usize) -> String,
    size: usize,
) -> Vec<StatusCode> {
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let mut tasks = Vec::new();
    for i in 0..count {
        let (server, barrier, token, name) =
            (server.clone(), barrier.clone(), token.to_owned(), name(i));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            server
                .upload(&token, &name, vec![i as u8; size])
                .await
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

async fn parallel_uploads_never_pass_the_file_limit(backend: Backend) {
    let server = Arc::new(Server::start_with(backend, &[("DEFAULT_MAX_FILES", "5")]).await);
    let token = server.user("alice").await;
    let statuses = upload_at_once(&server, &token, 12, |i| format!("f{i}.bin"), 20_000).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert_eq!((ok, refused), (5, 7), "{statuses:?}");
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(limits["current_files"], 5);
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"].as_array().unwrap().len(), 5);
    settle(&server, 5).await;
}

async fn parallel_uploads_never_pass_the_storage_limit(backend: Backend) {
    let server = Arc::new(Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "100000")]).await);
    let token = server.user("alice").await;
    let statuses = upload_at_once(&server, &token, 10, |i| format!("s{i}.bin"), 30_000).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 3, "{statuses:?}");
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(stats["total_storage"], 90_000);
    settle(&server, 3).await;
}

async fn parallel_uploads_of_one_name_give_one_file(backend: Backend) {
    let server = Arc::new(Server::start(backend).await);
    let token = server.user("alice").await;
    let statuses = upload_at_once(&server, &token, 8, |_| "same.txt".to_owned(), 50_000).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 7), "{statuses:?}");
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"].as_array().unwrap().len(), 1);
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        (stats["file_count"].clone(), stats["total_storage"].clone()),
        (json!(1), json!(50_000))
    );
    settle(&server, 1).await;
}

/// Waits until exactly `expected` objects remain stored (refused uploads clean up just
/// after answering), failing after a few seconds.
async fn settle(server: &Server, expected: usize) {
    for _ in 0..50 {
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

/// Sends the start of a multipart upload of a `total`-byte file, but only `sent` bytes of
/// it, over a raw connection that the caller then drops (or keeps while the server dies).
fn start_partial_upload(
    server: &Server,
    token: &str,
    total: usize,
    sent: usize,
) -> std::net::TcpStream {
    let address = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let boundary = "XdefdriveBoundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + total + tail.len();
    let request = format!(
        "POST /api/upload HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(&vec![7u8; sent]).unwrap();
    stream.flush().unwrap();
    stream
}

async fn wait_for_partial_bytes(server: &Server) {
    for _ in 0..200 {
        if server.has_partial_upload() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the partial upload never reached storage");
}

async fn aborted_upload_leaves_nothing(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let (total, sent) = partial_sizes(backend);
    let stream = start_partial_upload(&server, &token, total, sent);
    wait_for_partial_bytes(&server).await;
    drop(stream);
    // No object and no part of a multipart upload is left, and no record.
    settle(&server, 0).await;
    assert_eq!(server.count_rows("pending_uploads").await, 0);
    assert_eq!(server.count_rows("files").await, 0);
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], json!([]));
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        stats,
        json!({"file_count": 0, "total_storage": 0, "file_types": []})
    );
    // The name is free again.
    server
        .upload_ok(&token, "big.bin", b"small now".to_vec())
        .await;
}

async fn crashed_upload_is_swept_at_start(backend: Backend) {
    let mut server = Server::start_with(backend, &[("UPLOAD_STALE_AFTER", "1s")]).await;
    let token = server.user("alice").await;
    let stream = start_partial_upload(&server, &token, 5_000_000, 1_000_000);
    wait_for_partial_bytes(&server).await;
    server.kill();
    drop(stream);
    assert_eq!(
        server.stored_objects().len(),
        1,
        "the crash leaves partial bytes"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.start_again();
    settle(&server, 0).await;
    assert!(
        server.log().contains("swept abandoned uploads"),
        "{}",
        server.log()
    );
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], json!([]));
}

async fn stalled_upload_is_abandoned_with_408(backend: Backend) {
    use std::io::Read;
    let server = Server::start_with(backend, &[("UPLOAD_STALE_AFTER", "1s")]).await;
    let token = server.user("alice").await;
    let (total, sent) = (3_000_000, 1_000_000);
    let mut stream = start_partial_upload(&server, &token, total, sent);
    wait_for_partial_bytes(&server).await;
    // No progress for longer than UPLOAD_STALE_AFTER: the periodic sweep takes the bytes.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    settle(&server, 0).await;
    stream.write_all(&vec![7u8; total - sent]).unwrap();
    stream.write_all(b"\r\n--XdefdriveBoundary--\r\n").unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("Upload abandoned"), "{reply}");
    settle(&server, 0).await;
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], json!([]));
}

async fn parallel_uploads_through_two_servers_never_pass_the_quota(backend: Backend) {
    let server = Arc::new(Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "100000")]).await);
    let companion = server.companion();
    let token = server.user("alice").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 {
            server.url.clone()
        } else {
            companion.url.clone()
        };
        let (server, barrier, token) = (server.clone(), barrier.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            server
                .upload_via(&base, &token, &format!("q{i}.bin"), vec![i as u8; 30_000])
                .await
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert_eq!((ok, refused), (3, 7), "{statuses:?}");
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(stats["total_storage"], 90_000);
    assert_eq!(stats["file_count"], 3);
    settle(&server, 3).await;
}

/// Bytes that differ from offset to offset, so a misplaced part shows.
fn patterned(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i / 7) as u8) ^ ((i % 251) as u8))
        .collect()
}

async fn upload_larger_than_one_part(backend: Backend) {
    // More than two 8 MiB parts of an S3 multipart upload, and not a multiple of one.
    const PART: usize = 8 << 20;
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let bytes = patterned(2 * PART + 123_457);
    let file = server.upload_ok(&token, "big.bin", bytes.clone()).await;
    assert_eq!(file["Size"], bytes.len());
    assert_eq!(file["Hash"], hex::encode(Sha256::digest(&bytes)));
    let id = file["ID"].as_i64().unwrap();
    let path = format!("/api/files/{id}/download");
    let download = server.get(&path, Some(&token)).await;
    assert_eq!(download.status(), StatusCode::OK);
    let body = download.bytes().await.unwrap();
    assert!(
        body.as_ref() == bytes.as_slice(),
        "the downloaded bytes differ"
    );
    // A range across the boundary of the first two parts.
    let (start, end) = (PART - 10, PART + 9);
    let ranged = server
        .request(Method::GET, &path, Some(&token))
        .header("Range", format!("bytes={start}-{end}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &bytes[start..=end]);
    // One complete object of the right size; no multipart upload is left open.
    let objects = server.stored_objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(
        std::fs::metadata(&objects[0]).unwrap().len(),
        bytes.len() as u64
    );
}

async fn orphaned_bytes_are_swept_at_start(backend: Backend) {
    let mut server = Server::start_with(backend, &[("UPLOAD_STALE_AFTER", "1h")]).await;
    let token = server.user("alice").await;
    let kept = server.upload_ok(&token, "kept.txt", b"kept".to_vec()).await;
    // Bytes a crash left between storing and recording: no file and no upload uses them.
    let orphan = "0123456789abcdef0123456789abcdef";
    server.plant_object(orphan, b"orphan", Duration::from_secs(7200));
    // Fresh bytes may belong to an upload about to be recorded: they stay.
    let fresh = "fedcba9876543210fedcba9876543210";
    server.plant_object(fresh, b"fresh", Duration::ZERO);
    assert_eq!(server.stored_objects().len(), 3);
    server.restart();
    settle(&server, 2).await;
    let names: Vec<String> = server
        .stored_objects()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!names.contains(&orphan.to_owned()), "{names:?}");
    assert!(names.contains(&fresh.to_owned()), "{names:?}");
    let id = kept["ID"].as_i64().unwrap();
    let download = server
        .get(&format!("/api/files/{id}/download"), Some(&token))
        .await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"kept");
}

async fn shutdown_cancels_an_unfinished_upload(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SHUTDOWN_GRACE", "1s")]).await;
    let token = server.user("alice").await;
    let (total, sent) = partial_sizes(backend);
    let stream = start_partial_upload(&server, &token, total, sent);
    wait_for_partial_bytes(&server).await;
    // SIGTERM while the upload waits for more bytes: the grace period runs out, the
    // upload is cancelled and cleaned up before the process exits.
    server.stop();
    drop(stream);
    let log = server.log();
    assert!(log.contains("cancelled the uploads still running"), "{log}");
    assert!(log.contains("defdrive stopped"), "{log}");
    assert_eq!(server.stored_objects(), Vec::<std::path::PathBuf>::new());
    assert_eq!(server.count_rows("pending_uploads").await, 0);
    assert_eq!(server.count_rows("files").await, 0);
    server.start_again();
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], json!([]));
    server.upload_ok(&token, "big.bin", b"again".to_vec()).await;
}

async fn shutdown_lets_an_upload_in_flight_finish(backend: Backend) {
    use std::io::Read;
    let mut server = Server::start(backend).await;
    let token = server.user("alice").await;
    let (total, sent) = partial_sizes(backend);
    let mut stream = start_partial_upload(&server, &token, total, sent);
    wait_for_partial_bytes(&server).await;
    server.signal_stop();
    server
        .wait_for_log("letting requests in flight finish")
        .await;
    // The listener closes: no new connection is accepted.
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut refused = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&address).is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the stopping server still accepts connections");
    // The upload in flight completes and is answered.
    stream.write_all(&vec![7u8; total - sent]).unwrap();
    stream.write_all(b"\r\n--XdefdriveBoundary--\r\n").unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    server.stop();
    assert_eq!(server.count_rows("files").await, 1);
    assert_eq!(server.count_rows("pending_uploads").await, 0);
    assert_eq!(server.stored_objects().len(), 1);
    server.start_again();
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"][0]["Size"], total);
}
