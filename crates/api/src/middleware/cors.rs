//! CORS on every response, errors included; `OPTIONS` on any path answers 204 before
//! authentication. Under `/api/tus/` the tus methods and headers are allowed and exposed
//! too (browser tus clients read `Location` and `Upload-Offset`), and `OPTIONS` reaches the
//! tus discovery handler.

use crate::routes::tus;
use crate::state::CorsOrigins;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn cors(State(origins): State<Arc<CorsOrigins>>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(ORIGIN).cloned();
    let tus = is_tus_path(req.uri().path());
    let mut response = if req.method() == Method::OPTIONS && !tus {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    add_headers(response.headers_mut(), &origins, origin);
    if tus {
        let headers = response.headers_mut();
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(tus::ALLOWED_METHODS),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(tus::ALLOWED_HEADERS),
        );
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(tus::EXPOSED_HEADERS),
        );
    }
    response
}

/// `/api/tus` and below, also with doubled slashes (normalised only later).
fn is_tus_path(path: &str) -> bool {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.next() == Some("api") && segments.next() == Some("tus")
}

fn add_headers(headers: &mut HeaderMap, origins: &CorsOrigins, origin: Option<HeaderValue>) {
    match origins {
        CorsOrigins::Any => {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        }
        CorsOrigins::List(allowed) => {
            headers.append(VARY, HeaderValue::from_static("Origin"));
            let allowed_origin = origin.filter(|o| {
                o.to_str()
                    .is_ok_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o)))
            });
            if let Some(origin) = allowed_origin {
                headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            }
        }
    }
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, Range"),
    );
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
}
