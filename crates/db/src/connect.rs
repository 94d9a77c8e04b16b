//! Connecting to the configured database, tuning SQLite, and running the migrations.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Connection, Executor};
use std::path::Path;
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://")]
    UnknownScheme,
    // The causes are part of the message, not `source()`s, so that printing the error chain
    // does not repeat them.
    #[error("cannot create the folder of the SQLite database {path}: {cause}")]
    Folder { path: String, cause: std::io::Error },
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("there is no database at {0} (check DATABASE_URL, or start the server once)")]
    Missing(String),
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

/// The database behind defdrive's `Repo`.
#[derive(Debug, Clone)]
pub struct SqlRepo {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

impl SqlRepo {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file and its
    /// folder when missing, and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::open(url, true).await
    }

    /// Like [`SqlRepo::connect`], but a missing SQLite file is an error instead of a new
    /// empty database (for commands that act on existing data).
    pub async fn connect_existing(url: &str) -> Result<Self, ConnectError> {
        Self::open(url, false).await
    }

    async fn open(url: &str, create: bool) -> Result<Self, ConnectError> {
        install_default_drivers();
        let backend = Backend::of_url(url).ok_or(ConnectError::UnknownScheme)?;
        let url = match backend {
            Backend::Sqlite if create => sqlite_url(url)?,
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if !Path::new(path).is_file() {
                    return Err(ConnectError::Missing(path.to_owned()));
                }
                url.to_owned()
            }
            Backend::Postgres => url.to_owned(),
        };
        // One plain connection first: a wrong host, password or database name is reported
        // as it is, at once, instead of as a pool timeout.
        let probe = sqlx::AnyConnection::connect(&url)
            .await
            .map_err(ConnectError::Connect)?;
        probe.close().await.map_err(ConnectError::Connect)?;
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let pool = options.connect(&url).await.map_err(ConnectError::Connect)?;
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator.run(&pool).await.map_err(ConnectError::Migrate)?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers wait instead of failing mid-way.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> &str {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or_default()
}

/// Adds `mode=rwc` (create when missing) and creates the database's folder.
fn sqlite_url(url: &str) -> Result<String, ConnectError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = sqlite_path(url);
    let parent = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && path != ":memory:");
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent).map_err(|cause| ConnectError::Folder {
            path: parent.display().to_string(),
            cause,
        })?;
    }
    Ok(if rest.contains("mode=") {
        url.to_owned()
    } else if rest.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}
