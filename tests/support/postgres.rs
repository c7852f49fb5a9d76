//! A real PostgreSQL for tests: one throwaway server per test binary, started on first use, stopped when the process exits.
//!
//! The server runs from the machine's packages (`initdb`, `pg_ctl` from `pg_config --bindir` or
//! `/usr/lib/postgresql/*/bin`) as the `postgres` user (PostgreSQL refuses root, and tests run
//! as root), in a temporary directory owned by `postgres`, with trust auth on 127.0.0.1, a free
//! port and its own socket directory. Each test gets its own database from
//! [`PgServer::fresh_database`].
//!
//! Stopping does not rely on destructors (statics are never dropped, and a panic or a killed
//! process runs none): a watchdog process holds the read end of a pipe whose write end only this
//! process holds. When this process exits, however it exits, the kernel closes the write end,
//! the watchdog reads EOF and runs `pg_ctl stop -m fast`, then removes the directory.

use std::process::ChildStdin;
use std::sync::OnceLock;

use sqlx::{Connection, PgConnection};

use super::pg_install::{RunAs, find_bindir, init_and_start, spawn_watchdog};

/// The running server of this test binary.
pub struct PgServer {
    port: u16,
    /// Never written or closed: see the module documentation.
    _watchdog: ChildStdin,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();

/// The server, started on first call; panics with the reason when it cannot start (including
/// when PostgreSQL is not installed: these tests never skip silently).
pub fn server() -> &'static PgServer {
    match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(problem) => panic!("cannot start the test PostgreSQL server: {problem}"),
    }
}

impl PgServer {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database `t_<random>` and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!("t_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(&self.url("postgres"))
            .await
            .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
        // The name is generated above from hex digits only.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        self.url(&name)
    }
}

fn start() -> Result<PgServer, String> {
    let bindir = find_bindir("these tests")?;
    let user = RunAs::detect()?;
    let dir = std::env::temp_dir().join(format!(
        "slack-zoom-pg-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    user.take_ownership(&dir)?;
    // First the watchdog, so that whatever happens from here on, the server is stopped and
    // the directory removed when this process exits.
    let (_watchdog_process, watchdog) = spawn_watchdog(&user, &bindir, &dir)?;
    let options = format!(
        "-k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        dir.display()
    );
    // Durability is pointless for a throwaway server and costs seconds.
    let port = init_and_start(&user, &bindir, &dir, &["--no-sync"], &options)?;
    Ok(PgServer {
        port,
        _watchdog: watchdog,
    })
}
