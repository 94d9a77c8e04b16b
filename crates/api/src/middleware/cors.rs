//! CORS on every response, errors included; `OPTIONS` on any path answers 204 before
//! authentication.

use crate::state::CorsOrigins;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn cors(State(origins): State<Arc<CorsOrigins>>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(ORIGIN).cloned();
    let mut response = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    add_headers(response.headers_mut(), &origins, origin);
    response
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
