//! A throwaway PostgreSQL server for `--postgres`: started by the harness from the machine's
//! packages, a fresh database per service start, and the CPU time of its processes.
//!
//! It shares `tests/support/pg_install.rs` with the tests' server (the discovery of
//! `initdb`/`pg_ctl`, the `postgres` user when the harness runs as root, the watchdog that stops
//! the server however the harness exits), but not `tests/support/postgres.rs`, for two reasons. Its server runs with
//! `fsync=off`, `synchronous_commit=off` and `full_page_writes=off`, fine for tests and wrong
//! for a measurement beside SQLite's `synchronous=FULL`: here PostgreSQL keeps its durable
//! defaults unless `--postgres-setting` says otherwise. And the harness needs the server's
//! process tree, to charge the store's CPU to the commands (see [`PgServer::cpu_ticks`]).

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use crate::pg_install::{RunAs, find_bindir, init_and_start, spawn_watchdog};
use crate::process::cpu_time_ticks;

/// How long the watchdog may take to stop the server and remove its directory at the end.
const STOP_DEADLINE: Duration = Duration::from_secs(70);

/// The running server; stopped by [`PgServer::stop`], or by its watchdog when the harness exits.
pub struct PgServer {
    port: u16,
    dir: PathBuf,
    /// The server's version and the settings it was started with, for the report.
    pub description: String,
    /// Never written: closing it (in [`PgServer::stop`], or by the kernel when the harness
    /// exits however it exits) makes the watchdog stop the server and remove `dir`.
    watchdog_stdin: Mutex<Option<ChildStdin>>,
    watchdog: Mutex<Child>,
    databases: Mutex<u32>,
}

/// Counts from PostgreSQL's statistics; see [`PgServer::activity`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Activity {
    /// Transactions committed, read-only ones included (each statement outside a transaction
    /// is one).
    pub commits: i64,
    /// WAL flushes to disk (`pg_stat_wal.wal_sync`): what a durable commit waits for; one
    /// flush can serve the commits of several backends at once.
    pub flushes: i64,
}

impl Activity {
    pub fn since(self, before: Activity) -> Activity {
        Activity {
            commits: self.commits - before.commits,
            flushes: self.flushes - before.flushes,
        }
    }
}

impl PgServer {
    /// Starts a server on a free loopback port with PostgreSQL's defaults plus `settings`
    /// (`name=value`, passed as `-c name=value`, so they win over the defaults).
    pub fn start(settings: &[(String, String)]) -> Result<PgServer, String> {
        let bindir = find_bindir("--postgres")?;
        let user = RunAs::detect()?;
        let dir = std::env::temp_dir().join(format!(
            "slack-zoom-load-pg-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        user.take_ownership(&dir)?;
        // First the watchdog, so that whatever happens from here on, the server is stopped and
        // the directory removed when the harness exits.
        let (watchdog, watchdog_stdin) = spawn_watchdog(&user, &bindir, &dir)?;
        let mut options = format!(
            "-k {} -c listen_addresses=127.0.0.1 -c max_connections=100",
            dir.display()
        );
        for (name, value) in settings {
            options.push_str(&format!(" -c {name}={value}"));
        }
        let port = init_and_start(&user, &bindir, &dir, &[], &options)?;
        let version = Command::new(bindir.join("postgres"))
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|_| "PostgreSQL".to_owned());
        let changed: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let description = if changed.is_empty() {
            format!("{version}, default settings (fsync, synchronous_commit on)")
        } else {
            format!("{version}, defaults but {}", changed.join(", "))
        };
        Ok(PgServer {
            port,
            dir,
            description,
            watchdog_stdin: Mutex::new(Some(watchdog_stdin)),
            watchdog: Mutex::new(watchdog),
            databases: Mutex::new(0),
        })
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database `load_<n>` and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let name = {
            let mut n = self.databases.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            format!("load_{n}")
        };
        let mut admin = PgConnection::connect(&self.url("postgres"))
            .await
            .unwrap_or_else(|e| panic!("connect to the harness's PostgreSQL: {e}"));
        // The name is made above from a counter.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        self.url(&name)
    }

    /// Transactions committed and WAL flushes so far, over the whole server. Unlike CPU time,
    /// these counts do not depend on what else the machine is doing. A backend adds its counts
    /// when its transaction ends or it exits, so read them once the service has stopped.
    pub async fn activity(&self) -> Activity {
        let Ok(mut admin) = PgConnection::connect(&self.url("postgres")).await else {
            return Activity::default();
        };
        let read: Result<(i64, i64), sqlx::Error> = sqlx::query_as(
            "SELECT (SELECT sum(xact_commit)::bigint FROM pg_stat_database), wal_sync \
             FROM pg_stat_wal",
        )
        .fetch_one(&mut admin)
        .await;
        let _ = admin.close().await;
        read.map(|(commits, flushes)| Activity { commits, flushes })
            .unwrap_or_default()
    }

    /// The postmaster's process id, from `postmaster.pid` in the data directory.
    fn postmaster(&self) -> Option<u32> {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    /// CPU time (user + system, in clock ticks) the server has used so far: the postmaster and
    /// every live child (backends, WAL writer, checkpointer, autovacuum, …), plus the children
    /// that exited, which the kernel adds to the postmaster's `cutime`/`cstime` when it reaps
    /// them (a backend whose connection closed). The difference between two readings is the
    /// store's CPU for what happened in between.
    pub fn cpu_ticks(&self) -> u64 {
        let Some(postmaster) = self.postmaster() else {
            return 0;
        };
        let mut ticks = cpu_time_ticks(postmaster).unwrap_or(0) + reaped_ticks(postmaster);
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return ticks;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if parent_of(pid) == Some(postmaster) {
                ticks += cpu_time_ticks(pid).unwrap_or(0);
            }
        }
        ticks
    }

    /// Stops the server and removes its directory (through the watchdog, which does the same
    /// if the harness dies first), waiting at most [`STOP_DEADLINE`].
    pub fn stop(&self) {
        // Closing the pipe is the watchdog's signal.
        drop(
            self.watchdog_stdin
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
        let mut watchdog = self.watchdog.lock().unwrap_or_else(|e| e.into_inner());
        let asked = Instant::now();
        for _ in 0..(STOP_DEADLINE.as_millis() / 100) {
            if !matches!(watchdog.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "load: PostgreSQL did not stop within {:?}; its directory {} may remain",
            asked.elapsed(),
            self.dir.display()
        );
    }
}

/// `cutime + cstime` of `pid` (`/proc/<pid>/stat` fields 16 and 17): the CPU time of its
/// children that exited and were waited for.
fn reaped_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some(rest) = stat.rfind(')').and_then(|i| stat.get(i + 1..)) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(13) + field(14)
}

/// The parent process id of `pid` (`/proc/<pid>/stat` field 4).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    rest.split_whitespace().nth(1)?.parse().ok()
}
