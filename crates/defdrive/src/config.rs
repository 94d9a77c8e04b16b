//! Configuration from the environment (and `.env`), as in SPEC section 6. Every bad value
//! stops the start with one line naming the variable.

use defdrive_api::state::CorsOrigins;
pub use defdrive_storage::StorageUrl;
use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A variable with a value defdrive cannot use.
#[derive(Debug)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_path: PathBuf,
    pub database_url: String,
    pub storage: StorageUrl,
    pub bind: IpAddr,
    pub port: u16,
    /// `None`: derived from the bound address once listening.
    pub host_url: Option<String>,
    /// `None`: generated once and kept in `data_path`.
    pub jwt_secret: Option<String>,
    pub token_ttl: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub allow_signup: bool,
    pub default_max_files: i64,
    pub default_max_storage: i64,
    pub cors_origins: CorsOrigins,
    /// An upload without progress for this long is abandoned and swept.
    pub upload_stale_after: Duration,
    /// A resumable (tus) upload without progress for this long is removed and its
    /// reservation released.
    pub tus_expire_after: Duration,
    /// Failed logins allowed per username and per address within `login_window`.
    pub login_max_failures: usize,
    pub login_window: Duration,
    /// How long a stopping server lets requests in flight finish.
    pub shutdown_grace: Duration,
    /// `None`: `/metrics` is served on the main port; otherwise only on this address.
    pub metrics_addr: Option<SocketAddr>,
}

impl Config {
    /// Reads the configuration through `get` (the process environment in production).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| get(name).map(|v| (name, v));
        let data_path = PathBuf::from(get("DATA_PATH").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
            Some((name, url)) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(err(
                        name,
                        format!("expected sqlite://… or postgres://…, got {url:?}"),
                    ));
                }
                url
            }
            None => format!("sqlite://{}", data_path.join("defdrive.db").display()),
        };
        let storage = match var("STORAGE_URL") {
            Some((name, url)) => StorageUrl::parse(url.trim()).map_err(|e| err(name, e))?,
            None => StorageUrl::Folder(data_path.join("blobs")),
        };
        if matches!(storage, StorageUrl::S3 { .. }) {
            check_s3_endpoint(&get)?;
        }
        let bind = parse_with(
            var("BIND"),
            "an IP address such as 127.0.0.1 or 0.0.0.0",
            |v| v.parse::<IpAddr>().ok(),
        )?
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let port =
            parse_with(var("PORT"), "a port number (0-65535)", |v| v.parse().ok())?.unwrap_or(8080);
        let host_url = match var("HOST_URL") {
            Some((name, url)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err(
                        name,
                        format!("expected an http:// or https:// URL, got {url:?}"),
                    ));
                }
                Some(url.trim_end_matches('/').to_owned())
            }
            None => None,
        };
        let jwt_secret = match var("JWT_SECRET") {
            Some((name, secret)) if secret.len() < defdrive_core::token::MIN_SECRET_BYTES => {
                return Err(err(
                    name,
                    format!(
                        "must be at least {} bytes long (unset it to have one generated)",
                        defdrive_core::token::MIN_SECRET_BYTES
                    ),
                ));
            }
            other => other.map(|(_, secret)| secret),
        };
        let duration = |v: &str| humantime::parse_duration(v).ok().filter(|d| !d.is_zero());
        let token_ttl = parse_with(var("TOKEN_TTL"), "a duration such as 72h or 30m", duration)?
            .unwrap_or(Duration::from_secs(72 * 3600));
        let upload_stale_after = parse_with(
            var("UPLOAD_STALE_AFTER"),
            "a duration such as 10m or 1h",
            duration,
        )?
        .unwrap_or(Duration::from_secs(600));
        let tus_expire_after = parse_with(
            var("TUS_EXPIRE_AFTER"),
            "a duration such as 24h or 30m",
            duration,
        )?
        .unwrap_or(Duration::from_secs(24 * 3600));
        let login_max_failures =
            parse_with(var("LOGIN_MAX_FAILURES"), "a whole number ≥ 1", |v| {
                v.parse::<usize>().ok().filter(|n| *n >= 1)
            })?
            .unwrap_or(10);
        let login_window = parse_with(var("LOGIN_WINDOW"), "a duration such as 15m", duration)?
            .unwrap_or(Duration::from_secs(900));
        let shutdown_grace =
            parse_with(var("SHUTDOWN_GRACE"), "a duration such as 30s or 2m", |v| {
                humantime::parse_duration(v).ok()
            })?
            .unwrap_or(Duration::from_secs(30));
        let metrics_addr = parse_with(
            var("METRICS_ADDR"),
            "an address and port such as 127.0.0.1:9100",
            |v| v.parse::<SocketAddr>().ok(),
        )?;
        let trusted_proxies = match var("TRUSTED_PROXIES") {
            Some((name, list)) => parse_cidrs(name, &list)?,
            None => Vec::new(),
        };
        let allow_signup =
            parse_with(var("ALLOW_SIGNUP"), "true or false", parse_bool)?.unwrap_or(true);
        let count = |v: &str| v.parse::<i64>().ok().filter(|n| *n >= 0);
        let default_max_files =
            parse_with(var("DEFAULT_MAX_FILES"), "a whole number ≥ 0", count)?.unwrap_or(100);
        let default_max_storage =
            parse_with(var("DEFAULT_MAX_STORAGE"), "a number of bytes ≥ 0", count)?
                .unwrap_or(1_073_741_824);
        let cors_origins = match get("CORS_ORIGINS") {
            None => CorsOrigins::Any,
            Some(list) if list.trim() == "*" => CorsOrigins::Any,
            Some(list) => CorsOrigins::List(
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        Ok(Self {
            data_path,
            database_url,
            storage,
            bind,
            port,
            host_url,
            jwt_secret,
            token_ttl,
            trusted_proxies,
            allow_signup,
            default_max_files,
            default_max_storage,
            cors_origins,
            upload_stale_after,
            tus_expire_after,
            login_max_failures,
            login_window,
            shutdown_grace,
            metrics_addr,
        })
    }
}

fn err(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// Parses a set variable with `parse`, naming `expected` when it fails.
fn parse_with<T>(
    var: Option<(&'static str, String)>,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ConfigError> {
    match var {
        None => Ok(None),
        Some((name, value)) => parse(value.trim())
            .map(Some)
            .ok_or_else(|| err(name, format!("expected {expected}, got {value:?}"))),
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_cidrs(name: &'static str, list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    err(
                        name,
                        format!("expected comma-separated CIDRs, {s:?} is not one"),
                    )
                })
        })
        .collect()
}

/// An S3 endpoint must be an http(s) URL, and plain HTTP must be asked for explicitly
/// (credentials would otherwise travel unencrypted by accident).
fn check_s3_endpoint(get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let Some(endpoint) = get("AWS_ENDPOINT").or_else(|| get("AWS_ENDPOINT_URL")) else {
        return Ok(());
    };
    let allow_http = parse_with(
        get("AWS_ALLOW_HTTP").map(|v| ("AWS_ALLOW_HTTP", v)),
        "true or false",
        parse_bool,
    )?
    .unwrap_or(false);
    if endpoint.starts_with("http://") && !allow_http {
        return Err(err(
            "AWS_ENDPOINT",
            format!("{endpoint:?} is plain HTTP; set AWS_ALLOW_HTTP=true to allow it"),
        ));
    }
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(err(
            "AWS_ENDPOINT",
            format!("expected an http:// or https:// URL, got {endpoint:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/defdrive.db");
        assert_eq!(c.storage, StorageUrl::Folder(PathBuf::from("./data/blobs")));
        assert_eq!(c.bind.to_string(), "127.0.0.1");
        assert_eq!(c.port, 8080);
        assert_eq!(c.token_ttl, Duration::from_secs(72 * 3600));
        assert_eq!(c.tus_expire_after, Duration::from_secs(24 * 3600));
        assert!(c.allow_signup && c.jwt_secret.is_none() && c.trusted_proxies.is_empty());
        assert_eq!(
            (c.default_max_files, c.default_max_storage),
            (100, 1_073_741_824)
        );
    }

    #[test]
    fn data_path_moves_the_defaults() {
        let c = config(&[("DATA_PATH", "/srv/dd")]).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/dd/defdrive.db");
        assert_eq!(
            c.storage,
            StorageUrl::Folder(PathBuf::from("/srv/dd/blobs"))
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("BIND", "localhost:80"),
            ("TOKEN_TTL", "forever"),
            ("TOKEN_TTL", "0s"),
            ("ALLOW_SIGNUP", "maybe"),
            ("DEFAULT_MAX_FILES", "-1"),
            ("DEFAULT_MAX_STORAGE", "1GB"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, nonsense"),
            ("JWT_SECRET", ""),
            ("JWT_SECRET", "too-short"),
            ("DATABASE_URL", "mysql://x"),
            ("STORAGE_URL", "ftp://x"),
            ("HOST_URL", "example.com"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_WINDOW", "soon"),
            ("UPLOAD_STALE_AFTER", "-1m"),
            ("STORAGE_URL", "s3://"),
            ("STORAGE_URL", "s3://Bad_Bucket"),
            ("STORAGE_URL", "s3://bucket/a/../b"),
            ("STORAGE_URL", "file://"),
            ("SHUTDOWN_GRACE", "soon"),
            ("METRICS_ADDR", "localhost"),
            ("TUS_EXPIRE_AFTER", "0s"),
        ] {
            let e = config(&[(var, value)]).unwrap_err();
            assert_eq!(e.variable, var, "{var}={value}");
            assert!(
                e.to_string().starts_with(&format!("invalid {var}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn s3_storage_and_its_endpoint() {
        let c = config(&[("STORAGE_URL", "s3://bucket/some/prefix")]).unwrap();
        assert_eq!(
            c.storage,
            StorageUrl::S3 {
                bucket: "bucket".into(),
                prefix: "some/prefix".into()
            }
        );
        let plain = [
            ("STORAGE_URL", "s3://bucket"),
            ("AWS_ENDPOINT", "http://127.0.0.1:9000"),
        ];
        let e = config(&plain).unwrap_err();
        assert!(e.to_string().starts_with("invalid AWS_ENDPOINT: "), "{e}");
        let allowed = [plain[0], plain[1], ("AWS_ALLOW_HTTP", "true")];
        assert!(config(&allowed).is_ok());
        let e = config(&[plain[0], ("AWS_ENDPOINT", "127.0.0.1:9000")]).unwrap_err();
        assert_eq!(e.variable, "AWS_ENDPOINT");
        let e = config(&[plain[0], plain[1], ("AWS_ALLOW_HTTP", "sure")]).unwrap_err();
        assert_eq!(e.variable, "AWS_ALLOW_HTTP");
        // A folder store does not look at the AWS variables.
        assert!(config(&[plain[1]]).is_ok());
    }

    #[test]
    fn shutdown_and_metrics() {
        let c = config(&[]).unwrap();
        assert_eq!(c.shutdown_grace, Duration::from_secs(30));
        assert_eq!(c.metrics_addr, None);
        let c = config(&[("SHUTDOWN_GRACE", "0s"), ("METRICS_ADDR", "127.0.0.1:9100")]).unwrap();
        assert_eq!(c.shutdown_grace, Duration::ZERO);
        assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
    }

    #[test]
    fn lists() {
        let c = config(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1"),
            ("CORS_ORIGINS", "https://a.example, https://b.example/"),
            ("HOST_URL", "https://files.example/"),
        ])
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.host_url.as_deref(), Some("https://files.example"));
        assert!(
            matches!(c.cors_origins, CorsOrigins::List(ref l) if l == &["https://a.example", "https://b.example"])
        );
    }
}
