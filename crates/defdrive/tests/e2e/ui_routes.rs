//! The UI's HTTP surface: the app at `/` and its assets under `/assets/`, each with a strict
//! Content-Security-Policy, nosniff and an ETag that answers 304; everything else keeps the
//! API's JSON errors.

use crate::server::Server;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header on {}", response.url()))
}

fn assert_strict(response: &reqwest::Response) {
    let csp = header(response, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "x-frame-options"), "DENY");
}

#[tokio::test]
async fn the_app_and_its_assets_are_served_with_a_strict_policy() {
    let server = Server::start();
    let client = reqwest::Client::new();
    for (path, content_type, contains) in [
        ("/", "text/html; charset=utf-8", "/assets/js/main.js"),
        ("//", "text/html; charset=utf-8", "<main"),
        (
            "/assets/js/main.js",
            "text/javascript; charset=utf-8",
            "import",
        ),
        (
            "/assets/js/views/files.js",
            "text/javascript; charset=utf-8",
            "renderFiles",
        ),
        ("/assets/app.css", "text/css; charset=utf-8", ":root"),
        ("/assets//app.css", "text/css; charset=utf-8", ":root"),
        ("/assets/icon.svg", "image/svg+xml", "<svg"),
    ] {
        let response = client
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_strict(&response);
        assert_eq!(header(&response, CONTENT_TYPE.as_str()), content_type);
        assert_eq!(header(&response, "cache-control"), "no-cache");
        let body = response.text().await.unwrap();
        assert!(body.contains(contains), "{path}: {body}");
    }
}

#[tokio::test]
async fn assets_revalidate_with_their_etag() {
    let server = Server::start();
    let client = reqwest::Client::new();
    let url = format!("{}/assets/app.css", server.url);
    let first = client.get(&url).send().await.unwrap();
    let etag = header(&first, ETAG.as_str()).to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    let body = first.bytes().await.unwrap();

    let again = client
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, ETAG.as_str()), etag);
    assert_strict(&again);
    assert!(again.bytes().await.unwrap().is_empty());

    let listed = client
        .get(&url)
        .header(IF_NONE_MATCH, format!("\"other\", {etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::NOT_MODIFIED);

    let stale = client
        .get(&url)
        .header(IF_NONE_MATCH, "\"0123\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.bytes().await.unwrap(), body);

    // Another file has another tag.
    let index = client.get(&server.url).send().await.unwrap();
    assert_ne!(header(&index, ETAG.as_str()), etag);

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, ETAG.as_str()), etag);
}

#[tokio::test]
async fn everything_else_keeps_the_json_errors() {
    let server = Server::start();
    let client = reqwest::Client::new();
    for path in [
        "/assets/nope.js",
        "/assets/",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/index.html",
        "/index.html",
        "/files",
        "/api/nope",
        "/link",
    ] {
        let response = client
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(&response, CONTENT_TYPE.as_str()).starts_with("application/json"),
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "Not found"}), "{path}");
    }
    let post = client.post(&server.url).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = post.json().await.unwrap();
    assert_eq!(body, json!({"error": "Method not allowed"}));
}
