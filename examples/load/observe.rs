//! Observing the run from outside the service: the harness's own CPU, its timer's lateness, a
//! `perf` profile, connections a process holds (through `/proc`), and the machine.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::process;
use crate::stats::Summary;

/// Sleeps of a fake's delay, side by side with the fakes, timing how late each one ends.
pub struct TimerProbe {
    late: Arc<std::sync::Mutex<Vec<Duration>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl TimerProbe {
    /// Probes in flight at once; staggered so samples spread over the run.
    const PROBES: usize = 8;
    /// Each probe stops after this many sleeps even if never told to.
    const MAX_SLEEPS: usize = 2_000;

    pub fn start(delay: Duration) -> TimerProbe {
        let late = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks = (0..Self::PROBES)
            .map(|k| {
                let late = Arc::clone(&late);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(k as u64 * 7)).await;
                    for _ in 0..Self::MAX_SLEEPS {
                        let asked = Instant::now();
                        tokio::time::sleep(delay).await;
                        let overran = asked.elapsed().saturating_sub(delay);
                        late.lock().unwrap_or_else(|e| e.into_inner()).push(overran);
                    }
                })
            })
            .collect();
        TimerProbe { late, tasks }
    }

    /// Ends the probes at once (a sleep in progress is dropped, not waited for).
    pub fn stop(self) -> Summary {
        for task in &self.tasks {
            task.abort();
        }
        let late = std::mem::take(&mut *self.late.lock().unwrap_or_else(|e| e.into_inner()));
        Summary::of(late)
    }
}

/// CPU time this process (client, fakes, receiver) uses from `start` on.
pub struct HarnessCpu(u64);

impl HarnessCpu {
    pub fn start() -> HarnessCpu {
        HarnessCpu(process::cpu_time_ticks(std::process::id()).unwrap_or(0))
    }

    pub fn elapsed(&self) -> Duration {
        let now = process::cpu_time_ticks(std::process::id()).unwrap_or(self.0);
        Duration::from_millis(now.saturating_sub(self.0) * 10)
    }
}

/// `perf record` attached to the service, stopped like Ctrl-C so it writes its file.
pub struct Profiler {
    child: tokio::process::Child,
}

impl Profiler {
    pub async fn start(pid: u32, output: &Path) -> Profiler {
        let child = tokio::process::Command::new("perf")
            .args(["record", "-F", "499", "-g", "-p", &pid.to_string(), "-o"])
            .arg(output)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("perf runs (apt-get install linux-perf)");
        // perf needs a moment to attach before the load starts.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Profiler { child }
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("load: perf did not stop; killing it");
            let _ = self.child.start_kill();
        }
    }
}

/// Sockets a process holds, as `/proc` shows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Held {
    /// Accepted TCP connections whose local port is the listening port (not the listener).
    pub inbound: usize,
    /// Open descriptors of any kind.
    pub descriptors: usize,
}

/// What `pid` holds on `port`: its socket inodes (`/proc/<pid>/fd`) matched with the TCP table
/// of its network namespace (`/proc/<pid>/net/tcp`). `None` once the process is gone.
pub fn held(pid: u32, port: u16) -> Option<Held> {
    let mut descriptors = 0;
    let mut sockets = HashSet::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        descriptors += 1;
        let inode = std::fs::read_link(entry.path()).ok().and_then(|target| {
            target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()
        });
        if let Some(inode) = inode {
            sockets.insert(inode);
        }
    }
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).ok()?;
    // Unique inodes: the kernel prints the table in chunks, and a socket that moves while the
    // table churns can be printed twice.
    let inbound: HashSet<u64> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|local| local.rsplit_once(':'))
                .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok());
            // State 0A is LISTEN: the listener itself, not a connection.
            let listening = fields.get(3) == Some(&"0A");
            let inode = fields.get(9).and_then(|i| i.parse::<u64>().ok())?;
            (local_port == Some(port) && !listening && sockets.contains(&inode)).then_some(inode)
        })
        .collect();
    let inbound = inbound.len();
    Some(Held {
        inbound,
        descriptors,
    })
}

/// Raises this process's soft descriptor limit to its hard limit (thousands of client sockets
/// live here during the slow-client scenario). Returns the soft limit in force afterwards.
pub fn raise_descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass, which lives for
    // the calls, and change nothing but this process's own limit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// One line about the machine, so pasted results say where they come from.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |v| v.trim_start_matches([' ', '\t', ':']));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "## slack-zoom load harness\n\nMachine: {cpus} CPUs ({model}), {mem_gib:.1} GiB, Linux {}; load average {} at start",
        kernel.trim(),
        load.join(" ")
    )
}

/// The load average over the last minute, to print beside each scenario.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}
