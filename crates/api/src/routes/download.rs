//! Sending a stored file, for the owner's download and for share links: streamed from
//! storage with type, length, validators and name; single ranges (206/416) and conditional
//! requests (304). Whether a request may send content is decided before any byte is read,
//! so a link can consume its use only when content is really sent.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::zero_copy::{self, FileSink};
use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use defdrive_core::download::{Conditions, Plan, content_disposition, plan};
use defdrive_core::model::File;
use defdrive_core::store::StoreError;
use futures_util::TryStreamExt;

/// A download worked out from the request, before anything is read or consumed.
pub struct Prepared {
    plan: Plan,
    head: bool,
    etag: String,
    last_modified: String,
}

impl Prepared {
    /// Works out what `method` with `headers` gets for `file`.
    pub fn new(file: &File, method: &Method, headers: &HeaderMap) -> Self {
        let etag = format!("\"{}\"", file.hash);
        let last_modified = file.created_at.to_http_date();
        let header = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let conditions = Conditions {
            range: header(RANGE),
            if_none_match: header(IF_NONE_MATCH),
            if_range: header(IF_RANGE),
        };
        let size = u64::try_from(file.size).unwrap_or(0);
        Self {
            plan: plan(size, &etag, &last_modified, conditions),
            head: method == Method::HEAD,
            etag,
            last_modified,
        }
    }

    /// Whether this answer sends file content (a GET answered 200 or 206).
    pub fn sends_content(&self) -> bool {
        !self.head && matches!(self.plan, Plan::Full | Plan::Partial { .. })
    }

    /// The response: headers always, the bytes when sending content — zero-copy from a local
    /// file when the connection offers a `sink`, else streamed from storage.
    pub async fn respond(
        self,
        state: &AppState,
        file: &File,
        sink: Option<FileSink>,
    ) -> ApiResult<Response> {
        let size = u64::try_from(file.size).unwrap_or(0);
        let (status, range) = match self.plan {
            Plan::Full => (StatusCode::OK, Some((0, size))),
            Plan::Partial { start, end } => {
                (StatusCode::PARTIAL_CONTENT, Some((start, end - start + 1)))
            }
            Plan::Unsatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, None),
            Plan::NotModified => (StatusCode::NOT_MODIFIED, None),
        };
        let body = match range {
            Some((offset, len)) if !self.head && len > 0 => {
                let body = content(state, file, sink, offset, len)
                    .await
                    .map_err(|e| ApiError::internal("Failed to read file", e))?;
                // The frames pass through as they are (zero-copy bodies stay zero-copy).
                let metrics = state.metrics.clone();
                Body::from_stream(
                    body.into_data_stream()
                        .inspect_ok(move |chunk| metrics.add_downloaded(chunk.len())),
                )
            }
            _ => Body::empty(),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        );
        insert(headers, ETAG, &self.etag);
        insert(headers, LAST_MODIFIED, &self.last_modified);
        match self.plan {
            Plan::Unsatisfiable => {
                insert(headers, CONTENT_RANGE, &format!("bytes */{size}"));
                headers.insert(CONTENT_LENGTH, HeaderValue::from(0u64));
                return Ok(response);
            }
            Plan::NotModified => return Ok(response),
            Plan::Partial { start, end } => {
                insert(
                    headers,
                    CONTENT_RANGE,
                    &format!("bytes {start}-{end}/{size}"),
                );
            }
            Plan::Full => {}
        }
        let mime = mime_guess::from_path(&file.name).first_or_octet_stream();
        insert(headers, CONTENT_TYPE, mime.essence_str());
        insert(
            headers,
            CONTENT_DISPOSITION,
            &content_disposition(&file.name),
        );
        headers.insert(
            CONTENT_LENGTH,
            HeaderValue::from(range.map_or(0, |(_, len)| len)),
        );
        Ok(response)
    }
}

/// `len` bytes of `file` from `offset` as a body.
async fn content(
    state: &AppState,
    file: &File,
    sink: Option<FileSink>,
    offset: u64,
    len: u64,
) -> Result<Body, StoreError> {
    let local = sink.zip(state.store.local_path(&file.storage_key));
    if let Some((sink, path)) = local {
        let open = tokio::task::spawn_blocking(move || std::fs::File::open(&path))
            .await
            .map_err(|e| StoreError::io("opening a stored file", std::io::Error::other(e)))?
            .map_err(|e| StoreError::io("opening a stored file", e))?;
        return Ok(zero_copy::file_body(sink, open, offset, len));
    }
    let stream = state
        .store
        .read(&file.storage_key, offset, Some(len))
        .await?;
    Ok(Body::from_stream(stream))
}

fn insert(headers: &mut HeaderMap, name: axum::http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
