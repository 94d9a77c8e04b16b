//! The caller's files: `GET /api/files`, `PUT /api/files/{id}/access`,
//! `DELETE /api/files/{id}` and `GET /api/files/{id}/download`, and what survives a restart.

use crate::harness::{Backend, Server, assert_error, status_json};
use crate::{all_storages, both};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

both!(
    list_is_empty_for_a_new_user,
    list_shape_order_and_ownership,
    set_access_reply_and_list,
    set_access_keys_match_case_insensitively,
    set_access_errors_in_spec_order,
    delete_errors,
    files_survive_a_restart_with_a_generated_secret,
);

all_storages!(
    delete_removes_record_bytes_and_name,
    delete_keeps_bytes_shared_with_other_files,
    own_download_bytes_and_errors,
    own_download_headers_and_ranges,
    files_survive_a_restart,
);

/// The keys of a File object (SPEC 3), no more, no less.
const FILE_KEYS: [&str; 10] = [
    "CreatedAt",
    "DeletedAt",
    "Hash",
    "ID",
    "Location",
    "Name",
    "Public",
    "Size",
    "UpdatedAt",
    "UserID",
];

/// Asserts `file` has exactly the File keys and sensible values.
fn assert_file_shape(file: &Value) {
    let mut keys: Vec<&str> = file
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {file}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, FILE_KEYS, "{file}");
    assert!(file["ID"].as_i64().unwrap() > 0, "{file}");
    assert!(file["UserID"].as_i64().unwrap() > 0, "{file}");
    assert!(file["Size"].as_i64().unwrap() >= 0, "{file}");
    assert!(file["Public"].is_boolean(), "{file}");
    assert_eq!(file["DeletedAt"], Value::Null, "{file}");
    let hash = file["Hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64, "{file}");
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{file}"
    );
    assert_timestamp(file["CreatedAt"].as_str().unwrap());
    assert_timestamp(file["UpdatedAt"].as_str().unwrap());
}

/// RFC 3339 in UTC with fractional seconds: `2026-12-03T15:31:36.123456Z`.
fn assert_timestamp(text: &str) {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    let ok = b.len() >= 22
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..b.len() - 1)
        && b[b.len() - 1] == b'Z';
    assert!(ok, "not an RFC 3339 UTC timestamp with fractions: {text:?}");
}

fn id_of(file: &Value) -> i64 {
    file["ID"].as_i64().expect("file ID")
}

async fn list(server: &Server, token: &str) -> Vec<Value> {
    let (status, body) = status_json(server.get("/api/files", Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["files"], "{body}");
    body["files"].as_array().expect("files array").clone()
}

fn names(files: &[Value]) -> Vec<&str> {
    files.iter().map(|f| f["Name"].as_str().unwrap()).collect()
}

async fn put_access_raw(server: &Server, path: &str, token: Option<&str>, body: &str) -> Response {
    server
        .request(Method::PUT, path, token)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("PUT access")
}

async fn set_public(server: &Server, token: &str, id: i64, body: &str) -> Value {
    let response = put_access_raw(
        server,
        &format!("/api/files/{id}/access"),
        Some(token),
        body,
    )
    .await;
    let (status, reply) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "body {body}: {reply}");
    reply
}

async fn download(server: &Server, token: &str, id: i64) -> Response {
    server
        .get(&format!("/api/files/{id}/download"), Some(token))
        .await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ASCII header"))
}

fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32 * 31 + seed as u32) as u8)
        .collect()
}

// ---- GET /api/files

async fn list_is_empty_for_a_new_user(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let (status, body) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"files": []})));
    // Another user's files do not appear either.
    let bob = server.user("bob").await;
    server.upload_ok(&bob, "bobs.txt", b"bob".to_vec()).await;
    let (status, body) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"files": []})));
    // Without a token: 401.
    assert_error(
        server.get("/api/files", None).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
}

async fn list_shape_order_and_ownership(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    // Names deliberately not in alphabetical order, and interleaved with bob's uploads.
    let mut uploaded = Vec::new();
    for (i, name) in ["zeta.txt", "alpha.bin", "mid.PDF", "Ärger ü.md"]
        .iter()
        .enumerate()
    {
        let bytes = content(i as u8, 100 + i * 37);
        let file = server.upload_ok(&alice, name, bytes.clone()).await;
        assert_file_shape(&file);
        assert_eq!(file["Size"], bytes.len());
        assert_eq!(file["Hash"], hex::encode(Sha256::digest(&bytes)));
        uploaded.push(file);
        server
            .upload_ok(&bob, &format!("bob-{i}.txt"), b"b".to_vec())
            .await;
    }
    // Bob also has a file with one of alice's names: it stays his.
    server
        .upload_ok(&bob, "zeta.txt", b"bob zeta".to_vec())
        .await;

    let files = list(&server, &alice).await;
    for file in &files {
        assert_file_shape(file);
    }
    assert_eq!(
        names(&files),
        ["zeta.txt", "alpha.bin", "mid.PDF", "Ärger ü.md"]
    );
    let ids: Vec<i64> = files.iter().map(id_of).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ordered by ID: {ids:?}"
    );
    // The listed objects are the ones the uploads returned.
    assert_eq!(files, uploaded);
    let alice_id = uploaded[0]["UserID"].clone();
    for file in &files {
        assert_eq!(file["UserID"], alice_id);
        assert_eq!(file["Public"], false);
        assert_eq!(
            file["Location"],
            format!("alice/{}", file["Name"].as_str().unwrap())
        );
    }

    let bobs = list(&server, &bob).await;
    assert_eq!(
        names(&bobs),
        [
            "bob-0.txt",
            "bob-1.txt",
            "bob-2.txt",
            "bob-3.txt",
            "zeta.txt"
        ]
    );
    for file in &bobs {
        assert_file_shape(file);
        assert_ne!(file["UserID"], alice_id);
        assert!(!ids.contains(&id_of(file)));
        assert!(file["Location"].as_str().unwrap().starts_with("bob/"));
    }

    // Deleting one in the middle keeps the order of the rest.
    let response = server
        .request(
            Method::DELETE,
            &format!("/api/files/{}", ids[1]),
            Some(&alice),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let later = server
        .upload_ok(&alice, "aaa-last.txt", b"z".to_vec())
        .await;
    let files = list(&server, &alice).await;
    assert_eq!(
        names(&files),
        ["zeta.txt", "mid.PDF", "Ärger ü.md", "aaa-last.txt"]
    );
    assert_eq!(files.last().unwrap(), &later);
}

// ---- PUT /api/files/{id}/access

async fn set_access_reply_and_list(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let bob = server.user("bob").await;
    let bytes = content(9, 2048);
    let file = server.upload_ok(&token, "report.pdf", bytes.clone()).await;
    let other = server.upload_ok(&token, "other.txt", b"o".to_vec()).await;
    let bobs = server.upload_ok(&bob, "bob.txt", b"b".to_vec()).await;
    let id = id_of(&file);

    let reply = set_public(&server, &token, id, r#"{"public":true}"#).await;
    let keys: Vec<&String> = reply.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2, "{reply}");
    assert_eq!(reply["message"], "File access updated successfully");
    let updated = &reply["file"];
    assert_file_shape(updated);
    assert_eq!(updated["Public"], true);
    // Nothing but `Public` (and `UpdatedAt`) changes.
    for key in [
        "ID",
        "CreatedAt",
        "Name",
        "Location",
        "Size",
        "Hash",
        "UserID",
    ] {
        assert_eq!(updated[key], file[key], "{key}");
    }
    assert!(
        updated["UpdatedAt"].as_str().unwrap() >= file["UpdatedAt"].as_str().unwrap(),
        "UpdatedAt went back: {updated}"
    );

    // The list reflects it, and only for this file.
    let files = list(&server, &token).await;
    assert_eq!(files[0]["Public"], true);
    assert_eq!(files[0], *updated);
    assert_eq!(files[1]["Public"], false);
    assert_eq!(files[1], other);
    assert_eq!(list(&server, &bob).await, [bobs]);

    // Setting the same value again is fine, and it can be made private again.
    let reply = set_public(&server, &token, id, r#"{"public":true}"#).await;
    assert_eq!(reply["file"]["Public"], true);
    let reply = set_public(&server, &token, id, r#"{"public":false}"#).await;
    assert_eq!(reply["file"]["Public"], false);
    assert_eq!(list(&server, &token).await[0]["Public"], false);

    // The content is untouched.
    let response = download(&server, &token, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

async fn set_access_keys_match_case_insensitively(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let id = id_of(&server.upload_ok(&token, "a.txt", b"a".to_vec()).await);
    // (body, expected Public afterwards), applied in this order.
    for (body, expected) in [
        (r#"{"Public":true}"#, true),
        (r#"{"public":false}"#, false),
        (r#"{"PUBLIC":true}"#, true),
        (r#"{"pUbLiC":false}"#, false),
        // Unknown keys are ignored.
        (r#"{"public":true,"name":"x","Extra":[1,2]}"#, true),
        // `null` or a missing key is the zero value.
        (r#"{"public":null}"#, false),
        (r#"{"public":true}"#, true),
        (r#"{}"#, false),
        (r#"{"public":true}"#, true),
        (r#"{"other":true}"#, false),
        // An exact-case key wins over another casing, whatever the order.
        (r#"{"Public":false,"public":true}"#, true),
        (r#"{"public":false,"Public":true}"#, false),
        (r#"{"PUBLIC":true,"public":false}"#, false),
        (r#"{"public":true,"PUBLIC":false}"#, true),
    ] {
        let reply = set_public(&server, &token, id, body).await;
        assert_eq!(reply["file"]["Public"], expected, "body {body}: {reply}");
        assert_eq!(
            list(&server, &token).await[0]["Public"],
            expected,
            "body {body}"
        );
    }
}

async fn set_access_errors_in_spec_order(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mine = id_of(&server.upload_ok(&alice, "mine.txt", b"m".to_vec()).await);
    let bobs = id_of(&server.upload_ok(&bob, "bobs.txt", b"b".to_vec()).await);
    let unknown = mine.max(bobs) + 1000;
    let good = r#"{"public":true}"#;
    let bad = r#"{"public":"yes"}"#;
    let path = |id: &str| format!("/api/files/{id}/access");

    // 401 before anything else.
    assert_error(
        put_access_raw(&server, &path("abc"), None, bad).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;

    // 1. A bad id, even with a bad body and for nobody's file.
    for raw in ["abc", "0", "-5", "1.5", "1e3", "0x10", "%20"] {
        for body in [good, bad, "not json"] {
            assert_error(
                put_access_raw(&server, &path(raw), Some(&alice), body).await,
                StatusCode::BAD_REQUEST,
                "Invalid file ID",
            )
            .await;
        }
    }
    // 2. An unknown id, even with a bad body.
    for body in [good, bad, "not json"] {
        assert_error(
            put_access_raw(&server, &path(&unknown.to_string()), Some(&alice), body).await,
            StatusCode::NOT_FOUND,
            "File not found",
        )
        .await;
    }
    // 3. Another user's file, even with a bad body.
    for body in [good, bad, "not json"] {
        assert_error(
            put_access_raw(&server, &path(&bobs.to_string()), Some(&alice), body).await,
            StatusCode::FORBIDDEN,
            "You don't have permission to modify this file",
        )
        .await;
    }
    // 4. A bad body on one's own file.
    for body in [
        bad,
        "not json",
        r#"{"public":tru"#,
        r#"{"public":1}"#,
        r#"{"public":"true"}"#,
        r#"{"public":[true]}"#,
        r#"{"public":{}}"#,
        "[true]",
        "true",
        r#""public""#,
    ] {
        assert_error(
            put_access_raw(&server, &path(&mine.to_string()), Some(&alice), body).await,
            StatusCode::BAD_REQUEST,
            "Invalid request body",
        )
        .await;
    }
    // None of this changed anything.
    assert_eq!(list(&server, &alice).await[0]["Public"], false);
    assert_eq!(list(&server, &bob).await[0]["Public"], false);

    // A deleted file is not found.
    let response = server
        .request(Method::DELETE, &format!("/api/files/{mine}"), Some(&alice))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_error(
        put_access_raw(&server, &path(&mine.to_string()), Some(&alice), good).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
}

// ---- DELETE /api/files/{id}

async fn delete(server: &Server, token: Option<&str>, id: &str) -> Response {
    server
        .request(Method::DELETE, &format!("/api/files/{id}"), token)
        .send()
        .await
        .expect("DELETE")
}

async fn delete_removes_record_bytes_and_name(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let keep = server.upload_ok(&token, "keep.txt", content(1, 5000)).await;
    let gone = server.upload_ok(&token, "gone.txt", content(2, 7000)).await;
    assert_eq!(server.stored_objects().len(), 2);

    let (status, body) =
        status_json(delete(&server, Some(&token), &id_of(&gone).to_string()).await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"message": "File deleted successfully"})
        )
    );
    // The file leaves the list, the stats and the quota; its bytes leave storage.
    assert_eq!(list(&server, &token).await, std::slice::from_ref(&keep));
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(stats["file_count"], 1);
    assert_eq!(stats["total_storage"], 5000);
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(limits["current_files"], 1);
    assert_eq!(limits["current_storage"], 5000);
    assert_eq!(
        server.stored_objects().len(),
        1,
        "{:?}",
        server.stored_objects()
    );
    // Its download is gone; the other file's is intact.
    assert_error(
        download(&server, &token, id_of(&gone)).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    let response = download(&server, &token, id_of(&keep)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), content(1, 5000));

    // Deleting again: 404.
    assert_error(
        delete(&server, Some(&token), &id_of(&gone).to_string()).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;

    // The name is free again, as a new file with new content.
    let again = server.upload_ok(&token, "gone.txt", content(3, 300)).await;
    assert_ne!(id_of(&again), id_of(&gone));
    assert_eq!(again["Size"], 300);
    assert_eq!(again["Public"], false);
    assert_eq!(
        names(&list(&server, &token).await),
        ["keep.txt", "gone.txt"]
    );
    let response = download(&server, &token, id_of(&again)).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), content(3, 300));
    // The old id stays deleted.
    assert_error(
        download(&server, &token, id_of(&gone)).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    assert_eq!(server.stored_objects().len(), 2);

    // Deleting everything leaves nothing stored.
    for file in list(&server, &token).await {
        let response = delete(&server, Some(&token), &id_of(&file).to_string()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(list(&server, &token).await, Vec::<Value>::new());
    assert!(
        server.stored_objects().is_empty(),
        "{:?}",
        server.stored_objects()
    );
}

async fn delete_errors(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let bobs = server
        .upload_ok(&bob, "bobs.txt", b"bob's bytes".to_vec())
        .await;
    let bob_id = id_of(&bobs).to_string();

    assert_error(
        delete(&server, None, &bob_id).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    for raw in ["abc", "0", "-5", "1.5", "%2B1"] {
        assert_error(
            delete(&server, Some(&alice), raw).await,
            StatusCode::BAD_REQUEST,
            "Invalid file ID",
        )
        .await;
    }
    assert_error(
        delete(&server, Some(&alice), &(id_of(&bobs) + 1000).to_string()).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    assert_error(
        delete(&server, Some(&alice), &bob_id).await,
        StatusCode::FORBIDDEN,
        "You don't have permission to delete this file",
    )
    .await;
    // Bob's file is untouched.
    assert_eq!(list(&server, &bob).await, std::slice::from_ref(&bobs));
    assert_eq!(server.stored_objects().len(), 1);
    let response = download(&server, &bob, id_of(&bobs)).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"bob's bytes");
    // Once bob deleted it, it is not found for anyone (not forbidden).
    assert_eq!(
        delete(&server, Some(&bob), &bob_id).await.status(),
        StatusCode::OK
    );
    assert_error(
        delete(&server, Some(&alice), &bob_id).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
}

async fn delete_keeps_bytes_shared_with_other_files(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let same = content(7, 4096);
    let a = server.upload_ok(&alice, "a.txt", same.clone()).await;
    let b = server.upload_ok(&alice, "b.txt", same.clone()).await;
    let c = server.upload_ok(&bob, "c.txt", same.clone()).await;
    assert_eq!(a["Hash"], b["Hash"]);
    assert_eq!(a["Hash"], c["Hash"]);
    let response = delete(&server, Some(&alice), &id_of(&a).to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    // However the bytes are stored, the other files with the same content still download.
    for (token, file) in [(&alice, &b), (&bob, &c)] {
        let response = download(&server, token, id_of(file)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.bytes().await.unwrap().as_ref(), same.as_slice());
    }
    let response = delete(&server, Some(&bob), &id_of(&c).to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = download(&server, &alice, id_of(&b)).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), same.as_slice());
    let response = delete(&server, Some(&alice), &id_of(&b).to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        server.stored_objects().is_empty(),
        "{:?}",
        server.stored_objects()
    );
}

// ---- GET /api/files/{id}/download

async fn own_download_bytes_and_errors(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let bytes = content(5, 1_234_567);
    let file = server.upload_ok(&alice, "big.bin", bytes.clone()).await;
    let empty = server.upload_ok(&alice, "empty.txt", Vec::new()).await;
    let id = id_of(&file);

    let response = download(&server, &alice, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-length"),
        Some("1234567")
    );
    let got = response.bytes().await.unwrap();
    assert_eq!(got.len(), bytes.len());
    assert!(
        got.as_ref() == bytes.as_slice(),
        "the downloaded bytes differ"
    );
    assert_eq!(hex::encode(Sha256::digest(&got)), file["Hash"]);

    let response = download(&server, &alice, id_of(&empty)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "content-length"), Some("0"));
    assert!(response.bytes().await.unwrap().is_empty());

    // Not the caller's: 404, whatever else is true of it (also once it is public).
    assert_error(
        download(&server, &bob, id).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    set_public(&server, &alice, id, r#"{"public":true}"#).await;
    assert_error(
        download(&server, &bob, id).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    assert_error(
        server.get(&format!("/api/files/{id}/download"), None).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    for raw in ["abc", "0", "-5"] {
        assert_error(
            server
                .get(&format!("/api/files/{raw}/download"), Some(&alice))
                .await,
            StatusCode::BAD_REQUEST,
            "Invalid file ID",
        )
        .await;
    }
    assert_error(
        download(&server, &alice, id + 1000).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    // Deleted: 404.
    assert_eq!(
        delete(&server, Some(&alice), &id.to_string())
            .await
            .status(),
        StatusCode::OK
    );
    assert_error(
        download(&server, &alice, id).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
}

async fn own_download_headers_and_ranges(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let bytes = content(11, 1000);
    let pdf = server.upload_ok(&token, "report.pdf", bytes.clone()).await;
    let odd = server.upload_ok(&token, "blob.zzqx", content(12, 10)).await;
    let unicode = server
        .upload_ok(&token, "ünïcødé €.TXT", b"u".to_vec())
        .await;

    let response = download(&server, &token, id_of(&pdf)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(header(&h, "content-type"), Some("application/pdf"));
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&h, "content-length"), Some("1000"));
    assert_eq!(header(&h, "accept-ranges"), Some("bytes"));
    assert!(
        header(&h, "last-modified").is_some_and(|v| v.ends_with("GMT")),
        "{h:?}"
    );
    let etag = header(&h, "etag").expect("ETag").to_owned();
    assert!(etag.len() > 2 && etag.ends_with('"'), "{etag}");
    assert_eq!(
        header(&h, "content-disposition"),
        Some(r#"attachment; filename="report.pdf"; filename*=UTF-8''report.pdf"#)
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let response = download(&server, &token, id_of(&odd)).await;
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("application/octet-stream")
    );
    assert_ne!(header(response.headers(), "etag"), Some(etag.as_str()));

    let response = download(&server, &token, id_of(&unicode)).await;
    assert!(
        header(response.headers(), "content-type").is_some_and(|v| v.starts_with("text/plain")),
        "{:?}",
        response.headers()
    );
    let disposition = header(response.headers(), "content-disposition")
        .expect("Content-Disposition")
        .to_owned();
    let (fallback, encoded) = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
        .unwrap_or_else(|| panic!("{disposition}"));
    assert!(
        fallback.is_ascii() && !fallback.is_empty() && !fallback.contains('"'),
        "{disposition}"
    );
    assert_eq!(
        encoded, "%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.TXT",
        "{disposition}"
    );

    // Ranges.
    let ranged = |range: &'static str| {
        server
            .request(
                Method::GET,
                &format!("/api/files/{}/download", id_of(&pdf)),
                Some(&token),
            )
            .header("Range", range)
            .send()
    };
    for (range, start, end) in [
        ("bytes=0-9", 0usize, 9usize),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=100-2000", 100, 999),
        ("bytes=999-999", 999, 999),
    ] {
        let response = ranged(range).await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let h = response.headers().clone();
        assert_eq!(
            header(&h, "content-range"),
            Some(format!("bytes {start}-{end}/1000").as_str()),
            "{range}"
        );
        assert_eq!(
            header(&h, "content-length"),
            Some((end - start + 1).to_string().as_str()),
            "{range}"
        );
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            &bytes[start..=end],
            "{range}"
        );
    }
    let response = ranged("bytes=1000-").await.unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let response = ranged("bytes=5000-6000").await.unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // Even after ranged reads the whole file is intact.
    let response = download(&server, &token, id_of(&pdf)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get(CONTENT_LENGTH).unwrap(), "1000");
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

// ---- Restart

async fn survive_restart(mut server: Server) {
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let one = content(21, 70_000);
    let two = content(22, 1);
    let f1 = server.upload_ok(&alice, "one.bin", one.clone()).await;
    let f2 = server.upload_ok(&alice, "two.txt", two.clone()).await;
    let f3 = server
        .upload_ok(&alice, "three.txt", b"three".to_vec())
        .await;
    let fb = server.upload_ok(&bob, "bob.txt", b"bob".to_vec()).await;
    set_public(&server, &alice, id_of(&f2), r#"{"public":true}"#).await;
    assert_eq!(
        delete(&server, Some(&alice), &id_of(&f3).to_string())
            .await
            .status(),
        StatusCode::OK
    );
    let before = list(&server, &alice).await;
    let (_, stats_before) = status_json(server.get("/api/files/stats", Some(&alice)).await).await;
    let objects_before = server.stored_objects().len();

    server.restart();

    // The same tokens work; the records, the flags and the bytes are all there.
    let after = list(&server, &alice).await;
    assert_eq!(after, before);
    assert_eq!(names(&after), ["one.bin", "two.txt"]);
    assert_eq!(after[1]["Public"], true);
    let (_, stats_after) = status_json(server.get("/api/files/stats", Some(&alice)).await).await;
    assert_eq!(stats_after, stats_before);
    assert_eq!(stats_after["file_count"], 2);
    assert_eq!(stats_after["total_storage"], 70_001);
    assert_eq!(list(&server, &bob).await, std::slice::from_ref(&fb));
    assert_eq!(server.stored_objects().len(), objects_before);
    for (file, bytes) in [(&f1, &one), (&f2, &two)] {
        let response = download(&server, &alice, id_of(file)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(response.headers(), "content-length"),
            Some(bytes.len().to_string().as_str())
        );
        assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    assert_error(
        download(&server, &alice, id_of(&f3)).await,
        StatusCode::NOT_FOUND,
        "File not found",
    )
    .await;
    // Names are still taken or free as before; new files get new ids.
    let conflict = server.upload(&alice, "one.bin", b"x".to_vec()).await;
    assert_error(
        conflict,
        StatusCode::CONFLICT,
        "A file with this name already exists in your folder",
    )
    .await;
    let new = server.upload_ok(&alice, "three.txt", b"3".to_vec()).await;
    assert!(id_of(&new) > id_of(&fb), "{new}");
    // Logging in again works too.
    let fresh = server.login("alice").await;
    assert_eq!(list(&server, &fresh).await.len(), 3);
}

async fn files_survive_a_restart(backend: Backend) {
    survive_restart(Server::start(backend).await).await;
}

async fn files_survive_a_restart_with_a_generated_secret(backend: Backend) {
    survive_restart(Server::start_with(backend, &[("JWT_SECRET", "")]).await).await;
}
