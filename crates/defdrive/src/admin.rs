//! `defdrive admin grant|revoke USERNAME`: the admin flag, set on the database directly.

use crate::config::Config;
use anyhow::{Context, bail};
use defdrive_core::repo::Repo;
use defdrive_db::SqlRepo;

pub async fn set_admin(config: &Config, username: &str, admin: bool) -> anyhow::Result<()> {
    let repo = SqlRepo::connect_existing(&config.database_url)
        .await
        .context("cannot open the database")?;
    let changed = repo.set_admin(username, admin).await;
    repo.close().await;
    match changed.context("cannot update the user")? {
        Some(user) if admin => println!("{} is now an admin", user.username),
        Some(user) => println!("{} is no longer an admin", user.username),
        None => bail!("no user named {username:?}"),
    }
    Ok(())
}
