//! Runs the browser suite (`e2e/tests/*.test.mjs`, Node's test runner with playwright-core
//! driving headless Chromium) against a real server, and fails with its output when any
//! scenario fails. Screenshots of the main screens land in `target/e2e/`.
//!
//! Needs Node.js 20+ with npm, and Chromium (`/usr/bin/chromium`, or `CHROMIUM=/path`).
//! `npm ci` runs in `e2e/` when its `node_modules` lacks the pinned playwright-core.

use crate::server::{JWT_SECRET, Server};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The server's quotas for new users, small enough for the quota scenarios.
const MAX_STORAGE: &str = "8388608";
const MAX_FILES: &str = "20";
const ADMIN: &str = "root-admin";
const ADMIN_PASSWORD: &str = "admin-password-123";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command) -> std::io::Result<Output> {
    cmd.output()
}

/// Node.js (20 or newer) and npm, or a failure saying how to install them.
fn node_and_npm() -> (String, String) {
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let install = "install Node.js 20 or newer with npm (Debian/Ubuntu: `sudo apt-get install nodejs npm`, \
                   or from https://nodejs.org), or set NODE=/path/to/node";
    let version = match run(Command::new(&node).arg("--version")) {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!("the browser tests need Node.js, and `{node}` does not run: {install}"),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "the browser tests need Node.js 20 or newer, found {version}: {install}"
    );
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    match run(Command::new(&npm).arg("--version")) {
        Ok(out) if out.status.success() => {}
        _ => panic!("the browser tests need npm, and `{npm}` does not run: {install}"),
    }
    (node, npm)
}

/// Chromium, or a failure saying how to install it.
fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let works = run(Command::new(&path).arg("--version")).is_ok_and(|o| o.status.success());
    assert!(
        works,
        "the browser tests need Chromium at {path}: install it (Debian/Ubuntu: \
         `sudo apt-get install chromium`), or set CHROMIUM=/path/to/chromium"
    );
    path
}

/// Installs the suite's npm packages (`npm ci`, from the committed lock file) unless the
/// pinned playwright-core is already there.
fn ensure_packages(e2e: &Path, npm: &str) {
    let read = |p: PathBuf| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let wanted = read(e2e.join("package.json")).and_then(|p| {
        p["devDependencies"]["playwright-core"]
            .as_str()
            .map(str::to_owned)
    });
    let installed = read(e2e.join("node_modules/playwright-core/package.json"))
        .and_then(|p| p["version"].as_str().map(str::to_owned));
    if wanted.is_some() && wanted == installed {
        return;
    }
    let out = run(Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(e2e))
    .unwrap_or_else(|e| panic!("npm ci in {}: {e}", e2e.display()));
    assert!(
        out.status.success(),
        "`npm ci` in {} failed (the npm registry must be reachable once):\n{}{}",
        e2e.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The suite's test files, in a stable order.
fn suite_files(e2e: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(e2e.join("tests"))
        .expect("e2e/tests")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.mjs"))
        .map(|n| format!("tests/{n}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no browser tests in e2e/tests");
    files
}

async fn make_admin(server: &Server) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/signup", server.url))
        .json(&json!({"username": ADMIN, "password": ADMIN_PASSWORD, "name": "Admin"}))
        .send()
        .await
        .expect("signup admin");
    assert_eq!(response.status(), 200, "signup admin");
    server.grant_admin(ADMIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_in_chromium() {
    let (node, npm) = node_and_npm();
    let chromium = chromium();
    let e2e = repo_root().join("e2e");
    ensure_packages(&e2e, &npm);

    let server = Server::start_with(&[
        ("DEFAULT_MAX_STORAGE", MAX_STORAGE),
        ("DEFAULT_MAX_FILES", MAX_FILES),
        ("LOGIN_MAX_FAILURES", "1000"),
    ]);
    make_admin(&server).await;

    // Screenshots go to <target>/e2e (CARGO_TARGET_TMPDIR is <target>/tmp).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| repo_root().join("target"), Path::to_path_buf)
        .join("e2e");
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    let out = tokio::task::spawn_blocking({
        let e2e = e2e.clone();
        let url = server.url.clone();
        move || {
            Command::new(&node)
                .args([
                    "--test",
                    "--test-concurrency=1",
                    "--test-timeout=120000",
                    "--test-reporter=spec",
                ])
                .args(suite_files(&e2e))
                .current_dir(&e2e)
                .env("DEFDRIVE_URL", url)
                .env("DEFDRIVE_JWT_SECRET", JWT_SECRET)
                .env("DEFDRIVE_ADMIN_USERNAME", ADMIN)
                .env("DEFDRIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("DEFDRIVE_MAX_STORAGE", MAX_STORAGE)
                .env("CHROMIUM", chromium)
                .env("E2E_SCREENSHOTS", &shots)
                .env("NO_COLOR", "1")
                .output()
        }
    })
    .await
    .expect("join")
    .expect("run node");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(
        out.status.success(),
        "the browser suite failed:\n{report}\n--- server log ---\n{}",
        server.log()
    );
}
