//! The transport rules of SPEC 1 and 4.12: health, JSON 404/405, CORS (preflight and on
//! every response), path normalisation, lenient `Content-Type`, and the API docs.

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

both!(
    health_needs_no_auth,
    unknown_routes_are_json_404,
    wrong_methods_are_json_405,
    options_preflight_on_any_path,
    cors_headers_on_every_response,
    configured_cors_origins,
    double_and_trailing_slashes_are_tolerated,
    bodiless_get_with_json_content_type,
    bodies_are_json_whatever_the_content_type,
    openapi_lists_every_implemented_path,
    swagger_ui_works_offline,
);

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ASCII header"))
}

/// The four CORS headers of SPEC 1 with the default origins (`*`), exactly once each.
fn assert_cors(headers: &HeaderMap, context: &str) {
    for (name, value) in [
        ("access-control-allow-origin", "*"),
        (
            "access-control-allow-methods",
            "GET, POST, PUT, DELETE, OPTIONS",
        ),
        (
            "access-control-allow-headers",
            "Authorization, Content-Type, Range",
        ),
        ("access-control-max-age", "600"),
    ] {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(values, [value], "{name} on {context}: {headers:?}");
    }
}

fn assert_json_content_type(response: &Response, context: &str) {
    let content_type = header(response.headers(), "content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "{context}: Content-Type {content_type:?}"
    );
}

async fn health_needs_no_auth(backend: Backend) {
    let server = Server::start(backend).await;
    let response = server.get("/api/health", None).await;
    assert_json_content_type(&response, "health");
    let (status, body) = status_json(response).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    // Any Authorization header, even a broken one, is not looked at.
    for value in ["Bearer nonsense", "Basic abc", ""] {
        let response = server
            .request(Method::GET, "/api/health", None)
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"status": "ok"})),
            "Authorization {value:?}"
        );
    }
}

async fn unknown_routes_are_json_404(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    for (method, path) in [
        (Method::GET, "/api/nope"),
        (Method::GET, "/api"),
        (Method::GET, "/api/"),
        (Method::POST, "/api/nope"),
        (Method::DELETE, "/api/nope/1"),
        (Method::GET, "/api/files/1/nope"),
        (Method::GET, "/api/files/stats/extra"),
        (Method::PUT, "/api/user"),
        (Method::GET, "/api/HEALTH"),
    ] {
        // With and without a token: routing comes before authentication.
        for token in [None, Some(token.as_str())] {
            let response = server
                .request(method.clone(), path, token)
                .send()
                .await
                .unwrap();
            assert_json_content_type(&response, path);
            let (status, body) = status_json(response).await;
            assert_eq!(
                (status, body),
                (StatusCode::NOT_FOUND, json!({"error": "Not found"})),
                "{method} {path} token {}",
                token.is_some()
            );
        }
    }
}

async fn wrong_methods_are_json_405(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let id = server.upload_ok(&token, "a.txt", b"a".to_vec()).await["ID"]
        .as_i64()
        .unwrap();
    let file = format!("/api/files/{id}");
    let download = format!("/api/files/{id}/download");
    let access = format!("/api/files/{id}/access");
    for (method, path) in [
        (Method::DELETE, "/api/files/stats"),
        (Method::POST, "/api/files/stats"),
        (Method::GET, "/api/signup"),
        (Method::PUT, "/api/signup"),
        (Method::GET, "/api/login"),
        (Method::GET, "/api/upload"),
        (Method::PUT, "/api/upload"),
        (Method::POST, "/api/files"),
        (Method::DELETE, "/api/files"),
        (Method::POST, "/api/health"),
        (Method::DELETE, "/api/health"),
        (Method::GET, file.as_str()),
        (Method::PATCH, file.as_str()),
        (Method::POST, download.as_str()),
        (Method::DELETE, download.as_str()),
        (Method::DELETE, access.as_str()),
        (Method::POST, "/api/user/limits"),
        (Method::DELETE, "/api/admin/users/limits"),
        (Method::GET, "/api/admin/users/1/limits"),
    ] {
        for token in [None, Some(token.as_str())] {
            let response = server
                .request(method.clone(), path, token)
                .send()
                .await
                .unwrap();
            assert_json_content_type(&response, path);
            let (status, body) = status_json(response).await;
            assert_eq!(
                (status, body),
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    json!({"error": "Method not allowed"})
                ),
                "{method} {path} token {}",
                token.is_some()
            );
        }
    }
    // None of this touched the file.
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"].as_array().unwrap().len(), 1);
}

async fn options_preflight_on_any_path(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    for path in [
        "/api/files",
        "/api/files/stats",
        "/api/files/1",
        "/api/files/1/access",
        "/api/files/1/download",
        "/api/upload",
        "/api/signup",
        "/api/login",
        "/api/user/limits",
        "/api/admin/users/limits",
        "/api/admin/users/1/limits",
        "/api/health",
        "/api/nope",
        "/link/0123456789abcdef0123456789abcdef",
        "/",
        "/whatever/else",
    ] {
        // As a browser sends it (no token), bare, and with a token.
        let browser = server
            .request(Method::OPTIONS, path, None)
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "DELETE")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        let bare = server
            .request(Method::OPTIONS, path, None)
            .send()
            .await
            .unwrap();
        let authed = server
            .request(Method::OPTIONS, path, Some(&token))
            .send()
            .await
            .unwrap();
        for (kind, response) in [("browser", browser), ("bare", bare), ("token", authed)] {
            let context = format!("OPTIONS {path} ({kind})");
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{context}");
            assert_cors(response.headers(), &context);
            assert!(response.bytes().await.unwrap().is_empty(), "{context}");
        }
    }
}

async fn cors_headers_on_every_response(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let id = server.upload_ok(&token, "a.txt", b"abc".to_vec()).await["ID"]
        .as_i64()
        .unwrap();
    let cases: Vec<(Method, String, Option<&str>, StatusCode)> = vec![
        (Method::GET, "/api/health".into(), None, StatusCode::OK),
        (
            Method::GET,
            "/api/files".into(),
            Some(&token),
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/files/{id}/download"),
            Some(&token),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/files".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/files/stats".into(),
            Some("bad.token.here"),
            StatusCode::UNAUTHORIZED,
        ),
        (Method::GET, "/api/nope".into(), None, StatusCode::NOT_FOUND),
        (
            Method::GET,
            "/api/files/999999/download".into(),
            Some(&token),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            "/api/signup".into(),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::DELETE,
            "/api/files/abc".into(),
            Some(&token),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, token, status) in cases {
        for origin in [None, Some("https://app.example")] {
            let mut request = server.request(method.clone(), &path, token);
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            let response = request.send().await.unwrap();
            let context = format!("{method} {path} origin {origin:?}");
            assert_eq!(response.status(), status, "{context}");
            assert_cors(response.headers(), &context);
        }
    }
    // A refused upload (403 with extra keys) and a login failure carry them too.
    let response = server
        .send_json(
            Method::POST,
            "/api/login",
            None,
            json!({"username": "alice", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_cors(response.headers(), "failed login");
    let response = server.upload(&token, "a.txt", b"again".to_vec()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_cors(response.headers(), "upload conflict");
}

async fn configured_cors_origins(backend: Backend) {
    let server = Server::start_with(backend, &[("CORS_ORIGINS", "https://a.example")]).await;
    let token = server.user("alice").await;
    for (method, path, token, status) in [
        (Method::GET, "/api/health", None, StatusCode::OK),
        (
            Method::GET,
            "/api/files",
            Some(token.as_str()),
            StatusCode::OK,
        ),
        (Method::GET, "/api/files", None, StatusCode::UNAUTHORIZED),
        (Method::GET, "/api/nope", None, StatusCode::NOT_FOUND),
        (Method::OPTIONS, "/api/files", None, StatusCode::NO_CONTENT),
    ] {
        let send = |origin: Option<&'static str>| {
            let mut request = server.request(method.clone(), path, token);
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            request.send()
        };
        let context = format!("{method} {path}");
        // The allowed origin is echoed.
        let allowed = send(Some("https://a.example")).await.unwrap();
        assert_eq!(allowed.status(), status, "{context}");
        let h = allowed.headers();
        assert_eq!(
            header(h, "access-control-allow-origin"),
            Some("https://a.example"),
            "{context}: {h:?}"
        );
        assert_eq!(
            header(h, "access-control-allow-methods"),
            Some("GET, POST, PUT, DELETE, OPTIONS")
        );
        assert_eq!(
            header(h, "access-control-allow-headers"),
            Some("Authorization, Content-Type, Range")
        );
        assert_eq!(header(h, "access-control-max-age"), Some("600"));
        // An echoed origin must not be cached for other origins.
        let vary: Vec<String> = h
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("origin")),
            "{context}: {h:?}"
        );
        // Another origin (or a look-alike) is not allowed: neither echoed nor `*`.
        for other in [
            "https://b.example",
            "http://a.example",
            "https://a.example.evil.example",
            "null",
        ] {
            let response = send(Some(other)).await.unwrap();
            assert_eq!(response.status(), status, "{context} from {other}");
            let got = header(response.headers(), "access-control-allow-origin");
            assert!(
                got.is_none() || got == Some("https://a.example"),
                "{context} from {other}: {got:?}"
            );
        }
        // No Origin at all: no wildcard either.
        let response = send(None).await.unwrap();
        assert_ne!(
            header(response.headers(), "access-control-allow-origin"),
            Some("*"),
            "{context} without Origin"
        );
    }
}

async fn double_and_trailing_slashes_are_tolerated(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let file = server.upload_ok(&token, "a.txt", b"abc".to_vec()).await;
    let id = file["ID"].as_i64().unwrap();
    let (_, canonical) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(canonical["files"].as_array().unwrap().len(), 1);
    for path in [
        "/api/files/",
        "//api/files/",
        "//api/files",
        "/api//files",
        "/api/files//",
        "//api//files//",
    ] {
        let (status, body) = status_json(server.get(path, Some(&token)).await).await;
        assert_eq!((status, &body), (StatusCode::OK, &canonical), "{path}");
        // Still protected.
        assert_error(
            server.get(path, None).await,
            StatusCode::UNAUTHORIZED,
            "User not authenticated",
        )
        .await;
    }
    let (_, stats) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    for path in ["/api/files/stats/", "//api/files//stats/"] {
        let (status, body) = status_json(server.get(path, Some(&token)).await).await;
        assert_eq!((status, &body), (StatusCode::OK, &stats), "{path}");
    }
    let (status, body) = status_json(server.get("//api/health/", None).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let response = server
        .get(&format!("//api/files/{id}/download/"), Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"abc");
    // Writes too: a POST and a PUT through odd paths.
    let response = server
        .send_json(
            Method::PUT,
            &format!("/api//files/{id}/access/"),
            Some(&token),
            json!({"public": true}),
        )
        .await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["file"]["Public"], true);
    let response = server
        .send_json(
            Method::POST,
            "//api/login/",
            None,
            json!({"username": "alice", "password": "password123"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn bodiless_get_with_json_content_type(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let id = server.upload_ok(&token, "a.txt", b"abc".to_vec()).await["ID"]
        .as_i64()
        .unwrap();
    let download = format!("/api/files/{id}/download");
    for path in [
        "/api/health",
        "/api/files",
        "/api/files/stats",
        "/api/user/limits",
        download.as_str(),
    ] {
        let response = server
            .request(Method::GET, path, Some(&token))
            .header(CONTENT_TYPE, "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let with_length = server
            .request(Method::GET, path, Some(&token))
            .header(CONTENT_TYPE, "application/json")
            .header("Content-Length", "0")
            .send()
            .await
            .unwrap();
        assert_eq!(
            with_length.status(),
            StatusCode::OK,
            "{path} (Content-Length: 0)"
        );
    }
    let response = server
        .request(Method::GET, "/api/files", Some(&token))
        .header(CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    let (_, body) = status_json(response).await;
    assert_eq!(body["files"][0]["Name"], "a.txt");
    // A DELETE without a body but with the JSON Content-Type too.
    let response = server
        .request(Method::DELETE, &format!("/api/files/{id}"), Some(&token))
        .header(CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"message": "File deleted successfully"})
        )
    );
}

async fn bodies_are_json_whatever_the_content_type(backend: Backend) {
    let server = Server::start(backend).await;
    let send = |method: Method,
                path: &str,
                token: Option<&str>,
                content_type: Option<&str>,
                body: Value| {
        let mut request = server.request(method, path, token).body(body.to_string());
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        request.send()
    };
    for (i, content_type) in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("application/octet-stream"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let username = format!("user{i}");
        let response = send(
            Method::POST,
            "/api/signup",
            None,
            content_type,
            json!({"username": username, "password": "password123", "email": format!("{username}@example.com"), "name": "N"}),
        )
        .await
        .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "signup with {content_type:?}: {body}"
        );
        assert_eq!(body["message"], "User created successfully");
        assert_eq!(body["user"]["username"], username);

        let response = send(
            Method::POST,
            "/api/login",
            None,
            content_type,
            json!({"username": username, "password": "password123"}),
        )
        .await
        .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "login with {content_type:?}: {body}"
        );
        let token = body["token"].as_str().unwrap().to_owned();

        let id = server.upload_ok(&token, "f.txt", b"f".to_vec()).await["ID"]
            .as_i64()
            .unwrap();
        let response = send(
            Method::PUT,
            &format!("/api/files/{id}/access"),
            Some(&token),
            content_type,
            json!({"public": true}),
        )
        .await
        .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "access with {content_type:?}: {body}"
        );
        assert_eq!(body["file"]["Public"], true);

        // Still JSON: a malformed body is refused whatever the type says.
        let response = server
            .request(
                Method::PUT,
                &format!("/api/files/{id}/access"),
                Some(&token),
            )
            .header(CONTENT_TYPE, content_type.unwrap_or("text/plain"))
            .body("public=true")
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "Invalid request body").await;
    }
}

/// The implemented routes and their methods.
const IMPLEMENTED: [(&str, &str); 13] = [
    ("/api/health", "get"),
    ("/api/ready", "get"),
    ("/api/signup", "post"),
    ("/api/login", "post"),
    ("/api/upload", "post"),
    ("/api/files", "get"),
    ("/api/files/stats", "get"),
    ("/api/files/{id}", "delete"),
    ("/api/files/{id}/access", "put"),
    ("/api/files/{id}/download", "get"),
    ("/api/user/limits", "get"),
    ("/api/admin/users/limits", "get"),
    ("/api/admin/users/{id}/limits", "put"),
];

async fn openapi_lists_every_implemented_path(backend: Backend) {
    let server = Server::start(backend).await;
    let response = server.get("/api/openapi.json", None).await;
    assert_json_content_type(&response, "openapi.json");
    let (status, doc) = status_json(response).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths object");
    for (path, method) in IMPLEMENTED {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing; listed: {:?}", paths.keys()));
        assert!(item.get(method).is_some(), "{method} {path}: {item}");
    }
    // Every listed operation is really routed: no JSON 404 `Not found`, no 405.
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{token}", "0123456789abcdef0123456789abcdef");
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                continue;
            };
            if !["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"].contains(&method.as_str()) {
                continue;
            }
            let response = server
                .request(method.clone(), &concrete, None)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !(status == StatusCode::NOT_FOUND && text.contains("\"Not found\"")),
                "{method} {path} is documented but not routed"
            );
        }
    }
    // Protected operations document the bearer scheme.
    let files_get = &paths["/api/files"]["get"];
    assert!(
        files_get.get("security").is_some() || doc.get("security").is_some(),
        "{files_get}"
    );
    // The same document with a trailing slash.
    let (status, again) = status_json(server.get("/api/openapi.json/", None).await).await;
    assert_eq!((status, &again), (StatusCode::OK, &doc));
}

/// `src="…"` and `href="…"` values in an HTML page.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=\"", "href=\"", "src='", "href='"] {
        let quote = attribute.chars().last().unwrap();
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            if let Some(end) = rest.find(quote) {
                urls.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    urls
}

/// Resolves `url` against the page `/api/docs/`.
fn resolve(url: &str) -> String {
    if url.starts_with('/') {
        url.to_owned()
    } else {
        format!("/api/docs/{}", url.trim_start_matches("./"))
    }
}

async fn swagger_ui_works_offline(backend: Backend) {
    let server = Server::start(backend).await;
    let response = server.get("/api/docs/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(response.headers(), "content-type")
        .unwrap_or("")
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("swagger"), "{html}");
    let urls = asset_urls(&html);
    let scripts: Vec<&String> = urls.iter().filter(|u| u.ends_with(".js")).collect();
    let styles: Vec<&String> = urls.iter().filter(|u| u.ends_with(".css")).collect();
    assert!(!scripts.is_empty(), "no script in {html}");
    assert!(!styles.is_empty(), "no stylesheet in {html}");
    let mut mentions_spec = html.contains("/api/openapi.json");
    for url in scripts.iter().chain(&styles) {
        // Served by defdrive itself, not a CDN.
        assert!(
            !url.contains("://") && !url.starts_with("//"),
            "external asset {url}"
        );
        let path = resolve(url);
        let response = server.get(&path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = header(response.headers(), "content-type")
            .unwrap_or("")
            .to_owned();
        let body = response.text().await.unwrap();
        assert!(!body.is_empty(), "{path} is empty");
        if url.ends_with(".js") {
            assert!(
                content_type.contains("javascript"),
                "{path}: {content_type}"
            );
        } else {
            assert!(
                content_type.starts_with("text/css"),
                "{path}: {content_type}"
            );
        }
        mentions_spec |= body.contains("/api/openapi.json");
    }
    assert!(mentions_spec, "the UI never points at /api/openapi.json");
    // Without the trailing slash it arrives at the same page (directly or redirected).
    let response = server.get("/api/docs", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .to_ascii_lowercase()
            .contains("swagger")
    );
}
