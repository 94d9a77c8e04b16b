//! `GET /api/user/limits` (SPEC 4.10), the admin endpoints (SPEC 4.11) and the
//! `defdrive admin grant|revoke` command line.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

both!(
    user_limits_shape,
    user_limits_follow_usage,
    admin_endpoints_refuse_non_admins,
    admin_endpoints_need_a_token,
    admin_lists_every_user_by_id,
    admin_updates_limits,
    admin_limit_validation,
    lowered_limits_go_negative_and_refuse_uploads,
    revoke_removes_admin_rights,
    grant_of_an_unknown_user_fails,
);

const DEFAULT_MAX_FILES: i64 = 100;
const DEFAULT_MAX_STORAGE: i64 = 1_073_741_824;
const ADMIN_REQUIRED: &str = "Admin access required";

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

async fn ok_json(response: Response) -> Value {
    let (status, body) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn my_limits(server: &Server, token: &str) -> Value {
    ok_json(server.get("/api/user/limits", Some(token)).await).await
}

async fn all_limits(server: &Server, token: &str) -> Vec<Value> {
    let body = ok_json(server.get("/api/admin/users/limits", Some(token)).await).await;
    assert_eq!(keys(&body), set(&["users"]), "{body}");
    body["users"].as_array().expect("users array").clone()
}

async fn put_limits(server: &Server, token: &str, id: &str, body: Value) -> Response {
    server
        .send_json(
            Method::PUT,
            &format!("/api/admin/users/{id}/limits"),
            Some(token),
            body,
        )
        .await
}

fn limits_json(max_files: i64, max_storage: i64, files: i64, storage: i64) -> Value {
    json!({"max_files": max_files, "max_storage": max_storage,
           "current_files": files, "current_storage": storage,
           "remaining_files": max_files - files, "remaining_storage": max_storage - storage})
}

/// Signs up `username`; returns its id and token.
async fn account(server: &Server, username: &str) -> (i64, String) {
    let reply = server.signup(username).await;
    let id = reply["user"]["ID"].as_i64().expect("ID");
    (id, server.login(username).await)
}

// ---- scenarios

async fn user_limits_shape(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, token) = account(&server, "alice").await;
    let limits = my_limits(&server, &token).await;
    assert_eq!(
        keys(&limits),
        set(&[
            "max_files",
            "max_storage",
            "current_files",
            "current_storage",
            "remaining_files",
            "remaining_storage",
        ]),
        "{limits}"
    );
    assert_eq!(
        limits,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 0, 0)
    );
    for key in keys(&limits) {
        assert!(limits[&key].is_i64(), "{key} is an integer: {limits}");
    }
}

async fn user_limits_follow_usage(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, alice) = account(&server, "alice").await;
    let (_, bob) = account(&server, "bob").await;
    server.upload_ok(&alice, "a.bin", vec![1; 1000]).await;
    let b = server.upload_ok(&alice, "b.bin", vec![2; 24]).await;
    assert_eq!(
        my_limits(&server, &alice).await,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 2, 1024)
    );
    // Each user sees their own usage only.
    assert_eq!(
        my_limits(&server, &bob).await,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 0, 0)
    );
    // A deleted file no longer counts.
    let id = b["ID"].as_i64().unwrap();
    let response = server
        .request(Method::DELETE, &format!("/api/files/{id}"), Some(&alice))
        .send()
        .await
        .unwrap();
    ok_json(response).await;
    assert_eq!(
        my_limits(&server, &alice).await,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 1, 1000)
    );
}

async fn admin_endpoints_refuse_non_admins(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice_id, alice) = account(&server, "alice").await;
    let (bob_id, _) = account(&server, "bob").await;
    assert_error(
        server.get("/api/admin/users/limits", Some(&alice)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    for id in [alice_id, bob_id, 9999] {
        assert_error(
            put_limits(
                &server,
                &alice,
                &id.to_string(),
                json!({"max_files": 1_000_000, "max_storage": 1_000_000_000_000_i64}),
            )
            .await,
            StatusCode::FORBIDDEN,
            ADMIN_REQUIRED,
        )
        .await;
    }
    // Nothing changed.
    assert_eq!(
        my_limits(&server, &alice).await,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 0, 0)
    );
    // Being the first user does not make one an admin either.
    assert!(alice_id < bob_id);
}

async fn admin_endpoints_need_a_token(backend: Backend) {
    let server = Server::start(backend).await;
    account(&server, "alice").await;
    server.grant_admin("alice");
    assert_error(
        server.get("/api/admin/users/limits", None).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    assert_error(
        server
            .send_json(
                Method::PUT,
                "/api/admin/users/1/limits",
                None,
                json!({"max_files": 5}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    assert_error(
        server.get("/api/user/limits", None).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    assert_error(
        server.get("/api/admin/users/limits", Some("garbage")).await,
        StatusCode::UNAUTHORIZED,
        "Invalid or expired token",
    )
    .await;
    // The refused PUT changed nothing.
    let token = server.login("alice").await;
    assert_eq!(
        my_limits(&server, &token).await["max_files"],
        DEFAULT_MAX_FILES
    );
}

async fn admin_lists_every_user_by_id(backend: Backend) {
    let server = Server::start(backend).await;
    // Signed up in non-alphabetical order, so id order is not name order.
    let (carol_id, carol) = account(&server, "carol").await;
    let (alice_id, alice) = account(&server, "alice").await;
    let (bob_id, bob) = account(&server, "bob").await;
    server.upload_ok(&bob, "b1.bin", vec![1; 300]).await;
    server.upload_ok(&bob, "b2.bin", vec![2; 200]).await;
    server.upload_ok(&carol, "c.bin", vec![3; 7]).await;
    // A token issued before the grant works as soon as the grant is made.
    assert_error(
        server.get("/api/admin/users/limits", Some(&alice)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    server.grant_admin("alice");
    let users = all_limits(&server, &alice).await;
    assert_eq!(users.len(), 3, "{users:?}");
    for user in &users {
        assert_eq!(
            keys(user),
            set(&[
                "user_id",
                "username",
                "email",
                "max_files",
                "max_storage",
                "current_files",
                "current_storage",
                "remaining_files",
                "remaining_storage",
            ]),
            "{user}"
        );
    }
    let expected = |id: i64, name: &str, files: i64, storage: i64| {
        let mut v = limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, files, storage);
        v["user_id"] = json!(id);
        v["username"] = json!(name);
        v["email"] = json!(format!("{name}@example.com"));
        v
    };
    assert_eq!(
        users,
        vec![
            expected(carol_id, "carol", 1, 7),
            expected(alice_id, "alice", 0, 0),
            expected(bob_id, "bob", 2, 500),
        ]
    );
    let ids: Vec<i64> = users
        .iter()
        .map(|u| u["user_id"].as_i64().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "ordered by id");
    // A later user is appended; the admin endpoint still refuses the others.
    let (dave_id, _) = account(&server, "dave").await;
    let users = all_limits(&server, &alice).await;
    assert_eq!(users.len(), 4);
    assert_eq!(users[3]["user_id"], dave_id);
    assert_error(
        server.get("/api/admin/users/limits", Some(&bob)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
}

async fn admin_updates_limits(backend: Backend) {
    let mut server = Server::start(backend).await;
    let (_, admin) = account(&server, "admin").await;
    let (bob_id, bob) = account(&server, "bob").await;
    server.grant_admin("admin");
    let bob_path = bob_id.to_string();

    // Only max_files: max_storage is kept.
    let reply =
        ok_json(put_limits(&server, &admin, &bob_path, json!({"max_files": 5})).await).await;
    assert_eq!(keys(&reply), set(&["message", "user"]), "{reply}");
    assert_eq!(reply["message"], "User limits updated successfully");
    assert_eq!(
        reply["user"],
        json!({"id": bob_id, "username": "bob", "max_files": 5, "max_storage": DEFAULT_MAX_STORAGE})
    );
    assert_eq!(
        my_limits(&server, &bob).await,
        limits_json(5, DEFAULT_MAX_STORAGE, 0, 0)
    );

    // Only max_storage: max_files is kept.
    let reply =
        ok_json(put_limits(&server, &admin, &bob_path, json!({"max_storage": 4096})).await).await;
    assert_eq!(
        reply["user"],
        json!({"id": bob_id, "username": "bob", "max_files": 5, "max_storage": 4096})
    );
    assert_eq!(my_limits(&server, &bob).await, limits_json(5, 4096, 0, 0));

    // Neither (or nulls): nothing changes.
    for body in [json!({}), json!({"max_files": null, "max_storage": null})] {
        let reply = ok_json(put_limits(&server, &admin, &bob_path, body).await).await;
        assert_eq!(
            reply["user"],
            json!({"id": bob_id, "username": "bob", "max_files": 5, "max_storage": 4096})
        );
    }

    // Both at once, keys in any case; zero is allowed.
    let reply = ok_json(
        put_limits(
            &server,
            &admin,
            &bob_path,
            json!({"MAX_FILES": 0, "Max_Storage": 0}),
        )
        .await,
    )
    .await;
    assert_eq!(reply["user"]["max_files"], 0);
    assert_eq!(reply["user"]["max_storage"], 0);
    // Large values go through unchanged.
    let big = 5_000_000_000_000_i64;
    let reply = ok_json(
        put_limits(
            &server,
            &admin,
            &bob_path,
            json!({"max_files": 1_000_000, "max_storage": big}),
        )
        .await,
    )
    .await;
    assert_eq!(reply["user"]["max_storage"], big);
    assert_eq!(
        my_limits(&server, &bob).await,
        limits_json(1_000_000, big, 0, 0)
    );

    // The list shows the change, and it survives a restart (it is stored).
    server.restart();
    let users = all_limits(&server, &admin).await;
    let listed = users.iter().find(|u| u["user_id"] == bob_id).unwrap();
    assert_eq!(
        (listed["max_files"].clone(), listed["max_storage"].clone()),
        (json!(1_000_000), json!(big))
    );
    // The admin's own limits are untouched.
    let own = users.iter().find(|u| u["username"] == "admin").unwrap();
    assert_eq!(own["max_files"], DEFAULT_MAX_FILES);
    // An admin may change their own limits too.
    let admin_id = own["user_id"].as_i64().unwrap();
    let reply = ok_json(
        put_limits(
            &server,
            &admin,
            &admin_id.to_string(),
            json!({"max_files": 9}),
        )
        .await,
    )
    .await;
    assert_eq!(reply["user"]["username"], "admin");
    assert_eq!(my_limits(&server, &admin).await["max_files"], 9);
}

async fn admin_limit_validation(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, admin) = account(&server, "admin").await;
    let (bob_id, bob) = account(&server, "bob").await;
    server.grant_admin("admin");
    let bob_path = bob_id.to_string();
    assert_error(
        put_limits(&server, &admin, &bob_path, json!({"max_files": -1})).await,
        StatusCode::BAD_REQUEST,
        "Max files cannot be negative",
    )
    .await;
    assert_error(
        put_limits(&server, &admin, &bob_path, json!({"max_storage": -1})).await,
        StatusCode::BAD_REQUEST,
        "Max storage cannot be negative",
    )
    .await;
    // One bad field refuses the whole update.
    assert_error(
        put_limits(
            &server,
            &admin,
            &bob_path,
            json!({"max_files": 3, "max_storage": -5}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Max storage cannot be negative",
    )
    .await;
    assert_error(
        put_limits(
            &server,
            &admin,
            &bob_path,
            json!({"max_files": -3, "max_storage": 5}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Max files cannot be negative",
    )
    .await;
    // Unknown users.
    for id in ["9999", "999999999"] {
        assert_error(
            put_limits(&server, &admin, id, json!({"max_files": 5})).await,
            StatusCode::NOT_FOUND,
            "User not found",
        )
        .await;
    }
    // Ids that are not positive decimal integers.
    for id in ["abc", "0", "-1", "1.5", "+1", "1e3", "0x10", "%201"] {
        assert_error(
            put_limits(&server, &admin, id, json!({"max_files": 5})).await,
            StatusCode::BAD_REQUEST,
            "Invalid user ID",
        )
        .await;
    }
    // Bodies of the wrong shape.
    for body in [
        json!({"max_files": "five"}),
        json!({"max_storage": true}),
        json!({"max_files": 1.5}),
        json!([5]),
    ] {
        let (status, reply) =
            status_json(put_limits(&server, &admin, &bob_path, body.clone()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    let response = server
        .request(
            Method::PUT,
            &format!("/api/admin/users/{bob_id}/limits"),
            Some(&admin),
        )
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid request body").await;
    // None of the refused updates changed anything.
    assert_eq!(
        my_limits(&server, &bob).await,
        limits_json(DEFAULT_MAX_FILES, DEFAULT_MAX_STORAGE, 0, 0)
    );
}

async fn lowered_limits_go_negative_and_refuse_uploads(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, admin) = account(&server, "admin").await;
    let (bob_id, bob) = account(&server, "bob").await;
    server.grant_admin("admin");
    let bob_path = bob_id.to_string();
    for name in ["1.bin", "2.bin", "3.bin"] {
        server.upload_ok(&bob, name, vec![9; 100]).await;
    }
    // File count below usage.
    ok_json(put_limits(&server, &admin, &bob_path, json!({"max_files": 2})).await).await;
    assert_eq!(
        my_limits(&server, &bob).await,
        limits_json(2, DEFAULT_MAX_STORAGE, 3, 300)
    );
    assert_eq!(my_limits(&server, &bob).await["remaining_files"], -1);
    let body = assert_error(
        server.upload(&bob, "4.bin", vec![1]).await,
        StatusCode::FORBIDDEN,
        "File limit exceeded",
    )
    .await;
    assert_eq!(
        (body["current_files"].clone(), body["max_files"].clone()),
        (json!(3), json!(2))
    );
    // The admin list agrees.
    let users = all_limits(&server, &admin).await;
    let listed = users.iter().find(|u| u["user_id"] == bob_id).unwrap();
    assert_eq!(listed["remaining_files"], -1);

    // Storage below usage.
    ok_json(
        put_limits(
            &server,
            &admin,
            &bob_path,
            json!({"max_files": 100, "max_storage": 250}),
        )
        .await,
    )
    .await;
    let limits = my_limits(&server, &bob).await;
    assert_eq!(limits, limits_json(100, 250, 3, 300));
    assert_eq!(limits["remaining_storage"], -50);
    let body = assert_error(
        server.upload(&bob, "4.bin", vec![1]).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
    assert_eq!(body["current_storage"], 300);
    assert_eq!(body["max_storage"], 250);
    assert_eq!(body["file_size"], 1);
    // Existing files are kept; nothing new was stored.
    let (_, files) = status_json(server.get("/api/files", Some(&bob)).await).await;
    assert_eq!(files["files"].as_array().unwrap().len(), 3);
    assert_eq!(server.stored_objects().len(), 3);
    // Raising the limit again lets uploads through.
    ok_json(put_limits(&server, &admin, &bob_path, json!({"max_storage": 301})).await).await;
    server.upload_ok(&bob, "4.bin", vec![1]).await;
    assert_eq!(my_limits(&server, &bob).await["remaining_storage"], 0);
}

async fn revoke_removes_admin_rights(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice_id, alice) = account(&server, "alice").await;
    server.grant_admin("alice");
    assert_eq!(all_limits(&server, &alice).await.len(), 1);
    let out = server
        .command()
        .args(["admin", "revoke", "alice"])
        .output()
        .expect("admin revoke");
    assert!(
        out.status.success(),
        "revoke: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same token now gets 403 on both admin endpoints, and still works elsewhere.
    assert_error(
        server.get("/api/admin/users/limits", Some(&alice)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    assert_error(
        put_limits(
            &server,
            &alice,
            &alice_id.to_string(),
            json!({"max_files": 1}),
        )
        .await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    assert_eq!(
        server.get("/api/files", Some(&alice)).await.status(),
        StatusCode::OK
    );
    // A fresh login is not an admin either.
    let fresh = server.login("alice").await;
    assert_error(
        server.get("/api/admin/users/limits", Some(&fresh)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    // Granting again restores the rights; granting twice is harmless.
    server.grant_admin("alice");
    server.grant_admin("alice");
    assert_eq!(all_limits(&server, &alice).await.len(), 1);
    // Revoking a user who is not an admin succeeds too, or at least leaves them a non-admin.
    let (_, bob) = account(&server, "bob").await;
    let _ = server.command().args(["admin", "revoke", "bob"]).output();
    assert_error(
        server.get("/api/admin/users/limits", Some(&bob)).await,
        StatusCode::FORBIDDEN,
        ADMIN_REQUIRED,
    )
    .await;
    assert_eq!(all_limits(&server, &alice).await.len(), 2);
}

async fn grant_of_an_unknown_user_fails(backend: Backend) {
    let server = Server::start(backend).await;
    account(&server, "alice").await;
    for action in ["grant", "revoke"] {
        let out = server
            .command()
            .args(["admin", action, "nosuchuser"])
            .output()
            .expect("admin command");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{action} nosuchuser succeeded");
        assert!(
            stderr.contains("nosuchuser"),
            "{action}: the message should name the user: {stderr:?}"
        );
    }
    // Without a username the command is a usage error.
    let out = server.command().args(["admin", "grant"]).output().unwrap();
    assert!(!out.status.success());
}

/// `defdrive --help` describes both commands (no server needed).
#[test]
fn help_mentions_serve_and_admin() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_defdrive"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .expect("defdrive --help");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let help = run(&["--help"]);
    assert!(help.contains("serve"), "{help}");
    assert!(help.contains("admin"), "{help}");
    let admin = run(&["admin", "--help"]);
    assert!(admin.contains("grant"), "{admin}");
    assert!(admin.contains("revoke"), "{admin}");
}

/// `admin grant` on a SQLite path with no database says so and creates nothing.
#[test]
fn admin_on_a_missing_database_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere").join("defdrive.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_defdrive"))
        .args(["admin", "grant", "alice"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", format!("sqlite://{}", missing.display()))
        .env("JWT_SECRET", crate::harness::JWT_SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("there is no database at"), "{stderr:?}");
    assert!(!missing.exists() && !missing.parent().unwrap().exists());
}

/// An unreachable PostgreSQL is reported with its cause, not as a pool timeout.
#[test]
fn unreachable_postgres_names_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_defdrive"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{port}/defdrive"),
        )
        .env("JWT_SECRET", crate::harness::JWT_SECRET)
        .env("PORT", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("Connection refused"), "{stderr:?}");
    assert!(!stderr.contains("timed out"), "{stderr:?}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(last.matches("Connection refused").count(), 1, "{last:?}");
}
