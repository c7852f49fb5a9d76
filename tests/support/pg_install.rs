//! Running PostgreSQL from the machine's packages, shared by the tests' server
//! (`tests/support/postgres.rs`) and the load harness's (`examples/load/postgres.rs`): where
//! `initdb` and `pg_ctl` are, which user runs them, the watchdog that stops a server however
//! its owner exits, and a free port.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// Where `initdb` and `pg_ctl` live: `pg_config --bindir` first, then Debian's versioned
/// directories, newest first.
pub fn find_bindir(needed_by: &str) -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, e.path().join("bin")))
            })
            .collect();
        versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        candidates.extend(versioned.into_iter().map(|(_, bin)| bin));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .ok_or_else(|| {
            format!(
                "PostgreSQL is not installed: {needed_by} needs its `initdb` and `pg_ctl` (looked \
                 in `pg_config --bindir` and /usr/lib/postgresql/*/bin). Install it with \
                 `apt-get update && apt-get install -y postgresql` (.ci/run does this)."
            )
        })
}

/// How to run PostgreSQL's programs: as the `postgres` user when this process is root.
pub enum RunAs {
    Postgres,
    CurrentUser,
}

impl RunAs {
    pub fn detect() -> Result<RunAs, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| format!("run `id -u`: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Ok(RunAs::CurrentUser);
        }
        let exists = Command::new("id")
            .args(["-u", "postgres"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if exists {
            Ok(RunAs::Postgres)
        } else {
            Err(
                "this runs as root, PostgreSQL refuses to, and there is no `postgres` system \
                 user to run it as (Debian's postgresql package creates one)"
                    .to_owned(),
            )
        }
    }

    pub fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::Postgres => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            RunAs::CurrentUser => Command::new(program),
        }
    }

    pub fn take_ownership(&self, dir: &Path) -> Result<(), String> {
        if let RunAs::Postgres = self {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(dir)
                .status()
                .map_err(|e| format!("run chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown postgres {} failed: {status}", dir.display()));
            }
        }
        Ok(())
    }
}

/// Starts `sh` waiting for EOF on its stdin, then stopping the server and removing `dir`.
/// Keep the returned stdin open (never write to it) for as long as the server must live: the
/// kernel closes it when this process exits, however it exits.
pub fn spawn_watchdog(
    user: &RunAs,
    bindir: &Path,
    dir: &Path,
) -> Result<(Child, ChildStdin), String> {
    let stop = user.command(&bindir.join("pg_ctl"));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"cat >/dev/null; "$@" >/dev/null 2>&1; rm -rf -- "$0""#)
        .arg(dir)
        .arg(stop.get_program())
        .args(stop.get_args())
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-m", "fast", "-w", "-t", "60", "stop"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C aimed at `cargo test` or the harness must not kill
        // the watchdog
        // before it has stopped the server.
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("start the watchdog: {e}"))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "the watchdog has no stdin".to_owned())?;
    Ok((child, stdin))
}

pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("find a free port: {e}"))
}

/// Creates a cluster in `dir/data` (`initdb` with trust auth, UTF-8, C locale, plus
/// `initdb_args`) and starts it on a free loopback port with `options` (server options after
/// `-p PORT`), trying a few ports: one may be taken between choosing and binding it. The port.
pub fn init_and_start(
    user: &RunAs,
    bindir: &Path,
    dir: &Path,
    initdb_args: &[&str],
    options: &str,
) -> Result<u16, String> {
    let data = dir.join("data");
    let initdb = user
        .command(&bindir.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
        .args(initdb_args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("run initdb: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed ({}): {}",
            initdb.status,
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    let mut failures = Vec::new();
    for _ in 0..3 {
        let port = free_port()?;
        let log = dir.join("server.log");
        let started = user
            .command(&bindir.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!("-p {port} {options}"))
            .args(["-w", "-t", "60", "start"])
            .current_dir(dir)
            .output()
            .map_err(|e| format!("run pg_ctl start: {e}"))?;
        if started.status.success() {
            return Ok(port);
        }
        failures.push(format!(
            "pg_ctl start on port {port} failed ({}): {}{}\nserver log:\n{}",
            started.status,
            String::from_utf8_lossy(&started.stdout),
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        ));
    }
    Err(failures.join("\n"))
}
