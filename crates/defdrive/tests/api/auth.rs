//! Authentication (SPEC section 2): the 401 messages in their order, forged and broken
//! tokens, the token's claims and lifetime, the signing secret (configured or generated and
//! kept across restarts), and refusal to start with a short secret or another bad setting.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::both;
use crate::harness::{Backend, JWT_SECRET, Server, status_json};
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

both!(
    missing_or_empty_header_is_not_authenticated,
    malformed_headers_are_format_errors,
    forged_tokens_are_refused,
    a_valid_token_works,
    login_token_claims,
    token_lifetime_is_configurable,
    every_protected_endpoint_checks_the_token,
    tokens_survive_a_restart,
    generated_secret_is_kept_private_and_survives_restart,
    a_32_byte_secret_is_accepted,
    short_jwt_secret_stops_the_start,
    bad_settings_stop_the_start_naming_the_variable,
);

const NOT_AUTHENTICATED: &str = "User not authenticated";
const BAD_FORMAT: &str = "Authorization header format must be Bearer {token}";
const INVALID_TOKEN: &str = "Invalid or expired token";

// ---- token forging by hand (so that empty keys and `alg: none` can be built too)

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url.
fn b64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(B64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url.
fn b64url_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = B64URL
            .iter()
            .position(|&b| b == c)
            .unwrap_or_else(|| panic!("not base64url: {text:?}")) as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// HMAC (RFC 2104) over any SHA-2 digest; accepts an empty key, unlike jsonwebtoken.
fn hmac<D: Digest>(block_size: usize, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut key = if key.len() > block_size {
        D::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    key.resize(block_size, 0);
    let mut inner = D::new();
    inner.update(key.iter().map(|b| b ^ 0x36).collect::<Vec<u8>>());
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = D::new();
    outer.update(key.iter().map(|b| b ^ 0x5c).collect::<Vec<u8>>());
    outer.update(inner);
    outer.finalize().to_vec()
}

/// A JWT with this header and claims, signed with `key` per the header's `alg`
/// (`none` and unknown algorithms get an empty signature).
fn jwt(header: &Value, claims: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = match header["alg"].as_str() {
        Some("HS256") => hmac::<Sha256>(64, key, input.as_bytes()),
        Some("HS384") => hmac::<Sha384>(128, key, input.as_bytes()),
        Some("HS512") => hmac::<Sha512>(128, key, input.as_bytes()),
        _ => Vec::new(),
    };
    format!("{input}.{}", b64url(&signature))
}

fn hs256(claims: &Value, key: &[u8]) -> String {
    jwt(&json!({"alg": "HS256", "typ": "JWT"}), claims, key)
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// The claims a login token carries, for user `id` named `username`, valid for an hour.
fn claims(id: i64, username: &str) -> Value {
    let now = now_secs();
    json!({"userID": id, "username": username, "iat": now, "exp": now + 3600})
}

/// The decoded header and payload of a JWT.
fn decode(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let part = |p: &str| -> Value {
        serde_json::from_slice(&b64url_decode(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    (part(parts[0]), part(parts[1]))
}

/// The hand-made HMAC and base64url agree with jsonwebtoken (so the forged tokens below are
/// signed correctly and each one is refused for the one reason it is meant to show).
#[test]
fn forger_matches_jsonwebtoken() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let claims = claims(7, "alice");
    for (alg, name) in [
        (Algorithm::HS256, "HS256"),
        (Algorithm::HS384, "HS384"),
        (Algorithm::HS512, "HS512"),
    ] {
        let keys: [&[u8]; 3] = [JWT_SECRET.as_bytes(), b"k", &[0x5a; 200]];
        for key in keys {
            let reference = jsonwebtoken::encode(
                &Header::new(alg),
                &claims,
                &EncodingKey::from_secret(key).expect("key"),
            )
            .expect("encode");
            let (input, signature) = reference.rsplit_once('.').expect("signature");
            let (header, payload) = decode(&reference);
            assert_eq!(header["alg"], name);
            assert_eq!(payload, claims);
            let mine = match name {
                "HS256" => hmac::<Sha256>(64, key, input.as_bytes()),
                "HS384" => hmac::<Sha384>(128, key, input.as_bytes()),
                _ => hmac::<Sha512>(128, key, input.as_bytes()),
            };
            assert_eq!(
                b64url(&mine),
                signature,
                "{name} with a {}-byte key",
                key.len()
            );
        }
    }
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i: u32| (i * 37 + 250) as u8).collect();
        assert_eq!(b64url_decode(&b64url(&bytes)), bytes);
    }
    assert_eq!(b64url(b"\xfb\xff"), "-_8");
}

// ---- helpers

/// `GET /api/files` with this `Authorization` header (none when `None`).
async fn files_with_header(server: &Server, header: Option<&str>) -> reqwest::Response {
    let mut request = server.request(Method::GET, "/api/files", None);
    if let Some(header) = header {
        request = request.header(AUTHORIZATION, header);
    }
    request.send().await.expect("GET /api/files")
}

async fn assert_header_refused(server: &Server, header: Option<&str>, message: &str) {
    let (status, body) = status_json(files_with_header(server, header).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some(message)),
        "Authorization {header:?}: {body}"
    );
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only `error`: {body}"
    );
}

async fn assert_token_refused(server: &Server, token: &str, why: &str) {
    let (status, body) =
        status_json(files_with_header(server, Some(&format!("Bearer {token}"))).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some(INVALID_TOKEN)),
        "{why}: token {token}: {body}"
    );
}

async fn assert_token_accepted(server: &Server, token: &str, why: &str) {
    let (status, body) =
        status_json(files_with_header(server, Some(&format!("Bearer {token}"))).await).await;
    assert_eq!(status, StatusCode::OK, "{why}: {body}");
    assert!(body["files"].is_array(), "{why}: {body}");
}

/// Signs up `username` and returns its id and a login token.
async fn account(server: &Server, username: &str) -> (i64, String) {
    let reply = server.signup(username).await;
    let id = reply["user"]["ID"].as_i64().expect("user ID");
    (id, server.login(username).await)
}

/// Runs `cmd` to completion (30 s at most: a binary that wrongly starts serving is killed
/// and the test fails instead of hanging).
fn run_briefly(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn defdrive");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "defdrive kept running; stdout {:?}, stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The binary refused to start with one clear line on stderr naming `variable`.
fn assert_refused_naming(out: &Output, variable: &str, setting: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "{setting}: exit {:?}, stderr {stderr:?}",
        out.status
    );
    assert!(!stdout.contains("listening"), "{setting}: {stdout:?}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{setting}: one line expected: {stderr:?}");
    assert!(
        lines[0].contains(variable),
        "{setting}: the line should name {variable}: {stderr:?}"
    );
}

// ---- scenarios

async fn missing_or_empty_header_is_not_authenticated(backend: Backend) {
    let server = Server::start(backend).await;
    assert_header_refused(&server, None, NOT_AUTHENTICATED).await;
    assert_header_refused(&server, Some(""), NOT_AUTHENTICATED).await;
}

async fn malformed_headers_are_format_errors(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, token) = account(&server, "alice").await;
    for header in [
        "Basic x".to_owned(),
        "Basic YWxpY2U6cGFzc3dvcmQxMjM=".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "bearer tok".to_owned(),
        "Bearer a b".to_owned(),
        "Token abc".to_owned(),
        "BearerXYZ".to_owned(),
        token.clone(),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Basic {token}"),
        format!("Bearer {token} extra"),
        format!("Bearer{token}"),
    ] {
        assert_header_refused(&server, Some(&header), BAD_FORMAT).await;
    }
    // The same token in the right form works, so the refusals above were about the form.
    assert_token_accepted(&server, &token, "the login token").await;
}

async fn forged_tokens_are_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let (id, _) = account(&server, "alice").await;
    let secret = JWT_SECRET.as_bytes();
    let good = claims(id, "alice");
    let now = now_secs();
    let with = |changes: Value| {
        let mut c = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    // Positive control: the forger signs correctly, so each refusal below is for its one defect.
    assert_token_accepted(&server, &hs256(&good, secret), "hand-signed HS256").await;

    let mut forged: Vec<(&str, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        forged.push(("alg none", jwt(&header, &good, b"")));
        // `none` with a (valid HS256) signature attached.
        let signed = hs256(&good, secret);
        let signature = signed.rsplit('.').next().unwrap();
        forged.push((
            "alg none with a signature",
            format!(
                "{}.{signature}",
                jwt(&header, &good, b"").trim_end_matches('.')
            ),
        ));
    }
    forged.push(("no alg", jwt(&json!({"typ": "JWT"}), &good, b"")));
    // jsonwebtoken refuses empty keys, the hand-made HMAC does not.
    forged.push(("empty secret", hs256(&good, b"")));
    forged.push(("one-byte secret", hs256(&good, b"x")));
    forged.push((
        "wrong secret",
        hs256(&good, b"another-secret-another-secret-0123456789"),
    ));
    forged.push(("secret prefix", hs256(&good, &secret[..32])));
    forged.push((
        "expired an hour ago",
        hs256(&with(json!({"exp": now - 3600})), secret),
    ));
    forged.push((
        "expired 2 s ago",
        hs256(&with(json!({"iat": now - 100, "exp": now - 2})), secret),
    ));
    forged.push(("no exp", hs256(&with(json!({"exp": null})), secret)));
    forged.push((
        "exp as a string",
        hs256(&with(json!({"exp": (now + 3600).to_string()})), secret),
    ));
    forged.push((
        "userID as a string",
        hs256(&with(json!({"userID": id.to_string()})), secret),
    ));
    forged.push(("no userID", hs256(&with(json!({"userID": null})), secret)));
    forged.push((
        "userID lowercase key only",
        hs256(&with(json!({"userID": null, "userid": id})), secret),
    ));
    forged.push(("userID true", hs256(&with(json!({"userID": true})), secret)));
    forged.push((
        "userID of nobody",
        hs256(&with(json!({"userID": id + 1000})), secret),
    ));
    forged.push(("userID 0", hs256(&with(json!({"userID": 0})), secret)));
    forged.push(("userID -1", hs256(&with(json!({"userID": -1})), secret)));
    forged.push(("userID 1.5", hs256(&with(json!({"userID": 1.5})), secret)));
    for alg in ["HS384", "HS512"] {
        forged.push((
            "another HMAC algorithm with the right secret",
            jwt(&json!({"alg": alg, "typ": "JWT"}), &good, secret),
        ));
    }
    forged.push(("RS256 header over an HS256 signature", {
        let signed = hs256(&good, secret);
        let (_, rest) = signed.split_once('.').unwrap();
        format!(
            "{}.{rest}",
            b64url(json!({"alg": "RS256", "typ": "JWT"}).to_string().as_bytes())
        )
    }));
    // A valid token whose payload was swapped for another user's.
    {
        let signed = hs256(&good, secret);
        let parts: Vec<&str> = signed.split('.').collect();
        let other = b64url(with(json!({"userID": id + 1})).to_string().as_bytes());
        forged.push((
            "payload swapped",
            format!("{}.{other}.{}", parts[0], parts[2]),
        ));
        forged.push(("signature dropped", format!("{}.{}.", parts[0], parts[1])));
        forged.push(("two parts", format!("{}.{}", parts[0], parts[1])));
        forged.push(("four parts", format!("{signed}.{}", parts[2])));
    }
    for garbage in ["garbage", "not.a.jwt", "a.b.c", "..", "eyJ.eyJ.sig", "%00"] {
        forged.push(("garbage", garbage.to_owned()));
    }
    for (why, token) in &forged {
        assert_token_refused(&server, token, why).await;
    }
    // The user those tokens named is untouched and still gets in with a real token.
    assert_token_accepted(&server, &server.login("alice").await, "real login").await;
}

async fn a_valid_token_works(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice_id, alice) = account(&server, "alice").await;
    let (bob_id, bob) = account(&server, "bob").await;
    assert_token_accepted(&server, &alice, "login token").await;
    // The token identifies its user: each one sees only their own files.
    server.upload_ok(&alice, "a.txt", b"alice".to_vec()).await;
    let (_, files) = status_json(server.get("/api/files", Some(&bob)).await).await;
    assert_eq!(files["files"], json!([]));
    let (_, files) = status_json(server.get("/api/files", Some(&alice)).await).await;
    assert_eq!(files["files"][0]["UserID"], alice_id);
    // A token made with the server's secret names whoever its userID says.
    let forged_for_bob = hs256(&claims(bob_id, "bob"), JWT_SECRET.as_bytes());
    let (status, files) = status_json(server.get("/api/files", Some(&forged_for_bob)).await).await;
    assert_eq!(
        (status, files["files"].clone()),
        (StatusCode::OK, json!([]))
    );
    // A token that expires in a few seconds is still good now.
    let now = now_secs();
    let soon = json!({"userID": alice_id, "username": "alice", "iat": now, "exp": now + 30});
    assert_token_accepted(&server, &hs256(&soon, JWT_SECRET.as_bytes()), "exp in 30 s").await;
    // Logging in again gives another working token; the first one keeps working.
    let again = server.login("alice").await;
    assert_token_accepted(&server, &again, "second login").await;
    assert_token_accepted(&server, &alice, "first login").await;
}

async fn login_token_claims(backend: Backend) {
    let server = Server::start(backend).await;
    let (id, token) = account(&server, "alice").await;
    let (header, payload) = decode(&token);
    assert_eq!(header["alg"], "HS256", "{header}");
    assert_eq!(payload["userID"].as_i64(), Some(id), "{payload}");
    assert!(payload["userID"].is_number(), "{payload}");
    assert_eq!(payload["username"], "alice", "{payload}");
    let iat = payload["iat"].as_i64().expect("iat");
    let exp = payload["exp"].as_i64().expect("exp");
    assert!((iat - now_secs()).abs() < 120, "iat {iat}");
    assert_eq!(exp - iat, 72 * 3600, "default lifetime is 72 h: {payload}");
    // The signature is HS256 with the configured secret.
    let (input, signature) = token.rsplit_once('.').unwrap();
    assert_eq!(
        b64url(&hmac::<Sha256>(64, JWT_SECRET.as_bytes(), input.as_bytes())),
        signature
    );
}

async fn token_lifetime_is_configurable(backend: Backend) {
    let server = Server::start_with(backend, &[("TOKEN_TTL", "3s")]).await;
    let (_, token) = account(&server, "alice").await;
    let (_, payload) = decode(&token);
    let (iat, exp) = (
        payload["iat"].as_i64().unwrap(),
        payload["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3, "{payload}");
    assert_token_accepted(&server, &token, "fresh 3 s token").await;
    while now_secs() <= exp + 1 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_token_refused(&server, &token, "expired 3 s token").await;
    // A new login gives a new, working token.
    assert_token_accepted(&server, &server.login("alice").await, "new login").await;
}

async fn every_protected_endpoint_checks_the_token(backend: Backend) {
    let server = Server::start(backend).await;
    let (id, _) = account(&server, "alice").await;
    let bad = hs256(&claims(id, "alice"), b"not-the-secret-not-the-secret-0123");
    let routes = [
        (Method::GET, "/api/files"),
        (Method::GET, "/api/files/stats"),
        (Method::GET, "/api/user/limits"),
        (Method::POST, "/api/upload"),
        (Method::PUT, "/api/files/1/access"),
        (Method::DELETE, "/api/files/1"),
        (Method::GET, "/api/files/1/download"),
        (Method::GET, "/api/admin/users/limits"),
        (Method::PUT, "/api/admin/users/1/limits"),
    ];
    for (method, path) in routes {
        let cases = [
            (None, NOT_AUTHENTICATED),
            (Some("Basic x".to_owned()), BAD_FORMAT),
            (Some(format!("Bearer {bad}")), INVALID_TOKEN),
        ];
        for (header, message) in cases {
            let mut request = server
                .request(method.clone(), path, None)
                .header("Content-Type", "application/json")
                .body(r#"{"public":true,"max_files":1}"#);
            if let Some(header) = &header {
                request = request.header(AUTHORIZATION, header);
            }
            let (status, body) = status_json(request.send().await.unwrap()).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (StatusCode::UNAUTHORIZED, Some(message)),
                "{method} {path} with {header:?}: {body}"
            );
        }
    }
}

async fn tokens_survive_a_restart(backend: Backend) {
    let mut server = Server::start(backend).await;
    let (_, token) = account(&server, "alice").await;
    server.upload_ok(&token, "kept.txt", b"kept".to_vec()).await;
    server.restart();
    let (status, body) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["Name"], "kept.txt");
}

async fn generated_secret_is_kept_private_and_survives_restart(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    // An empty JWT_SECRET here makes the harness leave the variable unset.
    let mut server = Server::start_with(backend, &[("JWT_SECRET", "")]).await;
    let (id, token) = account(&server, "alice").await;
    assert_token_accepted(&server, &token, "token under the generated secret").await;
    let path = server.data_path().join("jwt_secret");
    let meta = std::fs::metadata(&path).expect("DATA_PATH/jwt_secret exists");
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "mode of {path:?}");
    let kept = std::fs::read(&path).unwrap();
    assert!(
        kept.iter().filter(|b| !b.is_ascii_whitespace()).count() >= 32,
        "a 256-bit secret is kept ({} bytes)",
        kept.len()
    );
    // Not the empty secret, and not the harness's one.
    assert_token_refused(&server, &hs256(&claims(id, "alice"), b""), "empty secret").await;
    assert_token_refused(
        &server,
        &hs256(&claims(id, "alice"), JWT_SECRET.as_bytes()),
        "harness secret on a server without it",
    )
    .await;

    server.restart();
    assert_token_accepted(&server, &token, "token after restart").await;
    assert_eq!(std::fs::read(&path).unwrap(), kept, "the secret is reused");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Another server generates another secret: tokens do not cross over.
    let other = Server::start_with(backend, &[("JWT_SECRET", "")]).await;
    let (other_id, other_token) = account(&other, "alice").await;
    assert_eq!(other_id, id, "both fresh databases give alice the same id");
    let other_kept = std::fs::read(other.data_path().join("jwt_secret")).unwrap();
    assert_ne!(other_kept, kept, "generated secrets are random");
    assert_token_refused(&other, &token, "token of another server").await;
    assert_token_refused(&server, &other_token, "token of another server").await;
}

async fn a_32_byte_secret_is_accepted(backend: Backend) {
    let secret = "0123456789abcdef0123456789abcdef";
    assert_eq!(secret.len(), 32);
    let server = Server::start_with(backend, &[("JWT_SECRET", secret)]).await;
    let (id, token) = account(&server, "alice").await;
    assert_token_accepted(&server, &token, "login token").await;
    assert_token_accepted(
        &server,
        &hs256(&claims(id, "alice"), secret.as_bytes()),
        "hand-signed with the 32-byte secret",
    )
    .await;
    assert_token_refused(
        &server,
        &hs256(&claims(id, "alice"), JWT_SECRET.as_bytes()),
        "harness default secret",
    )
    .await;
}

async fn short_jwt_secret_stops_the_start(backend: Backend) {
    let server = Server::start(backend).await;
    for secret in ["short", "x", &"k".repeat(31)] {
        let mut cmd = server.command();
        cmd.env("JWT_SECRET", secret);
        let out = run_briefly(cmd);
        assert_refused_naming(
            &out,
            "JWT_SECRET",
            &format!("JWT_SECRET of {} bytes", secret.len()),
        );
        // The secret itself is not echoed back.
        let stderr = String::from_utf8_lossy(&out.stderr);
        if secret.len() > 3 {
            assert!(!stderr.contains(secret), "secret leaked: {stderr:?}");
        }
    }
    // The running server was not disturbed.
    assert_eq!(
        server.get("/api/health", None).await.status(),
        StatusCode::OK
    );
}

async fn bad_settings_stop_the_start_naming_the_variable(backend: Backend) {
    let server = Server::start(backend).await;
    for (variable, value) in [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("PORT", "-1"),
        ("BIND", "nowhere"),
        ("ALLOW_SIGNUP", "maybe"),
        ("DEFAULT_MAX_FILES", "-5"),
        ("DEFAULT_MAX_FILES", "lots"),
        ("DEFAULT_MAX_STORAGE", "1GB"),
        ("TOKEN_TTL", "forever"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,nonsense"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("HOST_URL", "files.example.com"),
    ] {
        let mut cmd = server.command();
        cmd.env(variable, value);
        let out = run_briefly(cmd);
        assert_refused_naming(&out, variable, &format!("{variable}={value}"));
    }
    assert_eq!(
        server.get("/api/health", None).await.status(),
        StatusCode::OK
    );
    // Sanity: the same command without a bad value does start (and is stopped here).
    let mut child = server
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let line = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("defdrive listening on "))
    });
    let started = line.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(started.is_some(), "a good configuration starts");
}
