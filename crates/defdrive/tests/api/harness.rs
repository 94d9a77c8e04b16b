//! Test harness: runs the real `defdrive` binary on port 0 with its own data folder and a
//! fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards), and
//! offers small HTTP helpers. Every scenario runs on both backends through `both!`; the
//! scenarios about stored bytes also on PostgreSQL with S3 storage through `all_storages!`
//! (a real S3 server, `s3s-fs`, started per test on its own folder).

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

/// The database and storage a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, folder storage.
    Sqlite,
    /// PostgreSQL, folder storage.
    Postgres,
    /// PostgreSQL, S3 storage (what several servers side by side use).
    PostgresS3,
}

impl Backend {
    pub fn is_s3(self) -> bool {
        self == Self::PostgresS3
    }
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

/// Runs `$scenario(Backend)` as `::sqlite`, `::postgres` and `::postgres_s3`.
#[macro_export]
macro_rules! all_storages {
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
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres_s3() {
                super::$scenario($crate::harness::Backend::PostgresS3).await;
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
            Backend::Postgres | Backend::PostgresS3 => {
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
    /// `/metrics` on its own address, when `METRICS_ADDR` is set.
    pub metrics_url: Option<String>,
    pub client: Client,
    pub backend: Backend,
    data: TempDir,
    database: Database,
    /// The S3 server of a [`Backend::PostgresS3`] server.
    pub s3: Option<S3Server>,
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
        let s3 = backend.is_s3().then(S3Server::start);
        let mut server = Self {
            child: None,
            url: String::new(),
            metrics_url: None,
            client: Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("client"),
            backend,
            database,
            s3,
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
        if let Some(s3) = &self.s3 {
            cmd.env("STORAGE_URL", format!("s3://{S3_BUCKET}/{S3_PREFIX}"))
                .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT", s3.endpoint())
                .env("AWS_ALLOW_HTTP", "true");
        }
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
        let (child, url, metrics_url) = self.launch("server.log");
        self.child = Some(child);
        self.url = url;
        self.metrics_url = metrics_url;
    }

    /// Starts the binary with this server's environment, logging to `log_name` in the data
    /// folder, and waits for its address.
    fn launch(&self, log_name: &str) -> (Child, String, Option<String>) {
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
            let mut metrics_url = None;
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("defdrive metrics on ") {
                    metrics_url = Some(url.to_owned());
                }
                if let Some(url) = line.strip_prefix("defdrive listening on ") {
                    let _ = tx.send((url.to_owned(), metrics_url.take()));
                    break;
                }
            }
            for _ in lines {}
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((url, metrics_url)) => (child, url, metrics_url),
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
        let (child, url, _) = self.launch("companion.log");
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

    /// Sends SIGTERM without waiting for the process to end.
    pub fn signal_stop(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
        }
    }

    /// Waits until the server's log contains `text`, failing after a while.
    pub async fn wait_for_log(&self, text: &str) {
        for _ in 0..300 {
            if self.log().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{text:?} never appeared in the log:\n{}", self.log());
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
        self.upload_via(&self.url, token, name, bytes).await
    }

    /// Uploads `bytes` as the file `name` through the server at `base` (a companion).
    pub async fn upload_via(
        &self,
        base: &str,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.client
            .post(format!("{base}/api/upload"))
            .bearer_auth(token)
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

    /// Stored objects and unfinished writes: files in the storage folder, or objects in the
    /// bucket and parts of multipart uploads not completed or aborted.
    pub fn stored_objects(&self) -> Vec<PathBuf> {
        if let Some(s3) = &self.s3 {
            let mut found = s3.objects();
            found.extend(s3.unfinished_uploads());
            return found;
        }
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

    /// Whether bytes of an upload that has not finished reached storage: a file in the folder
    /// store's `.tmp`, or a part of a multipart upload.
    pub fn has_partial_upload(&self) -> bool {
        match &self.s3 {
            Some(s3) => !s3.unfinished_uploads().is_empty(),
            None => std::fs::read_dir(self.blobs_path().join(".tmp"))
                .map(|d| d.count() > 0)
                .unwrap_or(false),
        }
    }

    /// Puts `bytes` into storage under `key` behind the server's back (as a crash between
    /// storing and recording would leave them), dated `age` ago.
    pub fn plant_object(&self, key: &str, bytes: &[u8], age: Duration) {
        let path = match &self.s3 {
            Some(s3) => s3.bucket_path().join(S3_PREFIX).join(key),
            None => self.blobs_path().join(&key[..2]).join(key),
        };
        std::fs::create_dir_all(path.parent().expect("parent")).expect("object folder");
        std::fs::write(&path, bytes).expect("plant object");
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open object");
        file.set_modified(std::time::SystemTime::now() - age)
            .expect("date object");
    }

    /// Rows in `table` of the server's database (`pending_uploads`, `files`, …).
    pub async fn count_rows(&self, table: &str) -> i64 {
        use sqlx::Connection;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.database {
            Database::Sqlite => {
                let url = self.database_url();
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
            Database::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
        }
    }
}

/// The bucket, prefix and credentials of the test S3 servers.
pub const S3_BUCKET: &str = "defdrive-test";
pub const S3_PREFIX: &str = "objects";
pub const S3_ACCESS_KEY: &str = "defdrive-test-key";
pub const S3_SECRET_KEY: &str = "defdrive-test-secret-0123456789";

/// The `s3s-fs` program: `DEFDRIVE_TEST_S3S`, or `s3s-fs` on `PATH`.
fn s3s_program() -> PathBuf {
    if let Ok(path) = std::env::var("DEFDRIVE_TEST_S3S") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("s3s-fs"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the S3 tests need the s3s-fs server: install it with \
             `cargo install --locked s3s-fs@0.14.1 --features binary` \
             or set DEFDRIVE_TEST_S3S to its path"
        )
    })
}

/// A real S3 server (`s3s-fs`) on 127.0.0.1, keeping its bucket in a folder of its own.
pub struct S3Server {
    child: Option<Child>,
    root: TempDir,
    port: u16,
}

impl S3Server {
    /// Starts one on a free port, with the test bucket made.
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("s3 folder");
        std::fs::create_dir(root.path().join(S3_BUCKET)).expect("bucket");
        let mut server = Self {
            child: None,
            root,
            port: 0,
        };
        server.resume();
        server
    }

    /// Starts it again (on the same port and folder) after [`Self::halt`].
    pub fn resume(&mut self) {
        let mut child = Command::new(s3s_program())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
            .arg(self.root.path())
            .env("RUST_LOG", "s3s_fs=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run s3s-fs ({:?}): {e}", s3s_program()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some((_, rest)) = line.split_once("server is running at http://") {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(address.to_owned());
                    break;
                }
            }
            for _ in lines {}
        });
        let address = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("s3s-fs did not start on port {}", self.port)
            });
        self.port = address
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .expect("s3s-fs port");
        self.child = Some(child);
    }

    /// Stops it (SIGKILL), keeping its folder.
    pub fn halt(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn bucket_path(&self) -> PathBuf {
        self.root.path().join(S3_BUCKET)
    }

    /// The objects in the bucket (files in its folder).
    pub fn objects(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.bucket_path(), &mut found);
        found
    }

    /// Multipart uploads neither completed nor aborted (their records and parts).
    pub fn unfinished_uploads(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.root.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".upload"))
            })
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.halt();
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
