//! The server's JSON API as the client calls it. A refusal becomes an error carrying the
//! server's own message (`{"error": …}`), printed as one line.

use super::config::Session;
use anyhow::{Context, anyhow};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// An HTTP client for one server and (maybe) one token.
#[derive(Clone)]
pub struct Api {
    pub http: Client,
    pub url: String,
    token: Option<String>,
}

impl Api {
    pub fn new(session: Session) -> anyhow::Result<Self> {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!("defdrive/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            http,
            url: session.url,
            token: session.token,
        })
    }

    pub fn token(&self) -> anyhow::Result<&str> {
        self.token
            .as_deref()
            .ok_or_else(|| anyhow!("not logged in: run `defdrive login` (or set DEFDRIVE_TOKEN)"))
    }

    /// A request to `path` (or an absolute URL), with the token when there is one.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        };
        let builder = self.http.request(method, url);
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends a request, failing with the server's message unless it succeeded.
    pub async fn send(&self, builder: RequestBuilder) -> anyhow::Result<Response> {
        let response = builder.send().await.map_err(|e| self.unreachable(e))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(refusal(response).await)
        }
    }

    /// A JSON reply.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = self.send(builder).await?;
        response
            .json()
            .await
            .context("the server's reply is not JSON")
    }

    pub fn unreachable(&self, e: reqwest::Error) -> anyhow::Error {
        anyhow!("cannot reach {}: {}", self.url, error_chain(&e))
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Value> {
        self.json(
            Method::POST,
            "/api/login",
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn signup(
        &self,
        username: &str,
        password: &str,
        email: &str,
        name: &str,
    ) -> anyhow::Result<Value> {
        self.json(
            Method::POST,
            "/api/signup",
            Some(json!({"username": username, "password": password, "email": email, "name": name})),
        )
        .await
    }

    /// The caller's files.
    pub async fn files(&self) -> anyhow::Result<Vec<Value>> {
        self.token()?;
        let reply = self.json(Method::GET, "/api/files", None).await?;
        Ok(reply["files"].as_array().cloned().unwrap_or_default())
    }

    pub async fn file(&self, id: i64) -> anyhow::Result<Value> {
        self.files()
            .await?
            .into_iter()
            .find(|f| f["ID"].as_i64() == Some(id))
            .ok_or_else(|| anyhow!("File not found"))
    }

    pub async fn delete_file(&self, id: i64) -> anyhow::Result<Value> {
        self.token()?;
        self.json(Method::DELETE, &format!("/api/files/{id}"), None)
            .await
    }

    pub async fn set_public(&self, id: i64, public: bool) -> anyhow::Result<Value> {
        self.token()?;
        self.json(
            Method::PUT,
            &format!("/api/files/{id}/access"),
            Some(json!({"public": public})),
        )
        .await
    }

    pub async fn create_access(&self, id: i64, rules: Value) -> anyhow::Result<Value> {
        self.token()?;
        self.json(
            Method::POST,
            &format!("/api/files/{id}/accesses"),
            Some(rules),
        )
        .await
    }

    pub async fn accesses(&self, id: i64) -> anyhow::Result<Value> {
        self.token()?;
        self.json(Method::GET, &format!("/api/files/{id}/accesses"), None)
            .await
    }

    pub async fn delete_access(&self, id: i64) -> anyhow::Result<Value> {
        self.token()?;
        self.json(Method::DELETE, &format!("/api/accesses/{id}"), None)
            .await
    }

    pub async fn stats(&self) -> anyhow::Result<Value> {
        self.token()?;
        self.json(Method::GET, "/api/files/stats", None).await
    }

    pub async fn limits(&self) -> anyhow::Result<Value> {
        self.token()?;
        self.json(Method::GET, "/api/user/limits", None).await
    }
}

/// The error a refused request stands for: the server's message, or its status.
pub async fn refusal(response: Response) -> anyhow::Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned));
    match message {
        Some(message) if status == StatusCode::FORBIDDEN && text.contains("max_storage") => {
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            anyhow!(
                "{message} (using {} of {} bytes, this file needs {})",
                v["current_storage"],
                v["max_storage"],
                v["file_size"]
            )
        }
        Some(message) if status == StatusCode::FORBIDDEN && text.contains("max_files") => {
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            anyhow!(
                "{message} ({} of {} files)",
                v["current_files"],
                v["max_files"]
            )
        }
        Some(message) => anyhow!("{message}"),
        None => anyhow!("the server answered {status}"),
    }
}

/// An error with its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
