//! `defdrive upload`: each file through the server's tus endpoint, with a progress bar. The
//! upload's URL is remembered per (server, path, size, mtime), so running the same command
//! after an interruption asks the server how far it got and sends only the rest. The local
//! SHA-256 is compared with the server's at the end.

use super::api::{Api, refusal};
use super::config::{self, upload_key};
use super::output::Progress;
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");
const READ_CHUNK: usize = 1 << 20;
/// Retries after a dropped connection (with these pauses), before giving up.
const RETRY_PAUSES: [u64; 4] = [1, 2, 4, 8];
/// Seconds to wait for an upload another request is still writing to.
const MAX_BUSY: u32 = 60;

/// How an upload is sent.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Bytes per PATCH; `None`: everything left in one request.
    pub chunk_size: Option<u64>,
}

/// Uploads `path`; returns the stored file (as `GET /api/files` shows it).
pub async fn upload(api: &Api, path: &Path, options: Options) -> anyhow::Result<Value> {
    api.token()?;
    let absolute = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    let meta = tokio::fs::metadata(&absolute)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", path.display());
    }
    let size = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow!("{} has no file name", path.display()))?;
    let key = upload_key(&api.url, &absolute, size, mtime);

    let (url, mut offset, mut file_id) = match resume(api, &key).await? {
        Some(found) => found,
        None => {
            let (url, offset, file_id) = create(api, &name, size).await?;
            config::set_unfinished_upload(&key, Some(&url))?;
            (url, offset, file_id)
        }
    };
    let progress = Progress::bar(&name, size);
    let mut hasher = Sha256::new();
    let mut file = tokio::fs::File::open(&absolute)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    hash_prefix(&mut file, offset, &mut hasher, &progress).await?;
    progress.set_position(offset);

    let (mut attempt, mut busy) = (0, 0);
    while file_id.is_none() {
        let chunk = options
            .chunk_size
            .map_or(size - offset, |c| c.min(size - offset));
        match patch(api, &url, &mut file, offset, chunk, &mut hasher, &progress).await {
            Ok(Patched::Stored {
                offset: now,
                file: done,
            }) => {
                if now != offset + chunk {
                    rehash(&mut file, now, &mut hasher, &progress).await?;
                }
                offset = now;
                file_id = done;
                attempt = 0;
                continue;
            }
            Ok(Patched::Busy) if busy < MAX_BUSY => {
                busy += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(Patched::Busy) => {
                progress.abandon();
                bail!("{name}: the server kept the upload busy; try again later");
            }
            Err(e) if attempt < RETRY_PAUSES.len() && e.downcast_ref::<Dropped>().is_some() => {
                progress.note(&format!("connection lost ({e:#}); retrying"));
                tokio::time::sleep(Duration::from_secs(RETRY_PAUSES[attempt])).await;
                attempt += 1;
            }
            Err(e) => {
                progress.abandon();
                return Err(e.context(format!(
                    "{name}: stopped at {offset} of {size} bytes; run the same command again to continue"
                )));
            }
        }
        // Where the server really is (after a drop or a busy answer).
        let (now, done) = head(api, &url).await?.ok_or_else(|| {
            anyhow!("the upload is gone from the server; run the command again to start over")
        })?;
        if now != offset {
            rehash(&mut file, now, &mut hasher, &progress).await?;
            offset = now;
        }
        progress.set_position(offset);
        file_id = done;
    }
    progress.finish();
    config::set_unfinished_upload(&key, None)?;
    let Some(id) = file_id else {
        bail!("the server did not say which file the upload became");
    };
    let stored = api.file(id).await?;
    let local = hex::encode(hasher.finalize());
    if stored["Hash"].as_str() != Some(local.as_str()) {
        bail!(
            "{name}: the server's SHA-256 {} differs from the local file's {local}",
            stored["Hash"]
        );
    }
    Ok(stored)
}

/// Starts the hash over, up to the server's offset `len`.
async fn rehash(
    file: &mut tokio::fs::File,
    len: u64,
    hasher: &mut Sha256,
    progress: &Progress,
) -> anyhow::Result<()> {
    *hasher = Sha256::new();
    hash_prefix(file, len, hasher, progress).await
}

/// The stored upload of this file, if the server still has it: (URL, offset, file id).
async fn resume(api: &Api, key: &str) -> anyhow::Result<Option<(String, u64, Option<i64>)>> {
    let Some(url) = config::unfinished_upload(key)? else {
        return Ok(None);
    };
    match head(api, &url).await? {
        Some((offset, file_id)) => Ok(Some((url, offset, file_id))),
        None => {
            config::set_unfinished_upload(key, None)?;
            Ok(None)
        }
    }
}

/// `HEAD` of an upload: its offset and, once complete, its file; `None` when it is gone.
async fn head(api: &Api, url: &str) -> anyhow::Result<Option<(u64, Option<i64>)>> {
    let response = api
        .request(Method::HEAD, url)
        .header(TUS.0, TUS.1)
        .send()
        .await
        .map_err(|e| api.unreachable(e))?;
    match response.status() {
        StatusCode::OK => Ok(Some((
            number(&response, "upload-offset")?,
            file_id(&response),
        ))),
        StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
        status => bail!("the server answered {status} about the upload"),
    }
}

/// Creates the upload: (URL, offset, file id of an empty file).
async fn create(api: &Api, name: &str, size: u64) -> anyhow::Result<(String, u64, Option<i64>)> {
    let metadata = format!("filename {}", STANDARD.encode(name));
    let builder = api
        .request(Method::POST, "/api/tus")
        .header(TUS.0, TUS.1)
        .header("Upload-Length", size.to_string())
        .header("Upload-Metadata", metadata);
    let response = api.send(builder).await?;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow!("the server did not say where the upload is"))?;
    let url = reqwest::Url::parse(&api.url)
        .and_then(|base| base.join(location))
        .context("the upload's Location is not a URL")?
        .to_string();
    Ok((url, 0, file_id(&response)))
}

enum Patched {
    Stored {
        offset: u64,
        file: Option<i64>,
    },
    /// Another request is still writing (for instance the one that just broke off).
    Busy,
}

/// A request that broke off (worth a retry).
#[derive(Debug)]
struct Dropped(String);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Dropped {}

/// Sends `len` bytes from `offset` in one PATCH, counting them on the way; `hasher` (which
/// has seen the first `offset` bytes) sees them too. When the server stored fewer bytes
/// than were sent, the caller re-hashes up to the server's offset.
async fn patch(
    api: &Api,
    url: &str,
    file: &mut tokio::fs::File,
    offset: u64,
    len: u64,
    hasher: &mut Sha256,
    progress: &Progress,
) -> anyhow::Result<Patched> {
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let reader = file.try_clone().await?.take(len);
    let shared = Arc::new(Mutex::new(hasher.clone()));
    let (bar, seen) = (progress.clone(), shared.clone());
    let body = ReaderStream::with_capacity(reader, READ_CHUNK).map(move |chunk| {
        if let Ok(chunk) = &chunk {
            bar.inc(chunk.len() as u64);
            seen.lock().unwrap_or_else(|e| e.into_inner()).update(chunk);
        }
        chunk
    });
    let request = api
        .request(Method::PATCH, url)
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", len.to_string())
        .body(reqwest::Body::wrap_stream(body));
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            progress.set_position(offset);
            return Err(Dropped(api.unreachable(e).to_string()).into());
        }
    };
    match response.status() {
        StatusCode::NO_CONTENT | StatusCode::OK => {
            let now = number(&response, "upload-offset")?;
            if now == offset + len {
                *hasher = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
            }
            progress.set_position(now);
            Ok(Patched::Stored {
                offset: now,
                file: file_id(&response),
            })
        }
        // Busy, or the offset moved (409 with the right Upload-Offset): ask where it is.
        StatusCode::LOCKED => {
            progress.set_position(offset);
            Ok(Patched::Busy)
        }
        StatusCode::CONFLICT if response.headers().contains_key("upload-offset") => {
            progress.set_position(offset);
            Ok(Patched::Busy)
        }
        _ => Err(refusal(response).await),
    }
}

/// Hashes the first `len` bytes of `file` (what the server already has).
async fn hash_prefix(
    file: &mut tokio::fs::File,
    len: u64,
    hasher: &mut Sha256,
    progress: &Progress,
) -> anyhow::Result<()> {
    if len == 0 {
        return Ok(());
    }
    progress.note("checking the part already uploaded");
    file.seek(std::io::SeekFrom::Start(0)).await?;
    let mut reader = file.take(len);
    let mut buffer = vec![0; READ_CHUNK];
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(())
}

fn number(response: &Response, name: &str) -> anyhow::Result<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("the server's reply lacks {name}"))
}

fn file_id(response: &Response) -> Option<i64> {
    response
        .headers()
        .get("defdrive-file-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}
