//! The token signing secret: `JWT_SECRET`, or one generated once (256 random bits) and kept
//! in `DATA_PATH/jwt_secret` with mode 0600 so tokens survive restarts.

use anyhow::{Context, bail};
use defdrive_core::token::Secret;
use rand::RngCore;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const FILE_NAME: &str = "jwt_secret";

pub fn load(configured: Option<&str>, data_path: &Path) -> anyhow::Result<Secret> {
    if let Some(secret) = configured {
        return Secret::new(secret.as_bytes().to_vec()).context("invalid JWT_SECRET");
    }
    let path = data_path.join(FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = text.trim();
            if text.is_empty() {
                bail!(
                    "{} is empty; remove it to have a new secret generated",
                    path.display()
                );
            }
            return Secret::new(text.as_bytes().to_vec())
                .with_context(|| format!("the secret in {} is too short", path.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(data_path)
        .with_context(|| format!("cannot create {}", data_path.display()))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = hex::encode(bytes);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new token signing secret");
    Secret::new(text.into_bytes()).context("generated secret")
}
