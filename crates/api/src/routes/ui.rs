//! The web UI: static HTML, CSS and ES modules from `crates/api/web/`, embedded in the
//! binary at build time (no Node step) and served at `/` and `/assets/...`. Every UI
//! response carries a strict Content-Security-Policy (scripts and styles from this origin
//! only, no inline code, no eval) and an ETag from the content's SHA-256, so browsers
//! revalidate cheaply (`304`). Unknown asset paths answer the API's JSON 404.

use crate::error::ApiError;
use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

/// The UI's files; `index.html` at the top, everything else under `assets/`.
#[derive(Embed)]
#[folder = "web/"]
struct Web;

/// What the UI may load and run: only its own origin, nothing inline, no framing, and forms
/// never submit by themselves (the app sends everything through `fetch`).
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&format!("assets/{path}"), &headers)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(file) = Web::get(path) else {
        return ApiError::not_found("Not found").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(file.data.into_owned()))
    };
    let headers = response.headers_mut();
    if !fresh {
        headers.insert(CONTENT_TYPE, content_type(path));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, etag);
    }
    // File names carry no hash, so the browser keeps a copy but asks before using it.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    add_security_headers(headers);
    response
}

fn content_type(path: &str) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let value = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ if mime.subtype() == mime_guess::mime::JAVASCRIPT => {
            "text/javascript; charset=utf-8".to_owned()
        }
        _ => mime.to_string(),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_is_embedded() {
        let index = Web::get("index.html").unwrap();
        let html = std::str::from_utf8(&index.data).unwrap();
        assert!(html.contains("/assets/js/main.js"));
        assert!(Web::get("assets/js/main.js").is_some());
        assert!(Web::get("assets/app.css").is_some());
    }

    #[test]
    fn types() {
        assert_eq!(
            content_type("assets/js/main.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/icon.svg"), "image/svg+xml");
    }

    #[test]
    fn policy_allows_nothing_inline() {
        assert!(!CONTENT_SECURITY_POLICY_VALUE.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY_VALUE.starts_with("default-src 'self'"));
    }
}
