//! The command-line client: `login`, `logout`, `signup`, `ls`, `upload`, `download`, `rm`,
//! `public`, `share`, `links`, `unshare`, `stats`, `limits`. Talks to a defdrive server over
//! HTTP; errors print as one line `error: …` and exit with status 1.

mod api;
mod config;
mod download;
mod output;
mod upload;

use anyhow::{Context, anyhow, bail};
use api::Api;
use clap::{Subcommand, ValueEnum};
use serde_json::{Value, json};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Log in to a server and keep the token in your config folder (mode 0600).
    Login {
        /// Your username.
        username: String,
        /// The server (default: DEFDRIVE_URL, then the last login, then http://127.0.0.1:8080).
        #[arg(long)]
        url: Option<String>,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Forget the stored login.
    Logout,
    /// Create an account on a server, then log in.
    Signup {
        username: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List your files.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Upload files (resumable: run the same command again after an interruption).
    Upload {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Bytes per request (default: the whole file in one request, resumed where it broke off).
        #[arg(long, value_parser = parse_size)]
        chunk_size: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Download a file by ID, or a share link (URL or token); a partial file is continued.
    Download {
        /// A file ID, a share link URL (…/link/<token>) or a link token.
        target: String,
        /// Where to write (a file, or a folder); default: the file's name in this folder.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Delete a file (and its share links).
    Rm { id: i64 },
    /// Make a file public (its share links work) or private.
    Public { id: i64, state: OnOff },
    /// Create a share link for a file and print it.
    Share {
        id: i64,
        /// A label for the link.
        #[arg(long, default_value = "")]
        name: String,
        /// When the link stops working: a duration (24h, 7d) or an RFC 3339 time.
        #[arg(long)]
        expires: Option<String>,
        /// The link works for one download.
        #[arg(long)]
        once: bool,
        /// The link works for N downloads.
        #[arg(long, value_name = "N")]
        max_downloads: Option<i64>,
        /// Only this address may download (repeatable).
        #[arg(long = "allow-ip", value_name = "IP")]
        allow_ip: Vec<String>,
        /// Only addresses in this network may download (repeatable).
        #[arg(long = "allow-subnet", value_name = "CIDR")]
        allow_subnet: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List a file's share links.
    Links {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Delete a share link.
    Unshare { access_id: i64 },
    /// Your storage by file type.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Your quota and usage.
    Limits {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// Runs a client command; prints `error: …` and fails on any error.
pub fn run(command: ClientCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {text}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Login {
            username,
            url,
            password_stdin,
        } => login(&username, url, password_stdin).await,
        ClientCommand::Logout => {
            if config::remove_login()? {
                println!("Logged out");
            } else {
                println!("Not logged in");
            }
            Ok(())
        }
        ClientCommand::Signup {
            username,
            url,
            email,
            name,
            password_stdin,
        } => {
            let api = Api::new(session_for(url)?)?;
            let password = password(password_stdin, true)?;
            api.signup(&username, &password, &email, &name).await?;
            let token = token_of(&api.login(&username, &password).await?)?;
            config::save_login(&config::Login {
                url: api.url.clone(),
                username: username.clone(),
                token,
            })?;
            println!("Signed up and logged in to {} as {username}", api.url);
            Ok(())
        }
        ClientCommand::Ls { json } => {
            let files = api()?.files().await?;
            if json {
                output::json(&Value::Array(files));
            } else {
                let rows: Vec<Vec<String>> = files
                    .iter()
                    .map(|f| {
                        vec![
                            output::cell(&f["ID"]),
                            output::cell(&f["Name"]),
                            output::size(&f["Size"]),
                            if f["Public"] == true {
                                "public"
                            } else {
                                "private"
                            }
                            .to_owned(),
                            output::cell(&f["CreatedAt"]).chars().take(19).collect(),
                            output::cell(&f["Hash"]).chars().take(12).collect(),
                        ]
                    })
                    .collect();
                output::table(
                    &["ID", "NAME", "SIZE", "ACCESS", "CREATED", "SHA-256"],
                    &rows,
                );
            }
            Ok(())
        }
        ClientCommand::Upload {
            files,
            chunk_size,
            json,
        } => {
            let api = api()?;
            let options = upload::Options { chunk_size };
            let mut stored = Vec::new();
            let mut failed = 0;
            for path in &files {
                // One refused file does not stop the others; each error names its file.
                let file = match upload::upload(&api, path, options).await {
                    Ok(file) => file,
                    Err(e) if files.len() > 1 => {
                        let text = format!("{e:#}").replace('\n', " ");
                        eprintln!("error: {}: {text}", path.display());
                        failed += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if !json {
                    println!(
                        "Uploaded {} (ID {}, {}, sha256 {})",
                        output::cell(&file["Name"]),
                        file["ID"],
                        output::size(&file["Size"]),
                        output::cell(&file["Hash"])
                    );
                }
                stored.push(file);
            }
            if json {
                output::json(&Value::Array(stored));
            }
            if failed > 0 {
                bail!("{failed} of {} files were not uploaded", files.len());
            }
            Ok(())
        }
        ClientCommand::Download { target, output } => {
            let api = api()?;
            let path = download::download(&api, &target, output.as_deref()).await?;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!("Saved {} ({})", path.display(), output::size(&json!(size)));
            Ok(())
        }
        ClientCommand::Rm { id } => {
            api()?.delete_file(id).await?;
            println!("Deleted file {id}");
            Ok(())
        }
        ClientCommand::Public { id, state } => {
            let public = matches!(state, OnOff::On);
            api()?.set_public(id, public).await?;
            println!(
                "File {id} is {}",
                if public {
                    "public: its share links work"
                } else {
                    "private: its share links are off"
                }
            );
            Ok(())
        }
        ClientCommand::Share {
            id,
            name,
            expires,
            once,
            max_downloads,
            allow_ip,
            allow_subnet,
            json,
        } => {
            let api = api()?;
            let expires = match expires {
                Some(text) => expires_at(&text)?,
                None => String::new(),
            };
            if max_downloads.is_some_and(|n| n < 1) {
                bail!("--max-downloads must be at least 1");
            }
            let rules = json!({
                "name": name,
                "public": true,
                "expires": expires,
                "oneTimeUse": once,
                "enableTTL": max_downloads.is_some(),
                "ttl": max_downloads.unwrap_or(0),
                "ips": allow_ip,
                "subnets": allow_subnet,
            });
            let reply = api.create_access(id, rules).await?;
            if json {
                output::json(&reply);
            } else {
                println!("{}", output::cell(&reply["link"]));
            }
            if let Ok(file) = api.file(id).await
                && file["Public"] != true
            {
                eprintln!(
                    "note: file {id} is private; the link works once you run `defdrive public {id} on`"
                );
            }
            Ok(())
        }
        ClientCommand::Links { id, json } => {
            let api = api()?;
            let reply = api.accesses(id).await?;
            if json {
                output::json(&reply["accesses"]);
            } else {
                let rows: Vec<Vec<String>> = reply["accesses"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|a| {
                        vec![
                            output::cell(&a["ID"]),
                            output::cell(&a["Name"]),
                            format!("{}/link/{}", api.url, output::cell(&a["Link"])),
                            match output::cell(&a["Expires"]) {
                                e if e.is_empty() => "never".to_owned(),
                                e => e,
                            },
                            rules_text(a),
                        ]
                    })
                    .collect();
                output::table(&["ID", "NAME", "LINK", "EXPIRES", "RULES"], &rows);
            }
            Ok(())
        }
        ClientCommand::Unshare { access_id } => {
            api()?.delete_access(access_id).await?;
            println!("Deleted share link {access_id}");
            Ok(())
        }
        ClientCommand::Stats { json } => {
            let stats = api()?.stats().await?;
            if json {
                output::json(&stats);
            } else {
                let total = stats["total_storage"].as_i64().unwrap_or(0);
                println!(
                    "{} files, {}",
                    output::cell(&stats["file_count"]),
                    output::size(&stats["total_storage"])
                );
                let rows: Vec<Vec<String>> = stats["file_types"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| {
                        vec![
                            output::cell(&t["extension"]),
                            output::cell(&t["count"]),
                            output::size(&t["total_size"]),
                            output::share_bar(t["total_size"].as_i64().unwrap_or(0), total, 30),
                        ]
                    })
                    .collect();
                output::table(&["TYPE", "FILES", "SIZE", "SHARE"], &rows);
            }
            Ok(())
        }
        ClientCommand::Limits { json } => {
            let limits = api()?.limits().await?;
            if json {
                output::json(&limits);
            } else {
                output::table(
                    &["", "USED", "LIMIT", "LEFT"],
                    &[
                        vec![
                            "files".into(),
                            output::cell(&limits["current_files"]),
                            output::cell(&limits["max_files"]),
                            output::cell(&limits["remaining_files"]),
                        ],
                        vec![
                            "storage".into(),
                            output::size(&limits["current_storage"]),
                            output::size(&limits["max_storage"]),
                            output::size(&limits["remaining_storage"]),
                        ],
                    ],
                );
            }
            Ok(())
        }
    }
}

fn api() -> anyhow::Result<Api> {
    Api::new(config::session()?)
}

/// The session for `login`/`signup`: `--url` wins over the environment and the last login.
fn session_for(url: Option<String>) -> anyhow::Result<config::Session> {
    let mut session = config::session()?;
    if let Some(url) = url {
        session.url = config::clean_url(&url);
    }
    if !(session.url.starts_with("http://") || session.url.starts_with("https://")) {
        bail!(
            "the server URL must start with http:// or https://, got {:?}",
            session.url
        );
    }
    session.token = None;
    Ok(session)
}

async fn login(username: &str, url: Option<String>, password_stdin: bool) -> anyhow::Result<()> {
    let api = Api::new(session_for(url)?)?;
    let password = password(password_stdin, false)?;
    let token = token_of(&api.login(username, &password).await?)?;
    let path = config::save_login(&config::Login {
        url: api.url.clone(),
        username: username.to_owned(),
        token,
    })?;
    println!(
        "Logged in to {} as {username} (token kept in {})",
        api.url,
        path.display()
    );
    Ok(())
}

fn token_of(reply: &Value) -> anyhow::Result<String> {
    reply["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the server's login reply has no token"))
}

/// The password: prompted without echo on a terminal, else the first line of stdin.
fn password(from_stdin: bool, confirm: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        if confirm {
            let again = rpassword::prompt_password("Password again: ")
                .context("cannot read the password")?;
            if again != first {
                bail!("the passwords differ");
            }
        }
        first
    };
    if password.is_empty() {
        bail!("no password given");
    }
    Ok(password)
}

/// `--expires`: a duration from now (`24h`, `7d`) or an RFC 3339 time, as RFC 3339.
fn expires_at(text: &str) -> anyhow::Result<String> {
    use defdrive_core::timestamp::Timestamp;
    if let Some(at) = Timestamp::parse_rfc3339(text) {
        return Ok(at.to_string());
    }
    let duration = humantime::parse_duration(text).map_err(|_| {
        anyhow!(
            "--expires: expected a duration such as 24h or 7d, or an RFC 3339 time, got {text:?}"
        )
    })?;
    let secs = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    Ok(Timestamp::now().plus_secs(secs).to_string())
}

/// `1048576`, `64KiB`, `8MiB`, `1GiB` (also `k`, `M`, `G` as powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("not a size: {text:?}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit in {text:?} (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("size out of range: {text:?}"))
}

/// A link's rules in a few words.
fn rules_text(access: &Value) -> String {
    let mut rules = Vec::new();
    if access["Public"] != true {
        rules.push("off".to_owned());
    }
    if access["OneTimeUse"] == true {
        rules.push(
            if access["Used"] == true {
                "once (used)"
            } else {
                "once"
            }
            .to_owned(),
        );
    }
    if access["EnableTTL"] == true {
        rules.push(format!("{} downloads left", access["TTL"]));
    }
    for list in ["IPs", "Subnets"] {
        if let Some(items) = access[list].as_array().filter(|a| !a.is_empty()) {
            let items: Vec<String> = items.iter().map(output::cell).collect();
            rules.push(format!("from {}", items.join(", ")));
        }
    }
    if rules.is_empty() {
        "anyone".to_owned()
    } else {
        rules.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5XB").is_err());
    }

    #[test]
    fn expiry() {
        assert_eq!(
            expires_at("2027-01-01T00:00:00Z").unwrap(),
            "2027-01-01T00:00:00.000000Z"
        );
        assert!(expires_at("7d").unwrap().ends_with('Z'));
        assert!(expires_at("soon").is_err());
    }
}
