//! The service's store for each start: a fresh SQLite file in a directory of its own (the
//! default engine), or a fresh database on the harness's PostgreSQL (`--postgres`).
//!
//! Without this the service would open its default `sqlite://slack-zoom.db` in its working
//! directory (the system's temporary directory), shared by every run and growing with each.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::postgres::PgServer;

/// Which engine the service stores its records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A file per service start, `synchronous=FULL` as the service sets it.
    Sqlite,
    /// A database per service start (shared by its replicas) on the harness's server.
    Postgres,
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// One fresh store; a SQLite directory is removed when this is dropped (after the service
/// stopped). PostgreSQL databases go with the server's directory at the end of the run.
pub struct Database {
    pub url: String,
    dir: Option<PathBuf>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// SQLite directories made by this run, for unique names.
static SQLITE_DIRS: AtomicU32 = AtomicU32::new(0);

/// A fresh store of `engine`; `postgres` must be running for [`Engine::Postgres`].
pub async fn fresh(engine: Engine, postgres: Option<&PgServer>) -> Database {
    match engine {
        Engine::Sqlite => {
            let n = SQLITE_DIRS.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "slack-zoom-load-{}-{n}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ));
            std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
            Database {
                url: format!("sqlite://{}", dir.join("slack-zoom.db").display()),
                dir: Some(dir),
            }
        }
        Engine::Postgres => {
            let server = postgres.expect("the harness started PostgreSQL for this scenario");
            Database {
                url: server.fresh_database().await,
                dir: None,
            }
        }
    }
}
