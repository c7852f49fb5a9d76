//! Child processes under test (the release service and the bare-axum baseline): start, watch
//! memory through `/proc`, stop with SIGTERM.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// How long a child may take to print its listening address.
const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
/// The service drains for at most 30 s after SIGTERM; anything past this is a hang.
const EXIT_DEADLINE: Duration = Duration::from_secs(45);
/// Lines of stderr kept to explain a failure.
const STDERR_TAIL: usize = 20;

/// Memory figures from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    /// Peak resident set size over the process's life so far.
    pub hwm_kib: u64,
}

/// Log messages worth counting: each is a state the scenarios want to see (or not see).
pub const WATCHED_LOG_LINES: [&str; 4] = [
    "cannot accept connections",
    "background queue full",
    "no creation slot within the create timeout",
    "Zoom create request got no answer",
];

/// How to start a child beyond its program, arguments and environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Launch {
    /// `RLIMIT_NOFILE` (soft and hard) for the child, like `ulimit -n` before `exec`.
    pub nofile: Option<u64>,
}

/// A running child that listens on loopback.
pub struct Server {
    child: Child,
    pid: u32,
    pub port: u16,
    /// The log line that gave the address (the service's says how it is set up).
    pub startup_line: String,
    /// Lines the child wrote on stdout (its log), counted so the cost of logging is visible.
    stdout_lines: Arc<AtomicU64>,
    /// Lines containing each of [`WATCHED_LOG_LINES`].
    watched: Arc<[AtomicU64; WATCHED_LOG_LINES.len()]>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// The highest VmHWM seen by the sampler, which keeps reading while the child drains.
    peak_hwm_kib: Arc<AtomicU64>,
    /// User + system CPU time so far, in clock ticks, as last sampled.
    cpu_ticks: Arc<AtomicU64>,
}

impl Server {
    /// Starts `program` with exactly `env` (nothing inherited) and waits for the line that holds
    /// `address=<ip>:<port>`.
    pub async fn start(program: &Path, args: &[&str], env: &[(&str, String)]) -> Server {
        Self::launch(program, args, env, Launch::default()).await
    }

    /// [`Server::start`] with process limits.
    pub async fn launch(
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        launch: Launch,
    ) -> Server {
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            // Away from any `.env` a developer keeps in the repository (the service loads one).
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // If the harness dies, its children must not outlive it.
            .kill_on_drop(true);
        if let Some(limit) = launch.nofile {
            let limit: libc::rlim_t = limit;
            // SAFETY: runs in the forked child before exec; setrlimit is async-signal-safe and
            // only changes that child's own limits, like `ulimit -n` in a shell.
            unsafe {
                command.pre_exec(move || {
                    let rlimit = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let pid = child.id().expect("a just-spawned child has a pid");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(keep_tail(stderr, Arc::clone(&stderr_tail)));

        let mut lines = BufReader::new(stdout).lines();
        let find_port = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(port) = port_in(&line) {
                    return Some((port, line));
                }
            }
            None
        };
        let (port, startup_line) = match tokio::time::timeout(STARTUP_DEADLINE, find_port).await {
            Ok(Some(found)) => found,
            _ => {
                let tail = tail_text(&stderr_tail);
                panic!(
                    "{} did not print its address within {STARTUP_DEADLINE:?}; stderr:\n{tail}",
                    program.display()
                );
            }
        };
        // The log pipe must be drained, or the child blocks once the pipe buffer is full.
        let stdout_lines = Arc::new(AtomicU64::new(0));
        let watched: Arc<[AtomicU64; WATCHED_LOG_LINES.len()]> = Arc::default();
        let (counter, watch) = (Arc::clone(&stdout_lines), Arc::clone(&watched));
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                counter.fetch_add(1, Ordering::Relaxed);
                for (pattern, count) in WATCHED_LOG_LINES.iter().zip(watch.iter()) {
                    if line.contains(pattern) {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });

        let peak_hwm_kib = Arc::new(AtomicU64::new(0));
        let cpu_ticks = Arc::new(AtomicU64::new(0));
        let (peak, cpu) = (Arc::clone(&peak_hwm_kib), Arc::clone(&cpu_ticks));
        tokio::spawn(async move {
            // Ends by itself when the process is gone and /proc no longer has it.
            while let Some(memory) = read_memory(pid) {
                peak.fetch_max(memory.hwm_kib, Ordering::Relaxed);
                if let Some(ticks) = cpu_time_ticks(pid) {
                    cpu.fetch_max(ticks, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });

        Server {
            child,
            pid,
            port,
            startup_line,
            stdout_lines,
            watched,
            stderr_tail,
            peak_hwm_kib,
            cpu_ticks,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn memory(&self) -> Memory {
        read_memory(self.pid).unwrap_or_default()
    }

    /// The process id, e.g. to attach a profiler (`perf record -p`).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A `key=value` field of the startup line (e.g. `max_connections`).
    pub fn startup_field(&self, key: &str) -> Option<&str> {
        let needle = format!(" {key}=");
        let rest = &self.startup_line[self.startup_line.find(&needle)? + needle.len()..];
        rest.split_whitespace().next()
    }

    /// The child's `Max open files` soft limit, from `/proc/<pid>/limits`.
    pub fn nofile_limit(&self) -> Option<u64> {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid)).ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    }

    /// Sends SIGTERM and waits for the exit; kills the child if it hangs past the deadline.
    pub async fn terminate(mut self) -> Stopped {
        let asked = Instant::now();
        let signalled = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !signalled {
            eprintln!("load: could not send SIGTERM to {}; killing it", self.pid);
            let _ = self.child.start_kill();
        }
        let status = match tokio::time::timeout(EXIT_DEADLINE, self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            Ok(Err(e)) => {
                eprintln!("load: waiting for {} failed: {e}", self.pid);
                None
            }
            Err(_) => {
                eprintln!(
                    "load: {} still running {EXIT_DEADLINE:?} after SIGTERM; killing it",
                    self.pid
                );
                let _ = self.child.start_kill();
                None
            }
        };
        let took = asked.elapsed();
        // The exited child has left /proc, so the sampler's last figure (at most 50 ms old)
        // stands for its whole life.
        let cpu_time = ticks_to_duration(self.cpu_ticks.load(Ordering::Relaxed));
        // Let the log reader reach the end of the closed pipe before counting.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let watched = WATCHED_LOG_LINES
            .iter()
            .zip(self.watched.iter())
            .map(|(pattern, count)| (*pattern, count.load(Ordering::Relaxed)))
            .collect();
        Stopped {
            status,
            took,
            log_lines: self.stdout_lines.load(Ordering::Relaxed),
            watched,
            cpu_time,
            stderr_tail: tail_text(&self.stderr_tail),
            peak_hwm_kib: self.peak_hwm_kib.load(Ordering::Relaxed),
        }
    }
}

/// How a child ended.
pub struct Stopped {
    /// `None` when it had to be killed.
    pub status: Option<ExitStatus>,
    pub took: Duration,
    /// Lines the child logged on stdout after its address line.
    pub log_lines: u64,
    /// How many of them contained each of [`WATCHED_LOG_LINES`].
    pub watched: Vec<(&'static str, u64)>,
    /// CPU time over the whole life of the process (sampled every 50 ms).
    pub cpu_time: Duration,
    pub stderr_tail: String,
    pub peak_hwm_kib: u64,
}

impl Stopped {
    /// How many log lines contained `pattern` (one of [`WATCHED_LOG_LINES`]).
    pub fn watched(&self, pattern: &str) -> u64 {
        self.watched
            .iter()
            .find(|(p, _)| *p == pattern)
            .map_or(0, |(_, n)| *n)
    }

    pub fn describe(&self) -> String {
        match self.status {
            Some(status) if status.success() => {
                format!("exit 0 after {:.1} s", self.took.as_secs_f64())
            }
            Some(status) => format!("{status} after {:.1} s", self.took.as_secs_f64()),
            None => "killed (did not exit)".to_owned(),
        }
    }
}

/// The port in a line such as `slack-zoom started; listening mode=… address=0.0.0.0:41234`.
/// The service keeps the address as the line's last field, so the last `address=` is it.
fn port_in(line: &str) -> Option<u16> {
    let rest = &line[line.rfind("address=")? + "address=".len()..];
    let addr = rest.split_whitespace().next()?;
    addr.rsplit_once(':')?.1.parse().ok()
}

pub fn read_memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// User + system time of a process, in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_time_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; the fields after its `)` are fixed.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Linux reports CPU time in USER_HZ ticks, which is 100 per second on every mainstream kernel.
pub fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 10)
}

async fn keep_tail(stream: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    tail.iter().cloned().collect::<Vec<_>>().join("\n")
}
