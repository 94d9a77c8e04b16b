//! The command-line client against a spawned server: every subcommand with its table and
//! `--json` output, errors as one line with a non-zero exit, the stored login, environment
//! overrides, and interrupted uploads and downloads finished by running the command again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod commands;
#[path = "../api/harness.rs"]
mod harness;
mod proxy;
mod resume;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A user of the client: their own config folder and working folder.
pub struct User {
    pub config: TempDir,
    pub work: TempDir,
}

impl Default for User {
    fn default() -> Self {
        Self::new()
    }
}

impl User {
    pub fn new() -> Self {
        Self {
            config: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    /// `defdrive ARGS…` in this user's folders, with no DEFDRIVE_* variables.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_defdrive"));
        cmd.args(args)
            .current_dir(self.work.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.config.path())
            .env("XDG_CONFIG_HOME", self.config.path());
        cmd
    }

    /// The same, as a std command (for spawning and killing).
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_defdrive"));
        cmd.args(args)
            .current_dir(self.work.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.config.path())
            .env("XDG_CONFIG_HOME", self.config.path());
        cmd
    }

    /// Signs up `username` (password `password123`) on `url` and stays logged in.
    pub fn signup(&self, url: &str, username: &str) {
        self.cmd(&["signup", username, "--url", url, "--password-stdin"])
            .write_stdin("password123\n")
            .assert()
            .success();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Runs a command and returns its stdout, asserting success.
pub fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exactly one line on stderr; returns that line.
pub fn failure(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr:?}");
    lines[0].to_owned()
}

pub fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
