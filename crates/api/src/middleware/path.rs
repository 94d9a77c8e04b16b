//! Tolerates double and trailing slashes (`//api/files/` is `/api/files`) by rewriting the
//! path before routing. The docs pages keep their trailing slash (Swagger UI needs it).

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;
use axum::middleware::Next;
use axum::response::Response;

pub async fn normalize(mut req: Request, next: Next) -> Response {
    if let Some(uri) = normalized(req.uri()) {
        *req.uri_mut() = uri;
    }
    next.run(req).await
}

fn normalized(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() || (path.ends_with('/') && clean.starts_with("/api/docs")) {
        clean.push('/');
    }
    if clean == path {
        return None;
    }
    let with_query = match uri.query() {
        Some(query) => format!("{clean}?{query}"),
        None => clean,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(with_query).ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(path: &str) -> String {
        let uri: Uri = path.parse().unwrap();
        normalized(&uri).map_or(path.to_owned(), |u| u.to_string())
    }

    #[test]
    fn slashes() {
        assert_eq!(norm("//api/files/"), "/api/files");
        assert_eq!(norm("/api//files//7/"), "/api/files/7");
        assert_eq!(norm("/api/files?x=1"), "/api/files?x=1");
        assert_eq!(norm("/api/files/?x=1"), "/api/files?x=1");
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("//"), "/");
        assert_eq!(norm("/api/docs/"), "/api/docs/");
        assert_eq!(norm("/api/docs"), "/api/docs");
    }
}
