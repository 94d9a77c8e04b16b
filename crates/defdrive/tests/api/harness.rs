//! Test harness: runs the real `defdrive` binary on port 0 with its own data folder and a
//! fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards), and
//! offers small HTTP helpers. Every scenario runs on both backends through `both!`.

#![allow(dead_code)]

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// The secret the harness configures, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$scenario(Backend)` as `$scenario::sqlite` and `$scenario::postgres`.
#[macro_export]
macro_rules! both {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$scenario($crate::harness::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$scenario($crate::harness::Backend::Postgres).await;
            }
        }
    )+};
}

/// The PostgreSQL server tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("DEFDRIVE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database made for one test.
enum Database {
    Sqlite,
    Postgres { name: String, url: String },
}

impl Database {
    async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::Sqlite,
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let name = format!("defdrive_t_{}", random_hex());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL at {admin} (set DEFDRIVE_TEST_POSTGRES): {e}")
                    });
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin);
                let url = format!("{base}/{name}");
                Self::Postgres { name, url }
            }
        }
    }

    fn url(&self, data: &Path) -> String {
        match self {
            Self::Sqlite => format!("sqlite://{}", data.join("defdrive.db").display()),
            Self::Postgres { url, .. } => url.clone(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Self::Postgres { name, .. } = self {
            let name = name.clone();
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Runtime::new() else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A running defdrive with its data folder and database.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub client: Client,
    pub backend: Backend,
    data: TempDir,
    database: Database,
    env: Vec<(String, String)>,
}

impl Server {
    /// A server with the harness's default configuration.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, &[]).await
    }

    /// A server with extra environment variables (`("JWT_SECRET", "")` style pairs; an
    /// empty value for `JWT_SECRET` removes the harness's secret).
    pub async fn start_with(backend: Backend, env: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().expect("data folder");
        let database = Database::create(backend).await;
        let mut server = Self {
            child: None,
            url: String::new(),
            client: Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("client"),
            backend,
            database,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            data,
        };
        server.spawn();
        server
    }

    pub fn data_path(&self) -> PathBuf {
        self.data.path().join("data")
    }

    pub fn blobs_path(&self) -> PathBuf {
        self.data_path().join("blobs")
    }

    pub fn database_url(&self) -> String {
        self.database.url(&self.data_path())
    }

    /// The environment the server runs with (also for `defdrive admin …`).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_defdrive"));
        cmd.current_dir(self.data.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_PATH", self.data_path())
            .env("DATABASE_URL", self.database_url())
            .env("PORT", "0")
            .env("JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "info,sqlx=warn");
        for (key, value) in &self.env {
            if key == "JWT_SECRET" && value.is_empty() {
                cmd.env_remove("JWT_SECRET");
            } else {
                cmd.env(key, value);
            }
        }
        cmd
    }

    fn spawn(&mut self) {
        let (child, url) = self.launch("server.log");
        self.child = Some(child);
        self.url = url;
    }

    /// Starts the binary with this server's environment, logging to `log_name` in the data
    /// folder, and waits for its address.
    fn launch(&self, log_name: &str) -> (Child, String) {
        std::fs::create_dir_all(self.data_path()).expect("data folder");
        let log_path = self.data.path().join(log_name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("server log");
        let mut child = self
            .command()
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
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => (child, url),
            Err(_) => {
                let _ = child.kill();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("defdrive did not start; log:\n{log}");
            }
        }
    }

    /// A second server process sharing this one's database and storage folder (as two
    /// nodes behind a load balancer would).
    pub fn companion(&self) -> Companion {
        let (child, url) = self.launch("companion.log");
        Companion { child, url }
    }

    /// What the server wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// Stops the server with SIGKILL (a crash).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same data folder and database.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Starts the server again after a crash.
    pub fn start_again(&mut self) {
        self.spawn();
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    // ---- HTTP helpers

    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.url));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Response {
        self.request(method, path, token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Signs up `username` with password `password123`.
    pub async fn signup(&self, username: &str) -> Value {
        let response = self
            .send_json(
                Method::POST,
                "/api/signup",
                None,
                json!({"username": username, "password": "password123", "email": format!("{username}@example.com"), "name": username}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "signup {username}");
        response.json().await.expect("signup json")
    }

    pub async fn login(&self, username: &str) -> String {
        let response = self
            .send_json(
                Method::POST,
                "/api/login",
                None,
                json!({"username": username, "password": "password123"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login {username}");
        let body: Value = response.json().await.expect("login json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Signs up and logs in `username`, returning the token.
    pub async fn user(&self, username: &str) -> String {
        self.signup(username).await;
        self.login(username).await
    }

    /// Uploads `bytes` as the file `name`.
    pub async fn upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.request(Method::POST, "/api/upload", Some(token))
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// Uploads and expects success, returning the file object.
    pub async fn upload_ok(&self, token: &str, name: &str, bytes: Vec<u8>) -> Value {
        let response = self.upload(token, name, bytes).await;
        let status = response.status();
        let body: Value = response.json().await.expect("upload json");
        assert_eq!(status, StatusCode::OK, "upload {name}: {body}");
        body["file"].clone()
    }

    /// Makes `username` an admin with `defdrive admin grant`.
    pub fn grant_admin(&self, username: &str) {
        let out = self
            .command()
            .args(["admin", "grant", username])
            .output()
            .expect("admin grant");
        assert!(
            out.status.success(),
            "admin grant: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Files in the storage folder (objects and unfinished writes).
    pub fn stored_objects(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.blobs_path()) else {
            return found;
        };
        for shard in shards.flatten() {
            if let Ok(entries) = std::fs::read_dir(shard.path()) {
                found.extend(entries.flatten().map(|e| e.path()));
            }
        }
        found
    }
}

/// A second server process on the same database and storage; stopped when dropped.
pub struct Companion {
    child: Child,
    pub url: String,
}

impl Drop for Companion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Status and JSON body of a response.
pub async fn status_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
    (status, body)
}

/// Asserts an error reply: status and `error` text.
pub async fn assert_error(response: Response, status: StatusCode, message: &str) -> Value {
    let (got, body) = status_json(response).await;
    assert_eq!(
        (got, body["error"].as_str()),
        (status, Some(message)),
        "body: {body}"
    );
    body
}
