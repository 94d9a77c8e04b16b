//! `defdrive download ID|LINK`: the owner's download of a file, or a share link (a URL
//! with `/link/<token>`, or the bare token), with a progress bar. Bytes go to `PATH.part`
//! first; running the command again continues a partial file with `Range` (and `If-Range`,
//! so a changed file starts over). The SHA-256 is checked against the file's `ETag`.

use super::api::{Api, refusal};
use super::output::Progress;
use anyhow::{Context, anyhow, bail};
use futures_util::StreamExt;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, ETAG, IF_RANGE, RANGE};
use reqwest::{Method, Response, StatusCode};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What is downloaded: where from, and whether it needs the token.
struct Source {
    url: String,
    authenticated: bool,
}

/// Downloads `target` to `output` (a file, or a folder to put it in; the working folder by
/// default) and returns the path written.
pub async fn download(api: &Api, target: &str, output: Option<&Path>) -> anyhow::Result<PathBuf> {
    let source = source(api, target)?;
    if source.authenticated {
        api.token()?;
    }
    // HEAD first: the name, size and ETag (a link's HEAD uses none of its downloads).
    let head = request(api, &source, Method::HEAD)
        .send()
        .await
        .map_err(|e| api.unreachable(e))?;
    if !head.status().is_success() {
        // HEAD has no body: ask again with GET for the server's message (a refused
        // request uses nothing).
        let response = request(api, &source, Method::GET)
            .send()
            .await
            .map_err(|e| api.unreachable(e))?;
        return Err(refusal(response).await);
    }
    let name = file_name(&head).unwrap_or_else(|| "download".to_owned());
    let size = header(&head, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
    let etag = header(&head, ETAG.as_str());
    let path = output_path(output, &name).await?;
    let part = part_path(&path);
    let have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);

    let mut hasher = Sha256::new();
    let progress = Progress::bar(&name, size.unwrap_or(0));
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&part)
        .await
        .with_context(|| format!("cannot write {}", part.display()))?;
    let mut written = have;
    let complete_already = size.is_some_and(|s| have == s && have > 0);
    if !complete_already {
        let mut get = request(api, &source, Method::GET);
        if have > 0 {
            get = get.header(RANGE, format!("bytes={have}-"));
            if let Some(etag) = &etag {
                get = get.header(IF_RANGE, etag);
            }
        }
        let response = get.send().await.map_err(|e| api.unreachable(e))?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {}
            StatusCode::OK => {
                // The whole file (no partial copy, or it changed): start over.
                file.set_len(0).await?;
                written = 0;
            }
            _ => return Err(refusal(response).await),
        }
        if written > 0 {
            hash_file(&part, written, &mut hasher).await?;
        }
        progress.set_position(written);
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                progress.abandon();
                anyhow!(
                    "the download broke off at {written} bytes ({}); run the same command again to continue",
                    super::api::error_chain(&e)
                )
            })?;
            file.write_all(&chunk)
                .await
                .with_context(|| format!("cannot write {}", part.display()))?;
            hasher.update(&chunk);
            written += chunk.len() as u64;
            progress.inc(chunk.len() as u64);
        }
    } else {
        hash_file(&part, written, &mut hasher).await?;
    }
    file.sync_all().await?;
    drop(file);
    progress.finish();
    if let Some(size) = size
        && written != size
    {
        bail!(
            "the download ended at {written} of {size} bytes; run the same command again to continue"
        );
    }
    let local = hex::encode(hasher.finalize());
    if let Some(expected) = etag.as_deref().map(|e| e.trim_matches('"'))
        && expected.len() == 64
        && expected != local
    {
        tokio::fs::remove_file(&part).await.ok();
        bail!("the downloaded bytes do not match the file's SHA-256; removed them, try again");
    }
    tokio::fs::rename(&part, &path)
        .await
        .with_context(|| format!("cannot move {} to {}", part.display(), path.display()))?;
    Ok(path)
}

fn source(api: &Api, target: &str) -> anyhow::Result<Source> {
    let target = target.trim();
    if let Ok(id) = target.parse::<i64>() {
        if id <= 0 {
            bail!("Invalid file ID");
        }
        return Ok(Source {
            url: format!("{}/api/files/{id}/download", api.url),
            authenticated: true,
        });
    }
    if target.starts_with("http://") || target.starts_with("https://") {
        if !target.contains("/link/") {
            bail!("{target} is not a share link (…/link/<token>)");
        }
        return Ok(Source {
            url: target.to_owned(),
            authenticated: false,
        });
    }
    if target.len() == 32 && target.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Source {
            url: format!("{}/link/{target}", api.url),
            authenticated: false,
        });
    }
    bail!("expected a file ID, a share link or a link token, got {target:?}")
}

fn request(api: &Api, source: &Source, method: Method) -> reqwest::RequestBuilder {
    if source.authenticated {
        api.request(method, &source.url)
    } else {
        api.http.request(method, &source.url)
    }
}

/// Where the file goes: into `output` when it is a folder or ends with `/` (created when
/// missing), else `output` itself, else `name` in the working folder.
async fn output_path(output: Option<&Path>, name: &str) -> anyhow::Result<PathBuf> {
    let Some(output) = output else {
        return Ok(PathBuf::from(name));
    };
    let folder = output.is_dir() || output.as_os_str().to_string_lossy().ends_with('/');
    if folder {
        tokio::fs::create_dir_all(output)
            .await
            .with_context(|| format!("cannot create the folder {}", output.display()))?;
        return Ok(output.join(name));
    }
    match output.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) if !parent.is_dir() => {
            bail!("there is no folder {} to write into", parent.display())
        }
        _ => Ok(output.to_owned()),
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

async fn hash_file(path: &Path, len: u64, hasher: &mut Sha256) -> anyhow::Result<()> {
    let mut reader = tokio::fs::File::open(path).await?.take(len);
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..n]);
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The name from `Content-Disposition` (`filename*=UTF-8''…` first), reduced to its last
/// component so a server cannot make the client write elsewhere.
fn file_name(response: &Response) -> Option<String> {
    let header = header(response, CONTENT_DISPOSITION.as_str())?;
    let extended = header.split(';').find_map(|p| {
        p.trim()
            .strip_prefix("filename*=")
            .and_then(|v| {
                v.strip_prefix("UTF-8''")
                    .or_else(|| v.strip_prefix("utf-8''"))
            })
            .and_then(percent_decode)
    });
    let plain = || {
        header.split(';').find_map(|p| {
            p.trim()
                .strip_prefix("filename=")
                .map(|v| v.trim_matches('"').to_owned())
        })
    };
    let name = extended.or_else(plain)?;
    let last = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned();
    (!last.is_empty() && last != "." && last != ".." && !last.chars().any(char::is_control))
        .then_some(last)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_names() {
        assert_eq!(
            percent_decode("r%C3%A9sum%C3%A9.pdf").as_deref(),
            Some("résumé.pdf")
        );
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(
            part_path(Path::new("/tmp/a.iso")),
            PathBuf::from("/tmp/a.iso.part")
        );
    }
}
