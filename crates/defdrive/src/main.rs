//! The `defdrive` binary: `serve` (the default) runs the server; `admin grant|revoke`
//! works on the configured database directly; the other subcommands are the command-line
//! client (`login`, `upload`, `download`, `share`, …) of a server over HTTP.

mod admin;
mod client;
mod config;
mod secret;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// defdrive: self-hosted file storage and sharing with quotas and share links.
///
/// Configuration comes from the environment and from a `.env` file in the working folder:
/// DATA_PATH (./data), DATABASE_URL (sqlite://$DATA_PATH/defdrive.db or postgres://…),
/// STORAGE_URL (file://$DATA_PATH/blobs, or s3://bucket/prefix with AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT, AWS_ALLOW_HTTP), BIND (127.0.0.1), PORT (8080), HOST_URL,
/// JWT_SECRET (generated and kept in DATA_PATH when unset), TOKEN_TTL (72h),
/// TRUSTED_PROXIES, ALLOW_SIGNUP (true), DEFAULT_MAX_FILES (100),
/// DEFAULT_MAX_STORAGE (1073741824), CORS_ORIGINS (*), UPLOAD_STALE_AFTER (10m),
/// TUS_EXPIRE_AFTER (24h),
/// LOGIN_MAX_FAILURES (10), LOGIN_WINDOW (15m), SHUTDOWN_GRACE (30s), METRICS_ADDR.
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (what runs with no subcommand).
    Serve,
    /// Manage admins, on the configured database (same environment as `serve`).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    #[command(flatten)]
    Client(client::ClientCommand),
}

#[derive(Subcommand)]
enum AdminAction {
    /// Make USERNAME an admin.
    Grant { username: String },
    /// Make USERNAME an ordinary user again.
    Revoke { username: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = load_dotenv() {
        eprintln!("defdrive: {e}");
        return ExitCode::FAILURE;
    }
    let command = match cli.command {
        Some(Command::Client(command)) => return client::run(command),
        other => other.unwrap_or(Command::Serve),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match config::Config::from_lookup(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("defdrive: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("defdrive: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve | Command::Client(_) => serve::run(config).await,
            Command::Admin { action } => match action {
                AdminAction::Grant { username } => admin::set_admin(&config, &username, true).await,
                AdminAction::Revoke { username } => {
                    admin::set_admin(&config, &username, false).await
                }
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("defdrive: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads `.env` from the working folder when there is one.
fn load_dotenv() -> anyhow::Result<()> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot read .env: {e}")),
    }
}
