//! Where the client keeps its state, in the user's config folder (`$XDG_CONFIG_HOME/defdrive`
//! or `~/.config/defdrive`): the login (server URL, username, token; mode 0600) and the
//! URLs of unfinished uploads, so running `upload` again continues them. `DEFDRIVE_URL` and
//! `DEFDRIVE_TOKEN` override the stored login.

use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The server used when neither a login nor `DEFDRIVE_URL` names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub url: String,
    pub username: String,
    pub token: String,
}

/// The server and token a command uses.
#[derive(Debug, Clone)]
pub struct Session {
    pub url: String,
    pub token: Option<String>,
}

fn folder() -> anyhow::Result<PathBuf> {
    let base = dirs::config_dir()
        .ok_or_else(|| anyhow!("cannot tell where the config folder is (set XDG_CONFIG_HOME)"))?;
    Ok(base.join("defdrive"))
}

fn login_path() -> anyhow::Result<PathBuf> {
    Ok(folder()?.join("login.json"))
}

fn uploads_path() -> anyhow::Result<PathBuf> {
    Ok(folder()?.join("uploads.json"))
}

/// A server URL without its trailing slash.
pub fn clean_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

pub fn load_login() -> anyhow::Result<Option<Login>> {
    let path = login_path()?;
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("cannot read {}; run `defdrive login` again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Stores the login, readable by the user only.
pub fn save_login(login: &Login) -> anyhow::Result<PathBuf> {
    let path = login_path()?;
    write_private(&path, &serde_json::to_vec_pretty(login)?)?;
    Ok(path)
}

/// Forgets the login; `false` when there was none.
pub fn remove_login() -> anyhow::Result<bool> {
    let path = login_path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// The server and token: `DEFDRIVE_URL` / `DEFDRIVE_TOKEN` first, then the stored login.
pub fn session() -> anyhow::Result<Session> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let login = load_login()?;
    let url = env("DEFDRIVE_URL")
        .or_else(|| login.as_ref().map(|l| l.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let token = env("DEFDRIVE_TOKEN").or_else(|| {
        login
            .as_ref()
            .filter(|l| env("DEFDRIVE_URL").is_none_or(|u| clean_url(&u) == l.url))
            .map(|l| l.token.clone())
    });
    Ok(Session {
        url: clean_url(&url),
        token,
    })
}

/// Writes `bytes` to `path` with mode 0600 (replacing it atomically), creating the folder.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| anyhow!("no folder for {}", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Which local file an unfinished upload is of: server, absolute path, size and mtime.
pub fn upload_key(server: &str, path: &Path, size: u64, mtime: u64) -> String {
    format!("{server}|{}|{size}|{mtime}", path.display())
}

fn load_uploads() -> anyhow::Result<BTreeMap<String, String>> {
    let path = uploads_path()?;
    match std::fs::read(&path) {
        // A damaged file only loses the chance to resume.
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_default()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The upload URL stored for `key`.
pub fn unfinished_upload(key: &str) -> anyhow::Result<Option<String>> {
    Ok(load_uploads()?.get(key).cloned())
}

/// Remembers (`Some`) or forgets (`None`) the upload URL for `key`.
pub fn set_unfinished_upload(key: &str, url: Option<&str>) -> anyhow::Result<()> {
    let mut uploads = load_uploads()?;
    match url {
        Some(url) => uploads.insert(key.to_owned(), url.to_owned()),
        None => uploads.remove(key),
    };
    write_private(&uploads_path()?, &serde_json::to_vec_pretty(&uploads)?)
}
