//! A real `defdrive` process for the UI tests: port 0, its own data folder and SQLite file.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// The secret the server signs tokens with, so tests can forge tokens.
pub const JWT_SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-0123456789";

pub struct Server {
    child: Child,
    pub url: String,
    data: TempDir,
    env: Vec<(String, String)>,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with extra environment variables.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().expect("data folder");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let log = std::fs::File::create(data.path().join("server.log")).expect("server log");
        let mut child = command(&data, &env)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn defdrive");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("defdrive listening on ") {
                    let _ = tx.send(url.to_owned());
                    break;
                }
            }
            for _ in lines {}
        });
        let mut server = Self {
            child,
            url: String::new(),
            data,
            env,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => server.url = url,
            Err(_) => panic!("defdrive did not start; log:\n{}", server.log()),
        }
        server
    }

    /// What the server wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    pub fn data_path(&self) -> PathBuf {
        self.data.path().join("data")
    }

    /// Makes `username` an admin with `defdrive admin grant`, as an operator would.
    pub fn grant_admin(&self, username: &str) {
        let out = command(&self.data, &self.env)
            .args(["admin", "grant", username])
            .output()
            .expect("admin grant");
        assert!(
            out.status.success(),
            "admin grant: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The binary with the server's environment (also for `defdrive admin …`).
fn command(data: &TempDir, env: &[(String, String)]) -> Command {
    let data_path = data.path().join("data");
    std::fs::create_dir_all(&data_path).expect("data folder");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_defdrive"));
    cmd.current_dir(data.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_PATH", &data_path)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", data_path.join("defdrive.db").display()),
        )
        .env("PORT", "0")
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "info,sqlx=warn");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
