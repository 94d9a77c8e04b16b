//! `POST /api/signup` and `POST /api/login` (SPEC 4.1, 4.2): reply shapes, validation,
//! mass assignment, duplicate names, disabled signup, tolerant request bodies and the
//! configured default quotas.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

both!(
    signup_reply_shape,
    signup_never_shows_the_password,
    mass_assignment_is_ignored,
    username_validation,
    password_validation,
    email_validation,
    duplicate_username_is_a_conflict,
    signup_can_be_disabled,
    malformed_signup_bodies,
    request_keys_are_case_insensitive,
    login_reply_shape,
    login_failures,
    login_missing_fields,
    repeated_login_failures_are_throttled,
    default_quotas_are_configurable,
);

const DEFAULT_MAX_FILES: i64 = 100;
const DEFAULT_MAX_STORAGE: i64 = 1_073_741_824;

async fn signup_raw(server: &Server, body: Value) -> Response {
    server
        .send_json(Method::POST, "/api/signup", None, body)
        .await
}

async fn login_raw(server: &Server, body: Value) -> Response {
    server
        .send_json(Method::POST, "/api/login", None, body)
        .await
}

/// POSTs `body` as it is (not necessarily JSON) to `path`.
async fn post_bytes(server: &Server, path: &str, content_type: &str, body: &str) -> Response {
    server
        .request(Method::POST, path, None)
        .header("Content-Type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("POST")
}

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

/// RFC 3339, UTC, with fractional seconds: `2026-12-03T15:31:36.123456Z`.
fn assert_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    let b = text.as_bytes();
    let ok = b.len() > 21
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && text.ends_with('Z')
        && b[20..b.len() - 1].iter().all(u8::is_ascii_digit)
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit));
    assert!(ok, "not an RFC 3339 UTC timestamp with fractions: {text:?}");
    let year: i32 = text[..4].parse().unwrap();
    assert!((2024..2200).contains(&year), "{text}");
}

/// No key names a password or hash, and no value is the password or a password hash.
fn assert_no_secret(value: &Value, password: &str) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let lower = key.to_ascii_lowercase();
                assert!(
                    !lower.contains("password") && !lower.contains("hash") && lower != "pass",
                    "key {key:?} emitted"
                );
                assert_no_secret(inner, password);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_no_secret(v, password)),
        Value::String(text) => {
            assert!(!text.contains(password), "password emitted: {text:?}");
            assert!(
                !text.starts_with("$argon2") && !text.starts_with("$2"),
                "hash emitted: {text:?}"
            );
        }
        _ => {}
    }
}

fn body(username: &str) -> Value {
    json!({"username": username, "password": "password123", "email": format!("{username}@example.com"), "name": username})
}

async fn signup_ok(server: &Server, body: Value) -> Value {
    let (status, reply) = status_json(signup_raw(server, body.clone()).await).await;
    assert_eq!(status, StatusCode::OK, "signup {body}: {reply}");
    reply
}

async fn signup_error(server: &Server, body: Value, status: StatusCode) -> String {
    let (got, reply) = status_json(signup_raw(server, body.clone()).await).await;
    assert_eq!(got, status, "signup {body}: {reply}");
    assert_eq!(keys(&reply), set(&["error"]), "{reply}");
    reply["error"].as_str().expect("error text").to_owned()
}

async fn limits(server: &Server, token: &str) -> Value {
    let (status, body) = status_json(server.get("/api/user/limits", Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

// ---- scenarios

async fn signup_reply_shape(backend: Backend) {
    let server = Server::start(backend).await;
    let reply = signup_ok(
        &server,
        json!({"name": "Alice Liddell", "email": "alice@example.com", "username": "alice", "password": "password123"}),
    )
    .await;
    assert_eq!(keys(&reply), set(&["message", "user"]), "{reply}");
    assert_eq!(reply["message"], "User created successfully");
    let user = &reply["user"];
    assert_eq!(
        keys(user),
        set(&[
            "ID",
            "CreatedAt",
            "UpdatedAt",
            "DeletedAt",
            "Name",
            "Email",
            "Username",
            "MaxFiles",
            "MaxStorage",
            "id",
            "name",
            "email",
            "username",
        ]),
        "{user}"
    );
    let id = user["ID"].as_i64().expect("numeric ID");
    assert!(id > 0);
    assert_eq!(user["id"], id);
    assert_timestamp(&user["CreatedAt"]);
    assert_timestamp(&user["UpdatedAt"]);
    assert_eq!(user["DeletedAt"], Value::Null);
    assert_eq!(user["Name"], "Alice Liddell");
    assert_eq!(user["name"], "Alice Liddell");
    assert_eq!(user["Email"], "alice@example.com");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["Username"], "alice");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["MaxFiles"], DEFAULT_MAX_FILES);
    assert_eq!(user["MaxStorage"], DEFAULT_MAX_STORAGE);

    // A second user gets another, larger id; an empty (or null) email and name are fine.
    let reply = signup_ok(
        &server,
        json!({"username": "bob", "password": "password123", "email": "", "name": null}),
    )
    .await;
    let bob = &reply["user"];
    assert!(bob["ID"].as_i64().unwrap() > id, "{bob}");
    assert_eq!(
        (bob["Email"].clone(), bob["email"].clone()),
        (json!(""), json!(""))
    );
    assert_eq!(
        (bob["Name"].clone(), bob["name"].clone()),
        (json!(""), json!(""))
    );
    // No email key at all.
    let reply = signup_ok(
        &server,
        json!({"username": "carol", "password": "password123"}),
    )
    .await;
    assert_eq!(reply["user"]["email"], "");
    // The new accounts can log in.
    for name in ["alice", "bob", "carol"] {
        server.login(name).await;
    }
}

async fn signup_never_shows_the_password(backend: Backend) {
    let server = Server::start(backend).await;
    let password = "S3cret-Horse-Battery";
    let reply = signup_ok(
        &server,
        json!({"username": "alice", "password": password, "email": "alice@example.com", "name": "Alice"}),
    )
    .await;
    assert_no_secret(&reply, password);
    let (status, login) =
        status_json(login_raw(&server, json!({"username": "alice", "password": password})).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    // The token is the only opaque string in the login reply; the rest must not leak.
    let mut without_token = login.clone();
    without_token.as_object_mut().unwrap().remove("token");
    assert_no_secret(&without_token, password);
    let token = login["token"].as_str().unwrap();
    assert!(!token.contains(password));
    // Nor anywhere else a user object appears.
    server.grant_admin("alice");
    let (_, users) = status_json(server.get("/api/admin/users/limits", Some(token)).await).await;
    assert_no_secret(&users, password);
    let (_, mine) = status_json(server.get("/api/user/limits", Some(token)).await).await;
    assert_no_secret(&mine, password);
}

async fn mass_assignment_is_ignored(backend: Backend) {
    let server = Server::start(backend).await;
    let reply = signup_ok(
        &server,
        json!({
            "username": "mallory", "password": "password123", "email": "m@example.com", "name": "M",
            "MaxFiles": 999_999, "max_files": 999_999, "maxFiles": 999_999, "MAX_FILES": 999_999,
            "MaxStorage": 999_999_999_999_i64, "max_storage": 999_999_999_999_i64,
            "maxStorage": 999_999_999_999_i64,
            "is_admin": true, "IsAdmin": true, "isAdmin": true, "admin": true, "Admin": true,
            "role": "admin", "Role": "admin",
            "used_storage": -1_000_000, "UsedStorage": -1_000_000, "current_storage": -1_000_000,
            "current_files": -50, "file_count": -50,
            "ID": 999, "id": 999, "user_id": 999, "UserID": 999,
            "CreatedAt": "2000-01-01T00:00:00Z", "created_at": "2000-01-01T00:00:00Z",
            "UpdatedAt": "2000-01-01T00:00:00Z",
            "DeletedAt": "2000-01-01T00:00:00Z", "deleted_at": "2000-01-01T00:00:00Z",
            "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB",
            "PasswordHash": "x", "Password": "password123"
        }),
    )
    .await;
    let user = &reply["user"];
    assert_ne!(user["ID"], 999, "{user}");
    assert_eq!(user["ID"], user["id"]);
    assert_eq!(user["MaxFiles"], DEFAULT_MAX_FILES, "{user}");
    assert_eq!(user["MaxStorage"], DEFAULT_MAX_STORAGE, "{user}");
    assert_eq!(user["DeletedAt"], Value::Null, "{user}");
    assert!(
        !user["CreatedAt"].as_str().unwrap().starts_with("2000"),
        "{user}"
    );
    assert_eq!(user["username"], "mallory");
    // The account is live and its password is the one sent (not the hash field).
    let token = server.login("mallory").await;
    let mine = limits(&server, &token).await;
    assert_eq!(
        mine,
        json!({"max_files": DEFAULT_MAX_FILES, "max_storage": DEFAULT_MAX_STORAGE,
               "current_files": 0, "current_storage": 0,
               "remaining_files": DEFAULT_MAX_FILES, "remaining_storage": DEFAULT_MAX_STORAGE})
    );
    // Not an admin.
    assert_error(
        server.get("/api/admin/users/limits", Some(&token)).await,
        StatusCode::FORBIDDEN,
        "Admin access required",
    )
    .await;
    let id = user["ID"].as_i64().unwrap();
    assert_error(
        server
            .send_json(
                Method::PUT,
                &format!("/api/admin/users/{id}/limits"),
                Some(&token),
                json!({"max_files": 1_000_000}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "Admin access required",
    )
    .await;
    // Usage starts from zero: an upload counts exactly its size.
    server.upload_ok(&token, "a.bin", vec![7; 1234]).await;
    let mine = limits(&server, &token).await;
    assert_eq!(
        (
            mine["current_files"].clone(),
            mine["current_storage"].clone()
        ),
        (json!(1), json!(1234))
    );
    assert_eq!(mine["max_files"], DEFAULT_MAX_FILES);
}

async fn username_validation(backend: Backend) {
    let server = Server::start(backend).await;
    let too_long = "a".repeat(65);
    for username in [
        "",
        &too_long,
        ".",
        "..",
        "al ice",
        " alice",
        "alice ",
        "alice!",
        "al/ice",
        "al\\ice",
        "a@b",
        "semi;colon",
        "tab\there",
        "new\nline",
        "nul\u{0}byte",
        "ünïcødé",
        "emoji😀",
        "percent%20",
        "quote\"",
        "ＡＢＣ",
    ] {
        let mut b = body("x");
        b["username"] = json!(username);
        let error = signup_error(&server, b, StatusCode::BAD_REQUEST).await;
        assert!(
            error.starts_with("Invalid username: ") && error.len() > "Invalid username: ".len(),
            "username {username:?}: {error:?}"
        );
    }
    // A missing username is an empty one.
    let error = signup_error(
        &server,
        json!({"password": "password123", "email": "x@example.com"}),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(error.starts_with("Invalid username: "), "{error}");
    // The edges that are allowed: 1 and 64 characters, every allowed character.
    let longest = "b".repeat(64);
    for username in [
        "a", &longest, "A.b_c-9", "...", ".hidden", "-dash", "UPPER", "0",
    ] {
        let reply = signup_ok(&server, body(username)).await;
        assert_eq!(reply["user"]["username"], username);
        server.login(username).await;
    }
    // None of the refused names exists now.
    let reply = signup_ok(&server, body("alice")).await;
    assert_eq!(reply["user"]["username"], "alice");
}

async fn password_validation(backend: Backend) {
    let server = Server::start(backend).await;
    for password in ["", "1", "1234567", "ééééééé", "       "] {
        let mut b = body("alice");
        b["password"] = json!(password);
        let error = signup_error(&server, b, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            error, "Password must be at least 8 characters",
            "password {password:?}"
        );
    }
    let error = signup_error(
        &server,
        json!({"username": "alice", "email": "a@example.com"}),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "Password must be at least 8 characters");
    // Eight characters are enough, counted as characters (not bytes).
    for (username, password) in [("alice", "12345678"), ("bob", "ünïcødé!")] {
        let mut b = body(username);
        b["password"] = json!(password);
        signup_ok(&server, b).await;
        let (status, reply) = status_json(
            login_raw(&server, json!({"username": username, "password": password})).await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{username}: {reply}");
    }
}

async fn email_validation(backend: Backend) {
    let server = Server::start(backend).await;
    for email in [
        "plainaddress",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice @example.com",
        "alice@exa mple.com",
        "@",
        "alice@example.com\n",
        "a@b@example.com",
    ] {
        let mut b = body("alice");
        b["email"] = json!(email);
        let error = signup_error(&server, b, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "Invalid email address", "email {email:?}");
    }
    // The refused attempts created nothing: the name is still free.
    for (username, email) in [
        ("alice", "alice@example.com"),
        ("bob", ""),
        ("carol", "carol.smith+tag@mail.example.org"),
    ] {
        let mut b = body(username);
        b["email"] = json!(email);
        let reply = signup_ok(&server, b).await;
        assert_eq!(reply["user"]["email"], email);
        assert_eq!(reply["user"]["Email"], email);
    }
}

async fn duplicate_username_is_a_conflict(backend: Backend) {
    let server = Server::start(backend).await;
    let first = signup_ok(&server, body("alice")).await;
    let mut again = body("alice");
    again["password"] = json!("another-password");
    again["email"] = json!("other@example.com");
    let error = signup_error(&server, again, StatusCode::CONFLICT).await;
    assert_eq!(error, "Username already taken");
    // The first account is unchanged: its password still works, the second one does not.
    server.login("alice").await;
    assert_error(
        login_raw(
            &server,
            json!({"username": "alice", "password": "another-password"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    // And there is still exactly one alice, with the first email.
    server.grant_admin("alice");
    let token = server.login("alice").await;
    let (_, list) = status_json(server.get("/api/admin/users/limits", Some(&token)).await).await;
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{list}");
    assert_eq!(users[0]["user_id"], first["user"]["ID"]);
    assert_eq!(users[0]["email"], "alice@example.com");
}

async fn signup_can_be_disabled(backend: Backend) {
    let mut server = Server::start(backend).await;
    signup_ok(&server, body("alice")).await;
    server.set_env("ALLOW_SIGNUP", "false");
    server.restart();
    let error = signup_error(&server, body("bob"), StatusCode::FORBIDDEN).await;
    assert_eq!(error, "Signup is disabled");
    // Existing users still log in; the refused one does not exist.
    let token = server.login("alice").await;
    assert_eq!(
        server.get("/api/files", Some(&token)).await.status(),
        StatusCode::OK
    );
    assert_error(
        login_raw(
            &server,
            json!({"username": "bob", "password": "password123"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    // Switched back on, signing up works again.
    server.set_env("ALLOW_SIGNUP", "true");
    server.restart();
    signup_ok(&server, body("bob")).await;

    // Disabled from the first start too.
    let closed = Server::start_with(backend, &[("ALLOW_SIGNUP", "false")]).await;
    let error = signup_error(&closed, body("carol"), StatusCode::FORBIDDEN).await;
    assert_eq!(error, "Signup is disabled");
}

async fn malformed_signup_bodies(backend: Backend) {
    let server = Server::start(backend).await;
    for (content_type, raw) in [
        ("application/json", "{not json"),
        ("application/json", ""),
        (
            "application/json",
            "{\"username\": \"alice\", \"password\": \"password123\"",
        ),
        ("application/json", "[\"alice\", \"password123\"]"),
        ("application/json", "\"alice\""),
        ("application/json", "42"),
        ("text/plain", "username=alice&password=password123"),
        (
            "application/x-www-form-urlencoded",
            "username=alice&password=password123",
        ),
    ] {
        let (status, reply) =
            status_json(post_bytes(&server, "/api/signup", content_type, raw).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw:?}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    for wrong in [
        json!({"username": 5, "password": "password123"}),
        json!({"username": "alice", "password": 12_345_678}),
        json!({"username": "alice", "password": "password123", "email": true}),
        json!({"username": "alice", "password": "password123", "name": ["x"]}),
        json!({"username": ["alice"], "password": "password123"}),
        json!({"username": {"x": 1}, "password": "password123"}),
    ] {
        let (status, reply) = status_json(signup_raw(&server, wrong.clone()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    // None of that created alice.
    signup_ok(&server, body("alice")).await;
}

async fn request_keys_are_case_insensitive(backend: Backend) {
    let server = Server::start(backend).await;
    let reply = signup_ok(
        &server,
        json!({"Username": "bob", "PASSWORD": "password123", "EMAIL": "bob@example.com", "Name": "Bob"}),
    )
    .await;
    let user = &reply["user"];
    assert_eq!(user["username"], "bob", "{user}");
    assert_eq!(user["email"], "bob@example.com", "{user}");
    assert_eq!(user["name"], "Bob", "{user}");
    let (status, login) = status_json(
        login_raw(
            &server,
            json!({"USERNAME": "bob", "Password": "password123"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["username"], "bob");
    // An exact-case key wins over another casing, in either order.
    let reply = signup_ok(
        &server,
        json!({"Username": "other1", "username": "carol", "password": "password123"}),
    )
    .await;
    assert_eq!(reply["user"]["username"], "carol");
    let raw = r#"{"username":"dave","Username":"other2","password":"password123"}"#;
    let (status, reply) =
        status_json(post_bytes(&server, "/api/signup", "application/json", raw).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["user"]["username"], "dave");
    // JSON whatever the Content-Type says.
    let raw = r#"{"username":"erin","password":"password123"}"#;
    let (status, reply) =
        status_json(post_bytes(&server, "/api/signup", "text/plain", raw).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["user"]["username"], "erin");
    let raw = r#"{"username":"erin","password":"password123"}"#;
    let (status, reply) = status_json(
        post_bytes(
            &server,
            "/api/login",
            "application/x-www-form-urlencoded",
            raw,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // Unknown keys are ignored.
    signup_ok(
        &server,
        json!({"username": "frank", "password": "password123", "favourite_colour": "blue", "x": [1, {"y": null}]}),
    )
    .await;
    server.login("frank").await;
    // The other casings did not create accounts.
    for ghost in ["other1", "other2"] {
        assert_error(
            login_raw(
                &server,
                json!({"username": ghost, "password": "password123"}),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "Invalid username or password",
        )
        .await;
    }
}

async fn login_reply_shape(backend: Backend) {
    let server = Server::start(backend).await;
    let signed = signup_ok(
        &server,
        json!({"username": "alice", "password": "password123", "email": "alice@example.com", "name": "Alice L."}),
    )
    .await;
    let (status, reply) = status_json(
        login_raw(
            &server,
            json!({"username": "alice", "password": "password123"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(keys(&reply), set(&["message", "token", "user"]), "{reply}");
    assert_eq!(reply["message"], "Login successful");
    let token = reply["token"].as_str().expect("token string");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(
        reply["user"],
        json!({"id": signed["user"]["ID"], "username": "alice", "email": "alice@example.com", "name": "Alice L."})
    );
    // The token works.
    let (status, files) = status_json(server.get("/api/files", Some(token)).await).await;
    assert_eq!((status, files), (StatusCode::OK, json!({"files": []})));
}

async fn login_failures(backend: Backend) {
    // Few failures per server, so that a login rate limit cannot get in the way.
    let server = Server::start(backend).await;
    server.signup("alice").await;
    assert_error(
        login_raw(
            &server,
            json!({"username": "alice", "password": "wrong-password"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    assert_error(
        login_raw(
            &server,
            json!({"username": "nobody", "password": "password123"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    // The right password still works after those.
    server.login("alice").await;

    let server = Server::start(backend).await;
    server.signup("alice").await;
    // Close but not equal passwords.
    assert_error(
        login_raw(
            &server,
            json!({"username": "alice", "password": "PASSWORD123"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    assert_error(
        login_raw(
            &server,
            json!({"username": "alice", "password": "password123 "}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    server.login("alice").await;
}

async fn login_missing_fields(backend: Backend) {
    let server = Server::start(backend).await;
    server.signup("alice").await;
    for body in [
        json!({}),
        json!({"username": "alice"}),
        json!({"password": "password123"}),
        json!({"username": "", "password": ""}),
        json!({"username": "alice", "password": ""}),
        json!({"username": "", "password": "password123"}),
        json!({"username": "alice", "password": null}),
    ] {
        let (status, reply) = status_json(login_raw(&server, body.clone()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    for raw in [
        "{not json",
        "",
        "[1]",
        r#"{"username": 1, "password": "password123"}"#,
    ] {
        let (status, reply) =
            status_json(post_bytes(&server, "/api/login", "application/json", raw).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw:?}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    server.login("alice").await;
}

async fn default_quotas_are_configurable(backend: Backend) {
    let mut server = Server::start_with(
        backend,
        &[("DEFAULT_MAX_FILES", "7"), ("DEFAULT_MAX_STORAGE", "12345")],
    )
    .await;
    let reply = signup_ok(&server, body("alice")).await;
    assert_eq!(reply["user"]["MaxFiles"], 7);
    assert_eq!(reply["user"]["MaxStorage"], 12345);
    let alice = server.login("alice").await;
    assert_eq!(
        limits(&server, &alice).await,
        json!({"max_files": 7, "max_storage": 12345, "current_files": 0, "current_storage": 0,
               "remaining_files": 7, "remaining_storage": 12345})
    );
    // The defaults apply to users created afterwards; earlier users keep theirs.
    server.set_env("DEFAULT_MAX_FILES", "3");
    server.set_env("DEFAULT_MAX_STORAGE", "0");
    server.restart();
    let reply = signup_ok(&server, body("bob")).await;
    assert_eq!(reply["user"]["MaxFiles"], 3);
    assert_eq!(reply["user"]["MaxStorage"], 0);
    let bob = server.login("bob").await;
    assert_eq!(limits(&server, &bob).await["max_files"], 3);
    assert_eq!(limits(&server, &bob).await["max_storage"], 0);
    let alice = server.login("alice").await;
    assert_eq!(limits(&server, &alice).await["max_files"], 7);
    assert_eq!(limits(&server, &alice).await["max_storage"], 12345);
    // The quota is enforced: bob (0 bytes) cannot store even one byte.
    assert_error(
        server.upload(&bob, "one.bin", vec![1]).await,
        StatusCode::FORBIDDEN,
        "Storage limit exceeded",
    )
    .await;
}

async fn repeated_login_failures_are_throttled(backend: Backend) {
    let server = Server::start_with(
        backend,
        &[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_WINDOW", "1h")],
    )
    .await;
    server.signup("alice").await;
    server.signup("bob").await;
    let wrong = json!({"username": "alice", "password": "wrong-password"});
    for _ in 0..3 {
        let response = login_raw(&server, wrong.clone()).await;
        assert_error(
            response,
            StatusCode::UNAUTHORIZED,
            "Invalid username or password",
        )
        .await;
    }
    // Now even the right password is refused for a while, with a Retry-After.
    let right = json!({"username": "alice", "password": "password123"});
    let response = login_raw(&server, right.clone()).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many login attempts, try again later",
    )
    .await;
    // The failures also count against the client's address (every test client is 127.0.0.1).
    let response = login_raw(
        &server,
        json!({"username": "bob", "password": "password123"}),
    )
    .await;
    assert_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many login attempts, try again later",
    )
    .await;
    // A fresh window (here: a restart, since the counts live in the process) lets alice in.
    let mut server = server;
    server.restart();
    let (status, _) = status_json(login_raw(&server, right).await).await;
    assert_eq!(status, StatusCode::OK);
}
