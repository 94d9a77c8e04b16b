//! Resumable uploads over tus 1.0.0 under `/api/tus/`: `OPTIONS` (discovery), `POST`
//! (creation, creation-with-upload), `HEAD` (offset), `PATCH` (append, with the sha256
//! checksum extension) and `DELETE` (termination). Errors are JSON like the rest of the API,
//! with tus's status codes (409 offset, 412 version, 413 past length, 415 content type,
//! 423 busy, 460 checksum). A completed upload names its file in `Defdrive-File-Id`.

use crate::error::ApiError;
use crate::extract::auth::AuthUser;
use crate::metrics::Metrics;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use defdrive_core::resumable::headers::{
    CHECKSUM_ALGORITHMS, HeaderError, metadata_filename, parse_checksum,
};
use defdrive_core::resumable::{Appended, ResumableError, ResumableUpload};
use futures_util::TryStreamExt;
use serde_json::json;
use std::sync::Arc;

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";
/// The header that names the file a completed upload became.
pub const FILE_ID_HEADER: &str = "Defdrive-File-Id";

/// Request headers a browser tus client sends (for CORS).
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Range, Tus-Resumable, \
    Upload-Length, Upload-Offset, Upload-Metadata, Upload-Checksum, Upload-Defer-Length, \
    Upload-Concat, X-HTTP-Method-Override, X-Requested-With";
/// Response headers a browser tus client reads (for CORS).
pub const EXPOSED_HEADERS: &str = "Location, Tus-Resumable, Tus-Version, Tus-Extension, \
    Tus-Max-Size, Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Metadata, \
    Upload-Expires, Defdrive-File-Id";
pub const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS";

type TusResult = Result<Response, TusError>;

/// A JSON error with the tus headers that go with it (`Tus-Version`, `Upload-Offset`,
/// `Location`).
pub struct TusError {
    error: ApiError,
    headers: Vec<(&'static str, String)>,
}

impl TusError {
    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<ApiError> for TusError {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            headers: Vec::new(),
        }
    }
}

impl IntoResponse for TusError {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        for (name, value) in &self.headers {
            set(response.headers_mut(), name, value);
        }
        response
    }
}

/// Adds `Tus-Resumable` to every response of the tus routes.
pub async fn tus_resumable(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    response.headers_mut().insert(
        HeaderName::from_static("tus-resumable"),
        HeaderValue::from_static(TUS_VERSION),
    );
    response
}

/// `OPTIONS /api/tus/…`: what the server supports (no authentication needed; with a valid
/// token, `Tus-Max-Size` is the caller's storage limit).
pub async fn options(user: Result<AuthUser, ApiError>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    set(headers, "tus-version", TUS_VERSION);
    set(headers, "tus-extension", TUS_EXTENSIONS);
    set(headers, "tus-checksum-algorithm", CHECKSUM_ALGORITHMS);
    if let Ok(AuthUser(user)) = user {
        set(
            headers,
            "tus-max-size",
            &user.max_storage.max(0).to_string(),
        );
    }
    response
}

/// `POST /api/tus`: creates an upload of `Upload-Length` bytes named by the `filename` in
/// `Upload-Metadata`, reserving its quota; a body of type `application/offset+octet-stream`
/// is its first bytes.
pub async fn create(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    headers: HeaderMap,
    body: Body,
) -> TusResult {
    let AuthUser(user) = user?;
    check_version(&headers)?;
    let length = match text(&headers, "upload-length") {
        Some(v) => parse_count(v).ok_or_else(|| bad("Invalid Upload-Length"))?,
        None if headers.contains_key("upload-defer-length") => {
            return Err(bad(
                "Upload-Defer-Length is not supported; send Upload-Length",
            ));
        }
        None => return Err(bad("Upload-Length is required")),
    };
    let metadata = text(&headers, "upload-metadata").unwrap_or_default();
    let raw_name = metadata_filename(metadata).map_err(header_error)?;
    let with_body = is_offset_stream(&headers);
    let body = if with_body {
        Some((body, declared_length(&headers), checksum(&headers)?))
    } else {
        if declared_length(&headers).is_some_and(|n| n > 0) {
            return Err(unsupported_type());
        }
        None
    };
    let resumable = state.resumable.clone();
    let metadata = metadata.to_owned();
    let metrics = state.metrics.clone();
    let created = tokio::spawn(async move {
        let _running = body.is_some().then(|| metrics.resumable_request());
        let body = body.map(|(b, n, c)| (counted(b, &metrics), n, c));
        resumable
            .create(user.id, &raw_name, length, &metadata, body)
            .await
    })
    .await
    .map_err(|e| ApiError::internal("Failed to upload file", e))?;
    let (upload, appended) = created.map_err(|e| tus_error(e, None))?;
    let location = location(&state, &headers, &upload.id);
    let appended = match appended {
        Ok(appended) => appended,
        Err(e) => {
            // The upload exists: say where, so the client can go on from what was stored.
            return Err(tus_error(e, Some(0)).with("location", location));
        }
    };
    let mut response = (
        StatusCode::CREATED,
        Json(json!({
            "message": "Upload created",
            "id": upload.id,
            "offset": appended.offset,
            "file_id": appended.file_id,
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    progress_headers(&state, response.headers_mut(), &upload, appended);
    Ok(response)
}

/// `HEAD /api/tus/{id}`: how many bytes are stored.
pub async fn head(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> TusResult {
    let AuthUser(user) = user?;
    check_version(&headers)?;
    let upload = state
        .resumable
        .status(user.id, &id)
        .await
        .map_err(|e| tus_error(e, None))?;
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    set(out, "upload-length", &upload.length.to_string());
    if !upload.metadata.is_empty() {
        set(out, "upload-metadata", &upload.metadata);
    }
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let appended = Appended {
        offset: upload.offset,
        file_id: upload.file_id,
    };
    progress_headers(&state, out, &upload, appended);
    Ok(response)
}

/// `PATCH /api/tus/{id}`: appends the body at `Upload-Offset`.
pub async fn patch(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> TusResult {
    let AuthUser(user) = user?;
    check_version(&headers)?;
    if !is_offset_stream(&headers) {
        return Err(unsupported_type());
    }
    let offset = text(&headers, "upload-offset")
        .and_then(parse_count)
        .ok_or_else(|| bad("Invalid or missing Upload-Offset"))?;
    let declared = declared_length(&headers);
    let checksum = checksum(&headers)?;
    let resumable = state.resumable.clone();
    let metrics = state.metrics.clone();
    let appended = {
        let id = id.clone();
        // A task of its own, so what arrived is recorded even when the client goes away.
        tokio::spawn(async move {
            let _running = metrics.resumable_request();
            resumable
                .append(
                    user.id,
                    &id,
                    offset,
                    declared,
                    checksum,
                    counted(body, &metrics),
                )
                .await
        })
        .await
        .map_err(|e| ApiError::internal("Failed to upload file", e))?
    };
    let appended = appended.map_err(|e| tus_error(e, Some(offset)))?;
    let upload = state
        .resumable
        .status(user.id, &id)
        .await
        .map_err(|e| tus_error(e, None))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    progress_headers(&state, response.headers_mut(), &upload, appended);
    Ok(response)
}

/// `DELETE /api/tus/{id}`: terminates the upload and releases its reservation.
pub async fn terminate(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> TusResult {
    let AuthUser(user) = user?;
    check_version(&headers)?;
    state
        .resumable
        .terminate(user.id, &id)
        .await
        .map_err(|e| tus_error(e, None))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `Upload-Offset`, `Upload-Expires` (while incomplete) and `Defdrive-File-Id` (once complete).
fn progress_headers(
    state: &AppState,
    headers: &mut HeaderMap,
    upload: &ResumableUpload,
    appended: Appended,
) {
    set(headers, "upload-offset", &appended.offset.to_string());
    match appended.file_id.or(upload.file_id) {
        Some(file_id) => set(headers, FILE_ID_HEADER, &file_id.to_string()),
        None => set(
            headers,
            "upload-expires",
            &state.resumable.expires_at(upload).to_http_date(),
        ),
    }
}

/// The upload's absolute URL: from `HOST_URL` when configured, else from the request's `Host`.
fn location(state: &AppState, headers: &HeaderMap, id: &str) -> String {
    let base = match (
        state.config.host_url_from_request,
        text(headers, HOST.as_str()),
    ) {
        (true, Some(host)) if !host.is_empty() => format!("http://{host}"),
        _ => state.config.host_url.clone(),
    };
    format!("{base}/api/tus/{id}")
}

fn check_version(headers: &HeaderMap) -> Result<(), TusError> {
    if text(headers, "tus-resumable") == Some(TUS_VERSION) {
        return Ok(());
    }
    let error = ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        format!("Unsupported tus version: send Tus-Resumable: {TUS_VERSION}"),
    );
    Err(TusError::from(error).with("tus-version", TUS_VERSION))
}

/// The body's bytes, counted as uploaded as they arrive.
fn counted(
    body: Body,
    metrics: &Arc<Metrics>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + use<> {
    let metrics = metrics.clone();
    body.into_data_stream()
        .inspect_ok(move |chunk| metrics.add_uploaded(chunk.len()))
}

/// Whether the body is `application/offset+octet-stream`; another declared type with a body
/// is refused by the caller.
fn is_offset_stream(headers: &HeaderMap) -> bool {
    text(headers, CONTENT_TYPE.as_str())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(OFFSET_CONTENT_TYPE))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    text(headers, CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok())
}

fn checksum(headers: &HeaderMap) -> Result<Option<[u8; 32]>, TusError> {
    text(headers, "upload-checksum")
        .map(parse_checksum)
        .transpose()
        .map_err(header_error)
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn parse_count(value: &str) -> Option<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0 && value.bytes().all(|b| b.is_ascii_digit()))
}

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

fn bad(message: &str) -> TusError {
    ApiError::bad_request(message).into()
}

fn unsupported_type() -> TusError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("Content-Type must be {OFFSET_CONTENT_TYPE}"),
    )
    .into()
}

fn header_error(error: HeaderError) -> TusError {
    bad(&error.to_string())
}

fn tus_error(error: ResumableError, offset: Option<i64>) -> TusError {
    let mut extra_offset = None;
    let api = match error {
        ResumableError::InvalidName => ApiError::bad_request("Invalid file name"),
        ResumableError::NameTaken => {
            ApiError::conflict("A file with this name already exists in your folder")
        }
        ResumableError::Quota(q) => ApiError::quota(&q),
        ResumableError::NoSuchUser => ApiError::invalid_token(),
        ResumableError::NotFound => ApiError::not_found("Upload not found"),
        ResumableError::OffsetMismatch { expected } => {
            extra_offset = Some(expected);
            ApiError::conflict(format!(
                "Upload-Offset {} does not match the upload's offset {expected}",
                offset.unwrap_or_default()
            ))
        }
        ResumableError::Busy => ApiError::new(
            StatusCode::LOCKED,
            "Another request is writing to this upload; try again",
        ),
        ResumableError::PastLength => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request goes past the upload's Upload-Length",
        ),
        ResumableError::ChecksumMismatch => ApiError::new(
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            "Checksum mismatch",
        ),
        ResumableError::Interrupted { offset, reason } => {
            extra_offset = Some(offset);
            ApiError::bad_request(format!("Upload interrupted: {reason}"))
        }
        ResumableError::Abandoned => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "Upload abandoned: no progress for longer than the server allows",
        ),
        other @ (ResumableError::Repo(_) | ResumableError::Store(_)) => {
            ApiError::internal("Failed to upload file", other)
        }
    };
    let error = TusError::from(api);
    match extra_offset {
        Some(offset) => error.with("upload-offset", offset.to_string()),
        None => error,
    }
}
